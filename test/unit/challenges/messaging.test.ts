// The message-broker challenges: the notebook's starter values fail, the reference solutions pass.
import { describe, expect, it } from "vitest";
import { ConfigError } from "sde-lab";
import { challenges } from "sde-lab/challenges";

const charge = (p: { id: string; amount: number }, db: { charge(id: string, amount: number): void; processed: Set<string> }) => db.charge(p.id, p.amount);

describe("message-broker challenges", () => {
  it("kafka-warmup: keyless with more consumers than partitions fails; keyed with enough partitions passes", async () => {
    const starter = await challenges["kafka-warmup"].check({ partitions: 2, consumers: 4, key: () => null });
    expect(starter.headline).toMatch(/^Challenge kafka-warmup: FAILED/);
    expect(starter.misses.map((m) => m.target.metric).sort()).toEqual(["drainMs", "idleConsumers", "orderViolations"]);
    const reference = await challenges["kafka-warmup"].check({ partitions: 12, consumers: 6, key: (e) => e.user });
    expect(reference.headline).toBe("Challenge kafka-warmup: PASSED (3 of 3 targets, seeds 1, 2, 3)");
  });

  it("rabbitmq-warmup: unlimited prefetch and requeue fail; a small prefetch and dead-lettering pass", async () => {
    const starter = await challenges["rabbitmq-warmup"].check({ prefetch: 0, onError: "requeue" });
    expect(starter.passed).toBe(false);
    expect(starter.misses.map((m) => m.target.metric).sort()).toEqual(["deadLettered", "finishMs", "poisonDeliveries"]);
    const reference = await challenges["rabbitmq-warmup"].check({ prefetch: 5, onError: "dead-letter" });
    expect(reference.passed).toBe(true);
  });

  it("kafka-vs-rabbitmq-warmup: a queue cannot replay; a log with delete keeps too much; compaction passes", async () => {
    const queue = await challenges["kafka-vs-rabbitmq-warmup"].check({ broker: "rabbitmq" });
    expect(queue.results.find((r) => r.target.metric === "accountsRebuilt")!.measured).toBe(0);
    const log = await challenges["kafka-vs-rabbitmq-warmup"].check({ broker: "kafka" });
    expect(log.misses.map((m) => m.target.metric)).toEqual(["storedKB"]);
    const compact = await challenges["kafka-vs-rabbitmq-warmup"].check({ broker: "kafka", cleanupPolicy: "compact" });
    expect(compact.passed).toBe(true);
  });

  it("at-most-once-warmup: committing after processing duplicates; small chunks committed first pass", async () => {
    const starter = await challenges["at-most-once-warmup"].check({ commit: "after-processing", batchSize: 50 });
    expect(starter.misses.map((m) => m.target.metric)).toContain("duplicated");
    const big = await challenges["at-most-once-warmup"].check({ commit: "before-processing", batchSize: 50 });
    expect(big.misses.map((m) => m.target.metric)).toEqual(["lost"]);
    const reference = await challenges["at-most-once-warmup"].check({ commit: "before-processing", batchSize: 2 });
    expect(reference.passed).toBe(true);
  });

  it("at-least-once-warmup: a plain charge double-charges; dedup by id passes", async () => {
    const starter = await challenges["at-least-once-warmup"].check({ commit: "after-processing", apply: charge });
    expect(starter.misses.map((m) => m.target.metric)).toEqual(["doubleCharges"]);
    const reference = await challenges["at-least-once-warmup"].check({
      commit: "after-processing",
      apply: (p, db) => {
        if (db.processed.has(p.id)) return;
        db.processed.add(p.id);
        db.charge(p.id, p.amount);
      },
    });
    expect(reference.passed).toBe(true);
  });

  it("exactly-once-warmup: offsets outside the transaction or read_uncommitted duplicate; both right pass", async () => {
    const starter = await challenges["exactly-once-warmup"].check({ sendOffsetsInTransaction: false, readCommitted: false });
    expect(starter.misses.map((m) => m.target.metric)).toEqual(["duplicated"]);
    const reader = await challenges["exactly-once-warmup"].check({ sendOffsetsInTransaction: true, readCommitted: false });
    expect(reader.passed).toBe(false);
    const reference = await challenges["exactly-once-warmup"].check({ sendOffsetsInTransaction: true, readCommitted: true });
    expect(reference.passed).toBe(true);
  });

  it("rejects solutions of the wrong shape with a ConfigError", async () => {
    await expect(challenges["kafka-warmup"].check({ partitions: 0, consumers: 1, key: () => null })).rejects.toThrow(ConfigError);
    await expect(challenges["rabbitmq-warmup"].check({ prefetch: 1, onError: "retry" as never })).rejects.toThrow(/onError/);
  });
});
