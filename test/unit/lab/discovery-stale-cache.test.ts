import { describe, expect, it } from "vitest";
import { DISPLAY } from "../../../src/lab/index";
import { compareDiscoveryApproaches, runStaleCacheScenario, staleCacheDemo, type StaleCacheRun } from "sde-lab/scenarios";

const pick = (r: StaleCacheRun) => ({
  lastRenewal: r.lastRenewalAtMs,
  leaseExpiresAfter: r.leaseExpiresAfterMs,
  evicted: r.evictedAtMs,
  registryCache: r.registryCacheUpdatedAtMs,
  cachesCleared: r.cachesClearedAtMs,
  stale: r.staleSeconds,
  timedOut: r.timedOutRequests,
  failed: r.failedRequests,
  deadPicks: r.deadPicks,
  requests: r.requests,
});

describe("stale-cache demo", () => {
  it("with timers out of step, every layer adds its wait: 142 s stale with the documented lease, 202 s with Eureka's real one", async () => {
    const demo = await staleCacheDemo();
    // Seed 1 gives these phases (first tick, ms); every timer then repeats at its interval.
    expect(demo.documented.timerPhasesMs).toMatchObject({ "eureka eviction": 25_539, "eureka response cache": 23_713, "orders-1 renewal": 20_731, "web refresh": 2_124 });
    // orders-1 renews at 20 731 + k × 30 000 (+1 ms to the registry): last at 80 732, 19.3 s
    // before the crash. The lease runs out at 170 732; the eviction task (25 539 + k × 60 000)
    // removes it 34.8 s later, the registry's response cache (23 713 + k × 30 000) 28.2 s after
    // that, and the client (2 124 + k × 30 000, answer 2 ms later) 8.4 s after that.
    expect(pick(demo.documented)).toEqual({
      lastRenewal: 80_732,
      leaseExpiresAfter: 170_732,
      evicted: 205_539,
      registryCache: 233_713,
      cachesCleared: 242_126,
      stale: 142.126,
      timedOut: 18,
      failed: 0,
      deadPicks: 18,
      requests: 700,
    });
    expect(pick(demo.asImplemented)).toEqual({
      lastRenewal: 80_732,
      leaseExpiresAfter: 260_732,
      evicted: 265_539,
      registryCache: 293_713,
      cachesCleared: 302_126,
      stale: 202.126,
      timedOut: 25,
      failed: 0,
      deadPicks: 25,
      requests: 700,
    });
    const md = demo[DISPLAY]()["text/markdown"]!;
    expect(md).toContain(
      "| lease expiry | last renewal (s) | lease expired after (s) | evicted (s) | registry cache (s) | client cache (s) | stale for (s) | timed out (info) | failed (5xx, refused) | requests |",
    );
    expect(md).toContain("| documented | 80.732 | 170.732 | 205.539 | 233.713 | 242.126 | 142.126 | 18 | 0 | 700 |");
    expect(md).toContain("| as-implemented | 80.732 | 260.732 | 265.539 | 293.713 | 302.126 | 202.126 | 25 | 0 | 700 |");
    const timeline = demo.asImplemented[DISPLAY]()["text/plain"]!;
    expect(timeline).toContain("stale for **202.126 s**; of 700 requests **25** timed out (outcome unknown) and **0** failed.");
    expect(timeline).toMatch(/its lease expires \(as-implemented\)\s+260\.732\s+160\.732/);
    expect(timeline).toMatch(/the registry's response cache drops it\s+293\.713\s+193\.713/);
  });

  it("with every timer started at t = 0 the caches refresh right after the eviction: the best case", async () => {
    const demo = await staleCacheDemo({ phases: "aligned" });
    expect(demo.documented.timerPhasesMs).toMatchObject({ "eureka eviction": 60_000, "eureka response cache": 30_000, "orders-1 renewal": 30_000, "web refresh": 30_000 });
    // The two cache layers cost 0 s and 2 ms: eviction and cache refresh fall on the same tick.
    expect(pick(demo.documented)).toEqual({
      lastRenewal: 90_001,
      leaseExpiresAfter: 180_001,
      evicted: 240_000,
      registryCache: 240_000,
      cachesCleared: 240_002,
      stale: 140.002,
      timedOut: 17,
      failed: 0,
      deadPicks: 17,
      requests: 700,
    });
    expect([demo.asImplemented.evictedAtMs, demo.asImplemented.staleSeconds, demo.asImplemented.timedOutRequests]).toEqual([300_000, 200.002, 25]);
  });

  it("exercise: renewing every 5 s with a 15 s lease ends the stale window 60 s sooner for 6 × the heartbeats", async () => {
    const base = await runStaleCacheScenario();
    const fast = await runStaleCacheScenario({ renewalIntervalMs: 5_000, leaseDurationMs: 15_000 });
    expect(fast.options).toMatchObject({ renewalIntervalMs: 5_000, leaseDurationMs: 15_000, evictionIntervalMs: 60_000, refreshIntervalMs: 30_000 });
    // Last renewal 98 457, lease out at 113 457, then the same eviction, registry-cache and
    // client timers as before, one eviction period (60 s) earlier.
    expect(pick(fast)).toEqual({
      lastRenewal: 98_457,
      leaseExpiresAfter: 113_457,
      evicted: 145_539,
      registryCache: 173_713,
      cachesCleared: 182_126,
      stale: 82.126,
      timedOut: 10,
      failed: 0,
      deadPicks: 10,
      requests: 700,
    });
    // 8 instances × 60 s / 30 s = 16 renewals a minute by default; × 60 s / 5 s = 96.
    expect([base.renewalsPerMinute, fast.renewalsPerMinute]).toEqual([16, 96]);
    expect([base.renewalsReceived, fast.renewalsReceived]).toEqual([166, 1_000]);
    // Now the 60 s eviction interval is the longest wait; evicting every 15 s (phase 6 385)
    // removes it at 126 385 and ends the stale window 30 s sooner still.
    const faster = await runStaleCacheScenario({ renewalIntervalMs: 5_000, leaseDurationMs: 15_000, evictionIntervalMs: 15_000 });
    expect([faster.evictedAtMs, faster.registryCacheUpdatedAtMs, faster.staleSeconds, faster.timedOutRequests]).toEqual([126_385, 143_713, 52.126, 6]);
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
    expect([without.evictedAtMs, without.staleSeconds, without.timedOutRequests]).toEqual([205_539, 138.331, 47]);
  });

  it("is deterministic for a seed, also with the random strategy", async () => {
    const a = await runStaleCacheScenario({ strategy: "random", seed: 5 });
    const b = await runStaleCacheScenario({ strategy: "random", seed: 5 });
    const c = await runStaleCacheScenario({ strategy: "random", seed: 6 });
    expect(a.timedOutRequests).toBe(b.timedOutRequests);
    expect(a.timerPhasesMs).toEqual(b.timerPhasesMs);
    expect(a.sim.trace.text()).toBe(b.sim.trace.text());
    // About 1 in 8 of the requests during the stale window go to the dead instance.
    expect([a.staleSeconds, a.timedOutRequests, c.staleSeconds, c.timedOutRequests]).toEqual([134.878, 26, 138.84, 15]);
    expect(a.timerPhasesMs).toMatchObject({ "eureka eviction": 39_522, "web refresh": 24_876 });
  });

  it("compares client-side and server-side discovery: hops, registry load, staleness, where the logic lives", async () => {
    const cmp = await compareDiscoveryApproaches();
    const row = (r: StaleCacheRun) => [r.hopsPerRequest, r.meanLatencyMs, r.registryFetches, r.discoveryLogicIn, r.bestStaleSeconds, r.meanStaleSeconds, r.staleSeconds, r.deadPicks, r.timedOutRequests, r.failedRequests, r.requests];
    // 3 callers, each with its own cache on its own phase: the last one lets go 17.8 s after the first.
    expect(row(cmp.clientSide)).toEqual([1, 2, 73, ["web-1", "web-2", "web-3"], 142.126, 150.78, 159.922, 57, 57, 0, 2100]);
    expect(cmp.clientSide.cacheClearedAtMs).toEqual([242_126, 250_292, 259_922]);
    // One balancer cache for all of them: one set of fetches, one stale window.
    expect(row(cmp.serverSide)).toEqual([2, 4, 25, ["lb"], 142.126, 142.126, 142.126, 53, 53, 0, 2100]);
    const md = cmp[DISPLAY]()["text/markdown"]!;
    expect(md).toContain("| approach | hops/request | mean latency (ms) | registry fetches | discovery logic in | stale for (s), first–last | dead picks | timed out (info) | failed (5xx, refused) | requests |");
    expect(md).toContain("| client-side | 1 | 2 | 73 | web-1, web-2, web-3 | 142.126–159.922 | 57 | 57 | 0 | 2100 |");
    expect(md).toContain("| server-side | 2 | 4 | 25 | lb | 142.126 | 53 | 53 | 0 | 2100 |");
    expect(cmp.clientSide[DISPLAY]()["text/plain"]).toMatch(/the first client cache drops it\s+242\.126\s+142\.126\n.*the last client cache drops it\s+259\.922\s+159\.922/);
  });

  it("rejects bad options naming the parameter", async () => {
    await expect(runStaleCacheScenario({ instances: 0 })).rejects.toThrow("runStaleCacheScenario: instances must be a whole number ≥ 1, got 0");
    await expect(runStaleCacheScenario({ approach: "mesh" as never })).rejects.toThrow('runStaleCacheScenario: approach must be one of "client-side", "server-side", got "mesh"');
    await expect(runStaleCacheScenario({ requestTimeoutMs: 0 })).rejects.toThrow("runStaleCacheScenario: requestTimeoutMs must be a finite number > 0, got 0");
    await expect(runStaleCacheScenario({ renewalIntervalMs: 0 })).rejects.toThrow("runStaleCacheScenario: renewalIntervalMs must be a finite number > 0, got 0");
    await expect(runStaleCacheScenario({ phases: "jittered" as never })).rejects.toThrow('runStaleCacheScenario: phases must be one of "random", "aligned", got "jittered"');
  });
});
