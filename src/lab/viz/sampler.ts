/**
 * Samples gauges (in-flight requests, queue depth, consumer lag, locks held) over virtual
 * time. It adds no events to the simulation: it reads the gauges when the simulation records
 * a trace event, so a run with a sampler is the same run, event for event, as one without
 * (the seed keeps its meaning). It samples about once per `everyMs`, but a change is
 * never drawn late: a value that changed before the next sample was due, followed by a quiet
 * stretch, is recorded at the time it was first seen, not at the next trace event.
 */
import { ConfigError, positive } from "../errors";
import type { Tracer } from "../sim/trace";
import { chart, type Chart, type ChartAnnotation, type ChartKind } from "./chart";

/** Options of a {@link Sampler}. */
export interface SamplerOptions {
  /** Virtual ms between samples (at most one sample per interval). Default 100. */
  everyMs?: number;
  /** Gauges by series name: each returns the value now. */
  gauges: Readonly<Record<string, () => number>>;
}

/** Defaults of {@link SamplerOptions}. */
export const SAMPLER_DEFAULTS = { everyMs: 100 } as const;

interface SimLike {
  readonly now: number;
  readonly runId?: string;
  readonly trace: Tracer;
}

/** Options of {@link Sampler.chart}. */
export interface SamplerChartOptions {
  kind?: ChartKind;
  yLabel?: string;
  log?: boolean;
  yCategories?: readonly string[];
  annotations?: readonly ChartAnnotation[];
  runId?: string;
}

/** Values of gauges over virtual time, ready to chart. */
export class Sampler {
  private readonly everyMs: number;
  private readonly names: string[];
  private readonly gauges: (() => number)[];
  private readonly times: number[] = [];
  private readonly values: number[][];
  private next = 0;
  /** Time and values of a change seen before the next sample was due, not yet recorded. */
  private pendingTime = -1;
  private pendingValues: number[] = [];
  private readonly stop: () => void;

  constructor(
    private readonly sim: SimLike,
    options: SamplerOptions,
  ) {
    this.everyMs = positive("Sampler", "everyMs", options.everyMs ?? SAMPLER_DEFAULTS.everyMs);
    if (typeof options.gauges !== "object" || options.gauges === null || Object.keys(options.gauges).length === 0) {
      throw new ConfigError("Sampler", "gauges", options.gauges, "an object of name → () => number with at least one gauge");
    }
    this.names = Object.keys(options.gauges);
    this.gauges = this.names.map((n) => {
      const g = options.gauges[n];
      if (typeof g !== "function") throw new ConfigError("Sampler", `gauges.${n}`, g, "a function returning a number");
      return g;
    });
    this.values = this.names.map(() => []);
    this.sample();
    this.stop = sim.trace.observe(() => {
      if (sim.now >= this.next) this.sample();
      else this.watch();
    });
  }

  /**
   * Between due samples: remember the first change since the last recorded sample (its time)
   * and the latest values, so that the next sample can put the step where it happened.
   */
  private watch(): void {
    const values = this.gauges.map((g) => Number(g()));
    // Runs on every trace event between samples: compare in place, no second array.
    if (values.every((v, i) => Object.is(v, this.values[i]![this.values[i]!.length - 1]))) {
      this.pendingTime = -1;
      return;
    }
    if (this.pendingTime < 0) this.pendingTime = this.sim.now;
    this.pendingValues = values;
  }

  /** Records the change {@link watch} held back, at the time it was first seen. */
  private flush(now: number): void {
    const t = this.pendingTime;
    this.pendingTime = -1;
    if (t < 0 || t >= now) return;
    if (this.times[this.times.length - 1] === t) {
      this.pendingValues.forEach((v, i) => (this.values[i]![this.values[i]!.length - 1] = v));
    } else {
      this.times.push(t);
      this.pendingValues.forEach((v, i) => this.values[i]!.push(v));
    }
  }

  /** Takes a sample now (also called for you as the run goes). */
  sample(): void {
    const t = this.sim.now;
    this.flush(t);
    if (this.times.length > 0 && this.times[this.times.length - 1] === t) {
      this.gauges.forEach((g, i) => (this.values[i]![this.values[i]!.length - 1] = Number(g())));
    } else {
      this.times.push(t);
      this.gauges.forEach((g, i) => this.values[i]!.push(Number(g())));
    }
    this.next = (Math.floor(t / this.everyMs) + 1) * this.everyMs;
  }

  /** Stops sampling (the samples stay). */
  dispose(): void {
    this.stop();
  }

  /** The samples of one gauge as `[time, value]` pairs. */
  points(name: string): [number, number][] {
    const i = this.names.indexOf(name);
    if (i < 0) throw new ConfigError("Sampler.points", "name", name, `one of ${this.names.join(", ")}`);
    return this.times.map((t, j) => [t, this.values[i]![j]!]);
  }

  /** A chart of every gauge (one series each). Takes a last sample first. */
  chart(title: string, options: SamplerChartOptions = {}): Chart {
    this.sample();
    return chart({
      title,
      kind: options.kind ?? "step",
      series: this.names.map((name) => ({ name, points: this.points(name) })),
      ...(options.yLabel !== undefined ? { yLabel: options.yLabel } : {}),
      ...(options.log !== undefined ? { log: options.log } : {}),
      ...(options.yCategories !== undefined ? { yCategories: options.yCategories } : {}),
      ...(options.annotations !== undefined ? { annotations: options.annotations } : {}),
      ...((options.runId ?? this.sim.runId) !== undefined ? { runId: (options.runId ?? this.sim.runId)! } : {}),
    });
  }
}
