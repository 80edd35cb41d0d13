// Consistent hashing, mod-N and rendezvous placement: spread, movement, replicas, errors.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  ConfigError,
  DISPLAY,
  HashRing,
  ModNHashing,
  RendezvousHashing,
  loadStats,
  movement,
  sampleKeys,
  vnodeSpread,
} from "../../../src/lab/index";
import { DuplicateNodeError, EmptyRingError, UnknownShardError } from "../../../src/lab/data/errors";
import { murmur3 } from "../../../src/lab/data/hash";

const four = ["n1", "n2", "n3", "n4"];
const keys100k = sampleKeys(100_000, "user-");

describe("murmur3 (the lab's documented hash)", () => {
  it("matches MurmurHash3 x86_32 reference values", () => {
    expect(murmur3("")).toBe(0);
    expect(murmur3("", 1)).toBe(0x514e28b7);
    expect(murmur3("hello")).toBe(0x248bfa47);
    expect(murmur3("hello, world")).toBe(0x149bbb7f);
    expect(murmur3("The quick brown fox jumps over the lazy dog")).toBe(0x2e4ff723);
  });

  it("hashes the UTF-8 bytes (non-ASCII and astral characters)", () => {
    // "€" is E2 82 AC; the same bytes as the three-byte string they encode.
    expect(murmur3("€")).toBe(murmur3("\u20ac"));
    expect(murmur3("😀")).not.toBe(murmur3("\ud83d"));
  });
});

describe("demo: adding a 5th node to 4", () => {
  it("hash mod N moves about 80 % of 100,000 keys; a 100-vnode ring about 20 % (±3 %), all to the new node", () => {
    const mod = new ModNHashing(four);
    const modMove = movement(keys100k, mod, mod.clone().addNode("n5"));
    expect(modMove.fraction).toBeGreaterThan(0.78);
    expect(modMove.fraction).toBeLessThan(0.82);

    const ring = new HashRing({ vnodes: 100 }).addNodes(four);
    const ringMove = movement(keys100k, ring, ring.clone().addNode("n5"));
    expect(ringMove.fraction).toBeGreaterThan(0.17);
    expect(ringMove.fraction).toBeLessThan(0.23);
    expect(ringMove.movedTo("n5")).toBe(ringMove.moved);
    expect(ringMove.flows.every((f) => f.to === "n5")).toBe(true);
  });

  it("rendezvous hashing also moves about 1/(N+1), all to the new node", () => {
    const hrw = new RendezvousHashing(four);
    const m = movement(keys100k, hrw, hrw.clone().addNode("n5"));
    expect(m.fraction).toBeGreaterThan(0.18);
    expect(m.fraction).toBeLessThan(0.22);
    expect(m.movedTo("n5")).toBe(m.moved);
  });

  it("renders the movement as a short table", () => {
    const ring = new HashRing().addNodes(four);
    const md = movement(sampleKeys(1000), ring, ring.clone().addNode("n5"))[DISPLAY]()["text/markdown"]!;
    expect(md).toMatch(/^\*\*ring, 100 vnodes\/node → ring, 100 vnodes\/node\*\*: \d+ of 1000 keys moved/);
    expect(md).toContain("| from | to | keys | % of all keys |");
  });
});

describe("HashRing", () => {
  it("removing a node moves only its keys, each to the node after it", () => {
    const ring = new HashRing({ vnodes: 50 }).addNodes(["a", "b", "c", "d", "e"]);
    const ks = sampleKeys(20_000);
    const owned = ks.filter((k) => ring.owner(k) === "c").length;
    const after = ring.clone().removeNode("c");
    const m = movement(ks, ring, after);
    expect(m.moved).toBe(owned);
    expect(m.movedFrom("c")).toBe(owned);
    for (const k of m.movedKeys.slice(0, 200)) expect(after.owner(k)).toBe(ring.replicas(k, 2)[1]);
  });

  it("replicas: the owner first, then the next distinct nodes clockwise", () => {
    const ring = new HashRing({ vnodes: 20 }).addNodes(["a", "b", "c", "d"]);
    for (const k of sampleKeys(500)) {
      const r = ring.replicas(k, 3);
      expect(r[0]).toBe(ring.owner(k));
      expect(new Set(r).size).toBe(3);
    }
    expect(() => ring.replicas("x", 5)).toThrow(ConfigError);
  });

  it("spread shrinks as vnodes grow: ≈ 9–10 % stddev at 100, ≈ 6 % at 200, ≈ 3 % at 1,000 (10 nodes)", () => {
    const rows = vnodeSpread({ nodes: 10, vnodes: [1, 100, 200, 1000], keys: 100_000 }).rows;
    const pct = Object.fromEntries(rows.map((r) => [r.vnodes, r.stddevPct]));
    expect(pct[1]).toBeGreaterThan(50);
    expect(pct[100]).toBeGreaterThan(8);
    expect(pct[100]).toBeLessThan(11);
    expect(pct[200]).toBeGreaterThan(5);
    expect(pct[200]).toBeLessThan(7.5);
    expect(pct[1000]).toBeGreaterThan(2);
    expect(pct[1000]).toBeLessThan(4);
    expect(rows.map((r) => r.maxOverMean)).toEqual([...rows.map((r) => r.maxOverMean)].sort((a, b) => b - a));
  });

  it("a node of weight 2 gets twice the points and about twice the keys", () => {
    const ring = new HashRing({ vnodes: 200 }).addNodes(["a", "b", "c"]).addNode("big", { weight: 2 });
    const stats = loadStats(ring, sampleKeys(50_000));
    const big = stats.perNode.find((p) => p.node === "big")!.keys;
    const small = stats.perNode.filter((p) => p.node !== "big").reduce((a, p) => a + p.keys, 0) / 3;
    expect(ring.describe().find((r) => r.node === "big")!.vnodes).toBe(400);
    expect(big / small).toBeGreaterThan(1.7);
    expect(big / small).toBeLessThan(2.3);
  });

  it("shares of the ring add up to 1", () => {
    const ring = new HashRing({ vnodes: 30 }).addNodes(["a", "b", "c"]);
    expect(ring.describe().reduce((a, r) => a + r.share, 0)).toBeCloseTo(1, 9);
    expect(ring.size).toBe(90);
  });

  it("bad input gets named errors that say what to fix", () => {
    expect(() => new HashRing().owner("k")).toThrow(EmptyRingError);
    expect(() => new HashRing().owner("k")).toThrow(/Add a node/);
    expect(() => new HashRing().addNode("a").addNode("a")).toThrow(DuplicateNodeError);
    expect(() => new HashRing({ vnodes: -1 })).toThrow(ConfigError);
    expect(() => new HashRing({ vnodes: -1 })).toThrow("HashRing: vnodes must be a whole number ≥ 1, got -1");
    expect(() => new HashRing().removeNode("zz")).toThrow(UnknownShardError);
    expect(() => new ModNHashing().owner("k")).toThrow(EmptyRingError);
    expect(() => new RendezvousHashing(["a", "a"])).toThrow(DuplicateNodeError);
    expect(() => new HashRing().addNode("a", { weight: 0 })).toThrow(ConfigError);
  });
});

describe("properties (fast-check)", () => {
  const nodeSet = fc.uniqueArray(fc.stringMatching(/^[a-z]{1,6}$/), { minLength: 2, maxLength: 8 });

  it("lookups are stable: the same nodes in any order give the same owner, and clones agree", () => {
    fc.assert(
      fc.property(nodeSet, fc.array(fc.string(), { minLength: 1, maxLength: 30 }), (nodes, ks) => {
        const a = new HashRing({ vnodes: 10 }).addNodes(nodes);
        const b = new HashRing({ vnodes: 10 }).addNodes([...nodes].reverse());
        for (const k of ks) {
          expect(b.owner(k)).toBe(a.owner(k));
          expect(a.clone().owner(k)).toBe(a.owner(k));
          expect(a.owner(k)).toBe(a.owner(k));
        }
      }),
      { numRuns: 100 },
    );
  });

  it("removing a node moves only that node's keys", () => {
    fc.assert(
      fc.property(nodeSet, fc.nat(), fc.array(fc.string(), { minLength: 1, maxLength: 50 }), (nodes, pick, ks) => {
        const victim = nodes[pick % nodes.length]!;
        const ring = new HashRing({ vnodes: 8 }).addNodes(nodes);
        const m = movement(ks, ring, ring.clone().removeNode(victim));
        for (const k of m.movedKeys) expect(ring.owner(k)).toBe(victim);
        expect(m.moved).toBe(ks.filter((k) => ring.owner(k) === victim).length);
      }),
      { numRuns: 100 },
    );
  });

  it("adding a node moves keys only to it (ring and rendezvous)", () => {
    fc.assert(
      fc.property(nodeSet, fc.array(fc.string(), { minLength: 1, maxLength: 50 }), (nodes, ks) => {
        for (const p of [new HashRing({ vnodes: 8 }).addNodes(nodes), new RendezvousHashing(nodes)]) {
          const m = movement(ks, p, p.clone().addNode("newcomer-node"));
          expect(m.flows.every((f) => f.to === "newcomer-node")).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });
});
