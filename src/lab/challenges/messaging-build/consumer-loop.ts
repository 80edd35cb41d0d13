/**
 * Build challenge "kafka": the learner writes a kafkajs consumer loop with manual commits
 * (`autoCommit: false`) that commits only what it has processed and survives rebalances. The
 * checker runs it on every consumer instance of group `billing` over a 4-partition topic and
 * attacks it: consumers crash mid-batch and are replaced, a broker fails over, consumers join
 * and leave mid-batch. It watches every processed message and every commit:
 * nothing lost, per-partition order kept, a commit never ahead of what was processed, and a
 * message processed twice only after a crash and only past the last commit.
 */
import { ConfigError, Kafka, Simulation, type KafkaConsumer, type KafkaMessage } from "sde-lab";
import { defineBuildChallenge, type CaseOutcome, type CheckCase, type FaultSpec } from "../build";
import { seededCases } from "../seeded-cases";
import { expectSolution } from "../challenge";
import { observedRun } from "../delivered";

/** What the lab hands your loop, once per consumer instance it starts. */
export interface ConsumerLoopKit {
  /** A kafkajs-shaped consumer of group `billing`, connected and subscribed to `orders` from the beginning. Call `run` once, with `autoCommit: false`. */
  readonly consumer: KafkaConsumer;
  /** The work for one message (10 ms of virtual time). The lab records it; await it before you count the message as processed. */
  process(topic: string, partition: number, message: KafkaMessage): Promise<void>;
}

/** Solution of the `kafka` build challenge. */
export interface ConsumerLoopSolution {
  /** Starts the loop on one consumer instance: called for every instance, also for each replacement after a crash. */
  start(kit: ConsumerLoopKit): Promise<void>;
}

const TOPIC = "orders";
const PARTITIONS = 4;
const WORK_MS = 10;
const RESTART_AFTER = 500;
const RUN_MS = 12_000;

interface Violation {
  at: number;
  text: string;
}

/** Runs one case (bench: one plain run of the scenario). */
export async function runLoop(solution: ConsumerLoopSolution, c: CheckCase): Promise<CaseOutcome> {
  const sim = new Simulation({ seed: c.seed, traceLimit: 20_000 });
  const kafka = new Kafka(sim, { brokers: 3, brokerSessionTimeoutMs: 2_000 });
  const perPartition = Math.max(1, Math.ceil(c.size / PARTITIONS));
  const sizes = Array.from({ length: PARTITIONS }, (_, p) => Math.max(0, Math.min(perPartition, c.size - p * perPartition)));
  // Every record's processing history, per partition.
  const seen = Array.from({ length: PARTITIONS }, () => new Map<number, number[]>());
  const last = new Map<number, number>();
  const crashes: { at: number; committed: number[] }[] = [];
  const violations: Violation[] = [];
  const fail = (text: string) => violations.push({ at: sim.now, text });
  const committedNow = () => {
    const out = Array.from({ length: PARTITIONS }, () => 0);
    for (const r of kafka.lag("billing").rows) if (r.topic === TOPIC && typeof r.committed === "number") out[r.partition] = r.committed;
    return out;
  };
  const firstUnprocessed = (p: number) => {
    let o = 0;
    while (seen[p]!.has(o)) o++;
    return o;
  };
  const live = new Map<string, KafkaConsumer>();
  let instances = 0;
  // An instance that commits past a message it was handed but did not process, which another
  // instance had processed: it skipped the message from memory shared between instances. They
  // are one process here (so a module-level set is shared, and outlives a simulated crash); in
  // a deployment they are separate processes, and the real one would process it again. Judged
  // after the other invariants.
  let skipped: Violation | undefined;

  const start = async () => {
    const name = `billing-${++instances}`;
    const consumer = kafka.consumer({ groupId: "billing", name, sessionTimeout: 6_000, heartbeatInterval: 2_000, maxBytesPerPartition: 1_000, maxWaitTimeInMs: 1_000 });
    live.set(name, consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
    const handed = new Set<string>();
    const mine = new Set<string>();
    const run = observedRun(consumer, (d) => {
      if (d.topic === TOPIC) handed.add(`${d.partition}@${d.offset}`);
    });
    consumer.run = (config) => {
      if (config?.autoCommit !== false) throw new ConfigError("kafka challenge", "autoCommit", config?.autoCommit, "false: this loop commits by itself (consumer.commitOffsets after processing)");
      return run(config);
    };
    const commit = consumer.commitOffsets.bind(consumer);
    consumer.commitOffsets = (offsets, fromGroup) => {
      for (const o of offsets ?? []) {
        const p = Number(o.partition);
        const upTo = firstUnprocessed(p);
        if (o.topic === TOPIC && Number(o.offset) > upTo) fail(`${name} committed ${TOPIC}-${p} at offset ${o.offset} while offset ${upTo} had not been processed yet: a crash now would skip it.`);
        if (o.topic === TOPIC && !skipped) {
          for (let h = committedNow()[p]!; h < Number(o.offset); h++) {
            if (!handed.has(`${p}@${h}`) || mine.has(`${p}@${h}`) || !seen[p]!.has(h)) continue;
            skipped = { at: sim.now, text: `${name} committed ${TOPIC}-${p} past @${h}, which it was handed and never processed: another instance had processed it, and ${name} knew from memory shared between instances. In a deployment each consumer is its own process (and a crash wipes its memory), so the real ${name} processes @${h} again.` };
            break;
          }
        }
      }
      return commit(offsets, fromGroup);
    };
    const kit: ConsumerLoopKit = {
      consumer,
      async process(topic, partition, message) {
        if (!consumer.node.up) return new Promise<void>(() => {});
        const p = Number(partition);
        const o = Number(message?.offset);
        if (topic !== TOPIC || !(p >= 0 && p < PARTITIONS) || !Number.isInteger(o)) throw new ConfigError("kit.process", "message", `${topic}-${partition}@${message?.offset}`, "the topic, partition and message of a batch you were given");
        if (!consumer.assignment().some((tp) => tp.partition === p)) fail(`${name} processed ${TOPIC}-${p}@${o} after that partition was revoked from it (its new owner reads it too).`);
        await sim.sleep(WORK_MS);
        if (!consumer.node.up) return new Promise<void>(() => {});
        sim.trace.state(name, `processed ${TOPIC}-${p}@${o}`);
        mine.add(`${p}@${o}`);
        const history = seen[p]!.get(o);
        const prev = last.get(p);
        if (history) {
          const first = history[0]!;
          const crash = crashes.find((k) => k.at > first && o >= k.committed[p]!);
          if (!crash) {
            const committed = committedNow()[p]!;
            fail(
              crashes.some((k) => k.at > first)
                ? `${TOPIC}-${p}@${o} was processed twice, although the offset committed before the crash (${crashes.find((k) => k.at > first)!.committed[p]}) was past it.`
                : `${TOPIC}-${p}@${o} was processed twice with no crash in between (now by ${name}; committed offset ${committed}): processed messages were not committed before the partition was handed over.`,
            );
          }
        } else if (prev !== undefined && o > prev + 1 && !seen[p]!.has(o - 1)) {
          fail(`${name} processed ${TOPIC}-${p}@${o} right after @${prev}, before @${o - 1}: per-partition order broken.`);
        }
        seen[p]!.set(o, [...(history ?? []), sim.now]);
        last.set(p, o);
      },
    };
    try {
      await solution.start(kit);
    } catch (error) {
      fail(`start() threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    }
    return name;
  };

  await sim.run(async () => {
    await kafka.admin().createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }] });
    const producer = kafka.producer();
    await producer.connect();
    for (let p = 0; p < PARTITIONS; p++) {
      if (sizes[p]! > 0) await producer.send({ topic: TOPIC, messages: Array.from({ length: sizes[p]! }, (_, i) => ({ partition: p, key: `order-${p}-${i}`, value: `order ${p}-${i}` })) });
    }
    await producer.disconnect();
    const initial = Number(c.faults.find((f) => f.kind === "consumers")?.params?.n ?? 1);
    for (let i = 0; i < initial; i++) await start();
    const t0 = sim.now;
    for (const f of c.faults) {
      if (f.at === undefined) continue;
      sim.schedule(Math.max(0, t0 + f.at - sim.now), () => {
        const target = f.target ?? "";
        if (f.kind === "crash" && live.get(target)?.node.up) {
          crashes.push({ at: sim.now, committed: committedNow() });
          sim.faults.crash(target);
          live.delete(target);
          sim.schedule(RESTART_AFTER, () => void start());
        } else if (f.kind === "join") {
          void start();
        } else if (f.kind === "leave" && live.has(target)) {
          const consumer = live.get(target)!;
          live.delete(target);
          sim.trace.record("fault", target, target, "leaves the group (consumer.disconnect())");
          void consumer.disconnect();
        } else if (f.kind === "broker-crash") {
          const broker = kafka.cluster.brokers[Number(f.params?.broker ?? 0)]!;
          sim.faults.crash(broker);
          sim.schedule(Number(f.params?.downMs ?? 4_000), () => sim.faults.restart(broker));
        }
      });
    }
    await sim.sleep(RUN_MS);
  });

  if (violations.length > 0) return { ok: false, sim, at: violations[0]!.at, invariant: violations[0]!.text };
  if (skipped) return { ok: false, sim, at: skipped.at, invariant: skipped.text, kind: "memory" };
  const committed = committedNow();
  for (let p = 0; p < PARTITIONS; p++) {
    const missing = Array.from({ length: sizes[p]! }, (_, o) => o).filter((o) => !seen[p]!.has(o));
    if (missing.length > 0) return { ok: false, sim, invariant: `${missing.length} of the ${sizes[p]} messages of ${TOPIC}-${p} were never processed (first: @${missing[0]}), ${RUN_MS / 1000} s into the run.` };
    if (committed[p]! < sizes[p]!) return { ok: false, sim, invariant: `every message of ${TOPIC}-${p} was processed, but the group's committed offset there is ${committed[p]} of ${sizes[p]}: a restart would process ${sizes[p]! - committed[p]!} of them again (commit after processing).` };
  }
  return { ok: true, sim };
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `billing-${i + 1}`);

const crashCases = seededCases(20, 300, (i) => {
  const target = names(2)[i % 2]!;
  const at = 100 + ((i * 97) % 300);
  const faults: FaultSpec[] = [
    { kind: "consumers", label: "two consumers in group billing", params: { n: 2 } },
    { kind: "crash", label: `crash ${target} ${at} ms after the start, mid-batch (a replacement joins ${RESTART_AFTER} ms later)`, at, target },
  ];
  if (i % 3 === 2) faults.push({ kind: "crash", label: `crash billing-3 (the replacement) at ${at + 7_500} ms`, at: at + 7_500, target: "billing-3" });
  if (i % 4 === 1) faults.push({ kind: "broker-crash", label: `crash broker kafka-${i % 3} at ${at + 100} ms for 4 s (leaders fail over after 2 s)`, at: at + 100, params: { broker: i % 3, downMs: 4_000 } });
  return { faults, size: 100 };
});

const rebalanceCases = seededCases(20, 400, (i) => {
  const joinAt = 80 + ((i * 61) % 300);
  const leaveAt = joinAt + 150 + ((i * 37) % 200);
  const leaver = names(3)[i % 3]!;
  const faults: FaultSpec[] = [
    { kind: "consumers", label: "two consumers in group billing", params: { n: 2 } },
    { kind: "join", label: `billing-3 joins ${joinAt} ms after the start, mid-batch (every partition is revoked and dealt again)`, at: joinAt },
    { kind: "leave", label: `${leaver} leaves (disconnect) at ${leaveAt} ms, mid-batch`, at: leaveAt, target: leaver },
  ];
  if (i % 2 === 1) faults.push({ kind: "join", label: `billing-4 joins at ${leaveAt + 150} ms`, at: leaveAt + 150 });
  return { faults, size: 120 };
});

export const kafkaConsumerLoopBuild = defineBuildChallenge<ConsumerLoopSolution>({
  id: "kafka",
  title: "Write a consumer loop that commits after processing and survives rebalances",
  statement: [
    "Write the loop every instance of consumer group `billing` runs over the 4-partition topic `orders`: hand each message to `kit.process`, and commit offsets yourself (`autoCommit: false`). A committed offset is the next one to read: it tells a consumer that takes the partition over where to start. As in kafkajs, partitions move only between batches: a rebalance, or a `disconnect()` (which turns `isRunning()` false), waits for the batch in progress to end.",
    "",
    "```ts",
    "interface ConsumerLoopKit {",
    "  consumer: KafkaConsumer;   // group billing, connected, subscribed to orders from the beginning",
    "  process(topic: string, partition: number, message: KafkaMessage): Promise<void>;  // 10 ms",
    "}",
    "interface ConsumerLoopSolution { start(kit: ConsumerLoopKit): Promise<void> }",
    "// inside start: await kit.consumer.run({ autoCommit: false, eachBatch: async ({ batch, isRunning, isStale }) => { ... } })",
    "// commit with kit.consumer.commitOffsets([{ topic, partition, offset }])   // offset = next to read",
    "```",
    "",
    "**The checker attacks**: it starts your loop on two consumers and then crashes one mid-batch (a replacement joins 500 ms later, the group notices the dead one after its 6 s session timeout), crashes a broker so partition leaders fail over, and makes consumers join and leave in the middle of a batch (every partition is revoked and dealt again). Invariants, checked on every message and every commit: every offset is processed at least once; within a partition, offsets are processed in order; a commit never names an offset past what has been processed; a message is processed twice only after a crash, and only if it came after that partition's last commit; no instance processes a partition after it was revoked from it.",
  ].join("\n"),
  validate(s) {
    expectSolution("kafka", s, ["start"]);
  },
  stages: [
    {
      name: "commits after processing",
      goal: "one consumer, no faults: every message processed once, in order, and all of it committed by the end",
      cases: seededCases(4, 200, (i) => ({ faults: [], size: 40 + 20 * i })),
      minSize: 4,
      run: (s, c) => runLoop(s, c),
    },
    {
      name: "survives crashes",
      goal: "a consumer crashes mid-batch (some cases: its replacement too, and a broker): nothing lost, order kept, repeats only past the last commit",
      cases: crashCases,
      minSize: 8,
      run: (s, c) => runLoop(s, c),
    },
    {
      name: "survives rebalances",
      goal: "consumers join and leave mid-batch, nothing crashes: no message processed twice, none processed by an instance that lost its partition",
      cases: rebalanceCases,
      minSize: 8,
      run: (s, c) => runLoop(s, c),
    },
  ],
  hints: {
    nudge: "Ask, at every point of your loop: if this consumer died right now, where would the next owner of the partition start? That answer is the committed offset, so compare it with what your loop has really finished.",
    approach: "Commit per partition, after the work, the offset after the last message you finished. Then think about the moments the partition leaves you without a crash: a rebalance or a shutdown lets the batch in progress finish, and whatever you finished but did not commit by then is read again by the next owner.",
    keyIdea: "Never keep finished work uncommitted when the batch ends, and never commit past the message you actually finished: when isRunning() turns false in the middle of a batch, stop there and commit only up to what you completed. Do all the work inside the batch handler; work that goes on after it returns may touch a partition you no longer own.",
  },
});
