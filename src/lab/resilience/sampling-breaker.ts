/**
 * cockatiel's `SamplingBreaker`: opens when too large a share of the calls of the last
 * sampling period failed, but only under enough traffic to judge.
 */
import { ConfigError, positive } from "../errors";
import type { BreakerStrategy } from "./breaker-strategy";

/** Options of a {@link SamplingBreaker}. */
export interface SamplingBreakerOptions {
  /** Share of failed calls, strictly between 0 and 1, that must be exceeded to open. */
  threshold: number;
  /** Sampling period in ms of virtual time. */
  durationMs: number;
  /**
   * Minimum request rate (calls per second over the period) below which the circuit never
   * opens. Default: the rate at which `threshold` of it is 5 failures per second, i.e.
   * `5 / threshold` (cockatiel's default).
   */
  minimumRps?: number;
}

interface Slice {
  startedAt: number;
  failures: number;
  successes: number;
}

/**
 * cockatiel `SamplingBreaker` semantics: the period is split into at least 5 slices of at
 * most 1 s; on each failure, if the slices hold at least `durationMs × minimumRps / 1000`
 * calls and failures exceed `threshold × calls` (strictly), the circuit opens. Successes
 * never open it. Slow calls do not count.
 *
 * One difference from cockatiel 3.2: when several slices' worth of time has passed between
 * two calls, every aged-out slice is cleared (cockatiel moves on one slice per call, so
 * counts older than the period can linger after a quiet spell).
 */
export class SamplingBreaker implements BreakerStrategy {
  readonly semantics = "cockatiel SamplingBreaker (failure share over a sampling period, with a minimum request rate)";
  readonly threshold: number;
  /** The period actually covered: slice length × slice count (rounding as cockatiel does). */
  readonly durationMs: number;
  readonly minimumRps: number;
  /** Length of one slice in ms. */
  readonly sliceMs: number;
  private readonly slices: Slice[];
  private current = 0;
  private failures = 0;
  private successes = 0;

  constructor(options: SamplingBreakerOptions) {
    const { threshold } = options;
    if (typeof threshold !== "number" || !(threshold > 0 && threshold < 1)) throw new ConfigError("SamplingBreaker", "threshold", threshold, "a number greater than 0 and less than 1");
    this.threshold = threshold;
    const duration = positive("SamplingBreaker", "durationMs", options.durationMs);
    this.minimumRps = options.minimumRps === undefined ? 5 / threshold : positive("SamplingBreaker", "minimumRps", options.minimumRps);
    const count = Math.max(5, Math.ceil(duration / 1000));
    this.sliceMs = Math.round(duration / count);
    if (this.sliceMs <= 0) throw new ConfigError("SamplingBreaker", "durationMs", duration, "long enough for 5 slices of at least 1 ms");
    this.durationMs = this.sliceMs * count;
    this.slices = Array.from({ length: count }, () => ({ startedAt: 0, failures: 0, successes: 0 }));
  }

  /** Calls needed in the period before the failure share counts. */
  get minimumCalls(): number {
    return (this.durationMs * this.minimumRps) / 1000;
  }

  record(failure: boolean, _slow: boolean, nowMs: number): string | undefined {
    const slice = this.sliceAt(nowMs);
    if (!failure) {
      slice.successes++;
      this.successes++;
      return undefined;
    }
    slice.failures++;
    this.failures++;
    const total = this.failures + this.successes;
    if (total < this.minimumCalls) return undefined;
    return this.failures > this.threshold * total
      ? `${this.failures} of ${total} calls failed in ${this.durationMs} ms (> ${this.threshold * 100}%, at ≥ ${round2(this.minimumRps)} calls/s)`
      : undefined;
  }

  private sliceAt(nowMs: number): Slice {
    let slice = this.slices[this.current]!;
    const elapsed = nowMs - slice.startedAt;
    if (elapsed < this.sliceMs) return slice;
    const steps = Math.min(this.slices.length, Math.floor(elapsed / this.sliceMs));
    for (let i = 0; i < steps; i++) {
      this.current = (this.current + 1) % this.slices.length;
      slice = this.slices[this.current]!;
      this.failures -= slice.failures;
      this.successes -= slice.successes;
      slice.failures = slice.successes = 0;
      slice.startedAt = nowMs;
    }
    return slice;
  }

  reset(): void {
    this.failures = this.successes = 0;
    this.current = 0;
    for (const s of this.slices) s.startedAt = s.failures = s.successes = 0;
  }

  describe(nowMs: number): Record<string, number | string> {
    // Leave out the slices the next call would clear, without moving anything: looking at
    // the breaker must not change when its slices start.
    let failures = this.failures;
    let successes = this.successes;
    const n = this.slices.length;
    const elapsed = nowMs - this.slices[this.current]!.startedAt;
    const steps = elapsed < this.sliceMs ? 0 : Math.min(n, Math.floor(elapsed / this.sliceMs));
    for (let i = 1; i <= steps; i++) {
      const s = this.slices[(this.current + i) % n]!;
      failures -= s.failures;
      successes -= s.successes;
    }
    return {
      period: `${this.durationMs} ms in ${n} slices`,
      "calls in period": failures + successes,
      "failures in period": failures,
      "minimum calls": round2(this.minimumCalls),
      threshold: this.threshold,
    };
  }
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
