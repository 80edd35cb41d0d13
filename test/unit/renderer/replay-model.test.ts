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
});
