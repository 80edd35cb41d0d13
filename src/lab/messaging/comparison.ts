/**
 * Kafka vs RabbitMQ, measured: the same event stream (user events from three regions) goes
 * through both simulations, and each row of the comparison is a number from those runs —
 * push vs pull, what stays stored after consumption, replay by a new reader, per-key order
 * with two consumers and one retried message, routing a subset, and network frames per
 * message (the batching that drives Kafka's throughput).
 */
import { wholeNumber } from "../errors";
import { DISPLAY, markdown, table, type MimeBundle } from "../display";
import { Simulation } from "../sim/simulation";
import { Kafka } from "./kafka/kafka";
import { RabbitMQ } from "./rabbitmq/broker";
import { toBuffer } from "./content";
import type { AmqpMessage } from "./rabbitmq/types";

/** Options of {@link compareKafkaRabbitMQ}. */
export interface BrokerComparisonOptions {
  /** Events sent through each broker. Default 300. */
  messages?: number;
  /** Distinct keys (users); order is checked per key. Default 10. */
  keys?: number;
  /** Seed of both simulations. Default 7. */
  seed?: number;
}

/** Numbers measured on one broker. */
export interface BrokerMeasurements {
  /** Requests consumers sent to get messages (Kafka fetches; 0 for RabbitMQ's push). */
  consumerRequests: number;
  /** Messages the broker pushed without being asked (RabbitMQ deliveries; 0 for Kafka). */
  pushedDeliveries: number;
  /** Client↔broker frames per message to publish, deliver and acknowledge/commit. */
  framesPerMessage: number;
  /** Messages still stored once every consumer is done. */
  storedAfterConsumption: number;
  /** Messages a reader created after consumption can read. */
  replayedByNewReader: number;
  /** Times a key's events were processed out of order (2 consumers, one retried message). */
  orderViolations: number;
  /** Messages the EU-only reader had to receive to get the EU events. */
  receivedForEuSubset: number;
  /** EU events among them. */
  euEvents: number;
}

/** Result of {@link compareKafkaRabbitMQ}. */
export interface BrokerComparison {
  readonly messages: number;
  readonly kafka: BrokerMeasurements;
  readonly rabbitmq: BrokerMeasurements;
  [DISPLAY](): MimeBundle;
}

const REGIONS = ["eu", "us", "ap"] as const;

function events(n: number, keys: number): { user: string; seq: number; region: string }[] {
  const perUser = new Map<string, number>();
  return Array.from({ length: n }, (_, i) => {
    const user = `user-${(i % keys) + 1}`;
    const seq = (perUser.get(user) ?? 0) + 1;
    perUser.set(user, seq);
    return { user, seq, region: REGIONS[i % REGIONS.length]! };
  });
}

function orderChecker() {
  const last = new Map<string, number>();
  let violations = 0;
  return {
    see(user: string, seq: number) {
      if (seq < (last.get(user) ?? 0)) violations++;
      last.set(user, Math.max(seq, last.get(user) ?? 0));
    },
    get violations() {
      return violations;
    },
  };
}

async function measureKafka(n: number, keys: number, seed: number): Promise<BrokerMeasurements> {
  const sim = new Simulation({ seed, traceLimit: 1_000 });
  const kafka = new Kafka(sim, { brokers: 3 });
  const list = events(n, keys);
  const order = orderChecker();
  let consumed = 0;
  let produceRequests = 0;
  let commits = 0;
  let fetches = 0;
  let euReceived = 0;
  let euEvents = 0;
  let replayed = 0;
  await sim.run(async () => {
    await kafka.admin().createTopics({ topics: [{ topic: "events", numPartitions: 3, replicationFactor: 3 }] });
    const producer = kafka.producer();
    await producer.connect();
    const consumers = [1, 2].map((i) => kafka.consumer({ groupId: "billing", name: `billing-${i}` }));
    let failedOnce = false;
    for (const c of consumers) {
      await c.connect();
      await c.subscribe({ topics: ["events"], fromBeginning: true });
      await c.run({
        eachMessage: async ({ message }) => {
          const [user, seq] = String(message.value).split(":") as [string, string];
          // One transient failure: kafkajs retries the same message, so the partition's order holds.
          if (!failedOnce && Number(seq) === 3) {
            failedOnce = true;
            throw new Error("transient failure");
          }
          await sim.sleep(1);
          order.see(user, Number(seq));
          consumed++;
        },
      });
    }
    for (let i = 0; i < n; i += 50) {
      await producer.send({ topic: "events", messages: list.slice(i, i + 50).map((e) => ({ key: e.user, value: `${e.user}:${e.seq}`, headers: { region: e.region } })) });
    }
    produceRequests = producer.stats.requests;
    while (consumed < n) await sim.sleep(50);
    for (const c of consumers) {
      fetches += c.stats.fetches;
      commits += c.stats.commits;
      await c.disconnect();
    }
    // A reader that arrives after everything was consumed (a new group) still reads it all.
    const audit = kafka.consumer({ groupId: "audit" });
    await audit.connect();
    await audit.subscribe({ topics: ["events"], fromBeginning: true });
    await audit.run({
      eachMessage: async ({ message }) => {
        replayed++;
        euReceived++;
        if (message.headers["region"] === "eu") euEvents++;
      },
    });
    while (replayed < n) await sim.sleep(50);
    await audit.disconnect();
  });
  let stored = 0;
  for (let p = 0; p < 3; p++) stored += kafka.cluster.partition("events", p).records;
  return {
    consumerRequests: fetches,
    pushedDeliveries: 0,
    framesPerMessage: round((produceRequests + fetches + commits) / n),
    storedAfterConsumption: stored,
    replayedByNewReader: replayed,
    orderViolations: order.violations,
    receivedForEuSubset: euReceived,
    euEvents,
  };
}

async function measureRabbit(n: number, keys: number, seed: number): Promise<BrokerMeasurements> {
  const sim = new Simulation({ seed, traceLimit: 1_000 });
  const rabbit = new RabbitMQ(sim);
  const list = events(n, keys);
  const order = orderChecker();
  let consumed = 0;
  let pushed = 0;
  let acks = 0;
  let euReceived = 0;
  let replayed = 0;
  await sim.run(async () => {
    const conn = await rabbit.connect({ name: "publisher" });
    const ch = await conn.createChannel();
    await ch.assertExchange("events", "topic");
    await ch.assertQueue("billing");
    await ch.assertQueue("eu-only");
    await ch.bindQueue("billing", "events", "#");
    await ch.bindQueue("eu-only", "events", "eu.#");
    let failedOnce = false;
    for (const i of [1, 2]) {
      const c = await (await rabbit.connect({ name: `billing-${i}` })).createChannel();
      await c.prefetch(10);
      await c.consume("billing", (m: AmqpMessage | null) => {
        if (!m) return;
        pushed++;
        const [user, seq] = String(m.content).split(":") as [string, string];
        if (!failedOnce && Number(seq) === 3) {
          // One transient failure: the message goes back to the queue while others move on.
          failedOnce = true;
          c.nack(m, false, true);
          return;
        }
        void sim.sleep(1).then(() => {
          order.see(user, Number(seq));
          consumed++;
          acks++;
          c.ack(m);
        });
      });
    }
    const eu = await (await rabbit.connect({ name: "eu-reader" })).createChannel();
    await eu.consume("eu-only", (m) => {
      if (!m) return;
      euReceived++;
      eu.ack(m);
    });
    for (const e of list) ch.publish("events", `${e.region}.${e.user}`, toBuffer(`${e.user}:${e.seq}`), { headers: { region: e.region } });
    while (consumed < n) await sim.sleep(50);
    // A reader that arrives after everything was consumed gets a new queue: the old messages are gone.
    await ch.assertQueue("audit");
    await ch.bindQueue("audit", "events", "#");
    await ch.consume("audit", () => void replayed++);
    await sim.sleep(100);
  });
  const stored = [...rabbit.queues.values()].reduce((a, q) => a + q.ready + q.unacked, 0);
  const euPushed = euReceived;
  return {
    consumerRequests: 0,
    pushedDeliveries: pushed,
    // Publish, deliver and ack frames per message on the billing path.
    framesPerMessage: round((n + pushed + acks + 1) / n),
    storedAfterConsumption: stored,
    replayedByNewReader: replayed,
    orderViolations: order.violations,
    receivedForEuSubset: euPushed,
    euEvents: euPushed,
  };
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

/**
 * Runs the same event stream through the Kafka and the RabbitMQ simulations and compares
 * them on measured numbers.
 * @example await compareKafkaRabbitMQ({ messages: 300 })
 */
export async function compareKafkaRabbitMQ(options: BrokerComparisonOptions = {}): Promise<BrokerComparison> {
  const n = wholeNumber("compareKafkaRabbitMQ", "messages", options.messages ?? 300);
  const keys = wholeNumber("compareKafkaRabbitMQ", "keys", options.keys ?? 10);
  const seed = options.seed ?? 7;
  const kafka = await measureKafka(n, keys, seed);
  const rabbitmq = await measureRabbit(n, keys, seed);
  return {
    messages: n,
    kafka,
    rabbitmq,
    [DISPLAY]: () => {
      const rows = [
        { aspect: "model", Kafka: `pull: consumers sent ${kafka.consumerRequests} fetch requests`, RabbitMQ: `push: the broker sent ${rabbitmq.pushedDeliveries} deliveries` },
        { aspect: "frames per message (publish + deliver + ack/commit)", Kafka: String(kafka.framesPerMessage), RabbitMQ: String(rabbitmq.framesPerMessage) },
        { aspect: "stored after every consumer is done", Kafka: `${kafka.storedAfterConsumption} of ${n} (a log)`, RabbitMQ: `${rabbitmq.storedAfterConsumption} of ${n} (acked = deleted)` },
        { aspect: "read by a reader that came later", Kafka: `${kafka.replayedByNewReader} of ${n} (replay from offset 0)`, RabbitMQ: `${rabbitmq.replayedByNewReader} of ${n}` },
        { aspect: "per-key order violations (2 consumers, 1 retry)", Kafka: String(kafka.orderViolations), RabbitMQ: String(rabbitmq.orderViolations) },
        { aspect: "messages received to get the EU events", Kafka: `${kafka.receivedForEuSubset} (filter after reading ${kafka.euEvents} EU)`, RabbitMQ: `${rabbitmq.receivedForEuSubset} (routed by \`eu.#\`)` },
      ];
      const head = markdown(`The same ${n} events (${keys} users, 3 regions) through both simulations; every cell below was measured in this run.`)[DISPLAY]();
      const body = table(rows)[DISPLAY]();
      return { "text/markdown": `${head["text/markdown"]}\n\n${body["text/markdown"]}`, "text/plain": `${head["text/plain"]}\n${body["text/plain"]}` };
    },
  };
}
