/**
 * How a sharded store maps keys to shards. Range sharding keeps keys in order (a range scan
 * touches few shards, but a hot range lands on one); hash sharding spreads keys evenly (but a
 * range scan must ask every shard). Both are {@link ShardStrategy}s.
 */
import { ConfigError } from "../errors";
import { EmptyRingError, UnknownShardError } from "./errors";
import { HashRing, ModNHashing, type Placement } from "./placement";

/** A shard key: a number (range sharding) or any string or number (hash sharding). */
export type ShardKey = string | number;

/** Maps keys to shards. */
export interface ShardStrategy {
  /** e.g. `range`, `hash mod 4`. */
  readonly label: string;
  /** Shard names. */
  readonly shards: readonly string[];
  /** The shard that holds `key`. */
  shardFor(key: ShardKey): string;
  /** Shards that may hold keys in `[from, to]` (every shard when the strategy does not keep order). */
  shardsForRange(from: number, to: number): string[];
}

/** One range of a {@link RangeSharding}: keys `from`…`to`, both included. */
export interface KeyRange {
  shard: string;
  from: number;
  to: number;
}

/** A key that no range covers. */
export class KeyOutOfRangeError extends RangeError {
  override readonly name = "KeyOutOfRangeError";
  constructor(
    readonly key: ShardKey,
    readonly ranges: readonly KeyRange[],
  ) {
    super(`No shard range covers key ${JSON.stringify(key)} (ranges: ${ranges.map((r) => `${r.shard} ${r.from}–${r.to}`).join(", ")}). Add a range for it, or widen the last one.`);
  }
}

/**
 * Range sharding on numeric keys: explicit, ordered, non-overlapping ranges, e.g. user ids
 * 1–1000 on `s1` and 1001–2000 on `s2` (how HBase regions, Bigtable tablets and MongoDB
 * ranged shard keys work). {@link split} cuts a hot range in two.
 */
export class RangeSharding implements ShardStrategy {
  private list: KeyRange[];

  constructor(ranges: readonly KeyRange[]) {
    this.list = ranges.map((r) => ({ ...r }));
    this.validate();
  }

  get label(): string {
    return `range (${this.list.length} ranges)`;
  }

  /** The ranges, in key order. */
  get ranges(): readonly KeyRange[] {
    return this.list;
  }

  get shards(): readonly string[] {
    return [...new Set(this.list.map((r) => r.shard))];
  }

  private validate(): void {
    if (this.list.length === 0) throw new ConfigError("RangeSharding", "ranges", [], "at least one { shard, from, to }");
    for (const r of this.list) {
      if (typeof r.shard !== "string" || r.shard === "") throw new ConfigError("RangeSharding", "shard", r.shard, "a non-empty shard name");
      if (!Number.isFinite(r.from) || !Number.isFinite(r.to) || r.from > r.to) throw new ConfigError("RangeSharding", `range of ${r.shard}`, { from: r.from, to: r.to }, "finite numbers with from ≤ to");
    }
    this.list.sort((a, b) => a.from - b.from);
    for (let i = 1; i < this.list.length; i++) {
      const a = this.list[i - 1]!;
      const b = this.list[i]!;
      if (b.from <= a.to) throw new ConfigError("RangeSharding", "ranges", [a, b], "ranges that do not overlap");
    }
  }

  shardFor(key: ShardKey): string {
    const k = typeof key === "number" ? key : Number(key);
    // Binary search: the last range starting at or before k.
    let lo = 0;
    let hi = this.list.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.list[mid]!.from <= k) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const r = found >= 0 ? this.list[found]! : undefined;
    if (!r || k > r.to || Number.isNaN(k)) throw new KeyOutOfRangeError(key, this.list);
    return r.shard;
  }

  shardsForRange(from: number, to: number): string[] {
    return [...new Set(this.list.filter((r) => r.to >= from && r.from <= to).map((r) => r.shard))];
  }

  /**
   * Splits the range holding `at` so that keys from `at` on go to `newShard`.
   * @throws {@link UnknownShardError} when `shard` holds no range containing `at`
   */
  split(shard: string, at: number, newShard: string): this {
    const r = this.list.find((x) => x.shard === shard && x.from < at && at <= x.to);
    if (!this.list.some((x) => x.shard === shard)) throw new UnknownShardError(shard, this.shards);
    if (!r) throw new ConfigError("RangeSharding.split", "at", at, `a key inside one of ${shard}'s ranges, above its first key`);
    this.list.push({ shard: newShard, from: at, to: r.to });
    r.to = at - 1;
    this.validate();
    return this;
  }

  clone(): RangeSharding {
    return new RangeSharding(this.list);
  }
}

/** Hash sharding over any {@link Placement}: keys go where the placement says, order is lost. */
export class HashSharding implements ShardStrategy {
  /**
   * @param placement - a {@link ModNHashing} (`hash mod N`), a {@link HashRing} or a
   *   rendezvous placement; a string array is shorthand for `new ModNHashing(names)`
   */
  constructor(readonly placement: Placement) {
    if (placement.nodes.length === 0) throw new EmptyRingError(placement.label);
  }

  get label(): string {
    return this.placement.label;
  }

  get shards(): readonly string[] {
    return this.placement.nodes;
  }

  shardFor(key: ShardKey): string {
    return this.placement.owner(String(key));
  }

  shardsForRange(): string[] {
    return [...this.placement.nodes];
  }
}

/** `hash(key) mod N` over these shards. */
export function hashSharding(shards: readonly string[]): HashSharding {
  return new HashSharding(new ModNHashing(shards));
}

/** A consistent-hash ring over these shards. */
export function ringSharding(shards: readonly string[], vnodes?: number): HashSharding {
  return new HashSharding(new HashRing(vnodes === undefined ? {} : { vnodes }).addNodes(shards));
}
