// Auto-commit interval, queue lifetimes (autoDelete, exclusive, x-expires) and compact displays.
import { describe, expect, it } from "vitest";
import { DISPLAY, Simulation } from "../../../src/lab/index";
import { Kafka, RabbitMQ } from "../../../src/lab/messaging/index";

describe("Kafka auto-commit interval", () => {
  it("commits at most every autoCommitInterval, so a crash re-delivers everything since the last commit", async () => {
    const sim = new Simulation({ seed: 21 });
    const kafka = new Kafka(sim, { brokers: 1 });
    const seen: number[] = [];
    const commitTimes: number[] = [];
    const first = kafka.consumer({ groupId: "g", name: "c-1", sessionTimeout: 6_000, heartbeatInterval: 2_000 });
    first.on(first.events.COMMIT_OFFSETS, (e) => commitTimes.push(e.timestamp));
    await sim.run(async () => {
      await kafka.admin().createTopics({ topics: [{ topic: "t", numPartitions: 1 }] });
      const p = kafka.producer();
      await p.connect();
      await first.connect();
      await first.subscribe({ topics: ["t"], fromBeginning: true });
      await first.run({ autoCommitInterval: 5_000, eachMessage: async ({ message }) => void seen.push(Number(message.value)) });
      // One message every 100 ms for 12 s: batches of one, a commit at most every 5 s.
      for (let i = 0; i < 120; i++) {
        await p.send({ topic: "t", messages: [{ value: String(i) }] });
        await sim.sleep(98);
      }
    });
    expect(commitTimes.length).toBe(2);
    expect(commitTimes[1]! - commitTimes[0]!).toBeGreaterThanOrEqual(5_000);
    const committed = kafka.lag("g").rows[0]!.committed as number;
    expect(committed).toBeLessThan(120);
    sim.faults.crash("c-1");
    const second = kafka.consumer({ groupId: "g", name: "c-2" });
    await sim.run(async () => {
      await second.connect();
      await second.subscribe({ topics: ["t"], fromBeginning: true });
      await second.run({ eachMessage: async ({ message }) => void seen.push(Number(message.value)) });
      await sim.sleep(10_000);
    });
    // Everything after the last commit was read twice.
    expect(seen.length - 120).toBe(120 - committed);
    expect(new Set(seen).size).toBe(120);
  });
});

describe("RabbitMQ queue lifetimes", () => {
  it("deletes an autoDelete queue when its last consumer cancels, and an exclusive queue with its connection", async () => {
    const sim = new Simulation({ seed: 22 });
    const rabbit = new RabbitMQ(sim);
    await sim.run(async () => {
      const conn = await rabbit.connect();
      const ch = await conn.createChannel();
      await ch.assertQueue("temp", { autoDelete: true });
      const { consumerTag } = await ch.consume("temp", () => undefined);
      expect(rabbit.queueInfo("temp").consumers).toBe(1);
      await ch.cancel(consumerTag);
      expect(() => rabbit.queueInfo("temp")).toThrow(/existing queue/);
      const { queue } = await ch.assertQueue("", { exclusive: true });
      expect(rabbit.queueInfo(queue).messages).toBe(0);
      await conn.close();
      expect(() => rabbit.queueInfo(queue)).toThrow(/existing queue/);
    });
  });

  it("deletes a queue unused for x-expires", async () => {
    const sim = new Simulation({ seed: 23 });
    const rabbit = new RabbitMQ(sim);
    await sim.run(async () => {
      const ch = await (await rabbit.connect()).createChannel();
      await ch.assertQueue("idle", { expires: 10_000 });
    });
    await sim.runFor(9_000);
    expect(rabbit.queueInfo("idle").messages).toBe(0);
    await sim.runFor(2_000);
    expect(() => rabbit.queueInfo("idle")).toThrow(/existing queue/);
  });
});

describe("displays", () => {
  it("render clients and brokers as short tables, not object dumps", async () => {
    const sim = new Simulation({ seed: 24 });
    const kafka = new Kafka(sim, { brokers: 3 });
    const rabbit = new RabbitMQ(sim);
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: "g" });
    const { ch } = await sim.run(async () => {
      await kafka.admin().createTopics({ topics: [{ topic: "t", numPartitions: 2, replicationFactor: 3 }] });
      await producer.connect();
      await producer.send({ topic: "t", messages: [{ value: "x" }] });
      const ch = await (await rabbit.connect()).createChannel();
      await ch.assertQueue("q");
      return { ch };
    });
    const md = (v: { [DISPLAY](): Record<string, string> }) => v[DISPLAY]()["text/markdown"]!;
    expect(md(kafka)).toContain("**Kafka cluster** `kafka`: 3 brokers, 1 topic(s)");
    expect(md(kafka)).toContain("| t | 0 | 0 | 0,1,2 | 0,1,2 |");
    expect(md(producer)).toMatch(/^\| producer \| idempotent \|/);
    expect(md(consumer)).toContain("| g-");
    expect(md(rabbit)).toContain("| q | 0 | 0 | 0 |");
    expect(md(ch)).toMatch(/^\| channel \| connection \| state \|/);
    for (const v of [kafka, producer, consumer, rabbit, ch]) expect(md(v).length).toBeLessThan(2_000);
  });
});
