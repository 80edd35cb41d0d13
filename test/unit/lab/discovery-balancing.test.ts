import { describe, expect, it } from "vitest";
import { ConfigError, DISPLAY, Random, Simulation, TimeoutError, RejectedError, response } from "../../../src/lab/index";
import {
  DiscoveryClient,
  EurekaInstance,
  EurekaRegistry,
  LeastOutstandingBalancer,
  RandomBalancer,
  RoundRobinBalancer,
  ServerSideLoadBalancer,
  balancerStrategy,
  type BalancerContext,
  type DiscoveredInstance,
} from "../../../src/lab/discovery/index";

const list: DiscoveredInstance[] = ["a", "b", "c"].map((id) => ({ id, service: "orders", node: id, status: "UP" }));

function context(outstanding: Record<string, number> = {}, random = new Random(42)): BalancerContext {
  return { random, outstanding: (id) => outstanding[id] ?? 0 };
}

describe("balancing strategies", () => {
  it("round robin goes through the list in order and wraps", () => {
    const rr = new RoundRobinBalancer();
    expect(Array.from({ length: 7 }, () => rr.choose(list)!.id)).toEqual(["a", "b", "c", "a", "b", "c", "a"]);
    expect(rr.choose([])).toBeUndefined();
  });

  it("random draws from its own seeded stream: the same seed gives the same sequence", () => {
    const pick = (seed: number) => {
      const r = new RandomBalancer(new Random(seed));
      return Array.from({ length: 10 }, () => r.choose(list, context())!.id).join("");
    };
    const reference = new Random(42);
    const expected = Array.from({ length: 10 }, () => list[reference.int(0, 2)]!.id).join("");
    expect(pick(42)).toBe(expected);
    expect(pick(42)).toBe("abaabcccbc");
    expect(pick(7)).not.toBe(pick(42));
  });

  it("random without a stream of its own forks the context's source once, at its first pick", () => {
    const shared = new Random(42);
    const r = new RandomBalancer();
    const picks = Array.from({ length: 10 }, () => r.choose(list, context({}, shared))!.id).join("");
    const reference = new Random(42);
    const fork = reference.fork();
    expect(picks).toBe(Array.from({ length: 10 }, () => list[fork.int(0, 2)]!.id).join(""));
    // Only the fork drew from the shared source: it is one number ahead, no more.
    expect(shared.next()).toBe(reference.next());
  });

  it("peek shows the next pick without moving any strategy on", () => {
    const strategies = () => [new RoundRobinBalancer(), new RandomBalancer(new Random(9)), new LeastOutstandingBalancer()];
    const plain = strategies().map((b) => Array.from({ length: 6 }, () => b.choose(list, context())!.id).join(""));
    const peeked = strategies().map((b) =>
      Array.from({ length: 6 }, () => {
        const first = b.peek(list, context())!.id;
        expect(b.peek(list, context())!.id).toBe(first);
        const chosen = b.choose(list, context())!.id;
        expect(chosen).toBe(first);
        return chosen;
      }).join(""),
    );
    expect(peeked).toEqual(plain);
    expect(plain).toEqual(["abcabc", "ccaccb", "abcabc"]);
    expect(new RoundRobinBalancer().peek([])).toBeUndefined();
  });

  it("least outstanding picks the idle instance, and shares ties round robin", () => {
    const lo = new LeastOutstandingBalancer();
    expect(lo.choose(list, context({ a: 2, b: 0, c: 1 }))!.id).toBe("b");
    expect(lo.choose(list, context({ a: 0, b: 3, c: 3 }))!.id).toBe("a");
    const ties = new LeastOutstandingBalancer();
    expect(Array.from({ length: 4 }, () => ties.choose(list, context())!.id)).toEqual(["a", "b", "c", "a"]);
  });

  it("builds strategies by name and rejects unknown names", () => {
    expect(balancerStrategy("round-robin").name).toBe("round-robin");
    expect(balancerStrategy("least-outstanding")).toBeInstanceOf(LeastOutstandingBalancer);
    const own = { name: "first", choose: (i: readonly DiscoveredInstance[]) => i[0], peek: (i: readonly DiscoveredInstance[]) => i[0] };
    expect(balancerStrategy(own)).toBe(own);
    expect(() => balancerStrategy({ name: "first", choose: own.choose } as never, "DiscoveryClient")).toThrow(
      'DiscoveryClient: strategy must be a strategy name or an object with choose() and peek() methods, got {"name":"first"}',
    );
    expect(() => balancerStrategy("fastest" as never, "DiscoveryClient")).toThrow(
      new ConfigError("DiscoveryClient", "strategy", "fastest", 'one of "round-robin", "random", "least-outstanding"'),
    );
  });
});

function eureka(instances: number, options: { slow?: Record<string, number> } = {}) {
  const sim = new Simulation({ seed: 3 });
  const registry = new EurekaRegistry(sim);
  for (let i = 1; i <= instances; i++) {
    const id = `orders-${i}`;
    new EurekaInstance(sim, { app: "orders", id, serviceTime: options.slow?.[id] ?? 0 });
  }
  return { sim, registry };
}

describe("client-side discovery", () => {
  it("fetches the registry at start and every 30 s, and calls the chosen instance directly", async () => {
    const { sim, registry } = eureka(3);
    const client = new DiscoveryClient(sim, { name: "web", service: "orders", registry });
    const refreshes: number[] = [];
    client.onRefresh((e) => refreshes.push(e.at));
    await sim.runUntil(95_000);
    expect(refreshes).toEqual([2, 30_002, 60_002, 90_002]);
    expect(client.cache.stats).toEqual({ fetches: 4, fetchFailures: 0 });
    const bodies = await sim.run(async () => {
      const out: unknown[] = [];
      for (let i = 0; i < 4; i++) out.push((await client.call("GET /orders")).body);
      return out;
    });
    expect(bodies).toEqual([{ instance: "orders-1" }, { instance: "orders-2" }, { instance: "orders-3" }, { instance: "orders-1" }]);
    expect(client.hopsPerRequest).toBe(1);
    const md = client[DISPLAY]()["text/markdown"]!;
    expect(md).toContain("cache of orders: orders-1, orders-2, orders-3; last refresh t=90.002 s");
    expect(md).toContain("| 4 | 4 | 0 | 0 | 0 | 1 | 4 |");
    expect(sim.trace.events.filter((e) => e.kind === "request" && e.from === "web" && e.summary === "GET /orders").map((e) => e.to)).toEqual(["orders-1", "orders-2", "orders-3", "orders-1"]);
  });

  it("refreshes on its own phase: a fetch at once, then at refreshPhaseMs and every interval after", async () => {
    const { sim, registry } = eureka(1);
    const client = new DiscoveryClient(sim, { name: "web", service: "orders", registry, refreshPhaseMs: 7_000 });
    const refreshes: number[] = [];
    client.onRefresh((e) => refreshes.push(e.at));
    await sim.runUntil(95_000);
    expect(refreshes).toEqual([2, 7_002, 37_002, 67_002]);
    expect(() => new DiscoveryClient(sim, { name: "web-2", service: "orders", registry, refreshPhaseMs: -1 })).toThrow("DiscoveryClient: refreshPhaseMs must be a finite number ≥ 0, got -1");
  });

  it("peek shows where the next request goes and changes nothing: same picks, same random numbers afterwards", async () => {
    const run = async (strategy: "round-robin" | "random" | "least-outstanding", peeks: number) => {
      const { sim, registry } = eureka(4);
      const client = new DiscoveryClient(sim, { name: "web", service: "orders", registry, strategy });
      await sim.runUntil(1_000);
      const peeked: string[] = [];
      const sent = await sim.run(async () => {
        const out: string[] = [];
        for (let i = 0; i < 8; i++) {
          for (let k = 0; k < peeks; k++) peeked.push(client.peek()!.id);
          out.push(((await client.call("GET /orders")).body as { instance: string }).instance.replace("orders-", ""));
        }
        return out.join("");
      });
      return { sent, peeked, requests: client.stats.requests, next: sim.random.next() };
    };
    for (const strategy of ["round-robin", "random", "least-outstanding"] as const) {
      const plain = await run(strategy, 0);
      const peeking = await run(strategy, 3);
      expect(peeking.sent).toBe(plain.sent);
      expect(peeking.requests).toBe(8);
      // The shared random source is where it would have been without the peeks.
      expect(peeking.next).toBe(plain.next);
      expect(peeking.peeked.join("")).toBe([...plain.sent].map((n) => `orders-${n}`.repeat(3)).join(""));
    }
    expect((await run("random", 0)).sent).toBe("23112122");
    expect((await run("round-robin", 0)).sent).toBe("12341234");
  });

  it("counts a 5xx as failed and a timeout as timed out (outcome unknown), never both", async () => {
    const sim = new Simulation({ seed: 3 });
    const registry = new EurekaRegistry(sim);
    new EurekaInstance(sim, { app: "orders", id: "orders-1", handler: () => response(500, { error: "boom" }) });
    new EurekaInstance(sim, { app: "orders", id: "orders-2", serviceTime: 5_000 });
    const client = new DiscoveryClient(sim, { name: "web", service: "orders", registry, requestTimeoutMs: 1_000 });
    await sim.runUntil(1_000);
    const outcomes = await sim.run(async () => [
      (await client.call()).status,
      await client.call().then(
        (r) => r.status,
        (e: unknown) => (e instanceof TimeoutError ? "timeout" : "other"),
      ),
    ]);
    expect(outcomes).toEqual([500, "timeout"]);
    expect(client.stats).toMatchObject({ requests: 2, succeeded: 0, failed: 1, timedOut: 1, deadPicks: 0 });
    const md = client[DISPLAY]()["text/markdown"]!;
    expect(md).toContain("| requests | succeeded | failed (5xx, refused) | timed out (info) | dead picks | hops/request | registry fetches |");
    expect(md).toContain("| 2 | 0 | 1 | 1 | 0 | 1 | 1 |");
  });

  it("refreshes on its own interval and keeps the old list when a fetch fails", async () => {
    const { sim, registry } = eureka(2);
    const client = new DiscoveryClient(sim, { name: "web", service: "orders", registry, refreshIntervalMs: 10_000, registryTimeoutMs: 1_000 });
    sim.faults.partition("web", "eureka", { at: 15_000 });
    await sim.runUntil(35_000);
    // Fetches at 0 and 10 000 succeed; 20 000 and 30 000 time out.
    expect(client.cache.stats).toEqual({ fetches: 4, fetchFailures: 2 });
    expect(client.cache.instances.map((i) => i.id)).toEqual(["orders-1", "orders-2"]);
    expect(client.cache.lastRefreshAt).toBe(10_002);
  });

  it("keeps sending requests to a crashed instance until its cache refreshes, and counts them", async () => {
    const { sim, registry } = eureka(8);
    const client = new DiscoveryClient(sim, { name: "web", service: "orders", registry, requestTimeoutMs: 1_000 });
    sim.faults.crash("orders-1", { at: 100_000 });
    const outcomes = { ok: 0, timeout: 0 };
    sim.every(1_000, () => {
      client.call().then(
        () => outcomes.ok++,
        (e) => e instanceof TimeoutError && outcomes.timeout++,
      );
    });
    // Half a second past the 400th request, so its answer is in.
    await sim.runUntil(400_500);
    // Round robin over 8 sends orders-1 the requests at 1 000 + k × 8 000 ms: from 105 000 until
    // the cache drops it at 240 002 (evicted at 240 000, expired after 90 001 + 90 000), 17 of them.
    // A dead instance does not answer: each of these calls timed out (outcome unknown), none failed outright.
    expect(client.stats).toMatchObject({ requests: 400, deadPicks: 17, failed: 0, timedOut: 17, firstDeadPickAt: 105_000, lastDeadPickAt: 233_000 });
    expect(outcomes).toEqual({ ok: 383, timeout: 17 });
    expect(client.cache.instances.map((i) => i.id)).not.toContain("orders-1");
  });

  it("least outstanding steers requests away from a slow instance", async () => {
    const { sim, registry } = eureka(2, { slow: { "orders-1": 2_000 } });
    const client = new DiscoveryClient(sim, { name: "web", service: "orders", registry, strategy: "least-outstanding" });
    await sim.runUntil(1_000);
    await sim.run(async () => {
      const calls: Promise<unknown>[] = [];
      for (let i = 0; i < 20; i++) {
        calls.push(client.call());
        await sim.sleep(100);
      }
      await Promise.all(calls);
    });
    // orders-1 takes 2 s per request; orders-2 answers in 2 ms, so it is idle at every pick
    // except when the tie-break hands the first request to orders-1.
    expect(client.stats.picks).toEqual({ "orders-1": 1, "orders-2": 19 });
  });

  it("refuses a request when the cache is empty", async () => {
    const sim = new Simulation();
    const registry = new EurekaRegistry(sim);
    const client = new DiscoveryClient(sim, { name: "web", service: "orders", registry });
    await sim.runUntil(10);
    await expect(sim.run(() => client.call())).rejects.toThrow(RejectedError);
    expect(client.stats).toMatchObject({ requests: 1, failed: 1, noInstance: 1 });
  });
});

describe("server-side discovery", () => {
  it("takes two hops per request where client-side discovery takes one", async () => {
    const { sim, registry } = eureka(3);
    const lb = new ServerSideLoadBalancer(sim, { service: "orders", registry });
    const direct = new DiscoveryClient(sim, { name: "direct", service: "orders", registry });
    const web = sim.client("web");
    await sim.runUntil(1_000);
    const viaLb = await sim.run(async () => {
      const out: unknown[] = [];
      for (let i = 0; i < 3; i++) out.push((await web.call("lb", "GET /orders")).body);
      for (let i = 0; i < 3; i++) await direct.call("GET /orders");
      return out;
    });
    expect(viaLb).toEqual([{ instance: "orders-1" }, { instance: "orders-2" }, { instance: "orders-3" }]);
    expect(lb.hopsPerRequest).toBe(2);
    expect(direct.hopsPerRequest).toBe(1);
    const path = sim.trace.events.filter((e) => e.kind === "request" && e.summary === "GET /orders").map((e) => `${e.from}→${e.to}@${e.time}`);
    expect(path.slice(0, 2)).toEqual(["web→lb@1000", "lb→orders-1@1001"]);
    expect(sim.metrics.histogram("latency web → lb").summary().mean).toBe(4);
    expect(sim.metrics.histogram("latency direct → orders-1").summary().mean).toBe(2);
  });

  it("answers 504 for a dead instance it still lists and 503 when it knows none", async () => {
    const { sim, registry } = eureka(2);
    const lb = new ServerSideLoadBalancer(sim, { service: "orders", registry, forwardTimeoutMs: 500 });
    const empty = new ServerSideLoadBalancer(sim, { name: "lb-empty", service: "payments", registry });
    const web = sim.client("web");
    sim.faults.crash("orders-1", { at: 5_000 });
    await sim.runUntil(6_000);
    const statuses = await sim.run(async () => [(await web.call("lb")).status, (await web.call("lb")).status, (await web.call("lb-empty")).status]);
    expect(statuses).toEqual([504, 200, 503]);
    expect(empty.stats).toMatchObject({ requests: 1, noInstance: 1, failed: 1 });
    expect(lb.stats).toMatchObject({ requests: 2, deadPicks: 1, failed: 0, timedOut: 1 });
    const md = lb[DISPLAY]()["text/markdown"]!;
    expect(md).toContain("| instance | in cache | up | requests | outstanding |");
    expect(md).toContain("| orders-1 | yes | no | 1 | 0 |");
    expect(md).toContain("| orders-2 | yes | yes | 1 | 0 |");
  });

  it("rejects bad options naming the parameter", () => {
    const { sim, registry } = eureka(1);
    expect(() => new ServerSideLoadBalancer(sim, { service: "orders", registry, refreshIntervalMs: 0 })).toThrow("ServerSideLoadBalancer: refreshIntervalMs must be a finite number > 0, got 0");
    expect(() => new DiscoveryClient(sim, { name: "web", service: "orders", registry, requestTimeoutMs: -1 })).toThrow("DiscoveryClient: requestTimeoutMs must be a finite number > 0, got -1");
    expect(() => new DiscoveryClient(sim, { name: "web", service: "orders", registry, strategy: "sticky" as never })).toThrow(/DiscoveryClient: strategy must be one of/);
  });
});
