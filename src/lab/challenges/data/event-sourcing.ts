/**
 * Build challenge "event-sourcing": the learner writes a bank account aggregate's `decide` and
 * `evolve` and the command handler that loads the stream, decides and appends at the expected
 * revision, retrying on a WrongExpectedVersionError (EventStoreDB's optimistic concurrency).
 * The checker runs the pure part against a reference model with fast-check, then races twenty
 * commands on one stream of the lab's `EventStore` on virtual time, crashes command handlers
 * between decide and append, and makes loads start from snapshots of long streams.
 * Invariants: never overdrawn, a command reported accepted appended its events exactly once,
 * a rejection only when the rules refuse at the state last read (a conflict is retried, not
 * swallowed), rejected commands append nothing, replaying from scratch or from a snapshot
 * gives the same state.
 */
import fc from "fast-check";
import { ConfigError, EventStore, Random, Simulation, WrongExpectedVersionError, type RecordedEvent } from "sde-lab";
import { defineBuildChallenge, type CheckCase } from "../build";
import { seededCases } from "../seeded-cases";
import { expectSolution } from "../challenge";
import { fcProperty } from "./property";

/** The account's state, in cents. */
export interface AccountState {
  /** True once AccountOpened happened. */
  readonly open: boolean;
  /** Deposits minus withdrawals, cents. */
  readonly balance: number;
}

/** What happened to an account (facts: evolve applies them without checking rules). */
export type AccountEvent =
  | { readonly type: "AccountOpened"; readonly data: { readonly owner: string } }
  | { readonly type: "MoneyDeposited"; readonly data: { readonly amount: number } }
  | { readonly type: "MoneyWithdrawn"; readonly data: { readonly amount: number } };

/** What a client asks for (intentions: decide checks them against the state). */
export type AccountCommand = { readonly type: "Open"; readonly owner: string } | { readonly type: "Deposit"; readonly amount: number } | { readonly type: "Withdraw"; readonly amount: number };

/** An event as read back from the stream, with its revision (0 = the stream's first event). */
export type StoredAccountEvent = AccountEvent & { readonly revision: number };

/** A snapshot: the state after the event at `revision`, as stored (it went through JSON). */
export interface AccountSnapshot {
  readonly state: AccountState;
  readonly revision: number;
}

/** The event store as the command handler sees it (shaped like EventStoreDB's client). */
export interface AccountStore {
  /** The account's stream name. */
  readonly stream: string;
  /** Events of the stream from revision `from` (default 0), oldest first. */
  readStream(stream: string, options?: { from?: number }): Promise<StoredAccountEvent[]>;
  /**
   * Appends atomically when the stream's last revision equals `expectedRevision` (-1: the
   * stream must be empty); otherwise rejects with a `WrongExpectedVersionError` and appends
   * nothing. Without `expectedRevision` ("any") there is no check.
   */
  appendToStream(stream: string, events: readonly AccountEvent[], options?: { expectedRevision?: number | "any" }): Promise<{ nextExpectedRevision: number }>;
  /** The latest snapshot of the stream, if one was taken (one every 100 events). */
  readSnapshot(stream: string): Promise<AccountSnapshot | undefined>;
  /** Waits on the simulation's virtual clock. */
  sleep(ms: number): Promise<void>;
}

/** Solution of the event-sourcing build challenge. */
export interface EventSourcingBuildSolution {
  /** The state before any event. */
  initial(): AccountState;
  /** The state after one more event. Pure: never changes `state`, same inputs, same output. */
  evolve(state: AccountState, event: AccountEvent): AccountState;
  /** The events a command produces at this state; throws (any Error) when the rules refuse it. */
  decide(state: AccountState, command: AccountCommand): AccountEvent[];
  /** Loads the stream, decides, appends at the expected revision; retries on a conflict. */
  handle(store: AccountStore, command: AccountCommand): Promise<"accepted" | "rejected">;
}

const STREAM = "account-1";
const SNAPSHOT_EVERY = 100;
/** A client that hears nothing for this long resends its command (the handler crashed). */
const CLIENT_TIMEOUT = 60;
/** A command still unanswered after this long is judged stuck. */
const STUCK_AFTER = 3_000;

const euros = (cents: number) => `${cents < 0 ? "−" : ""}€${(Math.abs(cents) / 100).toFixed(2)}`;
const showCommand = (c: AccountCommand) => (c.type === "Open" ? `Open(${c.owner})` : `${c.type} ${c.amount}`);
const showEvents = (es: readonly AccountEvent[]) => (es.length === 0 ? "no events" : es.map((e) => `${e.type} ${JSON.stringify(e.data)}`).join(", "));

/** The rules, as the checker knows them. */
const ref = {
  initial: (): AccountState => ({ open: false, balance: 0 }),
  evolve(s: AccountState, e: AccountEvent): AccountState {
    if (e.type === "AccountOpened") return { ...s, open: true };
    if (e.type === "MoneyDeposited") return { ...s, balance: s.balance + e.data.amount };
    return { ...s, balance: s.balance - e.data.amount };
  },
  /** The events the rules allow, or undefined for a refusal. */
  decide(s: AccountState, c: AccountCommand): AccountEvent[] | undefined {
    if (c.type === "Open") return s.open ? undefined : [{ type: "AccountOpened", data: { owner: c.owner } }];
    if (!s.open || !Number.isInteger(c.amount) || c.amount <= 0) return undefined;
    if (c.type === "Deposit") return [{ type: "MoneyDeposited", data: { amount: c.amount } }];
    return c.amount <= s.balance ? [{ type: "MoneyWithdrawn", data: { amount: c.amount } }] : undefined;
  },
};

/** Why a recorded event is not an account event, or undefined when it is one. */
function badEvent(e: { type: string; data: Record<string, unknown> }): string | undefined {
  if (e.type === "AccountOpened") return typeof e.data.owner === "string" ? undefined : `AccountOpened without an owner`;
  if (e.type === "MoneyDeposited" || e.type === "MoneyWithdrawn") return Number.isInteger(e.data.amount) && (e.data.amount as number) > 0 ? undefined : `${e.type} with amount ${JSON.stringify(e.data.amount)} (a whole number of cents > 0)`;
  return `an event of type ${JSON.stringify(e.type)}, which the account does not know`;
}

const sameState = (a: AccountState, b: AccountState) => a?.open === b.open && a?.balance === b.balance;
const showState = (s: AccountState) => (s && typeof s === "object" ? `{ open: ${String(s.open)}, balance: ${String(s.balance)} }` : JSON.stringify(s));
const copy = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));
const deepEqual = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

// ---------- stage 1: decide and evolve, against the rules (fast-check) ----------

const commandArb: fc.Arbitrary<AccountCommand> = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom("ann", "bo").map((owner): AccountCommand => ({ type: "Open", owner })) },
  { weight: 3, arbitrary: fc.integer({ min: -50, max: 600 }).map((amount): AccountCommand => ({ type: "Deposit", amount })) },
  { weight: 4, arbitrary: fc.integer({ min: -50, max: 600 }).map((amount): AccountCommand => ({ type: "Withdraw", amount })) },
);
const historyArb = fc.tuple(fc.boolean(), fc.array(commandArb, { minLength: 1, maxLength: 16 }), fc.nat()).map(([open, cmds, cut]) => ({ commands: open ? [{ type: "Open", owner: "ann" } as AccountCommand, ...cmds] : cmds, cut }));

/** Runs one command history through the learner's decide/evolve; a sentence when a rule or purity breaks. */
function checkHistory(s: EventSourcingBuildSolution, h: { commands: AccountCommand[]; cut: number }): string | undefined {
  let mine = s.initial();
  let theirs = ref.initial();
  if (!sameState(mine, theirs)) return `initial() returned ${showState(mine)}; an account before any event is { open: false, balance: 0 }.`;
  const events: AccountEvent[] = [];
  const states: AccountState[] = [];
  const snapshots: string[] = [];
  for (const c of h.commands) {
    const before = JSON.stringify(mine);
    let produced: AccountEvent[];
    try {
      produced = s.decide(mine, c);
    } catch {
      produced = [];
    }
    if (JSON.stringify(mine) !== before) return `decide(${showState(theirs)}, ${showCommand(c)}) changed the state it was given; decide must only read it.`;
    if (!Array.isArray(produced)) return `decide(…, ${showCommand(c)}) returned ${JSON.stringify(produced)}, not an array of events.`;
    const allowed = ref.decide(theirs, c);
    if (!allowed && produced.length > 0) return `decide accepted ${showCommand(c)} at ${showState(theirs)} and gave ${showEvents(produced)}, but the rules refuse it: a rejected command must produce no events (throw).`;
    if (allowed && !deepEqual(produced.map((e) => ({ type: e?.type, data: e?.data })), allowed)) return `decide(${showState(theirs)}, ${showCommand(c)}) gave ${showEvents(produced)}; the rules accept it with ${showEvents(allowed)}.`;
    for (const e of produced) {
      const b = JSON.stringify(mine);
      const next = s.evolve(mine, e);
      if (JSON.stringify(mine) !== b) return `evolve(${b}, ${e.type}) changed the state it was given; evolve must return a new state (replays and snapshots rely on old states staying as they were).`;
      const again = s.evolve(copy(JSON.parse(b) as AccountState), e);
      if (!deepEqual(next, again)) return `evolve gave ${JSON.stringify(next)} and then ${JSON.stringify(again)} for the same state and ${e.type}: it must be deterministic.`;
      theirs = ref.evolve(theirs, e);
      if (!sameState(next, theirs)) return `after ${showEvents(events.concat(e))} evolve gave ${showState(next)}; the events fold to ${showState(theirs)}.`;
      mine = next;
      events.push(e);
      states.push(mine);
      snapshots.push(JSON.stringify(mine));
    }
  }
  // Incremental states must not change afterwards, and folds from scratch or a snapshot agree.
  for (let i = 0; i < states.length; i++) if (JSON.stringify(states[i]) !== snapshots[i]) return `the state after event ${i + 1} (${snapshots[i]}) later became ${JSON.stringify(states[i])}: evolve changes states it returned earlier.`;
  const scratch = events.reduce((st, e) => s.evolve(st, e), s.initial());
  if (!deepEqual(scratch, mine)) return `folding the ${events.length} events from scratch gave ${JSON.stringify(scratch)}, but applying them one by one gave ${JSON.stringify(mine)}.`;
  if (events.length > 0) {
    const cut = h.cut % events.length;
    const fromSnapshot = events.slice(cut + 1).reduce((st, e) => s.evolve(st, e), copy(JSON.parse(snapshots[cut]!) as AccountState));
    if (!deepEqual(fromSnapshot, mine)) return `replaying from a snapshot after event ${cut + 1} (the state through JSON) gave ${JSON.stringify(fromSnapshot)}, but from scratch ${JSON.stringify(mine)}.`;
  }
  return undefined;
}

// ---------- stages 2 and 3: racing command handlers on a real store ----------

interface CallRecord {
  readonly index: number;
  readonly command: AccountCommand;
  appends: number;
  lastRead: number;
  result?: "accepted" | "rejected";
  crashed: boolean;
}

/** History for a long stream: deposits of 300 and withdrawals of 150 that end at a balance of 1,500. */
function longHistory(random: Random, n: number): AccountEvent[] {
  const out: AccountEvent[] = [{ type: "AccountOpened", data: { owner: "ann" } }];
  let balance = 0;
  for (let i = 0; i < n; i++) {
    if (balance >= 150 && random.chance(2 / 3)) {
      out.push({ type: "MoneyWithdrawn", data: { amount: 150 } });
      balance -= 150;
    } else {
      out.push({ type: "MoneyDeposited", data: { amount: 300 } });
      balance += 300;
    }
  }
  for (; balance > 1500; balance -= 150) out.push({ type: "MoneyWithdrawn", data: { amount: 150 } });
  for (; balance < 1500; balance += 150) out.push({ type: "MoneyDeposited", data: { amount: 150 } });
  return out;
}

async function raceCommands(s: EventSourcingBuildSolution, c: CheckCase, long: boolean) {
  const sim = new Simulation({ seed: c.seed });
  const random = new Random(c.seed * 13 + 5);
  const store = new EventStore(sim);
  const history = long ? longHistory(random, 1_000 + random.int(0, 200)) : [{ type: "AccountOpened", data: { owner: "ann" } } as AccountEvent, { type: "MoneyDeposited", data: { amount: 1500 } } as AccountEvent];
  store.appendNow(STREAM, history.map((e) => ({ type: e.type, data: { ...e.data } })));
  const problems: { at: number; text: string }[] = [];
  const fail = (text: string): void => void problems.push({ at: sim.now, text });
  const crashAt = new Set(c.faults.filter((f) => f.kind === "crash-before-append").map((f) => Number(f.params?.append)));
  let appendCalls = 0;

  // Snapshots: the learner's own evolve, every SNAPSHOT_EVERY events, stored as JSON.
  let snapshot: { json: string; revision: number } | undefined;
  const takeSnapshots = () => {
    const head = store.revision(STREAM);
    if (head - (snapshot?.revision ?? -1) < SNAPSHOT_EVERY) return;
    let state = snapshot ? (JSON.parse(snapshot.json) as AccountState) : s.initial();
    for (const e of store.readStream(STREAM, { from: (snapshot?.revision ?? -1) + 1 })) state = s.evolve(state, e as unknown as AccountEvent);
    snapshot = { json: JSON.stringify(state), revision: head };
    sim.trace.state("snapshots", `snapshot at revision ${head}`);
  };
  if (long) takeSnapshots();

  const net = () => sim.sleep(random.int(1, 3));
  const never = <T>() => new Promise<T>(() => {});
  const storeFor = (call: CallRecord): AccountStore => {
    const who = `cmd-${call.index + 1}`;
    // Once an invariant broke the verdict is known: stop serving, so a failing case ends fast.
    const live = () => !call.crashed && problems.length === 0;
    return {
      stream: STREAM,
      async readStream(stream, options = {}) {
        if (!live()) return never();
        if (stream !== STREAM) throw new ConfigError("AccountStore.readStream", "stream", stream, `"${STREAM}" (store.stream)`);
        await net();
        const events = store.readStream(stream, { from: options.from ?? 0 });
        call.lastRead = store.revision(STREAM);
        if (long && events.length > 2 * SNAPSHOT_EVERY) fail(`${who} read ${events.length} events to load the account; the latest snapshot (revision ${snapshot?.revision ?? -1}) leaves ${store.revision(STREAM) - (snapshot?.revision ?? -1)}: load from it.`);
        sim.trace.record("response", "event store", who, `${events.length} events from rev ${options.from ?? 0}, head ${call.lastRead}`);
        return events.map((e) => ({ type: e.type, data: { ...e.data }, revision: e.revision }) as unknown as StoredAccountEvent);
      },
      async appendToStream(stream, events, options = {}) {
        if (!live()) return never();
        if (stream !== STREAM) throw new ConfigError("AccountStore.appendToStream", "stream", stream, `"${STREAM}" (store.stream)`);
        appendCalls++;
        const expected = options.expectedRevision ?? "any";
        sim.trace.record("request", who, "event store", `append ${Array.isArray(events) ? events.map((e) => e.type).join(", ") : "?"} expecting ${String(expected)}`);
        if (crashAt.has(appendCalls)) {
          call.crashed = true;
          sim.trace.record("fault", who, who, "crash between decide and append");
          return never();
        }
        await net();
        const r = store.appendNow(stream, events.map((e) => ({ type: e.type, data: { ...e.data } })), { expectedRevision: expected });
        call.appends++;
        if (long) takeSnapshots();
        await net();
        return { nextExpectedRevision: r.nextExpectedRevision };
      },
      async readSnapshot(stream) {
        if (!live()) return never();
        if (stream !== STREAM) throw new ConfigError("AccountStore.readSnapshot", "stream", stream, `"${STREAM}" (store.stream)`);
        await net();
        if (!snapshot) return undefined;
        call.lastRead = Math.max(call.lastRead, snapshot.revision);
        return { state: JSON.parse(snapshot.json) as AccountState, revision: snapshot.revision };
      },
      sleep: (ms) => (live() ? sim.sleep(ms) : never()),
    };
  };

  const calls: CallRecord[] = [];
  const commands: AccountCommand[] = Array.from({ length: c.size }, () => (random.chance(0.25) ? { type: "Deposit", amount: 150 } : { type: "Withdraw", amount: 150 }));
  const client = async (command: AccountCommand) => {
    for (;;) {
      const call: CallRecord = { index: calls.length, command, appends: 0, lastRead: -2, crashed: false };
      calls.push(call);
      const who = `cmd-${call.index + 1}`;
      sim.trace.record("request", "client", who, showCommand(command));
      const settled = Promise.resolve()
        .then(() => s.handle(storeFor(call), command))
        .then(
          (r): { r: unknown } => ({ r }),
          (e: unknown): { e: unknown } => ({ e }),
        );
      // Wait for the answer; a crashed handler never answers, so the client resends.
      let out: { r: unknown } | { e: unknown } | undefined;
      for (let waited = 0; out === undefined && !call.crashed && waited < STUCK_AFTER; waited += CLIENT_TIMEOUT) out = await Promise.race([settled, sim.sleep(CLIENT_TIMEOUT).then(() => undefined)]);
      if (call.crashed) continue;
      if (out === undefined) return fail(`${who} (${showCommand(command)}) was still unanswered after ${STUCK_AFTER} ms.`);
      if ("e" in out) {
        const e = out.e;
        return fail(e instanceof WrongExpectedVersionError ? `handle let a WrongExpectedVersionError escape for ${showCommand(command)}: a conflict must be retried (reload, decide again), not thrown.` : `handle threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} for ${showCommand(command)}.`);
      }
      if (out.r !== "accepted" && out.r !== "rejected") return fail(`handle returned ${JSON.stringify(out.r)} for ${showCommand(command)}; it must return "accepted" or "rejected".`);
      call.result = out.r;
      sim.trace.record("response", who, "client", out.r);
      return;
    }
  };
  await sim.run(() => Promise.all(commands.map(async (cmd) => (await sim.sleep(random.int(0, 10)), client(cmd)))));
  return { sim, store, calls, problems, history, replay: () => replayFrom(s, store, snapshot) };
}

function replayFrom(s: EventSourcingBuildSolution, store: EventStore, snapshot: { json: string; revision: number } | undefined) {
  const events = store.readStream(STREAM) as unknown as AccountEvent[];
  const scratch = events.reduce((st, e) => s.evolve(st, e), s.initial());
  const fromSnap = snapshot ? events.slice(snapshot.revision + 1).reduce((st, e) => s.evolve(st, e), JSON.parse(snapshot.json) as AccountState) : undefined;
  return { scratch, fromSnap, snapRevision: snapshot?.revision };
}

function judge(r: Awaited<ReturnType<typeof raceCommands>>) {
  const { sim, store, calls, problems } = r;
  if (problems.length > 0) return { ok: false, sim, at: problems[0]!.at, invariant: problems[0]!.text };
  const events: RecordedEvent[] = store.readStream(STREAM);
  // The reference fold, revision by revision: never overdrawn, every event an account event.
  const balances: number[] = [];
  let st = ref.initial();
  for (const e of events) {
    const bad = badEvent(e);
    if (bad) return { ok: false, sim, at: e.time, invariant: `revision ${e.revision} of the stream is ${bad}.` };
    st = ref.evolve(st, e as unknown as AccountEvent);
    balances.push(st.balance);
    if (st.balance < 0) return { ok: false, sim, at: e.time, invariant: `after revision ${e.revision} the balance was ${euros(st.balance)}: two withdrawals decided on the same state and both appended (was the append made at the revision the decision read?).` };
  }
  const stateAt = (rev: number) => events.slice(0, rev + 1).reduce((x, e) => ref.evolve(x, e as unknown as AccountEvent), ref.initial());
  for (const call of calls) {
    const who = `cmd-${call.index + 1} (${showCommand(call.command)})`;
    if (call.crashed) {
      if (call.appends > 0) return { ok: false, sim, invariant: `${who} crashed before its append landed, yet appended.` };
      continue;
    }
    if (call.result === "accepted" && call.appends !== 1) return { ok: false, sim, invariant: call.appends === 0 ? `${who} was reported accepted but appended nothing: the client believes a withdrawal that never happened (was a conflict swallowed, or the append not awaited?).` : `${who} was reported accepted after appending ${call.appends} times: its effect counts ${call.appends} times.` };
    if (call.result === "rejected") {
      if (call.appends > 0) return { ok: false, sim, invariant: `${who} was reported rejected but appended events: a rejected command must leave no events.` };
      const seen = call.lastRead < -1 ? ref.initial() : stateAt(call.lastRead);
      if (ref.decide(seen, call.command)) return { ok: false, sim, invariant: `${who} was rejected, but the last state it read (revision ${call.lastRead}, balance ${euros(seen.balance)}) allows it: a conflict must be retried (reload, decide again), not reported as a refusal.` };
    }
  }
  const final = st.balance;
  const opening = r.history.reduce((x, e) => ref.evolve(x, e), ref.initial()).balance;
  const accepted = calls.filter((x) => x.result === "accepted");
  const expected = opening + accepted.reduce((sum, x) => sum + (x.command.type === "Deposit" ? x.command.amount : x.command.type === "Withdraw" ? -x.command.amount : 0), 0);
  if (final !== expected) return { ok: false, sim, invariant: `the stream folds to ${euros(final)}, but the commands reported accepted add up to ${euros(expected)}.` };
  const { scratch, fromSnap, snapRevision } = r.replay();
  if (!sameState(scratch, st)) return { ok: false, sim, invariant: `replaying the ${events.length} events from scratch with evolve gave ${showState(scratch)}; the events fold to ${showState(st)}.` };
  if (fromSnap && !deepEqual(fromSnap, scratch)) return { ok: false, sim, invariant: `replaying from the snapshot at revision ${snapRevision} gave ${JSON.stringify(fromSnap)}, from scratch ${JSON.stringify(scratch)}.` };
  return { ok: true, sim };
}

/** One case, judged: the bench's "plain run" beside a full check. */
export async function runEventSourcingCase(s: EventSourcingBuildSolution, c: CheckCase, long: boolean) {
  return judge(await raceCommands(s, c, long));
}

export const eventSourcingBuild = defineBuildChallenge<EventSourcingBuildSolution>({
  id: "event-sourcing",
  title: "Write the account aggregate and its command handler: decide, evolve, append at the expected revision",
  statement: [
    "An event-sourced bank account. Write its `decide` (command → events, or throw to refuse), its `evolve` (state + event → new state) and the command `handle`r: load the stream (from the latest snapshot when there is one), decide, and append **at the revision you loaded**. When another writer got there first the store rejects the append with a `WrongExpectedVersionError` and appends nothing: load again, decide again, try again.",
    "",
    "Rules: `Open` only a closed account; `Deposit` and `Withdraw` only on an open account, with a whole number of cents > 0; never withdraw more than the balance. Events: `AccountOpened {owner}`, `MoneyDeposited {amount}`, `MoneyWithdrawn {amount}`.",
    "",
    "```ts",
    "interface AccountState { open: boolean; balance: number }            // cents",
    "interface AccountStore {                                              // like EventStoreDB's client",
    "  stream: string;",
    "  readStream(stream: string, options?: { from?: number }): Promise<StoredAccountEvent[]>; // each has .revision",
    "  appendToStream(stream: string, events: AccountEvent[], options?: { expectedRevision?: number | \"any\" }): Promise<{ nextExpectedRevision: number }>;",
    "  readSnapshot(stream: string): Promise<{ state: AccountState; revision: number } | undefined>;",
    "  sleep(ms: number): Promise<void>;",
    "}",
    "interface EventSourcingBuildSolution {",
    "  initial(): AccountState;",
    "  evolve(state: AccountState, event: AccountEvent): AccountState;      // pure",
    "  decide(state: AccountState, command: AccountCommand): AccountEvent[]; // throws to refuse",
    '  handle(store: AccountStore, command: AccountCommand): Promise<"accepted" | "rejected">;',
    "}",
    "```",
    "",
    "**The checker attacks** `decide` and `evolve` with fast-check (random command histories against the rules; the state given must never change; folding from scratch, one by one, and from a JSON snapshot must agree), then races 20 handlers on one stream with 1–3 ms store latency, crashes handlers between decide and append (the client resends after 60 ms), and makes loads of a stream of over 1,000 events start from the snapshot taken every 100 events. Invariants: the balance never goes below zero; a command reported accepted appended exactly once; a rejection only when the rules refuse at the state last read (a conflict is retried, not swallowed); a rejected command appends nothing; replaying from scratch and from the snapshot gives the same state.",
  ].join("\n"),
  validate(s) {
    expectSolution("event-sourcing", s, ["initial", "evolve", "decide", "handle"]);
  },
  stages: [
    {
      name: "decides and evolves",
      goal: "decide follows the rules and refuses with no events; evolve is pure, and folds from scratch, step by step and from a snapshot agree (fast-check)",
      property: (s) => Promise.resolve(fcProperty(historyArb, 200, (h) => checkHistory(s, h), (h) => `commands [${h.commands.map(showCommand).join(", ")}]`)),
    },
    {
      name: "concurrent writers",
      goal: "20 concurrent withdrawals and deposits on one stream: never overdrawn, every conflict retried, accepted means appended once",
      cases: seededCases(20, 1, () => ({ faults: [], size: 20 })),
      minSize: 2,
      run: async (s, c) => judge(await raceCommands(s, c, false)),
    },
    {
      name: "crashes and snapshots",
      goal: "handlers crash between decide and append and clients resend; loads of a stream of over 1,000 events start from the snapshot; replays agree",
      cases: seededCases(20, 100, (i) => ({
        faults: [
          { kind: "crash-before-append", label: `crash the handler making append call ${2 + (i % 7)} before it lands`, params: { append: 2 + (i % 7) } },
          { kind: "crash-before-append", label: `crash the handler making append call ${11 + (i % 5)} before it lands`, params: { append: 11 + (i % 5) } },
        ],
        size: 20,
      })),
      minSize: 2,
      run: async (s, c) => judge(await raceCommands(s, c, true)),
    },
  ],
  hints: {
    nudge: "Start with the pure part: the state is a fold of the events, so evolve only adds or subtracts what an event says, and decide only looks at the state and the command. Build a fresh state object each time instead of changing the one you were given.",
    approach: "The handler is a loop: read the stream (or the snapshot and the events after it), fold it into a state, note the revision of the last event you read, decide, and append with that revision as the expected one. A refusal from decide ends the loop with a rejection; a conflict from the store sends you round the loop again.",
    keyIdea: "The expected revision is what turns two racing decisions into one: the writer that lost must not report failure, and must not append without a check. It must forget everything it decided and start from a fresh read, because its decision was made on a state that no longer exists. With a snapshot, the events to fold are the ones after its revision, not including it.",
  },
});
