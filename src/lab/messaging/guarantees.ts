/**
 * Delivery guarantees, measured: the same workload (a producer writes N payments to a Kafka
 * topic; a consumer group applies each one to a ledger) runs under each guarantee with the
 * same seeded crash schedule, and the ledger is checked for lost and duplicated payments.
 *
 * - `at-most-once`: commit the batch's offsets, then process; a crash loses the rest of the batch.
 * - `at-least-once`: process, then commit; a crash re-delivers what was processed since the last commit.
 * - `at-least-once + idempotent consumer`: the same, but the ledger remembers payment ids in the
 *   same step as the effect, so a re-delivered payment is skipped.
 * - `exactly-once`: consume-transform-produce with a transactional producer: the ledger
 *   records go to an output topic and the input offsets are committed in the same
 *   transaction; read_committed readers see each payment once.
 *
 * A crash strikes right after the consumer has handled its k-th message (k drawn from the
 * seed), between two messages, before any commit of that batch; a new instance replaces it a
 * second later and gets the partitions once the group's session timeout removes the dead one.
 */
import { ConfigError, wholeNumber, nonNegative } from "../errors";
import { DISPLAY, markdown, table, type MimeBundle } from "../display";
import { Simulation } from "../sim/simulation";
import { Kafka, clusterOf } from "./kafka/kafka";
import type { Consumer } from "./kafka/consumer";

/** The guarantees the helper can run. */
export const DELIVERY_GUARANTEES = ["at-most-once", "at-least-once", "at-least-once + idempotent consumer", "exactly-once"] as const;

/** One of {@link DELIVERY_GUARANTEES}. */
export type DeliveryGuarantee = (typeof DELIVERY_GUARANTEES)[number];

/** Options of {@link compareDeliveryGuarantees}. Defaults in {@link DELIVERY_DEFAULTS}. */
export interface DeliveryOptions {
  /** Payments produced. Default 300. */
  messages?: number;
  /** Partitions of the input topic. Default 3. */
  partitions?: number;
  /** Consumer crashes, at seeded points of the run. Default 3. */
  crashes?: number;
  /** Seed of the simulation and of the crash points. Default 42. */
  seed?: number;
  /** Processing time per payment, ms. Default 5. */
  processingMs?: number;
  /** Bytes fetched per partition per request (sets the batch size: about 10 payments per KB). Default 1 000. */
  maxBytesPerPartition?: number;
  /** Group session timeout, ms. Default 10 000. */
  sessionTimeout?: number;
  /** Which guarantees to run. Default all four. */
  guarantees?: readonly DeliveryGuarantee[];
}

/** Defaults of {@link DeliveryOptions}. */
export const DELIVERY_DEFAULTS = { messages: 300, partitions: 3, crashes: 3, seed: 42, processingMs: 5, maxBytesPerPartition: 1_000, sessionTimeout: 10_000 } as const;

/** What one guarantee did. */
export interface DeliveryRun {
  guarantee: DeliveryGuarantee;
  /** How the consumer orders processing and commit. */
  how: string;
  /** Payments produced. */
  sent: number;
  /** Effects in the ledger (duplicates included). */
  processed: number;
  /** Payments never applied. */
  lost: number;
  /** Extra applications of payments already applied. */
  duplicated: number;
  /** Times a payment was handed to the consumer again after a crash. */
  redelivered: number;
  /** Consumer crashes injected. */
  crashes: number;
  /** Virtual time the run took, ms. */
  durationMs: number;
}

/** Result of {@link compareDeliveryGuarantees}: runs by guarantee, displayed as one table. */
export interface DeliveryComparison {
  readonly runs: readonly DeliveryRun[];
  /** The crash points used (the consumer's k-th handled message), the same for every guarantee. */
  readonly crashAfter: readonly number[];
  /** The run of one guarantee. */
  run(guarantee: DeliveryGuarantee): DeliveryRun;
  [DISPLAY](): MimeBundle;
}

const HOW: Record<DeliveryGuarantee, string> = {
  "at-most-once": "commit, then process",
  "at-least-once": "process, then commit",
  "at-least-once + idempotent consumer": "process (skip seen ids), then commit",
  "exactly-once": "transaction: output + offsets",
};

/**
 * Runs the same payments workload under each delivery guarantee with the same seeded
 * crashes and counts lost and duplicated payments.
 * @example await compareDeliveryGuarantees({ messages: 300, crashes: 3 })
 */
export async function compareDeliveryGuarantees(options: DeliveryOptions = {}): Promise<DeliveryComparison> {
  const o = {
    messages: wholeNumber("compareDeliveryGuarantees", "messages", options.messages ?? DELIVERY_DEFAULTS.messages),
    partitions: wholeNumber("compareDeliveryGuarantees", "partitions", options.partitions ?? DELIVERY_DEFAULTS.partitions),
    crashes: wholeNumber("compareDeliveryGuarantees", "crashes", options.crashes ?? DELIVERY_DEFAULTS.crashes, 0),
    seed: options.seed ?? DELIVERY_DEFAULTS.seed,
    processingMs: nonNegative("compareDeliveryGuarantees", "processingMs", options.processingMs ?? DELIVERY_DEFAULTS.processingMs),
    maxBytesPerPartition: wholeNumber("compareDeliveryGuarantees", "maxBytesPerPartition", options.maxBytesPerPartition ?? DELIVERY_DEFAULTS.maxBytesPerPartition),
    sessionTimeout: nonNegative("compareDeliveryGuarantees", "sessionTimeout", options.sessionTimeout ?? DELIVERY_DEFAULTS.sessionTimeout, 4),
  };
  if (o.crashes >= o.messages) throw new ConfigError("compareDeliveryGuarantees", "crashes", o.crashes, `fewer than messages (${o.messages})`);
  const guarantees = options.guarantees ?? DELIVERY_GUARANTEES;
  for (const g of guarantees) if (!DELIVERY_GUARANTEES.includes(g)) throw new ConfigError("compareDeliveryGuarantees", "guarantees", g, `one of ${DELIVERY_GUARANTEES.join(", ")}`);
  // Crash points: distinct handled-message counts spread over the run, from the seed.
  const rng = new Simulation({ seed: o.seed }).random;
  const points = new Set<number>();
  while (points.size < o.crashes) points.add(rng.int(Math.ceil(o.messages * 0.1), Math.floor(o.messages * 0.9)));
  const crashAfter = [...points].sort((a, b) => a - b);
  const runs: DeliveryRun[] = [];
  for (const g of guarantees) runs.push(await runOne(g, o, crashAfter));
  return {
    runs,
    crashAfter,
    run: (g) => {
      const r = runs.find((x) => x.guarantee === g);
      if (!r) throw new ConfigError("DeliveryComparison.run", "guarantee", g, `one of the guarantees run (${runs.map((x) => x.guarantee).join(", ")})`);
      return r;
    },
    [DISPLAY]: () => {
      const head = markdown(
        `${o.messages} payments, ${o.partitions} partitions, the consumer crashes right after handling message ${crashAfter.join(", ")} (same points in every run) and is replaced by a new instance.`,
      )[DISPLAY]();
      const b = table(runs.map((r) => ({ guarantee: r.guarantee, how: r.how, sent: r.sent, processed: r.processed, lost: r.lost, duplicated: r.duplicated, redelivered: r.redelivered, crashes: r.crashes })))[DISPLAY]();
      return { "text/markdown": `${head["text/markdown"]}\n\n${b["text/markdown"]}`, "text/plain": `${head["text/plain"]}\n${b["text/plain"]}` };
    },
  };
}

type Resolved = { messages: number; partitions: number; crashes: number; seed: number; processingMs: number; maxBytesPerPartition: number; sessionTimeout: number };

async function runOne(guarantee: DeliveryGuarantee, o: Resolved, crashAfter: readonly number[]): Promise<DeliveryRun> {
  const sim = new Simulation({ seed: o.seed, traceLimit: 2_000 });
  const kafka = new Kafka(sim, { brokers: 3 });
  const eos = guarantee === "exactly-once";
  const ledger = new Map<string, number>();
  const seen = new Set<string>();
  const handledOnce = new Set<string>();
  let handled = 0;
  let redelivered = 0;
  let crashes = 0;
  let instances = 0;
  const groupId = "payments-processor";
  await sim.run(async () => {
    const admin = kafka.admin();
    await admin.createTopics({ topics: [{ topic: "payments", numPartitions: o.partitions, replicationFactor: 3 }, ...(eos ? [{ topic: "ledger", numPartitions: o.partitions, replicationFactor: 3 }] : [])] });
    const producer = kafka.producer({ name: "payments-api" });
    await producer.connect();
    for (let i = 0; i < o.messages; i += 50) {
      await producer.send({ topic: "payments", messages: Array.from({ length: Math.min(50, o.messages - i) }, (_, k) => ({ key: `payment-${i + k + 1}`, value: `payment-${i + k + 1}` })) });
    }
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const start = async (): Promise<void> => {
      const name = `processor-${++instances}`;
      const consumer = kafka.consumer({ groupId, name, sessionTimeout: o.sessionTimeout, heartbeatInterval: Math.floor(o.sessionTimeout / 3), maxBytesPerPartition: o.maxBytesPerPartition });
      const txProducer = eos ? kafka.producer({ transactionalId: "payments-processor-tx", name }) : undefined;
      await consumer.connect();
      await txProducer?.connect();
      await consumer.subscribe({ topics: ["payments"], fromBeginning: true });
      const handle = (id: string, c: Consumer): boolean => {
        handled++;
        if (handledOnce.has(id)) redelivered++;
        handledOnce.add(id);
        if (crashAfter.includes(handled)) {
          crashes++;
          sim.faults.crash(c.node.name);
          void sim.sleep(1_000).then(start);
          return false;
        }
        return true;
      };
      const apply = (id: string) => {
        if (guarantee === "at-least-once + idempotent consumer") {
          // The id and the effect are recorded in one step (one database transaction in real life).
          if (seen.has(id)) return;
          seen.add(id);
        }
        ledger.set(id, (ledger.get(id) ?? 0) + 1);
        if (ledger.size === o.messages || seen.size === o.messages) checkDone();
      };
      const checkDone = () => {
        if (eos) {
          if (committedLedger(kafka).size === o.messages) done();
        } else if (new Set(ledger.keys()).size === o.messages) done();
      };
      await consumer.run({
        autoCommit: guarantee !== "at-most-once" && !eos,
        eachBatch: async ({ batch, resolveOffset, isRunning }) => {
          const topicPartition = { topic: batch.topic, partition: batch.partition };
          const next = String(Number(batch.lastOffset()) + 1);
          if (guarantee === "at-most-once") await consumer.commitOffsets([{ ...topicPartition, offset: next }]);
          const txn = txProducer ? await txProducer.transaction() : undefined;
          for (const m of batch.messages) {
            if (!isRunning()) return;
            await sim.sleep(o.processingMs);
            if (!isRunning()) return;
            const id = String(m.value);
            if (txn) await txn.send({ topic: "ledger", messages: [{ key: id, value: id }] });
            else apply(id);
            resolveOffset(m.offset);
            if (!handle(id, consumer)) return;
          }
          if (txn) {
            await txn.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] });
            await txn.commit();
            checkDone();
          }
        },
      });
    };
    await start();
    // The at-most-once run can never apply every payment: stop once the group has nothing left to read.
    const idle = sim.every(5_000, () => {
      const lag = kafka.lag(groupId).total;
      if (lag === 0 && sim.now > 1_000 && instances > crashes) done();
    });
    await finished;
    idle.cancel();
  });
  if (eos) {
    for (const [id, n] of committedLedger(kafka)) ledger.set(id, n);
  }
  const distinct = ledger.size;
  const processed = [...ledger.values()].reduce((a, b) => a + b, 0);
  return { guarantee, how: HOW[guarantee], sent: o.messages, processed, lost: o.messages - distinct, duplicated: processed - distinct, redelivered, crashes, durationMs: sim.now };
}

/** Ledger entries a read_committed reader sees in the output topic. */
function committedLedger(kafka: Kafka): Map<string, number> {
  const out = new Map<string, number>();
  const topic = clusterOf(kafka).topics.get("ledger");
  if (!topic) return out;
  for (const p of topic.partitions) {
    for (const r of p.log.records) {
      if (r.offset >= p.log.highWatermark) break;
      if (r.control || !r.txn || r.txn.status !== "committed") continue;
      const id = String(r.value);
      out.set(id, (out.get(id) ?? 0) + 1);
    }
  }
  return out;
}
