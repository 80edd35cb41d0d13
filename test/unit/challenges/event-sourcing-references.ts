// Reference solutions of the event-sourcing and cqrs build challenges, with switches that turn
// them into known-wrong answers. They live with the tests (reference solutions never ship); the
// bench imports them to time a full check.
import type { AccountCommand, AccountEvent, AccountState, CqrsBuildSolution, EventSourcingBuildSolution, Projector, ReadDb } from "sde-lab/challenges";

export const evolve = (s: AccountState, e: AccountEvent): AccountState => {
  if (e.type === "AccountOpened") return { ...s, open: true };
  if (e.type === "MoneyDeposited") return { ...s, balance: s.balance + e.data.amount };
  return { ...s, balance: s.balance - e.data.amount };
};
export const decide = (s: AccountState, c: AccountCommand): AccountEvent[] => {
  if (c.type === "Open") {
    if (s.open) throw new Error("already open");
    return [{ type: "AccountOpened", data: { owner: c.owner } }];
  }
  if (!s.open) throw new Error("not open");
  if (!Number.isInteger(c.amount) || c.amount <= 0) throw new Error("bad amount");
  if (c.type === "Deposit") return [{ type: "MoneyDeposited", data: { amount: c.amount } }];
  if (c.amount > s.balance) throw new Error("insufficient funds");
  return [{ type: "MoneyWithdrawn", data: { amount: c.amount } }];
};
export type HandleOptions = { expected?: "loaded" | "any"; onConflict?: "retry" | "reject" | "throw"; snapshot?: "use" | "ignore" | "off-by-one" };
export const handler =
  (o: HandleOptions = {}): EventSourcingBuildSolution["handle"] =>
  async (store, command) => {
    for (;;) {
      const snap = o.snapshot === "ignore" ? undefined : await store.readSnapshot(store.stream);
      let state = snap ? snap.state : { open: false, balance: 0 };
      let revision = snap ? snap.revision : -1;
      const from = o.snapshot === "off-by-one" && snap ? snap.revision : revision + 1;
      for (const e of await store.readStream(store.stream, { from })) {
        state = evolve(state, e);
        revision = e.revision;
      }
      let events: AccountEvent[];
      try {
        events = decide(state, command);
      } catch {
        return "rejected";
      }
      try {
        await store.appendToStream(store.stream, events, o.expected === "any" ? {} : { expectedRevision: revision });
        return "accepted";
      } catch (e) {
        if ((e as Error).name !== "WrongExpectedVersionError" || o.onConflict === "throw") throw e;
        if (o.onConflict === "reject") return "rejected";
      }
    }
  };
export const esSolution = (o: HandleOptions = {}, parts: Partial<EventSourcingBuildSolution> = {}): EventSourcingBuildSolution => ({ initial: () => ({ open: false, balance: 0 }), evolve, decide, handle: handler(o), ...parts });

export type ProjectorOptions = { writes?: "atomic" | "view-then-checkpoint" | "checkpoint-then-view"; dedupe?: boolean; resume?: "stored" | "scratch" };
export const projector =
  (o: ProjectorOptions = {}) =>
  (db: ReadDb): Projector => {
    let cp = -1;
    return {
      async start() {
        cp = o.resume === "scratch" ? -1 : await db.checkpoint();
        return cp;
      },
      async handle(e) {
        if (o.dedupe !== false && e.position <= cp) return;
        const next = ((await db.get(e.streamId)) ?? 0) + (e.type === "MoneyDeposited" ? e.data.amount : -e.data.amount);
        const rows = { [e.streamId]: next };
        if (o.writes === "view-then-checkpoint") {
          await db.write({ rows });
          await db.write({ checkpoint: e.position });
        } else if (o.writes === "checkpoint-then-view") {
          await db.write({ checkpoint: e.position });
          await db.write({ rows });
        } else await db.write({ rows, checkpoint: e.position });
        cp = Math.max(cp, e.position);
      },
    };
  };
export const waitingQuery: CqrsBuildSolution["query"] = async ({ db, account, ownPosition, sleep }) => {
  if (ownPosition !== undefined) while ((await db.checkpoint()) < ownPosition) await sleep(2);
  return db.get(account);
};
export const cqrsSolution = (o: ProjectorOptions = {}, query: CqrsBuildSolution["query"] = waitingQuery): CqrsBuildSolution => ({ createProjector: projector(o), query });
