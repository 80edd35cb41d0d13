// Each distributed-data challenge: the notebook's starter fails, a reference solution passes.
import { describe, expect, it } from "vitest";
import { ConfigError, DISPLAY, HashRing, ModNHashing, RangeSharding, hashSharding, type SagaStep } from "sde-lab";
import { challenges } from "sde-lab/challenges";

const headline = async (p: Promise<{ [DISPLAY](): { [mime: string]: string } }>) => (await p)[DISPLAY]()["text/plain"]!.split("\n")[0]!;
const equalRanges = () => new RangeSharding([1, 2, 3, 4].map((i) => ({ shard: `s${i}`, from: (i - 1) * 500 + 1, to: i * 500 })));

describe("distributed-data challenges", () => {
  it("horizontal-sharding-warmup: equal ranges make a hot shard, hashing scatters the scan, uneven ranges pass", async () => {
    const starter = await challenges["horizontal-sharding-warmup"].check({ strategy: equalRanges });
    expect(starter.passed).toBe(false);
    expect(starter.misses.map((m) => m.target.metric)).toEqual(["hotShardLoad"]);
    const hashed = await challenges["horizontal-sharding-warmup"].check({ strategy: () => hashSharding(["s1", "s2", "s3", "s4"]) });
    expect(hashed.misses.map((m) => m.target.metric)).toEqual(["scanShards"]);
    const reference = await challenges["horizontal-sharding-warmup"].check({
      strategy: () =>
        new RangeSharding([
          { shard: "s1", from: 1, to: 1531 },
          { shard: "s2", from: 1532, to: 1687 },
          { shard: "s3", from: 1688, to: 1843 },
          { shard: "s4", from: 1844, to: 2000 },
        ]),
    });
    expect(await headline(Promise.resolve(reference))).toMatch(/^Challenge horizontal-sharding-warmup: PASSED/);
  });

  it("vertical-partitioning: one database is too big, tables apart make the join slow, bio and reviews each on their own pass", async () => {
    const c = challenges["vertical-partitioning-warmup"];
    expect((await c.check({ partitions: { db: ["users", "orders", "reviews"] } })).misses.map((m) => m.target.metric)).toEqual(["largestPartitionShare"]);
    expect((await c.check({ partitions: { "db-users": ["users", "reviews"], "db-orders": ["orders"] } })).misses.map((m) => m.target.metric)).toContain("orderPageMs");
    expect((await c.check({ partitions: { "db-core": ["users", "orders"], "db-blobs": ["users.bio", "reviews"] } })).misses.map((m) => m.target.metric)).toEqual(["largestPartitionShare"]);
    expect((await c.check({ partitions: { "db-core": ["users", "orders"], "db-bios": ["users.bio"], "db-reviews": ["reviews"] } })).passed).toBe(true);
    await expect(c.check({ partitions: undefined as never })).rejects.toThrow(ConfigError);
  });

  it("consistent-hashing: mod N moves most keys, one point per node is uneven, 500 vnodes pass", async () => {
    const c = challenges["consistent-hashing-warmup"];
    const mod = await c.check({ build: (nodes) => new ModNHashing(nodes) });
    expect(mod.misses.map((m) => m.target.metric)).toEqual(["movedPct", "movedElsewhere"]);
    const one = await c.check({ build: (nodes) => new HashRing({ vnodes: 1 }).addNodes(nodes) });
    expect(one.misses.map((m) => m.target.metric)).toEqual(["maxOverMean"]);
    expect((await c.check({ build: (nodes) => new HashRing({ vnodes: 500 }).addNodes(nodes) })).passed).toBe(true);
  });

  it("two-phase-commit: the defaults are slow, very short intervals flood, tuned timers pass", async () => {
    const c = challenges["two-phase-commit-warmup"];
    const defaults = await c.check({ voteTimeoutMs: 1000, decisionTimeoutMs: 1000, statusIntervalMs: 1000 });
    expect(defaults.misses.map((m) => m.target.metric)).toEqual(["abortMs", "blockedAfterRecoveryMs"]);
    const flood = await c.check({ voteTimeoutMs: 200, decisionTimeoutMs: 10, statusIntervalMs: 10 });
    expect(flood.misses.map((m) => m.target.metric)).toEqual(["statusQueries"]);
    expect((await c.check({ voteTimeoutMs: 200, decisionTimeoutMs: 200, statusIntervalMs: 150 })).passed).toBe(true);
  });

  it("saga: charging first refunds customers, the charge as the last step (pivot) passes", async () => {
    const c = challenges["saga-warmup"];
    const book = (s: string): SagaStep => ({ name: s, service: s, action: "POST /book", compensation: "POST /cancel" });
    const chargeFirst: SagaStep[] = [{ name: "payment", service: "payment", action: "POST /charge", compensation: "POST /refund" }, book("flight"), book("hotel"), book("car")];
    expect((await c.check({ steps: chargeFirst })).misses.map((m) => m.target.metric)).toEqual(["refunds"]);
    const reference: SagaStep[] = [book("flight"), book("hotel"), book("car"), { name: "payment", service: "payment", action: "POST /charge", kind: "pivot" }];
    expect((await c.check({ steps: reference })).passed).toBe(true);
  });

  it("event-sourcing: without retries most withdrawals conflict; retries and snapshots pass", async () => {
    const c = challenges["event-sourcing-warmup"];
    const starter = await c.check({ retries: 0, snapshotEvery: 0 });
    expect(starter.misses.map((m) => m.target.metric)).toEqual(["withdrawals", "replayed"]);
    expect((await c.check({ retries: 20, snapshotEvery: 50 })).passed).toBe(true);
  });

  it("cqrs: reading at once is stale, a long sleep is slow, waiting for the checkpoint passes", async () => {
    const c = challenges["cqrs-warmup"];
    expect((await c.check({ read: ({ view, account }) => view.model.get(account) })).misses.map((m) => m.target.metric)).toEqual(["staleReads"]);
    expect((await c.check({ read: () => 100 })).misses.map((m) => m.target.metric)).toEqual(["staleReads"]);
    expect(
      (
        await c.check({
          read: async ({ sim, view, account }) => {
            await sim.sleep(100);
            return view.model.get(account);
          },
        })
      ).misses.map((m) => m.target.metric),
    ).toEqual(["meanReadMs"]);
    const reference = await c.check({
      read: async ({ sim, view, account, position }) => {
        while (view.checkpoint < position) await sim.sleep(2);
        return view.model.get(account);
      },
    });
    expect(reference.passed).toBe(true);
  });
});
