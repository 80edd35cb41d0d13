// The message-broker build challenges of issue 20 (rabbitmq retry topology, one work queue on
// both brokers, at-most-once telemetry): each full check of the reference (every stage, every
// case) beside one plain run of the same scenario (one case, no faults). Target: ≤ 3 s headless
// on the 2-core machine; the ratio says what the checker costs.
import type { AmqpMessage, XDeath } from "../src/lab/index";
import { challenges, type QueueJob, type MetricPoint, type RetryTopologySolution, type TelemetrySolution, type WorkQueueOnBothSolution } from "../src/lab/challenges/index";
import { runTopology } from "../src/lab/challenges/build-messaging/retry-topology";
import { runBoth } from "../src/lab/challenges/build-messaging/work-queue-both";
import { runTelemetry } from "../src/lab/challenges/build-messaging/telemetry";
import { report, time } from "./harness";

// The references of test/unit/challenges/messaging-build-b.test.ts, inlined (reference solutions do not ship).
const retry: RetryTopologySolution = {
  async setup(ch, cfg) {
    await ch.assertExchange("dlx", "direct");
    await ch.assertExchange("back", "direct");
    await ch.assertQueue(cfg.work, { durable: true, deadLetterExchange: "dlx", deadLetterRoutingKey: "retry" });
    await ch.assertQueue(cfg.retry, { durable: true, messageTtl: cfg.retryDelayMs, deadLetterExchange: "back", deadLetterRoutingKey: "work" });
    await ch.assertQueue(cfg.parked, { durable: true });
    await ch.bindQueue(cfg.retry, "dlx", "retry");
    await ch.bindQueue(cfg.work, "back", "work");
  },
  async worker(ch, cfg, work) {
    await ch.prefetch(1);
    await ch.consume(cfg.work, (msg: AmqpMessage | null) => {
      if (!msg) return;
      const failures = ((msg.properties.headers["x-death"] as XDeath[] | undefined) ?? []).find((d) => d.queue === cfg.work && d.reason === "rejected")?.count ?? 0;
      work(msg).then(
        () => ch.ack(msg),
        () => {
          if (failures + 1 < cfg.maxAttempts) return ch.nack(msg, false, false);
          ch.sendToQueue(cfg.parked, msg.content, { persistent: true });
          ch.ack(msg);
        },
      );
    });
  },
};
const decode = (bytes: { toString(): string } | null): QueueJob => JSON.parse(String(bytes)) as QueueJob;
const both: WorkQueueOnBothSolution = {
  rabbit: {
    async produce(ch, jobs) {
      await ch.assertQueue("jobs", { durable: true });
      for (const j of jobs) ch.sendToQueue("jobs", Buffer.from(JSON.stringify(j)), { persistent: true });
    },
    async worker(ch, handle) {
      await ch.assertQueue("jobs", { durable: true });
      await ch.prefetch(1);
      await ch.consume("jobs", (m) => void (m && handle(decode(m.content)).then(() => ch.ack(m))));
    },
  },
  kafka: {
    produce: async (p, jobs) => void (await p.send({ topic: "jobs", messages: jobs.map((j) => ({ key: j.key, value: JSON.stringify(j) })) })),
    async worker(c, handle) {
      await c.subscribe({ topics: ["jobs"], fromBeginning: true });
      await c.run({ eachMessage: async ({ message }) => handle(decode(message.value)) });
    },
    async replay(c, handle) {
      await c.subscribe({ topics: ["jobs"], fromBeginning: true });
      await c.run({ eachMessage: async ({ message }) => handle(decode(message.value)) });
    },
  },
};
const telemetry: TelemetrySolution = {
  createProducer: (kafka) => kafka.producer({ retry: { retries: 0 } }),
  send: (p, points) => p.send({ topic: "metrics", messages: points.map((x) => ({ key: x.metric, value: JSON.stringify(x) })) }).then(() => undefined, () => undefined),
  async consume(consumer, count) {
    await consumer.subscribe({ topics: ["metrics"], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
        count(JSON.parse(String(message.value)) as MetricPoint);
      },
    });
  },
};

const RUNS = 5;
async function bench(id: "rabbitmq" | "kafka-vs-rabbitmq" | "at-most-once", plainRun: () => Promise<{ ok: boolean }>, check: () => Promise<{ passed: boolean; headline: string }>) {
  const plain = await time(`${id}: one plain run (one case, no faults)`, async () => {
    if (!(await plainRun()).ok) throw new Error(`${id}: the reference failed its plain run`);
  }, 10, 2);
  let headline = "";
  const full = await time(`${id}: full check of the reference`, async () => {
    const r = await check();
    headline = r.headline;
    if (!r.passed) throw new Error(`${id}: the reference did not pass: ${r.headline}`);
  }, RUNS, 1);
  report(`${id}: full check vs one plain run`, plain, [full]);
  console.log(`${headline}: full check p50 ${full.p50.toFixed(0)} ms (target ≤ 3000 ms) ${full.p50 <= 3_000 ? "OK" : "OVER TARGET"}; ${(full.p50 / plain.p50).toFixed(1)}× one plain run`);
}
await bench("rabbitmq", () => runTopology(retry, { seed: 100, faults: [], size: 10 }, false), () => challenges.rabbitmq.check(retry));
await bench("kafka-vs-rabbitmq", () => runBoth(both, { seed: 100, faults: [], size: 24 }), () => challenges["kafka-vs-rabbitmq"].check(both));
await bench("at-most-once", () => runTelemetry(telemetry, { seed: 100, faults: [], size: 30 }), () => challenges["at-most-once"].check(telemetry));
