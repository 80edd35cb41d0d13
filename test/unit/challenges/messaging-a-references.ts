// Reference solutions of the kafka (consumer loop), at-least-once (idempotent consumer) and
// exactly-once (read-process-write) build challenges, with switches that turn them into
// known-wrong answers. They live with the tests (reference solutions never ship); the bench
// imports them to time a full check.
import type { KafkaMessage } from "sde-lab";
import type { ConsumerLoopKit, ConsumerLoopSolution, IdempotentConsumerSolution, PaymentsStore, ReadProcessWriteKit, ReadProcessWriteSolution } from "sde-lab/challenges";

export type LoopFlaw = { commitFirst?: boolean; lazy?: boolean; commitWholeBatch?: boolean; background?: boolean; firstOfBatch?: boolean; autoCommit?: boolean };
export const loop = (flaw: LoopFlaw = {}): ConsumerLoopSolution => ({
  async start({ consumer, process }: ConsumerLoopKit) {
    let count = 0;
    const queue: (() => Promise<void>)[] = [];
    let draining = false;
    await consumer.run({
      autoCommit: flaw.autoCommit ?? false,
      eachBatch: async ({ batch, isRunning, isStale }) => {
        const { topic, partition } = batch;
        const end = String(Number(batch.lastOffset()) + 1);
        if (flaw.commitFirst) await consumer.commitOffsets([{ topic, partition, offset: end }]);
        let next: string | undefined;
        for (const m of flaw.firstOfBatch ? batch.messages.slice(0, 1) : batch.messages) {
          if (!isRunning() || isStale()) break;
          if (flaw.background) {
            // Work handed to a queue that runs after the handler returned.
            queue.push(async () => {
              await process(topic, partition, m);
              await consumer.commitOffsets([{ topic, partition, offset: String(Number(m.offset) + 1) }]).catch(() => undefined);
            });
            continue;
          }
          await process(topic, partition, m);
          next = String(Number(m.offset) + 1);
          // Commits every 7 messages, and at the end of the log: fewer commits, uncommitted work at a handover.
          if (flaw.lazy && (++count % 7 === 0 || batch.offsetLag() === "0")) await consumer.commitOffsets([{ topic, partition, offset: next }]);
        }
        if (flaw.background && !draining) {
          draining = true;
          void (async () => {
            while (queue.length > 0) await queue.shift()!();
            draining = false;
          })();
        }
        if (flaw.commitFirst || flaw.lazy || flaw.background) return;
        if (flaw.commitWholeBatch || flaw.firstOfBatch) await consumer.commitOffsets([{ topic, partition, offset: end }]);
        else if (next !== undefined) await consumer.commitOffsets([{ topic, partition, offset: next }]);
      },
    });
  },
});

export type DedupeFlaw = "none" | "recordFirst" | "recordAfter" | "memory" | "ignoreAmount" | "throwsOnDuplicate";
export const handler = (flaw?: DedupeFlaw, insertFirst = false): IdempotentConsumerSolution => {
  // One in-memory set per consumer instance (each instance gets its own store object).
  const memories = new WeakMap<object, Set<string>>();
  return {
    async handle(message: KafkaMessage, store: PaymentsStore) {
      const id = String(message.key);
      const [order, cents] = String(message.value).split(":") as [string, string];
      const amount = flaw === "ignoreAmount" ? 100 : Number(cents);
      if (flaw === "none") return store.charge(order, amount);
      if (flaw === "recordFirst" || flaw === "recordAfter") {
        if (await store.isProcessed(id)) return;
        if (flaw === "recordFirst") await store.markProcessed(id);
        await store.charge(order, amount);
        if (flaw === "recordAfter") await store.markProcessed(id);
        return;
      }
      if (flaw === "memory") {
        const memory = memories.get(store) ?? new Set<string>();
        memories.set(store, memory);
        if (memory.has(id)) return;
        memory.add(id);
        return store.transaction(async (tx) => tx.charge(order, amount));
      }
      if (flaw === "throwsOnDuplicate") {
        // Relies on the unique key, but lets its error escape.
        return store.transaction(async (tx) => {
          await tx.markProcessed(id);
          await tx.charge(order, amount);
        });
      }
      if (insertFirst) {
        // Also right: check outside, then record and charge in one transaction (the unique key guards a race).
        if (await store.isProcessed(id)) return;
        return store.transaction(async (tx) => {
          await tx.markProcessed(id);
          await tx.charge(order, amount);
        });
      }
      await store.transaction(async (tx) => {
        if (await tx.isProcessed(id)) return;
        await tx.charge(order, amount);
        await tx.markProcessed(id);
      });
    },
  };
};

export type EosFlaw = "offsetsAfter" | "noTxn" | "uniqueId" | "uniqueIdShort" | "noop" | "firstOnly" | "noOffsets";
export const worker = (flaw?: EosFlaw): ReadProcessWriteSolution => ({
  async start({ consumer, createProducer, price }: ReadProcessWriteKit) {
    const transactional = flaw !== "noTxn";
    const transactionalId = flaw === "uniqueId" || flaw === "uniqueIdShort" ? `charger-${consumer.node.name}` : "charger-tx";
    const producer = createProducer(transactional ? { transactionalId, ...(flaw === "uniqueIdShort" ? { transactionTimeout: 1_000 } : {}) } : { idempotent: true });
    await producer.connect();
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (flaw === "noop") return;
        const msgs = flaw === "firstOnly" ? batch.messages.slice(0, 1) : batch.messages;
        const next = String(Number(batch.lastOffset()) + 1);
        const offsets = [{ topic: batch.topic, partition: batch.partition, offset: next }];
        if (!transactional) {
          for (const m of msgs) await producer.send({ topic: "charges", messages: [await price(m)] });
          await consumer.commitOffsets(offsets);
          return;
        }
        const txn = await producer.transaction();
        try {
          for (const m of msgs) await txn.send({ topic: "charges", messages: [await price(m)] });
          if (flaw !== "offsetsAfter" && flaw !== "noOffsets") await txn.sendOffsets({ consumerGroupId: "charger", topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] });
          await txn.commit();
        } catch (e) {
          if (txn.isActive()) await txn.abort().catch(() => undefined);
          throw e;
        }
        if (flaw === "offsetsAfter") await consumer.commitOffsets(offsets);
      },
    });
  },
});
