/**
 * Vertical partitioning: tables (or groups of a table's columns) live on different database
 * nodes, e.g. `users` on one, `orders` on another, the users' large `bio` column on a third.
 * Each node stays small and can be tuned for its data, but a join across nodes can no longer
 * run inside one database: the application fetches from each side and joins in memory, which
 * costs extra sequential round trips and ships more rows. Both costs are reported.
 */
import { DISPLAY, markdown, table, type Displayable, type MimeBundle } from "../display";
import { ConfigError } from "../errors";
import type { Simulation } from "../sim/simulation";
import { request } from "../sim/http";
import { checkDistribution, type Distribution } from "../sim/random";
import { UnknownShardError } from "./errors";
import { drawWindow, openWindow, type TraceWindow } from "./trace-window";

/** Options of a {@link VerticalStore}. Defaults are in {@link VERTICAL_STORE_DEFAULTS}. */
export interface VerticalStoreOptions {
  /**
   * Partition node → what it holds: table names (`"users"`: every column not placed
   * elsewhere) or `"table.column"` entries (that column lives here).
   * @example { "db-users": ["users"], "db-orders": ["orders"], "db-blobs": ["users.bio"] }
   */
  partitions: Readonly<Record<string, readonly string[]>>;
  /** Name of the application node that sends the queries. Default `"app"`. */
  router?: string;
  /** Time a partition spends on one request, ms. Default 2. */
  serviceTime?: Distribution;
}

/** Defaults of {@link VerticalStoreOptions}. */
export const VERTICAL_STORE_DEFAULTS = { router: "app", serviceTime: 2 as Distribution } as const;

/** A row: an `id` plus columns. */
export type TableRecord = { id: string | number } & Record<string, unknown>;

/** A join's answer and its cost. */
export class JoinResult {
  constructor(
    /** `users ⋈ orders`. */
    readonly description: string,
    /** `in one database` or `application-side`. */
    readonly mode: "in one database" | "application-side",
    readonly rows: readonly Record<string, unknown>[],
    /** Sequential round trips from the application. */
    readonly roundTrips: number,
    /** Requests sent in all (parallel ones count each). */
    readonly requests: number,
    /** Rows sent from the databases to the application. */
    readonly rowsShipped: number,
    readonly partitions: readonly string[],
    readonly latencyMs: number,
    private readonly window?: TraceWindow,
  ) {}

  /** The join's messages as a sequence diagram. */
  sequence(limit = 40): Displayable {
    return this.window ? drawWindow(this.window, `${this.description} (${this.mode})`, limit) : markdown("_No trace for this result._");
  }

  /** One row for a comparison table. */
  row(): Record<string, string | number> {
    return { join: this.description, mode: this.mode, "result rows": this.rows.length, "round trips": this.roundTrips, requests: this.requests, "rows shipped": this.rowsShipped, partitions: this.partitions.join(", "), "latency ms": round(this.latencyMs) };
  }

  [DISPLAY](): MimeBundle {
    return table([this.row()])[DISPLAY]();
  }
}

/** A single-row read and the partitions it touched. */
export interface ReadResult {
  row: Record<string, unknown> | undefined;
  partitions: string[];
  latencyMs: number;
}

interface Part {
  tables: Map<string, Map<string, Record<string, unknown>>>;
}

/** A vertically partitioned database on the simulated network. */
export class VerticalStore {
  readonly options: Readonly<Required<Omit<VerticalStoreOptions, "partitions">>>;
  private readonly parts = new Map<string, Part>();
  /** table → partition holding its "rest" columns. */
  private readonly home = new Map<string, string>();
  /** `table.column` → partition. */
  private readonly columnHome = new Map<string, string>();

  constructor(
    readonly sim: Simulation,
    options: VerticalStoreOptions,
  ) {
    const d = VERTICAL_STORE_DEFAULTS;
    this.options = { router: options.router ?? d.router, serviceTime: checkDistribution("VerticalStore", "serviceTime", options.serviceTime ?? d.serviceTime) };
    const entries = Object.entries(options.partitions ?? {});
    if (entries.length === 0) throw new ConfigError("VerticalStore", "partitions", options.partitions, 'at least one partition, e.g. { "db-users": ["users"] }');
    for (const [name, holds] of entries) {
      const part: Part = { tables: new Map() };
      this.parts.set(name, part);
      for (const h of holds) {
        const dot = h.indexOf(".");
        if (dot < 0) {
          if (this.home.has(h)) throw new ConfigError("VerticalStore", `partitions.${name}`, h, `a table not already placed on ${this.home.get(h)}`);
          this.home.set(h, name);
        } else this.columnHome.set(h, name);
      }
      sim.service(name, (req) => this.serve(part, req.body as PartOp), { serviceTime: this.options.serviceTime });
    }
    for (const col of this.columnHome.keys()) {
      const t = col.slice(0, col.indexOf("."));
      if (!this.home.has(t)) throw new ConfigError("VerticalStore", "partitions", col, `a column of a table that some partition holds (add "${t}" to one)`);
    }
    if (!sim.hasNode(this.options.router)) sim.client(this.options.router);
  }

  /** Tables known to the store. */
  get tables(): string[] {
    return [...this.home.keys()];
  }

  /** The partition holding `table`'s column `column` (or its other columns). */
  partitionOf(table: string, column?: string): string {
    const home = this.home.get(table);
    if (!home) throw new UnknownShardError(`table ${table}`, this.tables.map((t) => `table ${t}`));
    return (column !== undefined && this.columnHome.get(`${table}.${column}`)) || home;
  }

  private serve(part: Part, op: PartOp): unknown {
    const t = part.tables.get(op.table) ?? new Map<string, Record<string, unknown>>();
    part.tables.set(op.table, t);
    switch (op.op) {
      case "write": {
        const id = String(op.id);
        t.set(id, { ...t.get(id), ...op.columns });
        return { ok: true };
      }
      case "read":
        return { row: t.get(String(op.id)) };
      case "select":
        return { rows: [...t.values()].filter((r) => !op.where || op.where(r)) };
      case "in": {
        const ids = new Set(op.values.map(String));
        return { rows: [...t.values()].filter((r) => ids.has(String(r[op.column]))) };
      }
      case "join": {
        // Both tables are here: the database joins and ships only the result.
        const right = part.tables.get(op.right) ?? new Map<string, Record<string, unknown>>();
        const left = [...t.values()].filter((r) => !op.where || op.where(r));
        const rows = left.flatMap((l) => [...right.values()].filter((r) => String(r[op.on]) === String(l.id)).map((r) => joined(op.table, l, op.right, r)));
        return { rows };
      }
    }
  }

  private async send(partition: string, op: PartOp): Promise<{ row?: Record<string, unknown>; rows?: Record<string, unknown>[] }> {
    const res = await this.sim.node(this.options.router).call(partition, request("POST", `/${op.op}/${op.table}`, { body: op }));
    if (res.status >= 400) throw new Error(`${partition} answered ${res.status}`);
    return res.body as { row?: Record<string, unknown> };
  }

  private split(table: string, row: Record<string, unknown>): Map<string, Record<string, unknown>> {
    const byPart = new Map<string, Record<string, unknown>>();
    for (const [col, v] of Object.entries(row)) {
      const p = col === "id" ? this.partitionOf(table) : this.partitionOf(table, col);
      byPart.set(p, { ...byPart.get(p), id: row.id, [col]: v });
    }
    return byPart;
  }

  /** Writes a row; its columns go to the partitions that hold them (in parallel). */
  async insert(table: string, row: TableRecord): Promise<void> {
    this.partitionOf(table);
    if (row === null || typeof row !== "object" || (typeof row.id !== "string" && typeof row.id !== "number")) throw new ConfigError("VerticalStore.insert", "row.id", (row as { id?: unknown })?.id, "a string or number id");
    await Promise.all([...this.split(table, row)].map(([p, columns]) => this.send(p, { op: "write", table, id: row.id, columns })));
  }

  /** Reads one row (the given columns, or all): one request per partition involved, in parallel. */
  async get(table: string, id: string | number, columns?: readonly string[]): Promise<ReadResult> {
    const start = this.sim.now;
    const parts = columns ? [...new Set(columns.map((c) => this.partitionOf(table, c)))] : [this.partitionOf(table), ...new Set([...this.columnHome].filter(([k]) => k.startsWith(`${table}.`)).map(([, p]) => p))];
    const unique = [...new Set(parts)];
    const answers = await Promise.all(unique.map((p) => this.send(p, { op: "read", table, id })));
    const found = answers.filter((a) => a.row);
    let row: Record<string, unknown> | undefined = found.length ? Object.assign({}, ...found.map((a) => a.row)) : undefined;
    if (row && columns) row = Object.fromEntries(["id", ...columns].map((c) => [c, row![c]]));
    return { row, partitions: unique, latencyMs: this.sim.now - start };
  }

  /**
   * `left ⋈ right ON right[on] = left.id`, optionally only left rows matching `where`. On one
   * partition the database joins (one round trip); across partitions the application reads
   * the left rows, then the right rows whose `on` is among their ids, and joins in memory
   * (two sequential round trips, every matching row of both sides shipped).
   */
  async join(left: string, right: string, options: { on: string; where?: (row: Record<string, unknown>) => boolean }): Promise<JoinResult> {
    const lp = this.partitionOf(left);
    const rp = this.partitionOf(right, options.on);
    const start = this.sim.now;
    const window = openWindow(this.sim);
    const description = `${left} ⋈ ${right}`;
    if (lp === rp && this.partitionOf(right) === rp) {
      const res = await this.send(lp, { op: "join", table: left, right, on: options.on, where: options.where });
      const rows = res.rows ?? [];
      return new JoinResult(description, "in one database", rows, 1, 1, rows.length, [lp], this.sim.now - start, window.close());
    }
    const leftRows = (await this.send(lp, { op: "select", table: left, where: options.where })).rows ?? [];
    const rightRows = (await this.send(rp, { op: "in", table: right, column: options.on, values: leftRows.map((r) => r.id as string) })).rows ?? [];
    const rows = leftRows.flatMap((l) => rightRows.filter((r) => String(r[options.on]) === String(l.id)).map((r) => joined(left, l, right, r)));
    return new JoinResult(description, "application-side", rows, 2, 2, leftRows.length + rightRows.length, [lp, rp], this.sim.now - start, window.close());
  }

  /** Approximate bytes stored per partition (JSON length of the rows). */
  sizes(): { partition: string; bytes: number; rows: number }[] {
    return [...this.parts].map(([partition, p]) => {
      let bytes = 0;
      let rows = 0;
      for (const t of p.tables.values()) {
        rows += t.size;
        for (const r of t.values()) bytes += JSON.stringify(r).length;
      }
      return { partition, bytes, rows };
    });
  }

  [DISPLAY](): MimeBundle {
    const sizes = new Map(this.sizes().map((s) => [s.partition, s.bytes]));
    const rows = [...this.parts].map(([name, p]) => ({
      partition: name,
      holds: [...[...this.home].filter(([, h]) => h === name).map(([t]) => t), ...[...this.columnHome].filter(([, h]) => h === name).map(([c]) => c)].join(", "),
      rows: [...p.tables.values()].reduce((a, t) => a + t.size, 0),
      bytes: sizes.get(name) ?? 0,
    }));
    return rows.length ? table(rows)[DISPLAY]() : markdown("_no partitions_")[DISPLAY]();
  }
}

type PartOp =
  | { op: "write"; table: string; id: string | number; columns: Record<string, unknown> }
  | { op: "read"; table: string; id: string | number }
  | { op: "select"; table: string; where?: (row: Record<string, unknown>) => boolean }
  | { op: "in"; table: string; column: string; values: readonly (string | number)[] }
  | { op: "join"; table: string; right: string; on: string; where?: (row: Record<string, unknown>) => boolean };

function joined(lt: string, l: Record<string, unknown>, rt: string, r: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(l)) out[`${lt}.${k}`] = v;
  for (const [k, v] of Object.entries(r)) out[`${rt}.${k}`] = v;
  return out;
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
