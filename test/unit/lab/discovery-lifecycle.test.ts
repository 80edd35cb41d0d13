import { describe, expect, it } from "vitest";
import { ConfigError, Simulation, SimulationError } from "../../../src/lab/index";
import { ConsulInstance, ConsulRegistry, DiscoveryClient, EurekaInstance, EurekaRegistry, ServerSideLoadBalancer } from "../../../src/lab/discovery/index";

describe("registry references", () => {
  it("clients and balancers take a registry object or its node name, like instances do", async () => {
    const sim = new Simulation({ seed: 3 });
    const eureka = new EurekaRegistry(sim);
    const consul = new ConsulRegistry(sim);
    new EurekaInstance(sim, { app: "orders", id: "orders-1", registry: "eureka" });
    new ConsulInstance(sim, { service: "payments", id: "payments-1", registry: consul, checks: [] });
    const byName = new DiscoveryClient(sim, { name: "web", service: "orders", registry: "eureka" });
    const byObject = new DiscoveryClient(sim, { name: "app", service: "orders", registry: eureka });
    const lb = new ServerSideLoadBalancer(sim, { service: "payments", registry: "consul" });
    await sim.runUntil(1_000);
    expect(byName.cache.registry).toBe(eureka);
    expect(lb.cache.registry).toBe(consul);
    expect([byName, byObject, lb].map((c) => c.cache.instances.map((i) => i.id))).toEqual([["orders-1"], ["orders-1"], ["payments-1"]]);
  });

  it("rejects a registry that is not there with an error naming `registry`", () => {
    const sim = new Simulation();
    new EurekaRegistry(sim);
    sim.service("plain", () => "hi");
    const other = new Simulation();
    expect(() => new DiscoveryClient(sim, { name: "web", service: "orders", registry: "consul" })).toThrow(
      new ConfigError("DiscoveryClient", "registry", "consul", "a EurekaRegistry or ConsulRegistry, or the node name of one built on this simulation (known: eureka)"),
    );
    // A node that is not a registry, or a registry built on another simulation, does not count.
    expect(() => new ServerSideLoadBalancer(sim, { service: "orders", registry: "plain" })).toThrow("ServerSideLoadBalancer: registry must be a EurekaRegistry or ConsulRegistry");
    expect(() => new DiscoveryClient(other, { name: "web", service: "orders", registry: "eureka" })).toThrow("(known: none), got \"eureka\"");
    expect(() => new DiscoveryClient(sim, { name: "web", service: "orders", registry: { name: "eureka" } as never })).toThrow(
      'DiscoveryClient: registry must be a EurekaRegistry or ConsulRegistry, or the node name of one built on this simulation, got {"name":"eureka"}',
    );
    expect(() => new EurekaInstance(sim, { app: "orders", id: "o1", registry: "nowhere" })).toThrow(
      new ConfigError("EurekaInstance", "registry", "nowhere", "the registry object or the node name of a registry built on this simulation (build the registry first)"),
    );
    expect(() => new ConsulInstance(sim, { service: "orders", id: "o2" })).toThrow('ConsulInstance: registry must be the registry object or the node name of a registry built on this simulation (build the registry first), got "consul"');
    // Nothing half-built was left behind by the failed constructors.
    expect(sim.hasNode("web") || sim.hasNode("lb") || sim.hasNode("o1")).toBe(false);
  });
});

describe("timer phases", () => {
  it("the first renewal, eviction run and response-cache refresh come at their phase, then every interval", async () => {
    const sim = new Simulation({ seed: 3 });
    const registry = new EurekaRegistry(sim, { evictionPhaseMs: 7_000, responseCacheUpdatePhaseMs: 12_000 });
    new EurekaInstance(sim, { app: "orders", id: "orders-1", renewalPhaseMs: 4_000 });
    new EurekaInstance(sim, { app: "orders", id: "orders-2", registerAfterMs: 5_000, renewalPhaseMs: 1_000 });
    const events: string[] = [];
    registry.onEvent((e) => {
      if (e.type === "eviction-run") events.push(`evict@${e.at}`);
      if (e.type === "response-cache-updated") events.push(`cache@${e.at}:${e.ids.join("+")}`);
    });
    await sim.runUntil(2_000);
    expect(registry.lookup("orders").map((i) => i.id)).toEqual(["orders-1"]);
    await sim.runUntil(70_000);
    expect(events).toEqual(["evict@7000", "cache@12000:orders-1+orders-2", "evict@67000"]);
    const renewed = Object.fromEntries(registry.leases("orders").map((l) => [l.id, l.lastRenewedAt]));
    // orders-1 renews at 4 000 + k × 30 000, orders-2 at 5 000 + 1 000 + k × 30 000 (+1 ms each).
    expect(renewed).toEqual({ "orders-1": 64_001, "orders-2": 66_001 });
    expect(registry.options).toMatchObject({ evictionPhaseMs: 7_000, responseCacheUpdatePhaseMs: 12_000 });
    expect(() => new EurekaRegistry(sim, { name: "eureka-2", evictionPhaseMs: -5 })).toThrow("EurekaRegistry: evictionPhaseMs must be a finite number ≥ 0, got -5");
    expect(() => new EurekaInstance(sim, { app: "orders", id: "orders-3", renewalPhaseMs: Number.NaN })).toThrow("EurekaInstance: renewalPhaseMs must be a finite number ≥ 0, got NaN");
  });

  it("defaults to one interval, so components built together tick in step", () => {
    const sim = new Simulation();
    const registry = new EurekaRegistry(sim);
    expect(registry.options).toMatchObject({ evictionPhaseMs: 60_000, responseCacheUpdatePhaseMs: 30_000 });
  });
});

describe("stop()", () => {
  function world(maxEvents?: number) {
    const sim = new Simulation({ seed: 3, ...(maxEvents === undefined ? {} : { maxEvents }) });
    const eureka = new EurekaRegistry(sim);
    const consul = new ConsulRegistry(sim);
    const orders = [1, 2].map((i) => new EurekaInstance(sim, { app: "orders", id: `orders-${i}`, registry: eureka }));
    const payments = [
      new ConsulInstance(sim, { service: "payments", id: "payments-1", registry: consul, checks: [{ kind: "ttl", ttlMs: 10_000 }] }),
      new ConsulInstance(sim, { service: "payments", id: "payments-2", registry: consul, checks: [{ kind: "http", intervalMs: 10_000 }] }),
    ];
    const client = new DiscoveryClient(sim, { name: "web", service: "orders", registry: eureka });
    const lb = new ServerSideLoadBalancer(sim, { service: "payments", registry: consul });
    return { sim, eureka, consul, orders, payments, client, lb };
  }

  it("without stop() a bare sim.run() never empties its schedule", async () => {
    const { sim } = world(2_000);
    await sim.runUntil(60_000);
    await expect(sim.run()).rejects.toThrow(SimulationError);
  });

  it("after stop() on every component a bare sim.run() finishes, and no periodic work runs any more", async () => {
    // A small event budget, so a timer that stop() missed fails the test quickly.
    const w = world(20_000);
    await w.sim.runUntil(60_000);
    const renewalsBefore = w.orders.map((o) => o.stats.renewalsSent);
    const fetchesBefore = [w.client.cache.stats.fetches, w.lb.cache.stats.fetches];
    for (const component of [w.eureka, w.consul, ...w.orders, ...w.payments, w.client, w.lb]) component.stop();
    await w.sim.run();
    expect(w.sim.pendingEvents).toBe(0);
    // The last event ends the HTTP check's sleep that was under way at the stop (probes start at
    // 1 + k × 10 002 ms: 2 ms per probe, then 10 s); its loop then sees the stop and ends.
    expect(w.sim.now).toBe(60_013);
    expect(w.orders.map((o) => o.stats.renewalsSent)).toEqual(renewalsBefore);
    expect([w.client.cache.stats.fetches, w.lb.cache.stats.fetches]).toEqual(fetchesBefore);
    expect(renewalsBefore).toEqual([2, 2]);
    // Stopped components still answer: the registries serve reads, the client still calls.
    const body = await w.sim.run(async () => (await w.client.call("GET /orders")).body);
    expect(body).toEqual({ instance: "orders-1" });
    expect(w.consul.healthy("payments").map((e) => e.id)).toEqual(["payments-1", "payments-2"]);
  });
});
