// Ring lookups per second: the lab's HashRing (murmur3, binary search over a typed array)
// against the `hashring` npm package (ketama: md5, 40 vnodes × 4 points = 160 points per
// server, a 5,000-entry LRU cache in front), both with 100 nodes × 160 points, in the same
// run. Target: the lab ring is faster. Distinct keys defeat hashring's cache; a hot set of
// 1,000 keys shows it with the cache hitting.
import HashRingPkg from "hashring";
import { HashRing } from "../src/lab/data/placement";
import { report, time } from "./harness";

const NODES = Array.from({ length: 100 }, (_, i) => `10.0.${i >> 8}.${i & 255}:11211`);
const DISTINCT = Array.from({ length: 100_000 }, (_, i) => `user:${i}`);
const HOT = DISTINCT.slice(0, 1_000);
const RUNS = 30;

const theirs = new HashRingPkg(NODES);
const ours = new HashRing({ vnodes: 160 }).addNodes(NODES);
if (ours.size !== 16_000) throw new Error(`expected 16,000 points, got ${ours.size}`);

function lookups(get: (k: string) => string, keys: readonly string[], rounds: number): () => void {
  return () => {
    let n = 0;
    for (let r = 0; r < rounds; r++) for (const k of keys) n += get(k).length;
    if (n === 0) throw new Error("no lookups");
  };
}

const perSecond = (t: { p50: number }, count: number) => Math.round(count / (t.p50 / 1000));
for (const [label, keys, rounds] of [["100,000 distinct keys", DISTINCT, 1], ["1,000 hot keys × 100", HOT, 100]] as const) {
  const base = await time(`hashring 3.2 (md5, LRU cache) — ${label}`, lookups((k) => theirs.get(k), keys, rounds), RUNS, 5);
  const lab = await time(`lab HashRing (murmur3) — ${label}`, lookups((k) => ours.owner(k), keys, rounds), RUNS, 5);
  const count = keys.length * rounds;
  report(`Ring lookups, 100 nodes × 160 points, ${label}`, base, [lab]);
  console.log(`lookups/s: hashring ${perSecond(base, count).toLocaleString("en")}; lab ${perSecond(lab, count).toLocaleString("en")}; lab is ${(base.p50 / lab.p50).toFixed(2)}× as fast (target > 1) ${lab.p50 < base.p50 ? "OK" : "BELOW TARGET"}`);
}

// The two rings place keys differently (md5 vs murmur3 points) but both spread them well.
const share = (get: (k: string) => string) => {
  const counts = new Map<string, number>();
  for (const k of DISTINCT) counts.set(get(k), (counts.get(get(k)) ?? 0) + 1);
  const v = [...counts.values()];
  const mean = DISTINCT.length / NODES.length;
  return Math.sqrt(v.reduce((a, c) => a + (c - mean) ** 2, 0) / NODES.length) / mean;
};
console.log(`\nstddev of keys per node: hashring ${(share((k) => theirs.get(k)) * 100).toFixed(1)} %, lab ${(share((k) => ours.owner(k)) * 100).toFixed(1)} % of the mean`);
