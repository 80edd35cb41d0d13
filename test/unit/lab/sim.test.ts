import { describe, expect, it } from "vitest";
import {
  ConfigError,
  DISPLAY,
  Random,
  Simulation,
  SimulationError,
  TimeoutError,
  dist,
  ok,
  response,
} from "../../../src/lab/index";
import { outcomeOf } from "../../../src/lab/sim/call-errors";

describe("scheduler and virtual time", () => {
  it("fires events in time order, FIFO at equal times, and moves the clock", async () => {
    const sim = new Simulation();
    const seen: string[] = [];
    sim.schedule(20, () => seen.push(`b@${sim.now}`));
    sim.schedule(10, () => seen.push(`a@${sim.now}`));
    sim.schedule(20, () => seen.push(`c@${sim.now}`));
    const t = sim.schedule(15, () => seen.push("cancelled"));
    t.cancel();
    await sim.run();
    expect(seen).toEqual(["a@10", "b@20", "c@20"]);
    expect(sim.now).toBe(20);
    expect(sim.eventsFired).toBe(3);
  });

  it("runs async scenarios on virtual time, in milliseconds of real time", async () => {
    const sim = new Simulation();
    const log: string[] = [];
    const worker = async (name: string, step: number) => {
      for (let i = 0; i < 3; i++) {
        await sim.sleep(step);
        log.push(`${name}${i}@${sim.now}`);
      }
    };
    const started = performance.now();
    const result = await sim.run(async () => {
      await Promise.all([worker("a", 1000), worker("b", 1500)]);
      return "done";
    });
    expect(result).toBe("done");
    // At t=3000 b wakes first: its sleep was scheduled earlier (t=1500) than a's (t=2000).
    expect(log).toEqual(["a0@1000", "b0@1500", "a1@2000", "b1@3000", "a2@3000", "b2@4500"]);
    expect(sim.now).toBe(4500);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("runUntil and runFor stop at the horizon and leave later events queued", async () => {
    const sim = new Simulation();
    let ticks = 0;
    sim.every(100, () => ticks++);
    await sim.runUntil(1000);
    expect([ticks, sim.now]).toEqual([10, 1000]);
    await sim.runFor(250);
    expect([ticks, sim.now]).toEqual([12, 1250]);
    expect(sim.pendingEvents).toBe(1);
  });

  it("stops an endless schedule with a clear error", async () => {
    const sim = new Simulation({ maxEvents: 1000 });
    sim.every(1, () => {});
    await expect(sim.run()).rejects.toThrow(/Stopped after 1000 events at t=100\d ms: the schedule never empties/);
  });

  it("says when a scenario waits for something outside the simulation", async () => {
    const sim = new Simulation();
    await expect(sim.run(() => new Promise(() => {}))).rejects.toThrow(SimulationError);
  });

  it("refuses a second run while one is going", async () => {
    const sim = new Simulation();
    sim.schedule(10, () => {});
    const first = sim.run();
    await expect(sim.run()).rejects.toThrow("already running");
    await first;
  });

  it("rejects bad arguments naming the parameter", () => {
    const sim = new Simulation();
    expect(() => sim.schedule(-1, () => {})).toThrow(new ConfigError("Simulation.schedule", "delayMs", -1, "a finite number ≥ 0"));
    expect(() => new Simulation({ seed: Number.NaN })).toThrow("Simulation: seed must be a finite number, got NaN");
    expect(() => sim.node("nope")).toThrow("Simulation.node: name must be the name of a node (known: none), got \"nope\"");
  });
});

describe("seeded random", () => {
  it("repeats for a seed and differs between seeds", () => {
    const a = new Random(42);
    const b = new Random(42);
    const c = new Random(43);
    const seqA = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(seqA);
  });

  it("has the right means", () => {
    const r = new Random(7);
    const n = 20_000;
    const mean = (f: () => number) => Array.from({ length: n }, f).reduce((s, v) => s + v, 0) / n;
    expect(mean(() => r.uniform(0, 10))).toBeCloseTo(5, 1);
    expect(mean(() => r.exponential(50))).toBeGreaterThan(48);
    expect(mean(() => r.exponential(50))).toBeLessThan(52);
    expect(mean(() => r.normal(100, 15))).toBeCloseTo(100, 0);
    // Pareto(scale 10, shape 3): mean = 3·10/2 = 15.
    expect(mean(() => r.pareto(10, 3))).toBeGreaterThan(14);
    expect(mean(() => r.pareto(10, 3))).toBeLessThan(16);
  });
});

describe("nodes, network and faults", () => {
  it("a call crosses the network both ways and takes the service's work time", async () => {
    const sim = new Simulation();
    sim.network.setDefaults({ latency: 5 });
    sim.service("orders", async (req, ctx) => {
      await ctx.work(20);
      return ok({ path: req.path });
    });
    const web = sim.client("web");
    const res = await sim.run(() => web.call("orders", "GET /orders/1"));
    expect(res).toEqual({ status: 200, headers: {}, body: { path: "/orders/1" } });
    expect(sim.now).toBe(30);
    expect(sim.metrics.histogram("latency web → orders").summary().p50).toBe(30);
    expect(sim.trace.text().split("\n")).toEqual([
      "     0.000 web -> orders request GET /orders/1",
      "    30.000 orders -> web response 200",
    ]);
  });

  it("a timeout is outcome info, and the callee's finished work is counted as wasted", async () => {
    const sim = new Simulation();
    const slow = sim.service("slow", async (_req, ctx) => {
      await ctx.work(500);
      return "late";
    });
    const web = sim.client("web");
    const error = await sim.run(() => web.call("slow", "GET /", { timeoutMs: 100 }).catch((e: unknown) => e));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(outcomeOf(error)).toBe("info");
    await sim.run();
    expect(slow.stats.wastedWork).toBe(1);
    expect(web.stats.lateResponses).toBe(1);
    expect(outcomeOf(response(503))).toBe("fail");
  });

  it("partitions, crashes and restarts change what gets through", async () => {
    const sim = new Simulation();
    sim.service("db", () => "row", { state: () => ({ writes: 0 }) });
    const app = sim.client("app");
    const call = () => app.call("db", "GET /", { timeoutMs: 50 }).then((r) => r.status, (e: Error) => e.name);
    const results = await sim.run(async () => {
      const out = [await call()];
      sim.faults.partition("app", "db");
      out.push(await call());
      sim.faults.heal();
      sim.faults.crash("db");
      out.push(await call());
      sim.faults.restart("db");
      out.push(await call());
      sim.faults.partition("app", "db", { oneWay: true, at: sim.now + 10 });
      out.push(await call());
      await sim.sleep(20);
      out.push(await call());
      return out;
    });
    expect(results).toEqual([200, "TimeoutError", "TimeoutError", 200, 200, "TimeoutError"]);
    expect(sim.trace.events.filter((e) => e.kind === "fault").map((e) => e.summary)).toEqual([
      "partition app ⇹ db",
      "heal every partition",
      "crash",
      "restart",
      "partition app → db",
    ]);
  });

  it("limits concurrency with a bounded queue and answers 503 beyond it", async () => {
    const sim = new Simulation();
    const svc = sim.service("svc", async (_r, ctx) => {
      await ctx.work(100);
      return "done";
    }, { concurrency: 2, queueLimit: 1 });
    const client = sim.client("c");
    const statuses = await sim.run(() => Promise.all(Array.from({ length: 4 }, () => client.call("svc").then((r) => `${r.status}@${sim.now}`))));
    expect(statuses).toEqual(["200@102", "200@102", "200@202", "503@2"]);
    expect(svc.stats).toMatchObject({ received: 4, served: 3, rejected: 1 });
  });

  it("a slow node takes longer, by the factor", async () => {
    const sim = new Simulation();
    sim.service("svc", async (_r, ctx) => {
      await ctx.work(10);
      return "x";
    });
    const c = sim.client("c");
    sim.faults.slow("svc", 5);
    await sim.run(() => c.call("svc"));
    expect(sim.now).toBe(52);
  });

  it("a crashed node sends nothing, and answers to it are dropped", async () => {
    const sim = new Simulation();
    sim.service("svc", async (_r, ctx) => {
      await ctx.work(10);
      return "x";
    });
    const c = sim.client("c");
    const outcome = await sim.run(async () => {
      const pending = c.call("svc", "GET /", { timeoutMs: 50 }).then((r) => r.status, (e: Error) => e.name);
      sim.faults.crash("c", { at: 5 });
      return [await pending, await c.call("svc").then(() => "sent", (e: Error) => e.message)];
    });
    expect(outcome).toEqual(["TimeoutError", "c is down and cannot call svc"]);
    expect(sim.trace.events.some((e) => e.kind === "drop" && e.summary === "200 (caller down)")).toBe(true);
  });

  it("checks fault targets and latency distributions", () => {
    const sim = new Simulation();
    sim.service("a", () => "x");
    sim.service("b", () => "x");
    expect(() => sim.faults.latency("a", "typo", 5)).toThrow('Simulation.node: name must be the name of a node (known: a, b), got "typo"');
    expect(() => sim.faults.loss("typo", "b", 0.1)).toThrow(ConfigError);
    expect(() => sim.faults.latency("a", "b", -1)).toThrow("Faults.latency: latency must be a finite number ≥ 0, got -1");
    expect(() => sim.network.setDefaults({ latency: dist.uniform(5, 1) })).toThrow("Network.setDefaults: latency must be a uniform distribution with max ≥ min");
    expect(() => sim.network.setLink("a", "b", { latency: dist.exponential(0) })).toThrow("Network.setLink: latency.mean must be a finite number > 0, got 0");
    expect(() => new Random(Number.POSITIVE_INFINITY)).toThrow("Random: seed must be a finite number, got Infinity");
    expect(() => new Random(1).pick([])).toThrow("Random.pick: items must be a non-empty array, got []");
  });

  it("loses messages with the configured probability", async () => {
    const sim = new Simulation({ seed: 3 });
    sim.service("svc", () => "x");
    const c = sim.client("c");
    sim.faults.loss("c", "svc", 0.2);
    const results = await sim.run(() => Promise.all(Array.from({ length: 1000 }, () => c.call("svc", "GET /", { timeoutMs: 100 }).then(() => 1, () => 0))));
    const delivered = results.reduce<number>((a, b) => a + b, 0);
    // Both directions lose 20 %: about 0.8 × 0.8 = 64 % get through.
    expect(delivered).toBeGreaterThan(600);
    expect(delivered).toBeLessThan(680);
  });
});

describe("determinism", () => {
  async function scenario(seed: number) {
    const sim = new Simulation({ seed });
    sim.network.setDefaults({ latency: dist.exponential(5), loss: 0.05 });
    sim.service("api", async (_r, ctx) => {
      await ctx.work(dist.pareto(2, 2));
      return "ok";
    }, { concurrency: 4 });
    const clients = Array.from({ length: 20 }, (_, i) => sim.client(`c${i}`));
    await sim.run(() =>
      Promise.all(
        clients.map(async (c) => {
          for (let i = 0; i < 10; i++) {
            await sim.sleep(sim.random.exponential(10));
            await c.call("api", "GET /", { timeoutMs: 50 }).catch(() => undefined);
          }
        }),
      ),
    );
    return { trace: sim.trace.text(), metrics: JSON.stringify(sim.metrics.snapshot()) };
  }

  it("the same seed gives an identical trace and metrics; another seed differs", async () => {
    const a = await scenario(11);
    const b = await scenario(11);
    const c = await scenario(12);
    expect(a.trace.length).toBeGreaterThan(1000);
    expect(b.trace).toBe(a.trace);
    expect(b.metrics).toBe(a.metrics);
    expect(c.trace).not.toBe(a.trace);
  });
});

describe("rendering", () => {
  it("draws the trace as a bounded Mermaid sequence diagram", async () => {
    const sim = new Simulation();
    sim.service("orders", () => "x");
    const web = sim.client("web");
    await sim.run(async () => {
      for (let i = 0; i < 30; i++) await web.call("orders", `GET /orders/${i}`);
    });
    const md = sim.trace[DISPLAY]()["text/markdown"]!;
    expect(md.split("\n").slice(0, 5)).toEqual([
      "```mermaid",
      "sequenceDiagram",
      "  participant p0 as web",
      "  participant p1 as orders",
      "  p0->>p1: [0 ms] GET /orders/0",
    ]);
    expect(md).toContain("  p1-->>p0: [2 ms] 200");
    expect(md).toContain("Note over p0,p1: … 20 more events not drawn");
  });

  it("draws a time series as a Mermaid bar chart", () => {
    const sim = new Simulation();
    const s = sim.metrics.timeSeries("requests", 100);
    s.add(3, 50);
    s.add(1, 250);
    expect(s.points()).toEqual([
      { start: 0, value: 3 },
      { start: 100, value: 0 },
      { start: 200, value: 1 },
    ]);
    expect(s.chart()[DISPLAY]()["text/markdown"]).toContain('x-axis "virtual time (ms)" [0, 100, 200]\n  y-axis "requests" 0 --> 4\n  bar [3, 0, 1]');
  });
});
