/**
 * Build challenge "horizontal-sharding": the learner writes a range shard router (route,
 * scan, split) and picks where to split a hot range. The router is pure, so stages 1–2 are
 * fast-check properties against a model; stage 3 replays skewed read loads over 20 seeds.
 */
import fc from "fast-check";
import { Random } from "sde-lab";
import { defineBuildChallenge, type CaseOutcome, type CheckCase } from "../build";
import { seededCases } from "../seeded-cases";
import { expectSolution } from "../challenge";
import { fcProperty } from "./property";

/** One shard's contiguous id range, both ends included. */
export interface ShardRange {
  readonly shard: string;
  readonly from: number;
  readonly to: number;
}

/** The router the learner builds over a table of ranges. */
export interface ShardRouter {
  /** The shard that owns `id`. */
  route(id: number): string;
  /** The shards a scan of ids `from`…`to` must ask, in key order, each once. */
  scanShards(from: number, to: number): string[];
  /** Splits the range holding `at`: ids `at`…(its end) move to the new shard `newShard`. */
  split(at: number, newShard: string): void;
}

/** Solution of the horizontal-sharding build challenge. */
export interface ShardingSolution {
  /** A router over these ranges (sorted, contiguous, covering ids 1…the last `to`). */
  createRouter(ranges: readonly ShardRange[]): ShardRouter;
  /**
   * Where to split a hot range: the first id of the upper half. `reads` counts the reads of
   * each id of `range` (ids never read are absent). Must satisfy `range.from < at <= range.to`.
   */
  splitPoint(range: ShardRange, reads: ReadonlyMap<number, number>): number;
}

/** The model the checker compares with: a sorted array of ranges. */
class ModelRouter {
  ranges: ShardRange[];
  constructor(ranges: readonly ShardRange[]) {
    this.ranges = ranges.map((r) => ({ ...r }));
  }
  owner(id: number): ShardRange {
    return this.ranges.find((r) => r.from <= id && id <= r.to)!;
  }
  scan(from: number, to: number): string[] {
    return this.ranges.filter((r) => r.to >= from && r.from <= to).map((r) => r.shard);
  }
  split(at: number, shard: string): void {
    const i = this.ranges.findIndex((r) => r.from < at && at <= r.to);
    const r = this.ranges[i]!;
    this.ranges.splice(i, 1, { shard: r.shard, from: r.from, to: at - 1 }, { shard, from: at, to: r.to });
  }
}

const rangesArb = fc
  .uniqueArray(fc.integer({ min: 2, max: 9_999 }), { minLength: 1, maxLength: 6 })
  .map((cuts) => {
    const sorted = [...cuts].sort((a, b) => a - b);
    const starts = [1, ...sorted];
    return starts.map((from, i): ShardRange => ({ shard: `s${i + 1}`, from, to: (starts[i + 1] ?? 10_001) - 1 }));
  });

const fmt = (rs: readonly ShardRange[]) => rs.map((r) => `${r.shard} ${r.from}–${r.to}`).join(", ");
const list = (xs: readonly string[]) => (xs.length === 0 ? "nothing" : `[${xs.join(", ")}]`);

/** Runs a fast-check property whose predicate returns a sentence on failure (undefined = ok). */
function routeCheck(router: ShardRouter, model: ModelRouter, ids: readonly number[], scans: readonly [number, number][], after: string): string | undefined {
  for (const id of ids) {
    const want = model.owner(id);
    const got = router.route(id);
    if (got !== want.shard) return `route(${id}) returned ${String(got)}${after}, but ${want.shard} owns ids ${want.from}–${want.to}.`;
  }
  for (const [a, b] of scans) {
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    const want = model.scan(lo, hi);
    const got = router.scanShards(lo, hi);
    if (!Array.isArray(got) || got.join() !== want.join()) return `scanShards(${lo}, ${hi}) returned ${Array.isArray(got) ? list(got) : String(got)}${after}, but exactly ${list(want)} hold ids in that span (in key order, each once).`;
  }
  return undefined;
}

const idArb = fc.integer({ min: 1, max: 10_000 });
const scanArb = fc.tuple(idArb, idArb);

/** Stage 3's load: a hot window of 300 ids near one edge of a shard, 80 % of the reads. */
function hotLoad(c: CheckCase) {
  const random = new Random(c.seed);
  const ranges: ShardRange[] = [1, 2, 3, 4].map((i) => ({ shard: `s${i}`, from: (i - 1) * 1000 + 1, to: i * 1000 }));
  const hot = ranges[random.int(0, 3)]!;
  const start = random.chance(0.5) ? hot.from + random.int(0, 150) : hot.to - 299 - random.int(0, 150);
  const reads: number[] = [];
  for (let i = 0; i < c.size; i++) reads.push(random.chance(0.8) ? random.int(start, start + 299) : random.int(1, 4000));
  return { ranges, reads, window: [start, start + 299] as const };
}

/** Stage 3, one case: route a hot load, split the busiest shard at splitPoint, judge the halves (also the bench's plain run). */
export function runHotSplitCase(s: ShardingSolution, c: CheckCase): CaseOutcome {
  const { ranges, reads, window } = hotLoad(c);
  const router = s.createRouter(ranges.map((r) => ({ ...r })));
  const load = new Map<string, number>();
  for (const id of reads) load.set(router.route(id), (load.get(router.route(id)) ?? 0) + 1);
  const hottest = [...load.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  const range = ranges.find((r) => r.shard === hottest);
  if (!range) return { ok: false, invariant: `route() sent reads to ${hottest}, which is not one of the shards ${ranges.map((r) => r.shard).join(", ")}.` };
  const counts = new Map<number, number>();
  for (const id of reads) if (id >= range.from && id <= range.to) counts.set(id, (counts.get(id) ?? 0) + 1);
  const at = s.splitPoint({ ...range }, counts);
  if (!Number.isInteger(at) || at <= range.from || at > range.to) return { ok: false, invariant: `splitPoint returned ${at} for ${range.shard} ${range.from}–${range.to}; it must be a whole id with ${range.from} < at ≤ ${range.to}.` };
  router.split(at, "s5");
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  let upper = 0;
  for (const id of reads) {
    if (id < range.from || id > range.to) continue;
    const got = router.route(id);
    const want = id >= at ? "s5" : range.shard;
    if (got !== want) return { ok: false, invariant: `after split(${at}, "s5") route(${id}) returned ${got}, not ${want}.` };
    if (got === "s5") upper++;
  }
  const worst = Math.max(upper, total - upper) / total;
  if (worst > 0.6) {
    return { ok: false, invariant: `splitting ${range.shard} (${range.from}–${range.to}) at ${at} left ${Math.round(worst * 100)} % of its ${total} reads on one half (limit 60 %); the hot ids are ${window[0]}–${window[1]}.` };
  }
  return { ok: true };
}

export const horizontalShardingBuild = defineBuildChallenge<ShardingSolution>({
  id: "horizontal-sharding",
  title: "Build a range shard router and split its hot range",
  statement: [
    "Write the router an application uses to find a user's shard: `createRouter(ranges)` returns a `ShardRouter` with `route(id)`, `scanShards(from, to)` and `split(at, newShard)`; and `splitPoint(range, reads)`, which picks where to cut a hot range so both halves get about the same reads.",
    "",
    "```ts",
    "interface ShardRange { shard: string; from: number; to: number }      // both ends included",
    "interface ShardRouter {",
    "  route(id: number): string;                         // the shard owning id",
    "  scanShards(from: number, to: number): string[];    // shards a scan must ask, key order",
    "  split(at: number, newShard: string): void;         // ids at…end of that range move to newShard",
    "}",
    "interface ShardingSolution {",
    "  createRouter(ranges: readonly ShardRange[]): ShardRouter;",
    "  splitPoint(range: ShardRange, reads: ReadonlyMap<number, number>): number; // from < at <= to",
    "}",
    "```",
    "",
    "**The checker attacks** with fast-check: random range tables (1–6 shards over ids 1–10,000), random ids and scans, random split sequences, compared with a model; then 20 seeded loads in which 80 % of the reads hit 300 ids near one edge of a shard.",
  ].join("\n"),
  validate(s) {
    expectSolution("horizontal-sharding", s, ["createRouter", "splitPoint"]);
  },
  stages: [
    {
      name: "routes",
      goal: "every id goes to the shard whose range holds it; a scan asks exactly the shards it overlaps",
      property: (s) =>
        fcProperty(
          fc.record({ ranges: rangesArb, ids: fc.array(idArb, { minLength: 1, maxLength: 20 }), scans: fc.array(scanArb, { maxLength: 5 }) }),
          150,
          ({ ranges, ids, scans }) => {
            const model = new ModelRouter(ranges);
            const max = ranges.at(-1)!.to;
            return routeCheck(s.createRouter(ranges.map((r) => ({ ...r }))), model, ids.map((i) => Math.min(i, max)), scans.map(([a, b]) => [Math.min(a, max), Math.min(b, max)]), "");
          },
          ({ ranges, ids, scans }) => `ranges ${fmt(ranges)}; ids ${ids.join(", ")}; scans ${scans.map(([a, b]) => `${a}–${b}`).join(", ") || "none"}`,
        ),
    },
    {
      name: "splits",
      goal: "after any sequence of splits, routes and scans agree with the new ranges",
      property: (s) =>
        fcProperty(
          fc.record({ ranges: rangesArb, splits: fc.array(fc.integer({ min: 2, max: 10_000 }), { minLength: 1, maxLength: 5 }), ids: fc.array(idArb, { minLength: 5, maxLength: 20 }), scans: fc.array(scanArb, { minLength: 1, maxLength: 4 }) }),
          150,
          ({ ranges, splits, ids, scans }) => {
            const model = new ModelRouter(ranges);
            const router = s.createRouter(ranges.map((r) => ({ ...r })));
            const max = ranges.at(-1)!.to;
            const done: string[] = [];
            for (const [k, raw] of splits.entries()) {
              const at = Math.min(raw, max);
              if (!model.ranges.some((r) => r.from < at && at <= r.to)) continue;
              const shard = `n${k + 1}`;
              model.split(at, shard);
              router.split(at, shard);
              done.push(`split(${at}, "${shard}")`);
              // Probe both sides of the cut, where off-by-one errors live.
              const why = routeCheck(router, model, [at - 1, at, ...ids.map((i) => Math.min(i, max))], scans.map(([a, b]) => [Math.min(a, max), Math.min(b, max)]), ` after ${done.join(", ")}`);
              if (why) return why;
            }
            return undefined;
          },
          ({ ranges, splits }) => `ranges ${fmt(ranges)}; splits at ${splits.join(", ")}`,
        ),
    },
    {
      name: "splits the hot range evenly",
      goal: "after one split of the busiest shard at splitPoint, neither half takes more than 60 % of that shard's reads",
      cases: seededCases(20, 1, () => ({ faults: [{ kind: "hot-range", label: "80 % of reads on 300 ids near one edge of a shard" }], size: 2_000 })),
      minSize: 200,
      run: runHotSplitCase,
    },
  ],
  hints: {
    nudge: "Keep the ranges sorted by their first id. Every question the router answers is then about neighbours in that list: which range holds an id, which ranges a span touches, which range to cut in two.",
    approach: "A scan overlaps a range when the range ends at or after the scan's first id and starts at or before its last id. A split replaces one range by two that meet at the cut: check both ids next to the cut. For the split point, count reads, not ids.",
    keyIdea: "Equal halves of a hot range are equal halves of its reads: walk its ids in order, adding up their read counts, and cut where the running sum first reaches half of the total (never at the range's first id).",
  },
});
