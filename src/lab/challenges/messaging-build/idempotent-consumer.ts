/**
 * Build challenge "at-least-once": the learner writes the message handler of an idempotent
 * consumer. A kafkajs consumer (commit after processing, so delivery is at-least-once) hands it
 * payments; it charges each order through a small transactional store that also keeps the
 * dedupe records. The checker crashes the consumer at the step boundaries that matter, in
 * whatever order the handler takes them: right after the charge, right after the dedupe
 * record, and after the handler returned but before the offset commit; and it publishes some
 * payments twice, as an upstream retry would. Invariants: every order charged exactly once.
 */
import { ConfigError, Kafka, Simulation, type KafkaMessage } from "sde-lab";
import { defineBuildChallenge, type CaseOutcome, type CheckCase, type FaultSpec } from "../build";
import { crashAt, seededCases } from "../seeded-cases";
import { expectSolution } from "../challenge";

/** The writes a handler can make; inside `transaction` they become durable together at its end. */
export interface PaymentsTx {
  /** True when a dedupe record for this payment id is stored. */
  isProcessed(paymentId: string): Promise<boolean>;
  /** Stores the dedupe record (unique: rejects with "duplicate key" when the id is already recorded). */
  markProcessed(paymentId: string): Promise<void>;
  /** Charges an order (the effect: twice is a double charge). */
  charge(orderId: string, amountCents: number): Promise<void>;
}

/**
 * The payments database. Called directly, each method is its own step, durable when it
 * resolves. `transaction(work)` runs `work` as one atomic step: its writes are durable together
 * when the promise resolves, and a crash before that leaves none of them. Transactions run
 * one at a time.
 */
export interface PaymentsStore extends PaymentsTx {
  transaction<T>(work: (tx: PaymentsTx) => Promise<T>): Promise<T>;
}

/** Solution of the `at-least-once` build challenge. */
export interface IdempotentConsumerSolution {
  /** Handles one payment message: `message.key` is the payment id, `message.value` is `"<orderId>:<amountCents>"`. */
  handle(message: KafkaMessage, store: PaymentsStore): Promise<void>;
}

const TOPIC = "payments";
const RESTART_AFTER = 300;
const RUN_MS = 12_000;

/** Crash points, named by what has just happened for the target payment. */
const POINTS = {
  "after-charge": "right after the charge for",
  "after-record": "right after the dedupe record for",
  "after-handler": "after the handler returned, before the offset commit, for",
} as const;
type Point = keyof typeof POINTS;

interface Payment {
  id: string;
  order: string;
  amount: number;
}

/** Runs one case (bench: one plain run of the scenario). */
export async function runPayments(solution: IdempotentConsumerSolution, c: CheckCase): Promise<CaseOutcome> {
  const sim = new Simulation({ seed: c.seed, traceLimit: 20_000 });
  const kafka = new Kafka(sim, { brokers: 3 });
  const payments: Payment[] = Array.from({ length: c.size }, (_, i) => ({ id: `pay-${i + 1}`, order: `order-${i + 1}`, amount: 100 * sim.random.int(1, 50) }));
  const repeats = c.faults.filter((f) => f.kind === "duplicate").map((f) => Number(f.params?.index)).filter((i) => i < payments.length);
  const crashesLeft = c.faults.filter((f) => f.kind === "crash-point");
  const charged = new Map<string, number[]>();
  const records = new Set<string>();
  const violations: { at: number; text: string }[] = [];
  const fail = (text: string) => violations.push({ at: sim.now, text });
  // A delivery the handler passed over with no dedupe record in the database: it recognised the
  // repeat from memory kept outside the store. The learner's code shares this process, so a
  // simulated crash cannot wipe that memory (a module-level set survives it); a real crash
  // does, and a rebalanced partition moves to a consumer that never had it. Judged last, so a
  // double charge it also causes is reported as such.
  let forgotten: { at: number; id: string; order: string; afterCrash: boolean } | undefined;
  let lock: Promise<void> = Promise.resolve();
  let instances = 0;
  const never = <T>() => new Promise<T>(() => {});

  const start = async () => {
    const name = `payments-${++instances}`;
    const consumer = kafka.consumer({ groupId: "payments", name, sessionTimeout: 3_000, heartbeatInterval: 1_000, maxBytesPerPartition: 300, maxWaitTimeInMs: 500 });
    const alive = () => consumer.node.up;
    /** Releases the store's lock held by this instance's open transaction (the database rolls it back when the client dies). */
    let held: (() => void) | undefined;
    /** Crashes this instance when a fault targets this point of this payment. */
    const strike = (point: Point, paymentId: string) => {
      const i = crashesLeft.findIndex((f) => f.params?.point === point && f.target === paymentId);
      if (i < 0 || !alive()) return false;
      crashesLeft.splice(i, 1);
      sim.faults.crash(name);
      sim.trace.note(name, `crashed ${POINTS[point]} ${paymentId}`);
      held?.();
      sim.schedule(RESTART_AFTER, () => void start());
      return true;
    };
    const step = async () => {
      if (!alive()) return never<void>();
      await sim.sleep(1);
      if (!alive()) return never<void>();
    };
    const direct: PaymentsTx = {
      async isProcessed(id) {
        await step();
        return records.has(String(id));
      },
      async markProcessed(id) {
        await step();
        if (records.has(String(id))) throw new Error(`duplicate key: payment ${String(id)} is already recorded`);
        records.add(String(id));
        sim.trace.state("db", `record ${String(id)}`);
        if (strike("after-record", String(id))) return never<void>();
      },
      async charge(order, amount) {
        await step();
        charged.set(String(order), [...(charged.get(String(order)) ?? []), Number(amount)]);
        sim.trace.state("db", `charge ${String(order)} ${Number(amount)}`);
        const p = payments.find((x) => x.order === order);
        if (p && strike("after-charge", p.id)) return never<void>();
      },
    };
    const store: PaymentsStore = {
      ...direct,
      async transaction<T>(work: (tx: PaymentsTx) => Promise<T>): Promise<T> {
        if (typeof work !== "function") throw new ConfigError("store.transaction", "work", work, "an async function (tx) => { ... }");
        let release!: () => void;
        const previous = lock;
        lock = new Promise<void>((r) => (release = r));
        await previous;
        if (!alive()) return never<T>();
        held = release;
        const staged = { records: new Set<string>(), charges: [] as { order: string; amount: number }[] };
        let open = true;
        const tx: PaymentsTx = {
          async isProcessed(id) {
            await step();
            return records.has(String(id)) || staged.records.has(String(id));
          },
          async markProcessed(id) {
            if (!open) throw new Error("this transaction has ended: use the store inside transaction(work) only while work runs");
            await step();
            if (records.has(String(id)) || staged.records.has(String(id))) throw new Error(`duplicate key: payment ${String(id)} is already recorded`);
            staged.records.add(String(id));
            if (strike("after-record", String(id))) return never<void>();
          },
          async charge(order, amount) {
            if (!open) throw new Error("this transaction has ended: use the store inside transaction(work) only while work runs");
            await step();
            staged.charges.push({ order: String(order), amount: Number(amount) });
            const p = payments.find((x) => x.order === order);
            if (p && strike("after-charge", p.id)) return never<void>();
          },
        };
        try {
          const out = await work(tx);
          await step();
          open = false;
          for (const r of staged.records) records.add(r);
          for (const ch of staged.charges) charged.set(ch.order, [...(charged.get(ch.order) ?? []), ch.amount]);
          sim.trace.state("db", `commit: ${[...staged.charges.map((x) => `charge ${x.order}`), ...[...staged.records].map((r) => `record ${r}`)].join(", ") || "nothing"}`);
          return out;
        } finally {
          open = false;
          held = undefined;
          release();
        }
      },
    };
    await consumer.connect();
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const id = String(message.key);
        const order = payments.find((p) => p.id === id)?.order;
        const chargesBefore = order === undefined ? 0 : (charged.get(order)?.length ?? 0);
        try {
          await solution.handle(message, store);
        } catch (error) {
          if (!alive()) return never<void>();
          fail(`the handler threw ${error instanceof Error ? error.message : String(error)} on ${id}: kafkajs retries the message, so the partition stops there.`);
          return never<void>();
        }
        if (!alive()) return never<void>();
        if (order !== undefined && !forgotten && (charged.get(order)?.length ?? 0) === chargesBefore && chargesBefore > 0 && !records.has(id)) forgotten = { at: sim.now, id, order, afterCrash: instances > 1 };
        if (strike("after-handler", id)) return never<void>();
      },
    });
  };

  await sim.run(async () => {
    await kafka.admin().createTopics({ topics: [{ topic: TOPIC, numPartitions: 2, replicationFactor: 3 }] });
    const producer = kafka.producer();
    await producer.connect();
    const log = [...payments.map((p, i) => ({ p, i }))];
    // An upstream retry publishes some payments again, a little later in the same partition.
    for (const i of repeats) log.splice(Math.min(log.length, i + 3 + (i % 5)), 0, { p: payments[i]!, i });
    await producer.send({ topic: TOPIC, messages: log.map(({ p }) => ({ key: p.id, value: `${p.order}:${p.amount}` })) });
    await producer.disconnect();
    await start();
    await sim.sleep(RUN_MS);
  });
  if (violations.length > 0) return { ok: false, sim, at: violations[0]!.at, invariant: violations[0]!.text };
  for (const p of payments) {
    const got = charged.get(p.order) ?? [];
    const redelivered = repeats.includes(payments.indexOf(p)) ? " (it was published twice)" : "";
    if (got.length === 0) return { ok: false, sim, invariant: `${p.order} (${p.id}) was never charged${records.has(p.id) ? ", yet its dedupe record exists: the record was stored without the charge, so the redelivery skipped it" : ""}.` };
    if (got.length > 1) return { ok: false, sim, invariant: `${p.order} (${p.id}) was charged ${got.length} times${redelivered}${c.faults.some((f) => f.target === p.id && f.kind === "crash-point") ? `, after a crash ${POINTS[c.faults.find((f) => f.target === p.id)!.params!.point as Point]} it` : ""}.` };
    if (got[0] !== p.amount) return { ok: false, sim, invariant: `${p.order} was charged ${got[0]} cents, but the payment says ${p.amount}.` };
  }
  if (forgotten) {
    const { id, order, afterCrash } = forgotten;
    const why = afterCrash
      ? "which outlived the simulated crash only because your code shares the checker's process. A real crash wipes it (and a rebalance hands the partition to a consumer without it)"
      : "which lives in one process: a crash wipes it and a rebalance hands the partition to a consumer without it";
    return { ok: false, sim, at: forgotten.at, kind: "memory", invariant: `${id} was delivered again and the handler skipped it with no dedupe record for it in the database: it remembered ${id} in state outside the store, ${why}; then ${order} is charged twice.` };
  }
  return { ok: true, sim };
}

const duplicates = (seed: number, size: number): FaultSpec[] =>
  Array.from({ length: 4 }, (_, k) => (seed * 7 + k * 11) % size).map((index) => ({ kind: "duplicate", label: `pay-${index + 1} is published twice (an upstream retry)`, params: { index } }));

export const idempotentConsumerBuild = defineBuildChallenge<IdempotentConsumerSolution>({
  id: "at-least-once",
  title: "Write an idempotent consumer: the dedupe record and the charge in one step",
  statement: [
    "A kafkajs consumer reads `payments` and commits after processing: delivery is **at-least-once**, so your handler will see some payments again. Write `handle` so that every order is charged exactly once. The store charges orders and keeps dedupe records; `store.transaction(work)` makes the writes inside `work` durable together.",
    "",
    "```ts",
    "interface PaymentsTx {",
    "  isProcessed(paymentId: string): Promise<boolean>;",
    "  markProcessed(paymentId: string): Promise<void>;      // unique: rejects on a duplicate id",
    "  charge(orderId: string, amountCents: number): Promise<void>;",
    "}",
    "interface PaymentsStore extends PaymentsTx {              // direct calls: one durable step each",
    "  transaction<T>(work: (tx: PaymentsTx) => Promise<T>): Promise<T>;  // all of work's writes, or none",
    "}",
    "interface IdempotentConsumerSolution {",
    '  handle(message: KafkaMessage, store: PaymentsStore): Promise<void>;  // key "pay-7", value "order-7:1200"',
    "}",
    "```",
    "",
    "**The checker attacks**: some payments are published twice (an upstream retry); the consumer crashes between messages, and inside your handler: right after the charge, right after the dedupe record (in whichever order you do them), and after `handle` returned but before the offset commit. A replacement starts 300 ms later and re-reads from the last committed offset. Invariants: every order is charged exactly once, with the payment's amount; the handler never throws (kafkajs would retry the same message forever).",
  ].join("\n"),
  validate(s) {
    expectSolution("at-least-once", s, ["handle"]);
  },
  stages: [
    {
      name: "charges every payment",
      goal: "no faults, no repeats: every order charged once, with its amount",
      cases: seededCases(5, 500, (i) => ({ faults: [], size: 30 + 10 * i })),
      minSize: 1,
      run: (s, c) => runPayments(s, c),
    },
    {
      name: "skips redeliveries",
      goal: "payments published twice, and a crash between two messages: still one charge per order",
      cases: seededCases(20, 600, (i, _random, seed) => {
        const size = 40;
        const target = `pay-${5 + ((i * 7) % 30)}`;
        return { faults: [...duplicates(seed, size), crashAt(POINTS, "after-handler", { who: "the consumer", detail: target, target })], size };
      }),
      minSize: 2,
      run: (s, c) => runPayments(s, c),
    },
    {
      name: "survives crashes inside the handler",
      goal: "the consumer crashes right after the charge or right after the dedupe record: no order lost, none charged twice",
      cases: seededCases(20, 700, (i) => {
        const point: Point = i % 2 === 0 ? "after-charge" : "after-record";
        const target = `pay-${3 + ((i * 5) % 34)}`;
        const faults = [crashAt(POINTS, point, { who: "the consumer", detail: target, target })];
        if (i % 3 === 0) {
          const second = `pay-${3 + ((i * 5 + 17) % 34)}`;
          const other: Point = point === "after-charge" ? "after-record" : "after-charge";
          faults.push(crashAt(POINTS, other, { who: "the replacement", detail: second, target: second }));
        }
        return { faults, size: 40 };
      }),
      minSize: 2,
      run: (s, c) => runPayments(s, c),
    },
  ],
  hints: {
    nudge: "For each pair of steps in your handler, imagine the process dies between them and the same message arrives again a moment later. What does the store say at that point, and what will your handler do with it?",
    approach: "There are two ways to order two separate writes, and a crash between them breaks each one differently: one forgets a charge, the other makes it twice. The store offers a way to stop having two separate writes.",
    keyIdea: "Make the check, the dedupe record and the charge one atomic unit: the database keeps either all of them or none. Then a crash anywhere inside leaves nothing behind, and a crash after it leaves a record that the redelivery will find. Decide inside that unit, not before it.",
  },
});
