/**
 * Build challenge "kafka-vs-rabbitmq": the learner writes the same work queue twice, a producer
 * and a worker pool on RabbitMQ (amqplib-shaped) and on Kafka (kafkajs-shaped), plus a Kafka
 * reader that replays history. The checker runs both side by side in one simulation, crashes
 * workers mid-job and right after a job (before the ack or the offset commit), slows one
 * worker down, then starts a new reader after everything was consumed. Invariants: every job is
 * done at least once on both brokers, each key's jobs start in order on Kafka, RabbitMQ's pool
 * is not held back by its slow worker, and the replay reads every past job on Kafka.
 */
import { Kafka, RabbitMQ, Random, Simulation, type AmqpChannel, type KafkaConsumer, type KafkaProducer } from "sde-lab";
import { defineBuildChallenge, type CaseOutcome, type CheckCase, type FaultSpec } from "../build";
import { seededCases } from "../seeded-cases";
import { expectSolution } from "../challenge";

/** One job of the work queue. */
export interface QueueJob {
  /** Unique id, `"job-17"`. */
  readonly id: string;
  /** The customer the job is for, `"user-3"`: a customer's jobs must start in `seq` order on Kafka. */
  readonly key: string;
  /** 1, 2, 3… per key, in the order the jobs were created. */
  readonly seq: number;
}

/** What a worker calls per job; resolves when the job is done (it may take a while). */
export type QueueJobHandler = (job: QueueJob) => Promise<void>;

/** Solution of the `kafka-vs-rabbitmq` build challenge: one work queue, written for both brokers. */
export interface WorkQueueOnBothSolution {
  readonly rabbit: {
    /** Publishes every job to the queue `"jobs"` (declare it; bodies are Buffers). */
    produce(ch: AmqpChannel, jobs: readonly QueueJob[]): Promise<void>;
    /** Starts one worker of the pool on its own channel: take jobs from `"jobs"`, call `handle`, settle. */
    worker(ch: AmqpChannel, handle: QueueJobHandler): Promise<void>;
  };
  readonly kafka: {
    /** Sends every job to the topic `"jobs"` (6 partitions, already created). */
    produce(producer: KafkaProducer, jobs: readonly QueueJob[]): Promise<void>;
    /** Starts one worker of the pool: the consumer is in group `"workers"`, connected, not subscribed. */
    worker(consumer: KafkaConsumer, handle: QueueJobHandler): Promise<void>;
    /** A new reader (its own new group) that must read every job ever sent, after the workers acked them all. */
    replay(consumer: KafkaConsumer, handle: QueueJobHandler): Promise<void>;
  };
}

const ID = "kafka-vs-rabbitmq";
const WORKERS = 3;
const FAST_MS = 4;
const SLOW_MS = 40;
const RESTART_AFTER = 300;
const KEYS = 6;
/** RabbitMQ's pool must drain within this many ms of the last publish when one worker is slow. */
const SLOW_DRAIN_MS = 400;

type Broker = "rabbit" | "kafka";
const BROKER_NAME: Record<Broker, string> = { rabbit: "RabbitMQ", kafka: "Kafka" };

function makeJobs(c: CheckCase): QueueJob[] {
  const random = new Random(c.seed * 13 + 5);
  const seq = new Map<string, number>();
  return Array.from({ length: c.size }, (_, i) => {
    const key = `user-${random.int(1, KEYS)}`;
    const n = (seq.get(key) ?? 0) + 1;
    seq.set(key, n);
    return { id: `job-${i + 1}`, key, seq: n };
  });
}

/** One case of the checker: runs the learner's code on one seed and fault schedule and judges it (exported for the bench's plain run). */
export async function runBoth(solution: WorkQueueOnBothSolution, c: CheckCase): Promise<CaseOutcome> {
  const jobs = makeJobs(c);
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const sim = new Simulation({ seed: c.seed, traceLimit: 1_500 });
  const rabbit = new RabbitMQ(sim);
  const kafka = new Kafka(sim, { brokers: 1 });
  const problems: { at: number; text: string }[] = [];
  const fail = (text: string) => problems.push({ at: sim.now, text });
  const slow = c.faults.some((f) => f.kind === "slow");
  const crashes = c.faults.filter((f) => f.kind === "crash-point").map((f) => ({ f, used: false }));
  const state = {
    rabbit: { done: new Set<string>(), calls: 0, instances: 0, publishedAt: Infinity, drainedAt: Infinity },
    kafka: { done: new Set<string>(), calls: 0, instances: 0, publishedAt: Infinity, drainedAt: Infinity },
  };
  const live = new Set<string>();
  const replayed = new Set<string>();
  const never = <T>() => new Promise<T>(() => {});

  const check = (b: Broker, job: unknown): QueueJob | undefined => {
    const j = job as QueueJob | undefined;
    const known = j && typeof j === "object" ? byId.get(j.id) : undefined;
    if (!known || known.key !== j!.key || known.seq !== j!.seq) {
      fail(`${BROKER_NAME[b]}: handle() got ${JSON.stringify(job)?.slice(0, 80)}, not one of the jobs produced: send each job whole (id, key, seq) and decode it back.`);
      return undefined;
    }
    return known;
  };

  /** A worker does one job at a time: calls made while it is busy wait their turn. */
  const handlerFor = (b: Broker, name: string, slowWorker: boolean): QueueJobHandler => {
    let chain: Promise<void> = Promise.resolve();
    return (job) => {
      const run = chain.then(() => doJob(b, name, slowWorker, job));
      chain = run.catch(() => undefined);
      return run;
    };
  };
  const doJob = async (b: Broker, name: string, slowWorker: boolean, job: QueueJob): Promise<void> => {
    if (!live.has(name)) return never();
    const j = check(b, job);
    if (!j) return never();
    const s = state[b];
    s.calls++;
    if (b === "kafka" && !s.done.has(j.id)) {
      const missing = jobs.find((o) => o.key === j.key && o.seq < j.seq && !s.done.has(o.id));
      if (missing) fail(`Kafka: ${j.id} (${j.key} #${j.seq}) started before ${missing.id} (${j.key} #${missing.seq}) was done: each key's jobs must be processed in order.`);
    }
    const hit = crashes.find((x) => !x.used && x.f.target === b && Number(x.f.params?.call) === s.calls);
    if (hit?.f.params?.point === "during") {
      hit.used = true;
      crashWorker(b, name, `while working on ${j.id}`);
      return never();
    }
    await sim.sleep(slowWorker ? SLOW_MS : FAST_MS);
    if (!live.has(name)) return never();
    s.done.add(j.id);
    if (s.done.size === jobs.length && s.drainedAt === Infinity) s.drainedAt = sim.now;
    if (hit) {
      hit.used = true;
      crashWorker(b, name, `after finishing ${j.id}, before ${b === "rabbit" ? "its ack" : "the offset commit"}`);
      return never();
    }
  };

  const crashWorker = (b: Broker, name: string, why: string) => {
    if (!live.delete(name)) return;
    sim.trace.record("fault", name, name, `crash ${why}`);
    sim.faults.crash(name);
    sim.schedule(RESTART_AFTER, () => void startWorker(b, false).catch((e: unknown) => fail(`${BROKER_NAME[b]}: a replacement worker failed to start: ${String(e)}`)));
  };

  const startWorker = async (b: Broker, slowWorker: boolean) => {
    const name = `${b}-worker-${++state[b].instances}`;
    live.add(name);
    const handle = handlerFor(b, name, slowWorker);
    if (b === "rabbit") {
      const ch = await (await rabbit.connect({ name })).createChannel();
      await solution.rabbit.worker(ch, handle);
    } else {
      const consumer = kafka.consumer({ groupId: "workers", name, sessionTimeout: 2_000, heartbeatInterval: 600, maxWaitTimeInMs: 500 });
      await consumer.connect();
      await solution.kafka.worker(consumer, handle);
    }
  };

  const horizon = 8_000 + crashes.length * 3_000;
  await sim.run(async () => {
    await kafka.admin().createTopics({ topics: [{ topic: "jobs", numPartitions: 6, replicationFactor: 1 }] });
    const rabbitSide = (async () => {
      for (let i = 0; i < WORKERS; i++) await startWorker("rabbit", slow && i === 0);
      const ch = await (await rabbit.connect({ name: "rabbit-producer" })).createChannel();
      await solution.rabbit.produce(ch, jobs.map((j) => ({ ...j })));
      state.rabbit.publishedAt = sim.now;
    })();
    const kafkaSide = (async () => {
      for (let i = 0; i < WORKERS; i++) await startWorker("kafka", slow && i === 0);
      // Let the group settle before the first job, so no worker starts late.
      await sim.sleep(200);
      const producer = kafka.producer({ name: "kafka-producer" });
      await producer.connect();
      await solution.kafka.produce(producer, jobs.map((j) => ({ ...j })));
      state.kafka.publishedAt = sim.now;
    })();
    await Promise.all([rabbitSide, kafkaSide]);
    while (sim.now < horizon && problems.length === 0 && (state.rabbit.done.size < jobs.length || state.kafka.done.size < jobs.length)) await sim.sleep(100);
    if (c.faults.some((f) => f.kind === "replay") && problems.length === 0) {
      const name = "audit-reader";
      live.add(name);
      const reader = kafka.consumer({ groupId: `audit-${c.seed}`, name, sessionTimeout: 2_000, heartbeatInterval: 600, maxWaitTimeInMs: 500 });
      await reader.connect();
      await solution.kafka.replay(reader, async (job) => {
        const j = check("kafka", job);
        if (j) replayed.add(j.id);
      });
      const until = sim.now + 3_000;
      while (sim.now < until && replayed.size < jobs.length) await sim.sleep(100);
    }
  });

  if (problems.length > 0) return { ok: false, sim, at: problems[0]!.at, invariant: problems[0]!.text };
  for (const b of ["rabbit", "kafka"] as const) {
    const s = state[b];
    const missing = jobs.filter((j) => !s.done.has(j.id));
    if (missing.length > 0) {
      return { ok: false, sim, invariant: `${BROKER_NAME[b]}: ${missing.length} of ${jobs.length} jobs were never done (first: ${missing[0]!.id}), ${sim.now} ms into the run${crashes.length ? " with every crashed worker replaced" : ""}: a job was settled before it was done, or never sent.` };
    }
  }
  if (slow) {
    const took = state.rabbit.drainedAt - state.rabbit.publishedAt;
    if (took > SLOW_DRAIN_MS) {
      return { ok: false, sim, invariant: `RabbitMQ: with one worker ${SLOW_MS / FAST_MS}× slower, the pool needed ${took} ms after the last publish to finish ${jobs.length} jobs (limit ${SLOW_DRAIN_MS} ms; Kafka took ${state.kafka.drainedAt - state.kafka.publishedAt} ms, bound by the slow worker's partitions): the broker pushed jobs to the slow worker that the fast ones could have done.` };
    }
  }
  if (c.faults.some((f) => f.kind === "replay")) {
    const missing = jobs.filter((j) => !replayed.has(j.id));
    if (missing.length > 0) return { ok: false, sim, invariant: `Kafka: the new reader read ${replayed.size} of the ${jobs.length} past jobs (first missing: ${missing[0]!.id}); the log still holds them all, from offset 0 of every partition.` };
  }
  return { ok: true, sim };
}

const crashCases = seededCases(20, 400, (_i, random) => ({
  faults: (["rabbit", "kafka"] as const).map((b): FaultSpec => {
    const call = random.int(3, 26);
    const point = random.chance(0.5) ? "during" : "after";
    return { kind: "crash-point", label: `crash the ${BROKER_NAME[b]} worker handling the ${call}th job ${point === "during" ? "while it works" : `right after it, before ${b === "rabbit" ? "the ack" : "the offset commit"}`}; a new one joins ${RESTART_AFTER} ms later`, target: b, params: { call, point } };
  }),
  size: 30,
}));

export const workQueueOnBothBuild = defineBuildChallenge<WorkQueueOnBothSolution>({
  id: ID,
  title: "One work queue on both brokers: crash it, slow it, replay it",
  statement: [
    "Write the same work queue twice: a producer and a worker pool on **RabbitMQ** (queue `jobs`) and on **Kafka** (topic `jobs`, 6 partitions, group `workers`), and a Kafka reader that replays history. Each job is `{ id, key, seq }`; a worker calls `handle(job)` and the job is done when it resolves.",
    "",
    "```ts",
    "interface QueueJob { id: string; key: string; seq: number }",
    "type QueueJobHandler = (job: QueueJob) => Promise<void>;",
    "interface WorkQueueOnBothSolution {",
    "  rabbit: {",
    "    produce(ch: AmqpChannel, jobs: readonly QueueJob[]): Promise<void>;",
    "    worker(ch: AmqpChannel, handle: QueueJobHandler): Promise<void>;       // one per worker",
    "  };",
    "  kafka: {",
    "    produce(producer: KafkaProducer, jobs: readonly QueueJob[]): Promise<void>;",
    "    worker(consumer: KafkaConsumer, handle: QueueJobHandler): Promise<void>;  // connected, not subscribed",
    "    replay(consumer: KafkaConsumer, handle: QueueJobHandler): Promise<void>;  // a new group, after all is done",
    "  };",
    "}",
    "```",
    "",
    "**The checker attacks**: three workers per broker; it crashes a worker while it handles a job, or right after the job is done and before the ack or offset commit, and a replacement joins 300 ms later; it makes one worker 10× slower; then, with everything acked, it starts a new reader. **Invariants**: every job is done at least once on both brokers; on Kafka each key's jobs start in `seq` order; on RabbitMQ the pool finishes within 400 ms of the last publish although one worker is slow; the Kafka reader reads every past job. (A RabbitMQ queue cannot do that last one: acked messages are gone.)",
  ].join("\n"),
  validate(s) {
    expectSolution(ID, s, ["rabbit.produce", "rabbit.worker", "kafka.produce", "kafka.worker", "kafka.replay"]);
  },
  stages: [
    {
      name: "works on both",
      goal: "no faults: every job is done on both brokers, each key in order on Kafka",
      cases: seededCases(4, 100, () => ({ faults: [], size: 24 })),
      minSize: 6,
      run: runBoth,
    },
    {
      name: "survives worker crashes",
      goal: "a worker crashed mid-job or before its ack / offset commit loses no job; Kafka keeps each key in order",
      cases: crashCases,
      minSize: 6,
      run: runBoth,
    },
    {
      name: "slow worker and replay",
      goal: "one worker 10× slower does not hold RabbitMQ's pool back; a new Kafka reader replays every past job",
      cases: seededCases(20, 600, () => ({
        faults: [
          { kind: "slow", label: `the first worker of each pool takes ${SLOW_MS} ms a job instead of ${FAST_MS}` },
          { kind: "replay", label: "after every job is done, a new reader (group audit) must read them all" },
        ],
        size: 30,
      })),
      minSize: 6,
      run: runBoth,
    },
  ],
  hints: {
    nudge: "Read which broker the first failure names. Each broker forgets or remembers at a different moment: RabbitMQ when it gets an ack, Kafka never (until retention), and a Kafka group only remembers an offset. Ask, for each: when exactly does my code tell the broker a job is finished?",
    approach: "RabbitMQ: a durable queue, manual acks sent only after the handler resolved, and a limit on how many unacked jobs one worker may hold. Kafka: the message key decides the partition, and one partition is read by one worker in order, so key what must stay in order; the offset is committed after your handler returns, so return only when the job is done. The reader is a group that has never committed anything.",
    keyIdea: "Both brokers redeliver what was not confirmed, so confirm late: await the work before the ack and inside the message handler. RabbitMQ spreads jobs one by one only if a worker cannot hoard them (prefetch). Kafka's replay is a choice of where a new group starts: from the beginning of the log, not from its end.",
  },
});
