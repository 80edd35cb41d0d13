/**
 * The replay's data model, without DOM: decoded event columns, node state at any virtual
 * time (from checkpoints, so scrubbing backwards is as cheap as playing forwards), and the
 * messages in flight in a time window, counted per link when there are too many to draw.
 */
import type { ReplayData } from "../lab/viz/replay";

/** State of one node at a moment. */
export interface NodeState {
  down: boolean;
  breaker?: "CLOSED" | "OPEN" | "HALF_OPEN";
  partitioned: boolean;
  inDoubt: boolean;
  /** Requests sent to the node that it has not answered (nor were lost). */
  open: number;
  /** Last state-change text, e.g. "bulkhead full (…)". */
  note?: string;
}

interface Snapshot {
  down: Set<number>;
  pairs: Set<string>;
  breaker: Map<number, NodeState["breaker"]>;
  inDoubt: Set<number>;
  open: Int32Array;
  note: Map<number, string>;
}

/** A message to draw: from → to, how far along (0…1), how many it stands for. */
export interface Flight {
  index: number;
  from: number;
  to: number;
  kind: "request" | "response" | "drop";
  progress: number;
  count: number;
}

// A seek applies at most this many events from the nearest checkpoint: 256 keeps a jump of the
// scrubber well inside a frame for 50,000 events (about 200 small snapshots kept).
const CHECKPOINT = 256;
const BREAKER = /^breaker (CLOSED|HALF_OPEN|OPEN)\b/;

export class ReplayModel {
  readonly t: Float64Array;
  readonly k: Uint8Array;
  readonly a: Uint32Array;
  readonly b: Uint32Array;
  readonly s: Uint32Array;
  readonly n: Uint32Array;
  readonly kinds: string[];
  readonly size: number;
  private readonly checkpoints: Snapshot[] = [];
  private cached: { index: number; snap: Snapshot } | undefined;

  constructor(readonly data: ReplayData) {
    const len = data.k.length;
    this.size = len;
    this.t = new Float64Array(len);
    let time = 0;
    for (let i = 0; i < len; i++) this.t[i] = time = Math.round((time + data.dt[i]!) * 1000) / 1000;
    this.k = Uint8Array.from(data.k);
    this.a = Uint32Array.from(data.a);
    this.b = Uint32Array.from(data.b);
    this.s = Uint32Array.from(data.s);
    this.n = data.n ? Uint32Array.from(data.n) : new Uint32Array(len).fill(1);
    this.kinds = data.kinds;
    const snap = this.empty();
    for (let i = 0; i < len; i++) {
      if (i % CHECKPOINT === 0) this.checkpoints.push(clone(snap));
      this.apply(snap, i);
    }
  }

  /** Kind name of event `i`. */
  kind(i: number): string {
    return this.kinds[this.k[i]!]!;
  }

  /** Summary text of event `i`. */
  text(i: number): string {
    return this.data.strings[this.s[i]!] ?? "";
  }

  /** One trace line of event `i`. */
  line(i: number): string {
    const from = this.data.nodes[this.a[i]!];
    const to = this.data.nodes[this.b[i]!];
    const count = this.n[i]! > 1 ? ` ×${this.n[i]}` : "";
    return `${this.t[i]!.toFixed(3).padStart(10)} ${from} -> ${to} ${this.kind(i)} ${this.text(i)}${count}`;
  }

  /** Index of the first event at or after `time`. */
  lowerBound(time: number): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.t[mid]! < time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index past the last event at or before `time`. */
  upperBound(time: number): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.t[mid]! <= time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Each node's state after every event at or before `time`. */
  statesAt(time: number): NodeState[] {
    const upto = this.upperBound(time);
    let snap: Snapshot;
    let from: number;
    if (this.cached && this.cached.index <= upto && upto - this.cached.index < CHECKPOINT) {
      snap = this.cached.snap;
      from = this.cached.index;
    } else {
      const c = Math.floor(upto / CHECKPOINT);
      snap = clone(this.checkpoints[Math.min(c, this.checkpoints.length - 1)] ?? this.empty());
      from = Math.min(c, this.checkpoints.length - 1) * CHECKPOINT;
      if (from < 0) from = 0;
    }
    for (let i = from; i < upto; i++) this.apply(snap, i);
    this.cached = { index: upto, snap };
    const partitioned = new Set<number>();
    for (const p of snap.pairs) for (const x of p.split("|")) partitioned.add(Number(x));
    return this.data.nodes.map((_, i) => {
      const st: NodeState = { down: snap.down.has(i), partitioned: partitioned.has(i), inDoubt: snap.inDoubt.has(i), open: snap.open[i]! };
      const br = snap.breaker.get(i);
      if (br) st.breaker = br;
      const note = snap.note.get(i);
      if (note) st.note = note;
      return st;
    });
  }

  /** Partitioned node pairs at `time`, as "a|b" keys. */
  partitionsAt(time: number): Set<string> {
    this.statesAt(time);
    return new Set(this.cached!.snap.pairs);
  }

  /**
   * Messages moving at `time`: those sent within `travel` ms before it. Past `maxDots`, they
   * are counted per link and kind (one dot each, sized by count).
   */
  flights(time: number, travel: number, maxDots: number, keep?: (i: number) => boolean): Flight[] {
    const lo = this.lowerBound(time - travel);
    const hi = this.upperBound(time);
    // Dense: group straight away, without an object per message (the frame budget is 16 ms).
    if (hi - lo > 2 * maxDots) {
      const grouped = this.grouped(lo, hi, time, travel, maxDots, keep);
      if (grouped) return grouped;
    }
    const out: Flight[] = [];
    for (let i = lo; i < hi; i++) {
      const kind = this.kind(i);
      if (kind !== "request" && kind !== "response" && kind !== "drop") continue;
      if (keep && !keep(i)) continue;
      out.push({ index: i, from: this.a[i]!, to: this.b[i]!, kind, progress: travel > 0 ? Math.min(1, (time - this.t[i]!) / travel) : 1, count: this.n[i]! });
    }
    if (out.length <= maxDots) return out;
    const groups = new Map<string, Flight & { sum: number; items: number }>();
    for (const f of out) {
      const key = `${f.from}|${f.to}|${f.kind}`;
      const g = groups.get(key);
      if (g) {
        g.count += f.count;
        g.sum += f.progress;
        g.items++;
        g.index = f.index;
      } else groups.set(key, { ...f, sum: f.progress, items: 1 });
    }
    // One dot per link and kind, at the mean progress of the messages it stands for.
    return [...groups.values()].map((g) => ({ index: g.index, from: g.from, to: g.to, kind: g.kind, count: g.count, progress: g.sum / g.items }));
  }

  /** Messages in [lo, hi) counted per link and kind; undefined when they fit in `maxDots` dots one by one after all (then the caller lists them). */
  private grouped(lo: number, hi: number, time: number, travel: number, maxDots: number, keep?: (i: number) => boolean): Flight[] | undefined {
    const req = this.kinds.indexOf("request");
    const res = this.kinds.indexOf("response");
    const drop = this.kinds.indexOf("drop");
    const nodes = this.data.nodes.length;
    const groups = new Map<number, { index: number; from: number; to: number; kind: Flight["kind"]; count: number; sum: number; items: number }>();
    let items = 0;
    for (let i = lo; i < hi; i++) {
      const k = this.k[i]!;
      if (k !== req && k !== res && k !== drop) continue;
      if (keep && !keep(i)) continue;
      items++;
      const from = this.a[i]!;
      const to = this.b[i]!;
      const key = (from * nodes + to) * 3 + (k === req ? 0 : k === res ? 1 : 2);
      const progress = travel > 0 ? Math.min(1, (time - this.t[i]!) / travel) : 1;
      const g = groups.get(key);
      if (g) {
        g.count += this.n[i]!;
        g.sum += progress;
        g.items++;
        g.index = i;
      } else groups.set(key, { index: i, from, to, kind: k === req ? "request" : k === res ? "response" : "drop", count: this.n[i]!, sum: progress, items: 1 });
    }
    if (items <= maxDots) return undefined;
    return [...groups.values()].map((g) => ({ index: g.index, from: g.from, to: g.to, kind: g.kind, count: g.count, progress: g.sum / g.items }));
  }

  /** The first event after `time` that is not a request or response (a fault, a state change, a drop). */
  nextNotable(time: number): number | undefined {
    for (let i = this.upperBound(time); i < this.size; i++) {
      const kind = this.kind(i);
      if (kind !== "request" && kind !== "response") return this.t[i];
    }
    return undefined;
  }

  private empty(): Snapshot {
    return { down: new Set(), pairs: new Set(), breaker: new Map(), inDoubt: new Set(), open: new Int32Array(this.data.nodes.length), note: new Map() };
  }

  private apply(snap: Snapshot, i: number): void {
    const kind = this.kind(i);
    const a = this.a[i]!;
    const b = this.b[i]!;
    const text = this.text(i);
    const n = this.n[i]!;
    switch (kind) {
      case "request":
        snap.open[b]! += n;
        break;
      case "response":
        snap.open[a] = Math.max(0, snap.open[a]! - n);
        break;
      case "drop":
        // A lost response names its status first ("503 lost …"); a lost request names the call.
        if (/^\d{3}\b/.test(text)) snap.open[a] = Math.max(0, snap.open[a]! - n);
        else snap.open[b] = Math.max(0, snap.open[b]! - n);
        break;
      case "fault":
        if (text.startsWith("crash")) snap.down.add(a);
        else if (text === "restart") snap.down.delete(a);
        else if (text.startsWith("partition")) snap.pairs.add(a < b ? `${a}|${b}` : `${b}|${a}`);
        else if (text === "heal every partition") snap.pairs.clear();
        else if (text.startsWith("heal all links")) {
          for (const p of [...snap.pairs]) if (p.split("|").includes(String(a))) snap.pairs.delete(p);
        } else if (text.startsWith("heal")) snap.pairs.delete(a < b ? `${a}|${b}` : `${b}|${a}`);
        break;
      case "state": {
        const m = BREAKER.exec(text);
        if (m) snap.breaker.set(a, m[1] as NodeState["breaker"]);
        else if (/in doubt/i.test(text)) snap.inDoubt.add(a);
        else if (/\b(committed|aborted|resolved|recovered)\b/i.test(text)) snap.inDoubt.delete(a);
        if (/crash/i.test(text)) snap.down.add(a);
        snap.note.set(a, text);
        break;
      }
      default:
        break;
    }
  }
}

function clone(s: Snapshot): Snapshot {
  return { down: new Set(s.down), pairs: new Set(s.pairs), breaker: new Map(s.breaker), inDoubt: new Set(s.inDoubt), open: s.open.slice(), note: new Map(s.note) };
}
