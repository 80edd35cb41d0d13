// The message-broker build challenges of issue 20 (part b): the RabbitMQ retry topology, the same
// work queue on both brokers, and at-most-once telemetry. Each reference passes every stage on
// every case within 3 s; the known-wrong answers fail at the stage that targets their mistake;
// the notebook's starter fails stage 1 with a sentence that says what is wrong.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "sde-lab";
import { challenges, type MetricPoint, type TelemetrySolution, type RetryTopologySolution, type WorkQueueOnBothSolution } from "sde-lab/challenges";
import { declare, deaths, rejectedCount, retryWorker, rabbitReference, rabbitSide, kafkaSide, bothReference, asPoint, noRetries, commitFirst, commitAfter, telemetryReference } from "./messaging-b-references";
import { failedStage, invariant, timed } from "./report-helpers";

// ---------- rabbitmq: the retry topology ----------

/** The notebook's starter: one queue, no dead-letter exchange, a reject on failure. */
const rabbitStarter: RetryTopologySolution = {
  async setup(ch, cfg) {
    await ch.assertQueue(cfg.work, { durable: true });
    await ch.assertQueue(cfg.parked, { durable: true });
  },
  async worker(ch, cfg, work) {
    await ch.consume(cfg.work, (msg) => {
      if (!msg) return;
      work(msg).then(() => ch.ack(msg), () => ch.reject(msg, false));
    });
  },
};

describe("rabbitmq build challenge (retry topology)", () => {
  const c = challenges.rabbitmq;
  it("the reference passes every stage, in ≤ 3 s", async () => {
    const { value, ms } = await timed(() => c.check(rabbitReference));
    expect(value.headline, invariant(value)).toMatch(/^Challenge rabbitmq: PASSED \(3 of 3 stages, \d+ cases\)/);
    expect(ms).toBeLessThan(3_000);
  });
  it("the starter fails stage 1: a rejected job with no dead-letter exchange is lost", async () => {
    const r = await c.check(rabbitStarter);
    expect(failedStage(r)).toBe(1);
    expect(invariant(r)).toMatch(/attempted 1 time and then it was gone|never succeeded/);
  });
  it("a constant answer (ack everything unprocessed) fails stage 1", async () => {
    const r = await c.check({ setup: declare, worker: async (ch, cfg) => void (await ch.consume(cfg.work, (m) => m && ch.ack(m))) });
    expect(failedStage(r)).toBe(1);
    expect(invariant(r)).toMatch(/never succeeded|attempted 0 times/);
  });
  it("a busy requeue loop (nack with requeue=true) fails stage 1 on the retry delay", async () => {
    const r = await c.check({ setup: declare, worker: retryWorker(rejectedCount, { requeue: true }) });
    expect(failedStage(r)).toBe(1);
    expect(invariant(r)).toMatch(/retry delay|circulates/);
  });
  it("parking one attempt late (count ≥ maxAttempts) fails stage 1 with N+1 attempts", async () => {
    const r = await c.check({ setup: declare, worker: retryWorker((m, cfg) => rejectedCount(m, cfg) - 1) });
    expect(failedStage(r)).toBe(1);
    expect(invariant(r)).toMatch(/attempted (\d+) times/);
  });
  it("summing every x-death entry (rejected + expired) parks too early: fails stage 1", async () => {
    const r = await c.check({ setup: declare, worker: retryWorker((m) => deaths(m).reduce((a, d) => a + d.count, 0)) });
    expect(failedStage(r)).toBe(1);
  });
  it("acking before the work (then republishing failures) loses a job on a crash: fails stage 2", async () => {
    // Its own attempt header instead of x-death, so the retry path works without rejections.
    const worker: RetryTopologySolution["worker"] = async (ch, cfg, work) => {
      await ch.consume(cfg.work, (msg) => {
        if (!msg) return;
        ch.ack(msg);
        const tries = Number(msg.properties.headers["x-tries"] ?? 0);
        work(msg).catch(() => {
          if (tries + 1 >= cfg.maxAttempts) ch.sendToQueue(cfg.parked, msg.content, { persistent: true });
          else ch.sendToQueue(cfg.retry, msg.content, { persistent: true, headers: { "x-tries": tries + 1 } });
        });
      });
    };
    const r = await c.check({ setup: declare, worker });
    expect(failedStage(r)).toBe(2);
    expect(invariant(r)).toMatch(/lost|attempted/);
  });
  it("counting failures in the worker's memory instead of x-death fails stage 2 (crashes forget)", async () => {
    // One memory per worker process: a crash or a second worker starts from zero.
    const r = await c.check({
      setup: declare,
      worker: (ch, cfg, work) => {
        const seen = new Map<string, number>();
        return retryWorker((m) => {
          const id = m.content.toString();
          const n = seen.get(id) ?? 0;
          seen.set(id, n + 1);
          return n;
        })(ch, cfg, work);
      },
    });
    expect(failedStage(r)).toBe(2);
    expect(invariant(r)).toMatch(/poison job and maxAttempts is \d+, but it was attempted \d+ times/);
  });
  it("a counter shared by every worker (outside the broker) fails stage 3: the old deployment's attempts are only in x-death", async () => {
    // It survives crashes and is shared by both workers (one process in the lab), and it is
    // cleared per case in setup: only history from before the workers started can catch it.
    const counts = new Map<string, number>();
    const r = await c.check({
      setup: async (ch, cfg) => {
        counts.clear();
        await declare(ch, cfg);
      },
      worker: retryWorker((m) => {
        const id = m.content.toString();
        const n = counts.get(id) ?? 0;
        counts.set(id, n + 1);
        return n;
      }),
    });
    expect(failedStage(r)).toBe(3);
    expect(invariant(r)).toMatch(/poison job and maxAttempts is \d+, but it was attempted \d+ times/);
  });
  it("rejects a solution of the wrong shape with a ConfigError", async () => {
    await expect(c.check({ setup: declare } as never)).rejects.toThrow(ConfigError);
  });
});

// ---------- kafka-vs-rabbitmq: one work queue on both brokers ----------

/** The notebook's starter: both producers send nothing yet. */
const bothStarter: WorkQueueOnBothSolution = {
  rabbit: { produce: async () => {}, worker: async () => {} },
  kafka: { produce: async () => {}, worker: async () => {}, replay: async () => {} },
};

describe("kafka-vs-rabbitmq build challenge (one work queue on both brokers)", () => {
  const c = challenges["kafka-vs-rabbitmq"];
  it("the reference passes every stage, in ≤ 3 s", async () => {
    const { value, ms } = await timed(() => c.check(bothReference));
    expect(value.headline, invariant(value)).toMatch(/^Challenge kafka-vs-rabbitmq: PASSED \(3 of 3 stages, \d+ cases\)/);
    expect(ms).toBeLessThan(3_000);
  });
  it("the starter fails stage 1: no job is ever done", async () => {
    const r = await c.check(bothStarter);
    expect(failedStage(r)).toBe(1);
    expect(invariant(r)).toMatch(/^RabbitMQ: (\d+) of \1 jobs were never done/);
  });
  it("a producer without keys breaks each key's order on Kafka: fails stage 1", async () => {
    const r = await c.check({ rabbit: rabbitSide(), kafka: kafkaSide({ key: false }) });
    expect(failedStage(r)).toBe(1);
    expect(invariant(r)).toMatch(/^Kafka: .* started before/);
  });
  it("acking on receipt (before the work) loses a job when a RabbitMQ worker crashes: fails stage 2", async () => {
    const r = await c.check({ rabbit: rabbitSide({ ackFirst: true }), kafka: kafkaSide() });
    expect(failedStage(r)).toBe(2);
    expect(invariant(r)).toMatch(/^RabbitMQ: \d+ of \d+ jobs were never done/);
  });
  it("a Kafka handler that does not await the job lets the offset commit run ahead: fails stage 2", async () => {
    const r = await c.check({ rabbit: rabbitSide(), kafka: kafkaSide({ fireAndForget: true }) });
    expect(failedStage(r)).toBe(2);
  });
  it("no prefetch limit lets the slow RabbitMQ worker hoard jobs: fails stage 3", async () => {
    const r = await c.check({ rabbit: rabbitSide({ prefetch: 0 }), kafka: kafkaSide() });
    expect(failedStage(r)).toBe(3);
    expect(invariant(r)).toMatch(/RabbitMQ: with one worker 10× slower/);
  });
  it("a replay reader that starts at the end of the log reads nothing: fails stage 3", async () => {
    const r = await c.check({ rabbit: rabbitSide(), kafka: kafkaSide({ replayFromBeginning: false }) });
    expect(failedStage(r)).toBe(3);
    expect(invariant(r)).toMatch(/the new reader read 0 of the \d+ past jobs/);
  });
  it("rejects a solution of the wrong shape with a ConfigError", async () => {
    await expect(c.check({ rabbit: rabbitSide() } as never)).rejects.toThrow(ConfigError);
  });
});

// ---------- at-most-once: telemetry that never counts twice ----------
const telemetryStarter: TelemetrySolution = {
  createProducer: (kafka) => kafka.producer(),
  send: async () => {},
  consume: async () => {},
};

describe("at-most-once build challenge (telemetry)", () => {
  const c = challenges["at-most-once"];
  it("the reference passes every stage, in ≤ 3 s", async () => {
    const { value, ms } = await timed(() => c.check(telemetryReference));
    expect(value.headline, invariant(value)).toMatch(/^Challenge at-most-once: PASSED \(3 of 3 stages, \d+ cases\)/);
    expect(ms).toBeLessThan(3_000);
  });
  it("the starter fails stage 1: nothing is sent or counted", async () => {
    const r = await c.check(telemetryStarter);
    expect(failedStage(r)).toBe(1);
    expect(invariant(r)).toMatch(/with no fault at all, (\d+) of \1 points were never counted/);
  });
  it("a consumer that counts only the first partition fails stage 1", async () => {
    const r = await c.check({
      ...noRetries,
      async consume(consumer, count) {
        await consumer.subscribe({ topics: ["metrics"], fromBeginning: true });
        await consumer.run({ eachMessage: async ({ partition, message }) => void (partition === 0 && count(asPoint(message.value))) });
      },
    });
    expect(failedStage(r)).toBe(1);
  });
  it("committing after counting (kafkajs's default) counts a point twice after a crash: fails stage 2", async () => {
    const r = await c.check({ ...noRetries, consume: commitAfter });
    expect(failedStage(r)).toBe(2);
    expect(invariant(r)).toMatch(/was counted twice/);
  });
  it("a producer with kafkajs's default retries writes a timed-out batch twice: fails stage 3", async () => {
    const r = await c.check({ createProducer: (kafka) => kafka.producer(), send: noRetries.send, consume: commitFirst });
    expect(failedStage(r)).toBe(3);
    expect(invariant(r)).toMatch(/was counted twice/);
  });
  it("a send that resends once by hand after a timeout duplicates too: fails stage 3", async () => {
    const r = await c.check({
      createProducer: noRetries.createProducer,
      async send(producer, points) {
        const messages = points.map((p) => ({ key: p.metric, value: JSON.stringify(p) }));
        await producer.send({ topic: "metrics", messages }).catch(() => producer.send({ topic: "metrics", messages }).catch(() => undefined));
      },
      consume: commitFirst,
    });
    expect(failedStage(r)).toBe(3);
  });
  it("a send that lets the timeout escape fails stage 3 with the reason", async () => {
    const r = await c.check({ createProducer: noRetries.createProducer, send: async (p, points) => void (await p.send({ topic: "metrics", messages: points.map((x) => ({ value: JSON.stringify(x) })) })), consume: commitFirst });
    expect(failedStage(r)).toBe(3);
    expect(invariant(r)).toMatch(/send\(\) threw/);
  });
  // The learner's code shares this process, so a simulated crash cannot wipe state it keeps
  // outside the consumer; a real crash would. These answers hide their duplicates behind such
  // state (a fresh Set per check, as a module-level one would be for one check) and must fail.
  const skipSeen = (): ((point: MetricPoint) => boolean) => {
    const seen = new Set<string>();
    return (p) => !seen.has(`${p.id}/${p.value}`) && Boolean(seen.add(`${p.id}/${p.value}`));
  };
  it("counting first and skipping ids remembered across the crash fails stage 2: counted before its offset was committed", async () => {
    const fresh = skipSeen();
    const r = await c.check({
      ...noRetries,
      async consume(consumer, count) {
        await consumer.subscribe({ topics: ["metrics"], fromBeginning: true });
        await consumer.run({ eachMessage: async ({ message }) => void (fresh(asPoint(message.value)) && count(asPoint(message.value))) });
      },
    });
    expect(failedStage(r)).toBe(2);
    expect(invariant(r)).toMatch(/counted (pt-\d+) \(metrics-\d offset \d+\) before its offset was committed .*Its replacement read \1 again and skipped it/);
  });
  it("counting, then committing by hand, with the same memory fails stage 2 the same way", async () => {
    const fresh = skipSeen();
    const r = await c.check({
      ...noRetries,
      async consume(consumer, count) {
        await consumer.subscribe({ topics: ["metrics"], fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachMessage: async ({ topic, partition, message }) => {
            if (fresh(asPoint(message.value))) count(asPoint(message.value));
            await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
          },
        });
      },
    });
    expect(failedStage(r)).toBe(2);
    expect(invariant(r)).toMatch(/before its offset was committed/);
  });
  it("a retrying producer whose copies the consumer skips from memory fails stage 3: the point is in the log twice", async () => {
    const fresh = skipSeen();
    const r = await c.check({
      createProducer: (kafka) => kafka.producer(),
      send: noRetries.send,
      // The reference's commit-first consumer, counting only points the memory has not seen.
      consume: (consumer, count) => commitFirst(consumer, (p) => void (fresh(p) && count(p))),
    });
    expect(failedStage(r)).toBe(3);
    expect(invariant(r)).toMatch(/(pt-\d+) is in the log [2-9] times \(metrics-\d offset \d+, .*counted \1 once only by recognising the repeats/);
  });
  it("the same memory beside a right answer is harmless: committing first with no retries still passes", async () => {
    const fresh = skipSeen();
    const r = await c.check({
      ...noRetries,
      // The reference's commit-first consumer, counting only points the memory has not seen.
      consume: (consumer, count) => commitFirst(consumer, (p) => void (fresh(p) && count(p))),
    });
    expect(r.passed, invariant(r)).toBe(true);
  });
  it("rejects a solution of the wrong shape with a ConfigError", async () => {
    await expect(c.check({ send: noRetries.send } as never)).rejects.toThrow(ConfigError);
  });
});

describe("notebook 04's cells for these build challenges", () => {
  const cells = (JSON.parse(readFileSync(join(__dirname, "../../../notebooks/04-messaging.sdenb"), "utf8")) as { cells: { id: string; source: string[]; metadata?: { collapsed?: boolean } }[] }).cells;
  const text = (id: string) => cells.find((c) => c.id === id)?.source.join("") ?? `(no cell ${id})`;
  for (const id of ["rabbitmq", "kafka-vs-rabbitmq", "at-most-once"] as const) {
    it(`${id}: the statement, every stage's goal and the three collapsed hints (no code in them)`, () => {
      const c = challenges[id];
      expect(text(`${id}-challenge`)).toContain(c.statement);
      for (const stage of c.stages) expect(text(`${id}-challenge`)).toContain(stage.goal);
      expect(text(`${id}-check`)).toContain(`challenges["${id}"].check(`);
      for (const level of [1, 2, 3] as const) {
        expect(text(`${id}-hint-${level}`)).toBe(c.hint(level));
        expect(cells.find((x) => x.id === `${id}-hint-${level}`)!.metadata?.collapsed).toBe(true);
        expect(c.hint(level)).not.toMatch(/```|=>|\(\)/);
      }
      expect(text(`${id}-warmup-check`)).toContain(`challenges["${id}-warmup"].check(`);
    });
  }
});
