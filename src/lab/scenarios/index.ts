/**
 * `sde-lab/scenarios`: prepared topologies that notebooks use when building them in the cell
 * would hide the lesson (many services, many clients). Built only on the public `sde-lab` API.
 *
 * They take the pattern as an argument, so the learner still builds it:
 * `runCascade(sim, { protect: (callC) => breaker.execute(callC) })`,
 * `runRetryStorm(sim, new RetryPolicy(sim, { jitter: "full" }))`, `checkoutApp()` handlers
 * deployed with or without `Sidecar`.
 */
export { runCascade, type CascadeOptions, type CascadeProtect, type CascadeRun } from "./cascade";
export { runRetryStorm, compareStorms, type RetryStormOptions, type RetryStormRun } from "./retry-storm";
export { checkoutApp, runCheckouts, type CheckoutApp, type CheckoutOptions, type CheckoutRun, type CheckoutRunOptions } from "./checkout";
