// Two-phase commit: the happy path's cost, NO votes, lock conflicts, blocking on a crashed
// coordinator, presumed abort, and agreement under random crashes and loss.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  ConfigError,
  DISPLAY,
  Simulation,
  TwoPhaseCommit,
} from "../../../src/lab/index";
import { DuplicateNodeError, UnknownShardError } from "../../../src/lab/data/errors";

function setup(seed = 1, options: Partial<ConstructorParameters<typeof TwoPhaseCommit>[1]> = {}) {
  const sim = new Simulation({ seed });
  const tpc = new TwoPhaseCommit(sim, { participants: ["bank", "shop", "stock"], ...options });
  return { sim, tpc };
}

describe("two-phase commit", () => {
  it("answers the client once COMMIT is forced: 2 round trips and 2 forced writes in sequence (measured), against 1 and 1 for a local commit", async () => {
    const { sim, tpc } = setup();
    const [distributed, local] = await sim.run(async () => [await tpc.execute({ writes: { bank: { alice: -50 }, shop: { "order-7": "paid" }, stock: { widget: 9 } } }), await tpc.executeLocal("bank", { bob: -49 })]);
    expect(distributed.outcome).toBe("committed");
    expect([distributed.roundTrips, distributed.forcedWrites]).toEqual([2, 2]);
    expect([local.roundTrips, local.forcedWrites]).toEqual([1, 1]);
    expect(distributed.latencyMs).toBeGreaterThan(1.5 * local.latencyMs);
    // The participants commit after the client's answer.
    await sim.run();
    expect(tpc.dataOf("shop").get("order-7")).toBe("paid");
    expect(tpc.dataOf("bank").get("alice")).toBe(-50);
    expect(tpc.locks().rows).toEqual([]);
    expect(tpc.check().ok).toBe(true);
    expect(distributed[DISPLAY]()["text/markdown"]).toContain(`| T1 | committed | ${distributed.latencyMs} | 2 | 2 | every participant voted YES |`);
  });

  it("a local write to a row an in-doubt transaction holds waits for its decision instead of being overwritten; it gives up after the lock-wait timeout", async () => {
    const { sim, tpc } = setup(1, { lockWaitTimeoutMs: 3_000 });
    const results = await sim.run(async () => {
      void tpc.execute({ id: "T9", writes: { bank: { alice: -30 } }, crashCoordinator: "after-commit-logged", restartAfterMs: 10_000 });
      await sim.sleep(100);
      const refused = await tpc.executeLocal("bank", { alice: 999 }); // T9 is in doubt for 10 s
      const waited = tpc.executeLocal("bank", { alice: 1_000 });
      await sim.sleep(9_000);
      return [refused, await waited];
    });
    await sim.run();
    const [refused, waited] = results;
    expect(refused!.outcome).toBe("aborted");
    expect(refused!.reason).toMatch(/lock wait timeout: alice is locked by in-doubt T9/);
    expect(refused!.latencyMs).toBeGreaterThanOrEqual(3_000);
    // The second started at ~3.1 s and gave up at ~6.1 s, still before the coordinator came back.
    expect(waited!.outcome).toBe("aborted");
    // T9 committed after the restart, and no local write slipped in under its lock.
    expect(tpc.stateOf("bank", "T9")).toBe("committed");
    expect(tpc.dataOf("bank").get("alice")).toBe(-30);
  });

  it("one NO vote aborts everywhere and releases the locks; nothing is written", async () => {
    const { sim, tpc } = setup();
    const r = await sim.run(() => tpc.execute({ writes: { bank: { alice: -50 }, shop: { o: "paid" } }, voteNo: ["stock"] }));
    expect(r.outcome).toBe("aborted");
    expect(r.reason).toBe("stock voted NO");
    await sim.run();
    expect(tpc.participants.map((p) => tpc.stateOf(p, "T1"))).toEqual(["aborted", "aborted", "aborted"]);
    expect(tpc.dataOf("bank").size).toBe(0);
    expect(tpc.locks().rows).toHaveLength(0);
  });

  it("two concurrent transactions on one key: the second finds it locked, votes NO (no wait) and aborts", async () => {
    const { sim, tpc } = setup();
    const [a, b] = await sim.run(() => Promise.all([tpc.execute({ id: "A", writes: { bank: { alice: -50 } } }), tpc.execute({ id: "B", writes: { bank: { alice: -10 } } })]));
    expect(a.outcome).toBe("committed");
    expect(b.outcome).toBe("aborted");
    expect(b.reason).toBe("bank voted NO");
    await sim.run();
    expect(tpc.dataOf("bank").get("alice")).toBe(-50);
    expect(tpc.check().ok).toBe(true);
  });

  it("demo: coordinator crashes after logging COMMIT; participants stay blocked holding locks until it restarts, then all commit", async () => {
    const { sim, tpc } = setup();
    await sim.run(async () => {
      const tx = tpc.execute({ writes: { bank: { alice: -50 }, shop: { o: "paid" } }, crashCoordinator: "after-commit-logged", restartAfterMs: 10_000 });
      await sim.sleep(9_000);
      // 9 s later: every participant voted YES and is still in doubt, locks held.
      expect(tpc.participants.map((p) => tpc.stateOf(p, "T1"))).toEqual(["prepared", "prepared", "prepared"]);
      const locks = tpc.locks().rows;
      expect(locks.map((l) => `${l.participant}:${l.key}`)).toEqual(["bank:alice", "shop:o"]);
      expect(locks[0]!.heldMs).toBeGreaterThan(8_900);
      const result = await tx;
      expect(result.outcome).toBe("unknown"); // the client timed out: it may have committed
    });
    const report = tpc.report("T1");
    expect(report.rows.map((r) => r.state)).toEqual(["committed", "committed", "committed"]);
    // Blocked from the vote (t=8) until the first status query after the restart (t≈10,010).
    for (const r of report.rows) {
      expect(r.inDoubtMs).toBeGreaterThanOrEqual(10_000);
      expect(r.inDoubtMs).toBeLessThan(11_100);
      // Each query waits 1 s, then 0.5 s for the dead coordinator, then asks the peers (all in doubt too).
      expect(r.statusQueries).toBeGreaterThanOrEqual(6);
    }
    expect(tpc.dataOf("bank").get("alice")).toBe(-50);
    expect(tpc.check().ok).toBe(true);
  });

  it("coordinator crashes after the votes, before a decision: blocked until it restarts, then presumed abort", async () => {
    const { sim, tpc } = setup();
    await sim.run(async () => {
      void tpc.execute({ writes: { bank: { alice: -50 } }, crashCoordinator: "after-votes", restartAfterMs: 4_000 });
      await sim.sleep(3_500);
      expect(tpc.stateOf("bank", "T1")).toBe("prepared");
      await sim.sleep(3_000);
    });
    expect(tpc.participants.map((p) => tpc.stateOf(p, "T1"))).toEqual(["aborted", "aborted", "aborted"]);
    expect(tpc.decisionOf("T1")).toBe("abort");
    expect(tpc.report("T1").maxInDoubtMs).toBeGreaterThanOrEqual(4_000);
  });

  it("a participant that is down does not vote in time: the coordinator aborts after the vote timeout", async () => {
    const { sim, tpc } = setup();
    sim.faults.crash("stock");
    const r = await sim.run(() => tpc.execute({ writes: { bank: { alice: -50 } } }));
    expect(r.outcome).toBe("aborted");
    expect(r.reason).toBe("stock did not vote in time");
    expect(r.latencyMs).toBe(1 + 1_000 + 1);
  });

  it("cooperative termination: an in-doubt participant learns the decision from a peer while the coordinator is down", async () => {
    const { sim, tpc } = setup();
    // shop never gets COMMIT (its link from the coordinator is cut after PREPARE), then the coordinator dies.
    await sim.run(async () => {
      const tx = tpc.execute({ writes: { bank: { a: 1 }, shop: { b: 2 } } });
      await sim.sleep(11); // PREPAREs delivered and voted; the COMMIT round starts at t=13
      sim.faults.partition("coordinator", "shop");
      await tx;
      sim.faults.crash("coordinator");
      await sim.sleep(5_000);
    });
    expect(tpc.stateOf("bank", "T1")).toBe("committed");
    expect(tpc.stateOf("shop", "T1")).toBe("committed");
    expect(tpc.report("T1").rows.find((r) => r.participant === "shop")!.inDoubtMs).toBeLessThan(2_000);
  });

  it("renders the transaction as a sequence diagram from the run's trace", async () => {
    const { sim, tpc } = setup();
    await sim.run(() => tpc.execute());
    const md = tpc.sequence("T1")[DISPLAY]()["text/markdown"]!;
    expect(md).toContain("sequenceDiagram");
    expect(md).toContain("POST /prepare/T1");
    expect(md).toContain("T1: COMMIT logged (forced)");
  });

  it("bad input: duplicate participant, unknown participant, no participants", () => {
    const sim = new Simulation();
    expect(() => new TwoPhaseCommit(sim, { participants: ["a", "a"] })).toThrow(DuplicateNodeError);
    expect(() => new TwoPhaseCommit(sim, { participants: [] })).toThrow(ConfigError);
    const tpc = new TwoPhaseCommit(sim, { participants: ["a", "b"] });
    return expect(tpc.execute({ writes: { c: { x: 1 } } })).rejects.toThrow(UnknownShardError);
  });

  it("property: under random crashes, restarts and message loss no two participants ever decide differently", async () => {
    const nodes = ["coordinator", "p1", "p2", "p3"];
    const fault = fc.record({ node: fc.constantFrom(...nodes), at: fc.integer({ min: 0, max: 3_000 }), downFor: fc.integer({ min: 1, max: 4_000 }) });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.array(fault, { maxLength: 5 }), fc.double({ min: 0, max: 0.3, noNaN: true }), async (seed, faults, loss) => {
        const sim = new Simulation({ seed });
        const tpc = new TwoPhaseCommit(sim, { participants: ["p1", "p2", "p3"], clientTimeoutMs: 2_000 });
        sim.network.setDefaults({ loss });
        for (const f of faults) {
          sim.faults.crash(f.node, { at: f.at });
          sim.faults.restart(f.node, { at: f.at + f.downFor });
        }
        await sim.run(async () => {
          for (let i = 0; i < 4; i++) {
            await tpc.execute({ writes: { p1: { [`k${i}`]: i }, p2: { [`k${i}`]: i }, p3: { x: i } } });
          }
        });
        await sim.runFor(60_000);
        const check = tpc.check();
        expect(check.problems).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });
});
