// Producer guarantees: acks and min.insync.replicas, leader failover, idempotent dedup, transactions.
import { describe, expect, it } from "vitest";
import { clusterOf } from "../../../src/lab/messaging/kafka/kafka";
import { Simulation } from "../../../src/lab/index";
import { Kafka, KafkaJSProtocolError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, type KafkaMessage } from "../../../src/lab/messaging/index";

async function setup(options: { minIsr?: string; brokers?: number; rf?: number } = {}) {
  const sim = new Simulation({ seed: 5 });
  const kafka = new Kafka(sim, { brokers: options.brokers ?? 3 });
  await sim.run(() =>
    kafka.admin().createTopics({ topics: [{ topic: "payments", numPartitions: 1, replicationFactor: options.rf ?? 3, configEntries: options.minIsr ? [{ name: "min.insync.replicas", value: options.minIsr }] : [] }] }),
  );
  return { sim, kafka, p: clusterOf(kafka).topics.get("payments")!.partitions[0]! };
}

describe("Kafka acks and min.insync.replicas", () => {
  it("acks=all waits for the followers; acks=1 only for the leader; acks=0 for nothing", async () => {
    const { sim, kafka } = await setup();
    const producer = kafka.producer();
    const times = await sim.run(async () => {
      await producer.connect();
      const t0 = sim.now;
      await producer.send({ topic: "payments", messages: [{ value: "a" }], acks: -1 });
      const all = sim.now - t0;
      const t1 = sim.now;
      await producer.send({ topic: "payments", messages: [{ value: "b" }], acks: 1 });
      const one = sim.now - t1;
      const t2 = sim.now;
      const meta = await producer.send({ topic: "payments", messages: [{ value: "c" }], acks: 0 });
      return { all, one, zero: sim.now - t2, meta };
    });
    // 1 ms each way; acks=all adds the followers' 2 ms copy.
    expect(times).toMatchObject({ all: 4, one: 2, zero: 0 });
    expect(times.meta).toEqual([{ topicName: "payments", partition: 0, errorCode: 0, baseOffset: "-1", logAppendTime: "-1", logStartOffset: "-1" }]);
  });

  it("refuses acks=all with NOT_ENOUGH_REPLICAS once the ISR is below min.insync.replicas, but acks=1 still goes through", async () => {
    const { sim, kafka, p } = await setup({ minIsr: "2" });
    const producer = kafka.producer({ retry: { retries: 0 } });
    const followers = p.replicas.filter((b) => b !== p.leader);
    for (const b of followers) sim.faults.crash(kafka.cluster.brokers[b]!);
    const out = await sim.run(async () => {
      await producer.connect();
      // Before the controller fences the followers (9 s) the ISR still lists them: acks=all waits.
      const t0 = sim.now;
      const first = await producer.send({ topic: "payments", messages: [{ value: "waits" }] });
      const waited = sim.now - t0;
      const error = await producer.send({ topic: "payments", messages: [{ value: "refused" }] }).catch((e: unknown) => e);
      const one = await producer.send({ topic: "payments", messages: [{ value: "leader only" }], acks: 1 });
      return { first, waited, error, one, isr: [...p.isr] };
    });
    expect(out.waited).toBeGreaterThan(8_000);
    expect(out.waited).toBeLessThan(9_100);
    expect(out.isr).toEqual([p.leader]);
    expect(out.error).toBeInstanceOf(KafkaJSNumberOfRetriesExceeded);
    expect((out.error as { cause: unknown }).cause).toMatchObject({ name: "KafkaJSProtocolError", type: "NOT_ENOUGH_REPLICAS", code: 19 });
    expect(out.one[0]).toMatchObject({ errorCode: 0, baseOffset: "1" });
  });

  it("loses acks=1 records that the old leader had not copied when a follower takes over", async () => {
    const { sim, kafka, p } = await setup();
    const producer = kafka.producer();
    const leader = p.leader;
    // The followers are cut off from the leader (but not from the controller): they stop copying.
    for (const b of p.replicas) if (b !== leader) sim.faults.partition(kafka.cluster.brokers[leader]!, kafka.cluster.brokers[b]!);
    await sim.run(async () => {
      await producer.connect();
      for (let i = 0; i < 5; i++) await producer.send({ topic: "payments", messages: [{ value: `p${i}` }], acks: 1 });
    });
    expect(p.log.logEndOffset).toBe(5);
    expect(p.log.highWatermark).toBe(0);
    sim.faults.crash(kafka.cluster.brokers[leader]!);
    sim.faults.heal();
    await sim.runFor(10_000);
    expect(p.leader).not.toBe(leader);
    expect(p.log.logEndOffset).toBe(0);
    expect(p.log.removed.truncation).toBe(5);
  });
});

describe("Kafka leader failover", () => {
  it("moves leadership to an in-sync follower 9 s after the leader dies; with every replica down the partition is offline until the last in-sync one returns", async () => {
    const { sim, kafka, p } = await setup({ brokers: 3, rf: 2 });
    const [first, second] = p.replicas as [number, number];
    sim.faults.crash(kafka.cluster.brokers[first]!);
    await sim.runFor(8_999);
    expect(p.leader).toBe(first);
    await sim.runFor(2);
    expect([p.leader, p.isr]).toEqual([second, [second]]);
    sim.faults.crash(kafka.cluster.brokers[second]!);
    await sim.runFor(9_001);
    // The last in-sync replica stays in the ISR; nobody leads.
    expect([p.leader, p.isr]).toEqual([-1, [second]]);
    const producer = kafka.producer({ retry: { retries: 1 } });
    const error = await sim.run(async () => {
      await producer.connect();
      return producer.send({ topic: "payments", messages: [{ value: "x" }] }).catch((e: unknown) => e);
    });
    expect((error as { cause: unknown }).cause).toMatchObject({ type: "LEADER_NOT_AVAILABLE", code: 5 });
    // The out-of-sync replica coming back may not lead (no unclean election)…
    sim.faults.restart(kafka.cluster.brokers[first]!);
    expect(p.leader).toBe(-1);
    // …the last in-sync one may.
    sim.faults.restart(kafka.cluster.brokers[second]!);
    expect(p.leader).toBe(second);
  });
});

describe("Kafka idempotent producer", () => {
  async function lostAnswers(idempotent: boolean) {
    const { sim, kafka, p } = await setup();
    const producer = kafka.producer({ idempotent, name: "checkout" });
    await sim.run(() => producer.connect());
    const leader = kafka.cluster.brokers[p.leader]!;
    // Answers from the leader to the producer are lost for 5 s: the batch is written, the producer times out and retries.
    sim.faults.partition(leader, "checkout", { oneWay: true });
    sim.faults.heal(leader, "checkout", { at: sim.now + 5_000 });
    const meta = await sim.run(() => producer.send({ topic: "payments", messages: [{ key: "order-1", value: "charge 10 €" }], timeout: 1_000 }));
    return { sim, p, meta, producer };
  }

  it("without idempotence a retry after a lost answer writes the record twice", async () => {
    const { p, producer } = await lostAnswers(false);
    expect(p.log.records.map((r) => r.value)).toEqual(["charge 10 €", "charge 10 €"]);
    expect(producer.stats.retries).toBe(1);
  });

  it("with idempotence the broker drops the retried batch by producer id and sequence", async () => {
    const { p, meta, producer } = await lostAnswers(true);
    expect(p.log.records.map((r) => r.value)).toEqual(["charge 10 €"]);
    expect(p.log.duplicatesDropped).toBe(1);
    expect(producer.stats.retries).toBe(1);
    expect(meta[0]!.baseOffset).toBe("0");
  });
});

describe("Kafka transactions", () => {
  async function readAs(sim: Simulation, kafka: Kafka, readUncommitted: boolean, groupId: string) {
    const got: KafkaMessage[] = [];
    const c = kafka.consumer({ groupId, readUncommitted });
    await sim.run(async () => {
      await c.connect();
      await c.subscribe({ topics: ["payments"], fromBeginning: true });
      await c.run({ eachMessage: async ({ message }) => void got.push(message) });
      await sim.sleep(100);
      await c.disconnect();
    });
    return got.map((m) => String(m.value));
  }

  it("read_committed consumers skip aborted records and wait for open transactions; read_uncommitted sees all", async () => {
    const { sim, kafka, p } = await setup();
    const producer = kafka.producer({ transactionalId: "tx-1" });
    await sim.run(async () => {
      await producer.connect();
      const t1 = await producer.transaction();
      await t1.send({ topic: "payments", messages: [{ value: "a1" }, { value: "a2" }] });
      await t1.commit();
      const t2 = await producer.transaction();
      await t2.send({ topic: "payments", messages: [{ value: "b1" }] });
      await t2.abort();
      const t3 = await producer.transaction();
      await t3.send({ topic: "payments", messages: [{ value: "c1" }] });
      // t3 stays open for now.
    });
    expect(await readAs(sim, kafka, false, "committed-1")).toEqual(["a1", "a2"]);
    expect(await readAs(sim, kafka, true, "uncommitted")).toEqual(["a1", "a2", "b1", "c1"]);
    // Markers take offsets: a1 a2 COMMIT b1 ABORT c1.
    expect(p.log.records.map((r) => r.control ?? String(r.value))).toEqual(["a1", "a2", "COMMIT", "b1", "ABORT", "c1"]);
    expect(kafka.cluster.partition("payments", 0).lastStableOffset).toBe(5);
  });

  it("commits output and consumer offsets together with sendOffsets", async () => {
    const { sim, kafka } = await setup();
    const producer = kafka.producer({ transactionalId: "tx-2" });
    await sim.run(async () => {
      await producer.connect();
      const t = await producer.transaction();
      await t.send({ topic: "payments", messages: [{ value: "out" }] });
      await t.sendOffsets({ consumerGroupId: "processor", topics: [{ topic: "payments", partitions: [{ partition: 0, offset: "42" }] }] });
      expect(await kafka.admin().fetchOffsets({ groupId: "processor", topics: ["payments"] })).toEqual([{ topic: "payments", partitions: [{ partition: 0, offset: "-1", metadata: null }] }]);
      await t.commit();
    });
    const offsets = await sim.run(() => kafka.admin().fetchOffsets({ groupId: "processor", topics: ["payments"] }));
    expect(offsets[0]!.partitions[0]!.offset).toBe("42");
  });

  it("fences a zombie: a new instance with the same transactional id aborts the old one's transaction", async () => {
    const { sim, kafka } = await setup();
    const old = kafka.producer({ transactionalId: "tx-3" });
    const fresh = kafka.producer({ transactionalId: "tx-3" });
    const error = await sim.run(async () => {
      await old.connect();
      const t = await old.transaction();
      await t.send({ topic: "payments", messages: [{ value: "zombie" }] });
      await fresh.connect();
      return t.commit().catch((e: unknown) => e);
    });
    expect(error).toBeInstanceOf(KafkaJSProtocolError);
    expect(error).toMatchObject({ type: "INVALID_PRODUCER_EPOCH" });
    expect(await readAs(sim, kafka, false, "after-fence")).toEqual([]);
  });

  it("aborts a transaction left open past transactionTimeout", async () => {
    const { sim, kafka } = await setup();
    const producer = kafka.producer({ transactionalId: "tx-4", transactionTimeout: 10_000 });
    await sim.run(async () => {
      await producer.connect();
      const t = await producer.transaction();
      await t.send({ topic: "payments", messages: [{ value: "stuck" }] });
    });
    await sim.runFor(10_000);
    expect(sim.metrics.counter("kafka transactions aborted").value).toBe(1);
    expect(await readAs(sim, kafka, true, "dirty")).toEqual(["stuck"]);
    expect(await readAs(sim, kafka, false, "clean")).toEqual([]);
  });

  it("after a transaction timed out, neither a send outside it nor one through it is written", async () => {
    const { sim, kafka } = await setup();
    const producer = kafka.producer({ transactionalId: "tx-6", transactionTimeout: 10_000 });
    const t = await sim.run(async () => {
      await producer.connect();
      const t = await producer.transaction();
      await t.send({ topic: "payments", messages: [{ value: "stuck" }] });
      return t;
    });
    await sim.runFor(10_000);
    const errors = await sim.run(async () => [
      await producer.send({ topic: "payments", messages: [{ value: "outside" }] }).catch((e: Error) => e.message),
      await producer.sendBatch({ topicMessages: [{ topic: "payments", messages: [{ value: "outside-batch" }] }] }).catch((e: Error) => e.message),
      await t.send({ topic: "payments", messages: [{ value: "inside" }] }).catch((e: { type?: string }) => e.type),
    ]);
    expect(errors[0]).toMatch(/transactional: send inside a transaction/);
    expect(errors[1]).toMatch(/transactional: send inside a transaction/);
    expect(errors[2]).toBe("INVALID_PRODUCER_EPOCH");
    expect(await readAs(sim, kafka, true, "dirty-after")).toEqual(["stuck"]);
  });

  it("refuses misuse with named errors", async () => {
    const { sim, kafka } = await setup();
    const plain = kafka.producer();
    const tx = kafka.producer({ transactionalId: "tx-5" });
    await sim.run(async () => {
      await plain.connect();
      await tx.connect();
      await expect(plain.transaction()).rejects.toBeInstanceOf(KafkaJSNonRetriableError);
      await expect(tx.send({ topic: "payments", messages: [{ value: "x" }] })).rejects.toThrow(/transaction/);
      const t = await tx.transaction();
      await expect(tx.transaction()).rejects.toThrow(/ongoing transaction/);
      await t.commit();
      await expect(t.send({ topic: "payments", messages: [{ value: "late" }] })).rejects.toThrow(/ended/);
    });
    expect(() => kafka.producer({ transactionalId: "x", idempotent: false })).toThrow(KafkaJSNonRetriableError);
  });
});
