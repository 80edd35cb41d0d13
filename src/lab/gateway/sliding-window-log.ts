/**
 * Sliding window log: keeps the time of every accepted request of the last `windowMs` and
 * allows a request when fewer than `limit` are in the log. Exact — no burst at window
 * boundaries — at the cost of storing up to `limit` timestamps per client.
 *
 * A request at time t counts while `now − t < windowMs`. Only accepted requests are logged:
 * logging refused ones too would keep a client that keeps retrying locked out for good.
 */
import { positive, wholeNumber } from "../errors";
import { ceilMs, KeyedRateLimiter, type RateDecision } from "./rate-limiter";

/** Options of a {@link SlidingWindowLog}. Defaults are in {@link SLIDING_WINDOW_LOG_DEFAULTS}. */
export interface SlidingWindowLogOptions {
  /** Requests allowed in any window of `windowMs`. Whole number ≥ 1. */
  limit?: number;
  /** Window length in ms, > 0. */
  windowMs?: number;
}

/** Defaults (the lab's choice; no standard): 100 requests per rolling minute. */
export const SLIDING_WINDOW_LOG_DEFAULTS = { limit: 100, windowMs: 60_000 } as const;

/** A per-client sliding window log. */
export class SlidingWindowLog extends KeyedRateLimiter<number[]> {
  readonly name: string;
  readonly limit: number;
  readonly windowMs: number;

  constructor(options: SlidingWindowLogOptions = {}) {
    super("SlidingWindowLog");
    this.limit = wholeNumber("SlidingWindowLog", "limit", options.limit ?? SLIDING_WINDOW_LOG_DEFAULTS.limit);
    this.windowMs = positive("SlidingWindowLog", "windowMs", options.windowMs ?? SLIDING_WINDOW_LOG_DEFAULTS.windowMs);
    this.name = `sliding window log (${this.limit} per ${this.windowMs} ms)`;
  }

  protected initial(): number[] {
    return [];
  }

  protected decide(log: number[], now: number): RateDecision {
    while (log.length > 0 && now - log[0]! >= this.windowMs) log.shift();
    if (log.length < this.limit) {
      log.push(now);
      return { allowed: true, delayMs: 0 };
    }
    // The oldest entry leaves the window first, making room for one request.
    return { allowed: false, retryAfterMs: ceilMs(log[0]! + this.windowMs - now) };
  }

  protected describe(log: number[], now: number): Record<string, number> {
    return { inWindow: log.filter((t) => now - t < this.windowMs).length, stored: log.length };
  }
}
