// Reference solutions of the distributed-data build challenges (horizontal-sharding,
// vertical-partitioning, consistent-hashing, two-phase-commit, saga), with switches that turn
// them into known-wrong answers. They live with the tests (reference solutions never ship); the
// bench imports them to time a full check.
import type { JoinRow, JoinSolution, OrderRow, PartitionClient, SagaEnv, SagaOrchestratorSolution, Participant, ParticipantEnv, TwoPhaseSolution, TxnWrites, Ring, RingOptions, RingSolution, ShardRange, ShardRouter, ShardingSolution, UserRow } from "sde-lab/challenges";

// ---------- horizontal sharding ----------
export class SortedRouter implements ShardRouter {
  private ranges: ShardRange[];
  constructor(ranges: readonly ShardRange[], private readonly offByOne = false, private readonly ignoreSplits = false) {
    this.ranges = ranges.map((r) => ({ ...r }));
  }
  route(id: number): string {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.ranges[mid]!.from <= id) lo = mid;
      else hi = mid - 1;
    }
    return this.ranges[lo]!.shard;
  }
  scanShards(from: number, to: number): string[] {
    return this.ranges.filter((r) => r.to >= from && r.from <= to).map((r) => r.shard);
  }
  split(at: number, newShard: string): void {
    if (this.ignoreSplits) return;
    const i = this.ranges.findIndex((r) => r.from < at && at <= r.to);
    const r = this.ranges[i]!;
    const cut = this.offByOne ? at + 1 : at;
    this.ranges.splice(i, 1, { shard: r.shard, from: r.from, to: cut - 1 }, { shard: newShard, from: cut, to: r.to });
  }
}
export const medianOfReads = (range: ShardRange, reads: ReadonlyMap<number, number>) => {
  const total = [...reads.values()].reduce((a, b) => a + b, 0);
  let sum = 0;
  for (let id = range.from; id <= range.to; id++) {
    sum += reads.get(id) ?? 0;
    if (sum * 2 >= total) return Math.max(id, range.from + 1);
  }
  return range.to;
};
export const shardingReference: ShardingSolution = { createRouter: (r) => new SortedRouter(r), splitPoint: medianOfReads };

// ---------- vertical partitioning ----------
const slices = <T,>(xs: readonly T[], n: number) => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));
async function retry<T>(f: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await f();
    } catch (e) {
      if ((e as Error).name !== "TimeoutError") throw e;
    }
  }
}
export const joinWith = (opts: { batch?: number; retries?: boolean; dropLast?: boolean; perUser?: boolean } = {}): JoinSolution => ({
  async ordersOfCountry(db: PartitionClient, country: string) {
    const call = <T,>(f: () => Promise<T>) => (opts.retries === false ? f() : retry(f));
    const users: UserRow[] = await call(() => db.users("country", [country]));
    const byId = new Map(users.map((u) => [u.id, u]));
    let groups = opts.perUser ? users.map((u) => [u.id]) : slices([...byId.keys()], opts.batch ?? 50);
    if (opts.dropLast) groups = groups.slice(0, -1);
    const answers: OrderRow[][] = await Promise.all(groups.map((g) => call(() => db.orders(g))));
    return answers.flat().map((o): JoinRow => ({ orderId: o.id, userId: o.userId, name: byId.get(o.userId)!.name, total: o.total }));
  },
});

// ---------- consistent hashing ----------
export class SortedRing implements Ring {
  private points: { h: number; node: string }[] = [];
  private readonly nodes: string[] = [];
  constructor(private readonly o: RingOptions, private readonly flaw: { cap?: number; oneVnode?: boolean; repeatReplicas?: boolean } = {}) {}
  addNode(node: string): void {
    if (this.flaw.cap !== undefined && this.nodes.length >= this.flaw.cap) return;
    this.nodes.push(node);
    const v = this.flaw.oneVnode ? 1 : this.o.vnodes;
    for (let i = 0; i < v; i++) this.points.push({ h: this.o.hash(`${node}#${i}`), node });
    this.points.sort((a, b) => a.h - b.h || (a.node < b.node ? -1 : 1));
  }
  removeNode(node: string): void {
    this.nodes.splice(this.nodes.indexOf(node), 1);
    this.points = this.points.filter((p) => p.node !== node);
  }
  private start(key: string): number {
    const h = this.o.hash(key);
    let lo = 0;
    let hi = this.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.points[mid]!.h < h) lo = mid + 1;
      else hi = mid;
    }
    return lo % this.points.length;
  }
  lookup(key: string): string {
    return this.points[this.start(key)]!.node;
  }
  replicas(key: string, r: number): string[] {
    const out: string[] = [];
    const want = this.flaw.repeatReplicas ? r : Math.min(r, this.nodes.length);
    for (let i = this.start(key), n = 0; out.length < want && n < this.points.length; i = (i + 1) % this.points.length, n++) {
      const node = this.points[i]!.node;
      if (this.flaw.repeatReplicas || !out.includes(node)) out.push(node);
    }
    return out;
  }
}
export const ring = (flaw: ConstructorParameters<typeof SortedRing>[1] = {}): RingSolution => ({ createRing: (o) => new SortedRing(o, flaw) });

// ---------- two-phase commit ----------
/** `outsideMemory`: the writes live in a map outside the instance (as a module-level one would), the PREPARED record holds none. */
export type Flaw2pc = { voteBeforeDurable?: boolean; forgetOnRestart?: boolean; decideAlone?: boolean; neverAsk?: boolean; ignoreConstraints?: boolean; outsideMemory?: Map<string, TxnWrites> };
export const participant = (flaw: Flaw2pc = {}): TwoPhaseSolution => ({
  createParticipant(env: ParticipantEnv): Participant {
    const outcome = (txn: string) => env.records().find((r) => r.txn === txn && r.type !== "prepared")?.type;
    const prepared = (txn: string) => env.records().find((r) => r.txn === txn && r.type === "prepared");
    const memory = new Map<string, TxnWrites>();
    const finish = async (txn: string, d: "commit" | "abort") => {
      if (outcome(txn)) return;
      const writes = flaw.outsideMemory ? flaw.outsideMemory.get(`${env.name}/${txn}`) : flaw.forgetOnRestart ? memory.get(txn) : prepared(txn)?.writes;
      if (d === "commit" && writes) env.apply(txn, writes);
      if (d === "commit" && !writes) return;
      await env.append({ txn, type: d === "commit" ? "committed" : "aborted" });
    };
    const resolve = async (txn: string) => {
      for (;;) {
        if (outcome(txn)) return;
        if (flaw.decideAlone) return finish(txn, "abort");
        try {
          return await finish(txn, await env.askCoordinator(txn));
        } catch {
          await env.sleep(100);
        }
      }
    };
    return {
      async prepare(txn, writes) {
        if (!flaw.ignoreConstraints && !env.canCommit(writes)) {
          await env.append({ txn, type: "aborted" });
          return "no";
        }
        memory.set(txn, writes);
        flaw.outsideMemory?.set(`${env.name}/${txn}`, writes);
        const durable = env.append(flaw.outsideMemory ? { txn, type: "prepared" } : { txn, type: "prepared", writes });
        if (!flaw.voteBeforeDurable) await durable;
        if (!flaw.neverAsk) void env.sleep(300).then(() => resolve(txn));
        return "yes";
      },
      commit: (txn) => finish(txn, "commit"),
      abort: (txn) => finish(txn, "abort"),
      async recover() {
        if (flaw.forgetOnRestart || flaw.neverAsk) return;
        for (const r of env.records()) if (r.type === "prepared" && !outcome(r.txn)) void resolve(r.txn);
      },
    };
  },
});

// ---------- saga ----------
export type SagaFlaw = { forward?: boolean; noRetryAfterPivot?: boolean; noCompRetry?: boolean; onlyOk?: boolean; noActRetry?: boolean };
export const orchestrator = (flaw: SagaFlaw = {}): SagaOrchestratorSolution => ({
  async run(env: SagaEnv) {
    const started: string[] = [];
    const undo = async () => {
      const order = flaw.forward ? [...started] : [...started].reverse();
      for (const s of order) {
        for (;;) {
          try {
            await env.compensate(s);
            break;
          } catch {
            if (flaw.noCompRetry) break;
            await env.sleep(20);
          }
        }
      }
      return "compensated" as const;
    };
    let pastPivot = false;
    for (const step of env.steps) {
      for (;;) {
        if (step.compensable && !flaw.onlyOk) started.push(step.name);
        let out: "ok" | "failed" | "lost";
        try {
          out = await env.act(step.name);
        } catch {
          out = "lost";
        }
        if (out === "ok" && step.compensable && flaw.onlyOk) started.push(step.name);
        if (out === "ok") break;
        if (out === "lost" && !flaw.noActRetry) continue;
        if (!pastPivot && (out === "failed" || out === "lost")) return undo();
        if (flaw.noRetryAfterPivot) return undo();
        await env.sleep(20);
      }
      if (step.pivot) pastPivot = true;
    }
    return "completed" as const;
  },
});
