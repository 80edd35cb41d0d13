// Kafka clients know the brokers only through answers that crossed the simulated network.
import { describe, expect, it } from "vitest";
import { Simulation } from "../../../src/lab/index";
import { Kafka, KafkaJSProtocolError, KafkaJSRequestTimeoutError } from "../../../src/lab/messaging/index";
import { KafkaCluster } from "../../../src/lab/messaging/kafka/cluster";
import { PartitionLog } from "../../../src/lab/messaging/kafka/log";
import { GroupCoordinator } from "../../../src/lab/messaging/kafka/group";

/** Every object reachable from `root` through properties (not through the shared simulation). */
function reachable(root: object, sim: Simulation): Set<object> {
  const seen = new Set<object>();
  const queue: object[] = [root];
  while (queue.length > 0) {
    const o = queue.pop()!;
    if (seen.has(o) || o === sim) continue;
    seen.add(o);
    const values = o instanceof Map ? [...o.keys(), ...o.values()] : o instanceof Set ? [...o] : Object.values(o);
    for (const v of values) if (v !== null && typeof v === "object") queue.push(v);
  }
  return seen;
}

describe("Kafka clients and broker state", () => {
  it("Kafka is a client factory: broker internals are neither typed nor present on it", () => {
    const sim = new Simulation();
    const kafka = new Kafka(sim, { brokers: 3 });
    // @ts-expect-error the cluster's replication is not part of the client factory
    expect(kafka.scheduleReplication).toBeUndefined();
    // @ts-expect-error nor is a broker's fetch
    expect(kafka.fetchPartition).toBeUndefined();
    // @ts-expect-error nor the transaction coordinator's state
    expect(kafka.transactionalIds).toBeUndefined();
    for (const name of ["topics", "groups", "request", "produce", "group", "partitionState", "brokerNode"]) expect(name in kafka).toBe(false);
    expect(kafka).not.toBeInstanceOf(KafkaCluster);
    expect(kafka.cluster.brokers).toEqual(["kafka-0", "kafka-1", "kafka-2"]);
  });

  it("no producer, consumer or admin client can reach a log, a coordinator or the cluster", async () => {
    const sim = new Simulation({ seed: 2 });
    const kafka = new Kafka(sim, { brokers: 3 });
    const producer = kafka.producer({ transactionalId: "tx" });
    const consumer = kafka.consumer({ groupId: "g" });
    const admin = kafka.admin();
    await sim.run(async () => {
      await admin.createTopics({ topics: [{ topic: "t", numPartitions: 2, replicationFactor: 3 }] });
      await producer.connect();
      const txn = await producer.transaction();
      await txn.send({ topic: "t", messages: [{ value: "x" }, { value: "y", partition: 1 }] });
      await txn.commit();
      await consumer.connect();
      await consumer.subscribe({ topics: ["t"], fromBeginning: true });
      await consumer.run({ eachMessage: async () => {} });
      await sim.sleep(200);
    });
    for (const client of [producer, consumer, admin]) {
      const objects = [...reachable(client, sim)];
      expect(objects.length).toBeGreaterThan(3);
      expect(objects.filter((o) => o instanceof KafkaCluster || o instanceof PartitionLog || o instanceof GroupCoordinator)).toEqual([]);
    }
    // The same walk from the operator's view finds nothing either: it hands out snapshots.
    expect([...reachable(kafka.cluster, sim)].filter((o) => o instanceof KafkaCluster || o instanceof PartitionLog)).toEqual([]);
  });

  it("a consumer's high watermark and lag come from fetch answers: cut off from the leader, it sees no new writes", async () => {
    const sim = new Simulation({ seed: 3 });
    const kafka = new Kafka(sim, { brokers: 3 });
    const seen: { highWatermark: number; lag: number; count: number }[] = [];
    const consumer = kafka.consumer({ groupId: "g", sessionTimeout: 120_000, heartbeatInterval: 3_000 });
    const producer = kafka.producer();
    const leader = await sim.run(async () => {
      await kafka.admin().createTopics({ topics: [{ topic: "t", numPartitions: 1, replicationFactor: 1 }] });
      await producer.connect();
      await producer.send({ topic: "t", messages: Array.from({ length: 5 }, (_, i) => ({ value: String(i) })) });
      await consumer.connect();
      await consumer.subscribe({ topics: ["t"], fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch }) => void seen.push({ highWatermark: Number(batch.highWatermark), lag: Number(batch.offsetLagLow()), count: batch.messages.length }),
      });
      await sim.sleep(500);
      return kafka.cluster.partition("t", 0).leader;
    });
    expect(seen.reduce((a, s) => a + s.count, 0)).toBe(5);
    expect(seen.at(-1)!.highWatermark).toBe(5);

    // Cut the consumer off from the partition's leader, then write five more.
    sim.faults.partition(consumer.node.name, kafka.cluster.brokers[leader]!);
    const before = seen.length;
    await sim.run(async () => {
      await producer.send({ topic: "t", messages: Array.from({ length: 5 }, (_, i) => ({ value: String(5 + i) })) });
      await sim.sleep(10_000);
    });
    expect(kafka.cluster.partition("t", 0).highWatermark).toBe(10);
    expect(seen.length).toBe(before);
    expect(kafka.lag("g").total).toBe(5);

    // Healed: the next answer that gets through carries the new high watermark and the records.
    sim.faults.heal();
    await sim.run(() => sim.sleep(40_000));
    expect(seen.reduce((a, s) => a + s.count, 0)).toBe(10);
    expect(seen.at(-1)!.highWatermark).toBe(10);
    expect(seen.slice(before).every((s) => s.lag >= 0 && s.lag < 5)).toBe(true);
  });

  it("a fenced transactional producer learns it from the brokers' answers (INVALID_PRODUCER_EPOCH, code 47)", async () => {
    const sim = new Simulation({ seed: 4 });
    const kafka = new Kafka(sim, { brokers: 3 });
    const zombie = kafka.producer({ transactionalId: "payments-tx" });
    const fresh = kafka.producer({ transactionalId: "payments-tx" });
    const result = await sim.run(async () => {
      await kafka.admin().createTopics({ topics: [{ topic: "a", numPartitions: 1 }, { topic: "b", numPartitions: 1 }] });
      await zombie.connect();
      const txn = await zombie.transaction();
      await txn.send({ topic: "a", messages: [{ value: "1" }] });
      await fresh.connect();
      // A partition it already wrote to: the leader refuses the old epoch.
      const sentAt = sim.now;
      const produce = await txn.send({ topic: "a", messages: [{ value: "2" }] }).catch((e: unknown) => e);
      const produceMs = sim.now - sentAt;
      // A new partition: AddPartitionsToTxn at the coordinator refuses it.
      const add = await txn.send({ topic: "b", messages: [{ value: "3" }] }).catch((e: unknown) => e);
      const end = await txn.commit().catch((e: unknown) => e);
      return { produce, produceMs, add, end };
    });
    for (const error of [result.produce, result.add, result.end]) {
      expect(error).toBeInstanceOf(KafkaJSProtocolError);
      expect(error).toMatchObject({ type: "INVALID_PRODUCER_EPOCH", code: 47, retriable: false });
    }
    // The refusal is an answer: it took a round trip (1 ms each way by default).
    expect(result.produceMs).toBeGreaterThanOrEqual(2);
  });

  it("a zombie cut off from the brokers cannot learn it is fenced: its requests time out instead", async () => {
    const sim = new Simulation({ seed: 4 });
    const kafka = new Kafka(sim, { brokers: 1, requestTimeout: 5_000 });
    const zombie = kafka.producer({ transactionalId: "tx" });
    const fresh = kafka.producer({ transactionalId: "tx" });
    const error = await sim.run(async () => {
      await kafka.admin().createTopics({ topics: [{ topic: "a", numPartitions: 1 }] });
      await zombie.connect();
      const txn = await zombie.transaction();
      await txn.send({ topic: "a", messages: [{ value: "1" }] });
      await fresh.connect();
      sim.faults.partition(zombie.node.name, kafka.cluster.brokers[0]!);
      return txn.commit().catch((e: unknown) => e);
    });
    expect(error).toBeInstanceOf(KafkaJSRequestTimeoutError);
  });
});
