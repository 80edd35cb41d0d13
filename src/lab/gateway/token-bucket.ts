/**
 * Token bucket: a bucket holds up to `capacity` tokens and gains `refillPerSecond` tokens a
 * second, continuously; each request takes one token or is refused. A full bucket lets a
 * burst of `capacity` requests through at once; after that the long-run rate is the refill
 * rate. This is the algorithm AWS API Gateway throttling and Guava's RateLimiter describe.
 */
import { ConfigError, nonNegative, positive, wholeNumber } from "../errors";
import { ceilMs, EPSILON, KeyedRateLimiter, type RateDecision } from "./rate-limiter";

/** Options of a {@link TokenBucket}. Defaults are in {@link TOKEN_BUCKET_DEFAULTS}. */
export interface TokenBucketOptions {
  /** Most tokens the bucket holds: the largest burst let through at once. Whole number ≥ 1. */
  capacity?: number;
  /** Tokens added per second of virtual time (the sustained rate), > 0. */
  refillPerSecond?: number;
  /** Tokens a client's bucket starts with, 0…capacity. Default: full. */
  initialTokens?: number;
}

/**
 * Defaults: AWS API Gateway's account-level throttle (steady 10 000 requests/s, burst 5 000).
 * Notebooks usually pass small numbers such as `{ capacity: 20, refillPerSecond: 10 }`.
 */
export const TOKEN_BUCKET_DEFAULTS = { capacity: 5_000, refillPerSecond: 10_000 } as const;

interface Bucket {
  /** Tokens × 1000: with whole-ms times and whole rates, refills stay exact integers. */
  milliTokens: number;
  last: number;
}

/** A per-client token bucket. */
export class TokenBucket extends KeyedRateLimiter<Bucket> {
  readonly name: string;
  readonly capacity: number;
  readonly refillPerSecond: number;
  readonly initialTokens: number;

  constructor(options: TokenBucketOptions = {}) {
    super("TokenBucket");
    this.capacity = wholeNumber("TokenBucket", "capacity", options.capacity ?? TOKEN_BUCKET_DEFAULTS.capacity);
    this.refillPerSecond = positive("TokenBucket", "refillPerSecond", options.refillPerSecond ?? TOKEN_BUCKET_DEFAULTS.refillPerSecond);
    this.initialTokens = nonNegative("TokenBucket", "initialTokens", options.initialTokens ?? this.capacity);
    if (this.initialTokens > this.capacity) {
      throw new ConfigError("TokenBucket", "initialTokens", this.initialTokens, `a number from 0 to capacity (${this.capacity})`);
    }
    this.name = `token bucket (capacity ${this.capacity}, ${this.refillPerSecond}/s)`;
  }

  protected initial(now: number): Bucket {
    return { milliTokens: this.initialTokens * 1000, last: now };
  }

  private refill(bucket: Bucket, now: number): number {
    return Math.min(this.capacity * 1000, bucket.milliTokens + (now - bucket.last) * this.refillPerSecond);
  }

  protected decide(bucket: Bucket, now: number): RateDecision {
    bucket.milliTokens = this.refill(bucket, now);
    bucket.last = now;
    if (bucket.milliTokens >= 1000 - EPSILON) {
      bucket.milliTokens = Math.max(0, bucket.milliTokens - 1000);
      return { allowed: true, delayMs: 0 };
    }
    // The missing part of a token arrives at refillPerSecond milli-tokens per ms.
    return { allowed: false, retryAfterMs: ceilMs((1000 - bucket.milliTokens) / this.refillPerSecond) };
  }

  protected describe(bucket: Bucket, now: number): Record<string, number> {
    return { tokens: this.refill(bucket, Math.max(now, bucket.last)) / 1000 };
  }
}
