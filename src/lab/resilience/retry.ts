/**
 * Retry with exponential backoff and jitter, on virtual time: failed attempts that are worth
 * repeating are tried again after a wait from {@link ExponentialBackoff}.
 */
import { ConfigError, nonNegative, oneOf, wholeNumber } from "../errors";
import { DISPLAY, table, type MimeBundle } from "../display";
import type { Simulation } from "../sim/simulation";
import { ExponentialBackoff, JITTER_KINDS, type JitterKind } from "./backoff";
import { isResponse } from "../sim/http";
import { Listeners, NEVER_CANCELLED, isRetryableByDefault, settle, type CancelSignal, type PolicyResult, type ResiliencePolicy } from "./policy";

/** Options of a {@link RetryPolicy}. Defaults are in {@link RETRY_DEFAULTS}. */
export interface RetryOptions {
  /** Name in traces and displays. Default `"retry"`. */
  name?: string;
  /** Attempts in all, the first one included (resilience4j's meaning). Default 3. */
  maxAttempts?: number;
  /** b: the backoff before the first retry, in ms. Default 128 (cockatiel's initial delay). */
  baseMs?: number;
  /** c: the longest wait, in ms (at least `baseMs`). Default 30 000 (cockatiel's maximum delay). */
  maxDelayMs?: number;
  /** Jitter variant (see `backoff.ts`). Default `"full"`, which AWS found to cut work and contention the most. */
  jitter?: JitterKind;
  /**
   * Which results deserve another attempt. Default ({@link isRetryableByDefault}):
   * {@link TimeoutError}s and 5xx or 429 responses, not other 4xx. Only retry operations
   * that are safe to repeat — idempotent ones (GET, PUT, DELETE, or a POST with an
   * idempotency key): a timed-out attempt may have taken effect, and a retry repeats it.
   */
  isRetryable?: (result: PolicyResult) => boolean;
  /** Record each retry as a trace note. Default true; turn off for very large runs. */
  trace?: boolean;
}

/** Defaults of {@link RetryOptions}. */
export const RETRY_DEFAULTS = { name: "retry", maxAttempts: 3, baseMs: 128, maxDelayMs: 30_000, jitter: "full", trace: true } as const;

/** A retry about to wait. */
export interface RetryEvent {
  /** The attempt that will follow the wait: 2 for the first retry. */
  attempt: number;
  /** The wait before it, in ms. */
  delayMs: number;
  /** Virtual time in ms when the wait starts. */
  time: number;
  /** What the failed attempt returned or threw, in a few words. */
  reason: string;
}

/** An operation that ran out of attempts. */
export interface GiveUpEvent {
  attempts: number;
  time: number;
  reason: string;
}

/** Counts of a {@link RetryPolicy} since it was created. */
export interface RetryStats {
  /** Operations started. */
  calls: number;
  /** Attempts made, first attempts included. */
  attempts: number;
  /** Attempts after the first. */
  retries: number;
  /** Operations that ended with a value needing no retry. */
  returned: number;
  /** Operations still failing (retryably) when the attempts ran out. */
  gaveUp: number;
  /** Operations that threw an error not worth retrying. */
  notRetryable: number;
  /** Operations stopped by their cancel signal. */
  cancelled: number;
}

/**
 * Retries an operation with exponential backoff and jitter. Waits use the simulation's
 * clock (`sim.sleep`) and the jitter its seeded random source. If the last attempt still
 * fails, the policy returns its value (e.g. a 503 response) or throws its error.
 *
 * Retry only idempotent operations: see {@link RetryOptions.isRetryable}. An aborted signal
 * stops further attempts; it is checked before each attempt, so a backoff wait already
 * under way runs out first.
 */
export class RetryPolicy implements ResiliencePolicy {
  /** The options in force, defaults filled in. */
  readonly options: Readonly<Required<Omit<RetryOptions, "isRetryable">>>;
  private readonly isRetryable: (result: PolicyResult) => boolean;
  private readonly counts: RetryStats = { calls: 0, attempts: 0, retries: 0, returned: 0, gaveUp: 0, notRetryable: 0, cancelled: 0 };
  private readonly retryListeners = new Listeners<RetryEvent>();
  private readonly giveUpListeners = new Listeners<GiveUpEvent>();
  private readonly uniform: () => number;

  constructor(
    readonly sim: Simulation,
    options: RetryOptions = {},
  ) {
    const d = RETRY_DEFAULTS;
    const c = "RetryPolicy";
    const baseMs = nonNegative(c, "baseMs", options.baseMs ?? d.baseMs);
    this.options = {
      name: options.name ?? d.name,
      maxAttempts: wholeNumber(c, "maxAttempts", options.maxAttempts ?? d.maxAttempts),
      baseMs,
      maxDelayMs: nonNegative(c, "maxDelayMs", options.maxDelayMs ?? Math.max(d.maxDelayMs, baseMs), baseMs),
      jitter: oneOf(c, "jitter", options.jitter ?? d.jitter, JITTER_KINDS),
      trace: options.trace ?? d.trace,
    };
    if (options.isRetryable !== undefined && typeof options.isRetryable !== "function") throw new ConfigError(c, "isRetryable", options.isRetryable, "a function");
    this.isRetryable = options.isRetryable ?? isRetryableByDefault;
    this.uniform = () => sim.random.next();
  }

  /** Counts since creation. */
  get stats(): RetryStats {
    return { ...this.counts };
  }

  /** Calls `listener` before each retry's wait. Returns an unsubscribe function. */
  onRetry(listener: (event: RetryEvent) => void): () => void {
    return this.retryListeners.add(listener);
  }

  /** Calls `listener` when an operation runs out of attempts. Returns an unsubscribe function. */
  onGiveUp(listener: (event: GiveUpEvent) => void): () => void {
    return this.giveUpListeners.add(listener);
  }

  /**
   * Runs `fn`, again after a backoff while its result is retryable and attempts remain.
   * @returns the value of the last attempt
   * @throws the error of the last attempt, or the signal's reason if cancelled before one
   */
  async execute<T>(fn: (signal: CancelSignal) => Promise<T> | T, signal: CancelSignal = NEVER_CANCELLED): Promise<T> {
    const o = this.options;
    this.counts.calls++;
    const backoff = new ExponentialBackoff(o.jitter, o.baseMs, o.maxDelayMs, this.uniform);
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) {
        this.counts.cancelled++;
        throw signal.reason;
      }
      this.counts.attempts++;
      if (attempt > 1) this.counts.retries++;
      const result = await settle(fn, signal);
      if (!this.isRetryable(result)) {
        if (result.ok) {
          this.counts.returned++;
          return result.value;
        }
        this.counts.notRetryable++;
        throw result.error;
      }
      if (attempt >= o.maxAttempts || signal.aborted) {
        if (signal.aborted) this.counts.cancelled++;
        else {
          this.counts.gaveUp++;
          if (!this.giveUpListeners.empty) this.giveUpListeners.emit({ attempts: attempt, time: this.sim.now, reason: describeResult(result) });
        }
        if (result.ok) return result.value;
        throw result.error;
      }
      const delayMs = backoff.next();
      if (o.trace) this.sim.trace.note(o.name, `attempt ${attempt} got ${describeResult(result)}: retry in ${Math.round(delayMs)} ms`);
      if (!this.retryListeners.empty) this.retryListeners.emit({ attempt: attempt + 1, delayMs, time: this.sim.now, reason: describeResult(result) });
      await this.sim.sleep(delayMs);
    }
  }

  /** A table of the counts. */
  [DISPLAY](): MimeBundle {
    const o = this.options;
    return table([{ policy: o.name, jitter: o.jitter, "base ms": o.baseMs, "cap ms": o.maxDelayMs, "max attempts": o.maxAttempts, ...this.counts }])[DISPLAY]();
  }
}

/** A few words about a result: `503`, `TimeoutError`. */
function describeResult(result: PolicyResult): string {
  if (result.ok) return isResponse(result.value) ? String(result.value.status) : "a value";
  const e = result.error;
  return e instanceof Error ? e.name : String(e);
}
