import { describe, expect, it } from "vitest";
import { ConfigError, DISPLAY, Simulation, ok } from "../../../src/lab/index";
import {
  ConsulInstance,
  ConsulRegistry,
  DiscoveryClient,
  consulHttpCheckStatus,
  worstConsulStatus,
  type ConsulRegistryEvent,
  type ConsulRegistryOptions,
} from "../../../src/lab/discovery/index";

function consul(options: ConsulRegistryOptions = {}) {
  const sim = new Simulation({ seed: 1 });
  const registry = new ConsulRegistry(sim, options);
  const events: ConsulRegistryEvent[] = [];
  registry.onEvent((e) => events.push(e));
  const checkChanges = (id: string) => events.flatMap((e) => (e.type === "check" && e.id === id ? [`${e.at} ${e.from}→${e.to} ${e.output}`] : []));
  return { sim, registry, events, checkChanges };
}

describe("Consul check rules", () => {
  it("maps HTTP answers to check states and aggregates an instance as its worst check", () => {
    expect([200, 204, 429, 302, 404, 500, 503].map(consulHttpCheckStatus)).toEqual(["passing", "passing", "warning", "critical", "critical", "critical", "critical"]);
    expect(worstConsulStatus(["passing", "warning", "passing"])).toBe("warning");
    expect(worstConsulStatus(["warning", "critical"])).toBe("critical");
    expect(worstConsulStatus([])).toBe("passing");
  });
});

describe("Consul HTTP checks and health queries", () => {
  it("marks instances passing, warning and critical, and healthy-only queries leave the critical out", async () => {
    const { sim, registry, checkChanges } = consul();
    const instances = [1, 2, 3].map((i) => new ConsulInstance(sim, { service: "orders", id: `orders-${i}` }));
    instances[2]!.healthStatus = 429;
    sim.faults.crash("orders-2", { at: 15_000 });
    await sim.runUntil(30_004);
    // Registered at 1 ms (critical until checked), probed at once: passing/warning at 3 ms.
    expect(checkChanges("orders-1")).toEqual(["3 critical→passing HTTP 200"]);
    expect(checkChanges("orders-3")).toEqual(["3 critical→warning HTTP 429"]);
    // orders-2 answered the probes at 1 and 10 003 ms; the one at 20 005 ms times out after 10 s.
    expect(registry.entries("orders").map((e) => `${e.id} ${e.status}`)).toEqual(["orders-1 passing", "orders-2 passing", "orders-3 warning"]);
    await sim.runUntil(30_005);
    expect(checkChanges("orders-2")).toEqual(["3 critical→passing HTTP 200", "30005 passing→critical no answer within 10000 ms"]);

    expect(registry.healthy("orders").map((e) => e.id)).toEqual(["orders-1", "orders-3"]);
    expect(registry.healthy("orders", { passing: true }).map((e) => e.id)).toEqual(["orders-1"]);
    const client = sim.client("curl");
    const all = await sim.run(() => client.call("consul", "GET /v1/health/service/orders"));
    const passing = await sim.run(() => client.call("consul", "GET /v1/health/service/orders?passing"));
    expect((all.body as unknown[]).length).toBe(3);
    expect((passing.body as { id: string }[]).map((e) => e.id)).toEqual(["orders-1"]);
  });

  it("TCP checks pass while connections are accepted, without running the application, and fail across a partition", async () => {
    const { sim, checkChanges } = consul();
    let handled = 0;
    new ConsulInstance(sim, {
      service: "orders",
      id: "orders-1",
      checks: [{ kind: "tcp", intervalMs: 5_000, timeoutMs: 1_000 }],
      handler: () => {
        handled++;
        return ok();
      },
    });
    sim.faults.partition("consul", "orders-1", { at: 20_000 });
    sim.faults.heal("consul", "orders-1", { at: 30_000 });
    await sim.runUntil(40_000);
    // Probes at 1, 5 003, 10 005, 15 007 pass; the one at 20 009 is lost (critical at 21 009),
    // so is the one at 26 009; the one at 32 009 after the heal passes again.
    expect(checkChanges("orders-1")).toEqual(["3 critical→passing connection accepted", "21009 passing→critical no answer within 1000 ms", "32011 critical→passing connection accepted"]);
    expect(handled).toBe(0);
  });
});

describe("Consul TTL checks", () => {
  it("stays passing while the instance reports and turns critical one TTL after the last report", async () => {
    const { sim, checkChanges, registry } = consul();
    const instance = new ConsulInstance(sim, { service: "orders", id: "orders-1", checks: [{ kind: "ttl", ttlMs: 30_000 }] });
    sim.at(20_000, () => (instance.ttlStatus = "warning"));
    sim.faults.crash("orders-1", { at: 40_000 });
    await sim.runUntil(100_000);
    // First report right after registering (3 ms), then every 15 s (half the TTL): 15 001 pass,
    // 30 001 warn; after the crash the TTL runs out at 30 001 + 30 000.
    expect(checkChanges("orders-1")).toEqual(["3 critical→passing reported passing", "30001 passing→warning reported warning", "60001 warning→critical TTL expired"]);
    expect(registry.entries("orders")[0]!.checks[0]).toMatchObject({ id: "service:orders-1", kind: "ttl", status: "critical", criticalSince: 60_001 });
    expect(instance.ttlUpdatesSent).toBe(3);
  });

  it("starts critical unless told otherwise", async () => {
    const { sim, registry, checkChanges } = consul();
    registry.register({ id: "a", name: "orders", checks: [{ kind: "ttl", ttlMs: 30_000 }] });
    registry.register({ id: "b", name: "orders", checks: [{ kind: "ttl", ttlMs: 30_000, initialStatus: "passing" }] });
    expect(registry.entries("orders").map((e) => `${e.id} ${e.status}`)).toEqual(["a critical", "b passing"]);
    expect(registry.healthy("orders").map((e) => e.id)).toEqual(["b"]);
    await sim.runUntil(30_000);
    expect(checkChanges("b")).toEqual(["30000 passing→critical TTL expired"]);
    expect(registry.updateTtl("service:a", "passing")).toBe("ok");
    expect(registry.updateTtl("nope", "passing")).toBe("unknown");
  });
});

describe("Consul deregister_critical_service_after", () => {
  it("removes a service critical for longer than the timeout at the next 30 s reap", async () => {
    const { sim, registry, events } = consul();
    new ConsulInstance(sim, { service: "orders", id: "orders-1" });
    new ConsulInstance(sim, { service: "orders", id: "orders-2", checks: [{ kind: "http", intervalMs: 10_000, deregisterCriticalServiceAfterMs: 60_000 }] });
    sim.faults.crash("orders-2", { at: 15_000 });
    await sim.runUntil(200_000);
    // Critical since 30 005: 89 995 ms at the reap at 120 000 is the first time over 60 s.
    expect(events.filter((e) => e.type === "deregistered")).toEqual([{ type: "deregistered", at: 120_000, id: "orders-2", service: "orders", reason: "critical too long" }]);
    expect(registry.entries("orders").map((e) => e.id)).toEqual(["orders-1"]);
  });

  it("needs strictly longer than the timeout: critical for exactly 60 s at a reap is kept until the next one", async () => {
    const { sim, registry, events } = consul();
    // Critical from registration at t = 0 (no TTL report ever arrives).
    registry.register({ id: "a", name: "orders", checks: [{ kind: "ttl", ttlMs: 10_000, deregisterCriticalServiceAfterMs: 60_000 }] });
    await sim.runUntil(100_000);
    expect(events.find((e) => e.type === "deregistered")?.at).toBe(90_000);
  });

  it("raises a timeout below one minute to one minute, as Consul does", async () => {
    const { sim, events } = consul();
    new ConsulInstance(sim, { service: "orders", id: "orders-2", checks: [{ kind: "http", intervalMs: 10_000, deregisterCriticalServiceAfterMs: 10_000 }] });
    sim.faults.crash("orders-2", { at: 15_000 });
    await sim.runUntil(200_000);
    expect(events.find((e) => e.type === "deregistered")?.at).toBe(120_000);
  });

  it("keeps a critical service without the option registered", async () => {
    const { sim, registry } = consul();
    new ConsulInstance(sim, { service: "orders", id: "orders-2" });
    sim.faults.crash("orders-2", { at: 15_000 });
    await sim.runUntil(600_000);
    expect(registry.entries("orders").map((e) => `${e.id} ${e.status}`)).toEqual(["orders-2 critical"]);
  });
});

describe("Consul as a discovery source", () => {
  it("a client's cache leaves out critical instances (and warnings with clientQuery passing), a refresh late", async () => {
    for (const [clientQuery, at30, at60] of [
      ["not-critical", ["orders-1", "orders-2", "orders-3"], ["orders-1", "orders-3"]],
      ["passing", ["orders-1", "orders-2"], ["orders-1"]],
    ] as const) {
      const { sim, registry } = consul({ clientQuery });
      const instances = [1, 2, 3].map((i) => new ConsulInstance(sim, { service: "orders", id: `orders-${i}` }));
      instances[2]!.healthStatus = 429;
      const client = new DiscoveryClient(sim, { name: "web", service: "orders", registry });
      sim.faults.crash("orders-2", { at: 15_000 });
      // The first fetch (1 ms) sees only critical checks: a new instance gets no traffic before its first passing check.
      await sim.runUntil(2);
      expect(client.cache.instances).toEqual([]);
      // orders-2 turns critical at 30 005, after the fetch at 30 001: it stays cached until 60 002.
      await sim.runUntil(30_002);
      expect(client.cache.instances.map((i) => i.id)).toEqual(at30);
      await sim.runUntil(60_002);
      expect(client.cache.instances.map((i) => i.id)).toEqual(at60);
    }
  });
});

describe("Consul display and configuration", () => {
  it("shows each instance's checks as a table", async () => {
    const { sim, registry } = consul();
    new ConsulInstance(sim, { service: "orders", id: "orders-1" });
    new ConsulInstance(sim, { service: "orders", id: "orders-2" });
    sim.faults.crash("orders-2", { at: 15_000 });
    await sim.runUntil(40_000);
    const md = registry[DISPLAY]()["text/markdown"]!;
    expect(md).toContain("| orders | orders-1 | passing | service:orders-1 | http | passing | HTTP 200 |  |");
    expect(md).toContain("| orders | orders-2 | critical | service:orders-2 | http | critical | no answer within 10000 ms | 30.005 |");
  });

  it("rejects bad checks and options naming the parameter", () => {
    const sim = new Simulation();
    expect(() => new ConsulRegistry(sim, { reapIntervalMs: 0 })).toThrow(new ConfigError("ConsulRegistry", "reapIntervalMs", 0, "a finite number > 0"));
    expect(() => new ConsulRegistry(sim, { clientQuery: "healthy" as never })).toThrow("ConsulRegistry: clientQuery must be");
    const registry = new ConsulRegistry(sim);
    expect(() => new ConsulInstance(sim, { service: "orders", id: "a", checks: [{ kind: "ttl", ttlMs: 0 }] })).toThrow("ConsulInstance: check.ttlMs must be a finite number > 0, got 0");
    expect(() => new ConsulInstance(sim, { service: "orders", id: "b", checks: [{ kind: "http", intervalMs: Number.NaN }] })).toThrow("ConsulInstance: check.intervalMs must be a finite number > 0, got NaN");
    expect(() => registry.register({ id: "c", name: "orders", checks: [{ kind: "tcp", intervalMs: 1_000, deregisterCriticalServiceAfterMs: -5 }] })).toThrow(
      "ConsulRegistry.register: check.deregisterCriticalServiceAfterMs must be a finite number > 0, got -5",
    );
    expect(() => registry.register({ id: "d", name: "orders", checks: [{ kind: "grpc" } as never] })).toThrow('ConsulRegistry.register: check.kind must be one of "ttl", "http", "tcp", got "grpc"');
  });
});
