/**
 * Build challenge "rabbitmq": the learner writes a RabbitMQ retry topology with the
 * amqplib-shaped API: a work queue that dead-letters to a retry queue, a retry queue whose TTL
 * dead-letters back to the work queue, and a worker that acks on success, rejects without
 * requeue on failure and parks a message in a parking-lot queue once the `x-death` header
 * says it has failed N times. The checker publishes good, transiently failing and poison jobs,
 * crashes workers while they work and right after a success (before the ack), and judges:
 * transient jobs succeed, poison jobs are parked after exactly N attempts, nothing is lost or
 * circulates forever, and attempts of one job are at least the retry delay apart.
 */
import { toBuffer } from "../../messaging/content";
import { RabbitMQ, Random, Simulation, type AmqpChannel, type AmqpMessage } from "sde-lab";
import { defineBuildChallenge, type CaseOutcome, type CheckCase, type FaultSpec } from "../build";
import { seededCases } from "../seeded-cases";
import { expectSolution } from "../challenge";

/** Names and numbers of the retry topology (the checker picks them per case). */
export interface RetryTopologyConfig {
  /** The work queue the jobs are published to (`"jobs"`). */
  readonly work: string;
  /** The queue failed jobs wait in before their next attempt (`"jobs.retry"`). */
  readonly retry: string;
  /** The parking-lot queue for jobs that failed `maxAttempts` times (`"jobs.parked"`). */
  readonly parked: string;
  /** How long a failed job waits before its next attempt, ms (the retry queue's TTL). */
  readonly retryDelayMs: number;
  /** Failed attempts after which a job is parked instead of retried (1 = park on the first failure). */
  readonly maxAttempts: number;
}

/** Solution of the `rabbitmq` build challenge. */
export interface RetryTopologySolution {
  /** Declares the exchanges, queues and bindings (called once, before any job is published). */
  setup(ch: AmqpChannel, cfg: RetryTopologyConfig): Promise<void>;
  /**
   * Starts one worker on its own channel: consume `cfg.work`, call `work(msg)` for each
   * delivery (it rejects when the job failed), then settle the message. Called again for every
   * replacement worker after a crash.
   */
  worker(ch: AmqpChannel, cfg: RetryTopologyConfig, work: (msg: AmqpMessage) => Promise<void>): Promise<void>;
}

const PROCESS_MS = 5;
const RESTART_AFTER = 300;
/** How long the previous deployment's worker runs at the edges before the new workers start, ms. */
const OLD_FLEET_MS = 60;
const ID = "rabbitmq";

type Kind = { kind: "good" } | { kind: "transient"; failures: number } | { kind: "poison" };

interface JobState {
  readonly id: string;
  readonly kind: Kind;
  /** Attempts that returned a verdict to the worker (crashes cut the others short). */
  failed: number;
  succeeded: number;
  lastFailAt: number;
  /** Calls of work() for this job, verdict or not (the loop guard). */
  calls: number;
}

/** Per-case parameters drawn from the seed (and the size). */
function plan(c: CheckCase, edge: boolean) {
  const random = new Random(c.seed * 31 + 7);
  const maxAttempts = edge ? [1, 2, 6][c.seed % 3]! : random.int(3, 5);
  const retryDelayMs = [200, 500, 1_000][random.int(0, 2)]!;
  const jobs: { id: string; kind: Kind }[] = [];
  for (let i = 1; i <= c.size; i++) {
    const r = random.next();
    const kind: Kind =
      r < 0.2 ? { kind: "poison" }
      : r < 0.45 && maxAttempts > 1 ? { kind: "transient", failures: edge ? maxAttempts - 1 : random.int(1, Math.max(1, maxAttempts - 2)) }
      : { kind: "good" };
    jobs.push({ id: `job-${i}`, kind });
  }
  // Every case has at least one poison job and (when retries exist) one transient job.
  if (!jobs.some((j) => j.kind.kind === "poison")) jobs[0] = { id: "job-1", kind: { kind: "poison" } };
  if (maxAttempts > 1 && !jobs.some((j) => j.kind.kind === "transient") && jobs.length > 1) jobs[1] = { id: "job-2", kind: { kind: "transient", failures: edge ? maxAttempts - 1 : 1 } };
  return { maxAttempts, retryDelayMs, jobs, workers: edge ? 2 : 1 };
}

const describeKind = (k: Kind, n: number) => (k.kind === "poison" ? "a poison job (fails every time)" : k.kind === "transient" ? `a transient job (fails ${k.failures} time${k.failures === 1 ? "" : "s"}, then succeeds; maxAttempts ${n})` : "a good job");

/** One case of the checker: runs the learner's code on one seed and fault schedule and judges it (exported for the bench's plain run). */
export async function runTopology(solution: RetryTopologySolution, c: CheckCase, edge: boolean): Promise<CaseOutcome> {
  const { maxAttempts, retryDelayMs, jobs: planned, workers } = plan(c, edge);
  const oldFleet = edge && maxAttempts > 1;
  const cfg: RetryTopologyConfig = Object.freeze({ work: "jobs", retry: "jobs.retry", parked: "jobs.parked", retryDelayMs, maxAttempts });
  const sim = new Simulation({ seed: c.seed, traceLimit: 1_500 });
  const rabbit = new RabbitMQ(sim);
  const jobs = new Map<string, JobState>(planned.map((j) => [j.id, { id: j.id, kind: j.kind, failed: 0, succeeded: 0, lastFailAt: -Infinity, calls: 0 }]));
  const problems: { at: number; text: string }[] = [];
  const fail = (text: string) => problems.push({ at: sim.now, text });
  const crashes = c.faults.filter((f) => f.kind === "crash-point").map((f) => ({ f, used: false }));
  let instances = 0;
  let stopped = false;
  const live = new Set<string>();
  const never = <T>() => new Promise<T>(() => {});

  /** The job itself, as worker `name` runs it: records attempts, fails or succeeds, or crashes it. */
  const workFor = (name: string, crash: (why: string) => void) => async (msg: AmqpMessage): Promise<void> => {
    if (!live.has(name) || stopped) return never();
    const id = msg?.content?.toString?.() ?? "";
    const job = jobs.get(id);
    if (!job) {
      fail(`work() got a message whose body is ${JSON.stringify(id.slice(0, 40))}, not one of the published jobs: pass the delivered message unchanged.`);
      return never();
    }
    job.calls++;
    if (job.calls > maxAttempts + 8) {
      fail(`${id}, ${describeKind(job.kind, maxAttempts)}, was handed to work() ${job.calls} times: it circulates instead of being parked after ${maxAttempts} failed attempt${maxAttempts === 1 ? "" : "s"}.`);
      stopped = true;
      for (const w of [...live]) sim.faults.crash(w);
      live.clear();
      return never();
    }
    if (job.failed > 0 && sim.now - job.lastFailAt < retryDelayMs) {
      fail(`${id} was attempted again ${sim.now - job.lastFailAt} ms after its failed attempt ${job.failed}; the retry delay is ${retryDelayMs} ms (a requeue puts a message straight back).`);
    }
    await sim.sleep(PROCESS_MS);
    if (!live.has(name) || stopped) return never();
    const attempt = job.failed + 1;
    const hit = crashes.find((x) => !x.used && x.f.target === id && Number(x.f.params?.attempt) === attempt + job.succeeded);
    const fails = job.kind.kind === "poison" || (job.kind.kind === "transient" && job.failed < job.kind.failures);
    if (hit && (hit.f.params?.point === "during" || fails)) {
      // Died before any verdict: the attempt does not count, the broker redelivers the message.
      hit.used = true;
      crash(`while working on ${id}`);
      return never();
    }
    if (fails) {
      job.failed++;
      job.lastFailAt = sim.now;
      sim.trace.state(name, `${id}: attempt ${attempt} failed`);
      throw new Error(`${id} failed (attempt ${attempt})`);
    }
    job.succeeded++;
    sim.trace.state(name, `${id}: done`);
    if (hit) {
      // The effect is done; the ack never leaves: the broker redelivers and the job runs again.
      hit.used = true;
      crash(`after finishing ${id}, before its ack`);
      return never();
    }
  };

  const startWorker = async (): Promise<void> => {
    if (stopped) return;
    const name = `worker-${++instances}`;
    live.add(name);
    const conn = await rabbit.connect({ name });
    const ch = await conn.createChannel();
    const crash = (why: string) => {
      if (!live.delete(name)) return;
      sim.trace.record("fault", name, name, `crash ${why}`);
      sim.faults.crash(name);
      sim.schedule(RESTART_AFTER, () => void startWorker().catch((e: unknown) => fail(`a replacement worker failed to start: ${String(e)}`)));
    };
    const work = workFor(name, crash);
    await solution.worker(ch, cfg, work);
  };

  const horizon = maxAttempts * (retryDelayMs + 60) + crashes.length * (RESTART_AFTER + 200) + 3_000;
  await sim.run(async () => {
    const admin = await (await rabbit.connect({ name: "app" })).createChannel();
    await solution.setup(admin, cfg);
    if (oldFleet) {
      // A previous deployment already tried some jobs once before it went down: their x-death
      // history is in the broker, not in any running worker's memory.
      for (const j of planned) admin.sendToQueue(cfg.work, toBuffer(j.id), { persistent: true, messageId: j.id });
      const old = "old-worker";
      live.add(old);
      const ch = await (await rabbit.connect({ name: old })).createChannel();
      await ch.prefetch(1);
      const work = workFor(old, () => {});
      await ch.consume(cfg.work, (msg) => {
        if (msg && live.has(old)) work(msg).then(() => ch.ack(msg), () => ch.reject(msg, false));
      });
      await sim.sleep(OLD_FLEET_MS);
      live.delete(old);
      sim.faults.crash(old);
      sim.trace.record("fault", old, old, "the old deployment stops; the new workers start");
      for (let i = 0; i < workers; i++) await startWorker();
    } else {
      for (let i = 0; i < workers; i++) await startWorker();
      for (const j of planned) admin.sendToQueue(cfg.work, toBuffer(j.id), { persistent: true, messageId: j.id });
    }
    await sim.sleep(horizon);
    stopped = true;
  });

  if (problems.length > 0) return { ok: false, sim, at: problems[0]!.at, invariant: problems[0]!.text };
  const count = (q: string) => {
    try {
      const info = rabbit.queueInfo(q);
      return info.messages + info.unacked;
    } catch {
      return 0;
    }
  };
  let parked: string[];
  try {
    parked = rabbit.peek(cfg.parked).map((m) => String(m.content));
  } catch {
    parked = []; // the learner never declared the parking lot
  }
  const circulating = count(cfg.work) + count(cfg.retry);
  for (const j of jobs.values()) {
    const times = parked.filter((p) => p === j.id).length;
    if (j.kind.kind === "poison") {
      if (j.failed !== maxAttempts) {
        const where = times ? "before it was parked" : circulating === 0 ? "and then it was gone: not parked, not in any queue (lost)" : "and it is not parked";
        return { ok: false, sim, invariant: `${j.id} is a poison job and maxAttempts is ${maxAttempts}, but it was attempted ${j.failed} time${j.failed === 1 ? "" : "s"} ${where}.` };
      }
      if (times !== 1) return { ok: false, sim, invariant: `${j.id} failed ${maxAttempts} times and should be in ${cfg.parked} once, but it is there ${times} times${times === 0 && circulating === 0 ? ": it was lost" : ""}.` };
    } else {
      if (times > 0) return { ok: false, sim, invariant: `${j.id}, ${describeKind(j.kind, maxAttempts)}, was parked; only jobs that failed ${maxAttempts} times belong in ${cfg.parked}.` };
      if (j.succeeded === 0) {
        return { ok: false, sim, invariant: `${j.id}, ${describeKind(j.kind, maxAttempts)}, never succeeded (${j.failed} failed attempt${j.failed === 1 ? "" : "s"}, ${horizon} ms into the run)${circulating === 0 ? ": the message is gone, lost" : ""}.` };
      }
    }
  }
  if (circulating > 0) return { ok: false, sim, invariant: `${circulating} message${circulating === 1 ? " is" : "s are"} still in ${cfg.work} or ${cfg.retry} ${horizon} ms into the run, after every job was settled: something circulates forever.` };
  return { ok: true, sim };
}

const crashCases = seededCases(24, 300, (i, random, seed) => {
  const { jobs, maxAttempts } = plan({ seed, faults: [], size: 8 }, false);
  const faults: FaultSpec[] = [];
  const poison = jobs.filter((j) => j.kind.kind === "poison");
  const transient = jobs.filter((j) => j.kind.kind === "transient");
  const good = jobs.filter((j) => j.kind.kind === "good");
  // Crash while a poison job is being worked on (an attempt that gives no verdict).
  const p = poison[random.int(0, poison.length - 1)]!;
  const attempt = random.int(1, maxAttempts);
  faults.push({ kind: "crash-point", label: `crash the worker while it works on ${p.id} (attempt ${attempt}); a new one starts ${RESTART_AFTER} ms later`, target: p.id, params: { point: "during", attempt } });
  if (i % 2 === 0 && transient.length > 0) {
    const t = transient[random.int(0, transient.length - 1)]!;
    const n = t.kind.kind === "transient" ? t.kind.failures + 1 : 1;
    faults.push({ kind: "crash-point", label: `crash the worker after ${t.id} succeeds (attempt ${n}), before its ack`, target: t.id, params: { point: "after", attempt: n } });
  } else if (good.length > 0) {
    const g = good[random.int(0, good.length - 1)]!;
    faults.push({ kind: "crash-point", label: `crash the worker after ${g.id} succeeds, before its ack`, target: g.id, params: { point: "after", attempt: 1 } });
  }
  return { faults, size: 8 };
});

export const rabbitRetryBuild = defineBuildChallenge<RetryTopologySolution>({
  id: ID,
  title: "Build a retry topology: dead-letter, wait, retry, park after N deaths",
  statement: [
    "Write a RabbitMQ retry topology with the amqplib-shaped API. `setup` declares it; `worker` consumes the work queue, calls `work(msg)` for each delivery and settles the message:",
    "",
    "- **success**: ack it;",
    "- **failure**: reject it without requeue, so the work queue's dead-letter exchange moves it to the retry queue, whose TTL (`cfg.retryDelayMs`) dead-letters it back to the work queue for the next attempt;",
    "- **the `cfg.maxAttempts`-th failure**: publish it to the parking-lot queue `cfg.parked` and ack it. Count failures from the message's `x-death` header (`msg.properties.headers[\"x-death\"]`), not in the worker's memory: workers crash and share the queue.",
    "",
    "```ts",
    "interface RetryTopologyConfig { work: string; retry: string; parked: string; retryDelayMs: number; maxAttempts: number }",
    "interface RetryTopologySolution {",
    "  setup(ch: AmqpChannel, cfg: RetryTopologyConfig): Promise<void>;",
    "  worker(ch: AmqpChannel, cfg: RetryTopologyConfig, work: (msg: AmqpMessage) => Promise<void>): Promise<void>;",
    "}",
    "```",
    "",
    "**The checker attacks**: it publishes good jobs, transient ones (fail a few times, then succeed) and poison ones (always fail) as `Buffer` bodies, with a seeded `maxAttempts` and retry delay; it crashes workers while they work (no verdict: that attempt does not count) and right after a success before the ack (the broker redelivers), and starts a replacement 300 ms later; at the edges it runs two workers after a previous deployment's worker already failed some jobs once (their history is only in the broker), and sets `maxAttempts` to 1, 2 or 6 with transient jobs that fail `maxAttempts − 1` times. **Invariants**: every transient job succeeds; every poison job is parked once, after exactly `maxAttempts` failed attempts; no job is lost or left circulating; attempts of one job are at least `retryDelayMs` apart (a requeue loop fails).",
  ].join("\n"),
  validate(s) {
    expectSolution(ID, s, ["setup", "worker"]);
  },
  stages: [
    {
      name: "retries and parks",
      goal: "one worker, no crashes: transient jobs succeed after waiting the retry delay, poison jobs are parked after exactly maxAttempts failures",
      cases: seededCases(6, 100, () => ({ faults: [], size: 10 })),
      minSize: 2,
      run: (s, c) => runTopology(s, c, false),
    },
    {
      name: "survives worker crashes",
      goal: "a worker crashed mid-job or before its ack loses nothing, and a crash does not change how many attempts a poison job gets",
      cases: crashCases,
      minSize: 2,
      run: (s, c) => runTopology(s, c, false),
    },
    {
      name: "exact at the edges",
      goal: "two workers share the queue; a previous deployment already failed some jobs once; maxAttempts 1, 2 and 6; a transient job failing maxAttempts − 1 times still succeeds",
      cases: seededCases(9, 500, () => ({ faults: [], size: 12 })),
      minSize: 2,
      run: (s, c) => runTopology(s, c, true),
    },
  ],
  hints: {
    nudge: "Run the check and read which job the first failure names and what happened to it. Then follow that message: which queue is it in after each step, and who moves it there, your code or the broker?",
    approach: "Two queues do the waiting for you: the work queue's dead-letter exchange takes what you reject (without requeue), and the retry queue has a message TTL and its own dead-letter target pointing back at the work queue, with nobody consuming it. The worker only decides, per delivery: ack, reject, or park (publish to the parking lot, then ack).",
    keyIdea: "The broker counts for you: every dead-lettering adds to an entry of the x-death header, one entry per queue and reason. Read the count of the entry for your work queue with reason rejected: it is the number of failures before this delivery, and it survives crashes and is the same whichever worker gets the message. This delivery's failure is one more.",
  },
});
