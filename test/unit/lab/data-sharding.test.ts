// Range and hash sharding on the simulated network, resharding, vertical partitioning.
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  DISPLAY,
  ModNHashing,
  RangeSharding,
  ShardedStore,
  Simulation,
  VerticalStore,
  hashSharding,
} from "../../../src/lab/index";
import { EmptyRingError, UnknownShardError } from "../../../src/lab/data/errors";
import { HashSharding, KeyOutOfRangeError, ringSharding } from "../../../src/lab/data/shard-strategy";

const ranges = () =>
  new RangeSharding([
    { shard: "s1", from: 1, to: 1000 },
    { shard: "s2", from: 1001, to: 2000 },
    { shard: "s3", from: 2001, to: 3000 },
  ]);

async function loaded(strategy: ConstructorParameters<typeof ShardedStore>[1]["strategy"], n = 3000) {
  const sim = new Simulation({ seed: 7 });
  const store = new ShardedStore(sim, { strategy });
  await sim.run(async () => {
    for (let id = 1; id <= n; id++) await store.put(id, { id, name: `user ${id}`, country: id % 4 === 0 ? "NO" : "DE" });
  });
  return { sim, store };
}

describe("range sharding", () => {
  it("routes ids by range and keeps ranges ordered: a range scan asks one shard", async () => {
    const { sim, store } = await loaded(ranges());
    expect(store.stats().shards.map((s) => s.keys)).toEqual([1000, 1000, 1000]);
    const scan = await sim.run(() => store.scan(10, 59));
    expect(scan.rows.map((r) => r.key)).toEqual(Array.from({ length: 50 }, (_, i) => i + 10));
    expect(scan.shards).toEqual(["s1"]);
    // 1 ms each way plus 2 ms at the shard.
    expect(scan.latencyMs).toBe(4);
    const across = await sim.run(() => store.scan(990, 1010));
    expect(across.shards).toEqual(["s1", "s2"]);
    expect(across.rows).toHaveLength(21);
  });

  it("new users all land on the last range: a hot spot, flagged, and split away", async () => {
    const { sim, store } = await loaded(ranges());
    store.resetCounters();
    await sim.run(async () => {
      for (let id = 2001; id <= 3000; id++) await store.get(id);
      for (let id = 1; id <= 100; id++) await store.get(id);
    });
    const stats = store.stats();
    expect(stats.hot).toEqual(["s3"]);
    expect(stats.shards.find((s) => s.shard === "s3")!.loadOverMean).toBeCloseTo(3000 / 1100, 5);
    const split = store.splitShard("s3", 2501, "s4");
    expect(split.moved).toBe(500);
    expect(split.flows).toEqual([{ from: "s3", to: "s4", keys: 500 }]);
    expect(store.rowsOn("s4").map((r) => r.key)[0]).toBe(2501);
    expect(await sim.run(() => store.get(2750))).toMatchObject({ id: 2750 });
    expect(stats[DISPLAY]()["text/markdown"]).toContain("Hot: s3");
  });

  it("errors: a key outside every range, an unknown shard, overlapping ranges", async () => {
    const { sim, store } = await loaded(ranges(), 10);
    await expect(sim.run(() => store.put(5000, {}))).rejects.toThrow(KeyOutOfRangeError);
    expect(() => store.rowsOn("s9")).toThrow(UnknownShardError);
    expect(() => store.rowsOn("s9")).toThrow(/known: s1, s2, s3/);
    expect(() => store.splitShard("s9", 5, "s5")).toThrow(UnknownShardError);
    expect(() => new RangeSharding([{ shard: "a", from: 1, to: 10 }, { shard: "b", from: 5, to: 20 }])).toThrow(ConfigError);
    expect(() => new HashSharding(new ModNHashing([]))).toThrow(EmptyRingError);
  });
});

describe("hash sharding", () => {
  it("spreads sequential ids evenly, but a range scan is a scatter-gather over every shard", async () => {
    const { sim, store } = await loaded(hashSharding(["s1", "s2", "s3"]));
    for (const s of store.stats().shards) expect(Math.abs(s.keys - 1000)).toBeLessThan(80);
    const scan = await sim.run(() => store.scan(10, 59));
    expect(scan.shards).toEqual(["s1", "s2", "s3"]);
    expect(scan.rows).toHaveLength(50);
    const q = await sim.run(() => store.query((v) => (v as { country: string }).country === "NO"));
    expect(q.rows).toHaveLength(750);
    expect(q.shards).toHaveLength(3);
  });

  it("resharding 4 → 5: mod N moves about 80 % of the rows, a ring about 20 %", async () => {
    const four = ["s1", "s2", "s3", "s4"];
    const mod = await loaded(hashSharding(four), 2000);
    const modReport = mod.store.reshard(hashSharding([...four, "s5"]));
    expect(modReport.fraction).toBeGreaterThan(0.76);
    expect(modReport.fraction).toBeLessThan(0.84);
    const ring = await loaded(ringSharding(four), 2000);
    const ringReport = ring.store.reshard(ringSharding([...four, "s5"]));
    expect(ringReport.fraction).toBeGreaterThan(0.14);
    expect(ringReport.fraction).toBeLessThan(0.26);
    expect(ringReport.flows.every((f) => f.to === "s5")).toBe(true);
    expect(await ring.sim.run(() => ring.store.get(1234))).toMatchObject({ id: 1234 });
  });
});

describe("vertical partitioning", () => {
  async function shop(partitions: Record<string, string[]>) {
    const sim = new Simulation({ seed: 3 });
    const db = new VerticalStore(sim, { partitions });
    await sim.run(async () => {
      for (let u = 1; u <= 20; u++) await db.insert("users", { id: u, name: `user ${u}`, country: u % 2 ? "DE" : "NO", bio: "x".repeat(200) });
      for (let o = 1; o <= 60; o++) await db.insert("orders", { id: o, userId: (o % 20) + 1, total: o * 10 });
    });
    return { sim, db };
  }

  it("a join inside one database is one round trip; across partitions it is two, and ships every matching row", async () => {
    const together = await shop({ db: ["users", "orders"] });
    const local = await together.sim.run(() => together.db.join("users", "orders", { on: "userId", where: (u) => u.country === "NO" }));
    const apart = await shop({ "db-users": ["users"], "db-orders": ["orders"] });
    const remote = await apart.sim.run(() => apart.db.join("users", "orders", { on: "userId", where: (u) => u.country === "NO" }));
    expect(local.rows).toHaveLength(30);
    expect(remote.rows).toHaveLength(30);
    expect(local.mode).toBe("in one database");
    expect(remote.mode).toBe("application-side");
    expect([local.roundTrips, remote.roundTrips]).toEqual([1, 2]);
    expect(local.rowsShipped).toBe(30);
    expect(remote.rowsShipped).toBe(10 + 30);
    expect(local.latencyMs).toBe(4);
    expect(remote.latencyMs).toBe(8);
  });

  it("a column moved to its own partition costs a second request when read", async () => {
    const { sim, db } = await shop({ "db-users": ["users"], "db-orders": ["orders"], "db-blobs": ["users.bio"] });
    const narrow = await sim.run(() => db.get("users", 3, ["name"]));
    expect(narrow.partitions).toEqual(["db-users"]);
    expect(narrow.row).toEqual({ id: 3, name: "user 3" });
    const full = await sim.run(() => db.get("users", 3));
    expect(full.partitions).toEqual(["db-users", "db-blobs"]);
    expect(full.row).toMatchObject({ id: 3, name: "user 3", bio: "x".repeat(200) });
    expect(() => db.partitionOf("invoices")).toThrow(UnknownShardError);
  });
});
