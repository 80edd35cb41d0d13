import { describe, expect, it } from "vitest";
import { DISPLAY } from "../../../src/lab/index";
import { compareDiscoveryApproaches, runStaleCacheScenario, staleCacheDemo } from "../../../src/lab/discovery/index";

describe("stale-cache demo", () => {
  it("a crashed instance is used for 140 s with the documented lease and 200 s with Eureka's real one", async () => {
    const demo = await staleCacheDemo();
    const pick = (r: typeof demo.documented) => ({
      lastRenewal: r.lastRenewalAtMs,
      leaseExpiresAfter: r.leaseExpiresAfterMs,
      evicted: r.evictedAtMs,
      registryCache: r.registryCacheUpdatedAtMs,
      cachesCleared: r.cachesClearedAtMs,
      stale: r.staleSeconds,
      failed: r.failedRequests,
      deadPicks: r.deadPicks,
      requests: r.requests,
    });
    // Crash at 100 s, 10 s after the last renewal (90.001 s). Evictions run every 60 s, the
    // registry's response cache and the client's copy refresh every 30 s, all from t = 0.
    expect(pick(demo.documented)).toEqual({
      lastRenewal: 90_001,
      leaseExpiresAfter: 180_001,
      evicted: 240_000,
      registryCache: 240_000,
      cachesCleared: 240_002,
      stale: 140.002,
      failed: 17,
      deadPicks: 17,
      requests: 700,
    });
    expect(pick(demo.asImplemented)).toEqual({
      lastRenewal: 90_001,
      leaseExpiresAfter: 270_001,
      evicted: 300_000,
      registryCache: 300_000,
      cachesCleared: 300_002,
      stale: 200.002,
      failed: 25,
      deadPicks: 25,
      requests: 700,
    });
    const md = demo[DISPLAY]()["text/markdown"]!;
    expect(md).toContain("| documented | 90.001 | 180.001 | 240 | 240.002 | 140.002 | 17 | 700 |");
    expect(md).toContain("| as-implemented | 90.001 | 270.001 | 300 | 300.002 | 200.002 | 25 | 700 |");
    const timeline = demo.asImplemented[DISPLAY]()["text/plain"]!;
    expect(timeline).toContain("stale for **200.002 s**; **25** of 700 requests failed");
    expect(timeline).toMatch(/its lease expires \(as-implemented\)\s+270\.001\s+170\.001/);
  });

  it("with three instances self-preservation keeps the dead one registered for good", async () => {
    const run = await runStaleCacheScenario({ instances: 3 });
    expect(run.evictedAtMs).toBeUndefined();
    expect(run.staleSeconds).toBeUndefined();
    expect(run.selfPreservationEngaged).toBe(true);
    // Every third request after the crash, for the whole 600 s.
    expect([run.failedRequests, run.requests]).toEqual([200, 700]);
    expect(run[DISPLAY]()["text/plain"]).toContain("still stale 600 s after the crash (self-preservation kept the dead instance registered)");
    const without = await runStaleCacheScenario({ instances: 3, enableSelfPreservation: false });
    expect([without.evictedAtMs, without.staleSeconds, without.failedRequests]).toEqual([240_000, 140.002, 47]);
  });

  it("is deterministic for a seed, also with the random strategy", async () => {
    const a = await runStaleCacheScenario({ strategy: "random", seed: 5 });
    const b = await runStaleCacheScenario({ strategy: "random", seed: 5 });
    const c = await runStaleCacheScenario({ strategy: "random", seed: 6 });
    expect(a.failedRequests).toBe(b.failedRequests);
    expect(a.sim.trace.text()).toBe(b.sim.trace.text());
    // 140 s of requests, each with a 1-in-8 chance of the dead instance: 17.5 on average.
    expect([a.failedRequests, c.failedRequests]).toEqual([11, 16]);
    expect(a.staleSeconds).toBe(140.002);
  });

  it("compares client-side and server-side discovery: hops, registry load, staleness, where the logic lives", async () => {
    const cmp = await compareDiscoveryApproaches();
    const row = (r: typeof cmp.clientSide) => [r.hopsPerRequest, r.meanLatencyMs, r.registryFetches, r.discoveryLogicIn, r.staleSeconds, r.failedRequests, r.requests];
    // 3 callers; each client fetches 24 times in 700 s, the balancer alone does for all of them.
    expect(row(cmp.clientSide)).toEqual([1, 2, 72, ["web-1", "web-2", "web-3"], 140.002, 51, 2100]);
    expect(row(cmp.serverSide)).toEqual([2, 4, 24, ["lb"], 140.002, 52, 2100]);
    const md = cmp[DISPLAY]()["text/markdown"]!;
    expect(md).toContain("| client-side | 1 | 2 | 72 | web-1, web-2, web-3 | 140.002 | 51 | 51 | 2100 |");
    expect(md).toContain("| server-side | 2 | 4 | 24 | lb | 140.002 | 52 | 52 | 2100 |");
  });

  it("rejects bad options naming the parameter", async () => {
    await expect(runStaleCacheScenario({ instances: 0 })).rejects.toThrow("runStaleCacheScenario: instances must be a whole number ≥ 1, got 0");
    await expect(runStaleCacheScenario({ approach: "mesh" as never })).rejects.toThrow('runStaleCacheScenario: approach must be one of "client-side", "server-side", got "mesh"');
    await expect(runStaleCacheScenario({ requestTimeoutMs: 0 })).rejects.toThrow("runStaleCacheScenario: requestTimeoutMs must be a finite number > 0, got 0");
  });
});
