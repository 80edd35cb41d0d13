/**
 * Build challenge "retry-backoff": the learner writes a retry loop with capped exponential
 * backoff and full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter", 2015:
 * sleep = random_between(0, min(cap, base · 2^attempt))) and the test of what may be retried.
 * The checker runs many clients against a simulated `inventory` service that fails, crashes,
 * slows down and throttles, watches every try and every wait, and attacks the pure delay
 * function and the retryable test with fast-check.
 */
import fc from "fast-check";
import { ConfigError, Random, Simulation, response, type Response } from "sde-lab";
import { defineBuildChallenge, type CaseOutcome, type CheckCase, type FaultSpec } from "../build";
import { seededCases } from "../seeded-cases";

/** What the lab gives your loop, one per operation. */
export interface RetryKit {
  /** Most tries in all, the first included. */
  readonly maxAttempts: number;
  /** Backoff base, ms: the first retry waits at most this long. */
  readonly baseMs: number;
  /** Longest wait, ms. */
  readonly capMs: number;
  /** True when repeating the operation is safe: a GET, or a POST carrying an idempotency key. */
  readonly idempotent: boolean;
  /** One try. Resolves with the service's answer, whatever its status; rejects (a `TimeoutError`) when no answer came. */
  attempt(): Promise<Response>;
  /** Waits `ms` of virtual time. */
  sleep(ms: number): Promise<void>;
  /** A seeded uniform number in [0, 1). */
  random(): number;
}

/** What you write. */
export interface RetryBuild {
  /** The wait before retry number `retry` (0 before the first retry), with full jitter. Calls `random` once. */
  delay(retry: number, baseMs: number, capMs: number, random: () => number): number;
  /** May an outcome be retried? `status` is undefined when no answer came (a timeout). */
  retryable(status: number | undefined, idempotent: boolean): boolean;
  /** The loop: tries, waits, tries again while it may; returns the last answer, or throws the last error if the last try got none. */
  call(kit: RetryKit): Promise<Response>;
}

/** The rules the checker judges by: what may be retried. */
function mayRetry(status: number | undefined, idempotent: boolean): boolean {
  if (status === 429) return true; // refused before doing anything: safe even for a POST
  if (status === undefined || status >= 500) return idempotent; // may have happened: only if repeating is safe
  return false; // success, or a 4xx that will not change
}

const bound = (retry: number, base: number, cap: number) => Math.min(cap, base * 2 ** retry);

/** One client's operation. */
interface Op {
  readonly client: string;
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly idempotent: boolean;
  readonly start: number;
}

interface Try {
  readonly at: number;
  status?: number;
  /** Virtual time spent in kit.sleep since the previous try ended. */
  readonly sleptBefore: number;
}

interface Settings {
  readonly maxAttempts: number;
  readonly baseMs: number;
  readonly capMs: number;
}

const ATTEMPT_TIMEOUT = 150;

function opsFor(c: CheckCase, together: boolean): Op[] {
  const r = new Random(c.seed);
  return Array.from({ length: c.size }, (_, i) => {
    const kind = r.next();
    const client = `client-${i + 1}`;
    const start = together ? r.int(0, 3) : r.int(0, 400);
    if (kind < 0.55) return { client, method: "GET", path: `/stock/${r.int(1, 9)}`, idempotent: true, start };
    if (kind < 0.65) return { client, method: "GET", path: `/stock/missing-${i}`, idempotent: true, start };
    if (kind < 0.85) return { client, method: "POST", path: `/orders?key=${client}`, idempotent: true, start };
    return { client, method: "POST", path: "/orders", idempotent: false, start };
  });
}

function settingsFor(c: CheckCase): Settings {
  const r = new Random(c.seed * 31 + 7);
  return { maxAttempts: r.int(4, 6), baseMs: [40, 50, 80, 100][r.int(0, 3)]!, capMs: [300, 500, 1_000][r.int(0, 2)]! };
}

/** One run on one case: `size` clients, each one operation through the learner's loop. */
export async function judgeRetry(solution: RetryBuild, c: CheckCase, together: boolean): Promise<CaseOutcome> {
  const s = settingsFor(c);
  const sim = new Simulation({ seed: c.seed, traceLimit: 6_000 });
  sim.network.setDefaults({ latency: 1 });
  const windows = (kind: string) => c.faults.filter((f) => f.kind === kind).map((f) => [f.at ?? 0, Number(f.params?.untilMs ?? Infinity)] as const);
  const within = (w: readonly (readonly [number, number])[]) => w.some(([from, until]) => sim.now >= from && sim.now < until);
  const outages = windows("outage");
  const throttles = windows("throttle");
  const flaky = Number(c.faults.find((f) => f.kind === "flaky")?.params?.rate ?? (c.faults.length === 0 ? 0.3 : 0));
  sim.service("inventory", async (req, ctx) => {
    await ctx.work({ kind: "uniform", min: 5, max: 15 });
    if (req.path.includes("missing")) return response(404, { error: "no such item" });
    if (within(throttles)) return response(429, { error: "slow down" });
    if (within(outages) || sim.random.chance(flaky)) return response(503, { error: "busy" });
    return req.method === "POST" ? response(201, { order: "ok" }) : { left: 3 };
  });
  for (const f of c.faults) {
    if (f.kind === "crash") {
      sim.faults.crash("inventory", { at: f.at ?? 0 });
      sim.faults.restart("inventory", { at: Number(f.params?.untilMs) });
    }
    if (f.kind === "slow") {
      sim.faults.slow("inventory", 20, { at: f.at ?? 0 });
      sim.faults.slow("inventory", 1, { at: Number(f.params?.untilMs) });
    }
  }
  const ops = opsFor(c, together);
  const tries = new Map<string, Try[]>();
  const ends = new Map<string, { status?: number; error?: string; at: number }>();
  let problem: { sentence: string; at: number } | undefined;
  const flag = (sentence: string, at: number) => void (problem ??= { sentence, at });
  const random = new Random(c.seed * 131 + 1);
  await sim.run(async () => {
    await Promise.all(
      ops.map(async (op) => {
        await sim.sleep(op.start);
        const client = sim.client(op.client);
        const log: Try[] = [];
        tries.set(op.client, log);
        let slept = 0;
        const what = `${op.client}'s ${op.method} ${op.path}${op.method === "POST" ? (op.idempotent ? " (with an idempotency key)" : " (no idempotency key)") : ""}`;
        const kit: RetryKit = {
          maxAttempts: s.maxAttempts,
          baseMs: s.baseMs,
          capMs: s.capMs,
          idempotent: op.idempotent,
          random: () => random.next(),
          sleep(ms) {
            if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) return Promise.reject(new ConfigError("kit.sleep", "ms", ms, "a finite number ≥ 0"));
            slept += ms;
            return sim.sleep(ms);
          },
          async attempt() {
            const prev = log.at(-1);
            const n = log.length; // retry number of this try, minus one
            if (prev) {
              if (!mayRetry(prev.status, op.idempotent)) flag(`${what} got ${prev.status === undefined ? "no answer" : prev.status} and was tried again, but ${prev.status === undefined || prev.status >= 500 ? "without an idempotency key a try that got no answer or a 5xx may already have taken effect" : "that answer will not change on a retry"}`, sim.now);
              if (n >= s.maxAttempts) flag(`${what} was tried ${n + 1} times; maxAttempts is ${s.maxAttempts} (the first try included)`, sim.now);
              const b = bound(n - 1, s.baseMs, s.capMs);
              if (slept > b + 1e-6) flag(`${what} waited ${Math.round(slept)} ms before retry ${n}, more than min(cap ${s.capMs}, ${s.baseMs}·2^${n - 1}) = ${b} ms`, sim.now);
            }
            const t: Try = { at: sim.now, sleptBefore: slept };
            log.push(t);
            slept = 0;
            try {
              const r = await client.call("inventory", `${op.method} ${op.path}`, { timeoutMs: ATTEMPT_TIMEOUT });
              t.status = r.status;
              return r;
            } finally {
              slept = 0;
            }
          },
        };
        try {
          const r = await solution.call(kit);
          ends.set(op.client, { status: r?.status, at: sim.now });
        } catch (error) {
          ends.set(op.client, { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error), at: sim.now });
        }
        const last = log.at(-1);
        const end = ends.get(op.client)!;
        if (!last) return flag(`${what} was never tried: call(kit) must call kit.attempt() at least once`, sim.now);
        if (mayRetry(last.status, op.idempotent) && log.length < s.maxAttempts) flag(`${what} gave up after ${log.length} of ${s.maxAttempts} tries, although its last ${last.status === undefined ? "try got no answer" : `answer, ${last.status},`} may be retried${op.method === "POST" && op.idempotent ? " (the key makes the POST safe to repeat)" : ""}`, end.at);
        else if (last.status !== undefined && end.status !== last.status) flag(`${what}: the last try was answered ${last.status}, but call(kit) ${end.error ? `threw ${end.error}` : `returned ${String(end.status)}`}; return the last answer`, end.at);
      }),
    );
  });
  if (problem) return { ok: false, invariant: `${describe(s)}: ${problem.sentence}`, sim, at: problem.at };
  const storm = stormOf(tries, s);
  if (storm) return { ok: false, invariant: `${describe(s)}: ${storm.sentence}`, sim, at: storm.at };
  return { ok: true, sim };
}

const describe = (s: Settings) => `${s.maxAttempts} tries, base ${s.baseMs} ms, cap ${s.capMs} ms`;

/**
 * The load a recovering service sees: the first retries of clients that failed together must
 * be spread over the backoff, not land in the same instant. Fails when more than 60 % of them
 * (of at least 10) reach the service within a quarter of the base.
 */
function stormOf(tries: ReadonlyMap<string, readonly Try[]>, s: Settings): { sentence: string; at: number } | undefined {
  const firstRetries = [...tries.values()].filter((t) => t.length >= 2).map((t) => t[1]!.at).sort((a, b) => a - b);
  if (firstRetries.length < 10) return undefined;
  const width = s.baseMs / 4;
  let best = { count: 0, at: 0 };
  for (let i = 0, j = 0; j < firstRetries.length; j++) {
    while (firstRetries[j]! - firstRetries[i]! >= width) i++;
    if (j - i + 1 > best.count) best = { count: j - i + 1, at: firstRetries[i]! };
  }
  if (best.count <= 0.6 * firstRetries.length) return undefined;
  return {
    sentence: `${best.count} of the ${firstRetries.length} first retries reached inventory within ${width} ms (from ${Math.round(best.at)} ms): the clients that failed together waited alike and came back together, a retry storm on a service that is trying to recover`,
    at: best.at,
  };
}

/** Fault schedules of stage 2; every client starts within 3 ms, so they fail together. */
function faultsFor(i: number): FaultSpec[] {
  const until = 150 + 50 * (i % 5);
  const all: FaultSpec[] = [
    { kind: "outage", label: `inventory answers 503 to everything until ${until} ms`, at: 0, params: { untilMs: until } },
    { kind: "crash", label: `inventory crashed until ${until + 100} ms (tries get no answer)`, at: 0, params: { untilMs: until + 100 } },
    { kind: "slow", label: `inventory 20× slower (tries time out) until ${until} ms`, at: 0, params: { untilMs: until } },
    { kind: "throttle", label: `inventory answers 429 until ${until} ms`, at: 0, params: { untilMs: until } },
    { kind: "flaky", label: "inventory answers 503 to a fifth of requests", params: { rate: 0.2 } },
  ];
  return [all[i % 4]!, ...(i % 3 === 0 ? [all[4]!] : [])];
}

export const retryBackoffBuild = defineBuildChallenge<RetryBuild>({
  id: "retry-backoff",
  title: "Write a retry loop: capped exponential backoff, full jitter, and what not to retry",
  statement: [
    "Write three functions. `call(kit)` runs one operation: it calls `kit.attempt()`, and while the outcome may be retried and tries are left, waits with `kit.sleep(delay(...))` and tries again. It returns the last answer, or throws the last error if the last try got none.",
    "- **delay(retry, baseMs, capMs, random)**: full jitter, as in the AWS Architecture Blog's \"Exponential Backoff and Jitter\": a uniform wait between 0 and min(capMs, baseMs · 2^retry), where `retry` is 0 before the first retry. Call `random()` once; the wait is `random()` times that ceiling (rounding to whole ms is fine).",
    "- **retryable(status, idempotent)**: a 2xx/3xx is done; a 4xx will not change, except **429** (the service refused before doing anything, so it is safe to repeat even for a POST); a **5xx** or **no answer** (`status` undefined: a timeout) may have taken effect, so retry it only if `idempotent`.",
    "- **call(kit)**: at most `kit.maxAttempts` tries in all, the first included, and no fewer while the outcome may be retried.",
    "```ts\ninterface RetryKit { maxAttempts: number; baseMs: number; capMs: number; idempotent: boolean; attempt(): Promise<Response>; sleep(ms: number): Promise<void>; random(): number }\ninterface RetryBuild {\n  delay(retry: number, baseMs: number, capMs: number, random: () => number): number;\n  retryable(status: number | undefined, idempotent: boolean): boolean;\n  call(kit: RetryKit): Promise<Response>;\n}\n```",
    `The checker runs many clients (GETs, POSTs with and without an idempotency key, GETs of items that do not exist) against a service that fails a share of requests, then over many seeds makes it answer 503, crash, slow down past the ${ATTEMPT_TIMEOUT} ms try timeout, or answer 429, with every client failing at the same moment. It checks each try and each wait: nothing retried that must not be, no more tries than allowed and no give-up while tries are left, every wait within its ceiling, and the first retries spread out instead of arriving as one wave. Then fast-check tries the delay function and the retryable test on any input.`,
  ].join("\n\n"),
  validate(solution) {
    for (const key of ["delay", "retryable", "call"] as const) {
      if (typeof solution?.[key] !== "function") throw new ConfigError(`challenges["retry-backoff"].check`, key, solution?.[key], "a function (see the RetryBuild interface)");
    }
  },
  stages: [
    {
      name: "works",
      goal: "a flaky service, mixed operations: retries what may be retried, within maxAttempts and the backoff ceiling",
      cases: seededCases(8, 1, () => ({ faults: [], size: 16 })),
      minSize: 1,
      run: (s, c) => judgeRetry(s, c, false),
    },
    {
      name: "survives faults",
      goal: "30 clients fail together (503, crash, slow, 429): every rule holds and the first retries come back spread out",
      cases: seededCases(24, 200, (i) => ({ faults: faultsFor(i), size: 30 })),
      minSize: 10,
      run: (s, c) => judgeRetry(s, c, true),
    },
    {
      name: "holds the edges",
      goal: "fast-check: the delay for any retry number, base and cap (retry 40 included), and the retryable test for every status",
      async property(solution) {
        const arb = fc.record({
          retry: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 13, max: 80 })),
          base: fc.integer({ min: 1, max: 2_000 }),
          cap: fc.integer({ min: 1, max: 120_000 }),
          u: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
          status: fc.oneof(fc.constantFrom(undefined, 200, 201, 204, 304, 400, 404, 409, 429, 500, 502, 503, 504), fc.integer({ min: 200, max: 599 })),
          idempotent: fc.boolean(),
        });
        type In = typeof arb extends fc.Arbitrary<infer T> ? T : never;
        const check = (p: In): string | undefined => {
          let calls = 0;
          const d = solution.delay(p.retry, p.base, p.cap, () => (calls++, p.u));
          const b = bound(p.retry, p.base, p.cap);
          if (calls !== 1) return `delay(${p.retry}, ${p.base}, ${p.cap}, random) called random() ${calls} times; call it once`;
          if (typeof d !== "number" || !(d >= 0) || d > b + 1e-6) return `delay(${p.retry}, ${p.base}, ${p.cap}, random) gave ${d} with random() = ${p.u}; it must lie in [0, ${b}]`;
          if (Math.abs(d - p.u * b) > 1) return `delay(${p.retry}, ${p.base}, ${p.cap}, random) gave ${d} with random() = ${p.u}; full jitter gives random() × ${b} = ${p.u * b}`;
          const want = mayRetry(p.status, p.idempotent);
          const got = solution.retryable(p.status, p.idempotent);
          if (got !== want) return `retryable(${p.status}, ${p.idempotent}) gave ${String(got)}, but ${p.status === undefined ? "no answer" : p.status} on ${p.idempotent ? "an idempotent" : "a non-idempotent"} operation ${want ? "may" : "must not"} be retried`;
          return undefined;
        };
        const r = await fc.check(fc.property(arb, (p) => check(p) === undefined), { seed: 22, numRuns: 500 });
        if (!r.failed) return { ok: true, runs: r.numRuns };
        const p = r.counterexample?.[0];
        if (!p) return { ok: false, runs: r.numRuns, invariant: `the solution threw: ${String(r.errorInstance)}`.split("\n")[0] };
        return { ok: false, runs: r.numRuns, counterexample: `retry ${p.retry}, base ${p.base}, cap ${p.cap}, random() = ${p.u}, status ${p.status}, idempotent ${p.idempotent}`, invariant: check(p) ?? "the property failed" };
      },
    },
  ],
  hints: {
    nudge: "Read the first failure: it names the client, the operation, what each try got and how long it waited. Decide on paper what that client should have done after that answer.",
    approach: "Loop over the tries: make one, return at once when the outcome may not be retried or no tries are left, otherwise sleep the delay for this retry number and go round again. A try that throws is a try with no answer; remember the error so you can throw it if it was the last.",
    keyIdea: "Every client that failed at the same moment computes the same exponential ceiling: only a random share of it, drawn afresh for each wait, spreads them out. And the retry number doubles the ceiling before the cap applies, so it must not overflow or skip the cap when it grows large.",
  },
});
