import { describe, expect, it } from "vitest";
import { clusterOf } from "../../../src/lab/messaging/kafka/kafka";
import { createRequire } from "node:module";
import { Simulation } from "../../../src/lab/index";
import { Kafka, Partitioners, PartitionAssigners, murmur2, KafkaJSProtocolError, type KafkaMessage } from "../../../src/lab/messaging/index";

const require = createRequire(import.meta.url);
// kafkajs's own default partitioner, for the compatibility check only (the lab never imports kafkajs).
const kafkajs = require("kafkajs") as { Partitioners: { DefaultPartitioner: () => (args: { topic: string; partitionMetadata: { partitionId: number; leader: number }[]; message: { key?: string | Buffer; value: string | null } }) => number } };

async function cluster(topics: { topic: string; numPartitions: number; replicationFactor?: number; configEntries?: { name: string; value: string }[] }[], options: ConstructorParameters<typeof Kafka>[1] = {}) {
  const sim = new Simulation({ seed: 7 });
  const kafka = new Kafka(sim, { brokers: 3, ...options });
  await sim.run(() => kafka.admin().createTopics({ topics }));
  return { sim, kafka };
}

describe("Kafka partitioner", () => {
  it("puts each key on the partition kafkajs's DefaultPartitioner computes", () => {
    const ours = Partitioners.DefaultPartitioner();
    const theirs = kafkajs.Partitioners.DefaultPartitioner();
    const meta = [0, 1, 2].map((partitionId) => ({ partitionId, leader: partitionId, replicas: [partitionId], isr: [partitionId], partitionErrorCode: 0 }));
    const keys = Array.from({ length: 9 }, (_, i) => `user-${i + 1}`);
    const mine = keys.map((key) => ours({ topic: "orders", partitionMetadata: meta, message: { key, value: "x" } }));
    const real = keys.map((key) => theirs({ topic: "orders", partitionMetadata: meta, message: { key, value: "x" } }));
    expect(mine).toEqual(real);
    // All three partitions get keys (the hash spreads them).
    expect(new Set(mine).size).toBe(3);
    // More keys, other partition counts, non-ASCII keys: still identical.
    for (const n of [1, 2, 5, 6, 12]) {
      const m = Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
      for (const key of ["", "a", "ab", "abc", "abcd", "ключ-7", "🙂 emoji", "order-123456789"]) {
        expect(ours({ topic: "t", partitionMetadata: m, message: { key, value: null } })).toBe(theirs({ topic: "t", partitionMetadata: m, message: { key, value: null } }));
      }
    }
  });

  it("matches Kafka's murmur2 test vectors", () => {
    // Values from Kafka's UtilsTest / kafkajs murmur2.spec.
    const enc = (s: string) => new Uint8Array(Buffer.from(s));
    expect(murmur2(enc("21"))).toBe(-973932308);
    expect(murmur2(enc("foobar"))).toBe(-790332482);
    expect(murmur2(enc("a-little-bit-long-string"))).toBe(-985981536);
    expect(murmur2(enc("a-little-bit-longer-string"))).toBe(-1486304829);
    expect(murmur2(enc("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"))).toBe(-58897971);
  });

  it("sends every message of a key to one partition, in order", async () => {
    const { sim, kafka } = await cluster([{ topic: "orders", numPartitions: 3 }]);
    const producer = kafka.producer();
    const meta = await sim.run(async () => {
      await producer.connect();
      const out = [];
      for (let round = 0; round < 3; round++) {
        out.push(...(await producer.send({ topic: "orders", messages: Array.from({ length: 9 }, (_, i) => ({ key: `user-${i + 1}`, value: `${round}` })) })));
      }
      return out;
    });
    expect(meta[0]).toMatchObject({ topicName: "orders", errorCode: 0, baseOffset: "0" });
    expect(typeof meta[0]!.partition).toBe("number");
    const log = (p: number) => clusterOf(kafka).topics.get("orders")!.partitions[p]!.log.records.map((r) => `${String(r.key)}:${String(r.value)}`);
    const all = [0, 1, 2].flatMap((p) => log(p).map((x) => ({ p, x })));
    expect(all).toHaveLength(27);
    for (let i = 1; i <= 9; i++) {
      const places = all.filter((e) => e.x.startsWith(`user-${i}:`));
      expect(new Set(places.map((e) => e.p)).size).toBe(1);
      expect(places.map((e) => e.x.split(":")[1])).toEqual(["0", "1", "2"]);
    }
  });
});

describe("Kafka unknown topic", () => {
  const sendTo = async (topic: string, options: ConstructorParameters<typeof Kafka>[1] = {}, producerOptions: { allowAutoTopicCreation?: boolean } = {}) => {
    const { sim, kafka } = await cluster([{ topic: "orders", numPartitions: 3 }], options);
    const producer = kafka.producer(producerOptions);
    const result = await sim.run(async () => {
      await producer.connect();
      return producer.send({ topic, messages: [{ value: "x" }] }).catch((e: unknown) => e);
    });
    const topics = await sim.run(() => kafka.admin().fetchTopicMetadata());
    return { result, topics: topics.topics.map((t) => [t.name, t.partitions.length]) };
  };

  it("creates a topic on first send, as Apache Kafka's broker and kafkajs do by default: one partition", async () => {
    const { result, topics } = await sendTo("ordres");
    expect(result).toEqual([expect.objectContaining({ topicName: "ordres", partition: 0, errorCode: 0 })]);
    expect(topics).toEqual(expect.arrayContaining([["orders", 3], ["ordres", 1]]));
  });

  it("refuses the send when the broker or the producer turns auto-creation off", async () => {
    for (const [broker, producer] of [[{ allowAutoTopicCreation: false }, {}], [{}, { allowAutoTopicCreation: false }]] as const) {
      const { result, topics } = await sendTo("ordres", broker, producer);
      expect(result).toBeInstanceOf(KafkaJSProtocolError);
      expect(result).toMatchObject({ type: "UNKNOWN_TOPIC_OR_PARTITION", code: 3, name: "KafkaJSProtocolError" });
      expect(String((result as Error).message)).toContain("orders");
      expect(topics).toEqual([["orders", 3]]);
    }
  });
});

describe("Kafka consumer groups", () => {
  it("3 consumers on 6 partitions get 2 each; after one crashes the survivors get 3 each at the session timeout and resume from committed offsets", async () => {
    const { sim, kafka } = await cluster([{ topic: "orders", numPartitions: 6, replicationFactor: 3 }]);
    const producer = kafka.producer();
    const seen: { by: string; offset: number; partition: number; t: number }[] = [];
    const consumers = [1, 2, 3].map((i) => kafka.consumer({ groupId: "billing", name: `billing-${i}` }));
    await sim.run(async () => {
      await producer.connect();
      for (const c of consumers) {
        await c.connect();
        await c.subscribe({ topics: ["orders"], fromBeginning: true });
      }
      for (const c of consumers) {
        await c.run({
          eachMessage: async ({ partition, message }) => {
            await sim.sleep(10);
            seen.push({ by: c.node.name, offset: Number(message.offset), partition, t: sim.now });
          },
        });
      }
      await sim.sleep(100);
    });
    expect(consumers.map((c) => c.assignment().length)).toEqual([2, 2, 2]);
    // Produce 60 messages, 10 per partition, then crash billing-3 at t=2 000.
    await sim.run(async () => {
      for (let p = 0; p < 6; p++) await producer.send({ topic: "orders", messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}`, partition: p })) });
      await sim.sleep(2_000);
    });
    const crashAt = sim.now;
    sim.faults.crash("billing-3");
    const before = seen.length;
    expect(before).toBe(60);
    // The last heartbeat came less than 3 s before the crash: the session (30 s) ends 27–30 s after it.
    await sim.runFor(26_999);
    expect(consumers.slice(0, 2).map((c) => c.assignment().length)).toEqual([2, 2]);
    await sim.runFor(3_100);
    expect(consumers.slice(0, 2).map((c) => c.assignment().length)).toEqual([3, 3]);
    const rebalance = kafka.rebalances("billing").rows.at(-1)!;
    expect(rebalance.reason).toContain("session timed out");
    // Removed between 30 and 33 s after the crash (last heartbeat was up to 3 s before it).
    expect(rebalance.time - crashAt).toBeGreaterThan(27_000);
    expect(rebalance.time - crashAt).toBeLessThanOrEqual(30_000);
    // Everything was committed before the crash: nothing is read twice.
    expect(seen.length).toBe(60);
    // New messages on billing-3's old partitions are read by the survivors.
    await sim.run(async () => {
      for (let p = 0; p < 6; p++) await producer.send({ topic: "orders", messages: [{ value: "late", partition: p }] });
      await sim.sleep(1_000);
    });
    const late = seen.slice(60);
    expect(late).toHaveLength(6);
    expect(new Set(late.map((s) => s.by))).toEqual(new Set(["billing-1", "billing-2"]));
    expect(late.every((s) => s.offset === 10)).toBe(true);
  });
});

describe("Kafka smoke", () => {
  it("consumes what was produced, in order per partition", async () => {
    const { sim, kafka } = await cluster([{ topic: "t", numPartitions: 2 }]);
    const p = kafka.producer();
    const c = kafka.consumer({ groupId: "g" });
    const got: KafkaMessage[] = [];
    await sim.run(async () => {
      await p.connect();
      await c.connect();
      await c.subscribe({ topics: ["t"], fromBeginning: true });
      await c.run({ eachMessage: async ({ message }) => void got.push(message) });
      await p.send({ topic: "t", messages: [{ key: "a", value: "1" }, { key: "a", value: "2" }] });
      await sim.sleep(50);
    });
    expect(got.map((m) => m.value)).toEqual(["1", "2"]);
    expect(PartitionAssigners.range.name).toBe("RangeAssignor");
  });
});
