/**
 * `sde-lab/scenarios`: prepared topologies that notebooks use when building them in the cell
 * would hide the lesson (many services, many clients). Built only on the public `sde-lab` API.
 *
 * The newer ones take the pattern as an argument, so the learner still builds it:
 * `runCascade(sim, { protect: (callC) => breaker.execute(callC) })`,
 * `runRetryStorm(sim, new RetryPolicy(sim, { jitter: "full" }))`, `checkoutApp()` handlers
 * deployed with or without `Sidecar`.
 */
export { runCascade, compareRuns, percentile, CASCADE_DEFAULTS, type CascadeOptions as CascadeTopologyOptions, type CascadeProtect, type CascadeRun } from "./cascade";
export { runRetryStorm, compareStorms, RETRY_STORM_DEFAULTS, STORM_BUCKET_MS, type RetryStormOptions as RetryStormTopologyOptions, type RetryStormRun } from "./retry-storm";
export { checkoutApp, runCheckouts, CHECKOUT_DEFAULTS, type CheckoutApp, type CheckoutOptions, type CheckoutRun, type CheckoutRunOptions } from "./checkout";
export { cascadingFailure, retryStorm, CASCADE_BREAKER, type CascadeOptions, type CascadeResult, type RetryStormOptions, type RetryStormResult } from "./resilience-demos";
export { sidecarDemo, type SidecarDemoOptions, type SidecarDemoResult } from "./sidecar-demo";
export {
  runStaleCacheScenario,
  STALE_CACHE_DEFAULTS,
  STALE_CACHE_TIMER_PHASES,
  type StaleCacheOptions,
  type StaleCacheRun,
  type StaleCacheStep,
  type StaleCacheTimerPhases,
  type DiscoveryApproach,
} from "./stale-cache-scenario";
export { staleCacheDemo, compareDiscoveryApproaches, type StaleCacheDemo, type DiscoveryComparison } from "./stale-cache-demo";
export { compareBffs, BffComparison, BFF_COMPARISON_DEFAULTS, type BffComparisonOptions, type BffComparisonRow, type ClientCallPattern } from "./bff-comparison";
