// The Kafka log: retained after consumption, time and size retention, compaction, per-partition order.
import { describe, expect, it } from "vitest";
import { clusterOf } from "../../../src/lab/messaging/kafka/kafka";
import { Simulation } from "../../../src/lab/index";
import { Kafka, KafkaJSProtocolError, type KafkaMessage } from "../../../src/lab/messaging/index";

async function setup(topic: { topic: string; numPartitions: number; configEntries?: { name: string; value: string }[] }) {
  const sim = new Simulation({ seed: 11 });
  const kafka = new Kafka(sim, { brokers: 1 });
  const producer = kafka.producer();
  await sim.run(async () => {
    await kafka.admin().createTopics({ topics: [topic] });
    await producer.connect();
  });
  return { sim, kafka, producer };
}

async function readAll(sim: Simulation, kafka: Kafka, groupId: string, topic: string, ms = 200): Promise<KafkaMessage[]> {
  const got: KafkaMessage[] = [];
  const c = kafka.consumer({ groupId });
  await sim.run(async () => {
    await c.connect();
    await c.subscribe({ topics: [topic], fromBeginning: true });
    await c.run({ eachMessage: async ({ message }) => void got.push(message) });
    await sim.sleep(ms);
    await c.disconnect();
  });
  return got;
}

describe("Kafka log retention", () => {
  it("keeps records after they are consumed: a second group reads all of them again from offset 0", async () => {
    const { sim, kafka, producer } = await setup({ topic: "orders", numPartitions: 1 });
    await sim.run(() => producer.send({ topic: "orders", messages: Array.from({ length: 20 }, (_, i) => ({ value: `o${i}` })) }));
    const first = await readAll(sim, kafka, "billing", "orders");
    const second = await readAll(sim, kafka, "analytics", "orders");
    expect(first).toHaveLength(20);
    expect(second.map((m) => m.offset)).toEqual(first.map((m) => m.offset));
    expect(second[0]!.offset).toBe("0");
    // A group that already committed starts where it left off: nothing new.
    expect(await readAll(sim, kafka, "billing", "orders")).toHaveLength(0);
    // A new group without fromBeginning starts at the end (kafkajs default): nothing.
    const late: KafkaMessage[] = [];
    const c = kafka.consumer({ groupId: "late" });
    await sim.run(async () => {
      await c.connect();
      await c.subscribe({ topics: ["orders"] });
      await c.run({ eachMessage: async ({ message }) => void late.push(message) });
      await sim.sleep(100);
      await producer.send({ topic: "orders", messages: [{ value: "new" }] });
      await sim.sleep(100);
    });
    expect(late.map((m) => m.value)).toEqual(["new"]);
  });

  it("deletes whole closed segments older than retention.ms, never the active one", async () => {
    const { sim, kafka, producer } = await setup({
      topic: "clicks",
      numPartitions: 1,
      configEntries: [
        { name: "retention.ms", value: "60000" },
        { name: "segment.ms", value: "10000" },
      ],
    });
    // One record every second for 100 s: segments roll every 10 s, so each holds 10 records.
    const start = sim.now;
    await sim.run(async () => {
      for (let i = 0; i < 100; i++) {
        await sim.sleep(start + i * 1_000 - sim.now);
        await producer.send({ topic: "clicks", messages: [{ value: `c${i}` }] });
      }
    });
    const log = clusterOf(kafka).topics.get("clicks")!.partitions[0]!.log;
    // At the last write (99 s) the segments whose newest record was over 60 s old were gone: 0–39.
    expect(log.logStartOffset).toBe(40);
    await sim.runUntil(start + 110_000);
    const offsets = await sim.run(() => kafka.admin().fetchTopicOffsets("clicks"));
    // At 110 s segment 40–49 (newest record at 49 s) is past retention too; the active one (90–99) stays.
    expect(offsets).toEqual([{ partition: 0, offset: "100", high: "100", low: "50" }]);
    expect(log.removed.retention).toBe(50);
    // A new reader starts at the earliest offset still there.
    const got = await readAll(sim, kafka, "slow-reader", "clicks");
    expect(got[0]!.offset).toBe("50");
    expect(got).toHaveLength(50);
  });

  it("deletes the oldest segments when the partition is larger than retention.bytes", async () => {
    const { sim, kafka, producer } = await setup({
      topic: "logs",
      numPartitions: 1,
      configEntries: [
        { name: "retention.bytes", value: "2000" },
        { name: "segment.bytes", value: "1000" },
      ],
    });
    // Each record is 100 bytes of value + 70 of overhead = 170 bytes: 5 per 1 000-byte segment.
    await sim.run(async () => {
      for (let i = 0; i < 30; i++) await producer.send({ topic: "logs", messages: [{ value: "x".repeat(100) }] });
    });
    const log = clusterOf(kafka).topics.get("logs")!.partitions[0]!.log;
    expect(log.size).toBeLessThanOrEqual(2_000 + 1_000);
    expect(log.size - 850).toBeLessThan(2_000);
    expect(log.logStartOffset).toBe(15);
    expect(log.logEndOffset).toBe(30);
  });
});

describe("Kafka log compaction", () => {
  it("keeps the latest value per key in closed segments, with offsets unchanged, and drops old tombstones", async () => {
    const { sim, kafka, producer } = await setup({
      topic: "accounts",
      numPartitions: 1,
      configEntries: [
        { name: "cleanup.policy", value: "compact" },
        { name: "segment.ms", value: "1000" },
        { name: "delete.retention.ms", value: "5000" },
      ],
    });
    await sim.run(async () => {
      // Ten updates to three keys, then a tombstone for "carol".
      for (let i = 0; i < 10; i++) await producer.send({ topic: "accounts", messages: [{ key: ["alice", "bob", "carol"][i % 3]!, value: `v${i}` }] });
      await producer.send({ topic: "accounts", messages: [{ key: "carol", value: null }] });
      await sim.sleep(1_000);
      // This write rolls the segment; the cleaner compacts the closed one.
      await producer.send({ topic: "accounts", messages: [{ key: "dave", value: "v11" }] });
    });
    const log = clusterOf(kafka).topics.get("accounts")!.partitions[0]!.log;
    expect(log.records.map((r) => `${r.offset}:${String(r.key)}=${String(r.value)}`)).toEqual(["7:bob=v7", "9:alice=v9", "10:carol=null", "11:dave=v11"]);
    expect(log.removed.compaction).toBe(8);
    // A new reader rebuilds the state from offset 0: latest value per key, carol deleted.
    const got = await readAll(sim, kafka, "rebuild", "accounts");
    const state = new Map<string, string | null>();
    for (const m of got) state.set(String(m.key), m.value === null ? null : String(m.value));
    expect(Object.fromEntries(state)).toEqual({ bob: "v7", alice: "v9", carol: null, dave: "v11" });
    // Past delete.retention.ms the tombstone goes at the next compaction.
    await sim.run(async () => {
      await sim.sleep(6_000);
      await producer.send({ topic: "accounts", messages: [{ key: "erin", value: "v12" }] });
    });
    expect(log.records.map((r) => String(r.key))).toEqual(["bob", "alice", "dave", "erin"]);
  });

  it("refuses keyless records on a compacted topic", async () => {
    const { sim, producer } = await setup({ topic: "accounts", numPartitions: 1, configEntries: [{ name: "cleanup.policy", value: "compact" }] });
    const error = await sim.run(() => producer.send({ topic: "accounts", messages: [{ value: "no key" }] }).catch((e: unknown) => e));
    expect(error).toBeInstanceOf(KafkaJSProtocolError);
    expect(error).toMatchObject({ type: "INVALID_RECORD", code: 87 });
  });
});

describe("Kafka ordering", () => {
  it("keeps order within each partition but not across partitions", async () => {
    const { sim, kafka, producer } = await setup({ topic: "events", numPartitions: 3 });
    await sim.run(async () => {
      // Keyless: round robin, so consecutive sequence numbers land on different partitions.
      for (let i = 0; i < 30; i++) await producer.send({ topic: "events", messages: [{ value: String(i) }] });
    });
    const seen: { partition: number; seq: number }[] = [];
    const c = kafka.consumer({ groupId: "reader" });
    await sim.run(async () => {
      await c.connect();
      await c.subscribe({ topics: ["events"], fromBeginning: true });
      await c.run({ eachMessage: async ({ partition, message }) => void seen.push({ partition, seq: Number(message.value) }) });
      await sim.sleep(200);
    });
    expect(seen).toHaveLength(30);
    for (const p of [0, 1, 2]) {
      const s = seen.filter((x) => x.partition === p).map((x) => x.seq);
      expect(s).toEqual([...s].sort((a, b) => a - b));
    }
    // Across partitions the consumer sees partition 0's batch first: 0, 3, 6, … before 1.
    const global = seen.map((x) => x.seq);
    expect(global).not.toEqual([...global].sort((a, b) => a - b));
    expect(global.slice(0, 3)).toEqual([0, 3, 6]);
  });
});
