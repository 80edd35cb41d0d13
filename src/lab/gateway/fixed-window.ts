/**
 * Fixed window counter: time is cut into windows of `windowMs` aligned to t = 0 (like a
 * Redis key per minute, `INCR` + `EXPIRE`); each client may make `limit` requests per
 * window and the count starts again at every boundary. Cheap (one counter per client), but
 * a client that spends its whole allowance at the end of one window and again at the start
 * of the next gets up to 2 × `limit` requests through in a moment.
 *
 * Only accepted requests are counted. GitHub's REST API limit (5 000 requests an hour, with
 * an `x-ratelimit-reset` time) works this way.
 */
import { positive, wholeNumber } from "../errors";
import { ceilMs, KeyedRateLimiter, type RateDecision } from "./rate-limiter";

/** Options of a {@link FixedWindow}. Defaults are in {@link FIXED_WINDOW_DEFAULTS}. */
export interface FixedWindowOptions {
  /** Requests allowed per window and client. Whole number ≥ 1. */
  limit?: number;
  /** Window length in ms, > 0. Windows start at multiples of it. */
  windowMs?: number;
}

/** Defaults: GitHub's REST API primary limit for an authenticated user, 5 000 per hour. */
export const FIXED_WINDOW_DEFAULTS = { limit: 5_000, windowMs: 3_600_000 } as const;

interface Window {
  index: number;
  count: number;
}

/** A per-client fixed window counter. */
export class FixedWindow extends KeyedRateLimiter<Window> {
  readonly name: string;
  readonly limit: number;
  readonly windowMs: number;

  constructor(options: FixedWindowOptions = {}) {
    super("FixedWindow");
    this.limit = wholeNumber("FixedWindow", "limit", options.limit ?? FIXED_WINDOW_DEFAULTS.limit);
    this.windowMs = positive("FixedWindow", "windowMs", options.windowMs ?? FIXED_WINDOW_DEFAULTS.windowMs);
    this.name = `fixed window (${this.limit} per ${this.windowMs} ms)`;
  }

  protected initial(now: number): Window {
    return { index: Math.floor(now / this.windowMs), count: 0 };
  }

  protected decide(w: Window, now: number): RateDecision {
    const index = Math.floor(now / this.windowMs);
    if (index !== w.index) {
      w.index = index;
      w.count = 0;
    }
    if (w.count < this.limit) {
      w.count++;
      return { allowed: true, delayMs: 0 };
    }
    return { allowed: false, retryAfterMs: ceilMs((index + 1) * this.windowMs - now) };
  }

  protected describe(w: Window, now: number): Record<string, number> {
    const index = Math.floor(now / this.windowMs);
    const count = index === w.index ? w.count : 0;
    return { windowStart: index * this.windowMs, count, remaining: this.limit - count };
  }
}
