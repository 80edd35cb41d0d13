// The scenarios the notebook builds its patterns into: each takes the learner's pattern and
// measures what it changes.
import { describe, expect, it } from "vitest";
import { BulkheadPolicy, CircuitBreaker, DISPLAY, RetryPolicy, Sidecar, Simulation } from "sde-lab";
import { checkoutApp, compareStorms, runCascade, runCheckouts, runRetryStorm } from "sde-lab/scenarios";

describe("runCascade", () => {
  it("with users who give up after 2 s, a bulkhead keeps /home fast and a breaker keeps everyone under the timeout", async () => {
    const none = await runCascade(new Simulation({ seed: 1 }));
    expect(none.timedOut).toBeGreaterThan(200);
    expect(none.homeP99Ms).toBe(2_000); // a request given up on counts as the user's timeout
    const sim = new Simulation({ seed: 1 });
    const bulkhead = new BulkheadPolicy(sim, { maxConcurrent: 4 });
    const isolated = await runCascade(sim, { protect: (call) => bulkhead.execute(call) });
    expect(isolated.homeP99Ms).toBeLessThan(20);
    expect(isolated.failedFast).toBe(bulkhead.stats.rejected);
    const sim2 = new Simulation({ seed: 1 });
    const breaker = new CircuitBreaker(sim2, { slidingWindowSize: 10, minimumNumberOfCalls: 10, slowCallDurationThreshold: 200, slowCallRateThreshold: 50, waitDurationInOpenState: 1_000 });
    const broken = await runCascade(sim2, { label: "breaker", protect: (call) => breaker.execute(call) });
    expect(broken.timedOut).toBe(0);
    expect(breaker.transitions[0]!.reason).toMatch(/^slow-call rate/);
    expect(broken[DISPLAY]()["text/markdown"]).toContain("| breaker");
  });
});

describe("runRetryStorm", () => {
  it("counts retries apart from first tries, and compareStorms draws every run on the same axes", async () => {
    const runs = [];
    for (const jitter of ["none", "full"] as const) {
      const sim = new Simulation({ seed: 1 });
      runs.push(await runRetryStorm(sim, new RetryPolicy(sim, { jitter, maxAttempts: 6, baseMs: 1_000, trace: false }), { label: jitter }));
    }
    const [none, full] = runs;
    expect(none!.attempts - none!.retries).toBe(1_000);
    expect(none!.retriesPerBucket.reduce((a, b) => a + b, 0)).toBe(none!.retries);
    expect(none!.peakRetries).toBe(1_000);
    expect(full!.peakRetries).toBeLessThan(200);
    const md = compareStorms(runs, { bucketMs: 500, untilMs: 4_000 })[DISPLAY]()["text/markdown"]!;
    const axes = md.match(/x-axis[^\n]*\n\s*y-axis[^\n]*/g)!;
    expect(axes).toHaveLength(2);
    expect(axes[0]).toBe(axes[1]);
  });
});

describe("checkoutApp", () => {
  const deploy = async (dedupe: boolean) => {
    const sim = new Simulation({ seed: 1 });
    const app = checkoutApp({ paymentMs: 200, paymentFailureRate: 0, dedupe });
    new Sidecar(sim, "payments", app.payments);
    new Sidecar(sim, "orders", app.orders, { perTryTimeoutMs: 50 }); // its outbound tries time out after 50 ms
    new Sidecar(sim, "frontend", app.frontend);
    const run = await runCheckouts(sim, app, { requests: 20 });
    const checkoutCharges = [...app.ledger].filter(([key]) => key.startsWith("checkout-")).map(([, n]) => n);
    return { run, checkoutCharges };
  };

  it("retried charges double-charge without deduplication; the edge's key makes them charge once", async () => {
    // Istio's default: 3 tries per charge; every try times out after payments started charging.
    const without = await deploy(false);
    expect(without.checkoutCharges).toEqual(Array(20).fill(3));
    expect(without.run.doubleCharges).toBeGreaterThanOrEqual(20);
    const withKey = await deploy(true);
    expect(withKey.run.paymentRequests).toBe(without.run.paymentRequests);
    expect(withKey.checkoutCharges).toEqual(Array(20).fill(1));
    expect(withKey.run.doubleCharges).toBe(0);
  });
});

describe("compact displays", () => {
  it("results and objects that hold the whole simulation render as a short table, not a dump", async () => {
    const { EurekaRegistry, EurekaInstance, ConsulRegistry, ConsulInstance, ok } = await import("sde-lab");
    const sim = new Simulation({ seed: 1 });
    const node = sim.service("x", () => ok(1));
    new EurekaRegistry(sim);
    const eureka = new EurekaInstance(sim, { app: "a", id: "a-1" });
    new ConsulRegistry(sim);
    const consul = new ConsulInstance(sim, { service: "b", id: "b-1" });
    await sim.runFor(1_000);
    const shown = [node, eureka, consul, sim.network, sim.faults];
    for (const value of shown) {
      const md = value[DISPLAY]()["text/markdown"]!;
      expect(md.length).toBeGreaterThan(20);
      expect(md.length).toBeLessThan(1_000);
    }
  });
});
