/**
 * Build challenge "at-most-once": the learner writes a telemetry pipeline on Kafka that never
 * counts a metric point twice: a producer that does not retry (a retried send whose first
 * answer was lost writes the points again) and a consumer that commits a point's offset before
 * counting it. The checker crashes the consumer right after a commit, right after a count and
 * while counting, and cuts the broker's answers to the producer so sends time out. Invariant:
 * no point is counted twice; losses are allowed, counted and bounded; with no faults nothing
 * is lost.
 *
 * The learner's code runs in this process, so a simulated crash cannot wipe what it keeps
 * outside the consumer (a module-level set of ids seen): a consumer that counts first and then
 * skips what it remembers would show no duplicate here although a real restart forgets. So the
 * checker also judges what a crash leaves behind, from the broker's side: a point counted by the
 * crashed consumer whose offset the group had not committed yet is one a real replacement reads
 * and counts again; and a point stored twice in the log is one some consumer counts twice.
 */
import { ConfigError, Kafka, Random, Simulation, type KafkaConsumer, type KafkaProducer } from "sde-lab";
import { committedOffset, observedRun, type Delivered } from "../delivered";
import { defineBuildChallenge, type CaseOutcome, type CheckCase, type FaultSpec } from "../build";
import { crashAt, seededCases } from "../seeded-cases";
import { expectSolution } from "../challenge";

/** One metric point. */
export interface MetricPoint {
  /** Unique id, `"pt-17"`. */
  readonly id: string;
  /** Metric name, `"cpu"`, `"rps"`… */
  readonly metric: string;
  readonly value: number;
}

/** Solution of the `at-most-once` build challenge. */
export interface TelemetrySolution {
  /** Makes the producer (its options are yours); the checker connects it. */
  createProducer(kafka: Kafka): KafkaProducer;
  /** Sends one batch of points to the topic `"metrics"`. It must return, never throw: a telemetry producer drops what it could not send. */
  send(producer: KafkaProducer, points: readonly MetricPoint[]): Promise<void>;
  /** Runs the dashboard's consumer (group `"dashboard"`, connected, not subscribed); call `count(point)` once per point you process. */
  consume(consumer: KafkaConsumer, count: (point: MetricPoint) => void): Promise<void>;
}

const ID = "at-most-once";
const BATCH = 10;
const SEND_EVERY_MS = 100;
const RESTART_AFTER = 300;
const REQUEST_TIMEOUT = 1_000;
const SEND_LIMIT_MS = 5_000;

const POINTS = {
  "after-commit": "right after one of its offset commits",
  "after-count": "right after it counted a point",
  "while-counting": "while it counts a point (the point is not counted)",
} as const;
type Point = keyof typeof POINTS;

/** Where a point is stored: one record of `metrics` whose key or value holds its id. */
interface Copy {
  readonly partition: number;
  readonly offset: number;
}

/** A point the crashed consumer had counted while its offset was not committed. */
interface Uncommitted {
  readonly id: string;
  readonly consumer: string;
  readonly why: string;
  readonly at: number;
  readonly copy: Copy;
  readonly committed: number | undefined;
}

/** The records holding each point's id (in key or value: however the learner encodes a point, JSON or not, its id is in there), among those handed to the consumers. */
function copiesOf(deliveries: readonly Delivered[], ids: Iterable<string>): Map<string, Copy[]> {
  const out = new Map<string, Copy[]>();
  const wanted = [...ids].map((id) => ({ id, re: new RegExp(`(?<![\\w-])${id}(?!\\d)`) }));
  const done = new Set<string>();
  for (const d of deliveries) {
    const where = `${d.partition}/${d.offset}`;
    if (d.topic !== "metrics" || done.has(where)) continue;
    done.add(where);
    const body = `${d.key}\n${d.value}`;
    for (const w of wanted) if (w.re.test(body)) out.set(w.id, [...(out.get(w.id) ?? []), { partition: d.partition, offset: d.offset }]);
  }
  return out;
}

/** One case of the checker: runs the learner's code on one seed and fault schedule and judges it (exported for the bench's plain run). */
export async function runTelemetry(solution: TelemetrySolution, c: CheckCase): Promise<CaseOutcome> {
  const random = new Random(c.seed * 17 + 3);
  const metrics = ["cpu", "rps", "p99", "errors"];
  const points: MetricPoint[] = Array.from({ length: c.size }, (_, i) => ({ id: `pt-${i + 1}`, metric: metrics[i % 4]!, value: random.int(0, 999) }));
  const byId = new Map(points.map((p) => [p.id, p]));
  const sim = new Simulation({ seed: c.seed, traceLimit: 1_500 });
  const kafka = new Kafka(sim, { brokers: 1, requestTimeout: REQUEST_TIMEOUT });
  const counted = new Map<string, number>();
  const problems: { at: number; text: string }[] = [];
  const fail = (text: string) => problems.push({ at: sim.now, text });
  const crashes = c.faults.filter((f) => f.kind === "crash-point").map((f) => ({ f, used: false }));
  const cuts = c.faults.filter((f) => f.kind === "lose-answers");
  const live = new Set<string>();
  let instances = 0;
  const committedAt = (partition: number) => committedOffset(() => kafka.lag("dashboard"), "metrics", partition);
  // Every message handed to a consumer: ties a count to the record it came from.
  const deliveries: Delivered[] = [];
  // Ids each consumer incarnation counted: what a real crash would make it forget.
  const countedBy = new Map<string, string[]>();
  let uncommitted: Uncommitted | undefined;
  let counts = 0;
  let commits = 0;
  const never = <T>() => new Promise<T>(() => {});

  const crash = (name: string, why: string) => {
    if (!live.delete(name)) return;
    // A point this consumer counted whose every copy is at or past the group's committed offset
    // is one a replacement re-reads: a real one, with fresh memory, counts it again.
    if (!uncommitted) {
      const mine = countedBy.get(name) ?? [];
      const copies = copiesOf(deliveries, mine);
      for (const id of mine) {
        const list = copies.get(id) ?? [];
        if (list.length === 0 || list.some((c) => c.offset < (committedAt(c.partition) ?? 0))) continue;
        uncommitted = { id, consumer: name, why, at: sim.now, copy: list[0]!, committed: committedAt(list[0]!.partition) };
        break;
      }
    }
    sim.trace.record("fault", name, name, `crash ${why}`);
    sim.faults.crash(name);
    sim.schedule(RESTART_AFTER, () => void startConsumer().catch((e: unknown) => fail(`a replacement consumer failed to start: ${String(e)}`)));
  };
  const strike = (point: Point, n: number) => {
    const hit = crashes.find((x) => !x.used && x.f.params?.point === point && Number(x.f.params?.n) <= n);
    if (hit) hit.used = true;
    return hit !== undefined;
  };

  const startConsumer = async (): Promise<void> => {
    const name = `dashboard-${++instances}`;
    live.add(name);
    const consumer = kafka.consumer({ groupId: "dashboard", name, sessionTimeout: 2_000, heartbeatInterval: 600, maxBytesPerPartition: 400, maxWaitTimeInMs: 200 });
    await consumer.connect();
    // The learner's commits go through this wrapper, so the checker can crash right after one.
    const commitOffsets = async (offsets: Parameters<KafkaConsumer["commitOffsets"]>[0]) => {
      await consumer.commitOffsets(offsets);
      if (!live.has(name)) return never<void>();
      if (strike("after-commit", ++commits)) {
        crash(name, POINTS["after-commit"]);
        return never<void>();
      }
    };
    const view = new Proxy(consumer, {
      get(target, prop) {
        if (prop === "commitOffsets") return commitOffsets;
        if (prop === "run") return observedRun(target, (d) => deliveries.push(d));
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const count = (point: MetricPoint) => {
      if (!live.has(name)) return;
      const known = point && typeof point === "object" ? byId.get(point.id) : undefined;
      if (!known || known.value !== point.value || known.metric !== point.metric) {
        fail(`count() got ${JSON.stringify(point)?.slice(0, 80)}, not one of the points sent: send each point whole (id, metric, value) and decode it back.`);
        return;
      }
      counts++;
      if (strike("while-counting", counts)) {
        crash(name, `${POINTS["while-counting"]}: ${known.id}`);
        return;
      }
      const n = (counted.get(known.id) ?? 0) + 1;
      counted.set(known.id, n);
      countedBy.set(name, [...(countedBy.get(name) ?? []), known.id]);
      sim.trace.state(name, `count ${known.id}${n > 1 ? ` (${n}×)` : ""}`);
      if (n === 2) fail(`${known.id} was counted twice: the dashboard now shows a wrong ${known.metric} total.`);
      if (strike("after-count", counts)) crash(name, `${POINTS["after-count"]}: ${known.id}`);
    };
    await solution.consume(view, count);
  };

  let sendProblem: string | undefined;
  await sim.run(async () => {
    await kafka.admin().createTopics({ topics: [{ topic: "metrics", numPartitions: 3, replicationFactor: 1 }] });
    await startConsumer();
    const producer = solution.createProducer(kafka);
    if (!producer || typeof producer.send !== "function" || !producer.node) throw new ConfigError(ID, "createProducer(kafka)", producer, "a producer made with kafka.producer({...})");
    await producer.connect();
    const broker = kafka.cluster.brokers[0]!;
    for (const cut of cuts) {
      const at = Number(cut.at);
      const ms = Number(cut.params?.ms);
      sim.faults.partition(broker, producer.node.name, { at, oneWay: true });
      sim.faults.heal(broker, producer.node.name, { at: at + ms });
    }
    await sim.sleep(200);
    for (let i = 0; i < points.length && !sendProblem; i += BATCH) {
      const batch = points.slice(i, i + BATCH).map((p) => ({ ...p }));
      const started = sim.now;
      let outcome = "hung" as "ok" | "threw" | "hung";
      let error: unknown;
      await Promise.race([
        solution.send(producer, batch).then(
          () => void (outcome = "ok"),
          (e: unknown) => void ((outcome = "threw"), (error = e)),
        ),
        sim.sleep(SEND_LIMIT_MS),
      ]);
      if (outcome === "threw") sendProblem = `send() threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)} for ${batch[0]!.id}–${batch[batch.length - 1]!.id}: a telemetry producer drops a batch it could not send and carries on.`;
      else if (outcome === "hung") sendProblem = `send() for ${batch[0]!.id}–${batch[batch.length - 1]!.id} had not returned after ${SEND_LIMIT_MS} ms: a telemetry producer gives up on a batch instead of retrying it.`;
      if (sendProblem) fail(sendProblem);
      await sim.sleep(Math.max(0, SEND_EVERY_MS - (sim.now - started)));
    }
    const horizon = sim.now + 3_000 + crashes.length * 2_500;
    while (sim.now < horizon && problems.length === 0 && counted.size < points.length) await sim.sleep(100);
    await sim.sleep(300);
    live.clear();
  });

  if (problems.length > 0) return { ok: false, sim, at: problems[0]!.at, invariant: problems[0]!.text };
  const forgotten = judgeMemory(deliveries, counted, uncommitted, committedAt);
  if (forgotten) return { ok: false, sim, at: forgotten.at, invariant: forgotten.text, kind: "memory" };
  const lost = points.filter((p) => !counted.has(p.id));
  if (c.faults.length === 0 && lost.length > 0) {
    return { ok: false, sim, invariant: `with no fault at all, ${lost.length} of ${points.length} points were never counted (first: ${lost[0]!.id}); at-most-once may lose points only when something fails.` };
  }
  const allowed = Math.max(3, Math.floor(points.length / 4));
  if (lost.length > allowed) {
    return { ok: false, sim, invariant: `${lost.length} of ${points.length} points were lost (first: ${lost[0]!.id}), more than the ${allowed} a crash or a failed send may cost here: after a crash the new consumer must go on from the committed offsets.` };
  }
  return { ok: true, sim };
}

/**
 * Duplicates this run hid only because the learner's memory outlived a simulated crash (or
 * because the consumer skipped a copy it recognised): judged from the broker's state, which a
 * real crash leaves as it is. Undefined when there is none.
 */
function judgeMemory(deliveries: readonly Delivered[], counted: ReadonlyMap<string, number>, u: Uncommitted | undefined, committedAt: (partition: number) => number | undefined): { at?: number; text: string } | undefined {
  if (u && counted.get(u.id) === 1) {
    const commit = u.committed === undefined ? "none yet" : String(u.committed);
    const how = u.why.replace(/\s*\(.*$|: .*$/, "");
    const reread = u.copy.offset < (committedAt(u.copy.partition) ?? 0);
    return {
      at: u.at,
      text: `${u.consumer} counted ${u.id} (metrics-${u.copy.partition} offset ${u.copy.offset}) before its offset was committed (the group's committed offset there: ${commit}), then crashed ${how}. ${reread ? `Its replacement read ${u.id} again and skipped it, remembering it through state the simulated crash could not wipe; a real crash wipes it, and a real replacement counts ${u.id} twice.` : `A replacement resumes from the committed offset, reads ${u.id} again and, with the crashed process's memory gone, counts it twice.`}`,
    };
  }
  for (const [id, list] of copiesOf(deliveries, counted.keys())) {
    if (list.length < 2) continue;
    const where = list.map((c) => `metrics-${c.partition} offset ${c.offset}`).join(", ");
    return {
      text: `${id} is in the log ${list.length} times (${where}): a batch was written again after its answer was lost. The consumer was handed every copy and counted ${id} once only by recognising the repeats; that memory dies with the process (a crash, a rebalance to another member), and then a copy is counted again.`,
    };
  }
  return undefined;
}

/** 1st, 2nd, 3rd, 4th … 11th, 12th, 13th … 21st, 22nd. */
const ordinal = (n: number): string => {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  return `${n}${teen ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th")}`;
};
const nth = (point: Point, n: number) => `(the ${ordinal(n)} ${point === "after-commit" ? "commit" : "point"})`;

const consumerCrashCases = seededCases(21, 700, (i, random) => {
  const kinds = Object.keys(POINTS) as Point[];
  const first = kinds[i % 3]!;
  const n = random.int(3, 15);
  const faults = [crashAt(POINTS, first, { who: "the consumer", detail: `${nth(first, n)}; a new one joins ${RESTART_AFTER} ms later`, params: { n } })];
  if (i % 2 === 1) {
    const second = kinds[(i + 1) % 3]!;
    const m = n + random.int(3, 10);
    faults.push(crashAt(POINTS, second, { who: "the consumer again", detail: nth(second, m), params: { n: m } }));
  }
  return { faults, size: 30 };
});

const producerCases = seededCases(20, 900, (i, random) => {
  const at = 250 + random.int(0, 3) * SEND_EVERY_MS;
  const ms = random.int(11, 25) * 100;
  const faults: FaultSpec[] = [{ kind: "lose-answers", label: `the broker's answers to the producer are lost from ${at} ms for ${ms} ms (the records are written; the sends time out after ${REQUEST_TIMEOUT} ms)`, at, params: { ms } }];
  if (i % 2 === 0) faults.push(crashAt(POINTS, "after-count", { who: "the consumer", detail: nth("after-count", 5 + i), params: { n: 5 + i } }));
  return { faults, size: 30 };
});

export const telemetryBuild = defineBuildChallenge<TelemetrySolution>({
  id: ID,
  title: "Telemetry that never counts a point twice",
  statement: [
    "Write a metrics pipeline on Kafka with **at-most-once** delivery: a producer that sends batches of points to the topic `metrics` (3 partitions) and a dashboard consumer that counts each point. A point counted twice corrupts a dashboard total; a lost point is a small gap, acceptable when something failed.",
    "",
    "```ts",
    "interface MetricPoint { id: string; metric: string; value: number }",
    "interface TelemetrySolution {",
    "  createProducer(kafka: Kafka): KafkaProducer;                            // your options",
    "  send(producer: KafkaProducer, points: readonly MetricPoint[]): Promise<void>;  // never throws",
    "  consume(consumer: KafkaConsumer, count: (point: MetricPoint) => void): Promise<void>;",
    "}",
    "```",
    "",
    `**The checker attacks**: it sends a batch of ${BATCH} points every ${SEND_EVERY_MS} ms; it crashes the consumer right after one of its offset commits, right after it counted a point, or while it counts one, and a new consumer joins the group ${RESTART_AFTER} ms later; it loses the broker's answers to the producer for 1–2.5 s, so sends time out after ${REQUEST_TIMEOUT} ms although the broker wrote the records. **Invariants**: no point is ever counted twice; with no faults every point is counted; with faults at most a quarter of the points are lost (the report counts them); \`send\` returns within ${SEND_LIMIT_MS / 1000} s and never throws. Your code runs in the checker's process, so what it keeps outside the consumer outlives a simulated crash, which a real crash wipes: the checker also judges, from what the broker holds, the duplicates a real restart would make.`,
  ].join("\n"),
  validate(s) {
    expectSolution(ID, s, ["createProducer", "send", "consume"]);
  },
  stages: [
    {
      name: "counts every point",
      goal: "no faults: every point is counted exactly once",
      cases: seededCases(3, 100, () => ({ faults: [], size: 30 })),
      minSize: 10,
      run: runTelemetry,
    },
    {
      name: "survives consumer crashes",
      goal: "the consumer crashes after a commit, after a count or while counting: no point is counted twice",
      cases: consumerCrashCases,
      minSize: 20,
      run: runTelemetry,
    },
    {
      name: "survives lost send answers",
      goal: "sends time out although the broker wrote the points: no point is written (and counted) twice",
      cases: producerCases,
      minSize: 20,
      run: runTelemetry,
    },
  ],
  hints: {
    nudge: "A duplicate needs a second copy of the same point: either the log holds it twice, or the consumer read it twice. Run the check, then ask which of the two happened in the failing case.",
    approach: "On the consumer side, the group re-reads from the last committed offset after a crash; so commit a point's offset before you count it, not after (the default commits after). On the producer side, a send that timed out may still have been written; a client that tries again writes it again.",
    keyIdea: "At-most-once means acknowledging before acting, everywhere: the offset commit happens before the count, and the producer is built to never resend (no retries) with a failed send caught and dropped. The price is a small gap each time something fails, which is what this pipeline accepts.",
  },
});
