/**
 * When a CLOSED circuit opens is a strategy (cockatiel calls it the breaker, `IBreaker`):
 * {@link SlidingWindowBreaker} is resilience4j's failure/slow-call rate rule, the default;
 * `ConsecutiveBreaker` and `SamplingBreaker` are cockatiel's alternatives.
 */
import { ConfigError, wholeNumber } from "../errors";
import type { BreakerWindow } from "./breaker-window";

/** Decides when a CLOSED circuit breaker opens. */
export interface BreakerStrategy {
  /** Which real breaker's rule this follows, for docs and displays. */
  readonly semantics: string;
  /**
   * Records a call that ended while the circuit was CLOSED.
   * @returns why the circuit should open now, or undefined to stay closed
   */
  record(failure: boolean, slow: boolean, nowMs: number): string | undefined;
  /** Forgets everything: the circuit has just closed and starts afresh. */
  reset(nowMs: number): void;
  /** Numbers worth showing (window contents, counts). */
  describe(nowMs: number): Record<string, number | string>;
}

/** Options of a {@link SlidingWindowBreaker}. */
export interface SlidingWindowBreakerOptions {
  /** Where outcomes are aggregated: the last N calls or the last N seconds. */
  window: BreakerWindow;
  /** Calls the window must hold before a rate counts (for COUNT_BASED, capped at the window size, as in resilience4j). */
  minimumNumberOfCalls: number;
  /** Failure rate in percent (0–100] at or above which the circuit opens. */
  failureRateThreshold: number;
  /** Slow-call rate in percent (0–100] at or above which the circuit opens. */
  slowCallRateThreshold: number;
}

/** Checks a percentage threshold in (0, 100], as resilience4j does. */
export function percentThreshold(component: string, parameter: string, value: number): number {
  if (typeof value !== "number" || !(value > 0 && value <= 100)) throw new ConfigError(component, parameter, value, "a percentage greater than 0 and at most 100");
  return value;
}

/**
 * resilience4j's rule: once the window holds at least `minimumNumberOfCalls` calls, the
 * circuit opens when the failure rate or the slow-call rate (each in percent of the calls
 * in the window) is at or above its threshold.
 */
export class SlidingWindowBreaker implements BreakerStrategy {
  readonly semantics = "resilience4j sliding window (failure rate and slow-call rate)";
  /** The effective minimum: capped at the window size for COUNT_BASED windows. */
  readonly minimumNumberOfCalls: number;
  readonly failureRateThreshold: number;
  readonly slowCallRateThreshold: number;
  readonly window: BreakerWindow;

  constructor(options: SlidingWindowBreakerOptions) {
    this.window = options.window;
    const min = wholeNumber("SlidingWindowBreaker", "minimumNumberOfCalls", options.minimumNumberOfCalls);
    this.minimumNumberOfCalls = this.window.type === "COUNT_BASED" ? Math.min(min, this.window.size) : min;
    this.failureRateThreshold = percentThreshold("SlidingWindowBreaker", "failureRateThreshold", options.failureRateThreshold);
    this.slowCallRateThreshold = percentThreshold("SlidingWindowBreaker", "slowCallRateThreshold", options.slowCallRateThreshold);
  }

  record(failure: boolean, slow: boolean, nowMs: number): string | undefined {
    this.window.record(failure, slow, nowMs);
    return exceeded(this.window.totals(nowMs), this.minimumNumberOfCalls, this.failureRateThreshold, this.slowCallRateThreshold);
  }

  reset(nowMs: number): void {
    this.window.reset(nowMs);
  }

  describe(nowMs: number): Record<string, number | string> {
    const t = this.window.totals(nowMs);
    return {
      window: `${this.window.type} ${this.window.size}${this.window.type === "TIME_BASED" ? " s" : " calls"}`,
      "calls in window": t.calls,
      "failures in window": t.failures,
      "slow in window": t.slow,
      "failure rate %": t.calls ? round((t.failures * 100) / t.calls) : 0,
      "slow-call rate %": t.calls ? round((t.slow * 100) / t.calls) : 0,
    };
  }
}

/**
 * The rate check shared by CLOSED and HALF_OPEN: undefined below the minimum number of calls
 * or below both thresholds, else the reason to open.
 */
export function exceeded(
  t: { readonly calls: number; readonly failures: number; readonly slow: number },
  minimumNumberOfCalls: number,
  failureRateThreshold: number,
  slowCallRateThreshold: number,
): string | undefined {
  if (t.calls === 0 || t.calls < minimumNumberOfCalls) return undefined;
  const failureRate = (t.failures * 100) / t.calls;
  if (failureRate >= failureRateThreshold) return `failure rate ${round(failureRate)}% ≥ ${failureRateThreshold}% of ${t.calls} calls`;
  const slowRate = (t.slow * 100) / t.calls;
  if (slowRate >= slowCallRateThreshold) return `slow-call rate ${round(slowRate)}% ≥ ${slowCallRateThreshold}% of ${t.calls} calls`;
  return undefined;
}

/** Rounds to two decimals for display. */
export function round(v: number): number {
  return Math.round(v * 100) / 100;
}

