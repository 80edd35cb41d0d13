/**
 * Build challenge "bulkhead": the learner writes a semaphore bulkhead with a bounded wait
 * queue (max concurrent calls, max queue length, max wait time), rejecting with a named
 * error when it is full, as resilience4j's semaphore `Bulkhead` (BulkheadFullException) and
 * cockatiel's `bulkhead(limit, queue)` (BulkheadRejectedError) do.
 *
 * The checker gives service B two bulkheads, one per dependency (C and D), sends bursts
 * through them, and makes C slow, failing or dead. It wraps every call it hands the bulkhead,
 * so it sees each call start and end, and keeps its own record of what runs and what waits.
 */
import { ConfigError, Simulation } from "sde-lab";
import { defineBuildChallenge, type CaseOutcome, type CheckCase, type FaultSpec } from "../build";
import { seededCases } from "../seeded-cases";

/** Limits of one bulkhead. */
export interface BulkheadOptions {
  /** Calls that may run at once (resilience4j's maxConcurrentCalls, default 25). */
  readonly maxConcurrent: number;
  /** Calls that may wait for a permit; one more is rejected at once. */
  readonly maxQueue: number;
  /** Longest a call may wait in the queue, ms (resilience4j's maxWaitDuration, default 0); then it is rejected. */
  readonly maxWaitMs: number;
}

/** What the lab gives your bulkhead. */
export interface BulkheadKit {
  /** Virtual time, ms. */
  now(): number;
  /** Runs `fn` after `ms` of virtual time; returns a function that cancels it. */
  setTimer(ms: number, fn: () => void): () => void;
  /** The error to reject with when the bulkhead is full or a queued call waited too long (its name is "BulkheadFullError"). */
  fullError(message: string): Error;
}

/** Your bulkhead. */
export interface Bulkhead {
  /** Runs `call` when a permit is free (at once, or after waiting in the queue), and settles as it settles. */
  execute<T>(call: () => Promise<T>): Promise<T>;
}

export interface BulkheadBuild {
  /** A new bulkhead; the lab makes one per dependency. */
  bulkhead(options: BulkheadOptions, kit: BulkheadKit): Bulkhead;
}

/** The error the kit makes, so the checker can tell a rejection from a failed call. */
class BulkheadFullError extends Error {
  override name = "BulkheadFullError";
}

const LIMITS: Record<"C" | "D", BulkheadOptions> = {
  C: { maxConcurrent: 4, maxQueue: 3, maxWaitMs: 150 },
  D: { maxConcurrent: 2, maxQueue: 2, maxWaitMs: 80 },
};
const CALL_TIMEOUT = 250;

interface CallRecord {
  n: number;
  dep: "C" | "D";
  submit: number;
  queued: boolean;
  started?: number;
  ended?: number;
  settled?: number;
  rejected?: boolean;
}

/** One run of the scenario on one case (exported for tests and the bench; not in the index). */
export async function judgeBulkhead(solution: BulkheadBuild, c: CheckCase): Promise<CaseOutcome> {
  const sim = new Simulation({ seed: c.seed, traceLimit: 5_000 });
  sim.network.setDefaults({ latency: 1 });
  let failRate = 0;
  sim.service("C", async (_req, ctx) => {
    await ctx.work({ kind: "uniform", min: 20, max: 40 });
    return sim.random.chance(failRate) ? { status: 500, headers: {}, body: { error: "C failed" } } : { from: "C" };
  });
  sim.service("D", async (_req, ctx) => (await ctx.work({ kind: "uniform", min: 5, max: 10 }), { from: "D" }));
  const b = sim.client("B");
  const kit: BulkheadKit = {
    now: () => sim.now,
    setTimer(ms, fn) {
      let cancelled = false;
      void sim.sleep(Math.max(0, ms)).then(() => cancelled || fn());
      return () => void (cancelled = true);
    },
    fullError: (message) => new BulkheadFullError(message),
  };
  const heads = { C: solution.bulkhead({ ...LIMITS.C }, kit), D: solution.bulkhead({ ...LIMITS.D }, kit) };
  for (const dep of ["C", "D"] as const) {
    if (typeof heads[dep]?.execute !== "function") throw new ConfigError("bulkhead(options, kit)", "execute", heads[dep]?.execute, "a function");
  }
  let problem: { sentence: string; at: number } | undefined;
  const fail = (sentence: string) => (problem ??= { sentence, at: sim.now });
  const state = { C: { running: 0, waiting: [] as CallRecord[], lastEnd: "" }, D: { running: 0, waiting: [] as CallRecord[], lastEnd: "" } };
  let count = 0;
  const name = (r: CallRecord) => `call #${r.n} to ${r.dep}`;

  const submit = async (dep: "C" | "D") => {
    const s = state[dep];
    const lim = LIMITS[dep];
    const r: CallRecord = { n: ++count, dep, submit: sim.now, queued: false };
    // A permit is free but a call still waits: a permit was not given back.
    if (s.waiting.length > 0 && s.running < lim.maxConcurrent) {
      fail(`at ${Math.round(sim.now)} ms ${name(s.waiting[0]!)} was still waiting although only ${s.running} of ${lim.maxConcurrent} permits were in use: a permit was not given back${s.lastEnd ? ` (the last call to end ${s.lastEnd})` : ""}`);
    }
    const full = s.running >= lim.maxConcurrent && s.waiting.length >= lim.maxQueue;
    const mustStart = s.running < lim.maxConcurrent && s.waiting.length === 0;
    const call = async () => {
      if (r.started !== undefined) fail(`${name(r)} was run twice by the bulkhead`);
      if (r.rejected) fail(`${name(r)} was run after it had been rejected`);
      r.started = sim.now;
      const at = s.waiting.indexOf(r);
      if (at > 0) fail(`${name(r)} started at ${Math.round(sim.now)} ms before ${name(s.waiting[0]!)}, which had waited since ${Math.round(s.waiting[0]!.submit)} ms (queued calls start first in, first out)`);
      if (at < 0 && s.waiting.length > 0) fail(`${name(r)} started at once at ${Math.round(sim.now)} ms while ${name(s.waiting[0]!)} had waited since ${Math.round(s.waiting[0]!.submit)} ms (queued calls go first)`);
      if (at >= 0) s.waiting.splice(at, 1);
      if (r.queued && sim.now - r.submit > lim.maxWaitMs) fail(`${name(r)} started after ${Math.round(sim.now - r.submit)} ms in the queue, longer than the ${lim.maxWaitMs} ms it may wait`);
      s.running++;
      if (s.running > lim.maxConcurrent) fail(`${s.running} calls to ${dep} were running at ${Math.round(sim.now)} ms (limit ${lim.maxConcurrent})`);
      try {
        const res = await b.call(dep, `GET /${dep.toLowerCase()}/${r.n}`, { timeoutMs: CALL_TIMEOUT });
        if (res.status >= 500) throw new Error(`${dep} answered ${res.status}`);
        s.lastEnd = `succeeded at ${Math.round(sim.now)} ms`;
        return res.status;
      } catch (error) {
        s.lastEnd = `failed with ${error instanceof Error ? error.name : "an error"} at ${Math.round(sim.now)} ms`;
        throw error;
      } finally {
        r.ended = sim.now;
        s.running--;
      }
    };
    let outcome: unknown;
    let threw = false;
    const settled = heads[dep].execute(call).then(
      (v) => (outcome = v),
      (e: unknown) => ((outcome = e), (threw = true)),
    );
    void settled.then(() => {
      r.settled = sim.now;
      const wasWaiting = s.waiting.indexOf(r);
      if (r.started === undefined) {
        r.rejected = true;
        if (wasWaiting >= 0) s.waiting.splice(wasWaiting, 1);
        if (!threw) fail(`${name(r)} resolved at ${Math.round(sim.now)} ms without being run`);
        else if (!(outcome instanceof Error) || outcome.name !== "BulkheadFullError") fail(`${name(r)} was rejected with ${outcome instanceof Error ? outcome.name : String(outcome)} instead of kit.fullError(...) (a BulkheadFullError)`);
        else if (r.queued && sim.now - r.submit < lim.maxWaitMs) fail(`${name(r)} was rejected after ${Math.round(sim.now - r.submit)} ms in the queue, before its ${lim.maxWaitMs} ms wait was up`);
      } else if (r.ended === undefined) {
        fail(`${name(r)} settled at ${Math.round(sim.now)} ms while the call it ran was still going`);
      }
    });
    await sim.sleep(0); // let the bulkhead start, queue or reject it
    if (problem) return;
    if (r.started === undefined && !r.rejected) {
      r.queued = true;
      s.waiting.push(r);
    }
    if (full && !r.rejected) fail(`${name(r)} at ${Math.round(r.submit)} ms was ${r.started === undefined ? "queued" : "run"} although ${lim.maxConcurrent} of ${lim.maxConcurrent} calls ran and ${lim.maxQueue} of ${lim.maxQueue} waited: it should be rejected at once`);
    else if (!full && r.rejected) fail(`${name(r)} at ${Math.round(r.submit)} ms was rejected at once although only ${s.running} of ${lim.maxConcurrent} calls ran and ${s.waiting.length} of ${lim.maxQueue} waited${s.lastEnd ? ` (the last call to end ${s.lastEnd}: was its permit given back?)` : ""}`);
    else if (mustStart && r.started === undefined) fail(`${name(r)} at ${Math.round(r.submit)} ms had to wait although only ${s.running} of ${lim.maxConcurrent} permits were in use${s.lastEnd ? ` (the last call to end ${s.lastEnd}: was its permit given back?)` : ""}`);
    if (r.queued) {
      // One ms after its wait is up it must have started or been rejected.
      sim.at(r.submit + lim.maxWaitMs + 1, () => {
        if (r.started === undefined && r.settled === undefined) fail(`${name(r)} was still waiting at ${Math.round(sim.now)} ms, ${Math.round(sim.now - r.submit)} ms after it queued (max wait ${lim.maxWaitMs} ms): reject it with kit.fullError(...)`);
      });
    }
    await settled;
  };

  // Load: bursts to C at seeded times, and for the isolation stage steady calls and bursts to D.
  const rng = sim.random;
  const withD = c.faults.some((f) => f.kind === "traffic-d");
  for (const f of c.faults) {
    const at = f.at ?? 0;
    const until = at + Number(f.params?.forMs ?? 0);
    if (f.kind === "slow") {
      sim.faults.slow("C", Number(f.params?.factor ?? 10), { at });
      sim.faults.slow("C", 1, { at: until });
    }
    if (f.kind === "errors") {
      sim.at(at, () => (failRate = 0.5));
      sim.at(until, () => (failRate = 0));
    }
    if (f.kind === "crash") {
      sim.faults.crash("C", { at });
      sim.faults.restart("C", { at: until });
    }
  }
  const jobs: Promise<void>[] = [];
  await sim.run(async () => {
    const end = c.size * 100;
    let nextD = 0;
    for (let t = 0; t < end && !problem; t += 100) {
      await sim.sleep(Math.max(0, t - sim.now));
      const burst = 1 + rng.int(0, 8);
      for (let k = 0; k < burst && !problem; k++) {
        jobs.push(submit("C"));
        await sim.sleep(0);
      }
      if (withD) {
        while (nextD < t + 100 && !problem) {
          await sim.sleep(Math.max(0, nextD - sim.now));
          const dBurst = rng.chance(0.15) ? 4 : 1;
          for (let k = 0; k < dBurst && !problem; k++) {
            jobs.push(submit("D"));
            await sim.sleep(0);
          }
          nextD += 20;
        }
      }
      await sim.sleep(rng.int(0, 40));
    }
    await Promise.all(jobs);
  });
  return problem ? { ok: false, invariant: problem.sentence, sim, at: problem.at } : { ok: true, sim };
}

function faultsFor(i: number): FaultSpec[] {
  const t = 300 + 60 * i;
  const all: FaultSpec[] = [
    { kind: "slow", label: `C is 10× slower from ${t} ms for 1.5 s (calls time out after ${CALL_TIMEOUT} ms)`, at: t, params: { forMs: 1_500, factor: 10 } },
    { kind: "errors", label: `C fails half its calls with 500 from ${t + 200} ms for 1 s`, at: t + 200, params: { forMs: 1_000 } },
    { kind: "crash", label: `C crashes at ${t + 400} ms and restarts 800 ms later`, at: t + 400, params: { forMs: 800 } },
  ];
  return all.filter((_, j) => j === i % 3 || (i >= 12 && j === (i + 1) % 3));
}

const TRAFFIC_D: FaultSpec = { kind: "traffic-d", label: "D gets a call every 20 ms, sometimes four at once, through its own bulkhead" };

export const bulkheadBuild = defineBuildChallenge<BulkheadBuild>({
  id: "bulkhead",
  title: "Build a semaphore bulkhead with a bounded queue",
  statement: [
    "Write the bulkhead service B puts around its calls to each dependency. It hands out permits: a call runs when one is free, waits in a queue when none is, and is rejected at once when the queue is full too.",
    "- **Permits**: at most `maxConcurrent` calls run at once. A permit comes back when the call ends, however it ends: success, error or timeout.",
    "- **Bounded queue**: at most `maxQueue` calls wait, and they start first in, first out. A call that finds every permit taken and the queue full is rejected at once with `kit.fullError(...)`.",
    "- **Max wait**: a call that has waited `maxWaitMs` without a permit leaves the queue and is rejected with `kit.fullError(...)`.",
    "- `execute` settles as the call settles: its value, or its own error.",
    "resilience4j's semaphore bulkhead has the permits and the wait (maxConcurrentCalls 25, maxWaitDuration 0 by default) and throws BulkheadFullException; cockatiel's has the permits and a queue length but no wait limit of its own (a caller may abort a queued call with a signal) and throws BulkheadRejectedError. This one has all three.",
    "```ts\ninterface BulkheadBuild { bulkhead(options: BulkheadOptions, kit: BulkheadKit): Bulkhead }\ninterface Bulkhead { execute<T>(call: () => Promise<T>): Promise<T> }\ninterface BulkheadOptions { maxConcurrent: number; maxQueue: number; maxWaitMs: number }\ninterface BulkheadKit { now(): number; setTimer(ms: number, fn: () => void): () => void; fullError(message: string): Error }\n```",
    `The checker makes two bulkheads, for C (4 permits, queue 3, wait 150 ms) and for D (2 permits, queue 2, wait 80 ms), sends bursts of up to 8 calls, and makes C slow (calls time out after ${CALL_TIMEOUT} ms), failing or dead. It watches every call start and end: in-flight and queued counts, FIFO order, waits, rejections, and permits that never come back.`,
  ].join("\n\n"),
  validate(solution) {
    if (typeof solution?.bulkhead !== "function") throw new ConfigError(`challenges["bulkhead"].check`, "bulkhead", solution?.bulkhead, "a function (options, kit) => Bulkhead");
  },
  stages: [
    { name: "works", goal: "never more than maxConcurrent running or maxQueue waiting; FIFO; rejected at once when full", cases: seededCases(6, 1, () => ({ faults: [], size: 20 })), minSize: 1, run: judgeBulkhead },
    { name: "survives a failing dependency", goal: "permits come back after errors and timeouts; a call waiting past maxWaitMs is rejected", cases: seededCases(24, 100, (i) => ({ faults: faultsFor(i), size: 20 })), minSize: 1, run: judgeBulkhead },
    { name: "isolates", goal: "while C is slow, D's bulkhead runs D's calls as if C did not exist", cases: seededCases(20, 300, (i) => ({ faults: [faultsFor(3 * i)[0]!, TRAFFIC_D], size: 16 })), minSize: 1, run: judgeBulkhead },
  ],
  hints: {
    nudge: "Read the first failure: it names the call, the time, and how many ran and waited by the checker's count. Compare that with what your bulkhead thought.",
    approach: "Keep a count of permits in use and a list of waiting calls, each with its own timer. On a new call: a free permit runs it, room in the list queues it, otherwise reject. When a call ends, its permit goes straight to the oldest waiting call, if any.",
    keyIdea: "Give the permit back in one place that runs however the call ends, not only after a success. And when a waiting call's timer fires, take it out of the list before rejecting it, so a permit freed later does not go to a call nobody waits for; cancel the timer of a call that gets its permit.",
  },
});
