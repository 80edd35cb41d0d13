/**
 * Challenges of the "Message brokers" section, keyed by catalog id. Each scenario is built
 * with the public `sde-lab` API only, on fixed seeds.
 */
import { toBuffer } from "../messaging/content";
import { ConfigError, Kafka, RabbitMQ, Simulation, type AmqpMessage, type KafkaConsumer } from "sde-lab";
import { defineChallenge, type Challenge } from "./challenge";
import type { BuildChallenge } from "./build";
import { kafkaConsumerLoopBuild } from "./messaging-build/consumer-loop";
import { idempotentConsumerBuild } from "./messaging-build/idempotent-consumer";
import { readProcessWriteBuild } from "./messaging-build/read-process-write";
import { rabbitRetryBuild } from "./build-messaging/retry-topology";
import { workQueueOnBothBuild } from "./build-messaging/work-queue-both";
import { telemetryBuild } from "./build-messaging/telemetry";

// ---- kafka: partitions, keys and consumers ---------------------------------------------

/** A user event of the Kafka challenge. */
export interface ClickEvent {
  user: string;
  /** 1, 2, 3… per user, in the order the user did things. */
  seq: number;
}

/** Solution of the `kafka-warmup` challenge (knobs; the `kafka` challenge is a build). */
export interface KafkaSolution {
  /** Partitions of the `clicks` topic (1–64). */
  partitions: number;
  /** Consumers in the group (1–16). */
  consumers: number;
  /** The message key of an event (null: no key). */
  key: (event: ClickEvent) => string | null;
}

const kafkaChallenge = defineChallenge<KafkaSolution, "orderViolations" | "idleConsumers" | "drainMs">({
  id: "kafka-warmup",
  title: "Spread the work, keep each user's order",
  statement: [
    "600 click events from 12 users arrive on a `clicks` topic; each takes a consumer 10 ms to process.",
    "Choose the partition count, the consumer count and the message key so that every user's events are processed in the order they happened,",
    "no consumer sits idle, and the backlog is gone quickly.",
  ].join(" "),
  targets: [
    { metric: "orderViolations", label: "events processed before an earlier event of the same user", op: "==", value: 0, hint: "Order holds only within a partition: key each event by what must stay in order." },
    { metric: "idleConsumers", label: "consumers with no partition", op: "==", value: 0, hint: "A group gives each partition to one consumer: more consumers than partitions leaves some idle." },
    { metric: "drainMs", label: "time to process all 600 events", op: "<=", value: 2_500, unit: "ms", hint: "Parallelism is the number of busy consumers: one consumer needs 6 000 ms." },
  ],
  validate(s) {
    if (!Number.isInteger(s.partitions) || s.partitions < 1 || s.partitions > 64) throw new ConfigError("kafka challenge", "partitions", s.partitions, "a whole number from 1 to 64");
    if (!Number.isInteger(s.consumers) || s.consumers < 1 || s.consumers > 16) throw new ConfigError("kafka challenge", "consumers", s.consumers, "a whole number from 1 to 16");
    if (typeof s.key !== "function") throw new ConfigError("kafka challenge", "key", s.key, "a function (event) => key");
  },
  async run(s, seed) {
    const sim = new Simulation({ seed, traceLimit: 1_000 });
    const kafka = new Kafka(sim, { brokers: 3 });
    const last = new Map<string, number>();
    let violations = 0;
    let processed = 0;
    const consumers: KafkaConsumer[] = [];
    let start = 0;
    await sim.run(async () => {
      await kafka.admin().createTopics({ topics: [{ topic: "clicks", numPartitions: s.partitions, replicationFactor: 3 }] });
      for (let i = 1; i <= s.consumers; i++) {
        const c = kafka.consumer({ groupId: "analytics", name: `analytics-${i}` });
        await c.connect();
        await c.subscribe({ topics: ["clicks"], fromBeginning: true });
        await c.run({
          eachMessage: async ({ message }) => {
            await sim.sleep(10);
            const [user, seq] = String(message.value).split(":") as [string, string];
            if (Number(seq) < (last.get(user) ?? 0)) violations++;
            last.set(user, Math.max(Number(seq), last.get(user) ?? 0));
            processed++;
          },
        });
        consumers.push(c);
      }
      await sim.sleep(100);
      const perUser = new Map<string, number>();
      const events: ClickEvent[] = Array.from({ length: 600 }, () => {
        const user = `user-${sim.random.int(1, 12)}`;
        const seq = (perUser.get(user) ?? 0) + 1;
        perUser.set(user, seq);
        return { user, seq };
      });
      const producer = kafka.producer();
      await producer.connect();
      start = sim.now;
      for (let i = 0; i < events.length; i += 100) {
        await producer.send({ topic: "clicks", messages: events.slice(i, i + 100).map((e) => ({ key: s.key(e), value: `${e.user}:${e.seq}` })) });
      }
      while (processed < events.length && sim.now - start < 60_000) await sim.sleep(50);
    });
    return { orderViolations: violations, idleConsumers: consumers.filter((c) => c.assignment().length === 0).length, drainMs: sim.now - start };
  },
});

// ---- rabbitmq: prefetch and a poison message ----------------------------------------------

/** Solution of the `rabbitmq` challenge. */
export interface RabbitSolution {
  /** Unacknowledged messages each worker may hold (0 = no limit). */
  prefetch: number;
  /** What a worker does with a task that fails: put it back, or reject it to the dead-letter queue. */
  onError: "requeue" | "dead-letter";
}

const rabbitChallenge = defineChallenge<RabbitSolution, "finishMs" | "poisonDeliveries" | "deadLettered">({
  id: "rabbitmq-warmup",
  title: "A work queue that survives a slow worker and a poison message",
  statement: [
    "300 tasks go to the `tasks` queue, which dead-letters to `tasks.dead`. Two workers consume it: a fast one (5 ms a task) and a slow one (50 ms).",
    "Task 17 always fails. Pick the prefetch and what a worker does on failure so that the good tasks finish fast",
    "and the poison task ends up in the dead-letter queue instead of going round forever.",
  ].join(" "),
  targets: [
    { metric: "finishMs", label: "time until the 299 good tasks are done", op: "<=", value: 2_500, unit: "ms", hint: "With no prefetch limit the broker pushes half the queue to the slow worker at once; a small prefetch lets the fast one take more." },
    { metric: "poisonDeliveries", label: "deliveries of the poison task", op: "<=", value: 1, hint: "nack with requeue puts it straight back at the head: it never stops failing." },
    { metric: "deadLettered", label: "messages in tasks.dead", op: "==", value: 1, hint: "Reject without requeue (nack(msg, false, false)) so the queue's dead-letter exchange takes it." },
  ],
  validate(s) {
    if (!Number.isInteger(s.prefetch) || s.prefetch < 0 || s.prefetch > 1000) throw new ConfigError("rabbitmq challenge", "prefetch", s.prefetch, "a whole number from 0 (no limit) to 1000");
    if (s.onError !== "requeue" && s.onError !== "dead-letter") throw new ConfigError("rabbitmq challenge", "onError", s.onError, '"requeue" or "dead-letter"');
  },
  async run(s, seed) {
    const sim = new Simulation({ seed, traceLimit: 1_000 });
    const rabbit = new RabbitMQ(sim);
    let good = 0;
    let finishMs = Infinity;
    let poison = 0;
    await sim.run(async () => {
      const ch = await (await rabbit.connect({ name: "producer" })).createChannel();
      await ch.assertExchange("dlx", "fanout");
      await ch.assertQueue("tasks.dead");
      await ch.bindQueue("tasks.dead", "dlx", "");
      await ch.assertQueue("tasks", { deadLetterExchange: "dlx" });
      for (const [name, ms] of [["fast-worker", 5], ["slow-worker", 50]] as const) {
        const w = await (await rabbit.connect({ name })).createChannel();
        await w.prefetch(s.prefetch);
        // A worker does one task at a time; prefetched ones wait in its buffer.
        let busy = Promise.resolve();
        await w.consume("tasks", (m: AmqpMessage | null) => {
          if (!m) return;
          const id = Number(String(m.content));
          busy = busy.then(() => sim.sleep(ms)).then(() => {
            if (id === 17) {
              poison++;
              w.nack(m, false, s.onError === "requeue");
              return;
            }
            good++;
            if (good === 299) finishMs = sim.now;
            w.ack(m);
          });
        });
      }
      for (let i = 1; i <= 300; i++) ch.sendToQueue("tasks", toBuffer(String(i)));
      await sim.sleep(10_000);
    });
    return { finishMs, poisonDeliveries: poison, deadLettered: rabbit.queueInfo("tasks.dead").messages };
  },
});

// ---- kafka-vs-rabbitmq: a service that joins later ------------------------------------------

/** Solution of the `kafka-vs-rabbitmq` challenge. */
export interface ReplaySolution {
  broker: "kafka" | "rabbitmq";
  /** Kafka topic `cleanup.policy`. Default "delete". */
  cleanupPolicy?: "delete" | "compact";
  /** Kafka topic `retention.ms`. Default 7 days. */
  retentionMs?: number;
}

const replayChallenge = defineChallenge<ReplaySolution, "accountsRebuilt" | "storedKB">({
  id: "kafka-vs-rabbitmq-warmup",
  title: "Let a service that starts later rebuild its state",
  statement: [
    "Over two days 50 accounts each get 40 balance updates (2 000 messages). Then a new reporting service starts and must know every account's latest balance,",
    "from the broker alone. Pick the broker and, for Kafka, the topic's cleanup policy and retention, so the new service rebuilds all 50 accounts",
    "while the broker stores little.",
  ].join(" "),
  targets: [
    { metric: "accountsRebuilt", label: "accounts whose latest balance the new service has", op: "==", value: 50, hint: "A queue forgets what its consumers acked, and a new queue starts empty; a log keeps history for readers that come later." },
    { metric: "storedKB", label: "data the broker holds at the end", op: "<=", value: 40, unit: "KB", hint: "Only the latest balance per account matters: which cleanup policy keeps just that?" },
  ],
  validate(s) {
    if (s.broker !== "kafka" && s.broker !== "rabbitmq") throw new ConfigError("kafka-vs-rabbitmq challenge", "broker", s.broker, '"kafka" or "rabbitmq"');
    if (s.cleanupPolicy !== undefined && s.cleanupPolicy !== "delete" && s.cleanupPolicy !== "compact") throw new ConfigError("kafka-vs-rabbitmq challenge", "cleanupPolicy", s.cleanupPolicy, '"delete" or "compact"');
    if (s.retentionMs !== undefined && (!Number.isInteger(s.retentionMs) || s.retentionMs < 1)) throw new ConfigError("kafka-vs-rabbitmq challenge", "retentionMs", s.retentionMs, "a whole number of ms ≥ 1");
  },
  async run(s, seed) {
    const sim = new Simulation({ seed, traceLimit: 1_000 });
    const updates = Array.from({ length: 2_000 }, (_, i) => ({ account: `acct-${(i % 50) + 1}`, balance: sim.random.int(0, 100_000) }));
    const latest = new Map<string, number>();
    for (const u of updates) latest.set(u.account, u.balance);
    const interval = Math.floor((2 * 86_400_000) / updates.length);
    const rebuilt = new Map<string, number>();
    let storedBytes = 0;
    if (s.broker === "rabbitmq") {
      const rabbit = new RabbitMQ(sim);
      await sim.run(async () => {
        const ch = await (await rabbit.connect()).createChannel();
        await ch.assertExchange("accounts", "fanout");
        await ch.assertQueue("billing");
        await ch.bindQueue("billing", "accounts", "");
        await ch.consume("billing", (m) => m && ch.ack(m));
        for (const u of updates) {
          ch.publish("accounts", "", toBuffer(`${u.account}=${u.balance}`), { persistent: true });
          await sim.sleep(interval);
        }
        const late = await (await rabbit.connect()).createChannel();
        await late.assertQueue("reporting");
        await late.bindQueue("reporting", "accounts", "");
        await late.consume("reporting", (m) => {
          if (!m) return;
          const [a, b] = String(m.content).split("=") as [string, string];
          rebuilt.set(a, Number(b));
        });
        await sim.sleep(1_000);
      });
      for (const q of ["billing", "reporting"]) storedBytes += rabbit.peek(q).reduce((a, m) => a + String(m.content).length, 0);
    } else {
      const kafka = new Kafka(sim, { brokers: 1 });
      await sim.run(async () => {
        const configEntries = [
          { name: "cleanup.policy", value: s.cleanupPolicy ?? "delete" },
          { name: "retention.ms", value: String(s.retentionMs ?? 604_800_000) },
          { name: "segment.ms", value: "3600000" },
        ];
        await kafka.admin().createTopics({ topics: [{ topic: "accounts", numPartitions: 3, configEntries }] });
        const producer = kafka.producer();
        await producer.connect();
        for (const u of updates) {
          await producer.send({ topic: "accounts", messages: [{ key: u.account, value: String(u.balance) }] });
          await sim.sleep(interval);
        }
        const late = kafka.consumer({ groupId: "reporting" });
        await late.connect();
        await late.subscribe({ topics: ["accounts"], fromBeginning: true });
        await late.run({ eachMessage: async ({ message }) => void rebuilt.set(String(message.key), Number(String(message.value))) });
        await sim.sleep(1_000);
      });
      storedBytes = kafka.cluster.logSize("accounts");
    }
    let correct = 0;
    for (const [a, b] of latest) if (rebuilt.get(a) === b) correct++;
    return { accountsRebuilt: correct, storedKB: Math.round(storedBytes / 102.4) / 10 };
  },
});

// ---- delivery guarantees: a payments pipeline with crashes -------------------------------------

interface PipelineOptions {
  seed: number;
  /** How many messages are handled between commits. */
  batchSize: number;
  commit: "before-processing" | "after-processing" | "transaction";
  /** For the transaction mode. */
  sendOffsetsInTransaction?: boolean;
  readCommitted?: boolean;
  /** Applies one payment to the store (the learner's handler). */
  apply: (payment: Payment, db: PaymentsDb) => void;
}

/** A payment of the delivery-guarantee challenges. */
export interface Payment {
  id: string;
  amount: number;
}

/** The store a payment handler writes to. */
export interface PaymentsDb {
  /** Charges a payment (each call is a charge: twice is a double charge). */
  charge(id: string, amount: number): void;
  /** Ids already handled: record an id in the same step as its charge. */
  readonly processed: Set<string>;
}

async function paymentsPipeline(o: PipelineOptions): Promise<{ lost: number; duplicated: number }> {
  const sim = new Simulation({ seed: o.seed, traceLimit: 1_000 });
  const kafka = new Kafka(sim, { brokers: 3 });
  const N = 240;
  const charges = new Map<string, number>();
  const db: PaymentsDb = { charge: (id) => void charges.set(id, (charges.get(id) ?? 0) + 1), processed: new Set() };
  const crashAt = new Set<number>();
  while (crashAt.size < 3) crashAt.add(sim.random.int(30, N - 30));
  let handled = 0;
  let instances = 0;
  let crashes = 0;
  const txMode = o.commit === "transaction";
  await sim.run(async () => {
    await kafka.admin().createTopics({ topics: [{ topic: "payments", numPartitions: 2, replicationFactor: 3 }, { topic: "charges", numPartitions: 2, replicationFactor: 3 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: "payments", messages: Array.from({ length: N }, (_, i) => ({ key: `pay-${i + 1}`, value: `pay-${i + 1}:${(i % 9) + 1}` })) });
    const start = async () => {
      const name = `payments-worker-${++instances}`;
      const c = kafka.consumer({ groupId: "payments", name, sessionTimeout: 6_000, heartbeatInterval: 2_000, maxBytesPerPartition: 100_000 });
      const tx = txMode ? kafka.producer({ transactionalId: "payments-worker", name }) : undefined;
      await c.connect();
      await tx?.connect();
      await c.subscribe({ topics: ["payments"], fromBeginning: true });
      await c.run({
        autoCommit: false,
        eachBatch: async ({ batch, isRunning }) => {
          for (let i = 0; i < batch.messages.length; i += o.batchSize) {
            const chunk = batch.messages.slice(i, i + o.batchSize);
            const next = String(Number(chunk[chunk.length - 1]!.offset) + 1);
            const offsets = [{ topic: batch.topic, partition: batch.partition, offset: next }];
            if (o.commit === "before-processing") await c.commitOffsets(offsets);
            const txn = tx ? await tx.transaction() : undefined;
            for (const m of chunk) {
              if (!isRunning()) return;
              await sim.sleep(2);
              if (!isRunning()) return;
              const [id, amount] = String(m.value).split(":") as [string, string];
              if (txn) await txn.send({ topic: "charges", messages: [{ key: id, value: amount }] });
              else o.apply({ id, amount: Number(amount) }, db);
              handled++;
              if (crashAt.has(handled) && crashes < 3) {
                crashes++;
                sim.faults.crash(name);
                void sim.sleep(500).then(start);
                return;
              }
            }
            if (txn) {
              if (o.sendOffsetsInTransaction) await txn.sendOffsets({ consumerGroupId: "payments", topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] });
              await txn.commit();
              if (!o.sendOffsetsInTransaction) await c.commitOffsets(offsets);
            } else if (o.commit === "after-processing") await c.commitOffsets(offsets);
          }
        },
      });
    };
    await start();
    await sim.sleep(60_000);
    if (txMode) {
      // The downstream reader applies what it can see in the charges topic.
      const reader = kafka.consumer({ groupId: "ledger", readUncommitted: !o.readCommitted });
      await reader.connect();
      await reader.subscribe({ topics: ["charges"], fromBeginning: true });
      await reader.run({ eachMessage: async ({ message }) => o.apply({ id: String(message.key), amount: Number(String(message.value)) }, db) });
      await sim.sleep(2_000);
    }
  });
  let lost = 0;
  let duplicated = 0;
  for (let i = 1; i <= N; i++) {
    const n = charges.get(`pay-${i}`) ?? 0;
    if (n === 0) lost++;
    else duplicated += n - 1;
  }
  return { lost, duplicated };
}

/** Solution of the `at-most-once` challenge. */
export interface AtMostOnceSolution {
  /** Commit the offsets of a chunk before or after processing it. */
  commit: "before-processing" | "after-processing";
  /** Messages per chunk (one commit per chunk). */
  batchSize: number;
}

const charge = (p: Payment, db: PaymentsDb) => db.charge(p.id, p.amount);

function checkBatch(id: string, batchSize: number) {
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 500) throw new ConfigError(`${id} challenge`, "batchSize", batchSize, "a whole number from 1 to 500");
}

const atMostOnce = defineChallenge<AtMostOnceSolution, "duplicated" | "lost">({
  id: "at-most-once-warmup",
  title: "Metrics that never count twice and lose little",
  statement:
    "240 metric points flow through a Kafka consumer that crashes three times (at seeded points) and is replaced. Counting a point twice corrupts the dashboard; losing a few is acceptable. Choose when to commit and how many messages per commit.",
  targets: [
    { metric: "duplicated", label: "points counted twice", op: "==", value: 0, hint: "Committing after processing re-delivers everything since the last commit after a crash." },
    { metric: "lost", label: "points lost", op: "<=", value: 6, hint: "With commit-before-processing a crash loses the rest of the committed chunk: make chunks small." },
  ],
  validate: (s) => {
    checkBatch("at-most-once", s.batchSize);
    if (s.commit !== "before-processing" && s.commit !== "after-processing") throw new ConfigError("at-most-once challenge", "commit", s.commit, '"before-processing" or "after-processing"');
  },
  run: (s, seed) => paymentsPipeline({ seed, batchSize: s.batchSize, commit: s.commit, apply: charge }),
});

/** Solution of the `at-least-once` challenge. */
export interface AtLeastOnceSolution {
  commit: "before-processing" | "after-processing";
  /** Applies a payment; it may be called again for the same payment after a crash. */
  apply: (payment: Payment, db: PaymentsDb) => void;
}

const atLeastOnce = defineChallenge<AtLeastOnceSolution, "lost" | "doubleCharges">({
  id: "at-least-once-warmup",
  title: "Charge every payment once, on at-least-once delivery",
  statement:
    "240 payments flow through a Kafka consumer that crashes three times and is replaced. No payment may be lost, and no customer may be charged twice. Choose when to commit and write `apply` so a re-delivered payment is not charged again.",
  targets: [
    { metric: "lost", label: "payments never charged", op: "==", value: 0, hint: "Commit after processing, so a crash re-delivers instead of skipping." },
    { metric: "doubleCharges", label: "extra charges", op: "==", value: 0, hint: "Re-deliveries will come: skip ids already in db.processed, and add the id when you charge." },
  ],
  validate: (s) => {
    if (typeof s.apply !== "function") throw new ConfigError("at-least-once challenge", "apply", s.apply, "a function (payment, db) => void");
    if (s.commit !== "before-processing" && s.commit !== "after-processing") throw new ConfigError("at-least-once challenge", "commit", s.commit, '"before-processing" or "after-processing"');
  },
  async run(s, seed) {
    const r = await paymentsPipeline({ seed, batchSize: 10, commit: s.commit, apply: s.apply });
    return { lost: r.lost, doubleCharges: r.duplicated };
  },
});

/** Solution of the `exactly-once` challenge. */
export interface ExactlyOnceSolution {
  /** Add the consumer offsets to the transaction (true) or commit them separately after it (false). */
  sendOffsetsInTransaction: boolean;
  /** The downstream reader's isolation: read_committed (true) or read_uncommitted (false). */
  readCommitted: boolean;
}

const exactlyOnce = defineChallenge<ExactlyOnceSolution, "lost" | "duplicated">({
  id: "exactly-once-warmup",
  title: "Consume, transform, produce: exactly once",
  statement:
    "A worker reads 240 payments, writes a charge per payment to the `charges` topic inside a Kafka transaction, and crashes three times. A ledger service reads `charges`. Configure the transaction and the reader so the ledger sees every charge exactly once.",
  targets: [
    { metric: "lost", label: "payments missing from the ledger", op: "==", value: 0, hint: "Offsets must not move ahead of committed output." },
    { metric: "duplicated", label: "duplicate charges in the ledger", op: "==", value: 0, hint: "Aborted transactions stay in the log: only read_committed readers skip them; and offsets committed outside the transaction can lag behind its output." },
  ],
  validate: (s) => {
    if (typeof s.sendOffsetsInTransaction !== "boolean") throw new ConfigError("exactly-once challenge", "sendOffsetsInTransaction", s.sendOffsetsInTransaction, "true or false");
    if (typeof s.readCommitted !== "boolean") throw new ConfigError("exactly-once challenge", "readCommitted", s.readCommitted, "true or false");
  },
  run: (s, seed) => paymentsPipeline({ seed, batchSize: 10, commit: "transaction", sendOffsetsInTransaction: s.sendOffsetsInTransaction, readCommitted: s.readCommitted, apply: charge }),
});

export const messagingChallenges = {
  kafka: kafkaConsumerLoopBuild,
  "kafka-warmup": kafkaChallenge,
  rabbitmq: rabbitRetryBuild,
  "rabbitmq-warmup": rabbitChallenge,
  "kafka-vs-rabbitmq": workQueueOnBothBuild,
  "kafka-vs-rabbitmq-warmup": replayChallenge,
  "at-most-once": telemetryBuild,
  "at-most-once-warmup": atMostOnce,
  "at-least-once": idempotentConsumerBuild,
  "at-least-once-warmup": atLeastOnce,
  "exactly-once": readProcessWriteBuild,
  "exactly-once-warmup": exactlyOnce,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each challenge has its own solution type; the index keeps them apart.
} satisfies Record<string, Challenge<any> | BuildChallenge<any>>;
