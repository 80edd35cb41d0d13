// The event-sourcing and CQRS build challenges: each reference passes every stage, the
// notebook's starters fail stage 1 with a sentence that says what is wrong, known-wrong answers
// fail at the stage that targets their mistake, and a full check stays within 3 s.
import { describe, expect, it } from "vitest";
import { challenges, type AccountCommand, type AccountEvent, type AccountState, type CqrsBuildSolution, type Projector, type ReadDb } from "sde-lab/challenges";
import { decide, esSolution, cqrsSolution, waitingQuery } from "./event-sourcing-references";
import { runCqrsCase } from "../../../src/lab/challenges/data/cqrs";
import { failedStage, invariant } from "./report-helpers";

/** The last value and the median wall time of three runs (the first run pays for JIT warm-up). */
async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const times: number[] = [];
  let value!: T;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    value = await f();
    times.push(performance.now() - t0);
  }
  return { value, ms: times.sort((a, b) => a - b)[1]! };
}

// ---------- event sourcing ----------

describe("event-sourcing build challenge", () => {
  const c = challenges["event-sourcing"];
  it("the reference passes every stage, in ≤ 3 s (median of three checks)", async () => {
    const { value, ms } = await timed(() => c.check(esSolution()));
    expect(value.headline, invariant(value)).toMatch(/^Challenge event-sourcing: PASSED \(3 of 3 stages, \d+ cases\)/);
    expect(value.stages.map((s) => s.cases)).toEqual([200, 20, 20]);
    expect(ms).toBeLessThan(3_000);
  });
  it("the starter (decide gives nothing, evolve keeps the state, handle says accepted) fails stage 1 naming the command", async () => {
    const r = await c.check({ initial: () => ({ open: false, balance: 0 }), evolve: (s) => s, decide: () => [], handle: () => Promise.resolve("accepted") });
    expect(failedStage(r)).toBe(1);
    expect(invariant(r)).toMatch(/^decide\(\{ open: false, balance: 0 \}, Open\(ann\)\) gave no events; the rules accept it with AccountOpened/);
  });
  it("an evolve that changes the state it was given fails stage 1", async () => {
    const mutating = (s: AccountState, e: AccountEvent) => {
      const m = s as { open: boolean; balance: number };
      if (e.type === "AccountOpened") m.open = true;
      else m.balance += e.type === "MoneyDeposited" ? e.data.amount : -e.data.amount;
      return m;
    };
    const r = await c.check(esSolution({}, { evolve: mutating }));
    expect(failedStage(r)).toBe(1);
    expect(invariant(r)).toMatch(/^evolve\(.*\) changed the state it was given/);
  });
  it("a decide that allows a €1 overdraft (not shown in the notebook) fails stage 1", async () => {
    const lenient = (s: AccountState, cmd: AccountCommand) => (cmd.type === "Withdraw" && s.open && cmd.amount > 0 && cmd.amount <= s.balance + 100 ? [{ type: "MoneyWithdrawn", data: { amount: cmd.amount } } as AccountEvent] : decide(s, cmd));
    const r = await c.check(esSolution({}, { decide: lenient }));
    expect(failedStage(r)).toBe(1);
    expect(invariant(r)).toMatch(/^decide accepted Withdraw \d+ .* but the rules refuse it/);
  });
  it("a constant answer (handle always says accepted) fails stage 2", async () => {
    const r = await c.check(esSolution({}, { handle: () => Promise.resolve("accepted") }));
    expect(failedStage(r)).toBe(2);
    expect(invariant(r)).toMatch(/was reported accepted but appended nothing/);
  });
  it("appending without the expected revision overdraws the account at stage 2", async () => {
    const r = await c.check(esSolution({ expected: "any" }));
    expect(failedStage(r)).toBe(2);
    expect(invariant(r)).toMatch(/^after revision \d+ the balance was −€\d+\.\d\d: two withdrawals decided on the same state/);
  });
  it("a conflict swallowed as a rejection fails stage 2", async () => {
    const r = await c.check(esSolution({ onConflict: "reject" }));
    expect(failedStage(r)).toBe(2);
    expect(invariant(r)).toMatch(/was rejected, but the last state it read \(revision \d+, balance €\d+\.\d\d\) allows it/);
  });
  it("a conflict thrown to the client fails stage 2", async () => {
    const r = await c.check(esSolution({ onConflict: "throw" }));
    expect(failedStage(r)).toBe(2);
    expect(invariant(r)).toMatch(/^handle let a WrongExpectedVersionError escape/);
  });
  it("a handler that ignores the snapshot fails stage 3 (it reads the whole stream)", async () => {
    const r = await c.check(esSolution({ snapshot: "ignore" }));
    expect(failedStage(r)).toBe(3);
    expect(invariant(r)).toMatch(/^cmd-\d+ read 1\d{3} events to load the account; the latest snapshot \(revision \d+\) leaves \d+: load from it/);
  });
  it("a handler that folds the snapshot's own event again (not shown in the notebook) fails stage 3", async () => {
    const r = await c.check(esSolution({ snapshot: "off-by-one" }));
    expect(failedStage(r)).toBe(3);
    expect(invariant(r)).toMatch(/balance was −|was rejected, but the last state it read/);
  });
});

// ---------- CQRS ----------

describe("cqrs build challenge", () => {
  const c = challenges.cqrs;
  it("the reference passes every stage, in ≤ 3 s (median of three checks)", async () => {
    const { value, ms } = await timed(() => c.check(cqrsSolution()));
    expect(value.headline, invariant(value)).toMatch(/^Challenge cqrs: PASSED \(3 of 3 stages, 60 cases\)/);
    expect(ms).toBeLessThan(3_000);
  });
  it("the starter (a projector that writes nothing) fails stage 1 naming the account", async () => {
    const r = await c.check({ createProjector: (db) => ({ start: () => db.checkpoint(), handle: () => Promise.resolve() }), query: ({ db, account }) => db.get(account) });
    expect(failedStage(r)).toBe(1);
    expect(invariant(r)).toMatch(/^the view shows account-\d at €0\.00, but its events fold to €\d+\.\d\d\./);
  });
  it("a constant answer ({ query: () => 100 }) fails stage 1", async () => {
    const r = await c.check(cqrsSolution({}, () => Promise.resolve(100)));
    expect(failedStage(r)).toBe(1);
    expect(invariant(r)).toMatch(/^a reader of account-\d got €1\.00, but the view's checkpoint was/);
  });
  it("view and checkpoint in two writes (view first) count an event twice after a crash: stage 2, the same report every time", async () => {
    const r = await c.check(cqrsSolution({ writes: "view-then-checkpoint" }));
    expect(failedStage(r)).toBe(2);
    expect(invariant(r)).toMatch(/counted twice/);
    const again = await c.check(cqrsSolution({ writes: "view-then-checkpoint" }));
    expect(again.stages).toEqual(r.stages);
  });
  it("checkpoint first, then the view, loses an event after a crash: stage 2", async () => {
    const r = await c.check(cqrsSolution({ writes: "checkpoint-then-view" }));
    expect(failedStage(r)).toBe(2);
    expect(invariant(r)).toMatch(/lost/);
  });
  it("a projector that ignores redeliveries' positions (no dedupe) fails stage 2", async () => {
    const r = await c.check(cqrsSolution({ dedupe: false }));
    expect(failedStage(r)).toBe(2);
  });
  it("a projector that restarts from scratch over the old view (not shown in the notebook) fails stage 2", async () => {
    const r = await c.check(cqrsSolution({ resume: "scratch" }));
    expect(failedStage(r)).toBe(2);
    expect(invariant(r)).toMatch(/^the view shows account-\d at/);
  });
  it("view and checkpoint in two writes, hidden by a position remembered outside the database (survives the simulated crash, not a real one), fails the case", async () => {
    // Positions repeat between cases, so such memory trips over the next case anyway; on one case it would hide the double count.
    let remembered = -1;
    const remembers: CqrsBuildSolution = {
      createProjector: (db: ReadDb): Projector => ({
        start: async () => Math.max(remembered, await db.checkpoint()),
        async handle(e) {
          if (e.position <= remembered) return;
          remembered = e.position;
          const next = ((await db.get(e.streamId)) ?? 0) + (e.type === "MoneyDeposited" ? e.data.amount : -e.data.amount);
          await db.write({ rows: { [e.streamId]: next } });
          await db.write({ checkpoint: e.position });
        },
      }),
      query: waitingQuery,
    };
    const r = await runCqrsCase(remembers, { seed: 1, size: 30, faults: [{ kind: "crash-after-write", label: "crash the projector after write 3", params: { write: 3 } }] }, false);
    expect([r.ok, r.invariant]).toEqual([false, expect.stringMatching(/^when the projector crashed after write 3, the view had account-\d at €[\d.]+ but its stored checkpoint 0 says €[\d.]+\. The view still ended right only because/)]);
  });
  it("a query that ignores the writer's position fails stage 3", async () => {
    const r = await c.check(cqrsSolution({}, ({ db, account }) => db.get(account)));
    expect(failedStage(r)).toBe(3);
    expect(invariant(r)).toMatch(/^a client deposited or withdrew on account-\d \(position \d+\) and its read at once showed/);
  });
  it("a writer's read that sleeps a fixed 100 ms instead of watching the checkpoint fails stage 3", async () => {
    const r = await c.check(
      cqrsSolution({}, async ({ db, account, ownPosition, sleep }) => {
        if (ownPosition !== undefined) await sleep(100);
        return db.get(account);
      }),
    );
    expect(failedStage(r)).toBe(3);
    expect(invariant(r)).toMatch(/ms after the view had what it needed \(at most 20\)/);
  });
});
