/**
 * Resilience policies on virtual time: circuit breaker (resilience4j semantics, cockatiel
 * strategies), retry with exponential backoff and jitter, timeout, bulkhead, and `wrap` to
 * compose them.
 */
export {
  CancelSource,
  NEVER_CANCELLED,
  isFailureByDefault,
  isRetryableByDefault,
  type CancelSignal,
  type PolicyResult,
  type ResiliencePolicy,
} from "./policy";
export { BreakerOpenError, BulkheadRejectedError, type CircuitState } from "./errors";
export { CountBreakerWindow, TimeBreakerWindow, type BreakerWindow, type WindowTotals } from "./breaker-window";
export { SlidingWindowBreaker, type BreakerStrategy, type SlidingWindowBreakerOptions } from "./breaker-strategy";
export { ConsecutiveBreaker } from "./consecutive-breaker";
export { SamplingBreaker, type SamplingBreakerOptions } from "./sampling-breaker";
export {
  CircuitBreaker,
  CIRCUIT_BREAKER_DEFAULTS,
  type CircuitBreakerOptions,
  type BreakerTransition,
  type BreakerRejection,
  type BreakerCallEnded,
  type BreakerStats,
} from "./circuit-breaker";
export {
  ExponentialBackoff,
  JITTER_KINDS,
  noJitterDelay,
  fullJitterDelay,
  equalJitterDelay,
  decorrelatedJitterDelay,
  type JitterKind,
} from "./backoff";
export { RetryPolicy, RETRY_DEFAULTS, type RetryOptions, type RetryEvent, type GiveUpEvent, type RetryStats } from "./retry";
export { TimeoutPolicy, TIMEOUT_DEFAULTS, type TimeoutKind, type TimeoutOptions, type TimeoutEvent, type TimeoutStats } from "./timeout";
export { BulkheadPolicy, BULKHEAD_DEFAULTS, type BulkheadOptions, type BulkheadRejection, type BulkheadStats } from "./bulkhead";
export { WrappedPolicy, wrap } from "./wrap";
