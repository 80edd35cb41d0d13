/**
 * Build challenge "cqrs": the learner writes a projection (a read model of account balances)
 * whose checkpoint is stored with the view in one atomic write, and the query side, which
 * gives a writer its own write (waiting until the view's checkpoint passes the write's
 * position). The checker appends to the lab's `EventStore` on virtual time, delivers events
 * at least once (late, duplicated, redelivered after a restart) and crashes the projector
 * after any write to its database. Invariants: the view equals the fold of every event
 * exactly once, the checkpoint ends at the last event, a writer's read includes its write,
 * any other read shows the view as of a position between the stored checkpoint and the head
 * (stale by at most the lag), and no read waits once the view has what it needs.
 */
import { ConfigError, EventStore, Random, Simulation } from "sde-lab";
import { defineBuildChallenge, type CheckCase, type FaultSpec } from "../build";
import { seededCases } from "../seeded-cases";
import { expectSolution } from "../challenge";

/** One event as the subscription delivers it (at least once, in order, repeats possible). */
export interface BalanceEvent {
  /** Global position in the store, from 0: the checkpoint is the position of the last event the view includes. */
  readonly position: number;
  /** The account's stream, `account-1` … `account-4`. */
  readonly streamId: string;
  readonly type: "MoneyDeposited" | "MoneyWithdrawn";
  /** Cents. */
  readonly data: { readonly amount: number };
}

/** The read side's database: rows (stream id → balance in cents) and a stored checkpoint. */
export interface ReadDb {
  /** The balance row of an account; undefined when there is none. */
  get(account: string): Promise<number | undefined>;
  /** The stored checkpoint: position of the last event the view includes (-1 at first). */
  checkpoint(): Promise<number>;
  /** One atomic write: every row in `rows` and, when given, the checkpoint, all or nothing. Readers may not write. */
  write(change: { rows?: Readonly<Record<string, number>>; checkpoint?: number }): Promise<void>;
}

/** A running projector instance. A crash throws it away; the database survives. */
export interface Projector {
  /** Called on every (re)start before any event: returns the position to resume after. */
  start(): Promise<number>;
  /** Applies one delivered event (it may be one already applied). */
  handle(event: BalanceEvent): Promise<void>;
}

/** What a query gets. */
export interface QueryContext {
  /** The read side's database (read-only for queries). */
  readonly db: ReadDb;
  /** The account asked about. */
  readonly account: string;
  /** When the reader just wrote: the position its write got. Undefined for other readers. */
  readonly ownPosition?: number;
  /** Waits on the simulation's virtual clock. */
  sleep(ms: number): Promise<void>;
}

/** Solution of the CQRS build challenge. */
export interface CqrsBuildSolution {
  /** A projector over this database (called at the start and after every crash). */
  createProjector(db: ReadDb): Projector;
  /** The account's balance, in cents, as the read side answers it. */
  query(ctx: QueryContext): Promise<number | undefined>;
}

const ACCOUNTS = ["account-1", "account-2", "account-3", "account-4"];
const RESTART_AFTER = 20;
/** A read may take this long once the view has what it needs. */
const READ_SLACK = 20;
/** How long the checker waits for a handler, a start or a read before calling it stuck. */
const STUCK_AFTER = 2_000;

const euros = (cents: number) => `${cents < 0 ? "−" : ""}€${(Math.abs(cents) / 100).toFixed(2)}`;

interface Knobs {
  lag: readonly [number, number];
  ownReads: boolean;
}

async function runView(solution: CqrsBuildSolution, c: CheckCase, knobs: Knobs) {
  const sim = new Simulation({ seed: c.seed });
  const random = new Random(c.seed * 17 + 3);
  const store = new EventStore(sim);
  const problems: { at: number; text: string }[] = [];
  const fail = (text: string): void => void problems.push({ at: sim.now, text });
  const crashAfter = new Set(c.faults.filter((f) => f.kind === "crash-after-write").map((f) => Number(f.params?.write)));
  const dupP = Number(c.faults.find((f) => f.kind === "duplicate")?.params?.p ?? 0);
  const lateP = Number(c.faults.find((f) => f.kind === "late")?.params?.p ?? 0);
  const never = <T>() => new Promise<T>(() => {});
  const timeout = <T>(p: Promise<T>, what: string) => Promise.race([p, sim.sleep(STUCK_AFTER).then(() => Promise.reject(new Error(`${what} did not finish within ${STUCK_AFTER} ms`)))]);

  // The read database.
  const rows = new Map<string, number>();
  let stored = -1;
  const checkpointLog: { time: number; cp: number }[] = [{ time: 0, cp: -1 }];
  let writes = 0;
  let gen = 0;
  let caughtUp = -1;
  let writersDone = false;
  const due: number[] = [];
  // Rows that, when the projector crashed, did not match the stored checkpoint: a real restart
  // resumes after the checkpoint and applies their events again (or never). If the view still
  // ends right, the projector knew from memory kept outside the database, which outlives a
  // simulated crash here (same process) and not a real one. Judged after everything else.
  let drift: { write: number; account: string; view: number; atCheckpoint: number; checkpoint: number } | undefined;

  const dbFor = (g: number | "reader"): ReadDb => {
    const alive = () => g === "reader" || g === gen;
    return {
      async get(account) {
        if (!alive()) return never();
        await sim.sleep(1);
        return alive() ? rows.get(account) : never();
      },
      async checkpoint() {
        if (!alive()) return never();
        await sim.sleep(1);
        return alive() ? stored : never();
      },
      async write(change) {
        if (g === "reader") throw new ConfigError("ReadDb.write", "change", change, "no write: queries only read (the projector writes the view)");
        if (!alive()) return never();
        if (!change || typeof change !== "object") throw new ConfigError("ReadDb.write", "change", change, "{ rows?: { [account]: cents }, checkpoint?: position }");
        const entries = Object.entries(change.rows ?? {});
        for (const [k, v] of entries) if (typeof v !== "number" || !Number.isFinite(v)) throw new ConfigError("ReadDb.write", `rows["${k}"]`, v, "a number of cents");
        if (change.checkpoint !== undefined && (!Number.isInteger(change.checkpoint) || change.checkpoint < -1)) throw new ConfigError("ReadDb.write", "checkpoint", change.checkpoint, "a whole-number position ≥ -1");
        await sim.sleep(1);
        if (!alive()) return never();
        for (const [k, v] of entries) rows.set(k, v);
        if (change.checkpoint !== undefined) {
          if (change.checkpoint > store.lastPosition) fail(`the projector stored checkpoint ${change.checkpoint}, beyond the last event (position ${store.lastPosition}).`);
          stored = change.checkpoint;
          checkpointLog.push({ time: sim.now, cp: stored });
        }
        writes++;
        const parts = [...entries.map(([k, v]) => `${k}=${v}`), ...(change.checkpoint !== undefined ? [`checkpoint=${change.checkpoint}`] : [])];
        sim.trace.record("request", "projector", "read db", `write ${parts.join(" ") || "(nothing)"}`);
        if (crashAfter.has(writes)) {
          const off = drift ? undefined : ACCOUNTS.find((a) => (rows.get(a) ?? 0) !== balanceAt(a, stored));
          if (off) drift = { write: writes, account: off, view: rows.get(off) ?? 0, atCheckpoint: balanceAt(off, stored), checkpoint: stored };
          gen++;
          sim.trace.record("fault", "projector", "projector", `crash after write ${writes}`);
          const g2 = gen;
          sim.schedule(RESTART_AFTER, () => void project(g2));
          return never();
        }
      },
    };
  };

  const toEvent = (p: number): BalanceEvent => {
    const e = store.readAll({ from: p, maxCount: 1 })[0]!;
    return { position: e.position, streamId: e.streamId, type: e.type as BalanceEvent["type"], data: { amount: Number(e.data.amount) } };
  };

  // One projector instance: start, then deliveries in order, with duplicates and late repeats.
  const project = async (g: number) => {
    try {
      const p = solution.createProjector(dbFor(g));
      if (!p || typeof p.start !== "function" || typeof p.handle !== "function") throw new ConfigError("cqrs", "createProjector(db)", p, "{ start(), handle(event) }");
      const after = await timeout(Promise.resolve().then(() => p.start()), "start()");
      if (!Number.isInteger(after) || after < -1) throw new ConfigError("cqrs", "start()", after, "a whole-number position ≥ -1 to resume after");
      sim.trace.record("note", "projector", "projector", `started, resuming after ${after}`);
      const deliver = async (pos: number, why: string) => {
        sim.trace.record("request", "subscription", "projector", `${why}event ${pos}`);
        await timeout(Promise.resolve().then(() => p.handle(toEvent(pos))), `handle(event ${pos})`);
      };
      for (let next = after + 1; g === gen; ) {
        if (next > store.lastPosition) {
          if (writersDone) {
            caughtUp = g;
            return;
          }
          await sim.sleep(2);
          continue;
        }
        if (sim.now < due[next]!) await sim.sleep(due[next]! - sim.now);
        await deliver(next, "");
        if (dupP > 0 && random.chance(dupP)) await deliver(next, "again ");
        if (lateP > 0 && next > 0 && random.chance(lateP)) await deliver(Math.max(0, next - random.int(1, 4)), "late ");
        next++;
      }
    } catch (e) {
      if (g === gen) fail(`the projector threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}.`);
    }
  };

  // Balance of an account after every event up to position p.
  const balanceAt = (account: string, p: number) => {
    let b = 0;
    for (const e of store.readAll({ maxCount: p + 1 })) if (e.streamId === account) b += (e.type === "MoneyDeposited" ? 1 : -1) * Number(e.data.amount);
    return b;
  };
  const cpReachedAt = (pos: number) => checkpointLog.find((x) => x.cp >= pos)?.time;

  const read = async (account: string, ownPosition?: number) => {
    const start = sim.now;
    const cpStart = stored;
    const who = ownPosition === undefined ? "reader" : "writer";
    sim.trace.record("request", who, "query", `balance of ${account}${ownPosition === undefined ? "" : ` (own write at position ${ownPosition})`}`);
    let value: number | undefined;
    try {
      value = await timeout(Promise.resolve().then(() => solution.query({ db: dbFor("reader"), account, ownPosition, sleep: (ms) => sim.sleep(ms) })), "query()");
    } catch (e) {
      return fail(`a query of ${account} threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}.`);
    }
    sim.trace.record("response", "query", who, `${account}: ${String(value)}`);
    if (value !== undefined && (typeof value !== "number" || !Number.isFinite(value))) return fail(`query() returned ${JSON.stringify(value)}; it must return a number of cents (or undefined for no row).`);
    const got = value ?? 0;
    const head = store.lastPosition;
    const lo = ownPosition ?? cpStart;
    const options = new Set<number>();
    for (let p = Math.max(-1, lo); p <= head; p++) options.add(balanceAt(account, p));
    if (!options.has(got)) {
      if (ownPosition !== undefined) return fail(`a client deposited or withdrew on ${account} (position ${ownPosition}) and its read at once showed ${euros(got)}, which leaves its own write out (the balance with it is ${euros(balanceAt(account, ownPosition))}).`);
      return fail(`a reader of ${account} got ${euros(got)}, but the view's checkpoint was ${cpStart} and the head ${head}: the balance was ${[...options].map(euros).join(" or ")} in that window.`);
    }
    const ready = ownPosition === undefined ? start : Math.max(start, cpReachedAt(ownPosition) ?? sim.now);
    if (sim.now - ready > READ_SLACK) return fail(`a read of ${account} took ${sim.now - start} ms, ${sim.now - ready} ms after the view had what it needed (at most ${READ_SLACK}): no fixed long sleeps.`);
  };

  await sim.run(async () => {
    void project(gen);
    const reads: Promise<void>[] = [];
    const balance = new Map<string, number>();
    for (let i = 0; i < c.size; i++) {
      await sim.sleep(random.int(2, 12));
      const account = ACCOUNTS[random.int(0, ACCOUNTS.length - 1)]!;
      const have = balance.get(account) ?? 0;
      const withdraw = have > 0 && random.chance(0.35);
      const amount = withdraw ? random.int(1, have) : random.int(10, 500);
      balance.set(account, have + (withdraw ? -amount : amount));
      const { position } = store.appendNow(account, { type: withdraw ? "MoneyWithdrawn" : "MoneyDeposited", data: { amount } });
      due[position] = Math.max(due[position - 1] ?? 0, sim.now + random.int(knobs.lag[0], knobs.lag[1]));
      if (knobs.ownReads && random.chance(0.6)) reads.push(read(account, position));
      if (random.chance(0.5)) reads.push(read(ACCOUNTS[random.int(0, ACCOUNTS.length - 1)]!));
    }
    writersDone = true;
    await Promise.all(reads);
    const deadline = sim.now + STUCK_AFTER;
    while (caughtUp !== gen && sim.now < deadline && problems.length === 0) await sim.sleep(10);
  });
  return { sim, store, rows, stored: () => stored, caught: caughtUp === gen, problems, balanceAt, drift };
}

function judge(r: Awaited<ReturnType<typeof runView>>) {
  const { sim, store, rows, problems } = r;
  if (problems.length > 0) return { ok: false, sim, at: problems[0]!.at, invariant: problems[0]!.text };
  const last = store.lastPosition;
  for (const account of ACCOUNTS) {
    const want = r.balanceAt(account, last);
    const got = rows.get(account) ?? 0;
    if (got === want) continue;
    const diff = got - want;
    const culprit = store.readAll().find((e) => e.streamId === account && Number(e.data.amount) === Math.abs(diff));
    const why = culprit ? ` The difference is exactly the amount of event ${culprit.position} (${culprit.type} ${culprit.data.amount}), ${(diff > 0) === (culprit.type === "MoneyDeposited") ? "counted twice" : "lost"}.` : "";
    return { ok: false, sim, invariant: `the view shows ${account} at ${euros(got)}, but its events fold to ${euros(want)}.${why}` };
  }
  if (!r.caught || r.stored() !== last) return { ok: false, sim, invariant: `the view's stored checkpoint ended at ${r.stored()}, but the last event is at position ${last}: after a restart the projector would start from the wrong place.` };
  if (r.drift) {
    const d = r.drift;
    return { ok: false, sim, kind: "memory", invariant: `when the projector crashed after write ${d.write}, the view had ${d.account} at ${euros(d.view)} but its stored checkpoint ${d.checkpoint} says ${euros(d.atCheckpoint)}. The view still ended right only because the restarted projector knew more from memory outside the database, which a real crash wipes: a real restart resumes after the checkpoint.` };
  }
  return { ok: true, sim };
}

/** One case, judged: the bench's "plain run" beside a full check. */
export async function runCqrsCase(s: CqrsBuildSolution, c: CheckCase, ownReads: boolean) {
  return judge(await runView(s, c, { lag: ownReads ? [20, 60] : [5, 25], ownReads }));
}

/** 20 cases of 30 events from `firstSeed`, with the faults `faults(i)`. */
const viewCases = (firstSeed: number, faults: (i: number) => FaultSpec[]) => seededCases(20, firstSeed, (i) => ({ faults: faults(i), size: 30 }));

export const cqrsBuild = defineBuildChallenge<CqrsBuildSolution>({
  id: "cqrs",
  title: "Write the projection (checkpoint stored with the view) and read-your-writes",
  statement: [
    "A `balances` read model: one row per account (`account-1` … `account-4`), deposits minus withdrawals, in cents. Write the **projector** that folds the events into the read database and the **query** side.",
    "",
    "The subscription delivers events in order but **at least once**: an event may come again at once, or late after newer ones, and after a crash the projector restarts from the position its `start()` returns. The projector may crash after any write to its database. Store the checkpoint **with** the rows it covers, in one atomic `write`, so the view never counts an event twice or skips one. A client that just wrote passes `ownPosition`: its read must include that write (wait until the stored checkpoint reaches it); other readers get the view as it is.",
    "",
    "```ts",
    "interface BalanceEvent { position: number; streamId: string; type: \"MoneyDeposited\" | \"MoneyWithdrawn\"; data: { amount: number } }",
    "interface ReadDb {",
    "  get(account: string): Promise<number | undefined>;",
    "  checkpoint(): Promise<number>;                                   // -1 at first",
    "  write(change: { rows?: Record<string, number>; checkpoint?: number }): Promise<void>; // atomic",
    "}",
    "interface Projector { start(): Promise<number>; handle(event: BalanceEvent): Promise<void> }",
    "interface QueryContext { db: ReadDb; account: string; ownPosition?: number; sleep(ms: number): Promise<void> }",
    "interface CqrsBuildSolution {",
    "  createProjector(db: ReadDb): Projector;          // at the start and after every crash",
    "  query(ctx: QueryContext): Promise<number | undefined>;",
    "}",
    "```",
    "",
    "**The checker attacks** with 30 deposits and withdrawals of random amounts on four accounts, delivered 5–60 ms after the append; duplicate deliveries (25 %), late repeats of older events (15 %), and crashes of the projector after its 1st to 16th database write (it restarts 20 ms later); readers query at random moments and writers read right after their own write. Invariants: at the end every row equals the fold of its events, each counted once, and the stored checkpoint is the last position; a writer's read includes its write; any other read shows the balance as of a position between the view's checkpoint and the head; a read returns within 20 ms once the view has what it needs.",
  ].join("\n"),
  validate(s) {
    expectSolution("cqrs", s, ["createProjector", "query"]);
  },
  stages: [
    {
      name: "projects",
      goal: "events delivered once each, 5–25 ms late: the view ends equal to the fold of the events, with the last position as checkpoint, and reads show the view",
      cases: viewCases(1, () => []),
      minSize: 1,
      run: async (s, c) => judge(await runView(s, c, { lag: [5, 25], ownReads: false })),
    },
    {
      name: "survives crashes and redelivery",
      goal: "crashes after any database write, duplicates and late repeats: every event still counted exactly once",
      cases: viewCases(100, (i): FaultSpec[] => [
        { kind: "crash-after-write", label: `crash the projector after its database write ${1 + (i % 6)}`, params: { write: 1 + (i % 6) } },
        { kind: "crash-after-write", label: `crash the projector after its database write ${8 + (i % 9)}`, params: { write: 8 + (i % 9) } },
        { kind: "duplicate", label: "deliver 25 % of the events twice in a row", params: { p: 0.25 } },
        { kind: "late", label: "repeat an older event late after 15 % of the deliveries", params: { p: 0.15 } },
      ]),
      minSize: 1,
      run: async (s, c) => judge(await runView(s, c, { lag: [5, 25], ownReads: false })),
    },
    {
      name: "reads your writes",
      goal: "with 20–60 ms of lag and a projector crash, a writer's read includes its own write, without waiting longer than the view needs",
      cases: viewCases(200, (i): FaultSpec[] => [
        { kind: "crash-after-write", label: `crash the projector after its database write ${3 + (i % 10)}`, params: { write: 3 + (i % 10) } },
        { kind: "duplicate", label: "deliver 25 % of the events twice in a row", params: { p: 0.25 } },
      ]),
      minSize: 1,
      run: async (s, c) => judge(await runView(s, c, { lag: [20, 60], ownReads: true })),
    },
  ],
  hints: {
    nudge: "The stored checkpoint is the projector's memory: it is the only thing a restarted instance knows. Ask what the database holds if the process dies between any two of your writes, and what the next instance then does with the event it gets.",
    approach: "On start, resume after the stored checkpoint. For each event: skip it if its position is not beyond the checkpoint; otherwise read the row, compute the new balance, and write that row together with the event's position as the new checkpoint. For the query, compare the stored checkpoint with the reader's own position.",
    keyIdea: "A view written in one step and a checkpoint written in another can disagree after a crash: view first means the event is applied again, checkpoint first means it is lost. One atomic write makes the pair move together, and the same checkpoint then answers read-your-writes: poll it briefly until it reaches the writer's position, then read.",
  },
});
