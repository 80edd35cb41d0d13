// Reference solutions of the rabbitmq (retry topology), kafka-vs-rabbitmq (one work queue on
// both brokers) and at-most-once (telemetry) build challenges, and the parts the tests combine
// into known-wrong answers. They live with the tests (reference solutions never ship); the
// bench imports them to time a full check.
import type { AmqpChannel, AmqpMessage, XDeath } from "sde-lab";
import type { QueueJob, MetricPoint, TelemetrySolution, RetryTopologyConfig, RetryTopologySolution, WorkQueueOnBothSolution } from "sde-lab/challenges";

export async function declare(ch: AmqpChannel, cfg: RetryTopologyConfig): Promise<void> {
  await ch.assertExchange(`${cfg.work}.dlx`, "direct");
  await ch.assertExchange(`${cfg.work}.retry-dlx`, "direct");
  await ch.assertQueue(cfg.work, { durable: true, deadLetterExchange: `${cfg.work}.dlx`, deadLetterRoutingKey: "retry" });
  await ch.assertQueue(cfg.retry, { durable: true, messageTtl: cfg.retryDelayMs, deadLetterExchange: `${cfg.work}.retry-dlx`, deadLetterRoutingKey: "work" });
  await ch.assertQueue(cfg.parked, { durable: true });
  await ch.bindQueue(cfg.retry, `${cfg.work}.dlx`, "retry");
  await ch.bindQueue(cfg.work, `${cfg.work}.retry-dlx`, "work");
}
export const deaths = (msg: AmqpMessage) => (msg.properties.headers["x-death"] as XDeath[] | undefined) ?? [];
export const rejectedCount = (msg: AmqpMessage, cfg: RetryTopologyConfig) => deaths(msg).find((d) => d.queue === cfg.work && d.reason === "rejected")?.count ?? 0;

/** A worker whose failure count comes from `count(msg)`; `settle` may be swapped for a wrong one. */
export function retryWorker(count: (msg: AmqpMessage, cfg: RetryTopologyConfig) => number, opts: { requeue?: boolean } = {}): RetryTopologySolution["worker"] {
  return async (ch, cfg, work) => {
    await ch.prefetch(1);
    await ch.consume(cfg.work, (msg) => {
      if (!msg) return;
      work(msg).then(
        () => ch.ack(msg),
        () => {
          if (count(msg, cfg) + 1 >= cfg.maxAttempts) {
            ch.sendToQueue(cfg.parked, msg.content, { persistent: true, headers: msg.properties.headers });
            ch.ack(msg);
          } else ch.nack(msg, false, opts.requeue ?? false);
        },
      );
    });
  };
}
export const rabbitReference: RetryTopologySolution = { setup: declare, worker: retryWorker(rejectedCount) };

export const encode = (job: QueueJob) => Buffer.from(JSON.stringify(job));
export const decode = (bytes: { toString(): string } | null): QueueJob => JSON.parse(String(bytes)) as QueueJob;
export type Sides = { rabbit: WorkQueueOnBothSolution["rabbit"]; kafka: WorkQueueOnBothSolution["kafka"] };
export const rabbitSide = (o: { prefetch?: number; ackFirst?: boolean } = {}): Sides["rabbit"] => ({
  async produce(ch, jobs) {
    await ch.assertQueue("jobs", { durable: true });
    for (const j of jobs) ch.sendToQueue("jobs", encode(j), { persistent: true });
  },
  async worker(ch, handle) {
    await ch.assertQueue("jobs", { durable: true });
    if (o.prefetch !== 0) await ch.prefetch(o.prefetch ?? 1);
    await ch.consume("jobs", (msg) => {
      if (!msg) return;
      if (o.ackFirst) ch.ack(msg);
      void handle(decode(msg.content)).then(() => o.ackFirst || ch.ack(msg));
    });
  },
});
export const kafkaSide = (o: { key?: boolean; fireAndForget?: boolean; replayFromBeginning?: boolean } = {}): Sides["kafka"] => ({
  async produce(producer, jobs) {
    await producer.send({ topic: "jobs", messages: jobs.map((j) => ({ key: o.key === false ? null : j.key, value: JSON.stringify(j) })) });
  },
  async worker(consumer, handle) {
    await consumer.subscribe({ topics: ["jobs"], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (o.fireAndForget) void handle(decode(message.value));
        else await handle(decode(message.value));
      },
    });
  },
  async replay(consumer, handle) {
    await consumer.subscribe({ topics: ["jobs"], fromBeginning: o.replayFromBeginning ?? true });
    await consumer.run({ eachMessage: async ({ message }) => handle(decode(message.value)) });
  },
});
export const bothReference: WorkQueueOnBothSolution = { rabbit: rabbitSide(), kafka: kafkaSide() };

export const asPoint = (bytes: { toString(): string } | null): MetricPoint => JSON.parse(String(bytes)) as MetricPoint;
export type Producing = Pick<TelemetrySolution, "createProducer" | "send">;
export const noRetries: Producing = {
  createProducer: (kafka) => kafka.producer({ retry: { retries: 0 } }),
  async send(producer, points) {
    try {
      await producer.send({ topic: "metrics", messages: points.map((p) => ({ key: p.metric, value: JSON.stringify(p) })) });
    } catch {
      // Dropped: at most once.
    }
  },
};
export const commitFirst: TelemetrySolution["consume"] = async (consumer, count) => {
  await consumer.subscribe({ topics: ["metrics"], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
      count(asPoint(message.value));
    },
  });
};
export const commitAfter: TelemetrySolution["consume"] = async (consumer, count) => {
  await consumer.subscribe({ topics: ["metrics"], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => count(asPoint(message.value)) });
};
export const telemetryReference: TelemetrySolution = { ...noRetries, consume: commitFirst };
