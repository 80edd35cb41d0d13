/**
 * What every resilience policy shares: the {@link ResiliencePolicy} interface that `wrap`
 * composes, the cancellation signal passed down to the protected call, the result shape
 * the failure predicates look at, and a tiny listener list for events.
 */
import { TimeoutError } from "../sim/call-errors";
import { isResponse } from "../sim/http";

/**
 * A cancellation signal, shaped like the DOM's `AbortSignal` but our own (the lab builds
 * without DOM or Node types). A callee that checks it can stop early; one that ignores it
 * keeps running — the difference between a cooperative and an aggressive timeout.
 */
export interface CancelSignal {
  /** True once cancelled. */
  readonly aborted: boolean;
  /** Why it was cancelled (e.g. the {@link TimeoutError}); undefined until then. */
  readonly reason: unknown;
  /** Calls `listener` once when the signal is cancelled (at once if it already is). Returns an unsubscribe. */
  onAbort(listener: (reason: unknown) => void): () => void;
  /** Throws {@link reason} if cancelled. */
  throwIfAborted(): void;
}

class Signal implements CancelSignal {
  aborted = false;
  reason: unknown = undefined;
  listeners: ((reason: unknown) => void)[] = [];

  onAbort(listener: (reason: unknown) => void): () => void {
    if (this.aborted) {
      listener(this.reason);
      return () => {};
    }
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }
}

/** Creates and cancels a {@link CancelSignal}, optionally following a parent signal. */
export class CancelSource {
  private readonly state = new Signal();
  private detach: (() => void) | undefined;

  /** @param parent - when given, cancelling the parent cancels this source too */
  constructor(parent?: CancelSignal) {
    if (parent) this.detach = parent.onAbort((reason) => this.cancel(reason));
  }

  /** The signal handed to the callee (read-only to it). */
  get signal(): CancelSignal {
    return this.state;
  }

  /** Cancels the signal (once; later calls do nothing). */
  cancel(reason: unknown = new Error("cancelled")): void {
    const s = this.state;
    if (s.aborted) return;
    s.aborted = true;
    s.reason = reason;
    this.detach?.();
    const listeners = s.listeners;
    s.listeners = [];
    for (const l of listeners) l(reason);
  }

  /** Stops following the parent signal (call when the protected call has ended). */
  dispose(): void {
    this.detach?.();
    this.detach = undefined;
    this.state.listeners = [];
  }
}

/** A signal that is never cancelled: the default when the caller passes none. */
export const NEVER_CANCELLED: CancelSignal = Object.freeze({
  aborted: false,
  reason: undefined,
  onAbort: () => () => {},
  throwIfAborted: () => {},
});

/**
 * A fault-handling policy (circuit breaker, retry, timeout, bulkhead, or several wrapped
 * together). Like cockatiel's `IPolicy`: `execute` runs `fn` under the policy and returns
 * its value or throws its error (or the policy's own, e.g. a rejection).
 */
export interface ResiliencePolicy {
  /**
   * Runs `fn` under this policy.
   * @param fn - the protected call; it may watch the signal to stop early
   * @param signal - cancellation from an outer policy or the caller
   */
  execute<T>(fn: (signal: CancelSignal) => Promise<T> | T, signal?: CancelSignal): Promise<T>;
}

/** How one run of the protected call ended. */
export type PolicyResult<T = unknown> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/** Default failure rule of the circuit breaker: any thrown error, and 5xx responses. */
export function isFailureByDefault(result: PolicyResult): boolean {
  return !result.ok || (isResponse(result.value) && result.value.status >= 500);
}

/**
 * Default retry rule: a {@link TimeoutError}, a thrown or returned 5xx, and 429 Too Many
 * Requests are worth another attempt; other 4xx answers are not (the request itself is
 * wrong), and neither are other errors (a breaker's or bulkhead's rejection, a bug).
 */
export function isRetryableByDefault(result: PolicyResult): boolean {
  if (!result.ok) return result.error instanceof TimeoutError;
  return isResponse(result.value) && (result.value.status >= 500 || result.value.status === 429);
}

/** A tiny list of listeners; `add` returns the function that removes the listener again. */
export class Listeners<E> {
  private list: ((event: E) => void)[] = [];

  /** Adds a listener; the returned function removes it. */
  add(listener: (event: E) => void): () => void {
    this.list = [...this.list, listener];
    return () => {
      this.list = this.list.filter((l) => l !== listener);
    };
  }

  /** True when nobody listens (lets hot paths skip building the event). */
  get empty(): boolean {
    return this.list.length === 0;
  }

  /** Calls every listener with `event`. */
  emit(event: E): void {
    for (const l of this.list) l(event);
  }
}

/** Runs `fn` and captures how it ended, including a synchronous throw. */
export async function settle<T>(fn: (signal: CancelSignal) => Promise<T> | T, signal: CancelSignal): Promise<PolicyResult<T>> {
  try {
    return { ok: true, value: await fn(signal) };
  } catch (error) {
    return { ok: false, error };
  }
}
