/**
 * Build challenge "two-phase-commit": the learner writes a 2PC participant (prepare, commit,
 * abort, recover) over a durable log; the checker's coordinator drives it on virtual time and
 * crashes it at every step boundary that matters (while a record is being flushed, right after
 * it is durable, after the vote, after applying), then crashes the coordinator itself after it
 * decided, so participants in doubt must ask. Messages and faults go into the simulation's
 * trace, so a failing case comes with its sequence diagram.
 */
import { ConfigError, Random, Simulation } from "sde-lab";
import { defineBuildChallenge, type CheckCase } from "../build";
import { crashAt, seededCases } from "../seeded-cases";
import { expectSolution } from "../challenge";

/** The writes of one transaction at one participant: key → new value. */
export type TxnWrites = Readonly<Record<string, number>>;

/** One record of a participant's durable log. */
export interface TwoPcRecord {
  readonly txn: string;
  readonly type: "prepared" | "committed" | "aborted";
  /** The writes, on a `prepared` record (so a restarted participant still has them). */
  readonly writes?: TxnWrites;
}

/** What a participant instance gets. A crash throws the instance away; the log and the database survive. */
export interface ParticipantEnv {
  /** This participant's name ("bank", "shop", "stock"). */
  readonly name: string;
  /** Appends to the durable log; the record is on disk when the promise resolves (a 2 ms flush). */
  append(record: TwoPcRecord): Promise<void>;
  /** Every durable record, oldest first (after a restart too). */
  records(): readonly TwoPcRecord[];
  /** Whether the database's constraints accept these writes (vote NO when they do not). */
  canCommit(writes: TxnWrites): boolean;
  /** Makes a committed transaction's writes visible in the database (applying the same txn again does nothing). */
  apply(txn: string, writes: TxnWrites): void;
  /** Asks the coordinator for a transaction's outcome; rejects when the coordinator cannot be reached. */
  askCoordinator(txn: string): Promise<"commit" | "abort">;
  /** Waits on the simulation's virtual clock. */
  sleep(ms: number): Promise<void>;
}

/** The participant the learner writes. */
export interface Participant {
  /** Phase 1: vote. YES is a promise to commit whatever happens, so it must be durable first. */
  prepare(txn: string, writes: TxnWrites): Promise<"yes" | "no">;
  /** Phase 2: the coordinator decided commit (may be repeated). */
  commit(txn: string): Promise<void>;
  /** Phase 2: the coordinator decided abort (may be repeated, or come for a txn never prepared). */
  abort(txn: string): Promise<void>;
  /** Called when the instance starts (first start and every restart), before any message. */
  recover(): Promise<void>;
}

/** Solution of the two-phase-commit build challenge. */
export interface TwoPhaseSolution {
  createParticipant(env: ParticipantEnv): Participant;
}

const NAMES = ["bank", "shop", "stock"] as const;
type Name = (typeof NAMES)[number];
const VOTE_TIMEOUT = 100;
const RESTART_AFTER = 300;

/** Crash points of a participant, in protocol order. */
const POINTS = {
  "flush-prepared": "while its PREPARED record is being flushed",
  "after-prepared": "right after its PREPARED record is durable",
  "after-vote": "right after it sent its vote",
  "flush-decision": "while its COMMIT/ABORT record is being flushed",
  "after-apply": "right after it applied the writes",
} as const;
type Point = keyof typeof POINTS;

async function runTxns(solution: TwoPhaseSolution, c: CheckCase) {
  const sim = new Simulation({ seed: c.seed });
  const random = new Random(c.seed * 7 + 1);
  const net = () => random.int(1, 3);
  const crash = c.faults.find((f) => f.kind === "crash-point");
  const coordCrash = c.faults.find((f) => f.kind === "coordinator-crash");
  const log = new Map<Name, TwoPcRecord[]>(NAMES.map((n) => [n, []]));
  const applied = new Map<Name, Set<string>>(NAMES.map((n) => [n, new Set()]));
  const problems: { at: number; text: string }[] = [];
  const fail = (text: string) => problems.push({ at: sim.now, text });
  const txns = Array.from({ length: c.size }, (_, i) => {
    const refuser = random.chance(0.25) ? NAMES[random.int(0, 2)] : undefined;
    return { id: `T${i + 1}`, writes: Object.fromEntries(NAMES.map((n) => [n, { [`${n}-key`]: n === refuser ? -1 : random.int(1, 99) }])) as Record<Name, TxnWrites> };
  });
  const decisions = new Map<string, "commit" | "abort">();
  let coordinatorUp = true;
  const gen = new Map<Name, number>(NAMES.map((n) => [n, 0]));
  const inst = new Map<Name, Participant>();
  let crashed = false;
  const alive = (n: Name, g: number) => gen.get(n) === g && inst.has(n);
  const die = (n: Name, why: string) => {
    inst.delete(n);
    gen.set(n, gen.get(n)! + 1);
    crashed = true;
    sim.trace.record("fault", n, n, `crash ${why}`);
    sim.schedule(RESTART_AFTER, () => start(n));
  };
  const strikes = (n: Name, point: Point, txn: string) => !crashed && crash && crash.target === n && crash.params?.point === point && crash.params?.txn === txn;
  const never = <T>() => new Promise<T>(() => {});
  // Which instance (generation) of each participant got each PREPARE. A later instance can only
  // know a transaction's writes from its log: the learner's code shares this process, so memory
  // kept outside the instance (a module-level map) outlives a simulated crash, not a real one.
  const preparedBy = new Map<string, number>();
  const logHolds = (n: Name, txn: string, writes: TxnWrites) =>
    log.get(n)!.some((r) => {
      if (r.txn !== txn || r.type !== "prepared") return false;
      const text = JSON.stringify(r);
      return Object.entries(writes ?? {}).every(([k, v]) => text.includes(`${JSON.stringify(k)}:${JSON.stringify(v)}`));
    });

  const envFor = (n: Name, g: number): ParticipantEnv => ({
    name: n,
    append(record) {
      if (!alive(n, g)) return never();
      if (!record || typeof record.txn !== "string" || !["prepared", "committed", "aborted"].includes(record.type)) throw new ConfigError("ParticipantEnv.append", "record", record, '{ txn, type: "prepared" | "committed" | "aborted", writes? }');
      const point: Point = record.type === "prepared" ? "flush-prepared" : "flush-decision";
      if (strikes(n, point, record.txn)) {
        sim.schedule(1, () => alive(n, g) && die(n, `${POINTS[point]} (${record.txn})`));
        return never();
      }
      return sim.sleep(2).then(() => {
        if (!alive(n, g)) return never<void>();
        log.get(n)!.push({ ...record, ...(record.writes ? { writes: { ...record.writes } } : {}) });
        sim.trace.state(n, `log: ${record.type.toUpperCase()} ${record.txn}`);
        if (record.type === "prepared" && strikes(n, "after-prepared", record.txn)) {
          die(n, `${POINTS["after-prepared"]} (${record.txn})`);
          return never<void>();
        }
      });
    },
    records: () => log.get(n)!.map((r) => ({ ...r })),
    canCommit: (w) => Object.values(w).every((v) => v >= 0),
    apply(txn, writes) {
      if (!alive(n, g)) return;
      if (!Object.values(writes ?? {}).every((v) => v >= 0)) fail(`${n} applied ${txn}, whose writes its database's constraints refuse (it should have voted NO).`);
      if (decisions.get(txn) !== "commit") fail(`${n} applied ${txn} though the coordinator ${decisions.has(txn) ? "decided abort" : "had not decided yet"}.`);
      if (preparedBy.has(`${n}/${txn}`) && preparedBy.get(`${n}/${txn}`) !== g && !logHolds(n, txn, writes))
        fail(`${n} applied ${txn} after a restart with writes its log does not hold: they came from memory outside the log, which outlived the simulated crash only because your code shares the checker's process. A real crash wipes it, and the restarted ${n} would have nothing to apply.`);
      if (!applied.get(n)!.has(txn)) sim.trace.state(n, `apply ${txn}`);
      applied.get(n)!.add(txn);
      if (strikes(n, "after-apply", txn)) die(n, `${POINTS["after-apply"]} (${txn})`);
    },
    askCoordinator(txn) {
      if (!alive(n, g)) return never();
      sim.trace.record("request", n, "coordinator", `status? ${txn}`);
      return sim.sleep(net() * 2).then(() => {
        if (!alive(n, g)) return never<"commit" | "abort">();
        if (!coordinatorUp) {
          sim.trace.record("timeout", n, "coordinator", `no answer (coordinator down)`);
          throw new Error("the coordinator is unreachable");
        }
        const d = decisions.get(txn) ?? "abort"; // presumed abort: no record, no commit
        sim.trace.record("response", "coordinator", n, `${txn}: ${d}`);
        return d;
      });
    },
    sleep: (ms) => (alive(n, g) ? sim.sleep(ms).then(() => (alive(n, g) ? undefined : never<void>())) : never()),
  });

  function start(n: Name) {
    const g = gen.get(n)!;
    const p = solution.createParticipant(envFor(n, g));
    inst.set(n, p);
    if (g > 0) sim.trace.record("fault", n, n, "restart");
    void Promise.resolve()
      .then(() => p.recover())
      .catch((e: unknown) => alive(n, g) && fail(`${n}.recover() threw ${String(e)}.`));
  }
  /** Delivers one protocol message to a participant; resolves with its answer, or undefined when it was down or lost. */
  const deliver = async <T>(n: Name, label: string, call: (p: Participant) => Promise<T>): Promise<T | undefined> => {
    sim.trace.record("request", "coordinator", n, label);
    await sim.sleep(net());
    const p = inst.get(n);
    if (!p) {
      sim.trace.record("drop", "coordinator", n, `${label} (${n} is down)`);
      return undefined;
    }
    const g = gen.get(n)!;
    try {
      const out = await call(p);
      if (!alive(n, g)) return undefined; // answered by an instance that crashed meanwhile
      await sim.sleep(net());
      return out;
    } catch (e) {
      fail(`${n} threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} on ${label}.`);
      return undefined;
    }
  };
  const withTimeout = <T>(p: Promise<T | undefined>, ms: number) => Promise.race([p, sim.sleep(ms).then(() => undefined)]);

  await sim.run(async () => {
    for (const n of NAMES) start(n);
    await sim.sleep(1);
    for (const t of txns) {
      const votes = await Promise.all(
        NAMES.map((n) =>
          withTimeout(
            deliver(n, `PREPARE ${t.id}`, async (p) => {
              const g = gen.get(n)!;
              preparedBy.set(`${n}/${t.id}`, g);
              const v = await p.prepare(t.id, { ...t.writes[n] });
              if (alive(n, g)) {
                sim.trace.record("response", n, "coordinator", `vote ${String(v).toUpperCase()} ${t.id}`);
                if (v === "yes" && !log.get(n)!.some((r) => r.txn === t.id && r.type === "prepared")) fail(`${n} voted YES on ${t.id} before its PREPARED record was durable; a crash now would forget the promise.`);
                // Crash after the vote left: it still reaches the coordinator.
                if (strikes(n, "after-vote", t.id)) sim.schedule(0, () => alive(n, g) && die(n, `${POINTS["after-vote"]} (${t.id})`));
              }
              return v;
            }),
            VOTE_TIMEOUT,
          ),
        ),
      );
      const decision = votes.every((v) => v === "yes") ? "commit" : "abort";
      decisions.set(t.id, decision);
      sim.trace.state("coordinator", `log: ${decision.toUpperCase()} ${t.id}`);
      if (coordCrash && coordCrash.params?.txn === t.id) {
        coordinatorUp = false;
        sim.trace.record("fault", "coordinator", "coordinator", "crash after logging the decision, before sending it");
        await sim.sleep(Number(coordCrash.params.downMs));
        coordinatorUp = true;
        sim.trace.record("fault", "coordinator", "coordinator", "restart (answers status queries; resends nothing)");
        continue;
      }
      // Phase 2: send the decision; resend to whoever has not acknowledged, every 100 ms, for 2 s.
      const pending = new Set<Name>(NAMES);
      for (let round = 0; round < 20 && pending.size > 0; round++) {
        await Promise.all(
          [...pending].map(async (n) => {
            const ack = await withTimeout(deliver(n, `${decision.toUpperCase()} ${t.id}`, async (p) => (await (decision === "commit" ? p.commit(t.id) : p.abort(t.id)), "ack")), VOTE_TIMEOUT);
            if (ack === "ack") pending.delete(n);
          }),
        );
        if (pending.size > 0) await sim.sleep(VOTE_TIMEOUT);
      }
    }
    await sim.sleep(3_000);
  });

  return { sim, txns, decisions, applied, problems, log, faultFree: c.faults.length === 0 };
}

function judge(r: Awaited<ReturnType<typeof runTxns>>) {
  const { sim, txns, decisions, applied, problems } = r;
  if (problems.length > 0) return { ok: false, sim, at: problems[0]!.at, invariant: problems[0]!.text };
  for (const t of txns) {
    const d = decisions.get(t.id);
    for (const n of NAMES) {
      const did = applied.get(n)!.has(t.id);
      if (d === "commit" && !did) return { ok: false, sim, invariant: `the coordinator decided COMMIT for ${t.id}, but ${n} never applied it (${sim.now} ms into the run, everyone long back up).` };
      if (d === "abort" && did) return { ok: false, sim, invariant: `the coordinator decided ABORT for ${t.id}, but ${n} applied it.` };
    }
  }
  if (r.faultFree) {
    const wasted = txns.find((t) => decisions.get(t.id) !== "commit" && NAMES.every((n) => Object.values(t.writes[n]).every((v) => v >= 0)));
    if (wasted) return { ok: false, sim, invariant: `${wasted.id} was aborted with no fault at all, though every participant's constraints accept its writes; vote YES when you can commit.` };
  }
  return { ok: true, sim };
}

/** One case, judged: the bench's "plain run" beside a full check. */
export async function runTwoPhaseCase(s: TwoPhaseSolution, c: CheckCase) {
  return judge(await runTxns(s, c));
}

/** Every crash point × participant × transaction, in that order, seeds 1 to 30. */
const crashCases = seededCases(Object.keys(POINTS).length * NAMES.length * 2, 1, (i) => {
  const point = (Object.keys(POINTS) as Point[])[Math.floor(i / (NAMES.length * 2))]!;
  const n = NAMES[Math.floor(i / 2) % NAMES.length]!;
  const txn = i % 2 === 0 ? "T1" : "T2";
  return { faults: [crashAt(POINTS, point, { who: n, detail: `(${txn}); it restarts ${RESTART_AFTER} ms later`, target: n, params: { txn } })], size: 3 };
});

export const twoPhaseCommitBuild = defineBuildChallenge<TwoPhaseSolution>({
  id: "two-phase-commit",
  title: "Write a 2PC participant that survives crashes and asks when in doubt",
  statement: [
    "Write the participant side of two-phase commit. The checker's coordinator sends `prepare`, collects votes for 100 ms, logs its decision, then sends `commit` or `abort` (resending every 100 ms until acknowledged). Your participant keeps a **durable log** through `env.append`, applies committed writes with `env.apply`, and after a restart (`recover()`), finishes every transaction it is in doubt about: prepared, no outcome in the log.",
    "",
    "```ts",
    'interface TwoPcRecord { txn: string; type: "prepared" | "committed" | "aborted"; writes?: TxnWrites }',
    "interface ParticipantEnv {",
    "  name: string;",
    "  append(record: TwoPcRecord): Promise<void>;   // durable when resolved (2 ms flush)",
    "  records(): readonly TwoPcRecord[];            // survives crashes",
    "  canCommit(writes: TxnWrites): boolean;        // vote NO when false",
    "  apply(txn: string, writes: TxnWrites): void;  // idempotent per txn",
    '  askCoordinator(txn: string): Promise<"commit" | "abort">;  // rejects while it is down',
    "  sleep(ms: number): Promise<void>;",
    "}",
    "interface Participant {",
    '  prepare(txn: string, writes: TxnWrites): Promise<"yes" | "no">;',
    "  commit(txn: string): Promise<void>;",
    "  abort(txn: string): Promise<void>;",
    "  recover(): Promise<void>;                     // on every start",
    "}",
    "interface TwoPhaseSolution { createParticipant(env: ParticipantEnv): Participant }",
    "```",
    "",
    "**The checker attacks**: three participants (`bank`, `shop`, `stock`), seeded transactions some of which break a participant's constraint; it crashes each participant at every step boundary (while PREPARED is flushed, right after it is durable, after the vote, while COMMIT/ABORT is flushed, after applying) in T1 and T2; then it crashes the coordinator right after it logged a decision, so nobody hears it until they ask. Invariants: a YES vote only with a durable PREPARED record; every participant applies a transaction exactly when the coordinator decided COMMIT.",
  ].join("\n"),
  validate(s) {
    expectSolution("two-phase-commit", s, ["createParticipant"]);
  },
  stages: [
    {
      name: "commits and aborts",
      goal: "no faults: a transaction commits everywhere when all vote YES and nowhere otherwise; YES only after PREPARED is durable",
      cases: seededCases(5, 100, () => ({ faults: [], size: 6 })),
      run: async (s, c) => judge(await runTxns(s, c)),
    },
    {
      name: "survives participant crashes",
      goal: "a participant crashed at any step boundary of T1 or T2 restarts and ends in the coordinator's decision",
      cases: crashCases,
      run: async (s, c) => judge(await runTxns(s, c)),
    },
    {
      name: "asks when in doubt",
      goal: "the coordinator crashes after logging its decision and is down 1–2 s; prepared participants ask until it answers, and never decide alone",
      cases: seededCases(20, 200, (i) => ({
        faults: [{ kind: "coordinator-crash", label: `crash the coordinator right after it logged the decision on T${(i % 3) + 1}; it is down ${1000 + (i % 5) * 250} ms`, params: { txn: `T${(i % 3) + 1}`, downMs: 1000 + (i % 5) * 250 } }],
        size: 3,
      })),
      run: async (s, c) => judge(await runTxns(s, c)),
    },
  ],
  hints: {
    nudge: "A YES vote is a promise the participant must keep even if it crashes a moment later. Ask yourself, for each message you send and each thing you apply: if the machine died right now, what would the restarted one find in its log, and what would it do?",
    approach: "Write to the log before you tell anyone: the PREPARED record (with the writes) before the vote, the outcome before you acknowledge. On start, read the log: a transaction with PREPARED and no outcome is in doubt. In doubt, you may not choose: only the coordinator knows.",
    keyIdea: "In doubt means blocked: keep asking the coordinator, with a pause between attempts, until it answers, then apply or drop the writes from your PREPARED record. Do the same when a YES vote gets no decision for a while, not only after a restart. A transaction you never prepared can be aborted at once.",
  },
});
