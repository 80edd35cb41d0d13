/**
 * Case generators for build challenges: seeded cases (case i has seed `first + i` and draws its
 * fault schedule from a Random with that seed, so a check attacks the same way every run), and
 * the "crash-point" faults of challenges that kill the learner's process at named points.
 */
import { ConfigError, Random } from "sde-lab";
import type { CheckCase, FaultSpec } from "./build";

/** What one seeded case holds besides its seed. */
export interface SeededCase {
  readonly faults: readonly FaultSpec[];
  readonly size: number;
}

/**
 * `count` cases with seeds `firstSeed`, `firstSeed + 1`, …, made by `build` from the case's
 * index, a Random seeded with the case's seed (draw the fault schedule from it) and the seed.
 * Returns a generator, as a stage's `cases` takes it: each call builds the same cases afresh.
 *
 * @param count - how many cases: a whole number ≥ 1
 * @param firstSeed - the first case's seed: a whole number ≥ 0
 * @param build - the case's fault schedule and size, from its index (0-based), Random and seed
 * @throws ConfigError (a RangeError) naming `count` or `firstSeed` and the bad value
 */
export function seededCases(count: number, firstSeed: number, build: (i: number, random: Random, seed: number) => SeededCase): () => CheckCase[] {
  if (!Number.isInteger(count) || count < 1) throw new ConfigError("seededCases", "count", count, "a whole number ≥ 1");
  if (!Number.isInteger(firstSeed) || firstSeed < 0) throw new ConfigError("seededCases", "firstSeed", firstSeed, "a whole number ≥ 0");
  return () =>
    Array.from({ length: count }, (_, i): CheckCase => {
      const seed = firstSeed + i;
      const { faults, size } = build(i, new Random(seed), seed);
      return { seed, faults, size };
    });
}

/**
 * A challenge's crash points: each point's key and where the process dies, in the words of a
 * fault label (`"after-charge": "right after the charge for"`).
 */
export type CrashPoints<P extends string> = Readonly<Record<P, string>>;

/** Who a crash-point fault kills and what it tells the stage's run(); see {@link crashAt}. */
export interface CrashAt {
  /** Who crashes, as the label says it: `"the consumer"`, `"bank"`. */
  readonly who: string;
  /** Words after the point's own in the label (`"pay-7"`, `"(T1); it restarts 300 ms later"`). */
  readonly detail?: string;
  /** The fault's target, when the run needs one. */
  readonly target?: string;
  /** Parameters for run() besides `point`. */
  readonly params?: Readonly<Record<string, number | string | boolean>>;
}

/** A `"crash-point"` fault at `point`: labelled `crash <who> <point's words> <detail>`, with params `{ point, ...params }`. */
export function crashAt<P extends string>(points: CrashPoints<P>, point: P, at: CrashAt): FaultSpec {
  const label = `crash ${at.who} ${points[point]}${at.detail === undefined ? "" : ` ${at.detail}`}`;
  return { kind: "crash-point", label, ...(at.target === undefined ? {} : { target: at.target }), params: { point, ...at.params } };
}
