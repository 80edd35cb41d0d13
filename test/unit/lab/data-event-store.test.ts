// Event store, event-sourced aggregates and CQRS projections.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  AggregateRepository,
  CommandRejectedError,
  ConfigError,
  DISPLAY,
  EventStore,
  Projection,
  Simulation,
  WrongExpectedVersionError,
  dist,
  bankAccount,
  moneyDepositedV1toV2,
  type RecordedEvent,
} from "../../../src/lab/index";
import { MalformedEventError } from "../../../src/lab/data/errors";

const deposit = (amount: number) => ({ type: "MoneyDeposited", data: { amount }, schemaVersion: 2 });

describe("event store", () => {
  it("demo: two writers append at the same expected version; exactly one succeeds", async () => {
    const store = new EventStore();
    await store.appendToStream("account-1", [{ type: "AccountOpened", data: { owner: "ann" } }], { expectedRevision: "no_stream" });
    const results = await Promise.allSettled([store.appendToStream("account-1", deposit(100), { expectedRevision: 0 }), store.appendToStream("account-1", deposit(200), { expectedRevision: 0 })]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected"]);
    const error = (results[1] as PromiseRejectedResult).reason as WrongExpectedVersionError;
    expect(error).toBeInstanceOf(WrongExpectedVersionError);
    expect([error.stream, error.expected, error.actual]).toEqual(["account-1", 0, 1]);
    expect(error.message).toContain("Reload the stream");
    expect(store.readStream("account-1").map((e) => e.data.amount ?? null)).toEqual([null, 100]);
    expect(store.stats).toEqual({ appends: 2, conflicts: 1, events: 2, streams: 1 });
  });

  it("expected revision: any, no_stream, stream_exists, exact", async () => {
    const s = new EventStore();
    await expect(s.appendToStream("a", deposit(1), { expectedRevision: "stream_exists" })).rejects.toThrow(WrongExpectedVersionError);
    expect(await s.appendToStream("a", deposit(1), { expectedRevision: "no_stream" })).toEqual({ nextExpectedRevision: 0, position: 0 });
    await expect(s.appendToStream("a", deposit(1), { expectedRevision: "no_stream" })).rejects.toThrow(/expected revision no_stream but the stream is at 0/);
    expect((await s.appendToStream("a", [deposit(2), deposit(3)], { expectedRevision: "stream_exists" })).nextExpectedRevision).toBe(2);
    expect((await s.appendToStream("a", deposit(4))).nextExpectedRevision).toBe(3);
    expect((await s.appendToStream("a", deposit(4), { expectedRevision: 3n })).nextExpectedRevision).toBe(4); // EventStoreDB's bigint revisions
    await expect(s.appendToStream("a", deposit(5), { expectedRevision: 3n })).rejects.toThrow(WrongExpectedVersionError);
    await expect(s.appendToStream("a", deposit(5), { expectedRevision: 2 })).rejects.toThrow(WrongExpectedVersionError);
    expect(s.revision("a")).toBe(4);
    expect(s.revision("nope")).toBe(-1);
  });

  it("a malformed event gets a named error and nothing of its batch is appended", async () => {
    const s = new EventStore();
    const bad: unknown[] = [{ data: {} }, { type: "", data: {} }, { type: "X", data: [1] }, { type: "X", data: null }, { type: "X", data: { at: new Date(0) } }, { type: "X", data: { n: NaN } }, { type: "X", data: {}, schemaVersion: 0 }, null];
    for (const e of bad) await expect(s.appendToStream("s", [deposit(1), e as never])).rejects.toThrow(MalformedEventError);
    await expect(s.appendToStream("s", { type: "X", data: { at: new Date(0) } } as never)).rejects.toThrow('Event 0 appended to "s" is malformed: data.at (Date) in X is not JSON');
    expect(s.size).toBe(0);
  });

  it("reads forwards and backwards, from a revision, at most N", async () => {
    const s = new EventStore();
    for (let i = 0; i < 10; i++) await s.appendToStream(i % 2 ? "odd" : "even", deposit(i));
    expect(s.readStream("even").map((e) => e.data.amount)).toEqual([0, 2, 4, 6, 8]);
    expect(s.readStream("even", { direction: "backwards", maxCount: 2 }).map((e) => e.data.amount)).toEqual([8, 6]);
    expect(s.readStream("odd", { from: 3 }).map((e) => e.revision)).toEqual([3, 4]);
    expect(s.readAll({ direction: "backwards", from: 4, maxCount: 3 }).map((e) => e.position)).toEqual([4, 3, 2]);
    expect(() => s.readAll({ direction: "sideways" as never })).toThrow(ConfigError);
  });

  it("catch-up subscription: the history first, then live events, with a checkpoint", async () => {
    const s = new EventStore();
    for (let i = 0; i < 3; i++) await s.appendToStream("a", deposit(i));
    const seen: number[] = [];
    const sub = s.subscribeToAll((e) => seen.push(e.position));
    expect(seen).toEqual([0, 1, 2]);
    expect(sub.live).toBe(true);
    await s.appendToStream("b", deposit(9));
    expect(seen).toEqual([0, 1, 2, 3]);
    sub.unsubscribe();
    await s.appendToStream("b", deposit(10));
    expect(sub.checkpoint).toBe(3);
    const resumed: number[] = [];
    s.subscribeToAll((e) => resumed.push(e.position), { afterPosition: sub.checkpoint });
    expect(resumed).toEqual([4]);
  });

  it("upcasters turn stored v1 events into v2 on read", async () => {
    const s = new EventStore();
    await s.appendToStream("account-1", [{ type: "AccountOpened", data: { owner: "ann" } }, { type: "MoneyDeposited", data: { amount: "12.50" } }, deposit(300)]);
    const repo = new AggregateRepository(s, bankAccount());
    expect(repo.load("1").state.balance).toBe(312.5); // wrong: v1 amounts were euros as strings
    s.registerUpcaster(moneyDepositedV1toV2);
    expect(repo.load("1").state.balance).toBe(1550);
    const e = s.readStream("account-1")[1]!;
    expect([e.storedVersion, e.schemaVersion, e.data.amount]).toEqual([1, 2, 1250]);
  });

  it("property: replaying a stream gives the state folded as the events were appended", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -500, max: 500 }).filter((n) => n !== 0), { maxLength: 60 }), (amounts) => {
        const s = new EventStore();
        for (const a of amounts) s.appendNow("acc", a > 0 ? deposit(a) : { type: "MoneyWithdrawn", data: { amount: -a } });
        const folded = s.fold("acc", 0, (b, e: RecordedEvent) => b + (e.type === "MoneyDeposited" ? 1 : -1) * Number(e.data.amount));
        expect(folded.state).toBe(amounts.reduce((a, b) => a + b, 0));
        expect(folded.revision).toBe(amounts.length - 1);
      }),
    );
  });
});

describe("event-sourced bank account", () => {
  it("commands validate against replayed state: the overdraft rule refuses a withdrawal", async () => {
    const store = new EventStore();
    const repo = new AggregateRepository(store, bankAccount({ overdraftLimit: 100 }));
    await repo.execute("7", { type: "Open", owner: "ann" });
    await repo.execute("7", { type: "Deposit", amount: 500 });
    expect((await repo.execute("7", { type: "Withdraw", amount: 550 })).state.balance).toBe(-50);
    await expect(repo.execute("7", { type: "Withdraw", amount: 51 })).rejects.toThrow(CommandRejectedError);
    await expect(repo.execute("7", { type: "Withdraw", amount: 51 })).rejects.toThrow("balance -50 − 51 would pass the overdraft limit of 100");
    expect(store.readStream("account-7").map((e) => e.type)).toEqual(["AccountOpened", "MoneyDeposited", "MoneyWithdrawn"]);
  });

  it("snapshots every 100 events bound the replay: 1,000 events load by replaying at most 99", async () => {
    const store = new EventStore();
    const plain = new AggregateRepository(store, bankAccount());
    const snap = new AggregateRepository(store, bankAccount(), { snapshotEvery: 100 });
    await plain.execute("1", { type: "Open", owner: "ann" });
    for (let i = 0; i < 999; i++) await snap.execute("1", { type: "Deposit", amount: 1 });
    expect(plain.load("1")).toMatchObject({ revision: 999, replayed: 1000, snapshotRevision: undefined });
    const loaded = snap.load("1");
    expect(loaded.state).toEqual(plain.load("1").state);
    expect(loaded.snapshotRevision).toBe(999);
    expect(loaded.replayed).toBe(0);
    await snap.execute("1", { type: "Deposit", amount: 1 });
    await snap.execute("1", { type: "Deposit", amount: 1 });
    expect(snap.load("1")).toMatchObject({ snapshotRevision: 999, replayed: 2, revision: 1001 });
  });

  it("two concurrent commands: one conflicts; with retries it reloads and succeeds", async () => {
    const store = new EventStore();
    const strict = new AggregateRepository(store, bankAccount());
    await strict.execute("1", { type: "Open", owner: "ann" });
    const settled = await Promise.allSettled([strict.execute("1", { type: "Deposit", amount: 5 }), strict.execute("1", { type: "Deposit", amount: 7 })]);
    // Both loaded revision 0 before either appended: the second append fails.
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected"]);
    const retrying = new AggregateRepository(store, bankAccount(), { retries: 2 });
    const ok = await Promise.all([retrying.execute("1", { type: "Deposit", amount: 5 }), retrying.execute("1", { type: "Deposit", amount: 7 })]);
    expect(ok.map((r) => r.attempts)).toEqual([1, 2]);
    expect(retrying.load("1").state.balance).toBe(17);
  });

  it("bad command input is refused, bad options are ConfigErrors", async () => {
    const repo = new AggregateRepository(new EventStore(), bankAccount());
    await expect(repo.execute("1", { type: "Deposit", amount: 5 })).rejects.toThrow("Deposit rejected: the account is not open");
    expect(() => new AggregateRepository(new EventStore(), bankAccount(), { snapshotEvery: -1 })).toThrow(ConfigError);
    expect(() => bankAccount({ overdraftLimit: -5 })).toThrow(ConfigError);
  });
});

describe("CQRS projections", () => {
  const balances = {
    name: "balances",
    initial: () => new Map<string, { owner: string; balance: number }>(),
    apply(m: Map<string, { owner: string; balance: number }>, e: RecordedEvent) {
      const id = e.streamId;
      if (e.type === "AccountOpened") m.set(id, { owner: String(e.data.owner), balance: 0 });
      const row = m.get(id);
      if (row && e.type === "MoneyDeposited") row.balance += Number(e.data.amount);
      if (row && e.type === "MoneyWithdrawn") row.balance -= Number(e.data.amount);
    },
  };

  it("a read right after a write does not see it; after the lag it does", async () => {
    const sim = new Simulation({ seed: 4 });
    const store = new EventStore(sim);
    const repo = new AggregateRepository(store, bankAccount());
    const view = new Projection(sim, store, balances, { lagMs: 50 });
    await sim.run(async () => {
      await repo.execute("1", { type: "Open", owner: "ann" });
      await repo.execute("1", { type: "Deposit", amount: 100 });
      expect(view.query((m) => m.get("account-1"))).toBeUndefined();
      expect(view.staleness()).toEqual({ behindEvents: 2, behindMs: 0 });
      await sim.sleep(30);
      expect(view.staleness()).toEqual({ behindEvents: 2, behindMs: 30 });
      await sim.sleep(20);
      expect(view.query((m) => m.get("account-1")?.balance)).toBe(100);
      expect(view.staleness().behindEvents).toBe(0);
    });
    expect(view.lag.percentile(99)).toBe(50);
    expect(view.checkpoint).toBe(1);
  });

  it("events are applied in log order even with a random lag, and a projection rebuilds from position 0", async () => {
    const sim = new Simulation({ seed: 9 });
    const store = new EventStore(sim);
    const repo = new AggregateRepository(store, bankAccount());
    const view = new Projection(sim, store, balances, { lagMs: dist.uniform(0, 200) });
    const order: number[] = [];
    const tracer = new Projection(sim, store, { name: "order", initial: () => 0, apply: (_m, e) => void order.push(e.position) }, { lagMs: dist.uniform(0, 200) });
    await sim.run(async () => {
      await repo.execute("1", { type: "Open", owner: "ann" });
      for (let i = 0; i < 20; i++) {
        await repo.execute("1", { type: "Deposit", amount: 10 });
        await sim.sleep(5);
      }
      await sim.sleep(500);
    });
    expect(order).toEqual(Array.from({ length: 21 }, (_, i) => i));
    expect(view.model.get("account-1")!.balance).toBe(200);
    // Rebuilding (e.g. after fixing the projection's code) replays the log from position 0 at once.
    view.rebuild({ ...balances, name: "balances v2" });
    expect(view.model.get("account-1")!.balance).toBe(200);
    expect(view.eventsApplied).toBe(21);
    expect(view[DISPLAY]()["text/markdown"]).toContain("checkpoint 20 of 20");
    void tracer;
  });
});
