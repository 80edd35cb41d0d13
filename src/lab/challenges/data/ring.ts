/**
 * Build challenge "consistent-hashing": the learner writes the ring (add, remove, lookup,
 * virtual nodes, R distinct replicas). It is pure, so fast-check attacks stages 1–2 (any node
 * set, any insertion order, any join or leave); stage 3 measures spread and movement over 20
 * seeded clusters. A ring that ignores a joining node fails: the newcomer must take keys.
 */
import fc from "fast-check";
import { defineBuildChallenge, type CaseOutcome, type CheckCase } from "../build";
import { seededCases } from "../seeded-cases";
import { expectSolution } from "../challenge";
import { fcProperty } from "./property";

/** The ring the learner builds. */
export interface Ring {
  addNode(node: string): void;
  removeNode(node: string): void;
  /** The node that owns `key`: the first virtual node clockwise from hash(key). */
  lookup(key: string): string;
  /** `r` distinct nodes for `key` (fewer when the ring has fewer), the owner first, then clockwise. */
  replicas(key: string, r: number): string[];
}

/** What `createRing` gets. */
export interface RingOptions {
  /** Virtual nodes (points on the ring) per node. */
  readonly vnodes: number;
  /** The hash to place points and keys with: a string to an unsigned 32-bit integer. */
  readonly hash: (s: string) => number;
}

/** Solution of the consistent-hashing build challenge. */
export interface RingSolution {
  createRing(options: RingOptions): Ring;
}

/** FNV-1a with a murmur3 finaliser: cheap, and spreads similar strings ("n1#0", "n1#1") well. */
export function ringHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const nodesArb = (min: number, max: number) => fc.uniqueArray(fc.integer({ min: 1, max: 99 }), { minLength: min, maxLength: max }).map((ns) => ns.map((n) => `n${n}`));
const keys = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const build = (s: RingSolution, nodes: readonly string[], vnodes: number) => {
  const ring = s.createRing({ vnodes, hash: ringHash });
  for (const n of nodes) ring.addNode(n);
  return ring;
};
const pct = (x: number) => `${Math.round(x * 1000) / 10} %`;

function lookups(s: RingSolution, nodes: readonly string[], ks: readonly string[], order: readonly string[]): string | undefined {
  const ring = build(s, nodes, 50);
  const again = build(s, order, 50);
  for (const k of ks) {
    const owner = ring.lookup(k);
    if (!nodes.includes(owner)) return `lookup("${k}") returned ${String(owner)}, which is not one of the nodes [${nodes.join(", ")}].`;
    const other = again.lookup(k);
    if (other !== owner) return `lookup("${k}") gave ${owner} with nodes added as [${nodes.join(", ")}] but ${other} with the same nodes added as [${order.join(", ")}]; the owner must depend on the set, not the order.`;
    for (const r of [1, 2, 3]) {
      const reps = ring.replicas(k, r);
      const want = Math.min(r, nodes.length);
      if (!Array.isArray(reps) || reps.length !== want) return `replicas("${k}", ${r}) returned ${Array.isArray(reps) ? reps.length : String(reps)} nodes over ${nodes.length} nodes; it must return ${want}.`;
      if (new Set(reps).size !== reps.length) return `replicas("${k}", ${r}) returned [${reps.join(", ")}]: a node appears twice, so the copies are not on ${r} different machines.`;
      if (reps[0] !== owner) return `replicas("${k}", ${r}) starts with ${reps[0]}, but lookup("${k}") is ${owner}; the owner comes first.`;
      if (reps.some((n) => !nodes.includes(n))) return `replicas("${k}", ${r}) returned [${reps.join(", ")}], with a node not in the ring.`;
    }
  }
  return undefined;
}

function membership(s: RingSolution, nodes: readonly string[], leaver: number): string | undefined {
  const ks = keys(300, "key-");
  const ring = build(s, nodes, 50);
  const before = ks.map((k) => ring.lookup(k));
  const joiner = "new-node";
  ring.addNode(joiner);
  const after = ks.map((k) => ring.lookup(k));
  const taken = after.filter((o) => o === joiner).length;
  if (taken === 0) return `after addNode("${joiner}") to ${nodes.length} nodes, the new node owns 0 of ${ks.length} keys; a joining node must take over its share (about ${Math.round(ks.length / (nodes.length + 1))}).`;
  const elsewhere = ks.findIndex((_, i) => after[i] !== before[i] && after[i] !== joiner);
  if (elsewhere >= 0) return `after addNode("${joiner}"), key "${ks[elsewhere]}" moved from ${before[elsewhere]} to ${after[elsewhere]}; only keys the new node takes over may move.`;
  const gone = nodes[leaver % nodes.length]!;
  ring.removeNode(gone);
  const left = ks.map((k) => ring.lookup(k));
  for (const [i, k] of ks.entries()) {
    if (left[i] === gone) return `after removeNode("${gone}"), lookup("${k}") still returns ${gone}.`;
    if (after[i] !== gone && left[i] !== after[i]) return `after removeNode("${gone}"), key "${k}" moved from ${after[i]} to ${left[i]}, though ${gone} never owned it; only the leaver's keys may move.`;
    const reps = ring.replicas(k, 3);
    if (reps.includes(gone)) return `after removeNode("${gone}"), replicas("${k}", 3) still lists it: [${reps.join(", ")}].`;
  }
  ring.addNode(gone);
  const back = ks.findIndex((k, i) => ring.lookup(k) !== after[i]);
  if (back >= 0) return `removing ${gone} and adding it back changed the owner of "${ks[back]}" from ${after[back]} to ${ring.lookup(ks[back]!)}; the ring must be the same as before.`;
  return undefined;
}

/** Stage 3, one case: 10 nodes × 200 vnodes, the busiest node's share, then an 11th node joins (also the bench's plain run). */
export function runSpreadCase(s: RingSolution, c: CheckCase): CaseOutcome {
  const nodes = Array.from({ length: 10 }, (_, i) => `cache-${c.seed}-${i}`);
  const ks = keys(c.size, `s${c.seed}:user:`);
  const ring = build(s, nodes, 200);
  const owners = ks.map((k) => ring.lookup(k));
  const counts = new Map<string, number>();
  for (const o of owners) counts.set(o, (counts.get(o) ?? 0) + 1);
  const max = Math.max(...nodes.map((n) => counts.get(n) ?? 0));
  const mean = ks.length / nodes.length;
  if (max / mean > 1.3) return { ok: false, invariant: `the busiest of 10 nodes holds ${max} of ${ks.length} keys, ${(max / mean).toFixed(2)}× the mean of ${mean} (limit 1.3×) with 200 virtual nodes each.` };
  ring.addNode(`cache-${c.seed}-new`);
  const moved = ks.filter((k, i) => ring.lookup(k) !== owners[i]).length / ks.length;
  if (moved === 0 || moved > 1 / 11 + 0.03) return { ok: false, invariant: `adding an 11th node moved ${pct(moved)} of ${ks.length} keys; it should take about 1/11 (9.1 %), at most ${pct(1 / 11 + 0.03)}.` };
  return { ok: true };
}

export const consistentHashingBuild = defineBuildChallenge<RingSolution>({
  id: "consistent-hashing",
  title: "Build the ring: virtual nodes, lookups, joins, leaves and replicas",
  statement: [
    "Write a consistent-hash ring. `createRing({ vnodes, hash })` returns a `Ring`: each node gets `vnodes` points on a circle of 32-bit hashes; a key belongs to the first point clockwise from its hash; `replicas(key, r)` walks on clockwise to collect `r` **different** nodes.",
    "",
    "```ts",
    "interface Ring {",
    "  addNode(node: string): void;",
    "  removeNode(node: string): void;",
    "  lookup(key: string): string;                 // owner",
    "  replicas(key: string, r: number): string[];  // r distinct nodes, owner first",
    "}",
    "interface RingSolution { createRing(options: { vnodes: number; hash: (s: string) => number }): Ring }",
    "```",
    "",
    "**The checker attacks** with fast-check: any set of 1–10 nodes (up to 12 when one joins) added in any order, any keys, R = 1–3; then a node joins (it must take about its share, and only keys it takes may move), one leaves (only its keys move), and it comes back (the ring is as before). Stage 3 measures 20 seeded clusters of 10 nodes × 200 virtual nodes and 10,000 keys.",
  ].join("\n"),
  validate(s) {
    expectSolution("consistent-hashing", s, ["createRing"]);
  },
  stages: [
    {
      name: "looks up",
      goal: "every key has one owner from the ring, whatever order nodes were added in; replicas are r distinct nodes, owner first",
      property: (s) =>
        fcProperty(
          nodesArb(1, 10).chain((nodes) => fc.record({ nodes: fc.constant(nodes), order: fc.shuffledSubarray(nodes, { minLength: nodes.length, maxLength: nodes.length }), ks: fc.array(fc.string({ maxLength: 8 }), { minLength: 1, maxLength: 15 }) })),
          100,
          ({ nodes, order, ks }) => lookups(s, nodes, ks, order),
          ({ nodes, order, ks }) => `nodes [${nodes.join(", ")}] (also added as [${order.join(", ")}]); keys ${ks.map((k) => JSON.stringify(k)).join(", ")}`,
        ),
    },
    {
      name: "joins and leaves",
      goal: "a joining node takes its share and only those keys move; a leaving node's keys move and no others; leave + rejoin restores the ring",
      property: (s) =>
        fcProperty(
          fc.record({ nodes: nodesArb(1, 12), leaver: fc.nat(20) }),
          60,
          ({ nodes, leaver }) => membership(s, nodes, leaver),
          ({ nodes, leaver }) => `nodes [${nodes.join(", ")}], then "new-node" joins and ${nodes[leaver % nodes.length]} leaves and comes back`,
        ),
    },
    {
      name: "spreads evenly",
      goal: "with 200 virtual nodes, the busiest of 10 nodes holds ≤ 1.3× the mean of 10,000 keys, and an 11th node moves ≤ 1/11 + 3 % of them",
      cases: seededCases(20, 1, () => ({ faults: [{ kind: "join", label: "an 11th node joins" }], size: 10_000 })),
      minSize: 1_000,
      run: runSpreadCase,
    },
  ],
  hints: {
    nudge: "Picture the ring as a sorted list of (hash, node) points. Everything the ring does is a search in that list, plus wrapping around from the end to the start.",
    approach: "Give each node many points by hashing its name with a point number. For a key, find the first point at or after its hash (binary search), wrapping past the largest. For replicas keep walking the points and skip nodes you already have.",
    keyIdea: "A point belongs to exactly one node and stays where it is whatever else joins or leaves; so a join can only steal keys that land on its own new points, and a leave hands exactly its own keys to the next points. If your lookups obey that, the movement properties follow.",
  },
});
