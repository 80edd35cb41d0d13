/**
 * Build challenge "rate-limiting": the learner writes a token bucket's `tryAcquire` and a
 * sliding-window-log limiter. Both are pure (time is an argument), so besides scripted runs
 * the checker attacks them with fast-check: any capacity, rate, window and arrival pattern,
 * including same-millisecond bursts and long idle gaps.
 */
import fc from "fast-check";
import { ConfigError, Random, Simulation } from "sde-lab";
import { defineBuildChallenge, type CaseOutcome, type CheckCase } from "../build";
import { seededCases } from "../seeded-cases";

/** A limiter decides, for a request arriving at `nowMs`, whether it may pass. */
export interface Limiter {
  /** True: let the request through (and count it). False: refuse it (429). Times never go back. */
  tryAcquire(nowMs: number): boolean;
}

/** Your two limiters. */
export interface LimiterBuild {
  /** Starts full with `capacity` tokens; gains `refillPerSecond` tokens a second (fractions count), never more than `capacity`; a request takes one whole token. */
  tokenBucket(options: { capacity: number; refillPerSecond: number }): Limiter;
  /** At most `limit` requests let through in any window (now − windowMs, now]: a log of the times let through. */
  slidingWindow(options: { limit: number; windowMs: number }): Limiter;
}

const EPS = 1e-9;

/** Follows the learner's decisions with an exact bucket and says the first one the rules forbid. */
function bucketVerdicts(capacity: number, rate: number, times: readonly number[], decide: (t: number) => boolean): { index: number; sentence: string } | undefined {
  let tokens = capacity;
  let last = times[0] ?? 0;
  for (const [i, t] of times.entries()) {
    tokens = Math.min(capacity, tokens + ((t - last) * rate) / 1000);
    last = t;
    const got = decide(t);
    if (got && tokens < 1 - EPS) return { index: i, sentence: `request ${i + 1} at ${t} ms was let through with ${tokens.toFixed(3)} tokens in the bucket (capacity ${capacity}, ${rate}/s): it needs a whole token` };
    if (!got && tokens >= 1 + EPS) return { index: i, sentence: `request ${i + 1} at ${t} ms was refused with ${tokens.toFixed(3)} tokens in the bucket (capacity ${capacity}, ${rate}/s)` };
    if (got) tokens -= 1;
  }
  return undefined;
}

function windowVerdicts(limit: number, windowMs: number, times: readonly number[], decide: (t: number) => boolean): { index: number; sentence: string } | undefined {
  const passed: number[] = [];
  for (const [i, t] of times.entries()) {
    const inWindow = passed.filter((p) => p > t - windowMs).length;
    const got = decide(t);
    if (got && inWindow >= limit) return { index: i, sentence: `request ${i + 1} at ${t} ms was let through although ${inWindow} requests already passed in (${t - windowMs}, ${t}] ms (limit ${limit} per ${windowMs} ms)` };
    if (!got && inWindow < limit) return { index: i, sentence: `request ${i + 1} at ${t} ms was refused although only ${inWindow} of ${limit} requests passed in (${t - windowMs}, ${t}] ms` };
    if (got) passed.push(t);
  }
  return undefined;
}

/** Arrival times of a case: bursts and gaps drawn from the seed; `size` requests. */
function arrivals(c: CheckCase): number[] {
  const random = new Random(c.seed);
  const times: number[] = [];
  let t = 0;
  for (let i = 0; i < c.size; i++) {
    const r = random.next();
    t += r < 0.4 ? 0 : r < 0.8 ? random.int(1, 150) : random.int(400, 3_000);
    times.push(t);
  }
  return times;
}

/** One scripted run, drawn as a trace: client → limiter, true/false (exported for the bench's plain run; not in the index). */
export async function scripted(solution: LimiterBuild, c: CheckCase): Promise<CaseOutcome> {
  const kind = c.faults.length === 0 && c.seed % 2 === 0 ? "slidingWindow" : "tokenBucket";
  const random = new Random(c.seed * 7919);
  const capacity = random.int(2, 6);
  const rate = random.int(1, 8);
  const windowMs = random.int(2, 10) * 100;
  const limiter = kind === "tokenBucket" ? solution.tokenBucket({ capacity, refillPerSecond: rate }) : solution.slidingWindow({ limit: capacity, windowMs });
  if (typeof limiter?.tryAcquire !== "function") throw new ConfigError(`${kind}()`, "tryAcquire", limiter?.tryAcquire, "a function (nowMs) => boolean");
  const sim = new Simulation({ seed: c.seed });
  const times = arrivals(c);
  const who = kind === "tokenBucket" ? `token bucket (capacity ${capacity}, ${rate}/s)` : `sliding window (${capacity} per ${windowMs} ms)`;
  let failure: { index: number; sentence: string } | undefined;
  await sim.run(async () => {
    const decisions: boolean[] = [];
    const decide = (t: number) => {
      const d = limiter.tryAcquire(t);
      decisions.push(d === true);
      return d === true;
    };
    failure = kind === "tokenBucket" ? bucketVerdicts(capacity, rate, times, decide) : windowVerdicts(capacity, windowMs, times, decide);
    // Replay the decisions on the clock so the trace shows them at their times.
    for (const [i, d] of decisions.entries()) {
      await sim.sleep(times[i]! - sim.now);
      sim.trace.record("request", "client", who, `tryAcquire (request ${i + 1})`);
      sim.trace.record("response", who, "client", d ? "true (pass)" : "false (429)");
    }
  });
  return failure ? { ok: false, invariant: `${who}: ${failure.sentence}`, sim, at: times[failure.index]! } : { ok: true, sim };
}

const timesArb = fc
  .array(
    fc.oneof(
      { arbitrary: fc.constant(0), weight: 3 },
      // Round gaps land exactly on a window's edge (windows are round numbers too).
      { arbitrary: fc.constantFrom(50, 100, 200, 250, 500, 1_000), weight: 3 },
      { arbitrary: fc.integer({ min: 1, max: 200 }), weight: 2 },
      { arbitrary: fc.integer({ min: 200, max: 20_000 }), weight: 1 },
    ),
    { minLength: 1, maxLength: 60 },
  )
  .map((gaps) => gaps.reduce<number[]>((acc, g) => [...acc, (acc.at(-1) ?? 0) + g], []));

async function property<P>(arb: fc.Arbitrary<P>, check: (p: P) => string | undefined, describe: (p: P) => string, seed: number) {
  const r = await fc.check(fc.property(arb, (p) => check(p) === undefined), { seed, numRuns: 300 });
  if (!r.failed) return { ok: true, runs: r.numRuns };
  const p = r.counterexample?.[0];
  if (p === undefined) return { ok: false, runs: r.numRuns, invariant: `the solution threw: ${String(r.errorInstance)}`.split("\n")[0] };
  return { ok: false, runs: r.numRuns, counterexample: describe(p), invariant: check(p) ?? "the property failed" };
}

export const rateLimitingBuild = defineBuildChallenge<LimiterBuild>({
  id: "rate-limiting",
  title: "Write a token bucket and a sliding-window limiter",
  statement: [
    "Write two limiters. Each has one method, `tryAcquire(nowMs)`: true lets the request through, false refuses it (the gateway answers 429). Time is passed in, in ms, and never goes back.",
    "- **Token bucket** (`tokenBucket({ capacity, refillPerSecond })`): starts full with `capacity` tokens and gains `refillPerSecond` tokens a second, fractions included, never more than `capacity`. A request takes one whole token; with less than one it is refused.",
    "- **Sliding window log** (`slidingWindow({ limit, windowMs })`): a request passes when fewer than `limit` requests passed in the window (nowMs − windowMs, nowMs]; keep the times of those that passed.",
    "```ts\ninterface Limiter { tryAcquire(nowMs: number): boolean }\ninterface LimiterBuild {\n  tokenBucket(options: { capacity: number; refillPerSecond: number }): Limiter;\n  slidingWindow(options: { limit: number; windowMs: number }): Limiter;\n}\n```",
    "The checker follows your decisions with an exact model and stops at the first one the rules forbid: a request let through without a whole token (or over the window's limit), or refused although it had one. Then fast-check tries hundreds of capacities, rates, windows and arrival patterns: bursts in the same millisecond, and idle gaps long enough to refill the bucket many times over.",
  ].join("\n\n"),
  validate(solution) {
    for (const key of ["tokenBucket", "slidingWindow"] as const) {
      if (typeof solution?.[key] !== "function") throw new ConfigError(`challenges["rate-limiting"].check`, key, solution?.[key], "a function that returns { tryAcquire(nowMs) }");
    }
  },
  stages: [
    {
      name: "works",
      goal: "scripted bursts and pauses: both limiters let through exactly what their rules allow",
      cases: seededCases(12, 1, () => ({ faults: [], size: 40 })),
      minSize: 1,
      run: scripted,
    },
    {
      name: "token bucket, any input",
      goal: "fast-check: any capacity, rate and arrivals, including long idle gaps",
      property: (s) =>
        property(
          fc.record({ capacity: fc.integer({ min: 1, max: 20 }), rate: fc.integer({ min: 1, max: 50 }), times: timesArb }),
          ({ capacity, rate, times }) => {
            const b = s.tokenBucket({ capacity, refillPerSecond: rate });
            return bucketVerdicts(capacity, rate, times, (t) => b.tryAcquire(t) === true)?.sentence;
          },
          ({ capacity, rate, times }) => `capacity ${capacity}, ${rate}/s, arrivals at [${times.join(", ")}] ms`,
          20,
        ),
    },
    {
      name: "sliding window, any input",
      goal: "fast-check: any limit, window and arrivals, including the window's exact edge",
      property: (s) =>
        property(
          fc.record({ limit: fc.integer({ min: 1, max: 10 }), windowMs: fc.oneof(fc.constantFrom(100, 200, 250, 500, 1_000), fc.integer({ min: 1, max: 2_000 })), times: timesArb }),
          ({ limit, windowMs, times }) => {
            const w = s.slidingWindow({ limit, windowMs });
            return windowVerdicts(limit, windowMs, times, (t) => w.tryAcquire(t) === true)?.sentence;
          },
          ({ limit, windowMs, times }) => `limit ${limit} per ${windowMs} ms, arrivals at [${times.join(", ")}] ms`,
          21,
        ),
    },
  ],
  hints: {
    nudge: "Read the first failure: it names the request, its time, and how many tokens (or how many requests in the window) the rules say there were. Work that one request out on paper.",
    approach: "The bucket needs two numbers kept between calls: tokens now, and the time they were counted at. Each call first adds what the elapsed time earned, then decides. The window needs the times that passed; each call first forgets the ones that left the window, then decides.",
    keyIdea: "After a long pause the bucket is full, not overfull: the refill stops at capacity. And the window is half-open: a time exactly `windowMs` ago has already left it.",
  },
});
