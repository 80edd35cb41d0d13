/**
 * Build challenge "circuit-breaker": the learner writes the breaker's state machine (CLOSED /
 * OPEN / HALF_OPEN over a count-based window), and the checker follows every permission asked
 * and every result recorded with a model of resilience4j's `CircuitBreakerStateMachine`, in
 * lockstep, stopping at the first decision or state the rules forbid. The breaker sits in a
 * simulated service B in front of C; the checker makes C fail, crash and slow down.
 *
 * The rules (resilience4j 2.x, count-based window, automatic OPEN → HALF_OPEN off):
 * - CLOSED: every call is permitted; each result goes into a window of the last
 *   `slidingWindowSize` results. Once the window holds at least
 *   min(`minimumNumberOfCalls`, `slidingWindowSize`) results and the failure rate is
 *   ≥ `failureRateThreshold` % (CircuitBreakerMetrics compares with `>=`), it opens.
 * - OPEN: calls are not permitted (CallNotPermittedException) until the clock is strictly
 *   after opened + `waitDurationInOpenState` (`isAfter`); then the asking call moves it to
 *   HALF_OPEN and is the first trial call. Reading the state moves nothing.
 * - HALF_OPEN: exactly `permittedNumberOfCallsInHalfOpenState` calls are permitted, the rest
 *   rejected; once that many results are in, it opens again if their failure rate is
 *   ≥ the threshold, else it closes with an empty window.
 * - A result counts in the state the breaker is in when it arrives (resilience4j delegates
 *   onSuccess/onError to the current state): in OPEN it changes nothing.
 */
import fc from "fast-check";
import { ConfigError, Random, Simulation, TimeoutError, response } from "sde-lab";
import { defineBuildChallenge, type CaseOutcome, type CheckCase, type FaultSpec } from "../build";
import { seededCases } from "../seeded-cases";

/** The three states, named as resilience4j names them. */
export type BreakerState = "CLOSED" | "OPEN" | "HALF_OPEN";

/** The breaker's settings (resilience4j's names; times in ms, the threshold in percent). */
export interface BreakerOptions {
  /** How many of the latest results the CLOSED state judges. */
  readonly slidingWindowSize: number;
  /** Results needed before the failure rate counts (capped at `slidingWindowSize`). */
  readonly minimumNumberOfCalls: number;
  /** Failure rate, in percent, at or above which the breaker opens. */
  readonly failureRateThreshold: number;
  /** How long the breaker stays OPEN before a call may move it to HALF_OPEN, ms. */
  readonly waitDurationInOpenState: number;
  /** Trial calls permitted in HALF_OPEN. */
  readonly permittedNumberOfCallsInHalfOpenState: number;
}

/** Your breaker. Time is passed in (virtual ms) and never goes back. */
export interface Breaker {
  /** Asked before each call: true lets it through to C; false rejects it at once (resilience4j's CallNotPermittedException). */
  tryAcquirePermission(nowMs: number): boolean;
  /** The result of a call that was permitted: `success` false for a failure (5xx, timeout, no answer). */
  onResult(success: boolean, nowMs: number): void;
  /** The current state. Reading it moves nothing. */
  state(): BreakerState;
}

/** What you write: a factory of breakers. */
export interface BreakerBuild {
  /** A new breaker in CLOSED with an empty window; the checker makes one per run. */
  breaker(options: BreakerOptions): Breaker;
}

const rate = (results: readonly boolean[]) => (100 * results.filter((ok) => !ok).length) / results.length;
const pct = (n: number) => `${Math.round(n * 10) / 10} %`;

/** resilience4j's rules, followed event by event (the judge; not a solution anyone can import). */
class Rules {
  state: BreakerState = "CLOSED";
  private window: boolean[] = [];
  private trials: boolean[] = [];
  private permits = 0;
  private openedAt = 0;
  private readonly minCalls: number;

  constructor(private readonly o: BreakerOptions) {
    this.minCalls = Math.min(o.minimumNumberOfCalls, o.slidingWindowSize);
  }

  /** Why the rules decide as they do, for the sentence. */
  context(now: number): string {
    if (this.state === "OPEN") return `it opened at ${this.openedAt} ms and waits ${this.o.waitDurationInOpenState} ms, so calls are permitted again only after ${this.openedAt + this.o.waitDurationInOpenState} ms (now ${now} ms)`;
    if (this.state === "HALF_OPEN") return `HALF_OPEN permits ${this.o.permittedNumberOfCallsInHalfOpenState} trial calls; ${this.permits} left, ${this.trials.length} results in (${this.trials.filter((ok) => !ok).length} failed)`;
    const failed = this.window.filter((ok) => !ok).length;
    return `CLOSED with ${this.window.length} results in the window of ${this.o.slidingWindowSize}, ${failed} failed (${this.window.length ? pct(rate(this.window)) : "no rate"}; opens at ≥ ${this.o.failureRateThreshold} % once there are ${this.minCalls})`;
  }

  acquire(now: number): boolean {
    if (this.state === "OPEN") {
      if (now <= this.openedAt + this.o.waitDurationInOpenState) return false;
      this.state = "HALF_OPEN";
      this.permits = this.o.permittedNumberOfCallsInHalfOpenState;
      this.trials = [];
    }
    if (this.state === "HALF_OPEN") {
      if (this.permits === 0) return false;
      this.permits--;
      return true;
    }
    return true;
  }

  result(success: boolean, now: number): void {
    if (this.state === "CLOSED") {
      this.window.push(success);
      if (this.window.length > this.o.slidingWindowSize) this.window.shift();
      if (this.window.length >= this.minCalls && rate(this.window) >= this.o.failureRateThreshold) this.open(now);
    } else if (this.state === "HALF_OPEN") {
      this.trials.push(success);
      if (this.trials.length < this.o.permittedNumberOfCallsInHalfOpenState) return;
      if (rate(this.trials) >= this.o.failureRateThreshold) this.open(now);
      else {
        this.state = "CLOSED";
        this.window = [];
      }
    }
  }

  private open(now: number): void {
    this.state = "OPEN";
    this.openedAt = now;
  }
}

/**
 * Follows the learner's breaker with the rules, one event at a time. Returns the sentence of
 * the first decision or state that differs, else undefined.
 */
class Lockstep {
  private readonly rules: Rules;
  calls = 0;
  failure?: { sentence: string; at: number };

  constructor(
    private readonly breaker: Breaker,
    options: BreakerOptions,
  ) {
    this.rules = new Rules(options);
  }

  acquire(now: number): boolean {
    const n = ++this.calls;
    const before = this.rules.state;
    const context = this.rules.context(now);
    const want = this.rules.acquire(now);
    const got = this.breaker.tryAcquirePermission(now);
    if (typeof got !== "boolean") return this.fail(`call ${n} at ${now} ms: tryAcquirePermission returned ${String(got)}, not true or false`, now, false);
    if (got !== want) {
      const what = got ? "was let through" : "was rejected";
      const rule = want ? (before === "OPEN" ? "the wait is over, so this call moves it to HALF_OPEN as the first trial call" : "it must be permitted") : "it must be rejected";
      return this.fail(`call ${n} at ${now} ms ${what} in ${before}, but ${rule}: ${context}`, now, got);
    }
    this.compareState(`after call ${n} asked for permission at ${now} ms`, now);
    return got;
  }

  result(success: boolean, now: number, callNo: number): void {
    if (this.failure) return;
    const before = this.rules.state;
    const context = this.rules.context(now);
    this.rules.result(success, now);
    this.breaker.onResult(success, now);
    const after = this.rules.state;
    const moved = after !== before ? `it must move to ${after}` : `it must stay ${after}`;
    this.compareState(`after call ${callNo} ${success ? "succeeded" : "failed"} at ${now} ms`, now, `${moved}: before this result it was ${context}`);
  }

  private compareState(when: string, now: number, why?: string): void {
    if (this.failure) return;
    const got = this.breaker.state();
    const want = this.rules.state;
    if (got !== want) this.fail(`${when} the breaker says ${String(got)}, but ${why ?? `by the rules it is ${want}: ${this.rules.context(now)}`}`, now, false);
  }

  private fail(sentence: string, at: number, value: boolean): boolean {
    this.failure ??= { sentence, at };
    return value;
  }
}

function needBreaker(b: Breaker, options: BreakerOptions): void {
  for (const key of ["tryAcquirePermission", "onResult", "state"] as const) {
    if (typeof b?.[key] !== "function") throw new ConfigError("breaker()", key, b?.[key], `a function (see the Breaker interface); breaker(${JSON.stringify(options)}) must return { tryAcquirePermission, onResult, state }`);
  }
}

/** Settings of a case, drawn from its seed (stage 1 keeps one friendly set). */
function optionsFor(c: CheckCase, varied: boolean): BreakerOptions {
  if (!varied) return { slidingWindowSize: 10, minimumNumberOfCalls: 5, failureRateThreshold: 50, waitDurationInOpenState: 500, permittedNumberOfCallsInHalfOpenState: 3 };
  const r = new Random(c.seed * 7_919);
  const size = r.int(4, 20);
  return {
    slidingWindowSize: size,
    minimumNumberOfCalls: r.int(2, size + 3),
    failureRateThreshold: [25, 50, 50, 60, 100][r.int(0, 4)]!,
    waitDurationInOpenState: r.int(2, 6) * 100,
    permittedNumberOfCallsInHalfOpenState: r.int(1, 5),
  };
}

const CALL_TIMEOUT = 100;

/**
 * One run: users call B; B asks the learner's breaker, then calls C (100 ms timeout) or answers
 * 503 at once. C answers 503 during an outage, stops answering when crashed, and times out
 * when slowed. `size` calls in all, from `callers` callers at once.
 */
export async function judgeBreaker(solution: BreakerBuild, c: CheckCase, callers: number, varied: boolean): Promise<CaseOutcome> {
  const options = optionsFor(c, varied);
  const breaker = solution.breaker(options);
  needBreaker(breaker, options);
  const sim = new Simulation({ seed: c.seed, traceLimit: 6_000 });
  sim.network.setDefaults({ latency: 1 });
  const outages = c.faults.filter((f) => f.kind === "outage").map((f) => [f.at ?? 0, Number(f.params?.untilMs ?? Infinity)] as const);
  sim.service("C", async (_req, ctx) => {
    await ctx.work({ kind: "uniform", min: 5, max: 15 });
    return outages.some(([from, until]) => sim.now >= from && sim.now < until) ? response(503, { error: "C is down" }) : { stock: 3 };
  });
  for (const f of c.faults) {
    if (f.kind === "crash") {
      sim.faults.crash("C", { at: f.at ?? 0 });
      sim.faults.restart("C", { at: Number(f.params?.untilMs) });
    }
    if (f.kind === "slow") {
      sim.faults.slow("C", 20, { at: f.at ?? 0 });
      sim.faults.slow("C", 1, { at: Number(f.params?.untilMs) });
    }
  }
  const judge = new Lockstep(breaker, options);
  const B = sim.service("B", async () => {
    try {
      return await serve();
    } catch (error) {
      // A throw from the learner's breaker fails the case with its message (not a silent 500).
      judge.failure ??= { sentence: `call ${judge.calls} at ${Math.round(sim.now)} ms: the breaker threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`, at: sim.now };
      return response(500);
    }
  });
  async function serve() {
    if (judge.failure) return response(503);
    const permitted = judge.acquire(Math.round(sim.now));
    const callNo = judge.calls;
    if (!permitted) {
      sim.trace.record("note", "B", "B", `call ${callNo} not permitted (${breaker.state()})`);
      return response(503, { error: "CallNotPermitted" });
    }
    let success = false;
    let answer = response(504);
    try {
      answer = await B.call("C", "GET /stock", { timeoutMs: CALL_TIMEOUT });
      success = answer.status < 500;
    } catch (error) {
      if (!(error instanceof TimeoutError)) answer = response(502);
    }
    judge.result(success, Math.round(sim.now), callNo);
    return answer;
  }
  const random = new Random(c.seed);
  // Callers stop 800 ms after the last fault ends (time to half-open and close again), or after `size` calls.
  const ends = c.faults.map((f) => Number(f.params?.untilMs ?? 0));
  const horizon = ends.length > 0 ? Math.max(...ends) + 800 : Infinity;
  await sim.run(async () => {
    let sent = 0;
    await Promise.all(
      Array.from({ length: callers }, async (_, i) => {
        const user = sim.client(`user-${i + 1}`);
        await sim.sleep(random.int(0, 20));
        while (sent < c.size && sim.now < horizon && !judge.failure) {
          sent++;
          await user.call("B", "GET /stock", { timeoutMs: 5_000 }).catch(() => undefined);
          await sim.sleep(random.int(5, 30));
        }
      }),
    );
  });
  return judge.failure ? { ok: false, invariant: `${describe(options)}: ${judge.failure.sentence}`, sim, at: judge.failure.at } : { ok: true, sim };
}

const describe = (o: BreakerOptions) =>
  `window ${o.slidingWindowSize}, minimum ${o.minimumNumberOfCalls}, threshold ${o.failureRateThreshold} %, wait ${o.waitDurationInOpenState} ms, ${o.permittedNumberOfCallsInHalfOpenState} in half-open`;

/** Fault schedules of stage 2: outages that end, crashes, slow spells, and flapping. */
function faultsFor(i: number): FaultSpec[] {
  const at = 150 + 40 * (i % 7);
  const len = 200 + 60 * (i % 5);
  const all: FaultSpec[] = [
    { kind: "outage", label: `C answers 503 from ${at} to ${at + len} ms`, at, params: { untilMs: at + len } },
    { kind: "crash", label: `C crashes at ${at + 500} ms, back at ${at + 500 + len} ms`, at: at + 500, params: { untilMs: at + 500 + len } },
    { kind: "slow", label: `C 20× slower (calls time out) from ${at + 1_000} to ${at + 1_000 + len} ms`, at: at + 1_000, params: { untilMs: at + 1_000 + len } },
    { kind: "outage", label: `C flaps: 503 from ${at + 1_500} to ${at + 1_650} ms`, at: at + 1_500, params: { untilMs: at + 1_650 } },
  ];
  return all.filter((_, j) => j === i % 4 || (i >> 2) % 2 === 1 || (j === 3 && i % 3 === 0));
}

/** One step of a fast-check script: a call asks for permission, or a call in flight ends. */
interface Step {
  readonly gap: number;
  readonly end: boolean;
  readonly pick: number;
  readonly success: boolean;
}

const optionsArb: fc.Arbitrary<BreakerOptions> = fc.integer({ min: 1, max: 8 }).chain((size) =>
  fc.record({
    slidingWindowSize: fc.constant(size),
    minimumNumberOfCalls: fc.integer({ min: 1, max: size + 3 }),
    failureRateThreshold: fc.oneof(fc.constantFrom(20, 25, 50, 60, 75, 100), fc.integer({ min: 1, max: 100 })),
    waitDurationInOpenState: fc.constantFrom(1, 50, 100, 250),
    permittedNumberOfCallsInHalfOpenState: fc.integer({ min: 1, max: 4 }),
  }),
);
const stepsArb: fc.Arbitrary<Step[]> = fc.array(
  fc.record({
    // Gaps land exactly on the waits above, and on 0 (many events in the same ms).
    gap: fc.oneof(fc.constantFrom(0, 1, 50, 100, 250), fc.integer({ min: 0, max: 300 })),
    end: fc.boolean(),
    pick: fc.nat(),
    success: fc.oneof({ arbitrary: fc.constant(false), weight: 1 }, { arbitrary: fc.boolean(), weight: 2 }),
  }),
  { minLength: 1, maxLength: 80 },
);

/** Replays a script on the learner's breaker in lockstep with the rules. */
function script(solution: BreakerBuild, options: BreakerOptions, steps: readonly Step[]): string | undefined {
  const breaker = solution.breaker(options);
  needBreaker(breaker, options);
  const judge = new Lockstep(breaker, options);
  const inFlight: number[] = [];
  let now = 0;
  for (const s of steps) {
    now += s.gap;
    if (s.end && inFlight.length > 0) {
      const [callNo] = inFlight.splice(s.pick % inFlight.length, 1);
      judge.result(s.success, now, callNo!);
    } else if (judge.acquire(now)) inFlight.push(judge.calls);
    if (judge.failure) return judge.failure.sentence;
  }
  return undefined;
}

function describeScript(options: BreakerOptions, steps: readonly Step[]): string {
  let now = 0;
  let calls = 0;
  const words = steps.map((s) => {
    now += s.gap;
    return s.end ? `${now}: a call ends ${s.success ? "ok" : "failed"}` : `${now}: call ${++calls} asks`;
  });
  return `${describe(options)}; events (ms) ${words.join(", ")}`;
}

export const circuitBreakerBuild = defineBuildChallenge<BreakerBuild>({
  id: "circuit-breaker",
  title: "Write the breaker's state machine, judged by resilience4j's rules",
  statement: [
    "Write a circuit breaker: `breaker(options)` returns an object with three methods. Service B asks `tryAcquirePermission(now)` before each call to C (false: B answers 503 at once without calling C), and reports each permitted call's end with `onResult(success, now)` (a 5xx, a timeout or no answer is a failure). Times are virtual ms and never go back. The rules are resilience4j's, with a count-based window:",
    "- **CLOSED**: every call is permitted. Each result goes into a window of the last `slidingWindowSize` results. Once the window holds at least `minimumNumberOfCalls` results (or the whole window, if that is smaller) and the failure rate is at or above `failureRateThreshold` %, it opens.",
    "- **OPEN**: no call is permitted until the time is strictly after the moment it opened plus `waitDurationInOpenState`. The first call after that moves it to **HALF_OPEN** and is its first trial call. Reading `state()` moves nothing.",
    "- **HALF_OPEN**: exactly `permittedNumberOfCallsInHalfOpenState` calls are permitted; the others are rejected. Once that many results are in, it opens again if their failure rate is at or above the threshold, else it closes with an empty window.",
    "- A result counts in the state the breaker is in when it arrives: a slow call permitted in CLOSED may end in HALF_OPEN and count as a trial; in OPEN a result changes nothing.",
    "```ts\ntype BreakerState = \"CLOSED\" | \"OPEN\" | \"HALF_OPEN\";\ninterface BreakerOptions { slidingWindowSize: number; minimumNumberOfCalls: number; failureRateThreshold: number; waitDurationInOpenState: number; permittedNumberOfCallsInHalfOpenState: number }\ninterface Breaker { tryAcquirePermission(nowMs: number): boolean; onResult(success: boolean, nowMs: number): void; state(): BreakerState }\ninterface BreakerBuild { breaker(options: BreakerOptions): Breaker }\n```",
    "The checker follows every permission and every result with resilience4j's rules and stops at the first decision or state that differs. It makes C answer 503, crash and slow down past B's 100 ms timeout, with several callers at once (so a half-open breaker is asked for more trial calls than it may give), over many seeds and settings; then fast-check tries hundreds of random call sequences.",
  ].join("\n\n"),
  validate(solution) {
    if (typeof solution?.breaker !== "function") throw new ConfigError(`challenges["circuit-breaker"].check`, "breaker", solution?.breaker, "a function (options) => { tryAcquirePermission, onResult, state }");
  },
  stages: [
    {
      name: "works",
      goal: "one caller, C down for a while: it opens, fails fast, half-opens after the wait and closes once C is back",
      cases: seededCases(20, 1, (i) => ({
        faults: [{ kind: "outage", label: `C answers 503 from ${400 + 20 * i} to ${1_000 + 40 * i} ms`, at: 400 + 20 * i, params: { untilMs: 1_000 + 40 * i } }],
        size: 120,
      })),
      minSize: 10,
      run: (s, c) => judgeBreaker(s, c, 1, false),
    },
    {
      name: "survives faults",
      goal: "4 callers at once, outages, crashes and slow spells, 24 settings: every decision and state as resilience4j's",
      cases: seededCases(24, 100, (i) => ({ faults: faultsFor(i), size: 400 })),
      minSize: 10,
      run: (s, c) => judgeBreaker(s, c, 4, true),
    },
    {
      name: "holds the edges",
      goal: "fast-check: any settings and call sequence, including a wait that ends exactly now and fewer calls than the minimum",
      async property(solution) {
        const r = await fc.check(
          fc.property(optionsArb, stepsArb, (o, steps) => script(solution, o, steps) === undefined),
          { seed: 20, numRuns: 300 },
        );
        if (!r.failed) return { ok: true, runs: r.numRuns };
        const [o, steps] = r.counterexample ?? [];
        if (!o || !steps) return { ok: false, runs: r.numRuns, invariant: `the solution threw: ${String(r.errorInstance)}`.split("\n")[0] };
        return { ok: false, runs: r.numRuns, counterexample: describeScript(o, steps), invariant: script(solution, o, steps) ?? "the property failed" };
      },
    },
  ],
  hints: {
    nudge: "Read the first failure: it names the call, the time, what your breaker did, and the state and window the rules had at that moment. Replay those few events on paper with the rules from the statement.",
    approach: "Keep the state, a list of the latest results (drop the oldest once it is full), the time it opened, and in HALF_OPEN two counters: trial calls still allowed, and trial results in. Only asking for permission moves OPEN on; only results move CLOSED and HALF_OPEN on. Clear what belongs to the old state on each move.",
    keyIdea: "Half-open gives out a fixed number of permits and does not get them back when a trial ends: the verdict waits for that many results. And every comparison is at-or-above, with the minimum capped by the window size, while the wait must be strictly over.",
  },
});
