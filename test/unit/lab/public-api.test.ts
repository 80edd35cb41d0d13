// The main `sde-lab` module is a curated API: what learners and snippets build with, no
// internals. Prepared topologies live in `sde-lab/scenarios` and reach the core only through
// the public API, so a learner can do whatever a scenario does.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as lab from "sde-lab";
import * as scenarios from "sde-lab/scenarios";

describe("the sde-lab public API", () => {
  it("exports what cells and snippets build with", () => {
    for (const name of [
      "Simulation", "dist", "ok", "request", "response", "display", "table", "markdown", "mermaid", "DISPLAY", "ConfigError", "TimeoutError",
      "CircuitBreaker", "RetryPolicy", "TimeoutPolicy", "BulkheadPolicy", "wrap", "BreakerOpenError", "BulkheadRejectedError",
      "ApiGateway", "TokenBucket", "LeakyBucket", "FixedWindow", "SlidingWindowLog", "SlidingWindowCounter", "compareLimiters", "BackendForFrontend",
      "EurekaRegistry", "EurekaInstance", "DiscoveryClient", "ServerSideLoadBalancer", "ConsulRegistry", "ConsulInstance", "Sidecar",
    ]) expect(lab, name).toHaveProperty(name);
  });

  it("keeps internals and prepared demos out", () => {
    for (const name of [
      "DISPLAY_SINK", "CountBreakerWindow", "TimeBreakerWindow", "SlidingWindowBreaker", "sha256", "hmacSha256", "GatewayAuthenticator",
      "InstanceCache", "RenewalCounter", "renewalThreshold", "leaseExpiresAt", "NEVER_CANCELLED", "ExponentialBackoff", "noJitterDelay",
      "cascadingFailure", "retryStorm", "sidecarDemo", "staleCacheDemo", "compareDiscoveryApproaches", "runStaleCacheScenario", "compareBffs",
    ]) expect(lab, name).not.toHaveProperty(name);
  });

  it("sde-lab/scenarios holds the prepared topologies and demos", () => {
    for (const name of ["runCascade", "runRetryStorm", "compareStorms", "checkoutApp", "runCheckouts", "compareRuns", "cascadingFailure", "retryStorm", "sidecarDemo", "staleCacheDemo", "compareDiscoveryApproaches", "runStaleCacheScenario", "compareBffs"]) {
      expect(scenarios, name).toHaveProperty(name);
    }
  });

  it("scenarios import the core only from sde-lab, never from relative lab paths", () => {
    const dir = join(__dirname, "../../../src/lab/scenarios");
    for (const file of readdirSync(dir)) {
      const imports = [...readFileSync(join(dir, file), "utf8").matchAll(/from "([^"]+)"/g)].map((m) => m[1]!);
      expect(imports.filter((s) => s !== "sde-lab" && !s.startsWith("./")), file).toEqual([]);
    }
  });
});
