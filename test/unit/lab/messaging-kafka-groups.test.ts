// Consumer groups: assignment strategies, rebalances, commits (duplicates and loss), seek, lag.
import { describe, expect, it } from "vitest";
import { Simulation } from "../../../src/lab/index";
import { Kafka, PartitionAssigners, KafkaJSNonRetriableError, type Consumer, type PartitionAssigner } from "../../../src/lab/messaging/index";

describe("assignment strategies (pure)", () => {
  const members = (n: number, topics = ["a"]) => Array.from({ length: n }, (_, i) => ({ memberId: `m${i + 1}`, topics }));

  it("range: contiguous blocks per topic, the first members get the extras", () => {
    const out = PartitionAssigners.range.assign({ members: members(3, ["a", "b"]), partitions: new Map([["a", 7], ["b", 2]]), previous: {} });
    expect(out).toEqual({ m1: { a: [0, 1, 2], b: [0] }, m2: { a: [3, 4], b: [1] }, m3: { a: [5, 6] } });
  });

  it("round robin: partitions of every topic dealt one by one", () => {
    const out = PartitionAssigners.roundRobin.assign({ members: members(3, ["a", "b"]), partitions: new Map([["a", 7], ["b", 2]]), previous: {} });
    // kafkajs: topicPartitions.forEach((tp, i) => assign to sortedMembers[i % n]).
    expect(out).toEqual({ m1: { a: [0, 3, 6] }, m2: { a: [1, 4], b: [0] }, m3: { a: [2, 5], b: [1] } });
  });

  it("cooperative sticky: a member joining takes partitions from others without moving the rest", () => {
    const before = PartitionAssigners.cooperativeSticky.assign({ members: members(2), partitions: new Map([["a", 6]]), previous: {} });
    expect(before).toEqual({ m1: { a: [0, 2, 4] }, m2: { a: [1, 3, 5] } });
    const after = PartitionAssigners.cooperativeSticky.assign({ members: members(3), partitions: new Map([["a", 6]]), previous: before });
    expect(after).toEqual({ m1: { a: [0, 2] }, m2: { a: [1, 3] }, m3: { a: [4, 5] } });
    // Round robin would have moved 4 of the 6 partitions for the same join.
    const rr = PartitionAssigners.roundRobin.assign({ members: members(3), partitions: new Map([["a", 6]]), previous: {} });
    expect(rr).toEqual({ m1: { a: [0, 3] }, m2: { a: [1, 4] }, m3: { a: [2, 5] } });
  });
});

async function group(assigner: PartitionAssigner, n: number, partitions = 6) {
  const sim = new Simulation({ seed: 9 });
  const kafka = new Kafka(sim, { brokers: 3 });
  const consumers: Consumer[] = [];
  const seen: { by: string; partition: number; offset: number }[] = [];
  await sim.run(() => kafka.admin().createTopics({ topics: [{ topic: "orders", numPartitions: partitions, replicationFactor: 3 }] }));
  const add = async (i: number) => {
    const c = kafka.consumer({ groupId: "billing", name: `billing-${i}`, partitionAssigners: [assigner] });
    await c.connect();
    await c.subscribe({ topics: ["orders"], fromBeginning: true });
    await c.run({
      eachMessage: async ({ partition, message }) => {
        await sim.sleep(10);
        seen.push({ by: c.node.name, partition, offset: Number(message.offset) });
      },
    });
    consumers.push(c);
    return c;
  };
  await sim.run(async () => {
    for (let i = 1; i <= n; i++) await add(i);
    await sim.sleep(100);
  });
  return { sim, kafka, consumers, seen, add };
}

describe("rebalances", () => {
  it("eager (round robin): a join revokes every partition; cooperative sticky revokes only the moved ones", async () => {
    const eager = await group(PartitionAssigners.roundRobin, 2);
    await eager.sim.run(() => eager.add(3).then(() => eager.sim.sleep(100)));
    const e = eager.kafka.rebalances("billing").rows.at(-1)!;
    expect(e).toMatchObject({ members: 3, protocol: "RoundRobinAssigner", revoked: 6, moved: 4 });

    const coop = await group(PartitionAssigners.cooperativeSticky, 2);
    await coop.sim.run(() => coop.add(3).then(() => coop.sim.sleep(100)));
    const c = coop.kafka.rebalances("billing").rows.at(-1)!;
    expect(c).toMatchObject({ members: 3, protocol: "CooperativeStickyAssignor", revoked: 2, moved: 2 });
    expect(coop.consumers.map((x) => x.assignment().length)).toEqual([2, 2, 2]);
  });

  it("a consumer that leaves (stop) triggers a rebalance at once, not after the session timeout", async () => {
    const g = await group(PartitionAssigners.range, 3);
    const t0 = g.sim.now;
    await g.sim.run(() => g.consumers[2]!.stop());
    const last = g.kafka.rebalances("billing").rows.at(-1)!;
    expect(last.reason).toBe("billing-3 left");
    expect(last.time - t0).toBeLessThan(10);
    await g.sim.runFor(100);
    expect(g.consumers.slice(0, 2).map((c) => c.assignment().map((tp) => tp.partition))).toEqual([[0, 1, 2], [3, 4, 5]]);
  });

  it("refuses members with different assignors", async () => {
    const g = await group(PartitionAssigners.range, 1);
    const other = g.kafka.consumer({ groupId: "billing", partitionAssigners: [PartitionAssigners.roundRobin] });
    const error = await g.sim.run(async () => {
      await other.connect();
      await other.subscribe({ topics: ["orders"] });
      return other.run({ eachMessage: async () => undefined }).catch((e: unknown) => e);
    });
    expect(String(error)).toContain("INCONSISTENT_GROUP_PROTOCOL");
  });
});

describe("commits: where a crash lands decides duplicates or loss", () => {
  async function crashMidBatch(mode: "process-then-commit" | "commit-then-process") {
    const sim = new Simulation({ seed: 4 });
    const kafka = new Kafka(sim, { brokers: 1 });
    const applied: number[] = [];
    await sim.run(async () => {
      await kafka.admin().createTopics({ topics: [{ topic: "jobs", numPartitions: 1 }] });
      const p = kafka.producer();
      await p.connect();
      await p.send({ topic: "jobs", messages: Array.from({ length: 10 }, (_, i) => ({ value: String(i) })) });
    });
    const make = (name: string) => kafka.consumer({ groupId: "workers", name, sessionTimeout: 6_000, heartbeatInterval: 2_000 });
    const first = make("worker-1");
    const run = async (c: Consumer) => {
      await c.connect();
      await c.subscribe({ topics: ["jobs"], fromBeginning: true });
      await c.run({
        autoCommit: mode === "process-then-commit",
        eachBatch: async ({ batch, resolveOffset, isRunning }) => {
          if (mode === "commit-then-process") await c.commitOffsets([{ topic: "jobs", partition: 0, offset: String(Number(batch.lastOffset()) + 1) }]);
          for (const m of batch.messages) {
            if (!isRunning()) return;
            await sim.sleep(10);
            if (!isRunning()) return;
            applied.push(Number(m.value));
            resolveOffset(m.offset);
            // The process dies right after the 4th job's effect.
            if (Number(m.value) === 3 && c === first) sim.faults.crash(c.node.name);
          }
        },
      });
    };
    await sim.run(async () => {
      await run(first);
      await sim.sleep(500);
      await run(make("worker-2"));
      await sim.sleep(10_000);
    });
    return applied;
  }

  it("process, then commit (at-least-once): jobs 0–3 run twice", async () => {
    const applied = await crashMidBatch("process-then-commit");
    expect(applied).toEqual([0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("commit, then process (at-most-once): jobs 4–9 are never run", async () => {
    const applied = await crashMidBatch("commit-then-process");
    expect(applied).toEqual([0, 1, 2, 3]);
  });
});

describe("seek, lag and misuse", () => {
  it("seek moves the position (and the next commit); lag is high watermark − committed", async () => {
    const sim = new Simulation({ seed: 2 });
    const kafka = new Kafka(sim, { brokers: 1 });
    const got: number[] = [];
    const c = kafka.consumer({ groupId: "g" });
    await sim.run(async () => {
      await kafka.admin().createTopics({ topics: [{ topic: "t", numPartitions: 2 }] });
      const p = kafka.producer();
      await p.connect();
      await p.send({ topic: "t", messages: Array.from({ length: 10 }, (_, i) => ({ value: String(i), partition: 0 })) });
      await p.send({ topic: "t", messages: Array.from({ length: 4 }, (_, i) => ({ value: String(100 + i), partition: 1 })) });
      expect(() => c.seek({ topic: "t", partition: 0, offset: "0" })).toThrow(KafkaJSNonRetriableError);
      await c.connect();
      await c.subscribe({ topics: ["t"], fromBeginning: true });
      await c.run({ eachMessage: async ({ message }) => void got.push(Number(message.value)) });
      await sim.sleep(50);
      c.seek({ topic: "t", partition: 0, offset: "7" });
      await sim.sleep(50);
    });
    expect(got.filter((v) => v < 100)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 7, 8, 9]);
    const lag = kafka.lag("g");
    expect(lag.total).toBe(0);
    expect(lag.rows.map((r) => [r.partition, r.committed, r.highWatermark])).toEqual([
      [0, 10, 10],
      [1, 4, 4],
    ]);
    await sim.run(async () => {
      await c.stop();
      const p = kafka.producer();
      await p.connect();
      await p.send({ topic: "t", messages: Array.from({ length: 5 }, () => ({ value: "x", partition: 1 })) });
    });
    expect(kafka.lag("g").rows.map((r) => r.lag)).toEqual([0, 5]);
  });

  it("validates consumer options like kafkajs", () => {
    const sim = new Simulation();
    const kafka = new Kafka(sim);
    expect(() => kafka.consumer({ groupId: "" })).toThrow("Consumer groupId must be a non-empty string.");
    expect(() => kafka.consumer({ groupId: "g", sessionTimeout: 3_000, heartbeatInterval: 3_000 })).toThrow(/heartbeatInterval \(3000\) must be lower than sessionTimeout \(3000\)/);
    expect(() => new Kafka(sim, { brokers: 0, name: "k2" })).toThrow(/brokers must be a whole number ≥ 1, got 0/);
  });
});
