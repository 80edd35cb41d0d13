/**
 * Key placement: which node owns a key. Three ways to decide it, all behind one interface so
 * their load spread and the keys they move on a membership change can be compared:
 * {@link ModNHashing} (`hash(key) mod N`), {@link HashRing} (consistent hashing with virtual
 * nodes, Karger et al. 1997, as in Dynamo and Cassandra) and {@link RendezvousHashing}
 * (highest random weight, Thaler & Ravishankar 1996).
 */
import { ConfigError, positive, wholeNumber } from "../errors";
import { DISPLAY, table, type MimeBundle } from "../display";
import { DuplicateNodeError, EmptyRingError, UnknownShardError } from "./errors";
import { murmur3 } from "./hash";

/** Anything that maps a key to the node that owns it. */
export interface Placement {
  /** Name in errors and tables, e.g. `HashRing(100 vnodes)`. */
  readonly label: string;
  /** Node ids, in the order they were added. */
  readonly nodes: readonly string[];
  /**
   * The node that owns `key`.
   * @throws {@link EmptyRingError} when there are no nodes
   */
  owner(key: string): string;
  /** Adds a node. @throws {@link DuplicateNodeError} for an id already present */
  addNode(id: string, options?: NodeWeight): this;
  /** Removes a node. @throws {@link UnknownShardError} for an id not present */
  removeNode(id: string): this;
  /** An independent copy (change one without changing the other). */
  clone(): Placement;
}

/** Options of one node. */
export interface NodeWeight {
  /**
   * Relative capacity, default 1. A ring gives the node `round(vnodes × weight)` virtual
   * nodes; rendezvous hashing scales its score; mod-N ignores weights (it cannot express them).
   */
  weight?: number;
}

function checkId(label: string, id: string): void {
  if (typeof id !== "string" || id === "") throw new ConfigError(label, "node id", id, "a non-empty string");
}

/**
 * `hash(key) mod N`: the simplest placement, even spread, but changing N remaps almost every
 * key: going from N to N+1 nodes keeps a key only when `h mod N = h mod (N+1)`, about
 * 1/(N+1) of them, so about N/(N+1) move (80 % for 4 → 5).
 */
export class ModNHashing implements Placement, Iterable<string> {
  private list: string[] = [];

  /** @param nodes - initial node ids, in order (a key's owner is `nodes[hash mod N]`) */
  constructor(nodes: readonly string[] = []) {
    for (const n of nodes) this.addNode(n);
  }

  get label(): string {
    return `hash mod ${this.list.length}`;
  }

  get nodes(): readonly string[] {
    return this.list;
  }

  owner(key: string): string {
    if (this.list.length === 0) throw new EmptyRingError("ModNHashing");
    return this.list[murmur3(key) % this.list.length]!;
  }

  addNode(id: string): this {
    checkId("ModNHashing", id);
    if (this.list.includes(id)) throw new DuplicateNodeError("ModNHashing", id);
    this.list.push(id);
    return this;
  }

  removeNode(id: string): this {
    const i = this.list.indexOf(id);
    if (i < 0) throw new UnknownShardError(id, this.list);
    this.list.splice(i, 1);
    return this;
  }

  clone(): ModNHashing {
    return new ModNHashing(this.list);
  }

  [Symbol.iterator](): Iterator<string> {
    return this.list[Symbol.iterator]();
  }

  [DISPLAY](): MimeBundle {
    return table(this.list.map((node, slot) => ({ node, slot: `h mod ${this.list.length} = ${slot}` })))[DISPLAY]();
  }
}

/** Options of a {@link HashRing}. Defaults are in {@link HASH_RING_DEFAULTS}. */
export interface HashRingOptions {
  /**
   * Virtual nodes (points on the ring) per node of weight 1. Default 100. More points even
   * out the load (spread shrinks roughly as 1/√vnodes) at the cost of a bigger ring.
   * Cassandra's `num_tokens` defaulted to 256 (16 since 4.0, with a token allocator);
   * ketama-style clients such as the `hashring` package use 40 × 4 = 160.
   */
  vnodes?: number;
}

/** Defaults of {@link HashRingOptions}. */
export const HASH_RING_DEFAULTS = { vnodes: 100 } as const;

/** One node of a ring, for display. */
export interface RingNode {
  node: string;
  weight: number;
  vnodes: number;
  /** Share of the hash space this node owns, 0–1. */
  share: number;
}

/**
 * A consistent-hash ring. Each node owns `vnodes × weight` points at
 * `murmur3("<node>-<i>")`; a key belongs to the first point clockwise from `murmur3(key)`.
 * Adding a node moves only the keys that now fall before its points, all to it; removing a
 * node moves only its keys, each to the next point's node. {@link replicas} walks on to the
 * next R distinct nodes, as Dynamo's preference list does.
 */
export class HashRing implements Placement {
  /** The options in force, defaults filled in. */
  readonly options: Readonly<Required<HashRingOptions>>;
  private readonly members = new Map<string, { weight: number; vnodes: number }>();
  private positions = new Uint32Array(0);
  private owners = new Int32Array(0);
  /** For each bucket of the top `bits` of a hash, the first point at or after the bucket's start. */
  private buckets = new Int32Array(1);
  private shift = 32;
  private order: string[] = [];

  constructor(options: HashRingOptions = {}) {
    const vnodes = options.vnodes ?? HASH_RING_DEFAULTS.vnodes;
    this.options = { vnodes: wholeNumber("HashRing", "vnodes", vnodes) };
  }

  get label(): string {
    return `ring, ${this.options.vnodes} vnodes/node`;
  }

  get nodes(): readonly string[] {
    return this.order;
  }

  /** Points on the ring (virtual nodes of every node). */
  get size(): number {
    return this.positions.length;
  }

  /** Adds a node with `round(vnodes × weight)` points (at least 1). */
  addNode(id: string, options: NodeWeight = {}): this {
    checkId("HashRing", id);
    if (this.members.has(id)) throw new DuplicateNodeError("HashRing", id);
    const weight = positive("HashRing.addNode", "weight", options.weight ?? 1);
    this.members.set(id, { weight, vnodes: Math.max(1, Math.round(this.options.vnodes * weight)) });
    this.rebuild();
    return this;
  }

  /** Adds several nodes of weight 1. */
  addNodes(ids: Iterable<string>): this {
    for (const id of ids) this.addNode(id);
    return this;
  }

  removeNode(id: string): this {
    if (!this.members.delete(id)) throw new UnknownShardError(id, this.order);
    this.rebuild();
    return this;
  }

  private rebuild(): void {
    this.order = [...this.members.keys()];
    const points: { pos: number; node: number; label: string }[] = [];
    this.order.forEach((node, index) => {
      const { vnodes } = this.members.get(node)!;
      for (let i = 0; i < vnodes; i++) {
        const label = `${node}-${i}`;
        points.push({ pos: murmur3(label), node: index, label });
      }
    });
    // Equal positions (rare with 32 bits) are ordered by label, so the ring does not depend on insertion order.
    points.sort((a, b) => a.pos - b.pos || (a.label < b.label ? -1 : 1));
    this.positions = Uint32Array.from(points, (p) => p.pos);
    this.owners = Int32Array.from(points, (p) => p.node);
    this.index();
  }

  /**
   * A jump table over the sorted points (about one point per bucket), so a lookup reads a
   * bucket and steps over a point or two instead of binary-searching the whole ring.
   */
  private index(): void {
    const n = this.positions.length;
    const bits = Math.min(20, Math.max(1, Math.ceil(Math.log2(Math.max(2, n)))));
    this.shift = 32 - bits;
    const buckets = new Int32Array((1 << bits) + 1);
    let i = 0;
    for (let b = 0; b <= 1 << bits; b++) {
      while (i < n && this.positions[i]! >>> this.shift < b) i++;
      buckets[b] = i;
    }
    this.buckets = buckets;
  }

  private indexOf(hash: number): number {
    const pos = this.positions;
    const n = pos.length;
    let i = this.buckets[hash >>> this.shift]!;
    while (i < n && pos[i]! < hash) i++;
    return i === n ? 0 : i;
  }

  owner(key: string): string {
    if (this.positions.length === 0) throw new EmptyRingError("HashRing");
    return this.order[this.owners[this.indexOf(murmur3(key))]!]!;
  }

  /**
   * The owner of `key` and the next distinct nodes clockwise: `count` nodes in all (the
   * owner first). Dynamo stores a key on these N nodes.
   */
  replicas(key: string, count: number): string[] {
    if (this.positions.length === 0) throw new EmptyRingError("HashRing");
    wholeNumber("HashRing.replicas", "count", count);
    if (count > this.order.length) throw new ConfigError("HashRing.replicas", "count", count, `at most the number of nodes (${this.order.length})`);
    const out: string[] = [];
    const seen = new Set<number>();
    let i = this.indexOf(murmur3(key));
    while (out.length < count) {
      const n = this.owners[i]!;
      if (!seen.has(n)) {
        seen.add(n);
        out.push(this.order[n]!);
      }
      i = (i + 1) % this.positions.length;
    }
    return out;
  }

  /** Each node's weight, points and share of the hash space. */
  describe(): RingNode[] {
    const share = new Float64Array(this.order.length);
    const n = this.positions.length;
    for (let i = 0; i < n; i++) {
      // The arc ending at point i (from the previous point) belongs to point i's node.
      const prev = i === 0 ? this.positions[n - 1]! - 2 ** 32 : this.positions[i - 1]!;
      share[this.owners[i]!]! += (this.positions[i]! - prev) / 2 ** 32;
    }
    if (n === 1) share[0] = 1;
    return this.order.map((node, i) => ({ node, weight: this.members.get(node)!.weight, vnodes: this.members.get(node)!.vnodes, share: share[i]! }));
  }

  clone(): HashRing {
    const copy = new HashRing(this.options);
    for (const [id, m] of this.members) copy.members.set(id, { ...m });
    copy.order = [...this.order];
    copy.positions = this.positions.slice();
    copy.owners = this.owners.slice();
    copy.buckets = this.buckets;
    copy.shift = this.shift;
    return copy;
  }

  [DISPLAY](): MimeBundle {
    if (this.order.length === 0) return table([], ["node", "weight", "vnodes", "share of ring %"])[DISPLAY]();
    return table(this.describe().map((r) => ({ node: r.node, weight: r.weight, vnodes: r.vnodes, "share of ring %": round(r.share * 100, 2) })))[DISPLAY]();
  }
}

/**
 * Rendezvous (highest-random-weight) hashing: every node scores the key, the highest score
 * wins. No ring and no virtual nodes; adding a node moves only the keys it now wins, removing
 * one moves only its keys. A lookup costs O(N) hashes instead of O(log points). Weighted
 * scores follow Schindler's logarithmic method: `-weight / ln(h / 2³²)`.
 */
export class RendezvousHashing implements Placement {
  private readonly members: { id: string; seed: number; weight: number }[] = [];

  constructor(nodes: readonly string[] = []) {
    for (const n of nodes) this.addNode(n);
  }

  get label(): string {
    return `rendezvous over ${this.members.length}`;
  }

  get nodes(): readonly string[] {
    return this.members.map((m) => m.id);
  }

  addNode(id: string, options: NodeWeight = {}): this {
    checkId("RendezvousHashing", id);
    if (this.members.some((m) => m.id === id)) throw new DuplicateNodeError("RendezvousHashing", id);
    this.members.push({ id, seed: murmur3(id), weight: positive("RendezvousHashing.addNode", "weight", options.weight ?? 1) });
    return this;
  }

  removeNode(id: string): this {
    const i = this.members.findIndex((m) => m.id === id);
    if (i < 0) throw new UnknownShardError(id, this.nodes);
    this.members.splice(i, 1);
    return this;
  }

  owner(key: string): string {
    if (this.members.length === 0) throw new EmptyRingError("RendezvousHashing");
    let best = this.members[0]!;
    let bestScore = -Infinity;
    for (const m of this.members) {
      const h = (murmur3(key, m.seed) + 0.5) / 2 ** 32; // in (0, 1), so the log is finite
      const s = -m.weight / Math.log(h);
      if (s > bestScore || (s === bestScore && m.id < best.id)) {
        bestScore = s;
        best = m;
      }
    }
    return best.id;
  }

  clone(): RendezvousHashing {
    const copy = new RendezvousHashing();
    for (const m of this.members) copy.addNode(m.id, { weight: m.weight });
    return copy;
  }

  [DISPLAY](): MimeBundle {
    return table(this.members.map((m) => ({ node: m.id, weight: m.weight })))[DISPLAY]();
  }
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
