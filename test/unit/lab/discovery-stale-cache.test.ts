import { describe, expect, it } from "vitest";
import { DISPLAY } from "../../../src/lab/index";
import { runStaleCacheScenario, type StaleCacheRun } from "../../../src/lab/scenarios/stale-cache-scenario";

/** The waits a crashed instance goes through, in order, each on its own timer. */
const layers = (r: StaleCacheRun) => [r.lastRenewalAtMs!, r.leaseExpiresAfterMs!, r.evictedAtMs!, r.registryCacheUpdatedAtMs!, r.cachesClearedAtMs!];
const ascending = (xs: readonly number[]) => xs.every((x, i) => i === 0 || x >= xs[i - 1]!);

describe("the stale-cache scenario", () => {
  it("with timers out of step, every layer adds its wait, and Eureka's real expiry (2 × the lease) adds one more lease", async () => {
    const documented = await runStaleCacheScenario({ leaseExpiry: "documented" });
    const real = await runStaleCacheScenario({ leaseExpiry: "as-implemented" });
    for (const r of [documented, real]) {
      expect(ascending(layers(r)), r.options.leaseExpiry).toBe(true);
      expect(r.failedRequests).toBe(0);
      expect(r.timedOutRequests).toBe(r.deadPicks);
      // Each cache layer costs something when the timers are out of step.
      expect(r.registryCacheUpdatedAtMs! - r.evictedAtMs!).toBeGreaterThan(0);
      expect(r.cachesClearedAtMs! - r.registryCacheUpdatedAtMs!).toBeGreaterThan(0);
    }
    expect(documented.leaseExpiresAfterMs! - documented.lastRenewalAtMs!).toBe(90_000);
    expect(real.leaseExpiresAfterMs! - real.lastRenewalAtMs!).toBe(180_000);
    expect(real.lastRenewalAtMs!).toBe(documented.lastRenewalAtMs!);
    // The extra 90 s of lease moves the eviction by up to 90 s (it runs once a minute).
    expect(real.staleSeconds! - documented.staleSeconds!).toBeGreaterThanOrEqual(30);
    expect(real.staleSeconds! - documented.staleSeconds!).toBeLessThanOrEqual(90);
    expect(real.timedOutRequests).toBeGreaterThan(documented.timedOutRequests);
    const timeline = real[DISPLAY]()["text/plain"]!;
    expect(timeline).toContain(`stale for **${real.staleSeconds} s**; of ${real.requests} requests **${real.timedOutRequests}** timed out (outcome unknown)`);
  });

  it("with every timer started at t = 0 the caches refresh right after the eviction: the best case", async () => {
    const aligned = await runStaleCacheScenario({ phases: "aligned" });
    const random = await runStaleCacheScenario();
    expect(aligned.timerPhasesMs).toMatchObject({ "eureka eviction": 60_000, "eureka response cache": 30_000, "orders-1 renewal": 30_000, "web refresh": 30_000 });
    // Eviction and cache refresh fall on the same tick; the client's answer is a round trip later.
    expect(aligned.registryCacheUpdatedAtMs).toBe(aligned.evictedAtMs);
    expect(aligned.cachesClearedAtMs! - aligned.registryCacheUpdatedAtMs!).toBeLessThan(10);
    expect(aligned.staleSeconds!).toBeLessThan(random.staleSeconds!);
  });

  it("exercise: renewing every 5 s with a 15 s lease ends the stale window 60 s sooner for 6 × the heartbeats", async () => {
    const base = await runStaleCacheScenario();
    const fast = await runStaleCacheScenario({ renewalIntervalMs: 5_000, leaseDurationMs: 15_000 });
    expect(fast.options).toMatchObject({ renewalIntervalMs: 5_000, leaseDurationMs: 15_000, evictionIntervalMs: 60_000, refreshIntervalMs: 30_000 });
    // Lease out 15 s after the last renewal, then the same eviction, registry-cache and client
    // timers as before: one eviction period (60 s) earlier.
    expect(fast.leaseExpiresAfterMs! - fast.lastRenewalAtMs!).toBe(15_000);
    expect(ascending(layers(fast))).toBe(true);
    expect(base.evictedAtMs! - fast.evictedAtMs!).toBe(60_000);
    expect(base.staleSeconds! - fast.staleSeconds!).toBeCloseTo(60, 6);
    expect(fast.timedOutRequests).toBeLessThan(base.timedOutRequests);
    // 8 instances × 60 s / 30 s = 16 renewals a minute by default; × 60 s / 5 s = 96.
    expect([base.renewalsPerMinute, fast.renewalsPerMinute]).toEqual([16, 96]);
    expect(fast.renewalsReceived / base.renewalsReceived).toBeGreaterThan(5);
    // Now the 60 s eviction interval is the longest wait; evicting every 15 s (phase 6 385)
    // removes it at 126 385 and ends the stale window 30 s sooner still.
    const faster = await runStaleCacheScenario({ renewalIntervalMs: 5_000, leaseDurationMs: 15_000, evictionIntervalMs: 15_000 });
    expect(faster.evictedAtMs! - faster.leaseExpiresAfterMs!).toBeLessThanOrEqual(15_000);
    expect(fast.staleSeconds! - faster.staleSeconds!).toBeGreaterThanOrEqual(15);
    expect(faster.timedOutRequests).toBeLessThan(fast.timedOutRequests);
  });

  it("with three instances self-preservation keeps the dead one registered for good", async () => {
    const run = await runStaleCacheScenario({ instances: 3 });
    expect(run.evictedAtMs).toBeUndefined();
    expect(run.staleSeconds).toBeUndefined();
    expect(run.selfPreservationEngaged).toBe(true);
    // Every third request after the crash, for the whole 600 s.
    expect([run.timedOutRequests, run.failedRequests, run.requests]).toEqual([200, 0, 700]);
    expect(run[DISPLAY]()["text/plain"]).toContain("still stale 600 s after the crash (self-preservation kept the dead instance registered)");
    const without = await runStaleCacheScenario({ instances: 3, enableSelfPreservation: false });
    expect(without.evictedAtMs! - without.leaseExpiresAfterMs!).toBeLessThanOrEqual(60_000);
    expect(without.timedOutRequests).toBeLessThan(run.timedOutRequests / 2);
  });

  it("is deterministic for a seed, also with the random strategy", async () => {
    const a = await runStaleCacheScenario({ strategy: "random", seed: 5 });
    const b = await runStaleCacheScenario({ strategy: "random", seed: 5 });
    const c = await runStaleCacheScenario({ strategy: "random", seed: 6 });
    expect(a.timedOutRequests).toBe(b.timedOutRequests);
    expect(a.timerPhasesMs).toEqual(b.timerPhasesMs);
    expect(a.sim.trace.text()).toBe(b.sim.trace.text());
    // About 1 in 8 of the requests during the stale window go to the dead instance.
    expect(c.timerPhasesMs).not.toEqual(a.timerPhasesMs);
    // 8 instances, so about 1 request in 8 during the stale window picks the dead one.
    for (const r of [a, c]) {
      const staleRequests = (r.staleSeconds! * r.requests) / 600;
      expect(r.timedOutRequests).toBeGreaterThan(staleRequests / 16);
      expect(r.timedOutRequests).toBeLessThan(staleRequests / 4);
    }
  });

  it("compares client-side and server-side discovery: hops, registry load, staleness, where the logic lives", async () => {
    const clientSide = await runStaleCacheScenario({ clients: 3, approach: "client-side" });
    const serverSide = await runStaleCacheScenario({ clients: 3, approach: "server-side" });
    // One hop per request against two, so half the latency.
    expect([clientSide.hopsPerRequest, serverSide.hopsPerRequest]).toEqual([1, 2]);
    expect(serverSide.meanLatencyMs).toBeGreaterThan(1.5 * clientSide.meanLatencyMs);
    // Three caches fetch the registry about three times as often as the balancer's one.
    expect(clientSide.registryFetches).toBeGreaterThan(2.5 * serverSide.registryFetches);
    expect([clientSide.discoveryLogicIn, serverSide.discoveryLogicIn]).toEqual([["web-1", "web-2", "web-3"], ["lb"]]);
    // Each client cache lets go on its own phase; the balancer has one stale window.
    expect(clientSide.cacheClearedAtMs).toHaveLength(3);
    expect(clientSide.staleSeconds!).toBeGreaterThan(clientSide.bestStaleSeconds!);
    expect([serverSide.bestStaleSeconds, serverSide.meanStaleSeconds]).toEqual([serverSide.staleSeconds, serverSide.staleSeconds]);
    expect(clientSide.requests).toBe(serverSide.requests);
    expect(clientSide[DISPLAY]()["text/plain"]).toMatch(/the first client cache drops it[\s\S]*the last client cache drops it/);
  });

  it("rejects bad options naming the parameter", async () => {
    await expect(runStaleCacheScenario({ instances: 0 })).rejects.toThrow("runStaleCacheScenario: instances must be a whole number ≥ 1, got 0");
    await expect(runStaleCacheScenario({ approach: "mesh" as never })).rejects.toThrow('runStaleCacheScenario: approach must be one of "client-side", "server-side", got "mesh"');
    await expect(runStaleCacheScenario({ requestTimeoutMs: 0 })).rejects.toThrow("runStaleCacheScenario: requestTimeoutMs must be a finite number > 0, got 0");
    await expect(runStaleCacheScenario({ renewalIntervalMs: 0 })).rejects.toThrow("runStaleCacheScenario: renewalIntervalMs must be a finite number > 0, got 0");
    await expect(runStaleCacheScenario({ phases: "jittered" as never })).rejects.toThrow('runStaleCacheScenario: phases must be one of "random", "aligned", got "jittered"');
  });
});
