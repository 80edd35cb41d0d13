/**
 * Seeded random numbers: the same seed gives the same sequence on every machine, so a
 * notebook re-run shows the same numbers. Lab code never calls `Math.random`.
 *
 * Generator: sfc32 (small fast counter, 128-bit state) seeded through splitmix32. It passes
 * PractRand to large sizes and needs only 32-bit integer arithmetic.
 */
import { ConfigError, nonNegative, positive } from "../errors";

/** A seeded source of random numbers and common distributions. */
export class Random {
  /**
   * The four 32-bit state words a, b, c, d. A typed array holds them as raw integers: as object
   * fields, values past 2^30 are boxed doubles, and `next` runs once per simulated delay.
   */
  private readonly s = new Int32Array(4);

  /** @param seed - any finite number; equal seeds give equal sequences */
  constructor(readonly seed: number) {
    if (typeof seed !== "number" || !Number.isFinite(seed)) throw new ConfigError("Random", "seed", seed, "a finite number");
    let s = Math.floor(seed) >>> 0;
    const split = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s[0] = split();
    this.s[1] = split();
    this.s[2] = split();
    this.s[3] = split();
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A uniform number in [0, 1). */
  next(): number {
    // The same arithmetic modulo 2^32 as with unsigned words; only the result is read unsigned.
    const s = this.s;
    const b = s[1]!;
    const c = s[2]!;
    const d = s[3]!;
    const t = (((s[0]! + b) | 0) + d) | 0;
    s[3] = d + 1;
    s[0] = b ^ (b >>> 9);
    s[1] = c + (c << 3);
    s[2] = ((c << 21) | (c >>> 11)) + t;
    return (t >>> 0) / 4294967296;
  }

  /** A uniform number in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** A uniform whole number in [min, max] (both included). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new ConfigError("Random.pick", "items", items, "a non-empty array");
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Exponential with the given mean (e.g. time between Poisson arrivals). */
  exponential(mean: number): number {
    positive("Random.exponential", "mean", mean);
    return -mean * Math.log(1 - this.next());
  }

  /** Normal (Gaussian) via Box–Muller. */
  normal(mean: number, stdDev: number): number {
    nonNegative("Random.normal", "stdDev", stdDev);
    const u = 1 - this.next();
    const v = this.next();
    return mean + stdDev * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /**
   * Pareto with minimum `scale` and tail index `shape`: most values near `scale`, a few very
   * large — the shape of tail latency.
   */
  pareto(scale: number, shape: number): number {
    positive("Random.pareto", "scale", scale);
    positive("Random.pareto", "shape", shape);
    return scale / Math.pow(1 - this.next(), 1 / shape);
  }

  /** An independent stream derived from this one (for a component that needs its own). */
  fork(): Random {
    return new Random(Math.floor(this.next() * 4294967296));
  }
}

/** A latency or duration distribution, in milliseconds. */
export type Distribution =
  | number
  | { kind: "constant"; value: number }
  | { kind: "uniform"; min: number; max: number }
  | { kind: "exponential"; mean: number }
  | { kind: "normal"; mean: number; stdDev: number }
  | { kind: "pareto"; scale: number; shape: number };

/** Checks that a {@link Distribution} is well-formed (non-negative, ordered bounds). */
export function checkDistribution(component: string, parameter: string, d: Distribution): Distribution {
  if (typeof d === "number") {
    nonNegative(component, parameter, d);
    return d;
  }
  const bad = (rule: string) => new ConfigError(component, parameter, d, rule);
  switch (d?.kind) {
    case "constant":
      nonNegative(component, `${parameter}.value`, d.value);
      return d;
    case "uniform":
      nonNegative(component, `${parameter}.min`, d.min);
      if (!(d.max >= d.min) || !Number.isFinite(d.max)) throw bad("a uniform distribution with max ≥ min");
      return d;
    case "exponential":
      positive(component, `${parameter}.mean`, d.mean);
      return d;
    case "normal":
      nonNegative(component, `${parameter}.mean`, d.mean);
      nonNegative(component, `${parameter}.stdDev`, d.stdDev);
      return d;
    case "pareto":
      positive(component, `${parameter}.scale`, d.scale);
      positive(component, `${parameter}.shape`, d.shape);
      return d;
    default:
      throw bad("a number of ms or a distribution from dist.*");
  }
}

/** Draws from a {@link Distribution}; never negative. */
export function sample(random: Random, d: Distribution): number {
  if (typeof d === "number") return d;
  switch (d.kind) {
    case "constant":
      return d.value;
    case "uniform":
      return random.uniform(d.min, d.max);
    case "exponential":
      return random.exponential(d.mean);
    case "normal":
      return Math.max(0, random.normal(d.mean, d.stdDev));
    case "pareto":
      return random.pareto(d.scale, d.shape);
  }
}

/** Shorthands for {@link Distribution}s. */
export const dist = {
  constant: (value: number): Distribution => ({ kind: "constant", value }),
  uniform: (min: number, max: number): Distribution => ({ kind: "uniform", min, max }),
  exponential: (mean: number): Distribution => ({ kind: "exponential", mean }),
  normal: (mean: number, stdDev: number): Distribution => ({ kind: "normal", mean, stdDev }),
  pareto: (scale: number, shape: number): Distribution => ({ kind: "pareto", scale, shape }),
};
