// The event-sourcing and CQRS build challenges: a full check of a reference (every stage,
// every case) beside one plain run of the same scenario. Target (issue 20): a full check
// ≤ 3 s headless on the 2-core machine.
import { challenges, type AccountCommand, type AccountEvent, type AccountState, type CqrsBuildSolution, type EventSourcingBuildSolution } from "../src/lab/challenges/index";
import { runEventSourcingCase } from "../src/lab/challenges/data/event-sourcing";
import { runCqrsCase } from "../src/lab/challenges/data/cqrs";
import { report, time } from "./harness";

// The references of the tests, inlined (reference solutions do not ship).
const evolve = (s: AccountState, e: AccountEvent): AccountState =>
  e.type === "AccountOpened" ? { ...s, open: true } : { ...s, balance: s.balance + (e.type === "MoneyDeposited" ? e.data.amount : -e.data.amount) };
const decide = (s: AccountState, c: AccountCommand): AccountEvent[] => {
  if (c.type === "Open") {
    if (s.open) throw new Error("already open");
    return [{ type: "AccountOpened", data: { owner: c.owner } }];
  }
  if (!s.open || !Number.isInteger(c.amount) || c.amount <= 0 || (c.type === "Withdraw" && c.amount > s.balance)) throw new Error("refused");
  return [c.type === "Deposit" ? { type: "MoneyDeposited", data: { amount: c.amount } } : { type: "MoneyWithdrawn", data: { amount: c.amount } }];
};
const account: EventSourcingBuildSolution = {
  initial: () => ({ open: false, balance: 0 }),
  evolve,
  decide,
  async handle(store, command) {
    for (;;) {
      const snap = await store.readSnapshot(store.stream);
      let state = snap?.state ?? this.initial();
      let revision = snap?.revision ?? -1;
      for (const e of await store.readStream(store.stream, { from: revision + 1 })) [state, revision] = [evolve(state, e), e.revision];
      let events: AccountEvent[];
      try {
        events = decide(state, command);
      } catch {
        return "rejected";
      }
      try {
        await store.appendToStream(store.stream, events, { expectedRevision: revision });
        return "accepted";
      } catch (e) {
        if ((e as Error).name !== "WrongExpectedVersionError") throw e;
      }
    }
  },
};
const balances: CqrsBuildSolution = {
  createProjector(db) {
    let cp = -1;
    return {
      start: async () => (cp = await db.checkpoint()),
      async handle(e) {
        if (e.position <= cp) return;
        const next = ((await db.get(e.streamId)) ?? 0) + (e.type === "MoneyDeposited" ? e.data.amount : -e.data.amount);
        await db.write({ rows: { [e.streamId]: next }, checkpoint: e.position });
        cp = e.position;
      },
    };
  },
  async query({ db, account: a, ownPosition, sleep }) {
    if (ownPosition !== undefined) while ((await db.checkpoint()) < ownPosition) await sleep(2);
    return db.get(a);
  },
};

const RUNS = 5;
for (const [id, plainRun, solution] of [
  ["event-sourcing", () => runEventSourcingCase(account, { seed: 100, size: 20, faults: [] }, true), account],
  ["cqrs", () => runCqrsCase(balances, { seed: 200, size: 30, faults: [] }, true), balances],
] as const) {
  const plain = await time(`${id}: one plain run of the hardest stage's scenario (seed ${id === "cqrs" ? 200 : 100}, no faults)`, async () => {
    if (!(await plainRun()).ok) throw new Error("the reference failed its plain run");
  }, 20, 3);
  const full = await time(`${id}: full check of the reference`, async () => {
    if (!(await (challenges[id].check as (s: unknown) => Promise<{ passed: boolean }>)(solution)).passed) throw new Error("the reference did not pass");
  }, RUNS, 1);
  report(`${id}: build challenge check vs one plain run`, plain, [full]);
  console.log(`\n${id}: full check p50 ${full.p50.toFixed(0)} ms (target ≤ 3000 ms) ${full.p50 <= 3_000 ? "OK" : "OVER TARGET"}; ${(full.p50 / plain.p50).toFixed(1)}× one plain run`);
}
