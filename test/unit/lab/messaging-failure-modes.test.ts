// Unclean leader election, ordering with several requests in flight, and quorum queues'
// delivery limit: the failure modes notebook 04 lets the learner cause.
import { describe, expect, it } from "vitest";
import { Simulation } from "../../../src/lab/index";
import { ConfigError } from "../../../src/lab/index";
import { Kafka, RabbitMQ, type XDeath } from "../../../src/lab/messaging/index";

/** Leader L and followers; the lagger is cut off at 1 s, the other follower crashes at 40 s, L at 50 s and returns at 110 s. */
async function lastReplicaLost(options: { unclean?: boolean; topicUnclean?: string }, seed = 1) {
  const sim = new Simulation({ seed });
  const k = new Kafka(sim, { brokers: 3, ...(options.unclean !== undefined ? { uncleanLeaderElectionEnable: options.unclean } : {}) });
  return sim.run(async () => {
    const configEntries = options.topicUnclean ? [{ name: "unclean.leader.election.enable", value: options.topicUnclean }] : [];
    await k.admin().createTopics({ topics: [{ topic: "orders", numPartitions: 1, replicationFactor: 3, configEntries }] });
    const leader = (await k.admin().fetchTopicMetadata({ topics: ["orders"] })).topics[0]!.partitions[0]!.leader;
    const [lagger, other] = [0, 1, 2].filter((b) => b !== leader);
    sim.faults.partition(`kafka-${lagger}`, `kafka-${leader}`, { at: 1_000 });
    sim.faults.crash(`kafka-${other}`, { at: 40_000 });
    sim.faults.crash(`kafka-${leader}`, { at: 50_000 });
    sim.faults.restart(`kafka-${leader}`, { at: 110_000 });
    const p = k.producer({ name: "shop", retry: { retries: 0 } });
    await p.connect();
    const acked: { i: number; at: number }[] = [];
    const errors = new Set<string>();
    const leaders: number[] = [];
    await Promise.all(
      Array.from({ length: 260 }, async (_, i) => {
        await sim.sleep(i * 500);
        if (i === 120) leaders.push(k.cluster.partition("orders", 0).leader); // at 60 s: fenced at 59 s
        await p.send({ topic: "orders", messages: [{ value: `order-${i}` }] }).then(
          () => acked.push({ i, at: sim.now }),
          (e: Error) => void errors.add((e.cause as { type?: string } | undefined)?.type ?? e.name),
        );
      }),
    );
    const kept = new Set<string>();
    const audit = k.consumer({ groupId: "audit" });
    await audit.connect();
    await audit.subscribe({ topics: ["orders"], fromBeginning: true });
    await audit.run({ eachMessage: async ({ message }) => void kept.add(String(message.value)) });
    await sim.sleep(3_000);
    const firstAfter = Math.min(...acked.filter((a) => a.at > 50_000).map((a) => a.at));
    return { leader, lagger, leaders, acked: acked.length, lost: acked.filter((a) => !kept.has(`order-${a.i}`)).length, offlineMs: firstAfter - 50_000, errors: [...errors], unclean: sim.metrics.counter("kafka unclean leader elections").value };
  });
}

describe("Kafka unclean leader election", () => {
  it("false (default): the partition stays offline until the last in-sync replica returns, and loses nothing acknowledged", async () => {
    const r = await lastReplicaLost({});
    expect(r.leaders).toEqual([-1]);
    expect(r.errors).toContain("LEADER_NOT_AVAILABLE");
    expect(r.lost).toBe(0);
    // Down from 50 s to the restart at 110 s, then the next send (every 500 ms) is taken.
    expect(r.offlineMs).toBeGreaterThanOrEqual(60_000);
    expect(r.offlineMs).toBeLessThan(61_000);
    expect(r.unclean).toBe(0);
  });

  it("true: the out-of-sync replica leads once the leader is fenced (9 s) and every acknowledged record it lacked is gone", async () => {
    const r = await lastReplicaLost({ unclean: true });
    expect(r.leaders).toEqual([r.lagger]);
    expect(r.offlineMs).toBeGreaterThanOrEqual(9_000);
    expect(r.offlineMs).toBeLessThan(10_000);
    // The lagger stopped copying at 1 s; sends are every 500 ms, so about 90 acked records from 1 s to 50 s.
    expect(r.lost).toBeGreaterThan(80);
    expect(r.unclean).toBe(1);
    expect(r.errors).not.toContain("LEADER_NOT_AVAILABLE");
  });

  it("nothing in the run is random (fixed latency, no retries): seeds 2 and 3 give seed 1's numbers", async () => {
    for (const unclean of [false, true]) {
      const one = await lastReplicaLost({ unclean });
      for (const seed of [2, 3]) expect(await lastReplicaLost({ unclean }, seed)).toEqual(one);
    }
  });

  it("the topic config overrides the broker's, both ways", async () => {
    expect((await lastReplicaLost({ topicUnclean: "true" })).lost).toBeGreaterThan(80);
    expect((await lastReplicaLost({ unclean: true, topicUnclean: "false" })).lost).toBe(0);
  });

  it("refuses a value that is not a boolean", async () => {
    const sim = new Simulation({ seed: 1 });
    expect(() => new Kafka(sim, { uncleanLeaderElectionEnable: "yes" as unknown as boolean })).toThrow(ConfigError);
    const k = new Kafka(sim);
    await expect(sim.run(() => k.admin().createTopics({ topics: [{ topic: "t", configEntries: [{ name: "unclean.leader.election.enable", value: "1" }] }] }))).rejects.toThrow(/must be "true" or "false"/);
  });
});

/** 40 records to one partition, one every 5 ms, over a link that loses 10 % of messages both ways. */
async function ordering(config: { maxInFlightRequests?: number | null; idempotent?: boolean }, seed: number) {
  const sim = new Simulation({ seed });
  const k = new Kafka(sim, { brokers: 3 });
  return sim.run(async () => {
    await k.admin().createTopics({ topics: [{ topic: "moves", numPartitions: 1, replicationFactor: 3 }] });
    const leader = (await k.admin().fetchTopicMetadata({ topics: ["moves"] })).topics[0]!.partitions[0]!.leader;
    const p = k.producer({ name: "game", ...config });
    await p.connect();
    sim.faults.loss("game", `kafka-${leader}`, 0.1);
    let failed = 0;
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        await sim.sleep(i * 5);
        await p.send({ topic: "moves", messages: [{ key: "game-1", value: String(i) }] }).catch(() => failed++);
      }),
    );
    const log: number[] = [];
    const audit = k.consumer({ groupId: "audit" });
    await audit.connect();
    await audit.subscribe({ topics: ["moves"], fromBeginning: true });
    await audit.run({ eachMessage: async ({ message }) => void log.push(Number(message.value)) });
    await sim.sleep(2_000);
    let max = -1;
    let behind = 0;
    for (const v of log) {
      if (v < max) behind++;
      max = Math.max(max, v);
    }
    return { behind, duplicates: log.length - new Set(log).size, unique: new Set(log).size, failed };
  });
}

describe("Kafka producer maxInFlightRequests", () => {
  it("no limit (kafkajs's default) without idempotence: retried records land behind later ones on most seeds", async () => {
    const runs = [];
    for (let seed = 1; seed <= 8; seed++) runs.push(await ordering({}, seed));
    expect(runs.filter((r) => r.behind > 0).length).toBeGreaterThanOrEqual(6);
    expect(runs.every((r) => r.unique === 40 && r.failed === 0)).toBe(true);
  });

  it("one in flight keeps order; idempotence with 5 in flight keeps order and writes each record once", async () => {
    for (let seed = 1; seed <= 8; seed++) {
      expect((await ordering({ maxInFlightRequests: 1 }, seed)).behind).toBe(0);
      expect(await ordering({ maxInFlightRequests: 5, idempotent: true }, seed)).toEqual({ behind: 0, duplicates: 0, unique: 40, failed: 0 });
    }
  });

  it("refuses more than 5 in flight with idempotence, and a bad value", () => {
    const sim = new Simulation({ seed: 1 });
    const k = new Kafka(sim);
    expect(() => k.producer({ idempotent: true, maxInFlightRequests: 6 })).toThrow(/1 to 5 for an idempotent producer/);
    expect(() => k.producer({ idempotent: true, maxInFlightRequests: null })).toThrow(ConfigError);
    expect(() => k.producer({ maxInFlightRequests: 1.5 })).toThrow(ConfigError);
    expect(() => k.producer({ maxInFlightRequests: 0 })).not.toThrow();
  });
});

describe("RabbitMQ quorum queues", () => {
  async function poison(queueType: "classic" | "quorum", limit?: number) {
    const sim = new Simulation({ seed: 1 });
    const rabbit = new RabbitMQ(sim);
    return sim.run(async () => {
      const ch = await (await rabbit.connect()).createChannel();
      await ch.assertExchange("dlx", "fanout", { durable: true });
      await ch.assertQueue("parked", { durable: true });
      await ch.bindQueue("parked", "dlx", "");
      const args: Record<string, unknown> = queueType === "quorum" ? { "x-queue-type": "quorum", ...(limit !== undefined ? { "x-delivery-limit": limit } : {}) } : {};
      await ch.assertQueue("jobs", { durable: true, deadLetterExchange: "dlx", arguments: args });
      const counts: unknown[] = [];
      await ch.consume("jobs", (m) => {
        if (!m) return;
        counts.push(m.properties.headers?.["x-delivery-count"] ?? null);
        ch.nack(m, false, true);
      });
      ch.sendToQueue("jobs", Buffer.from("poison"));
      await sim.sleep(1_000);
      const parked = await ch.get("parked", { noAck: true });
      return { deliveries: counts.length, counts: counts.slice(0, 4), parked: parked ? (parked.properties.headers?.["x-death"] as XDeath[]).map((d) => [d.reason, d.queue]) : [], stats: rabbit.queueInfo("jobs") };
    });
  }

  it("a classic queue redelivers a poison message as long as it is nacked with requeue", async () => {
    const r = await poison("classic");
    expect(r.deliveries).toBeGreaterThan(100);
    expect(r.parked).toEqual([]);
  });

  it("a quorum queue with x-delivery-limit 3 delivers it 4 times (x-delivery-count 0..3), then dead-letters it as delivery_limit", async () => {
    const r = await poison("quorum", 3);
    expect(r.deliveries).toBe(4);
    expect(r.counts).toEqual([0, 1, 2, 3]);
    expect(r.parked).toEqual([["delivery_limit", "jobs"]]);
  });

  it("without x-delivery-limit a quorum queue has no limit (RabbitMQ 3.x; 4.0 defaults to 20)", async () => {
    expect((await poison("quorum")).deliveries).toBeGreaterThan(100);
  });

  it("refuses a non-durable quorum queue, and x-delivery-limit on a classic queue, with 406", async () => {
    const sim = new Simulation({ seed: 1 });
    const rabbit = new RabbitMQ(sim);
    await sim.run(async () => {
      const conn = await rabbit.connect();
      const ch1 = await conn.createChannel();
      ch1.on("error", () => {});
      await expect(ch1.assertQueue("q", { durable: false, arguments: { "x-queue-type": "quorum" } })).rejects.toMatchObject({ code: 406, message: expect.stringContaining("invalid property 'non-durable'") });
      const ch2 = await conn.createChannel();
      ch2.on("error", () => {});
      await expect(ch2.assertQueue("c", { arguments: { "x-delivery-limit": 2 } })).rejects.toMatchObject({ code: 406, message: expect.stringContaining("x-queue-type") });
    });
  });

  it("keeps transient messages across a broker restart (a quorum queue writes everything to its log)", async () => {
    const sim = new Simulation({ seed: 1 });
    const rabbit = new RabbitMQ(sim);
    const left = await sim.run(async () => {
      const ch = await (await rabbit.connect()).createChannel();
      await ch.assertQueue("qq", { durable: true, arguments: { "x-queue-type": "quorum" } });
      await ch.assertQueue("classic", { durable: true });
      for (const q of ["qq", "classic"]) ch.sendToQueue(q, Buffer.from("transient"));
      await sim.sleep(100);
      sim.faults.crash(rabbit.node.name);
      sim.faults.restart(rabbit.node.name, { at: sim.now + 1_000 });
      await sim.sleep(2_000);
      const after = await (await rabbit.connect()).createChannel();
      return [(await after.checkQueue("qq")).messageCount, (await after.checkQueue("classic")).messageCount];
    });
    expect(left).toEqual([1, 0]);
  });
});
