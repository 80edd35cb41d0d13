import { describe, expect, it } from "vitest";
import {
  DISPLAY,
  Random,
  Simulation,
  TimeoutError,
  response,
  type Response,
} from "../../../src/lab/index";
import { outcomeOf } from "../../../src/lab/sim/call-errors";
import {
  BulkheadPolicy,
  BulkheadRejectedError,
  CancelSource,
  CircuitBreaker,
  ExponentialBackoff,
  RETRY_DEFAULTS,
  RetryPolicy,
  TimeoutPolicy,
  decorrelatedJitterDelay,
  equalJitterDelay,
  fullJitterDelay,
  noJitterDelay,
  wrap,
  type CancelSignal,
  type ResiliencePolicy,
  type RetryEvent,
} from "../../../src/lab/resilience/index";

/** A uniform source that returns the given numbers in turn. */
const fixed =
  (...values: number[]) =>
  () => {
    const v = values.shift();
    if (v === undefined) throw new Error("no more numbers");
    return v;
  };

describe("backoff formulas (AWS Exponential Backoff and Jitter), b = 100, c = 1000", () => {
  it("none: min(c, b·2^n)", () => {
    expect([0, 1, 2, 3, 4, 5, 60].map((n) => noJitterDelay(n, 100, 1000))).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it("full: rand(0, min(c, b·2^n))", () => {
    expect(fullJitterDelay(3, 100, 1000, fixed(0.25))).toBe(200); // 0.25 × 800
    expect(fullJitterDelay(0, 100, 1000, fixed(0))).toBe(0);
    expect(fullJitterDelay(5, 100, 1000, fixed(0.5))).toBe(500); // capped at 1000 first
  });

  it("equal: t = min(c, b·2^n); t/2 + rand(0, t/2)", () => {
    expect(equalJitterDelay(3, 100, 1000, fixed(0.25))).toBe(500); // 400 + 0.25 × 400
    expect(equalJitterDelay(0, 100, 1000, fixed(0))).toBe(50);
    expect(equalJitterDelay(4, 100, 1000, fixed(0.5))).toBe(750); // 500 + 0.5 × 500
  });

  it("decorrelated: min(c, rand(b, prev·3)), prev starting at b", () => {
    expect(decorrelatedJitterDelay(100, 100, 1000, fixed(0.25))).toBe(150); // 100 + 0.25 × 200
    expect(decorrelatedJitterDelay(150, 100, 1000, fixed(0.25))).toBe(187.5); // 100 + 0.25 × 350
    expect(decorrelatedJitterDelay(1000, 100, 1000, fixed(0.5))).toBe(1000); // rand gives 1550, capped
  });

  it("ExponentialBackoff walks the attempts, and decorrelated jitter feeds each sleep into the next", () => {
    const seq = (kind: "none" | "full" | "equal" | "decorrelated", u: () => number) => {
      const b = new ExponentialBackoff(kind, 100, 1000, u);
      return [b.next(), b.next(), b.next()];
    };
    expect(seq("none", fixed())).toEqual([100, 200, 400]);
    expect(seq("full", fixed(0.5, 0.5, 0.5))).toEqual([50, 100, 200]);
    expect(seq("equal", fixed(0.5, 0.5, 0.5))).toEqual([75, 150, 300]);
    expect(seq("decorrelated", fixed(0.5, 0.5, 0.5))).toEqual([200, 350, 575]); // rand(100,300), rand(100,600), rand(100,1050)
    expect(() => new ExponentialBackoff("linear" as "none", 1, 1, fixed())).toThrow('ExponentialBackoff: kind must be one of "none", "full", "equal", "decorrelated", got "linear"');
  });
});

describe("retry", () => {
  it("retries a 503 with the backoff waits, then gives up and returns the last answer", async () => {
    const sim = new Simulation();
    const retry = new RetryPolicy(sim, { maxAttempts: 4, baseMs: 100, jitter: "none" });
    const times: number[] = [];
    const events: RetryEvent[] = [];
    const gaveUp: unknown[] = [];
    retry.onRetry((e) => events.push(e));
    retry.onGiveUp((e) => gaveUp.push(e));
    const res = await sim.run(() =>
      retry.execute(async () => {
        times.push(sim.now);
        return response(503);
      }),
    );
    expect(res.status).toBe(503);
    expect(times).toEqual([0, 100, 300, 700]);
    expect(events.map((e) => [e.attempt, e.delayMs, e.time, e.reason])).toEqual([
      [2, 100, 0, "503"],
      [3, 200, 100, "503"],
      [4, 400, 300, "503"],
    ]);
    expect(gaveUp).toEqual([{ attempts: 4, time: 700, reason: "503" }]);
    expect(retry.stats).toEqual({ calls: 1, attempts: 4, retries: 3, returned: 0, gaveUp: 1, notRetryable: 0, cancelled: 0 });
  });

  it("rethrows the last error when attempts run out", async () => {
    const sim = new Simulation();
    const retry = new RetryPolicy(sim, { maxAttempts: 2, baseMs: 10, jitter: "none" });
    const error = await sim.run(() => retry.execute(() => Promise.reject(new TimeoutError("db", 50))).catch((e: unknown) => e));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(sim.now).toBe(10);
    expect(retry.stats).toMatchObject({ attempts: 2, gaveUp: 1 });
  });

  it("succeeds after timeouts, and retries 429", async () => {
    const sim = new Simulation();
    const retry = new RetryPolicy(sim, { baseMs: 100, jitter: "none" });
    const answers: (Response | Error)[] = [new TimeoutError("db", 50), response(429), response(200, "done")];
    const res = await sim.run(() =>
      retry.execute(async () => {
        const next = answers.shift()!;
        if (next instanceof Error) throw next;
        return next;
      }),
    );
    expect([res.status, res.body, sim.now]).toEqual([200, "done", 300]);
    expect(retry.stats).toMatchObject({ attempts: 3, retries: 2, returned: 1 });
  });

  it("does not retry 4xx answers or errors it does not know to be transient", async () => {
    const sim = new Simulation();
    const retry = new RetryPolicy(sim);
    let calls = 0;
    const notFound = await sim.run(() => retry.execute(async () => (calls++, response(404))));
    expect([notFound.status, calls]).toEqual([404, 1]);
    const bug = await sim.run(() =>
      retry
        .execute(async () => {
          calls++;
          throw new TypeError("bug");
        })
        .catch((e: Error) => e.name),
    );
    expect([bug, calls]).toEqual(["TypeError", 2]);
    expect(retry.stats).toMatchObject({ attempts: 2, retries: 0, returned: 1, notRetryable: 1 });
    // A custom rule can say otherwise.
    const eager = new RetryPolicy(sim, { maxAttempts: 3, baseMs: 1, isRetryable: (r) => !r.ok });
    await sim.run(() => eager.execute(() => Promise.reject(new TypeError("flaky"))).catch(() => {}));
    expect(eager.stats.attempts).toBe(3);
  });

  it("draws full jitter from the simulation's seeded random source", async () => {
    const sim = new Simulation({ seed: 7 });
    const retry = new RetryPolicy(sim, { maxAttempts: 3, baseMs: 100, maxDelayMs: 1000 });
    const delays: number[] = [];
    retry.onRetry((e) => delays.push(e.delayMs));
    await sim.run(() => retry.execute(async () => response(503)));
    const r = new Random(7);
    expect(delays).toEqual([r.next() * 100, r.next() * 200]);
    expect(RETRY_DEFAULTS).toMatchObject({ maxAttempts: 3, baseMs: 128, maxDelayMs: 30_000, jitter: "full" });
  });

  it("stops retrying once its signal is aborted", async () => {
    const sim = new Simulation();
    const retry = new RetryPolicy(sim, { maxAttempts: 5, baseMs: 100, jitter: "none" });
    const source = new CancelSource();
    sim.schedule(150, () => source.cancel(new Error("caller left")));
    let calls = 0;
    const error = await sim.run(() => retry.execute(async () => (calls++, response(503)), source.signal).catch((e: Error) => e.message));
    expect([error, calls]).toEqual(["caller left", 2]);
    expect(retry.stats.cancelled).toBe(1);
  });

  it("rejects bad options naming the parameter", () => {
    const sim = new Simulation();
    expect(() => new RetryPolicy(sim, { maxAttempts: 0 })).toThrow("RetryPolicy: maxAttempts must be a whole number ≥ 1, got 0");
    expect(() => new RetryPolicy(sim, { baseMs: -5 })).toThrow("RetryPolicy: baseMs must be a finite number ≥ 0, got -5");
    expect(() => new RetryPolicy(sim, { baseMs: 500, maxDelayMs: 100 })).toThrow("RetryPolicy: maxDelayMs must be a finite number ≥ 500, got 100");
    expect(() => new RetryPolicy(sim, { jitter: "random" as "full" })).toThrow('RetryPolicy: jitter must be one of "none", "full", "equal", "decorrelated", got "random"');
  });
});

describe("timeout", () => {
  /** Five calls of ten 50 ms steps each, 120 ms deadline; the callee checks its signal between steps. */
  async function fiveSlowCalls(kind: "aggressive" | "cooperative") {
    const sim = new Simulation();
    const timeout = new TimeoutPolicy(sim, { timeoutMs: 120, kind });
    let steps = 0;
    const callee = async (signal: CancelSignal) => {
      for (let i = 0; i < 10; i++) {
        signal.throwIfAborted();
        await sim.sleep(50);
        steps++;
      }
      return "done";
    };
    const seenAtDeadline: number[] = [];
    timeout.onTimeout(() => seenAtDeadline.push(timeout.stats.abandonedRunning));
    const results = await sim.run(async () => {
      const out = await Promise.all(Array.from({ length: 5 }, () => timeout.execute(callee).catch((e: unknown) => e)));
      return { out, freedAt: sim.now, running: timeout.stats.abandonedRunning };
    });
    await sim.run();
    return { ...results, steps, stats: timeout.stats, endedAt: sim.now, seenAtDeadline };
  }

  it("aggressive: the caller is freed at the deadline while the callee's work runs on, wasted", async () => {
    const r = await fiveSlowCalls("aggressive");
    expect(r.out.every((e) => e instanceof TimeoutError && outcomeOf(e) === "info")).toBe(true);
    expect(r.freedAt).toBe(120);
    expect(r.running).toBe(5); // callers gone, work still running
    expect(r.seenAtDeadline).toEqual([1, 2, 3, 4, 5]);
    expect(r.endedAt).toBe(500);
    expect(r.steps).toBe(50); // every step of every call ran
    expect(r.stats).toEqual({ calls: 5, completed: 0, timedOut: 5, abandonedRunning: 0, peakAbandonedRunning: 5, wastedWork: 5, stopped: 0, wastedMs: 5 * 380 });
  });

  it("cooperative: the callee is signalled and stops at its next check", async () => {
    const r = await fiveSlowCalls("cooperative");
    expect(r.out.every((e) => e instanceof TimeoutError)).toBe(true);
    expect(r.freedAt).toBe(120);
    expect(r.running).toBe(5); // each callee is mid-step when signalled
    expect(r.endedAt).toBe(150);
    expect(r.steps).toBe(15); // 2 steps before the deadline + the one in progress
    expect(r.stats).toEqual({ calls: 5, completed: 0, timedOut: 5, abandonedRunning: 0, peakAbandonedRunning: 5, wastedWork: 0, stopped: 5, wastedMs: 5 * 30 });
  });

  it("a call within the deadline completes and leaves no timer behind", async () => {
    const sim = new Simulation();
    const timeout = new TimeoutPolicy(sim, { timeoutMs: 100 });
    const value = await sim.run(() =>
      timeout.execute(async () => {
        await sim.sleep(99);
        return 42;
      }),
    );
    expect(value).toBe(42);
    await sim.run(); // the cancelled deadline does not fire or move the clock
    expect(sim.now).toBe(99);
    expect(timeout.stats).toMatchObject({ calls: 1, completed: 1, timedOut: 0 });
    expect(() => new TimeoutPolicy(sim, { timeoutMs: -1 })).toThrow("TimeoutPolicy: timeoutMs must be a finite number ≥ 0, got -1");
    expect(() => new TimeoutPolicy(sim, { kind: "polite" as "cooperative" })).toThrow('TimeoutPolicy: kind must be one of "aggressive", "cooperative", got "polite"');
  });
});

describe("bulkhead", () => {
  it("runs maxConcurrent, queues maxQueue, rejects the rest at once", async () => {
    const sim = new Simulation();
    const bulkhead = new BulkheadPolicy(sim, { maxConcurrent: 2, maxQueue: 1 });
    const job = (id: string) =>
      bulkhead
        .execute(async () => {
          const start = sim.now;
          await sim.sleep(100);
          return `${id} ran ${start}–${sim.now}`;
        })
        .catch((e: unknown) => `${id} ${(e as Error).name} @${sim.now}`);
    const mid: unknown[] = [];
    sim.schedule(50, () => mid.push(bulkhead.stats));
    const results = await sim.run(() => Promise.all([job("a"), job("b"), job("c"), job("d")]));
    expect(results).toEqual(["a ran 0–100", "b ran 0–100", "c ran 100–200", "d BulkheadRejectedError @0"]);
    expect(mid).toEqual([{ active: 2, queued: 1, rejected: 1, executed: 2, waited: 0, peakActive: 2, peakQueued: 1 }]);
    expect(bulkhead.stats).toEqual({ active: 0, queued: 0, rejected: 1, executed: 3, waited: 1, peakActive: 2, peakQueued: 1 });
    expect(sim.trace.events.filter((e) => e.kind === "state").map((e) => `${e.time} ${e.summary}`)).toEqual([
      "0 bulkhead full (2 running, 1 queued)",
      "100 bulkhead has room",
    ]);
    expect(await bulkhead.execute(async () => "room again")).toBe("room again");
    expect(new BulkheadRejectedError("bulkhead", 2, 1)).toMatchObject({ outcome: "fail", message: "bulkhead is full (2 running, 1 queued): call rejected" });
  });

  it("a queued call whose signal is aborted leaves the queue", async () => {
    const sim = new Simulation();
    const bulkhead = new BulkheadPolicy(sim, { maxConcurrent: 1, maxQueue: 5 });
    const source = new CancelSource();
    const results = await sim.run(() => {
      const first = bulkhead.execute(() => sim.sleep(100).then(() => "first"));
      const waiting = bulkhead.execute(async () => "never", source.signal).catch((e: Error) => e.message);
      sim.schedule(10, () => source.cancel(new Error("gave up waiting")));
      return Promise.all([first, waiting]);
    });
    expect(results).toEqual(["first", "gave up waiting"]);
    expect(bulkhead.stats).toMatchObject({ executed: 1, queued: 0, active: 0 });
    expect(() => new BulkheadPolicy(sim, { maxConcurrent: 0 })).toThrow("BulkheadPolicy: maxConcurrent must be a whole number ≥ 1, got 0");
    expect(() => new BulkheadPolicy(sim, { maxQueue: -1 })).toThrow("BulkheadPolicy: maxQueue must be a whole number ≥ 0, got -1");
  });
});

describe("wrap", () => {
  const tracing = (name: string, log: string[]): ResiliencePolicy => ({
    async execute(fn, signal) {
      log.push(`enter ${name}`);
      try {
        return await fn(signal!);
      } finally {
        log.push(`leave ${name}`);
      }
    },
  });

  it("runs the first policy outermost", async () => {
    const log: string[] = [];
    const value = await wrap(tracing("a", log), tracing("b", log), tracing("c", log)).execute(async () => (log.push("call"), 7));
    expect(value).toBe(7);
    expect(log).toEqual(["enter a", "enter b", "enter c", "call", "leave c", "leave b", "leave a"]);
  });

  it("order matters: retry outside the breaker retries through it; inside, the breaker sees one call", async () => {
    const sim = new Simulation();
    const make = () => ({
      retry: new RetryPolicy(sim, { maxAttempts: 3, baseMs: 10, jitter: "none" }),
      breaker: new CircuitBreaker(sim, { slidingWindowSize: 10, minimumNumberOfCalls: 10 }),
    });
    const outer = make();
    await sim.run(() => wrap(outer.retry, outer.breaker).execute(async () => response(503)));
    expect([outer.retry.stats.attempts, outer.breaker.stats.calls]).toEqual([3, 3]);
    const inner = make();
    await sim.run(() => wrap(inner.breaker, inner.retry).execute(async () => response(503)));
    expect([inner.retry.stats.attempts, inner.breaker.stats.calls]).toEqual([3, 1]);
  });

  it("retry, breaker and timeout together: each attempt gets its own deadline and cooperative signal", async () => {
    const sim = new Simulation();
    const retry = new RetryPolicy(sim, { maxAttempts: 3, baseMs: 100, jitter: "none" });
    const breaker = new CircuitBreaker(sim, { slidingWindowSize: 2, minimumNumberOfCalls: 2, waitDurationInOpenState: 10_000 });
    const timeout = new TimeoutPolicy(sim, { timeoutMs: 50, kind: "cooperative" });
    const starts: number[] = [];
    const policy = wrap(retry, breaker, timeout);
    const error = await sim.run(() =>
      policy
        .execute(async (signal) => {
          starts.push(sim.now);
          await new Promise<void>((_resolve, reject) => signal.onAbort(reject));
          return "never";
        })
        .catch((e: unknown) => e),
    );
    // Attempts at 0 and 150 time out; the breaker opens after 2 failures; attempt 3 is rejected.
    expect(starts).toEqual([0, 150]);
    expect((error as Error).name).toBe("BreakerOpenError");
    expect(retry.stats).toMatchObject({ attempts: 3, notRetryable: 1 });
    expect(timeout.stats).toMatchObject({ timedOut: 2, stopped: 2, wastedMs: 0 });
    expect(policy[DISPLAY]()["text/plain"]).toContain("Policies, outermost first: retry → breaker → timeout → call");
  });

  it("rejects a call with no policies or a non-policy", () => {
    expect(() => wrap()).toThrow("wrap: policies must be at least one policy, got []");
    expect(() => wrap({} as ResiliencePolicy)).toThrow("wrap: policies[0] must be a policy with an execute(fn) method, got {}");
  });
});
