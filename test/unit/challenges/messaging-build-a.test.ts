// The messaging build challenges of notebook 04 (kafka consumer loop, idempotent consumer,
// read-process-write): each reference passes every stage on every case, the known-wrong answers
// fail at the stage that targets their mistake, the notebook's starter fails stage 1 with a useful
// sentence, and a full check stays fast. The references live in messaging-a-references.ts.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DISPLAY, Kafka, Simulation } from "sde-lab";
import { challenges, type ConsumerLoopSolution, type IdempotentConsumerSolution, type ReadProcessWriteSolution } from "sde-lab/challenges";
import { loop, handler, worker } from "./messaging-a-references";
import { failedStage, invariant, timed } from "./report-helpers";
import { runPayments } from "../../../src/lab/challenges/messaging-build/idempotent-consumer";
import { runWorker } from "../../../src/lab/challenges/messaging-build/read-process-write";
import { crashAt } from "../../../src/lab/challenges/seeded-cases";

type Report = Awaited<ReturnType<(typeof challenges)["kafka"]["check"]>>;
/**
 * A full check's budget is 3 s on an idle 2-core machine (bench/challenges.bench.ts measures it
 * beside a plain run); here it only guards against a gross regression, since the tests share
 * the machine.
 */
const GROSS_MS = 15_000;

/** The starter code of a notebook cell, evaluated as the learner's solution (types stripped by hand: the starters only use type imports). */
function starterOf(cellId: string, name: string): unknown {
  const nb = JSON.parse(readFileSync(join(__dirname, "../../../notebooks/04-messaging.sdenb"), "utf8")) as { cells: { id: string; source: string[] }[] };
  const src = nb.cells.find((c) => c.id === cellId)!.source.join("");
  const js = src
    .split("\n")
    .filter((l) => !l.startsWith("import "))
    .join("\n")
    .replace(/: (ConsumerLoopSolution|IdempotentConsumerSolution|ReadProcessWriteSolution|ConsumerLoopKit|ReadProcessWriteKit|KafkaMessage|PaymentsStore)\b/g, "");
  return new Function(`${js}\nreturn ${name};`)();
}

// ---------- kafka: consumer loop ----------

describe("kafka build challenge (consumer loop)", () => {
  const c = challenges["kafka"];
  it("the reference loop passes every stage", async () => {
    const { value, ms } = await timed(() => c.check(loop()));
    expect(value.headline, invariant(value)).toBe("Challenge kafka: PASSED (3 of 3 stages, 44 cases)");
    expect(ms).toBeLessThan(GROSS_MS);
  });
  it("the notebook's starter (processes, never commits) fails stage 1 and says the committed offset lags", async () => {
    const r = await c.check(starterOf("kafka-starter", "consumerLoop") as ConsumerLoopSolution);
    expect(failedStage(r)).toBe(1);
    expect(invariant(r)).toMatch(/committed offset there is 0 of \d+/);
  });
  it("same code, same report: two checks of a failing loop print the same text", async () => {
    const [a, b] = [await c.check(loop({ commitWholeBatch: true })), await c.check(loop({ commitWholeBatch: true }))];
    const plain = (r: Report) => r[DISPLAY]()["text/plain"];
    expect(plain(a)).toBe(plain(b));
    expect(plain(a)).toContain("smallest failing case");
  });
  it("a constant answer (never runs the consumer) fails stage 1: nothing processed", async () => {
    const r = await c.check({ start: async () => undefined });
    expect([failedStage(r), invariant(r)]).toEqual([1, expect.stringMatching(/never processed/)]);
  });
  it("autoCommit left on is refused: the loop must commit by itself", async () => {
    const r = await c.check(loop({ autoCommit: true }));
    expect([failedStage(r), invariant(r)]).toEqual([1, expect.stringMatching(/autoCommit.*false/)]);
  });
  it("committing before processing fails stage 1: the commit is ahead of the work", async () => {
    const r = await c.check(loop({ commitFirst: true }));
    expect([failedStage(r), invariant(r)]).toEqual([1, expect.stringMatching(/committed orders-\d at offset \d+ while offset \d+ had not been processed/)]);
  });
  it("processing only the first message of each batch (ignores the rest) fails stage 1", async () => {
    const r = await c.check(loop({ firstOfBatch: true }));
    expect(failedStage(r)).toBe(1);
  });
  it("lazy commits (every 7 messages) fail stage 2: a handover re-processes finished work with no crash", async () => {
    const r = await c.check(loop({ lazy: true }));
    expect([failedStage(r), invariant(r)]).toEqual([2, expect.stringMatching(/processed twice with no crash in between/)]);
  });
  it("lazy commits hidden by memory shared between instances (one process here, not in a deployment) fail stage 2", async () => {
    // The set outlives crashes and is shared by every instance; cleared when a case starts (its first instance), so it works over a whole check.
    const done = new Set<string>();
    const shared: ConsumerLoopSolution = {
      async start({ consumer, process }) {
        if (consumer.node.name === "billing-1") done.clear();
        let count = 0;
        await consumer.run({
          autoCommit: false,
          eachBatch: async ({ batch, isRunning, isStale }) => {
            const { topic, partition } = batch;
            for (const m of batch.messages) {
              if (!isRunning() || isStale()) break;
              if (!done.has(`${partition}@${m.offset}`)) await process(topic, partition, m);
              done.add(`${partition}@${m.offset}`);
              if (++count % 7 === 0 || batch.offsetLag() === "0") await consumer.commitOffsets([{ topic, partition, offset: String(Number(m.offset) + 1) }]);
            }
          },
        });
      },
    };
    const r = await c.check(shared);
    expect([failedStage(r), invariant(r)]).toEqual([2, expect.stringMatching(/^billing-\d committed orders-\d past @\d+, which it was handed and never processed: another instance had processed it/)]);
  });
  it("committing the whole batch after stopping early fails stage 3 (a consumer leaves mid-batch)", async () => {
    const r = await c.check(loop({ commitWholeBatch: true }));
    expect([failedStage(r), invariant(r)]).toEqual([3, expect.stringMatching(/committed orders-\d at offset \d+ while offset \d+ had not been processed/)]);
  });
  it("(not shipped) work queued to run after the handler returns fails stage 2: it processes a partition it no longer owns", async () => {
    const r = await c.check(loop({ background: true }));
    expect([failedStage(r), invariant(r)]).toEqual([2, expect.stringMatching(/processed orders-\d@\d+ after that partition was revoked from it/)]);
  });
});

// ---------- at-least-once: idempotent consumer ----------

describe("at-least-once build challenge (idempotent consumer)", () => {
  const c = challenges["at-least-once"];
  it("the reference (check, charge and record in one transaction) passes every stage", async () => {
    const { value, ms } = await timed(() => c.check(handler()));
    expect(value.headline, invariant(value)).toBe("Challenge at-least-once: PASSED (3 of 3 stages, 45 cases)");
    expect(ms).toBeLessThan(GROSS_MS);
    expect((await c.check(handler(undefined, true))).passed).toBe(true);
  });
  it("the notebook's starter (charges nothing) fails stage 1: an order was never charged", async () => {
    const r = await c.check(starterOf("at-least-once-starter", "paymentHandler") as IdempotentConsumerSolution);
    expect([failedStage(r), invariant(r)]).toEqual([1, expect.stringMatching(/order-1 \(pay-1\) was never charged/)]);
  });
  it("a constant amount (ignores part of the message) fails stage 1", async () => {
    const r = await c.check(handler("ignoreAmount"));
    expect([failedStage(r), invariant(r)]).toEqual([1, expect.stringMatching(/was charged 100 cents, but the payment says \d+/)]);
  });
  it("no dedupe fails stage 2: a redelivered payment is charged twice", async () => {
    const r = await c.check(handler("none"));
    expect([failedStage(r), invariant(r)]).toEqual([2, expect.stringMatching(/was charged 2 times/)]);
  });
  it("dedupe recorded before the charge, in a separate step, fails stage 3: a charge is lost", async () => {
    const r = await c.check(handler("recordFirst"));
    expect([failedStage(r), invariant(r)]).toEqual([3, expect.stringMatching(/was never charged, yet its dedupe record exists/)]);
  });
  it("dedupe recorded after the charge, in a separate step, fails stage 3: a double charge", async () => {
    const r = await c.check(handler("recordAfter"));
    expect([failedStage(r), invariant(r)]).toEqual([3, expect.stringMatching(/charged 2 times, after a crash right after the charge/)]);
  });
  it("(not shipped) an in-memory dedupe set per instance fails stage 2: the replacement forgets", async () => {
    const r = await c.check(handler("memory"));
    expect([failedStage(r), invariant(r)]).toEqual([2, expect.stringMatching(/charged 2 times/)]);
  });
  // The handler shares the checker's process, so a simulated crash cannot wipe state it keeps
  // outside the store (a module-level set); ids repeat from case to case, so such a set trips
  // over the next case, but on one case it would hide the double charge. Run case by case.
  const outsideTheStore = (): IdempotentConsumerSolution => {
    const seen = new Set<string>();
    return {
      async handle(message, store) {
        const [order, cents] = String(message.value).split(":") as [string, string];
        if (seen.has(String(message.key))) return;
        seen.add(String(message.key));
        await store.charge(order, Number(cents));
      },
    };
  };
  it("a dedupe set that outlives the simulated crash fails the case: skipped with no dedupe record in the database", async () => {
    const crash = await runPayments(outsideTheStore(), { seed: 700, size: 20, faults: [crashAt({ "after-charge": "right after the charge for" }, "after-charge", { who: "the consumer", detail: "pay-5", target: "pay-5" })] });
    expect([crash.ok, crash.invariant]).toEqual([false, expect.stringMatching(/^pay-5 was delivered again and the handler skipped it with no dedupe record for it in the database: .*outlived the simulated crash.*order-5 is charged twice\.$/)]);
    expect(crash.invariant!.length).toBeLessThanOrEqual(400);
    const repeat = await runPayments(outsideTheStore(), { seed: 600, size: 20, faults: [{ kind: "duplicate", label: "pay-3 is published twice", params: { index: 2 } }] });
    expect([repeat.ok, repeat.invariant]).toEqual([false, expect.stringMatching(/^pay-3 was delivered again .*lives in one process/)]);
  });
  it("(not shipped) letting the duplicate-key error escape fails stage 2: kafkajs would retry forever", async () => {
    const r = await c.check(handler("throwsOnDuplicate"));
    expect([failedStage(r), invariant(r)]).toEqual([2, expect.stringMatching(/the handler threw duplicate key/)]);
  });
});

// ---------- exactly-once: read-process-write ----------

describe("exactly-once build challenge (read-process-write)", () => {
  const c = challenges["exactly-once"];
  it("the reference (offsets inside the transaction, one transactional id) passes every stage", async () => {
    const { value, ms } = await timed(() => c.check(worker()));
    expect(value.headline, invariant(value)).toBe("Challenge exactly-once: PASSED (3 of 3 stages, 45 cases)");
    expect(ms).toBeLessThan(GROSS_MS);
  });
  it("the notebook's starter (writes nothing) fails stage 1: payments never reach the ledger", async () => {
    const r = await c.check(starterOf("exactly-once-starter", "chargerWorker") as ReadProcessWriteSolution);
    expect([failedStage(r), invariant(r)]).toEqual([1, expect.stringMatching(/never reached the read_committed ledger/)]);
  });
  it("a constant answer (writes nothing) and one that ignores all but the first message fail stage 1", async () => {
    expect(failedStage(await c.check(worker("noop")))).toBe(1);
    expect(failedStage(await c.check(worker("firstOnly")))).toBe(1);
  });
  it("skipping from a set that outlives the simulated crash fails the case: the charge was committed, its offset was not", async () => {
    // As for at-least-once: ids repeat between cases, so such a set trips over the next case;
    // on one case it hides the duplicate a real restart writes. Run case by case.
    const seen = new Set<string>();
    const remembers: ReadProcessWriteSolution = {
      async start({ consumer, createProducer, price }) {
        const producer = createProducer({ idempotent: true });
        await producer.connect();
        await consumer.run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              if (seen.has(String(m.key))) continue;
              seen.add(String(m.key));
              await producer.send({ topic: "charges", messages: [await price(m)] });
            }
            await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) }]);
          },
        });
      },
    };
    const r = await runWorker(remembers, { seed: 800, size: 40, faults: [crashAt({ "after-send": "right after producer.send" }, "after-send", { who: "the worker", detail: "#3", params: { n: 3 } })] });
    expect([r.ok, r.invariant]).toEqual([false, expect.stringMatching(/^charger-1 died with (pay-\d+)'s charge committed to charges but its offset \(payments-\d offset \d+\) not committed\. Its replacement read \1 again and wrote no second charge/)]);
    expect(r.invariant!.length).toBeLessThanOrEqual(400);
  });
  it("offsets committed after the transaction (sendOffsetsInTransaction: false) fail stage 2, at the crash right after commit()", async () => {
    const r = await c.check(worker("offsetsAfter"));
    expect([failedStage(r), invariant(r)]).toEqual([2, expect.stringMatching(/more than once .* after: crash the worker right after commit\(\)/)]);
  });
  it("no transaction (idempotent producer, then commitOffsets) fails stage 2", async () => {
    const r = await c.check(worker("noTxn"));
    expect([failedStage(r), invariant(r)]).toEqual([2, expect.stringMatching(/more than once/)]);
  });
  it("(not shipped) a transaction without the offsets fails stage 2: the replacement starts over", async () => {
    const r = await c.check(worker("noOffsets"));
    expect([failedStage(r), invariant(r)]).toEqual([2, expect.stringMatching(/more than once/)]);
  });
  it("a transactional id per instance fails stage 2: the dead worker's open transaction blocks read_committed readers", async () => {
    const r = await c.check(worker("uniqueId"));
    expect([failedStage(r), invariant(r)]).toEqual([2, expect.stringMatching(/still has a transaction open at offset \d+/)]);
  });
  it("a transactional id per instance with a short transaction timeout fails stage 3: the zombie's late transaction commits", async () => {
    const r = await c.check(worker("uniqueIdShort"));
    expect([failedStage(r), invariant(r)]).toEqual([3, expect.stringMatching(/more than once .* cut charger-1 off/)]);
  });
});

// ---------- the simulated Kafka behaviours these challenges rely on ----------
describe("simulated Kafka during a rebalance", () => {
  it("a member that has not rejoined yet may still commit for its generation; stop() lets the batch in progress finish", async () => {
    const sim = new Simulation({ seed: 3 });
    const kafka = new Kafka(sim, { brokers: 1 });
    const log: string[] = [];
    await sim.run(async () => {
      await kafka.admin().createTopics({ topics: [{ topic: "t", numPartitions: 2 }] });
      const p = kafka.producer();
      await p.connect();
      await p.send({ topic: "t", messages: Array.from({ length: 20 }, (_, i) => ({ partition: i % 2, value: `m${i}` })) });
      const a = kafka.consumer({ groupId: "g", name: "a" });
      await a.connect();
      await a.subscribe({ topics: ["t"], fromBeginning: true });
      await a.run({
        autoCommit: false,
        eachBatch: async ({ batch, isRunning }) => {
          let next = -1;
          for (const m of batch.messages) {
            if (!isRunning()) break;
            await sim.sleep(20);
            next = Number(m.offset) + 1;
          }
          await a.commitOffsets([{ topic: "t", partition: batch.partition, offset: String(next) }]);
          log.push(`a committed t-${batch.partition}@${next}`);
        },
      });
      await sim.sleep(50);
      const b = kafka.consumer({ groupId: "g", name: "b" });
      await b.connect();
      await b.subscribe({ topics: ["t"], fromBeginning: true });
      await b.run({ eachMessage: async () => undefined }); // a rebalance starts while a is mid-batch
      await sim.sleep(10);
      await a.stop();
      log.push(`a stopped`);
      await sim.sleep(500);
    });
    expect(log[0]).toMatch(/^a committed t-\d@\d+$/); // accepted although the group moved to a new generation
    expect(log.indexOf("a stopped")).toBeGreaterThan(0); // stop() waited for the batch's commit
    expect(kafka.lag("g").total).toBe(0);
  });
});
