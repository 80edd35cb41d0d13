/**
 * Measures of a {@link Placement}: how evenly it spreads keys, and which keys move when the
 * membership changes. Both render as compact tables.
 */
import { DISPLAY, markdown, table, type MimeBundle } from "../display";
import { wholeNumber } from "../errors";
import { HashRing, type Placement } from "./placement";

/** `count` keys named `prefix0`, `prefix1`, … (e.g. `sampleKeys(100_000, "user-")`). */
export function sampleKeys(count: number, prefix = "key-"): string[] {
  wholeNumber("sampleKeys", "count", count, 0);
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}

/** Keys per node and how uneven they are. */
export class LoadStats {
  /** Keys per node, in the placement's node order. */
  readonly perNode: readonly { node: string; keys: number }[];
  readonly total: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  /** Population standard deviation of keys per node. */
  readonly stddev: number;

  constructor(
    readonly label: string,
    perNode: { node: string; keys: number }[],
  ) {
    this.perNode = perNode;
    const counts = perNode.map((p) => p.keys);
    this.total = counts.reduce((a, b) => a + b, 0);
    this.mean = counts.length ? this.total / counts.length : 0;
    this.min = counts.length ? Math.min(...counts) : 0;
    this.max = counts.length ? Math.max(...counts) : 0;
    this.stddev = counts.length ? Math.sqrt(counts.reduce((a, c) => a + (c - this.mean) ** 2, 0) / counts.length) : 0;
  }

  /** Standard deviation as a percentage of the mean (coefficient of variation × 100). */
  get stddevPct(): number {
    return this.mean ? (this.stddev / this.mean) * 100 : 0;
  }

  /** The busiest node's load over the mean (1 = perfectly even). */
  get maxOverMean(): number {
    return this.mean ? this.max / this.mean : 0;
  }

  /** One summary row, for comparing placements in one table. */
  row(): Record<string, string | number> {
    return { placement: this.label, nodes: this.perNode.length, keys: this.total, mean: round(this.mean, 1), min: this.min, max: this.max, "max/mean": round(this.maxOverMean, 3), "stddev % of mean": round(this.stddevPct, 2) };
  }

  [DISPLAY](): MimeBundle {
    const head = `**${this.label}**: ${this.total} keys over ${this.perNode.length} nodes, max/mean ${round(this.maxOverMean, 3)}, stddev ${round(this.stddevPct, 2)} % of the mean`;
    const rows = this.perNode.map((p) => ({ node: p.node, keys: p.keys, "% of mean": round(this.mean ? (p.keys / this.mean) * 100 : 0, 1) }));
    const t = table(rows)[DISPLAY]();
    return { "text/markdown": `${head}\n\n${t["text/markdown"]}`, "text/plain": `${head.replace(/\*\*/g, "")}\n${t["text/plain"]}` };
  }
}

/** Counts the keys each node of `placement` owns. */
export function loadStats(placement: Placement, keyList: Iterable<string>): LoadStats {
  const counts = new Map<string, number>(placement.nodes.map((n) => [n, 0]));
  for (const k of keyList) {
    const o = placement.owner(k);
    counts.set(o, counts.get(o)! + 1);
  }
  return new LoadStats(placement.label, [...counts].map(([node, n]) => ({ node, keys: n })));
}

/** A flow of keys from one node to another. */
export interface Flow {
  from: string;
  to: string;
  keys: number;
}

/** Which keys changed owner between two placements. */
export class Movement {
  constructor(
    /** Keys compared. */
    readonly total: number,
    /** Keys whose owner changed, in the order given. */
    readonly movedKeys: readonly string[],
    /** Moved keys per (old owner → new owner), largest first. */
    readonly flows: readonly Flow[],
    readonly before: string,
    readonly after: string,
  ) {}

  get moved(): number {
    return this.movedKeys.length;
  }

  /** Moved keys as a fraction of all keys, 0–1. */
  get fraction(): number {
    return this.total ? this.moved / this.total : 0;
  }

  /** Keys that moved to `node`. */
  movedTo(node: string): number {
    return this.flows.filter((f) => f.to === node).reduce((a, f) => a + f.keys, 0);
  }

  /** Keys that moved away from `node`. */
  movedFrom(node: string): number {
    return this.flows.filter((f) => f.from === node).reduce((a, f) => a + f.keys, 0);
  }

  [DISPLAY](): MimeBundle {
    const head = `**${this.before} → ${this.after}**: ${this.moved} of ${this.total} keys moved (${round(this.fraction * 100, 2)} %)`;
    if (this.flows.length === 0) return markdown(head)[DISPLAY]();
    const shown = this.flows.slice(0, 12);
    const rows: Record<string, string | number>[] = shown.map((f) => ({ from: f.from, to: f.to, keys: f.keys, "% of all keys": round((f.keys / this.total) * 100, 2) }));
    if (this.flows.length > shown.length) rows.push({ from: "…", to: `${this.flows.length - shown.length} more flows`, keys: this.flows.slice(12).reduce((a, f) => a + f.keys, 0), "% of all keys": "" });
    const t = table(rows)[DISPLAY]();
    return { "text/markdown": `${head}\n\n${t["text/markdown"]}`, "text/plain": `${head.replace(/\*\*/g, "")}\n${t["text/plain"]}` };
  }
}

/** Compares the owner of every key under `before` and `after`. */
export function movement(keyList: Iterable<string>, before: Placement, after: Placement): Movement {
  const moved: string[] = [];
  const flows = new Map<string, Flow>();
  let total = 0;
  for (const k of keyList) {
    total++;
    const a = before.owner(k);
    const b = after.owner(k);
    if (a === b) continue;
    moved.push(k);
    const id = `${a}\u0000${b}`;
    const f = flows.get(id);
    if (f) f.keys++;
    else flows.set(id, { from: a, to: b, keys: 1 });
  }
  return new Movement(total, moved, [...flows.values()].sort((x, y) => y.keys - x.keys || (x.from + x.to < y.from + y.to ? -1 : 1)), before.label, after.label);
}

/** Options of {@link vnodeSpread}. */
export interface VnodeSpreadOptions {
  /** Nodes on the ring. Default 10. */
  nodes?: number;
  /** Virtual-node counts to try. Default [1, 10, 100, 200, 1000]. */
  vnodes?: readonly number[];
  /** Keys placed. Default 100 000. */
  keys?: number;
  /**
   * Rings built per count, each with other node names (`node-0…`, then `node1-0…`, …); the
   * row shows the average. One ring is one random draw: with 10 nodes and 100 vnodes its
   * spread lands anywhere from about 7 % to 15 %, so a single ring says little. Default 5.
   */
  trials?: number;
}

/** Load spread of a ring as the number of virtual nodes grows: one row per count. */
export function vnodeSpread(options: VnodeSpreadOptions = {}): SpreadTable {
  const n = wholeNumber("vnodeSpread", "nodes", options.nodes ?? 10);
  const counts = options.vnodes ?? [1, 10, 100, 200, 1000];
  const ks = sampleKeys(wholeNumber("vnodeSpread", "keys", options.keys ?? 100_000), "key-");
  const trials = wholeNumber("vnodeSpread", "trials", options.trials ?? 5);
  const rows = counts.map((v) => {
    wholeNumber("vnodeSpread", "vnodes", v);
    const row = { vnodes: v, maxOverMean: 0, stddevPct: 0, min: Infinity, max: 0 };
    for (let t = 0; t < trials; t++) {
      const s = loadStats(new HashRing({ vnodes: v }).addNodes(sampleKeys(n, t === 0 ? "node-" : `node${t}-`)), ks);
      row.maxOverMean += s.maxOverMean / trials;
      row.stddevPct += s.stddevPct / trials;
      row.min = Math.min(row.min, s.min);
      row.max = Math.max(row.max, s.max);
    }
    return row;
  });
  return new SpreadTable(n, ks.length, trials, rows);
}

/** Result of {@link vnodeSpread}. */
export class SpreadTable {
  constructor(
    readonly nodes: number,
    readonly keys: number,
    readonly trials: number,
    readonly rows: readonly { vnodes: number; maxOverMean: number; stddevPct: number; min: number; max: number }[],
  ) {}

  [DISPLAY](): MimeBundle {
    const head = `${this.keys} keys on ${this.nodes} nodes (mean ${this.keys / this.nodes} per node), averaged over ${this.trials} rings per row`;
    const t = table(this.rows.map((r) => ({ "vnodes/node": r.vnodes, "fewest keys": r.min, "most keys": r.max, "max/mean": round(r.maxOverMean, 3), "stddev % of mean": round(r.stddevPct, 2) })))[DISPLAY]();
    return { "text/markdown": `${head}\n\n${t["text/markdown"]}`, "text/plain": `${head}\n${t["text/plain"]}` };
  }
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
