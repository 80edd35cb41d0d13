/**
 * Exponential backoff with the four jitter variants of the AWS Architecture Blog post
 * "Exponential Backoff and Jitter" (Marc Brooker, 2015). Attempt n counts from 0 (the wait
 * before the first retry), b is the base and c the cap, all in ms. Each formula is a pure
 * function of a uniform source in [0, 1), so it can be checked with fixed numbers.
 *
 * Not offered: cockatiel's default `ExponentialBackoff` generator, which uses Polly's
 * "decorrelated jitter v2" — a different formula from AWS's decorrelated jitter below.
 */
import { nonNegative, oneOf } from "../errors";

/** Which jitter to add to the exponential backoff. */
export type JitterKind = "none" | "full" | "equal" | "decorrelated";

/** The jitter kinds, in the order the AWS post presents them. */
export const JITTER_KINDS: readonly JitterKind[] = ["none", "full", "equal", "decorrelated"];

/** `rand(lo, hi)` from a uniform source in [0, 1). */
function rand(uniform: () => number, lo: number, hi: number): number {
  return lo + (hi - lo) * uniform();
}

/** No jitter: `min(c, b·2^n)`. Every client that failed together retries together. */
export function noJitterDelay(attempt: number, baseMs: number, capMs: number): number {
  return Math.min(capMs, baseMs * 2 ** attempt);
}

/** Full jitter: `rand(0, min(c, b·2^n))`. */
export function fullJitterDelay(attempt: number, baseMs: number, capMs: number, uniform: () => number): number {
  return rand(uniform, 0, noJitterDelay(attempt, baseMs, capMs));
}

/** Equal jitter: `t = min(c, b·2^n); t/2 + rand(0, t/2)` — never less than half the backoff. */
export function equalJitterDelay(attempt: number, baseMs: number, capMs: number, uniform: () => number): number {
  const t = noJitterDelay(attempt, baseMs, capMs);
  return t / 2 + rand(uniform, 0, t / 2);
}

/**
 * AWS decorrelated jitter: `sleep = min(c, rand(b, prev·3))`, where `prev` is the previous
 * sleep and starts at b. It depends on the previous sleep, not on the attempt number.
 */
export function decorrelatedJitterDelay(previousMs: number, baseMs: number, capMs: number, uniform: () => number): number {
  return Math.min(capMs, rand(uniform, baseMs, previousMs * 3));
}

/**
 * The sequence of waits of one retried operation: call {@link next} after each failed
 * attempt. Keeps the attempt number and, for decorrelated jitter, the previous sleep.
 */
export class ExponentialBackoff {
  private attempt = 0;
  private previous: number;

  /**
   * @param kind - the jitter variant
   * @param baseMs - b, the first backoff (and decorrelated jitter's lower bound)
   * @param capMs - c, the longest wait
   * @param uniform - a uniform source in [0, 1), e.g. `() => sim.random.next()`
   */
  constructor(
    readonly kind: JitterKind,
    readonly baseMs: number,
    readonly capMs: number,
    private readonly uniform: () => number,
  ) {
    oneOf("ExponentialBackoff", "kind", kind, JITTER_KINDS);
    nonNegative("ExponentialBackoff", "baseMs", baseMs);
    nonNegative("ExponentialBackoff", "capMs", capMs);
    this.previous = baseMs;
  }

  /** The wait before the next retry, in ms; moves to the next attempt. */
  next(): number {
    const n = this.attempt++;
    switch (this.kind) {
      case "none":
        return noJitterDelay(n, this.baseMs, this.capMs);
      case "full":
        return fullJitterDelay(n, this.baseMs, this.capMs, this.uniform);
      case "equal":
        return equalJitterDelay(n, this.baseMs, this.capMs, this.uniform);
      case "decorrelated":
        return (this.previous = decorrelatedJitterDelay(this.previous, this.baseMs, this.capMs, this.uniform));
    }
  }
}
