import { describe, expect, it } from "vitest";
import { ConfigError, DISPLAY, Simulation } from "../../../src/lab/index";
import {
  EurekaInstance,
  EurekaRegistry,
  expectedRenewsPerMinute,
  leaseExpiresAt,
  renewalThreshold,
  type EurekaRegistryEvent,
  type EurekaRegistryOptions,
} from "../../../src/lab/discovery/index";

function setup(instances: number, options: EurekaRegistryOptions = {}) {
  const sim = new Simulation({ seed: 1 });
  const registry = new EurekaRegistry(sim, options);
  const events: EurekaRegistryEvent[] = [];
  registry.onEvent((e) => events.push(e));
  const list = Array.from({ length: instances }, (_, i) => new EurekaInstance(sim, { app: "orders", id: `orders-${i + 1}` }));
  const evictedAt = (id: string) => events.find((e) => e.type === "evicted" && e.id === id)?.at;
  return { sim, registry, events, instances: list, evictedAt };
}

describe("Eureka registration and renewal", () => {
  it("registers over the network and renews every 30 s", async () => {
    const { sim, registry, instances } = setup(1);
    await sim.runUntil(1);
    // The registration crosses a 1 ms link.
    expect(registry.leases("orders")).toMatchObject([{ id: "orders-1", status: "UP", registeredAt: 1, lastRenewedAt: undefined, expiresAt: 90_001 }]);
    await sim.runUntil(95_000);
    const [lease] = registry.leases("orders");
    expect(lease).toMatchObject({ renewals: 3, lastRenewedAt: 90_001, expiresAt: 180_001, expired: false });
    expect(instances[0]!.stats).toEqual({ registrations: 1, renewalsSent: 3, renewalsAccepted: 3, renewalsNotFound: 0, registryTimeouts: 0 });
    expect(sim.trace.events.filter((e) => e.kind === "state" && e.from === "eureka").map((e) => `${e.time} ${e.summary}`)).toContain("1 registered orders/orders-1 UP");
  });

  it("answers a renewal of an unknown instance with 404, and the instance registers again", async () => {
    const { sim, registry, instances } = setup(1);
    // The registry restarts empty (no peers to copy from) between two heartbeats.
    sim.faults.crash("eureka", { at: 50_000, loseState: true });
    sim.faults.restart("eureka", { at: 51_000 });
    await sim.runUntil(59_999);
    expect(registry.size).toBe(0);
    await sim.runUntil(61_000);
    expect(instances[0]!.stats).toMatchObject({ registrations: 2, renewalsSent: 2, renewalsAccepted: 1, renewalsNotFound: 1 });
    // 404 at 60 002, registration sent then and received at 60 003.
    expect(registry.leases("orders")).toMatchObject([{ id: "orders-1", registeredAt: 60_003 }]);
  });

  it("drops a cancelled instance at once but serves the old list from its response cache until the next refresh", async () => {
    const { sim, registry, instances } = setup(2);
    await sim.runUntil(45_000);
    expect(registry.lookup("orders").map((i) => i.id)).toEqual(["orders-1", "orders-2"]);
    await sim.run(() => instances[0]!.shutdown());
    expect(registry.liveInstances("orders").map((i) => i.id)).toEqual(["orders-2"]);
    expect(registry.lookup("orders").map((i) => i.id)).toEqual(["orders-1", "orders-2"]);
    await sim.runUntil(60_000);
    expect(registry.lookup("orders").map((i) => i.id)).toEqual(["orders-2"]);
  });

  it("serves the live registry when the read-only response cache is off", async () => {
    const { sim, registry, instances } = setup(2, { useReadOnlyResponseCache: false });
    await sim.runUntil(45_000);
    await sim.run(() => instances[0]!.shutdown());
    expect(registry.lookup("orders").map((i) => i.id)).toEqual(["orders-2"]);
  });
});

describe("Eureka lease expiry and eviction", () => {
  it("computes lease expiry as documented and as implemented", () => {
    expect(leaseExpiresAt({ registeredAt: 0, lastRenewedAt: 30_000, durationMs: 90_000 }, "documented")).toBe(120_000);
    expect(leaseExpiresAt({ registeredAt: 0, lastRenewedAt: 30_000, durationMs: 90_000 }, "as-implemented")).toBe(210_000);
    // A lease never renewed expires one duration after registration in both modes.
    expect(leaseExpiresAt({ registeredAt: 5_000, lastRenewedAt: undefined, durationMs: 90_000 }, "as-implemented")).toBe(95_000);
  });

  it("evicts at the first eviction run after last renewal + 90 s (documented)", async () => {
    const { sim, evictedAt, events } = setup(1, { enableSelfPreservation: false });
    // Heartbeats stop reaching the registry after the one received at 90 001.
    sim.faults.partition("orders-1", "eureka", { at: 100_000 });
    await sim.runUntil(400_000);
    // Expired from 180 001 on; eviction runs at 60 s multiples: 180 000 is too early, 240 000 evicts.
    expect(evictedAt("orders-1")).toBe(240_000);
    expect(events.filter((e) => e.type === "eviction-run" && e.at <= 240_000).map((e) => e.type === "eviction-run" && e.evicted)).toEqual([0, 0, 0, 1]);
    expect(sim.trace.events.some((e) => e.summary === "evicted orders/orders-1 (lease expired after t=180001 ms)")).toBe(true);
  });

  it("evicts only after last renewal + 180 s with the real (as-implemented) expiry", async () => {
    const { sim, evictedAt } = setup(1, { enableSelfPreservation: false, leaseExpiry: "as-implemented" });
    sim.faults.partition("orders-1", "eureka", { at: 100_000 });
    await sim.runUntil(400_000);
    // Expired from 270 001 on: the run at 300 000 evicts.
    expect(evictedAt("orders-1")).toBe(300_000);
  });

  it("needs strictly more than the lease duration: a lease that expires exactly at a run survives it", async () => {
    const sim = new Simulation();
    const registry = new EurekaRegistry(sim, { enableSelfPreservation: false });
    const evicted: number[] = [];
    registry.onEvent((e) => e.type === "evicted" && evicted.push(e.at));
    registry.register("orders", { id: "a", leaseDurationMs: 90_000 });
    sim.at(30_000, () => registry.renew("orders", "a"));
    await sim.runUntil(200_000);
    // Expires after 120 000; the run at 120 000 does not evict (120 000 > 120 000 is false), 180 000 does.
    expect(evicted).toEqual([180_000]);
  });

  it("evicts at most size − floor(size × 85 %) leases per run", async () => {
    const { sim, events } = setup(10, { enableSelfPreservation: false });
    for (let i = 1; i <= 5; i++) sim.faults.crash(`orders-${i}`, { at: 100_000 });
    await sim.runUntil(400_000);
    const runs = events.filter((e) => e.type === "eviction-run" && e.evicted > 0).map((e) => e.type === "eviction-run" && [e.at, e.expired, e.evicted]);
    // 10 → limit 2; 8 → limit 2; 6 → limit 1 (6 − floor(5.1)).
    expect(runs).toEqual([
      [240_000, 5, 2],
      [300_000, 3, 2],
      [360_000, 1, 1],
    ]);
  });
});

describe("Eureka self-preservation", () => {
  it("computes expected renewals and the threshold as Eureka does", () => {
    expect(expectedRenewsPerMinute(10, 30_000)).toBe(20);
    expect(renewalThreshold(10, 30_000, 0.85)).toBe(17);
    expect(renewalThreshold(8, 30_000, 0.85)).toBe(13);
    expect(renewalThreshold(3, 30_000, 0.85)).toBe(5);
    expect(renewalThreshold(1, 30_000, 0.85)).toBe(1);
  });

  it("stops evictions when 4 of 10 instances die (12 renewals ≤ threshold 17) and resumes when renewals exceed it", async () => {
    const { sim, registry, events } = setup(10);
    for (let i = 1; i <= 4; i++) {
      sim.faults.crash(`orders-${i}`, { at: 100_000 });
      sim.faults.restart(`orders-${i}`, { at: 400_000 });
    }
    await sim.runUntil(360_000);
    const check = registry.selfPreservationCheck();
    expect(check).toEqual({ expectedInstances: 10, expectedRenewsPerMinute: 20, threshold: 17, renewalsLastMinute: 12, evictionAllowed: false });
    expect(registry.selfPreservationActive).toBe(true);
    // The dead leases expired long ago (after 180 001) but nothing was evicted.
    expect(registry.leases("orders").filter((l) => l.expired).map((l) => l.id)).toEqual(["orders-1", "orders-2", "orders-3", "orders-4"]);
    expect(events.some((e) => e.type === "evicted")).toBe(false);

    await sim.runUntil(500_000);
    const changes = events.filter((e) => e.type === "self-preservation").map((e) => e.type === "self-preservation" && [e.at, e.active, e.check.renewalsLastMinute]);
    // On at start-up (one renewal each in the first minute), off once two arrive, on at the first
    // run whose minute (120 s, 180 s] lacks the dead four — before their leases even expire — and
    // off again once the restarted instances renew: (420 s, 480 s] holds 2 × 10 renewals.
    expect(changes).toEqual([
      [60_000, true, 10],
      [120_000, false, 20],
      [180_000, true, 12],
      [480_000, false, 20],
    ]);
    expect(registry.size).toBe(10);
    expect(sim.trace.events.some((e) => e.summary === "self-preservation ON: 12 renewals in the last minute ≤ threshold 17")).toBe(true);
  });

  it("still evicts when 1 of 10 dies (18 renewals > 17)", async () => {
    const { sim, registry, evictedAt } = setup(10);
    sim.faults.crash("orders-1", { at: 100_000 });
    await sim.runUntil(240_000);
    expect(evictedAt("orders-1")).toBe(240_000);
    expect(registry.size).toBe(9);
  });

  it("needs strictly more renewals than the threshold: 1 dead of 6 gives 10 = 10 (kept), 1 dead of 7 gives 12 > 11 (evicted)", async () => {
    const six = setup(6);
    six.sim.faults.crash("orders-1", { at: 100_000 });
    await six.sim.runUntil(600_000);
    expect(six.evictedAt("orders-1")).toBeUndefined();
    expect(six.registry.selfPreservationCheck()).toMatchObject({ expectedRenewsPerMinute: 12, threshold: 10, renewalsLastMinute: 10, evictionAllowed: false });
    const seven = setup(7);
    seven.sim.faults.crash("orders-1", { at: 100_000 });
    await seven.sim.runUntil(600_000);
    expect(seven.evictedAt("orders-1")).toBe(240_000);
  });

  it("never evicts the last dead instance of three: 4 renewals ≤ threshold 5", async () => {
    const { sim, registry, evictedAt } = setup(3);
    sim.faults.crash("orders-1", { at: 100_000 });
    await sim.runUntil(900_000);
    expect(evictedAt("orders-1")).toBeUndefined();
    expect(registry.selfPreservationCheck()).toMatchObject({ threshold: 5, renewalsLastMinute: 4, evictionAllowed: false });
  });
});

describe("Eureka display and configuration", () => {
  it("shows the registry as a table of instances with status, last renewal and lease expiry", async () => {
    const { sim, registry } = setup(2);
    sim.faults.crash("orders-2", { at: 50_000 });
    await sim.runUntil(150_000);
    const md = registry[DISPLAY]()["text/markdown"]!;
    expect(md).toContain("| app | instance | status | registered (s) | last renewal (s) | lease expires after (s) | expired |");
    expect(md).toContain("| orders | orders-1 | UP | 0.001 | 120.001 | 210.001 | no |");
    expect(md).toContain("| orders | orders-2 | UP | 0.001 | 30.001 | 120.001 | yes |");
    expect(md).toContain("threshold 3 (2 × 2 × 0.85, rounded down)");
    expect(md).toContain("self-preservation ON");
  });

  it("rejects bad options naming the parameter", () => {
    const sim = new Simulation();
    expect(() => new EurekaRegistry(sim, { evictionIntervalMs: 0 })).toThrow(new ConfigError("EurekaRegistry", "evictionIntervalMs", 0, "a finite number > 0"));
    expect(() => new EurekaRegistry(sim, { leaseExpiry: "twice" as never })).toThrow('EurekaRegistry: leaseExpiry must be one of "documented", "as-implemented", got "twice"');
    expect(() => new EurekaRegistry(sim, { renewalPercentThreshold: 1.5 })).toThrow("EurekaRegistry: renewalPercentThreshold must be a number from 0 to 1, got 1.5");
    new EurekaRegistry(sim);
    expect(() => new EurekaInstance(sim, { app: "orders", id: "o1", renewalIntervalMs: -1 })).toThrow("EurekaInstance: renewalIntervalMs must be a finite number > 0, got -1");
    expect(() => new EurekaInstance(sim, { app: "", id: "o1" })).toThrow(ConfigError);
    expect(() => new EurekaInstance(sim, { app: "orders", id: "o1", registry: "nowhere" })).toThrow(/EurekaInstance: registry must be the registry object or the node name of a registry/);
  });
});
