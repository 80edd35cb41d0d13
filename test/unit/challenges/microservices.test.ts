// Each microservices challenge can be failed (the notebook's starter values fail) and passed
// (a reference solution, kept only here, passes under every seed).
import { describe, expect, it } from "vitest";
import {
  ApiGateway,
  BulkheadPolicy,
  CircuitBreaker,
  DISPLAY,
  FixedWindow,
  RetryPolicy,
  Sidecar,
  TimeoutPolicy,
  TokenBucket,
  type Simulation,
} from "sde-lab";
import { challenges, type ChallengeReport } from "sde-lab/challenges";
import type { CheckoutApp } from "sde-lab/scenarios";

const headline = (r: ChallengeReport) => r[DISPLAY]()["text/plain"]!.split("\n")[0];

const gateway = (timeoutMs: number, requires: string[]) => (sim: Simulation) =>
  new ApiGateway(sim, {
    routes: [
      { prefix: "/orders", upstream: "orders", requires, timeoutMs },
      { prefix: "/users", upstream: "users" },
    ],
    auth: { apiKeys: { "key-alice": { client: "alice", scopes: ["orders:read"] }, "key-bob": { client: "bob" } } },
  });

const eurekaDefaults = { refreshIntervalMs: 30_000, renewalIntervalMs: 30_000, leaseDurationMs: 90_000, evictionIntervalMs: 60_000 };
const tunedDiscovery = { refreshIntervalMs: 5_000, renewalIntervalMs: 10_000, leaseDurationMs: 15_000, evictionIntervalMs: 5_000 };

const plainDeploy = (sim: Simulation, app: CheckoutApp) => {
  sim.service("payments", app.payments);
  sim.service("orders", app.orders);
  sim.service("frontend", app.frontend);
};
const meshDeploy = (sim: Simulation, app: CheckoutApp) => {
  new Sidecar(sim, "payments", app.payments, { mtls: { mode: "strict", allow: ["orders"] } });
  new Sidecar(sim, "orders", app.orders, { mtls: { mode: "strict", allow: ["frontend"] } });
  new Sidecar(sim, "frontend", app.frontend);
};

// [id, starter (the notebook's values), reference]
const cases: [string, unknown, unknown][] = [
  ["api-gateway-warmup", { gateway: gateway(60_000, []) }, { gateway: gateway(100, ["orders:read"]) }],
  ["rate-limiting-warmup", { limiter: () => new FixedWindow({ limit: 20, windowMs: 1_000 }) }, { limiter: () => new TokenBucket({ capacity: 20, refillPerSecond: 10 }) }],
  [
    "bff-warmup",
    { screen: { profile: { upstream: "users", request: "GET /users/7" }, orders: { upstream: "orders", request: "GET /orders?user=7" }, recs: { upstream: "recs", request: "GET /recs?user=7" } } },
    { screen: { profile: { upstream: "users", request: "GET /users/7", fields: ["name", "avatar"] }, orders: { upstream: "orders", request: "GET /orders?user=7", fields: ["id", "total"], limit: 3 } } },
  ],
  ["client-side-discovery-warmup", eurekaDefaults, tunedDiscovery],
  ["server-side-discovery-warmup", eurekaDefaults, tunedDiscovery],
  [
    "circuit-breaker-warmup",
    { protect: (sim: Simulation) => { const b = new CircuitBreaker(sim); return (call: () => Promise<unknown>) => b.execute(call); } },
    {
      protect: (sim: Simulation) => {
        const b = new CircuitBreaker(sim, { slidingWindowSize: 10, minimumNumberOfCalls: 10, slowCallDurationThreshold: 200, slowCallRateThreshold: 50, waitDurationInOpenState: 1_000, permittedNumberOfCallsInHalfOpenState: 3 });
        return (call: () => Promise<unknown>) => b.execute(call);
      },
    },
  ],
  [
    "retry-backoff-warmup",
    { retry: (sim: Simulation) => new RetryPolicy(sim, { maxAttempts: 6, baseMs: 1_000, jitter: "none" }) },
    { retry: (sim: Simulation) => new RetryPolicy(sim, { maxAttempts: 6, baseMs: 1_000, jitter: "full" }) },
  ],
  ["timeout-warmup", { timeout: (sim: Simulation) => new TimeoutPolicy(sim, { timeoutMs: 30_000 }) }, { timeout: (sim: Simulation) => new TimeoutPolicy(sim, { timeoutMs: 100, kind: "cooperative" }) }],
  [
    "bulkhead-warmup",
    { protect: (sim: Simulation) => { const b = new BulkheadPolicy(sim); return (call: () => Promise<unknown>) => b.execute(call); } },
    { protect: (sim: Simulation) => { const b = new BulkheadPolicy(sim, { maxConcurrent: 4 }); return (call: () => Promise<unknown>) => b.execute(call); } },
  ],
  ["sidecar-warmup", { deploy: plainDeploy }, { deploy: meshDeploy }],
];

describe("microservices challenges", () => {
  it("cover every pattern of the section", () => {
    expect(cases.map(([id]) => id).sort()).toEqual(Object.keys(challenges).filter((id) => cases.some(([c]) => c === id)).sort());
    expect(cases).toHaveLength(10);
  });

  it.each(cases)("%s: the starter fails, the reference passes", async (id, starter, reference) => {
    const challenge = (challenges as unknown as Record<string, { check(s: unknown): Promise<ChallengeReport> }>)[id]!;
    const failed = await challenge.check(starter);
    expect(headline(failed)).toMatch(new RegExp(`^Challenge ${id}: FAILED \\(\\d+ of \\d+ targets missed\\)$`));
    const passed = await challenge.check(reference);
    expect(passed.results.filter((r) => !r.passed).map((r) => `${r.target.metric}=${r.measured}`)).toEqual([]);
    expect(headline(passed)).toBe(`Challenge ${id}: PASSED (${passed.results.length} of ${passed.results.length} targets, seeds 1, 2, 3)`);
  });

  it("rejects a solution of the wrong shape with a ConfigError naming the field", async () => {
    await expect(challenges["circuit-breaker-warmup"].check({} as never)).rejects.toThrow(/protect must be a function/);
    await expect(challenges["client-side-discovery-warmup"].check({ refreshIntervalMs: -1 } as never)).rejects.toThrow(/refreshIntervalMs must be/);
  });
});
