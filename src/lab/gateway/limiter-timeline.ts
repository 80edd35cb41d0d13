/**
 * Runs rate limiters over a timeline of request arrivals without a simulation, for tables
 * and charts in notebooks: which requests passed, and how many per time bucket.
 */
import { DISPLAY, table, type Displayable, type MimeBundle } from "../display";
import { ConfigError, nonNegative, positive } from "../errors";
import type { RateDecision, RateLimiter } from "./rate-limiter";

/** One arrival and what the limiter said. */
export interface TimelineEntry {
  readonly time: number;
  readonly key: string;
  readonly decision: RateDecision;
}

/** The decisions of one limiter over a timeline. */
export class LimiterTimeline implements Displayable {
  constructor(
    readonly limiter: RateLimiter,
    readonly entries: readonly TimelineEntry[],
    readonly bucketMs: number,
  ) {}

  /** Allowed flags in arrival order. */
  get allowed(): boolean[] {
    return this.entries.map((e) => e.decision.allowed);
  }

  /** Requests allowed in total. */
  get allowedCount(): number {
    return this.entries.filter((e) => e.decision.allowed).length;
  }

  /** Allowed and rejected per bucket of `bucketMs`, from the first arrival's bucket to the last. */
  perBucket(): { start: number; allowed: number; rejected: number }[] {
    if (this.entries.length === 0) return [];
    const index = (t: number) => Math.floor(t / this.bucketMs);
    const first = index(this.entries[0]!.time);
    const rows = Array.from({ length: index(this.entries.at(-1)!.time) - first + 1 }, (_, i) => ({ start: (first + i) * this.bucketMs, allowed: 0, rejected: 0 }));
    for (const e of this.entries) rows[index(e.time) - first]![e.decision.allowed ? "allowed" : "rejected"]++;
    return rows;
  }

  [DISPLAY](): MimeBundle {
    return table(this.perBucket().map((r) => ({ [`from (ms)`]: r.start, allowed: r.allowed, rejected: r.rejected })))[DISPLAY]();
  }
}

/** Options of {@link runLimiter}. */
export interface TimelineOptions {
  /** Client key for every arrival. Default `client`. */
  key?: string;
  /** Bucket width of {@link LimiterTimeline.perBucket}, ms. Default 1000. */
  bucketMs?: number;
}

/** Feeds arrivals (virtual ms, in order) to `limiter` and records each decision. */
export function runLimiter(limiter: RateLimiter, arrivals: readonly number[], options: TimelineOptions = {}): LimiterTimeline {
  const key = options.key ?? "client";
  const bucketMs = positive("runLimiter", "bucketMs", options.bucketMs ?? 1000);
  let last = 0;
  const entries = arrivals.map((time, i) => {
    nonNegative("runLimiter", `arrivals[${i}]`, time);
    if (time < last) throw new ConfigError("runLimiter", `arrivals[${i}]`, time, `≥ the previous arrival (${last})`);
    last = time;
    return { time, key, decision: limiter.tryAcquire(key, time) };
  });
  return new LimiterTimeline(limiter, entries, bucketMs);
}

/** Arrival times: `count` requests at `at`, e.g. a burst. */
export function burstAt(at: number, count: number): number[] {
  return Array.from({ length: count }, () => at);
}

/** Arrival times: `perSecond` evenly spaced requests a second from `fromMs` (exclusive of it) to `toMs` (inclusive). */
export function steadyArrivals(fromMs: number, toMs: number, perSecond: number): number[] {
  const gap = 1000 / positive("steadyArrivals", "perSecond", perSecond);
  const out: number[] = [];
  for (let i = 1; fromMs + i * gap <= toMs + 1e-9; i++) out.push(Math.round((fromMs + i * gap) * 1000) / 1000);
  return out;
}

/** Several limiters over the same arrivals (each with its own state): allowed per bucket, side by side. */
export function compareLimiters(limiters: readonly RateLimiter[], arrivals: readonly number[], options: TimelineOptions = {}): Displayable & { runs: LimiterTimeline[] } {
  const runs = limiters.map((l) => runLimiter(l, arrivals, options));
  const rows = runs[0]?.perBucket().map((b, i) => ({
    "from (ms)": b.start,
    arrivals: b.allowed + b.rejected,
    ...Object.fromEntries(runs.map((r) => [r.limiter.name, r.perBucket()[i]!.allowed])),
  }));
  return { runs, [DISPLAY]: () => table(rows ?? [])[DISPLAY]() };
}
