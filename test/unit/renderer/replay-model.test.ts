import { describe, expect, it } from "vitest";
import { CircuitBreaker, Simulation, ok, response } from "../../../src/lab/index";
import { ReplayModel } from "../../../src/renderer/replay-model";

describe("replay model", () => {
  it("knows each node's state at any time, scrubbing forwards or backwards", async () => {
    const sim = new Simulation({ seed: 4 });
    let failing = false;
    sim.service("db", () => (failing ? response(503) : ok({})));
    const api = sim.client("api");
    const breaker = new CircuitBreaker(sim, { name: "db-breaker", slidingWindowSize: 4, minimumNumberOfCalls: 4, waitDurationInOpenState: 1_000 });
    sim.faults.crash("db", { at: 500 });
    sim.faults.restart("db", { at: 700 });
    sim.faults.partition("api", "db", { at: 800 });
    sim.faults.heal("api", "db", { at: 900 });
    sim.at(1_000, () => (failing = true));
    await sim.run(async () => {
      for (let i = 0; i < 60; i++) {
        await breaker
          .execute(async () => {
            const r = await api.call("db", "GET /row", { timeoutMs: 50 });
            if (r.status >= 500) throw new Error("503");
          })
          .catch(() => undefined);
        await sim.sleep(40);
      }
    });
    const model = new ReplayModel(sim.replay().data);
    const db = model.data.nodes.indexOf("db");
    const api0 = model.data.nodes.indexOf("api");
    const br = model.data.nodes.indexOf("db-breaker");
    expect(model.statesAt(600)[db]!.down).toBe(true);
    expect(model.statesAt(750)[db]!.down).toBe(false);
    expect(model.statesAt(850)[db]!.partitioned).toBe(true);
    expect(model.statesAt(850)[api0]!.partitioned).toBe(true);
    expect(model.statesAt(950)[db]!.partitioned).toBe(false);
    const opened = sim.trace.events.find((e) => e.summary.startsWith("breaker OPEN"))!.time;
    expect(model.statesAt(opened)[br]!.breaker).toBe("OPEN");
    // Backwards after forwards gives the same answer as a fresh model.
    expect(model.statesAt(opened - 1)[br]!.breaker).not.toBe("OPEN");
    expect(new ReplayModel(model.data).statesAt(600)).toEqual(model.statesAt(600));
    expect(model.nextNotable(0)).toBe(500);
  });

  it("counts messages per link when a frame holds too many to draw", () => {
    const n = 5_000;
    const data = { v: 1 as const, title: "t", end: n, nodes: ["a", "b"], links: [[0, 1, n]] as [number, number, number][], kinds: ["request", "response", "drop", "timeout", "fault", "state", "note"] as never, strings: ["GET"], dt: new Array<number>(n).fill(1), k: new Array<number>(n).fill(0), a: new Array<number>(n).fill(0), b: new Array<number>(n).fill(1), s: new Array<number>(n).fill(0), total: n, notes: [] };
    const model = new ReplayModel(data);
    const few = model.flights(3_000, 10, 400);
    expect(few.length).toBe(11);
    const many = model.flights(3_000, 1_000, 400);
    expect(many.length).toBe(1);
    expect(many[0]!.count).toBe(1_001);
    expect(model.statesAt(3_000)[1]!.open).toBe(3_000);
  });
  it("groups a dense frame per link and kind exactly as listing then counting would, and lists a filtered frame that fits", () => {
    const n = 6_000;
    const kinds = ["request", "response", "drop", "timeout", "fault", "state", "note"];
    const k = Array.from({ length: n }, (_, i) => (i % 10 === 9 ? 2 : i % 2));
    const a = Array.from({ length: n }, (_, i) => (k[i] === 1 ? 3 + (i % 2) : i % 3));
    const b = Array.from({ length: n }, (_, i) => (k[i] === 1 ? i % 3 : 3 + (i % 2)));
    const data = { v: 1 as const, title: "t", end: n / 2, nodes: ["a", "b", "c", "d", "e"], links: [] as [number, number, number][], kinds: kinds as never, strings: ["GET"], dt: new Array<number>(n).fill(0.5), k, a, b, s: new Array<number>(n).fill(0), total: n, notes: [] };
    const model = new ReplayModel(data);
    const time = 2_000;
    const travel = 500;
    const got = model.flights(time, travel, 400);
    // Expected: every message sent in [time - travel, time], counted per (from, to, kind).
    const want = new Map<string, { count: number; sum: number }>();
    for (let i = 0; i < n; i++) {
      const t = model.t[i]!;
      if (t < time - travel || t > time || k[i]! > 2) continue;
      const key = `${a[i]}|${b[i]}|${kinds[k[i]!]}`;
      const w = want.get(key) ?? { count: 0, sum: 0 };
      w.count++;
      w.sum += Math.min(1, (time - t) / travel);
      want.set(key, w);
    }
    expect(got.length).toBe(want.size);
    for (const f of got) {
      const w = want.get(`${f.from}|${f.to}|${f.kind}`)!;
      expect(f.count).toBe(w.count);
      expect(f.progress).toBeCloseTo(w.sum / w.count, 9);
    }
    // Filtered down to one node's few messages, the frame lists them one by one.
    const one = model.flights(time, travel, 400, (i) => model.a[i] === 0 && model.k[i] === 2);
    expect(one.length).toBeGreaterThan(1);
    expect(one.every((f) => f.count === 1 && f.kind === "drop" && f.from === 0)).toBe(true);
  });
});
