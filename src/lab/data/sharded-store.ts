/**
 * A key/value-and-rows store split over shard nodes on the simulated network. The
 * application's router sends each request to the shard the {@link ShardStrategy} names:
 * one shard for a key, the overlapping shards for a range scan, every shard for a query
 * that cannot be routed (scatter-gather). Per-shard counts show load and size, and a hot
 * shard is flagged.
 */
import { DISPLAY, markdown, table, type Displayable, type MimeBundle } from "../display";
import { ConfigError, positive } from "../errors";
import type { Simulation } from "../sim/simulation";
import { request } from "../sim/http";
import { checkDistribution, type Distribution } from "../sim/random";
import { UnknownShardError } from "./errors";
import type { ShardKey, ShardStrategy } from "./shard-strategy";
import { RangeSharding } from "./shard-strategy";
import { drawWindow, openWindow, type TraceWindow } from "./trace-window";

/** Options of a {@link ShardedStore}. Defaults are in {@link SHARDED_STORE_DEFAULTS}. */
export interface ShardedStoreOptions {
  /** Where keys go. */
  strategy: ShardStrategy;
  /** Name of the node that routes requests (the application). Default `"app"`. */
  router?: string;
  /** Time a shard spends on one request, in ms. Default 2. */
  serviceTime?: Distribution;
  /** A shard is hot when its requests are at least this many times the mean. Default 1.5. */
  hotSpotFactor?: number;
}

/** Defaults of {@link ShardedStoreOptions}. */
export const SHARDED_STORE_DEFAULTS = { router: "app", serviceTime: 2 as Distribution, hotSpotFactor: 1.5 } as const;

/** A stored row. */
export interface Row {
  key: ShardKey;
  value: unknown;
}

/** The answer to a scan or query, with what it cost. */
export class QueryResult {
  constructor(
    /** `scan 1–50`, `query (scatter-gather)`. */
    readonly description: string,
    readonly rows: readonly Row[],
    /** Shards asked. */
    readonly shards: readonly string[],
    /** Of the shards asked, the ones that had matching rows. */
    readonly shardsWithRows: readonly string[],
    /** Virtual time from sending to the last answer, ms. */
    readonly latencyMs: number,
    private readonly window?: TraceWindow,
  ) {}

  /** The messages of this query as a sequence diagram. */
  sequence(limit = 40): Displayable {
    return this.window ? drawWindow(this.window, this.description, limit) : markdown("_No trace for this result._");
  }

  [DISPLAY](): MimeBundle {
    return markdown(
      `**${this.description}**: ${this.rows.length} rows from ${this.shards.length} shard${this.shards.length === 1 ? "" : "s"} asked (${this.shards.join(", ")}), ${this.shardsWithRows.length} had rows; ${round(this.latencyMs, 2)} ms`,
    )[DISPLAY]();
  }
}

/** Counts of one shard. */
export interface ShardStats {
  shard: string;
  keys: number;
  /** Approximate bytes stored (JSON length of keys and values). */
  bytes: number;
  reads: number;
  writes: number;
  /** Requests served (reads + writes + scans + queries). */
  requests: number;
  /** Requests over the mean of all shards. */
  loadOverMean: number;
  hot: boolean;
}

/** Per-shard stats of a store, rendered as a table. */
export class ShardStatsTable {
  constructor(
    readonly shards: readonly ShardStats[],
    readonly hotSpotFactor: number,
  ) {}

  /** Shards at or above the hot-spot factor. */
  get hot(): string[] {
    return this.shards.filter((s) => s.hot).map((s) => s.shard);
  }

  [DISPLAY](): MimeBundle {
    const rows = this.shards.map((s) => ({ shard: s.shard, keys: s.keys, bytes: s.bytes, reads: s.reads, writes: s.writes, requests: s.requests, "load/mean": round(s.loadOverMean, 2), hot: s.hot ? "🔥 hot" : "" }));
    const t = table(rows)[DISPLAY]();
    const note = this.hot.length ? `Hot: ${this.hot.join(", ")} (≥ ${this.hotSpotFactor}× the mean load)` : `No shard at ≥ ${this.hotSpotFactor}× the mean load`;
    return { "text/markdown": `${t["text/markdown"]}\n\n${note}`, "text/plain": `${t["text/plain"]}\n${note}` };
  }
}

/** What a reshard moved. */
export class ReshardReport {
  constructor(
    readonly from: string,
    readonly to: string,
    readonly total: number,
    readonly moved: number,
    readonly bytesMoved: number,
    readonly flows: readonly { from: string; to: string; keys: number }[],
  ) {}

  /** Moved keys over all keys, 0–1. */
  get fraction(): number {
    return this.total ? this.moved / this.total : 0;
  }

  [DISPLAY](): MimeBundle {
    const head = `**${this.from} → ${this.to}**: ${this.moved} of ${this.total} keys moved (${round(this.fraction * 100, 1)} %), ${this.bytesMoved} bytes copied`;
    if (!this.flows.length) return markdown(head)[DISPLAY]();
    const t = table(this.flows.slice(0, 12).map((f) => ({ from: f.from, to: f.to, keys: f.keys })))[DISPLAY]();
    return { "text/markdown": `${head}\n\n${t["text/markdown"]}`, "text/plain": `${head.replace(/\*\*/g, "")}\n${t["text/plain"]}` };
  }
}

interface ShardState {
  rows: Map<string, Row>;
  reads: number;
  writes: number;
  requests: number;
}

const newShardState = (): ShardState => ({ rows: new Map(), reads: 0, writes: 0, requests: 0 });

/**
 * A sharded store. Create it, then call `put`, `get`, `scan` and `query` inside
 * `sim.run(...)`: each is a request over the simulated network to the shard(s) involved.
 * @example
 * const store = new ShardedStore(sim, { strategy: new RangeSharding([{ shard: "s1", from: 1, to: 1000 }, { shard: "s2", from: 1001, to: 2000 }]) });
 * await sim.run(async () => { await store.put(42, { name: "ann" }); return store.scan(1, 100); });
 */
export class ShardedStore {
  /** The options in force, defaults filled in. */
  readonly options: Readonly<Required<Omit<ShardedStoreOptions, "strategy">>>;
  private current: ShardStrategy;
  private readonly nodes = new Map<string, ShardState>();

  constructor(
    readonly sim: Simulation,
    options: ShardedStoreOptions,
  ) {
    const d = SHARDED_STORE_DEFAULTS;
    if (!options || typeof options.strategy?.shardFor !== "function") throw new ConfigError("ShardedStore", "strategy", options?.strategy, "a ShardStrategy (new RangeSharding([...]), hashSharding([...]) or ringSharding([...]))");
    this.options = {
      router: options.router ?? d.router,
      serviceTime: checkDistribution("ShardedStore", "serviceTime", options.serviceTime ?? d.serviceTime),
      hotSpotFactor: positive("ShardedStore", "hotSpotFactor", options.hotSpotFactor ?? d.hotSpotFactor),
    };
    this.current = options.strategy;
    if (!sim.hasNode(this.options.router)) sim.client(this.options.router);
    for (const s of options.strategy.shards) this.ensureShard(s);
  }

  /** The strategy in force. */
  get strategy(): ShardStrategy {
    return this.current;
  }

  /** Shard names. */
  get shards(): readonly string[] {
    return [...this.nodes.keys()];
  }

  private ensureShard(name: string): void {
    if (this.nodes.has(name)) return;
    const state = newShardState();
    this.nodes.set(name, state);
    this.sim.service(name, (req) => this.serve(state, req.method, req.body as Op), { serviceTime: this.options.serviceTime });
  }

  private serve(state: ShardState, _method: string, op: Op): unknown {
    state.requests++;
    switch (op.op) {
      case "put":
        state.writes++;
        state.rows.set(String(op.key), { key: op.key, value: op.value });
        return { ok: true };
      case "delete":
        state.writes++;
        return { deleted: state.rows.delete(String(op.key)) };
      case "get":
        state.reads++;
        return { row: state.rows.get(String(op.key)) };
      case "scan": {
        state.reads++;
        const rows = [...state.rows.values()].filter((r) => typeof r.key === "number" && r.key >= op.from && r.key <= op.to);
        return { rows };
      }
      case "query":
        state.reads++;
        return { rows: [...state.rows.values()].filter((r) => op.where(r.value, r.key)) };
    }
  }

  private async send(shard: string, op: Op): Promise<{ row?: Row; rows?: Row[]; deleted?: boolean }> {
    const res = await this.sim.node(this.options.router).call(shard, request("POST", `/${op.op}${"key" in op ? `/${String(op.key)}` : ""}`, { body: op }));
    if (res.status >= 400) throw new Error(`${shard} answered ${res.status}`);
    return res.body as { row?: Row; rows?: Row[] };
  }

  /** Stores `value` under `key` on its shard. */
  async put(key: ShardKey, value: unknown): Promise<void> {
    await this.send(this.current.shardFor(key), { op: "put", key, value });
  }

  /** The value under `key`, or undefined. One shard is asked. */
  async get(key: ShardKey): Promise<unknown> {
    return (await this.send(this.current.shardFor(key), { op: "get", key })).row?.value;
  }

  /** Deletes `key`; true when it existed. */
  async delete(key: ShardKey): Promise<boolean> {
    return (await this.send(this.current.shardFor(key), { op: "delete", key })).deleted === true;
  }

  /** Rows with numeric keys in `[from, to]`, in key order: range sharding asks only the overlapping shards, hash sharding asks all. */
  async scan(from: number, to: number): Promise<QueryResult> {
    const shards = this.current.shardsForRange(from, to);
    return this.gather(`scan ${from}–${to}`, shards, { op: "scan", from, to });
  }

  /** Rows whose value matches `where`: a scatter-gather over every shard (no shard key to route by). */
  async query(where: (value: unknown, key: ShardKey) => boolean): Promise<QueryResult> {
    return this.gather("query by a non-key field (scatter-gather)", [...this.current.shards], { op: "query", where });
  }

  private async gather(description: string, shards: string[], op: Op): Promise<QueryResult> {
    const start = this.sim.now;
    const window = openWindow(this.sim);
    const answers = await Promise.all(shards.map(async (s) => ({ shard: s, rows: (await this.send(s, op)).rows ?? [] })));
    const rows = answers.flatMap((a) => a.rows).sort(byKey);
    return new QueryResult(description, rows, shards, answers.filter((a) => a.rows.length > 0).map((a) => a.shard), this.sim.now - start, window.close());
  }

  /** Keys, bytes, reads and writes per shard; hot shards flagged. */
  stats(): ShardStatsTable {
    const list = [...this.nodes].map(([shard, s]) => {
      let bytes = 0;
      for (const r of s.rows.values()) bytes += JSON.stringify(r.key).length + (JSON.stringify(r.value) ?? "").length;
      return { shard, keys: s.rows.size, bytes, reads: s.reads, writes: s.writes, requests: s.requests };
    });
    const mean = list.reduce((a, s) => a + s.requests, 0) / Math.max(1, list.length);
    const f = this.options.hotSpotFactor;
    return new ShardStatsTable(
      list.map((s) => ({ ...s, loadOverMean: mean ? s.requests / mean : 0, hot: mean > 0 && s.requests >= f * mean })),
      f,
    );
  }

  /** Clears the read/write counters (keeps the data), e.g. before measuring a workload. */
  resetCounters(): void {
    for (const s of this.nodes.values()) {
      s.reads = 0;
      s.writes = 0;
      s.requests = 0;
    }
  }

  /** The rows a shard holds now. @throws {@link UnknownShardError} */
  rowsOn(shard: string): readonly Row[] {
    const s = this.nodes.get(shard);
    if (!s) throw new UnknownShardError(shard, this.shards);
    return [...s.rows.values()].sort(byKey);
  }

  /**
   * Switches to `strategy` and moves every row whose shard changes (new shards are added as
   * nodes). The copy is instant in virtual time; a real migration streams the rows while
   * serving traffic, which is why the number of moved keys matters.
   */
  reshard(strategy: ShardStrategy): ReshardReport {
    const was = this.current.label;
    for (const s of strategy.shards) this.ensureShard(s);
    let total = 0;
    let moved = 0;
    let bytes = 0;
    const flows = new Map<string, { from: string; to: string; keys: number }>();
    // Snapshot first: rows moved onto a shard later in the loop must not be counted twice.
    const before = [...this.nodes].map(([shard, state]) => [shard, state, [...state.rows]] as const);
    for (const [shard, state, rows] of before) {
      for (const [id, row] of rows) {
        total++;
        const target = strategy.shardFor(row.key);
        if (target === shard) continue;
        moved++;
        bytes += JSON.stringify(row.key).length + (JSON.stringify(row.value) ?? "").length;
        state.rows.delete(id);
        this.nodes.get(target)!.rows.set(id, row);
        const f = flows.get(`${shard}\u0000${target}`);
        if (f) f.keys++;
        else flows.set(`${shard}\u0000${target}`, { from: shard, to: target, keys: 1 });
      }
    }
    this.current = strategy;
    this.sim.trace.state(this.options.router, `reshard ${was} → ${strategy.label}: ${moved}/${total} keys moved`);
    return new ReshardReport(was, strategy.label, total, moved, bytes, [...flows.values()].sort((a, b) => b.keys - a.keys));
  }

  /**
   * Splits a range shard at key `at`: keys from `at` to the end of that range move to
   * `newShard`. Only for {@link RangeSharding}.
   * @throws {@link UnknownShardError} when `shard` is not a shard of this store
   */
  splitShard(shard: string, at: number, newShard: string): ReshardReport {
    if (!this.nodes.has(shard)) throw new UnknownShardError(shard, this.shards);
    if (!(this.current instanceof RangeSharding)) throw new ConfigError("ShardedStore.splitShard", "strategy", this.current.label, "range sharding (hash shards are split by adding nodes: reshard)");
    return this.reshard(this.current.clone().split(shard, at, newShard));
  }

  [DISPLAY](): MimeBundle {
    return this.stats()[DISPLAY]();
  }
}

type Op =
  | { op: "put"; key: ShardKey; value: unknown }
  | { op: "get"; key: ShardKey }
  | { op: "delete"; key: ShardKey }
  | { op: "scan"; from: number; to: number }
  | { op: "query"; where: (value: unknown, key: ShardKey) => boolean };

function byKey(a: Row, b: Row): number {
  if (typeof a.key === "number" && typeof b.key === "number") return a.key - b.key;
  return String(a.key) < String(b.key) ? -1 : String(a.key) > String(b.key) ? 1 : 0;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
