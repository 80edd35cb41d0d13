/**
 * Two-phase commit (Gray 1978; Lampson & Sturgis) on the simulated network, with the
 * presumed-abort optimisation (Mohan, Lindsay & Obermarck 1986).
 *
 * The client asks the coordinator to commit a transaction that writes on several
 * participants. Phase 1: the coordinator sends PREPARE; each participant takes its locks,
 * forces a prepare record to its log and votes YES, or votes NO (a lock is taken, or it
 * chose to refuse). Phase 2: all YES → the coordinator forces a COMMIT record (the commit
 * point) and answers the client at once; then it sends COMMIT and collects acks (then writes
 * END and forgets). Any NO or a vote timeout → ABORT, not forced and not acked (presumed
 * abort: no record means abort). The client waits for two round trips (its own and PREPARE)
 * and two forced writes in sequence (the prepare records, in parallel, then COMMIT); the
 * result reports what was measured.
 *
 * A local transaction on a participant waits for the locks of prepared 2PC transactions
 * (up to `lockWaitTimeoutMs`), as a database does.
 *
 * A participant that voted YES is in doubt: it holds its locks and may not decide alone.
 * After `decisionTimeoutMs` it asks the coordinator (STATUS) every `statusIntervalMs`, and,
 * with cooperative termination, its peers: a peer that knows the decision tells it; a peer
 * that has not voted aborts on the spot and says so. So 2PC blocks only when every
 * participant it can reach is in doubt too: every participant voted YES and the coordinator
 * is down; they stay blocked, holding locks, until it recovers.
 *
 * Logs are durable (they survive crashes); locks of prepared transactions are rebuilt from
 * the log after a participant restarts, so they are held across its crash too. Simplified:
 * one shot per transaction (the writes travel in PREPARE, no separate work phase), no
 * read-only optimisation, no heuristic decisions.
 */
import { DISPLAY, markdown, table, type MimeBundle } from "../display";
import { ConfigError, nonNegative } from "../errors";
import type { Simulation } from "../sim/simulation";
import { request, type Response } from "../sim/http";
import type { ServiceContext } from "../sim/node";
import { DuplicateNodeError, UnknownShardError } from "./errors";

/** Options of {@link TwoPhaseCommit}. Defaults are in {@link TWO_PHASE_COMMIT_DEFAULTS}. */
export interface TwoPhaseCommitOptions {
  /** Participant (resource manager) node names; at least one. */
  participants: readonly string[];
  /** Coordinator (transaction manager) node name. Default `"coordinator"`. */
  coordinator?: string;
  /** Node that starts transactions. Default `"client"`. */
  client?: string;
  /** How long the coordinator waits for votes before aborting, ms. Default 1000. */
  voteTimeoutMs?: number;
  /** How long an in-doubt participant waits for the decision before asking, ms. Default 1000. */
  decisionTimeoutMs?: number;
  /** Then it asks again every this many ms. Default 1000. */
  statusIntervalMs?: number;
  /** How long the coordinator waits for an ack before sending the decision again, ms. Default 1000. */
  ackTimeoutMs?: number;
  /** Time of one forced (fsync'ed) log write, ms. Default 5. */
  logWriteMs?: number;
  /** Local work a participant does to prepare its writes, ms. Default 1. */
  workMs?: number;
  /** In-doubt participants also ask their peers (cooperative termination). Default true. */
  cooperativeTermination?: boolean;
  /** How long a local transaction waits for a key locked by a prepared 2PC transaction before it gives up, ms. Default 50 000 (InnoDB's `innodb_lock_wait_timeout`). */
  lockWaitTimeoutMs?: number;
  /** How long the client waits for the coordinator's answer, ms. Default 30 000. */
  clientTimeoutMs?: number;
}

/** Defaults of {@link TwoPhaseCommitOptions}. */
export const TWO_PHASE_COMMIT_DEFAULTS = {
  coordinator: "coordinator",
  client: "client",
  voteTimeoutMs: 1000,
  decisionTimeoutMs: 1000,
  statusIntervalMs: 1000,
  ackTimeoutMs: 1000,
  logWriteMs: 5,
  workMs: 1,
  cooperativeTermination: true,
  lockWaitTimeoutMs: 50_000,
  clientTimeoutMs: 30_000,
} as const;

/**
 * Where the coordinator crashes, for demonstrations:
 * - `before-prepare`: nothing sent; the client times out, participants never hear of it.
 * - `after-votes`: every vote is in, no decision logged yet. Participants that voted YES are
 *   blocked; after recovery the coordinator has no record, so the answer is abort (presumed abort).
 * - `after-commit-logged`: the COMMIT record is forced but not sent. Participants are blocked;
 *   after recovery they learn COMMIT.
 */
export type CoordinatorCrashPoint = "before-prepare" | "after-votes" | "after-commit-logged";

/** One transaction to run. */
export interface TransactionSpec {
  /** Transaction id; default `T1`, `T2`, … */
  id?: string;
  /** Writes per participant: `{ bank: { "acct-1": -50 }, shop: { "order-7": "paid" } }`. Participants without writes still vote. */
  writes?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Participants that will vote NO (e.g. a constraint fails there). */
  voteNo?: readonly string[];
  /** Crash the coordinator at this point of this transaction… */
  crashCoordinator?: CoordinatorCrashPoint;
  /** …and restart it this many ms later (omit: stays down until you restart it). */
  restartAfterMs?: number;
}

/** A participant's view of a transaction. */
export type ParticipantState = "unknown" | "prepared" | "committed" | "aborted";

/** How one transaction ended for the client. */
export class TransactionResult {
  constructor(
    readonly id: string,
    /** `unknown` when the client timed out (outcome `info`: it may yet commit). */
    readonly outcome: "committed" | "aborted" | "unknown",
    readonly latencyMs: number,
    /** Sequential message round trips the client waited for, measured (client ↔ coordinator included). */
    readonly roundTrips: number,
    /** Forced log writes the client waited for, measured (participants' in parallel count once). */
    readonly forcedWrites: number,
    readonly reason: string,
  ) {}

  [DISPLAY](): MimeBundle {
    return table([{ tx: this.id, outcome: this.outcome, "latency ms": round(this.latencyMs), "round trips": this.roundTrips, "forced log writes": this.forcedWrites, reason: this.reason }])[DISPLAY]();
  }
}

interface PRecord {
  state: ParticipantState;
  vote?: "yes" | "no";
  votedAt?: number;
  decidedAt?: number;
  writes: Readonly<Record<string, unknown>>;
  statusQueries: number;
}

interface PLog {
  /** Durable: the participant's log. */
  txs: Map<string, PRecord>;
  /** Durable: committed data. */
  data: Map<string, unknown>;
  /** Locks: key → tx (rebuilt from prepared records, so they survive a crash). */
  locks: Map<string, string>;
  /** Volatile: local transactions waiting for a lock to be released. */
  waiters: (() => void)[];
}

interface CRecord {
  decision: "commit" | "abort";
  /** Participants known to have the decision. */
  acked: Set<string>;
  ended: boolean;
  at: number;
}

interface TxInfo {
  id: string;
  participants: string[];
  start: number;
  /** Trace events before this transaction began. */
  traceStart: number;
  end?: number;
}

/** A two-phase-commit setup: one coordinator, its participants, a client. */
export class TwoPhaseCommit {
  readonly options: Readonly<Required<Omit<TwoPhaseCommitOptions, "participants">>>;
  readonly participants: readonly string[];
  private readonly plogs = new Map<string, PLog>();
  /** The coordinator's durable log. */
  private readonly clog = new Map<string, CRecord>();
  /** Volatile: transactions the coordinator is driving (a crash ends them). */
  private readonly active = new Set<string>();
  private readonly txs = new Map<string, TxInfo>();
  private readonly crashPoints = new Map<string, { point: CoordinatorCrashPoint; restartAfterMs?: number }>();
  private readonly violations: string[] = [];
  private seq = 0;
  private localSeq = 0;

  constructor(
    readonly sim: Simulation,
    options: TwoPhaseCommitOptions,
  ) {
    const d = TWO_PHASE_COMMIT_DEFAULTS;
    const c = "TwoPhaseCommit";
    const list = options?.participants;
    if (!Array.isArray(list) || list.length === 0) throw new ConfigError(c, "participants", list, "a non-empty array of node names");
    const seen = new Set<string>();
    for (const p of list) {
      if (typeof p !== "string" || p === "") throw new ConfigError(c, "participants", p, "non-empty node names");
      if (seen.has(p)) throw new DuplicateNodeError(c, p);
      seen.add(p);
    }
    this.participants = [...list];
    this.options = {
      coordinator: options.coordinator ?? d.coordinator,
      client: options.client ?? d.client,
      voteTimeoutMs: nonNegative(c, "voteTimeoutMs", options.voteTimeoutMs ?? d.voteTimeoutMs, 1),
      decisionTimeoutMs: nonNegative(c, "decisionTimeoutMs", options.decisionTimeoutMs ?? d.decisionTimeoutMs, 1),
      statusIntervalMs: nonNegative(c, "statusIntervalMs", options.statusIntervalMs ?? d.statusIntervalMs, 1),
      ackTimeoutMs: nonNegative(c, "ackTimeoutMs", options.ackTimeoutMs ?? d.ackTimeoutMs, 1),
      logWriteMs: nonNegative(c, "logWriteMs", options.logWriteMs ?? d.logWriteMs),
      workMs: nonNegative(c, "workMs", options.workMs ?? d.workMs),
      cooperativeTermination: options.cooperativeTermination ?? d.cooperativeTermination,
      lockWaitTimeoutMs: nonNegative(c, "lockWaitTimeoutMs", options.lockWaitTimeoutMs ?? d.lockWaitTimeoutMs),
      clientTimeoutMs: nonNegative(c, "clientTimeoutMs", options.clientTimeoutMs ?? d.clientTimeoutMs, 1),
    };
    if (seen.has(this.options.coordinator)) throw new DuplicateNodeError(c, this.options.coordinator);
    for (const p of this.participants) {
      const log: PLog = { txs: new Map(), data: new Map(), locks: new Map(), waiters: [] };
      this.plogs.set(p, log);
      sim.service(p, (req, ctx) => this.participantHandler(p, log, req.path, req.body as Msg, ctx));
    }
    sim.service(this.options.coordinator, (req, ctx) => this.coordinatorHandler(req.path, req.body as Msg, ctx));
    if (!sim.hasNode(this.options.client)) sim.client(this.options.client);
  }

  // ---------------------------------------------------------------- client side

  /**
   * Runs one transaction from the client and resolves when the client hears the outcome (or
   * gives up: outcome `unknown`). Participants may still be deciding afterwards.
   */
  async execute(spec: TransactionSpec = {}): Promise<TransactionResult> {
    const id = spec.id ?? `T${++this.seq}`;
    if (this.txs.has(id)) throw new ConfigError("TwoPhaseCommit.execute", "id", id, "an id not used before");
    for (const p of Object.keys(spec.writes ?? {})) if (!this.plogs.has(p)) throw new UnknownShardError(p, this.participants);
    for (const p of spec.voteNo ?? []) if (!this.plogs.has(p)) throw new UnknownShardError(p, this.participants);
    if (spec.restartAfterMs !== undefined) nonNegative("TwoPhaseCommit.execute", "restartAfterMs", spec.restartAfterMs);
    if (spec.crashCoordinator) this.crashPoints.set(id, { point: spec.crashCoordinator, restartAfterMs: spec.restartAfterMs });
    const start = this.sim.now;
    this.txs.set(id, { id, participants: [...this.participants], start, traceStart: this.sim.trace.events.length });
    try {
      const res = await this.sim.node(this.options.client).call(this.options.coordinator, request("POST", `/tx/${id}`, { body: { kind: "begin", tx: id, writes: spec.writes ?? {}, voteNo: spec.voteNo ?? [] } satisfies Msg }), { timeoutMs: this.options.clientTimeoutMs });
      const body = res.body as { outcome: "committed" | "aborted"; reason: string; rounds: number; forced: number };
      // Measured by the coordinator: its rounds to the participants and the forced writes it waited for, plus the client's own round trip.
      return new TransactionResult(id, body.outcome, this.sim.now - start, 1 + body.rounds, body.forced, body.reason);
    } catch (error) {
      return new TransactionResult(id, "unknown", this.sim.now - start, 0, 0, error instanceof Error ? error.message : String(error));
    }
  }

  /**
   * The same writes as one local transaction on one database: one round trip and one forced
   * log write. The baseline 2PC's cost is measured against.
   */
  async executeLocal(participant: string, writes: Readonly<Record<string, unknown>>): Promise<TransactionResult> {
    if (!this.plogs.has(participant)) throw new UnknownShardError(participant, this.participants);
    const id = `L${++this.localSeq}`;
    const start = this.sim.now;
    try {
      const res = await this.sim.node(this.options.client).call(participant, request("POST", `/local/${id}`, { body: { kind: "local", tx: id, writes } satisfies Msg }), { timeoutMs: this.options.clientTimeoutMs });
      const body = res.body as { ok?: boolean; forced?: number; error?: string };
      if (!body.ok) return new TransactionResult(id, "aborted", this.sim.now - start, 1, 0, body.error ?? "refused");
      return new TransactionResult(id, "committed", this.sim.now - start, 1, body.forced ?? 0, "local commit");
    } catch (error) {
      return new TransactionResult(id, "unknown", this.sim.now - start, 0, 0, error instanceof Error ? error.message : String(error));
    }
  }

  // ---------------------------------------------------------------- coordinator

  private async coordinatorHandler(path: string, msg: Msg, ctx: ServiceContext<undefined>): Promise<unknown> {
    if (msg.kind === "status") {
      const rec = this.clog.get(msg.tx);
      if (rec) {
        if (rec.decision === "commit") this.acked(msg.tx, msg.from);
        return { decision: rec.decision };
      }
      if (this.active.has(msg.tx)) return { decision: "pending" };
      // Presumed abort: no record and nobody driving it means it never committed.
      this.clog.set(msg.tx, { decision: "abort", acked: new Set(), ended: true, at: this.sim.now });
      this.sim.trace.state(this.options.coordinator, `${msg.tx}: no record → presumed abort`);
      return { decision: "abort" };
    }
    if (msg.kind !== "begin") return { error: `unexpected ${path}` };
    const tx = msg.tx;
    const coord = this.options.coordinator;
    this.active.add(tx);
    try {
      this.sim.trace.state(coord, `${tx}: begin`);
      this.crashIf(tx, "before-prepare");
      // What the client waits for: one round to the participants, whose prepare records are
      // forced in parallel (one forced write on the critical path if any participant forced).
      let preparesForced = 0;
      const votes = await Promise.all(
        this.participants.map(async (p) => {
          try {
            const res = await ctx.call(p, request("POST", `/prepare/${tx}`, { body: { kind: "prepare", tx, writes: msg.writes[p] ?? {}, voteNo: msg.voteNo.includes(p) } satisfies Msg }), { timeoutMs: this.options.voteTimeoutMs });
            if ((res.body as { forced?: boolean }).forced) preparesForced = 1;
            return (res.body as { vote: "yes" | "no" }).vote;
          } catch (error) {
            if ((error as Error).name === "NodeCrashed") throw error;
            return "timeout" as const;
          }
        }),
      );
      const yes = votes.every((v) => v === "yes");
      this.sim.trace.state(coord, `${tx}: votes ${this.participants.map((p, i) => `${p} ${votes[i] === "timeout" ? "no answer" : votes[i]!.toUpperCase()}`).join(", ")}`);
      if (yes) {
        this.crashIf(tx, "after-votes");
        await ctx.work(this.options.logWriteMs); // force the COMMIT record: the commit point
        this.clog.set(tx, { decision: "commit", acked: new Set(), ended: false, at: this.sim.now });
        this.sim.trace.state(coord, `${tx}: COMMIT logged (forced)`);
        this.crashIf(tx, "after-commit-logged");
        // The forced COMMIT record is the commit point: the client may hear "committed" now.
        // The second round (COMMIT and its acks) runs after the answer, off the client's path.
        void this.sendDecision(ctx, tx, "commit", this.participants)
          .then((first) => this.collectAcks(ctx, tx, first))
          .catch(() => undefined);
        return { outcome: "committed", reason: "every participant voted YES", rounds: 1, forced: preparesForced + 1 };
      }
      const why = this.participants.flatMap((p, i) => (votes[i] === "yes" ? [] : [`${p} ${votes[i] === "no" ? "voted NO" : "did not vote in time"}`])).join(", ");
      // Presumed abort: the ABORT record need not be forced and ABORT needs no acks.
      this.clog.set(tx, { decision: "abort", acked: new Set(), ended: true, at: this.sim.now });
      this.sim.trace.state(coord, `${tx}: ABORT (${why})`);
      // Not awaited: ABORT needs no acks; a participant that misses it asks later and hears "abort".
      void this.sendDecision(ctx, tx, "abort", this.participants.filter((_, i) => votes[i] !== "no")).catch(() => undefined);
      return { outcome: "aborted", reason: why, rounds: 1, forced: preparesForced };
    } finally {
      this.active.delete(tx);
    }
  }

  private crashIf(tx: string, point: CoordinatorCrashPoint): void {
    const plan = this.crashPoints.get(tx);
    if (plan?.point !== point) return;
    const coord = this.options.coordinator;
    this.sim.faults.crash(coord);
    if (plan.restartAfterMs !== undefined) this.sim.faults.restart(coord, { at: this.sim.now + plan.restartAfterMs });
    throw new Error(`${coord} crashed ${point} of ${tx}`);
  }

  private async sendDecision(ctx: ServiceContext<undefined>, tx: string, decision: "commit" | "abort", to: readonly string[]): Promise<string[]> {
    const acks = await Promise.all(
      to.map(async (p) => {
        try {
          await ctx.call(p, request("POST", `/${decision}/${tx}`, { body: { kind: decision, tx } satisfies Msg }), { timeoutMs: this.options.ackTimeoutMs });
          if (decision === "commit") this.acked(tx, p);
          return p;
        } catch (error) {
          if ((error as Error).name === "NodeCrashed") throw error;
          return undefined;
        }
      }),
    );
    return acks.filter((p): p is string => p !== undefined);
  }

  private async collectAcks(ctx: ServiceContext<undefined>, tx: string, _first: string[]): Promise<void> {
    try {
      for (;;) {
        const rec = this.clog.get(tx)!;
        const missing = this.participants.filter((p) => !rec.acked.has(p));
        if (missing.length === 0 || rec.ended) return;
        await ctx.work(this.options.ackTimeoutMs);
        await this.sendDecision(ctx, tx, "commit", missing.filter((p) => !rec.acked.has(p)));
      }
    } catch {
      // The coordinator crashed: participants will learn the decision by asking (STATUS).
    }
  }

  private acked(tx: string, p: string): void {
    const rec = this.clog.get(tx);
    if (!rec || rec.ended) return;
    rec.acked.add(p);
    if (rec.acked.size === this.participants.length) {
      rec.ended = true;
      // The transaction's picture ends with END, after the acks.
      const info = this.txs.get(tx);
      if (info) info.end = Math.max(info.end ?? 0, this.sim.now);
      this.sim.trace.state(this.options.coordinator, `${tx}: END (every ack in, forgotten)`);
    }
  }

  // ---------------------------------------------------------------- participants

  private async participantHandler(p: string, log: PLog, path: string, msg: Msg, ctx: ServiceContext<undefined>): Promise<unknown> {
    switch (msg.kind) {
      case "local": {
        // A local transaction respects the locks of prepared 2PC transactions: it waits until
        // they are released (a commit or abort reaches this participant), or gives up after
        // the lock-wait timeout, as a database does. Writing through would be overwritten
        // when the in-doubt transaction commits.
        const blocked = () => Object.keys(msg.writes).find((k) => log.locks.has(k));
        const deadline = this.sim.now + this.options.lockWaitTimeoutMs;
        for (let held = blocked(); held !== undefined; held = blocked()) {
          if (this.sim.now >= deadline) {
            this.sim.trace.state(p, `${msg.tx}: lock wait timeout on ${held} (held by ${log.locks.get(held)})`);
            return { ok: false, error: `lock wait timeout: ${held} is locked by in-doubt ${log.locks.get(held)}` };
          }
          await new Promise<void>((resolve) => {
            const timer = this.sim.wakeAt(deadline, () => resolve());
            log.waiters.push(() => {
              timer.cancel();
              resolve();
            });
          });
        }
        await ctx.work(this.options.workMs + this.options.logWriteMs);
        for (const [k, v] of Object.entries(msg.writes)) log.data.set(k, v);
        return { ok: true, forced: 1 };
      }
      case "prepare": {
        const rec = log.txs.get(msg.tx);
        if (rec && rec.state !== "unknown") return { vote: rec.state === "aborted" ? "no" : "yes" };
        await ctx.work(this.options.workMs + this.options.logWriteMs);
        const r = log.txs.get(msg.tx); // a peer's question may have aborted it meanwhile
        if (r && r.state !== "unknown") return { vote: r.state === "aborted" ? "no" : "yes" };
        const conflict = Object.keys(msg.writes).find((k) => log.locks.has(k) && log.locks.get(k) !== msg.tx);
        if (msg.voteNo || conflict !== undefined) {
          log.txs.set(msg.tx, { state: "aborted", vote: "no", votedAt: this.sim.now, decidedAt: this.sim.now, writes: msg.writes, statusQueries: 0 });
          this.sim.trace.state(p, `${msg.tx}: vote NO${conflict !== undefined ? ` (${conflict} locked by ${log.locks.get(conflict)})` : ""}`);
          return { vote: "no" };
        }
        for (const k of Object.keys(msg.writes)) log.locks.set(k, msg.tx);
        log.txs.set(msg.tx, { state: "prepared", vote: "yes", votedAt: this.sim.now, writes: msg.writes, statusQueries: 0 });
        this.sim.trace.state(p, `${msg.tx}: PREPARED, vote YES, locks ${Object.keys(msg.writes).join(", ") || "none"}`);
        this.scheduleStatusCheck(p, log, msg.tx, this.options.decisionTimeoutMs);
        return { vote: "yes", forced: true };
      }
      case "commit":
      case "abort": {
        if (msg.kind === "commit") await ctx.work(this.options.logWriteMs);
        this.decide(p, log, msg.tx, msg.kind === "commit" ? "committed" : "aborted", "from the coordinator");
        return { ack: true };
      }
      case "status": {
        // A peer in doubt asks what we know.
        const rec = log.txs.get(msg.tx);
        if (!rec || rec.state === "unknown") {
          // Not voted yet: we may still abort on our own, and do, so the asker can abort too.
          log.txs.set(msg.tx, { state: "aborted", vote: "no", votedAt: this.sim.now, decidedAt: this.sim.now, writes: {}, statusQueries: 0 });
          this.sim.trace.state(p, `${msg.tx}: aborted on its own (asked before voting)`);
          return { decision: "abort" };
        }
        return { decision: rec.state === "committed" ? "commit" : rec.state === "aborted" ? "abort" : "uncertain" };
      }
      default:
        return { error: `unexpected ${path}` };
    }
  }

  private decide(p: string, log: PLog, tx: string, state: "committed" | "aborted", how: string): void {
    const rec = log.txs.get(tx);
    if (rec?.state === state) return; // idempotent: a repeated decision changes nothing
    if (rec && (rec.state === "committed" || rec.state === "aborted")) {
      this.violations.push(`${p} was told ${state} for ${tx} after it had ${rec.state}`);
      return;
    }
    const r = rec ?? { state: "unknown" as ParticipantState, writes: {}, statusQueries: 0 };
    r.state = state;
    r.decidedAt = this.sim.now;
    log.txs.set(tx, r);
    if (state === "committed") for (const [k, v] of Object.entries(r.writes)) log.data.set(k, v);
    for (const [k, holder] of [...log.locks]) if (holder === tx) log.locks.delete(k);
    // Local transactions waiting on these locks try again.
    for (const wake of log.waiters.splice(0)) wake();
    const info = this.txs.get(tx);
    if (info) info.end = Math.max(info.end ?? 0, this.sim.now);
    this.sim.trace.state(p, `${tx}: ${state.toUpperCase()} (${how})${r.votedAt !== undefined && r.vote === "yes" ? `, locks held ${round(this.sim.now - r.votedAt)} ms` : ""}`);
  }

  private scheduleStatusCheck(p: string, log: PLog, tx: string, delay: number): void {
    this.sim.schedule(delay, () => void this.statusCheck(p, log, tx));
  }

  private async statusCheck(p: string, log: PLog, tx: string): Promise<void> {
    const rec = log.txs.get(tx);
    if (!rec || rec.state !== "prepared") return;
    const node = this.sim.node(p);
    if (node.up) {
      rec.statusQueries++;
      const ask = async (target: string): Promise<string | undefined> => {
        try {
          const res: Response = await node.call(target, request("POST", `/status/${tx}`, { body: { kind: "status", tx, from: p } satisfies Msg }), { timeoutMs: this.options.statusIntervalMs / 2 });
          return (res.body as { decision?: string }).decision;
        } catch {
          return undefined;
        }
      };
      let answer = await ask(this.options.coordinator);
      // "pending" means the coordinator is alive and still deciding: wait for it.
      if (answer === undefined && this.options.cooperativeTermination) {
        const peers = await Promise.all(this.participants.filter((q) => q !== p).map((q) => ask(q)));
        answer = peers.find((a) => a === "commit" || a === "abort");
      }
      if (rec.state === "prepared" && node.up && (answer === "commit" || answer === "abort")) {
        this.decide(p, log, tx, answer === "commit" ? "committed" : "aborted", "after asking");
        return;
      }
    }
    if (rec.state === "prepared") this.scheduleStatusCheck(p, log, tx, this.options.statusIntervalMs);
  }

  // ---------------------------------------------------------------- observation

  /** A participant's state for a transaction. @throws {@link UnknownShardError} */
  stateOf(participant: string, tx: string): ParticipantState {
    const log = this.plogs.get(participant);
    if (!log) throw new UnknownShardError(participant, this.participants);
    return log.txs.get(tx)?.state ?? "unknown";
  }

  /** Committed data of a participant. @throws {@link UnknownShardError} */
  dataOf(participant: string): ReadonlyMap<string, unknown> {
    const log = this.plogs.get(participant);
    if (!log) throw new UnknownShardError(participant, this.participants);
    return log.data;
  }

  /** Locks held now: participant, key, transaction, held for how long. */
  locks(): LocksTable {
    const rows: LockRow[] = [];
    for (const [p, log] of this.plogs) {
      for (const [key, tx] of log.locks) {
        const since = log.txs.get(tx)?.votedAt ?? this.sim.now;
        rows.push({ participant: p, key, tx, heldMs: this.sim.now - since });
      }
    }
    return new LocksTable(rows, this.sim.now);
  }

  /** The coordinator's decision record for `tx`, if it has one. */
  decisionOf(tx: string): "commit" | "abort" | undefined {
    return this.clog.get(tx)?.decision;
  }

  /** Per participant: vote, state, when it voted and decided, how long it was in doubt holding locks. */
  report(tx: string): TransactionReport {
    const info = this.txs.get(tx);
    if (!info) throw new ConfigError("TwoPhaseCommit.report", "tx", tx, `the id of a transaction run here (${[...this.txs.keys()].join(", ") || "none yet"})`);
    const rows = this.participants.map((p): ParticipantRow => {
      const r = this.plogs.get(p)!.txs.get(tx);
      const inDoubtEnd = r?.decidedAt ?? this.sim.now;
      return {
        participant: p,
        vote: r?.vote ?? "none",
        state: r?.state ?? "unknown",
        votedAt: r?.votedAt,
        decidedAt: r?.decidedAt,
        inDoubtMs: r?.vote === "yes" && r.votedAt !== undefined ? inDoubtEnd - r.votedAt : 0,
        statusQueries: r?.statusQueries ?? 0,
      };
    });
    return new TransactionReport(tx, this.clog.get(tx)?.decision, rows, this.sim.now);
  }

  /**
   * Checks atomicity over every transaction so far: no two participants decided differently,
   * and nothing committed unless every participant voted YES.
   */
  check(): AgreementCheck {
    const problems = [...this.violations];
    for (const tx of this.txs.keys()) {
      const states = this.participants.map((p) => this.plogs.get(p)!.txs.get(tx));
      const decided = new Set(states.flatMap((s) => (s && (s.state === "committed" || s.state === "aborted") ? [s.state] : [])));
      if (decided.size > 1) problems.push(`${tx}: participants decided differently (${this.participants.map((p, i) => `${p} ${states[i]?.state ?? "unknown"}`).join(", ")})`);
      if (decided.has("committed") && states.some((s) => s?.vote !== "yes")) problems.push(`${tx}: committed without a YES from every participant`);
      if (decided.has("committed") && this.clog.get(tx)?.decision !== "commit") problems.push(`${tx}: committed without a COMMIT record at the coordinator`);
    }
    return new AgreementCheck(problems, this.txs.size);
  }

  /** A sequence diagram of one transaction, from the client's request to the last decision. */
  sequence(tx: string, limit = 40): ReturnType<Simulation["trace"]["sequence"]> {
    const info = this.txs.get(tx);
    if (!info) throw new ConfigError("TwoPhaseCommit.sequence", "tx", tx, "the id of a transaction run here");
    const mine = new Set(this.sim.trace.events.slice(info.traceStart));
    return this.sim.trace.sequence({ to: info.end ?? this.sim.now, limit, participants: [this.options.client, this.options.coordinator, ...this.participants], filter: (e) => mine.has(e), title: `2PC ${tx}` });
  }
}

/** One participant row of a {@link TransactionReport}. */
export interface ParticipantRow {
  participant: string;
  vote: "yes" | "no" | "none";
  state: ParticipantState;
  votedAt: number | undefined;
  decidedAt: number | undefined;
  /** Time between voting YES and learning the decision (so far), ms: locks held, unable to decide. */
  inDoubtMs: number;
  statusQueries: number;
}

/** Every participant's view of one transaction. */
export class TransactionReport {
  constructor(
    readonly tx: string,
    readonly decision: "commit" | "abort" | undefined,
    readonly rows: readonly ParticipantRow[],
    readonly at: number,
  ) {}

  /** The longest any participant was in doubt, ms. */
  get maxInDoubtMs(): number {
    return Math.max(0, ...this.rows.map((r) => r.inDoubtMs));
  }

  [DISPLAY](): MimeBundle {
    const head = `**${this.tx}** at t=${round(this.at)} ms, coordinator's record: ${this.decision ?? "none"}`;
    const t = table(this.rows.map((r) => ({ participant: r.participant, vote: r.vote, state: r.state, "voted at": r.votedAt === undefined ? "" : round(r.votedAt), "decided at": r.decidedAt === undefined ? "" : round(r.decidedAt), "in doubt ms": round(r.inDoubtMs), "status queries": r.statusQueries })))[DISPLAY]();
    return { "text/markdown": `${head}\n\n${t["text/markdown"]}`, "text/plain": `${head.replace(/\*\*/g, "")}\n${t["text/plain"]}` };
  }
}

/** A held lock. */
export interface LockRow {
  participant: string;
  key: string;
  tx: string;
  heldMs: number;
}

/** Locks held at one moment. */
export class LocksTable {
  constructor(
    readonly rows: readonly LockRow[],
    readonly at: number,
  ) {}

  [DISPLAY](): MimeBundle {
    if (!this.rows.length) return markdown(`No locks held at t=${round(this.at)} ms`)[DISPLAY]();
    const t = table(this.rows.map((r) => ({ participant: r.participant, key: r.key, tx: r.tx, "held ms": round(r.heldMs) })))[DISPLAY]();
    const head = `${this.rows.length} lock${this.rows.length === 1 ? "" : "s"} held at t=${round(this.at)} ms`;
    return { "text/markdown": `${head}\n\n${t["text/markdown"]}`, "text/plain": `${head}\n${t["text/plain"]}` };
  }
}

/** Result of {@link TwoPhaseCommit.check}. */
export class AgreementCheck {
  constructor(
    readonly problems: readonly string[],
    readonly transactions: number,
  ) {}

  get ok(): boolean {
    return this.problems.length === 0;
  }

  [DISPLAY](): MimeBundle {
    return markdown(this.ok ? `✅ Atomic: in ${this.transactions} transactions no two participants decided differently` : `❌ ${this.problems.length} violations:\n\n${this.problems.slice(0, 10).map((p) => `- ${p}`).join("\n")}`)[DISPLAY]();
  }
}

type Msg =
  | { kind: "begin"; tx: string; writes: Readonly<Record<string, Readonly<Record<string, unknown>>>>; voteNo: readonly string[] }
  | { kind: "prepare"; tx: string; writes: Readonly<Record<string, unknown>>; voteNo: boolean }
  | { kind: "commit"; tx: string }
  | { kind: "abort"; tx: string }
  | { kind: "status"; tx: string; from: string }
  | { kind: "local"; tx: string; writes: Readonly<Record<string, unknown>> };

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
