/**
 * Rejections raised by the policies themselves. Both are {@link RejectedError}s with outcome
 * `fail`: the protected call was never started, so it certainly did not happen.
 */
import { RejectedError } from "../sim/call-errors";

/** Circuit states (resilience4j's names). */
export type CircuitState = "CLOSED" | "OPEN" | "HALF_OPEN";

/**
 * A circuit breaker refused the call: it is OPEN, or HALF_OPEN with every trial permit in
 * use. resilience4j calls this `CallNotPermittedException`, cockatiel `BrokenCircuitError`.
 */
export class BreakerOpenError extends RejectedError {
  override name = "BreakerOpenError";
  /**
   * @param breaker - the breaker's name
   * @param state - the state it was in when it refused
   */
  constructor(
    readonly breaker: string,
    readonly state: CircuitState,
  ) {
    super(state === "OPEN" ? `${breaker} is OPEN: call not permitted` : `${breaker} is HALF_OPEN and its trial calls are all taken: call not permitted`);
  }
}

/** A bulkhead refused the call: every execution slot and every queue place was taken. */
export class BulkheadRejectedError extends RejectedError {
  override name = "BulkheadRejectedError";
  /**
   * @param bulkhead - the bulkhead's name
   * @param maxConcurrent - its execution slots
   * @param maxQueue - its queue places
   */
  constructor(
    readonly bulkhead: string,
    readonly maxConcurrent: number,
    readonly maxQueue: number,
  ) {
    super(`${bulkhead} is full (${maxConcurrent} running, ${maxQueue} queued): call rejected`);
  }
}
