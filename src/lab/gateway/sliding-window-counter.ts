/**
 * Sliding window counter: fixed windows, but a request is judged against an estimate of the
 * last `windowMs` that weights the previous window by how much of it still overlaps:
 *
 *     estimate = previous · (1 − elapsed / windowMs) + current
 *
 * where `elapsed` is the time since the current window started. It assumes the previous
 * window's requests were spread evenly, needs two counters per client, and smooths the 2×
 * boundary burst of the fixed window (the approach Cloudflare described for its rate limiting).
 *
 * A request is allowed while the estimate, before counting it, is below the limit
 * (`estimate < limit`), the test the common descriptions use; so an estimate of 9.5 against
 * a limit of 10 still lets one through. Only accepted requests are counted.
 */
import { positive, wholeNumber } from "../errors";
import { EPSILON, KeyedRateLimiter, type RateDecision } from "./rate-limiter";

/** Options of a {@link SlidingWindowCounter}. Defaults are in {@link SLIDING_WINDOW_COUNTER_DEFAULTS}. */
export interface SlidingWindowCounterOptions {
  /** Requests allowed per (estimated) rolling window. Whole number ≥ 1. */
  limit?: number;
  /** Window length in ms, > 0. Windows start at multiples of it. */
  windowMs?: number;
}

/** Defaults: Cloudflare's worked example, 50 requests per minute. */
export const SLIDING_WINDOW_COUNTER_DEFAULTS = { limit: 50, windowMs: 60_000 } as const;

interface Counters {
  index: number;
  current: number;
  previous: number;
}

/** A per-client sliding window counter. */
export class SlidingWindowCounter extends KeyedRateLimiter<Counters> {
  readonly name: string;
  readonly limit: number;
  readonly windowMs: number;

  constructor(options: SlidingWindowCounterOptions = {}) {
    super("SlidingWindowCounter");
    this.limit = wholeNumber("SlidingWindowCounter", "limit", options.limit ?? SLIDING_WINDOW_COUNTER_DEFAULTS.limit);
    this.windowMs = positive("SlidingWindowCounter", "windowMs", options.windowMs ?? SLIDING_WINDOW_COUNTER_DEFAULTS.windowMs);
    this.name = `sliding window counter (${this.limit} per ${this.windowMs} ms)`;
  }

  protected initial(now: number): Counters {
    return { index: Math.floor(now / this.windowMs), current: 0, previous: 0 };
  }

  /** Moves the counters to the window that contains `now` (returns a copy). */
  private at(c: Counters, now: number): Counters {
    const index = Math.floor(now / this.windowMs);
    if (index === c.index) return { ...c };
    // One window later the current count becomes the previous; further on both are stale.
    return { index, current: 0, previous: index === c.index + 1 ? c.current : 0 };
  }

  /** The weighted count for `key` at `now`, before any new request: the formula above. */
  estimate(key: string, now: number): number {
    return this.inspect(key, now).estimate!;
  }

  protected decide(state: Counters, now: number): RateDecision {
    const c = this.at(state, now);
    Object.assign(state, c);
    const elapsed = now - c.index * this.windowMs;
    const estimate = c.previous * (1 - elapsed / this.windowMs) + c.current;
    if (estimate < this.limit - EPSILON) {
      state.current++;
      return { allowed: true, delayMs: 0 };
    }
    // The estimate falls below the limit just after `boundary`: the first whole ms past it.
    return { allowed: false, retryAfterMs: Math.max(1, Math.floor(this.boundary(c) - now + 1e-6) + 1) };
  }

  /** The time after which the estimate drops below the limit, if nothing else is accepted. */
  private boundary(c: Counters): number {
    const start = c.index * this.windowMs;
    const room = this.limit - c.current;
    if (room > 0) {
      // previous · (1 − e/W) < room  ⇔  e > W · (1 − room/previous)
      return start + this.windowMs * (1 - room / c.previous);
    }
    // The current window is full: wait for the next one, where it becomes the previous.
    return start + this.windowMs + this.windowMs * (1 - this.limit / c.current);
  }

  protected describe(state: Counters, now: number): Record<string, number> {
    const c = this.at(state, now);
    const elapsed = now - c.index * this.windowMs;
    return { previous: c.previous, current: c.current, estimate: c.previous * (1 - elapsed / this.windowMs) + c.current };
  }
}
