/**
 * Build challenge "exactly-once": the learner writes a consume-transform-produce worker: read
 * `payments`, turn each into a charge record, write it to `charges`, and move the input
 * offsets, so that a read_committed reader of `charges` sees each payment exactly once. The
 * checker crashes the worker mid-transaction, between `sendOffsets` and `commit()`, and right
 * after `commit()` resolved (where a separate offset commit would come next); then it makes a
 * zombie: a worker cut off from the group while its work hangs, replaced, and woken up again.
 */
import { ConfigError, Kafka, Simulation, type KafkaConsumer, type KafkaMessage, type KafkaProducer, type KafkaProducerMessage, type KafkaTransaction, type ProducerConfig } from "sde-lab";
import { defineBuildChallenge, type CaseOutcome, type CheckCase } from "../build";
import { crashAt, seededCases } from "../seeded-cases";
import { committedOffset, observedRun } from "../delivered";
import { expectSolution } from "../challenge";

/** What the lab hands your worker, once per instance it starts. */
export interface ReadProcessWriteKit {
  /** Consumer of group `charger` (read_committed), connected and subscribed to `payments` from the beginning. Call `run` once. */
  readonly consumer: KafkaConsumer;
  /** Creates this instance's producer (`kafka.producer(config)`); connect it yourself. */
  createProducer(config: ProducerConfig): KafkaProducer;
  /** The transform: the `charges` record for one payment (5 ms; it calls the pricing service). */
  price(message: KafkaMessage): Promise<KafkaProducerMessage>;
}

/** Solution of the `exactly-once` build challenge. */
export interface ReadProcessWriteSolution {
  /** Starts one worker instance: called at the start and for every replacement. */
  start(kit: ReadProcessWriteKit): Promise<void>;
}

const INPUT = "payments";
const OUTPUT = "charges";
const GROUP = "charger";
const RESTART_AFTER = 300;
const RUN_MS = 16_000;

const POINTS = {
  "mid-txn": "in the middle of transaction",
  "after-offsets": "between sendOffsets and commit() of transaction",
  "after-commit": "right after commit() of transaction",
  "after-send": "right after producer.send",
} as const;
type Point = keyof typeof POINTS;

/** Runs one case (bench: one plain run of the scenario). */
export async function runWorker(solution: ReadProcessWriteSolution, c: CheckCase): Promise<CaseOutcome> {
  const sim = new Simulation({ seed: c.seed, traceLimit: 20_000 });
  const kafka = new Kafka(sim, { brokers: 3 });
  const ids = Array.from({ length: c.size }, (_, i) => `pay-${i + 1}`);
  const amount = (id: string) => 100 + ((Number(id.slice(4)) * 37) % 900);
  const crashes = c.faults.filter((f) => f.kind === "crash-point");
  const zombie = c.faults.find((f) => f.kind === "zombie");
  const violations: { at: number; text: string }[] = [];
  const fail = (text: string) => violations.push({ at: sim.now, text });
  let instances = 0;
  let sends = 0;
  let txns = 0;
  let zombieHang: Promise<void> | undefined;
  // A payment whose charge was committed while its input offset was not, when a worker died: a
  // replacement re-reads it, and a real one (its memory died with the process) writes it again.
  // The learner's code shares this process, so state it keeps outside Kafka (a module-level
  // set) survives the simulated crash and could hide that duplicate: judged after the ledger.
  let exposed: { id: string; worker: string; partition: number; offset: number; at: number } | undefined;
  const committedInput = (partition: number) => committedOffset(() => kafka.lag(GROUP), INPUT, partition) ?? 0;
  // Where each payment sits in the input (from what the workers were handed), and the payments
  // whose charge is committed: written by a plain send that resolved, or in a transaction whose
  // commit() resolved.
  const inputOf = new Map<string, { partition: number; offset: number }>();
  const written = new Set<string>();
  const keysOf = (record: { messages?: readonly { key?: unknown }[] } | undefined) => (record?.messages ?? []).map((m) => String(m?.key));
  const exposedAt = (worker: string) => {
    for (const id of written) {
      const where = inputOf.get(id);
      if (where && where.offset >= committedInput(where.partition)) return { id, worker, ...where, at: sim.now };
    }
    return undefined;
  };
  const never = <T>() => new Promise<T>(() => {});

  const start = async () => {
    const name = `charger-${++instances}`;
    const consumer = kafka.consumer({ groupId: GROUP, name, sessionTimeout: 3_000, heartbeatInterval: 1_000, maxBytesPerPartition: 250, maxWaitTimeInMs: 500 });
    const nodes: string[] = [name];
    const alive = () => nodes.every((n) => sim.node(n).up);
    const die = (why: string) => {
      exposed ??= exposedAt(name);
      for (const n of nodes) if (sim.node(n).up) sim.faults.crash(n);
      sim.trace.note(name, `crashed ${why}`);
      sim.schedule(RESTART_AFTER, () => void start());
    };
    const strike = (point: Point, n: number) => {
      const i = crashes.findIndex((f) => f.params?.point === point && Number(f.params?.n) === n);
      if (i < 0 || !alive()) return false;
      crashes.splice(i, 1);
      die(`${POINTS[point]} ${n}`);
      return true;
    };
    const wrapTxn = (txn: KafkaTransaction): KafkaTransaction => {
      const n = ++txns;
      let sent = 0;
      const keys: string[] = [];
      const send = txn.send.bind(txn);
      const sendOffsets = txn.sendOffsets.bind(txn);
      const commit = txn.commit.bind(txn);
      txn.send = async (record) => {
        const out = await send(record);
        if (record?.topic === OUTPUT) keys.push(...keysOf(record));
        if (++sent === 2 && strike("mid-txn", n)) return never();
        return out;
      };
      txn.sendOffsets = async (offsets) => {
        await sendOffsets(offsets);
        if (strike("after-offsets", n)) return never();
      };
      txn.commit = async () => {
        await commit();
        for (const k of keys) written.add(k);
        if (strike("after-commit", n)) return never();
      };
      return txn;
    };
    const kit: ReadProcessWriteKit = {
      consumer,
      createProducer(config) {
        const producer = kafka.producer({ ...config, name: `${name}-producer-${nodes.length}` });
        nodes.push(producer.node.name);
        const transaction = producer.transaction.bind(producer);
        producer.transaction = async () => wrapTxn(await transaction());
        const plainSend = producer.send.bind(producer);
        producer.send = async (record) => {
          const out = await plainSend(record);
          if (record?.topic === OUTPUT) for (const k of keysOf(record)) written.add(k);
          if (strike("after-send", ++sends)) return never();
          return out;
        };
        return producer;
      },
      async price(message) {
        if (!alive()) return never();
        const id = String(message?.key ?? "");
        if (!ids.includes(id)) throw new ConfigError("kit.price", "message", id, "a payments message you were given");
        await sim.sleep(5);
        if (zombie && name === `${GROUP}-1` && !zombieHang && sim.now >= Number(zombie.at)) {
          // The zombie: cut off from the brokers' group coordinator while this call hangs.
          for (const b of kafka.cluster.brokers) sim.faults.partition(name, b);
          const downMs = Number(zombie.params?.downMs);
          zombieHang = sim.sleep(downMs).then(() => {
            for (const b of kafka.cluster.brokers) sim.faults.heal(name, b);
          });
          sim.schedule(3_500, () => void start());
          sim.schedule(downMs + 400, () => {
            if (alive()) die("for good (the orchestrator replaced it)");
          });
          await zombieHang;
          sim.trace.note(name, "wakes up (zombie): carries on with its transaction");
        }
        if (!alive()) return never();
        return { key: id, value: `charge ${id} ${amount(id)}` };
      },
    };
    consumer.run = observedRun(consumer, (d) => {
      if (d.topic === INPUT) inputOf.set(d.key, { partition: d.partition, offset: d.offset });
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [INPUT], fromBeginning: true });
    try {
      await solution.start(kit);
    } catch (error) {
      fail(`start() threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    }
  };

  const seen = new Map<string, number>();
  const wrong: string[] = [];
  await sim.run(async () => {
    await kafka.admin().createTopics({ topics: [{ topic: INPUT, numPartitions: 2, replicationFactor: 3 }, { topic: OUTPUT, numPartitions: 2, replicationFactor: 3 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: INPUT, messages: ids.map((id) => ({ key: id, value: `${id}:${amount(id)}` })) });
    await producer.disconnect();
    await start();
    await sim.sleep(RUN_MS);
    // The downstream ledger: read_committed, from the beginning.
    const audit = kafka.consumer({ groupId: "ledger", name: "ledger" });
    await audit.connect();
    await audit.subscribe({ topics: [OUTPUT], fromBeginning: true });
    await audit.run({
      eachMessage: async ({ message }) => {
        const key = String(message.key);
        seen.set(key, (seen.get(key) ?? 0) + 1);
        if (String(message.value) !== `charge ${key} ${amount(key)}`) wrong.push(`${key}: "${String(message.value)}"`);
      },
    });
    await sim.sleep(1_500);
  });

  if (violations.length > 0) return { ok: false, sim, at: violations[0]!.at, invariant: violations[0]!.text };
  if (wrong.length > 0) return { ok: false, sim, invariant: `the ledger read a charge that is not the transform of its payment (${wrong[0]}): write what kit.price returned.` };
  const missing = ids.filter((id) => !seen.has(id));
  const twice = ids.filter((id) => (seen.get(id) ?? 0) > 1);
  const what = c.faults.map((f) => f.label).join("; ");
  const stuck = [0, 1].map((p) => kafka.cluster.partition(OUTPUT, p)).find((v) => v.lastStableOffset < v.highWatermark);
  const blocked = stuck ? `; ${OUTPUT}-${stuck.partition} still has a transaction open at offset ${stuck.lastStableOffset}, so read_committed readers stop there until the transaction times out or a producer with the same transactional id fences it` : "";
  if (missing.length > 0) return { ok: false, sim, invariant: `${missing.length} of ${ids.length} payments never reached the read_committed ledger (first: ${missing[0]})${what ? ` after: ${what}` : ""}${blocked}.` };
  if (twice.length > 0) return { ok: false, sim, invariant: `the read_committed ledger saw ${twice.length} payment(s) more than once (${twice[0]}: ${seen.get(twice[0]!)} times)${what ? ` after: ${what}` : ""}.` };
  if (exposed) {
    const { id, worker, partition, offset } = exposed;
    const reread = committedInput(partition) > offset;
    const then = reread
      ? `Its replacement read ${id} again and wrote no second charge: it remembered ${id} in state outside Kafka, which outlived the simulated crash only because your code shares the checker's process; a real crash wipes it.`
      : `A replacement re-reads ${id} from the committed offset and, without the crashed process's memory, writes it again.`;
    return { ok: false, sim, at: exposed.at, kind: "memory", invariant: `${worker} died with ${id}'s charge committed to ${OUTPUT} but its offset (${INPUT}-${partition} offset ${offset}) not committed. ${then}` };
  }
  return { ok: true, sim };
}

const crashCases = seededCases(20, 800, (i) => {
  const point = (Object.keys(POINTS) as Point[])[i % 4]!;
  const n = 1 + (i % 3);
  // "after-send" counts plain sends (labelled "#n"); the other points count transactions.
  const strike = point === "after-send" ? n + 2 : n;
  const faults = [crashAt(POINTS, point, { who: "the worker", detail: point === "after-send" ? `#${strike}` : String(strike), params: { n: strike } })];
  if (i % 4 === 2) faults.push(crashAt(POINTS, "mid-txn", { who: "the replacement", detail: String(n + 3), params: { n: n + 3 } }));
  return { faults, size: 40 };
});

export const readProcessWriteBuild = defineBuildChallenge<ReadProcessWriteSolution>({
  id: "exactly-once",
  title: "Write a consume-transform-produce worker whose output appears exactly once",
  statement: [
    "Write the worker of group `charger`: read `payments` (2 partitions), turn each message into a charge with `kit.price`, write it to `charges`, and move the group's offsets. A ledger downstream reads `charges` with `read_committed` isolation; it must see every payment exactly once, whatever happens to your worker. One worker instance runs at a time; a replacement starts when one dies.",
    "",
    "```ts",
    "interface ReadProcessWriteKit {",
    "  consumer: KafkaConsumer;                        // group charger, subscribed to payments",
    "  createProducer(config: ProducerConfig): KafkaProducer;   // you choose the config; connect it",
    "  price(message: KafkaMessage): Promise<KafkaProducerMessage>;   // the record to write to charges",
    "}",
    "interface ReadProcessWriteSolution { start(kit: ReadProcessWriteKit): Promise<void> }",
    "// a transaction: const txn = await producer.transaction(); txn.send(...); txn.sendOffsets({ consumerGroupId, topics }); txn.commit() / txn.abort()",
    "```",
    "",
    "**The checker attacks**: it crashes the worker in the middle of a transaction, between `sendOffsets` and `commit()`, right after `commit()` resolved (where a separate offset commit would come next), and right after a plain `send`; a replacement starts 300 ms later. Then it makes a **zombie**: the worker is cut off from the cluster while a `price` call hangs, the group gives its partitions to a replacement, and the old worker wakes up 6–8 s later and carries on. Invariant: the read_committed ledger sees each payment exactly once, with the value `price` returned.",
  ].join("\n"),
  validate(s) {
    expectSolution("exactly-once", s, ["start"]);
  },
  stages: [
    {
      name: "produces each charge",
      goal: "no faults: every payment appears once in charges, as price made it, and the offsets move",
      cases: seededCases(5, 900, (i) => ({ faults: [], size: 20 + 10 * i })),
      minSize: 1,
      run: (s, c) => runWorker(s, c),
    },
    {
      name: "survives crashes",
      goal: "crashes mid-transaction, before and right after commit(): the ledger still sees each payment once",
      cases: crashCases,
      minSize: 4,
      run: (s, c) => runWorker(s, c),
    },
    {
      name: "fences zombies",
      goal: "a worker cut off mid-transaction is replaced and wakes up later: its late writes never reach the ledger",
      cases: seededCases(20, 1000, (i) => {
        const at = 40 + ((i * 23) % 150);
        const downMs = 6_000 + (i % 3) * 1_000;
        return { faults: [{ kind: "zombie", label: `at ${at} ms cut charger-1 off from the cluster while a price call hangs for ${downMs / 1000} s; a replacement starts 3.5 s later`, at, params: { downMs } }], size: 40 };
      }),
      minSize: 4,
      run: (s, c) => runWorker(s, c),
    },
  ],
  hints: {
    nudge: "Two things record progress here: the records you write to charges and the offsets of payments. Ask what a crash between the moment one of them becomes visible and the moment the other does would leave behind for the replacement.",
    approach: "Kafka can make several writes visible together, including the group's offsets, if they are part of the same transaction; readers with read_committed never see a transaction that did not commit. Look at what the transaction object offers besides send and commit.",
    keyIdea: "Progress must be one atomic write: the output records and the consumed offsets commit together or not at all. For the zombie, Kafka only fences an old instance when the new one announces itself with the same transactional identity; an identity that changes with every instance fences nothing.",
  },
});
