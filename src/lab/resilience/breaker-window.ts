/**
 * The sliding windows a rate-based circuit breaker aggregates call outcomes in, following
 * resilience4j: COUNT_BASED keeps the last N calls, TIME_BASED the calls of the last N
 * seconds, bucketed by whole second of (virtual) time.
 */
import { wholeNumber } from "../errors";

/** Totals of a window. */
export interface WindowTotals {
  /** Calls in the window. */
  readonly calls: number;
  /** Of them, failures. */
  readonly failures: number;
  /** Of them, slow calls (failed or not). */
  readonly slow: number;
}

/** A sliding window of call outcomes. */
export interface BreakerWindow {
  /** resilience4j's name of the window type. */
  readonly type: "COUNT_BASED" | "TIME_BASED";
  /** Calls (COUNT_BASED) or seconds (TIME_BASED) the window spans. */
  readonly size: number;
  /** Adds one call's outcome at virtual time `nowMs`. */
  record(failure: boolean, slow: boolean, nowMs: number): void;
  /** The totals at `nowMs` (a live view: read it at once, do not keep it). */
  totals(nowMs: number): WindowTotals;
  /** Forgets every call. */
  reset(nowMs: number): void;
}

const FAILED = 1;
const SLOW = 2;

/**
 * The last `size` calls (resilience4j `FixedSizeSlidingWindowMetrics`): a ring buffer whose
 * oldest outcome is dropped when a new one arrives.
 */
export class CountBreakerWindow implements BreakerWindow, WindowTotals {
  readonly type = "COUNT_BASED";
  calls = 0;
  failures = 0;
  slow = 0;
  private readonly ring: Uint8Array;
  private head = 0;

  /** @param size - calls kept, a whole number ≥ 1 */
  constructor(readonly size: number) {
    wholeNumber("CountBreakerWindow", "size", size);
    this.ring = new Uint8Array(size);
  }

  record(failure: boolean, slow: boolean): void {
    if (this.calls === this.size) {
      const old = this.ring[this.head]!;
      if (old & FAILED) this.failures--;
      if (old & SLOW) this.slow--;
    } else this.calls++;
    this.ring[this.head] = (failure ? FAILED : 0) | (slow ? SLOW : 0);
    if (failure) this.failures++;
    if (slow) this.slow++;
    this.head = this.head + 1 === this.size ? 0 : this.head + 1;
  }

  totals(): WindowTotals {
    return this;
  }

  reset(): void {
    this.calls = this.failures = this.slow = this.head = 0;
  }
}

interface Bucket {
  second: number;
  calls: number;
  failures: number;
  slow: number;
}

/**
 * The calls of the last `size` seconds (resilience4j `SlidingTimeWindowMetrics`): one bucket
 * per whole second of virtual time; the window holds the current second and the `size − 1`
 * before it, so a call made at t = 0.5 s with a 10 s window is forgotten at t = 10 s.
 */
export class TimeBreakerWindow implements BreakerWindow, WindowTotals {
  readonly type = "TIME_BASED";
  calls = 0;
  failures = 0;
  slow = 0;
  private readonly buckets: Bucket[];
  private head = 0;

  /** @param size - seconds kept, a whole number ≥ 1 */
  constructor(
    readonly size: number,
    nowMs = 0,
  ) {
    wholeNumber("TimeBreakerWindow", "size", size);
    this.buckets = Array.from({ length: size }, () => ({ second: 0, calls: 0, failures: 0, slow: 0 }));
    this.reset(nowMs);
  }

  /** Moves the head bucket to the current second, evicting the buckets that aged out. */
  private advance(nowMs: number): Bucket {
    const second = Math.floor(nowMs / 1000);
    let bucket = this.buckets[this.head]!;
    const gap = second - bucket.second;
    if (gap <= 0) return bucket;
    for (let step = Math.min(gap, this.size); step > 0; step--) {
      this.head = (this.head + 1) % this.size;
      bucket = this.buckets[this.head]!;
      this.calls -= bucket.calls;
      this.failures -= bucket.failures;
      this.slow -= bucket.slow;
      bucket.second = second - step + 1;
      bucket.calls = bucket.failures = bucket.slow = 0;
    }
    return bucket;
  }

  record(failure: boolean, slow: boolean, nowMs: number): void {
    const bucket = this.advance(nowMs);
    bucket.calls++;
    this.calls++;
    if (failure) {
      bucket.failures++;
      this.failures++;
    }
    if (slow) {
      bucket.slow++;
      this.slow++;
    }
  }

  totals(nowMs: number): WindowTotals {
    this.advance(nowMs);
    return this;
  }

  reset(nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    this.calls = this.failures = this.slow = 0;
    this.head = 0;
    // Older seconds behind the head, so the ring is in order from the start.
    this.buckets.forEach((b, i) => {
      b.second = second - ((this.size - i) % this.size);
      b.calls = b.failures = b.slow = 0;
    });
  }
}
