// The messaging build challenges' full checks (kafka consumer loop, idempotent consumer,
// read-process-write: every stage, every case) beside one plain run of the same scenario (the
// reference on one crash case). Target (issue 20): a full check ≤ 3 s headless on the 2-core
// machine; the ratio says what the checker costs over one run.
import type { KafkaMessage } from "../src/lab/index";
import { challenges, type ConsumerLoopSolution, type IdempotentConsumerSolution, type PaymentsStore, type ReadProcessWriteSolution } from "../src/lab/challenges/index";
import { runLoop } from "../src/lab/challenges/messaging-build/consumer-loop";
import { runPayments } from "../src/lab/challenges/messaging-build/idempotent-consumer";
import { runWorker } from "../src/lab/challenges/messaging-build/read-process-write";
import { report, time } from "./harness";

/** The references of test/unit/challenges/messaging-build-a.test.ts, inlined (reference solutions do not ship). */
const loop: ConsumerLoopSolution = {
  async start({ consumer, process }) {
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, isRunning, isStale }) => {
        let next: string | undefined;
        for (const m of batch.messages) {
          if (!isRunning() || isStale()) break;
          await process(batch.topic, batch.partition, m);
          next = String(Number(m.offset) + 1);
        }
        if (next !== undefined) await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
      },
    });
  },
};
const handler: IdempotentConsumerSolution = {
  async handle(message: KafkaMessage, store: PaymentsStore) {
    const id = String(message.key);
    const [order, cents] = String(message.value).split(":") as [string, string];
    await store.transaction(async (tx) => {
      if (await tx.isProcessed(id)) return;
      await tx.charge(order, Number(cents));
      await tx.markProcessed(id);
    });
  },
};
const worker: ReadProcessWriteSolution = {
  async start({ consumer, createProducer, price }) {
    const producer = createProducer({ transactionalId: "charger-tx" });
    await producer.connect();
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const txn = await producer.transaction();
        for (const m of batch.messages) await txn.send({ topic: "charges", messages: [await price(m)] });
        await txn.sendOffsets({ consumerGroupId: "charger", topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) }] }] });
        await txn.commit();
      },
    });
  },
};

const RUNS = 5;
const rows: { id: string; p50: number; plain: number }[] = [];
const cases = [
  { id: "kafka", plain: () => runLoop(loop, { seed: 300, size: 100, faults: [{ kind: "consumers", label: "", params: { n: 2 } }, { kind: "crash", label: "", at: 100, target: "billing-1" }] }), full: () => challenges["kafka"].check(loop) },
  { id: "at-least-once", plain: () => runPayments(handler, { seed: 700, size: 40, faults: [{ kind: "crash-point", label: "", target: "pay-3", params: { point: "after-charge" } }] }), full: () => challenges["at-least-once"].check(handler) },
  { id: "exactly-once", plain: () => runWorker(worker, { seed: 800, size: 40, faults: [{ kind: "crash-point", label: "", params: { point: "after-commit", n: 1 } }] }), full: () => challenges["exactly-once"].check(worker) },
] as const;
for (const c of cases) {
  const plain = await time(`${c.id}: one plain run (reference, one crash case)`, async () => {
    if (!(await c.plain()).ok) throw new Error(`the ${c.id} reference failed its plain run`);
  }, 10, 3);
  const full = await time(`${c.id}: full check of the reference (3 stages)`, async () => {
    if (!(await c.full()).passed) throw new Error(`the ${c.id} reference did not pass`);
  }, RUNS, 1);
  report(`Messaging build challenge ${c.id}: check vs one plain run`, plain, [full]);
  rows.push({ id: c.id, p50: full.p50, plain: plain.p50 });
}
for (const r of rows) console.log(`\n${r.id}: full check p50 ${r.p50.toFixed(0)} ms (target ≤ 3000 ms) ${r.p50 <= 3_000 ? "OK" : "OVER TARGET"}; ${(r.p50 / r.plain).toFixed(1)}× one plain run`);
