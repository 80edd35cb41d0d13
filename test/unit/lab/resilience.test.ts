import { describe, expect, it } from "vitest";
import {
  DISPLAY,
  RejectedError,
  Simulation,
  response,
  type Response,
} from "../../../src/lab/index";
import { outcomeOf } from "../../../src/lab/sim/call-errors";
import {
  BreakerOpenError,
  CIRCUIT_BREAKER_DEFAULTS,
  CircuitBreaker,
  ConsecutiveBreaker,
  CountBreakerWindow,
  SamplingBreaker,
  TimeBreakerWindow,
  type BreakerTransition,
  type CircuitBreakerOptions,
} from "../../../src/lab/resilience/index";
import { ConfigError } from "../../../src/lab/errors";

/** A breaker with a 4-call window, 1 s wait and 2 half-open trials, and helpers that call it. */
function setup(options: CircuitBreakerOptions = {}) {
  const sim = new Simulation();
  const breaker = new CircuitBreaker(sim, {
    slidingWindowSize: 4,
    minimumNumberOfCalls: 4,
    waitDurationInOpenState: 1000,
    permittedNumberOfCallsInHalfOpenState: 2,
    ...options,
  });
  const seen: BreakerTransition[] = [];
  breaker.onStateChange((e) => seen.push(e));
  let ran = 0;
  const ok = () =>
    breaker.execute(async () => {
      ran++;
      return "ok";
    });
  const fail = () =>
    breaker
      .execute(async () => {
        ran++;
        throw new Error("boom");
      })
      .catch((e: unknown) => e);
  /** A call that takes `ms` of virtual time, then succeeds or fails. */
  const timed = (ms: number, failing = false) =>
    breaker
      .execute(async () => {
        ran++;
        await sim.sleep(ms);
        if (failing) throw new Error("slow boom");
        return "ok";
      })
      .catch((e: unknown) => e);
  return { sim, breaker, seen, ok, fail, timed, ran: () => ran };
}

/** Opens the breaker of `setup()` at t = 0 with four failures. */
async function opened(options: CircuitBreakerOptions = {}) {
  const s = setup(options);
  for (let i = 0; i < 4; i++) await s.fail();
  expect(s.breaker.state).toBe("OPEN");
  return s;
}

describe("circuit breaker: resilience4j defaults", () => {
  it("uses resilience4j's defaults", () => {
    const b = new CircuitBreaker(new Simulation());
    expect(CIRCUIT_BREAKER_DEFAULTS).toMatchObject({
      failureRateThreshold: 50,
      slowCallRateThreshold: 100,
      slowCallDurationThreshold: 60_000,
      slidingWindowType: "COUNT_BASED",
      slidingWindowSize: 100,
      minimumNumberOfCalls: 100,
      waitDurationInOpenState: 60_000,
      permittedNumberOfCallsInHalfOpenState: 10,
    });
    expect(b.options).toMatchObject({ failureRateThreshold: 50, slidingWindowSize: 100, minimumNumberOfCalls: 100, halfOpen: "resilience4j" });
    expect(b.state).toBe("CLOSED");
  });

  it("with the defaults, 99 failures keep it closed and the 100th opens it", async () => {
    const sim = new Simulation();
    const b = new CircuitBreaker(sim);
    for (let i = 0; i < 99; i++) await b.execute(() => Promise.reject(new Error("x"))).catch(() => {});
    expect(b.state).toBe("CLOSED");
    await b.execute(() => Promise.reject(new Error("x"))).catch(() => {});
    expect(b.state).toBe("OPEN");
    expect(b.transitions[0]!.reason).toBe("failure rate 100% ≥ 50% of 100 calls");
  });
});

describe("circuit breaker: CLOSED → OPEN", () => {
  it("opens when the failure rate reaches the threshold (2 of 4 = 50 %)", async () => {
    const { breaker, ok, fail, seen } = setup();
    await fail();
    await ok();
    await fail();
    expect(breaker.state).toBe("CLOSED"); // 3 calls < minimumNumberOfCalls 4
    await ok();
    expect(breaker.state).toBe("OPEN");
    expect(seen).toEqual([{ from: "CLOSED", to: "OPEN", time: 0, reason: "failure rate 50% ≥ 50% of 4 calls" }]);
  });

  it("stays closed below the threshold, as the window slides (1 of the last 4 failed)", async () => {
    const { breaker, ok, fail } = setup();
    await fail();
    await ok();
    await ok();
    await ok(); // F S S S: 25 %
    await fail(); // window S S S F: 25 %
    expect(breaker.state).toBe("CLOSED");
    await fail(); // S S F F: 50 %
    expect(breaker.state).toBe("OPEN");
  });

  it("does not judge before minimumNumberOfCalls, even at 100 % failures", async () => {
    const { breaker, fail } = setup({ slidingWindowSize: 10, minimumNumberOfCalls: 5 });
    for (let i = 0; i < 4; i++) await fail();
    expect(breaker.state).toBe("CLOSED");
    await fail();
    expect(breaker.state).toBe("OPEN");
  });

  it("caps minimumNumberOfCalls at a COUNT_BASED window's size, as resilience4j does", async () => {
    const { breaker, fail } = setup({ slidingWindowSize: 3, minimumNumberOfCalls: 100 });
    await fail();
    await fail();
    expect(breaker.state).toBe("CLOSED");
    await fail();
    expect(breaker.state).toBe("OPEN");
  });

  it("opens on the slow-call rate; slow means strictly longer than the threshold", async () => {
    const { sim, breaker, timed, seen } = setup({ slowCallDurationThreshold: 100, slowCallRateThreshold: 50 });
    await sim.run(async () => {
      await timed(100); // exactly the threshold: not slow
      await timed(101); // slow
      await timed(10);
      expect(breaker.stats).toMatchObject({ calls: 3, slow: 1, failures: 0 });
      await timed(150); // 2 slow of 4 = 50 %
    });
    expect(breaker.state).toBe("OPEN");
    expect(seen).toEqual([{ from: "CLOSED", to: "OPEN", time: 361, reason: "slow-call rate 50% ≥ 50% of 4 calls" }]);
  });

  it("with the default slow-call rate threshold (100 %), one fast call in the window keeps it closed", async () => {
    const { sim, breaker, timed } = setup({ slowCallDurationThreshold: 100 });
    await sim.run(async () => {
      await timed(10);
      for (let i = 0; i < 3; i++) await timed(200);
      expect(breaker.state).toBe("CLOSED"); // 3 of 4 slow = 75 %
      await timed(200); // the window is now 4 slow calls
    });
    expect(breaker.state).toBe("OPEN");
  });

  it("counts 5xx responses as failures and 4xx as successes by default, or uses isFailure", async () => {
    const sim = new Simulation();
    const b = new CircuitBreaker(sim, { slidingWindowSize: 4, minimumNumberOfCalls: 4 });
    const answer = (status: number) => b.execute(async (): Promise<Response> => response(status));
    expect((await answer(404)).status).toBe(404);
    expect((await answer(400)).status).toBe(400);
    await answer(503);
    expect(b.state).toBe("CLOSED");
    expect((await answer(500)).status).toBe(500); // the response is still returned
    expect(b.state).toBe("OPEN"); // 2 of 4: the 4xx answers counted as successes
    expect(b.stats).toMatchObject({ calls: 4, failures: 2, successes: 2 });

    const strict = new CircuitBreaker(sim, { slidingWindowSize: 2, minimumNumberOfCalls: 2, isFailure: (r) => r.ok && (r.value as Response).status >= 400 });
    await strict.execute(async () => response(404));
    await strict.execute(async () => response(429));
    expect(strict.state).toBe("OPEN");
  });
});

describe("circuit breaker: OPEN and HALF_OPEN", () => {
  it("OPEN rejects at once with BreakerOpenError (outcome fail) without running the call", async () => {
    const { breaker, ok, ran } = await opened();
    const rejections: unknown[] = [];
    breaker.onRejected((e) => rejections.push(e));
    const before = ran();
    const error = await ok().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BreakerOpenError);
    expect(error).toBeInstanceOf(RejectedError);
    expect(outcomeOf(error)).toBe("fail");
    expect((error as Error).message).toBe("breaker is OPEN: call not permitted");
    expect(ran()).toBe(before);
    expect(rejections).toEqual([{ state: "OPEN", time: 0 }]);
    expect(breaker.stats).toEqual({ state: "OPEN", calls: 4, successes: 0, failures: 4, slow: 0, rejected: 1, transitions: 1 });
  });

  it("moves to HALF_OPEN only with the first call strictly after the wait", async () => {
    const { sim, breaker, ok, seen } = await opened();
    await sim.runUntil(1000);
    expect(breaker.state).toBe("OPEN"); // nothing moves without a call
    await expect(ok()).rejects.toBeInstanceOf(BreakerOpenError); // t = 1000: not after the wait yet
    await sim.runUntil(1000.5);
    expect(await ok()).toBe("ok");
    expect(seen.map((e) => [e.from, e.to, e.time])).toEqual([
      ["CLOSED", "OPEN", 0],
      ["OPEN", "HALF_OPEN", 1000.5],
    ]);
  });

  it("HALF_OPEN lets exactly the permitted number of trial calls through and rejects the rest", async () => {
    const { sim, breaker, timed } = await opened({ permittedNumberOfCallsInHalfOpenState: 3 });
    await sim.runUntil(1001);
    const results = await sim.run(() => Promise.all([timed(50), timed(50), timed(50), timed(50), timed(50)]));
    expect(results.slice(0, 3)).toEqual(["ok", "ok", "ok"]);
    expect(results.slice(3).map((e) => [(e as BreakerOpenError).name, (e as BreakerOpenError).state])).toEqual([
      ["BreakerOpenError", "HALF_OPEN"],
      ["BreakerOpenError", "HALF_OPEN"],
    ]);
    expect(breaker.state).toBe("CLOSED");
    expect(breaker.stats.rejected).toBe(2);
  });

  it("HALF_OPEN → CLOSED when the trials pass, with a fresh window", async () => {
    const { sim, breaker, ok, fail, timed, seen } = await opened();
    await sim.runUntil(1001);
    await sim.run(async () => {
      await Promise.all([timed(10), timed(20)]);
    });
    expect(breaker.state).toBe("CLOSED");
    expect(seen.at(-1)).toEqual({ from: "HALF_OPEN", to: "CLOSED", time: 1021, reason: "half-open trials: 0 of 2 failed, 0 slow, below the thresholds" });
    // The old failures are gone: three more failures are below minimumNumberOfCalls.
    await fail();
    await fail();
    await fail();
    expect(breaker.state).toBe("CLOSED");
    await ok(); // 3 of 4
    expect(breaker.state).toBe("OPEN");
  });

  it("HALF_OPEN → OPEN when the trials' failure rate reaches the threshold, and waits again from then", async () => {
    const { sim, breaker, ok, timed, seen } = await opened();
    await sim.runUntil(1001);
    await sim.run(() => Promise.all([timed(10), timed(30, true)]));
    expect(breaker.state).toBe("OPEN");
    expect(seen.at(-1)).toEqual({ from: "HALF_OPEN", to: "OPEN", time: 1031, reason: "half-open trials: failure rate 50% ≥ 50% of 2 calls" });
    await sim.runUntil(2031);
    await expect(ok()).rejects.toBeInstanceOf(BreakerOpenError);
    await sim.runUntil(2032);
    expect(await ok()).toBe("ok");
    expect(breaker.state).toBe("HALF_OPEN");
  });

  it("records every transition with from, to and time, in events and in the trace", async () => {
    const { sim, breaker, ok, fail, seen } = await opened();
    await sim.runUntil(1500);
    await ok(); // → HALF_OPEN
    await fail(); // 1 of 2 failed → OPEN
    await sim.runUntil(3000);
    await ok();
    await ok(); // → CLOSED
    expect(seen.map((e) => `${e.time} ${e.from}→${e.to}`)).toEqual(["0 CLOSED→OPEN", "1500 OPEN→HALF_OPEN", "1500 HALF_OPEN→OPEN", "3000 OPEN→HALF_OPEN", "3000 HALF_OPEN→CLOSED"]);
    expect(breaker.transitions).toEqual(seen);
    expect(sim.trace.events.filter((e) => e.kind === "state").map((e) => `${e.time} ${e.from}: ${e.summary}`)).toEqual([
      "0 breaker: breaker OPEN (failure rate 100% ≥ 50% of 4 calls)",
      "1500 breaker: breaker HALF_OPEN (waited 1500 ms, waitDurationInOpenState is 1000 ms)",
      "1500 breaker: breaker OPEN (half-open trials: failure rate 50% ≥ 50% of 2 calls)",
      "3000 breaker: breaker HALF_OPEN (waited 1500 ms, waitDurationInOpenState is 1000 ms)",
      "3000 breaker: breaker CLOSED (half-open trials: 0 of 2 failed, 0 slow, below the thresholds)",
    ]);
  });

  it("unsubscribes listeners", async () => {
    const { breaker, fail } = setup();
    const got: string[] = [];
    const off = breaker.onStateChange((e) => got.push(e.to));
    off();
    for (let i = 0; i < 4; i++) await fail();
    expect(breaker.state).toBe("OPEN");
    expect(got).toEqual([]);
  });
});

describe("circuit breaker: time-based window", () => {
  it("forgets calls older than the last N seconds (by whole second)", async () => {
    const sim = new Simulation();
    const b = new CircuitBreaker(sim, { slidingWindowType: "TIME_BASED", slidingWindowSize: 2, minimumNumberOfCalls: 4 });
    const fail = () => b.execute(() => Promise.reject(new Error("x"))).catch(() => {});
    await sim.runUntil(500);
    await fail();
    await fail();
    await fail();
    await sim.runUntil(2000); // second 2: the window holds seconds 1 and 2; second 0 is gone
    await fail();
    expect(b.state).toBe("CLOSED");
    expect(b.strategy.describe(sim.now)).toMatchObject({ window: "TIME_BASED 2 s", "calls in window": 1, "failures in window": 1 });
  });

  it("still counts them one second earlier", async () => {
    const sim = new Simulation();
    const b = new CircuitBreaker(sim, { slidingWindowType: "TIME_BASED", slidingWindowSize: 2, minimumNumberOfCalls: 4 });
    const fail = () => b.execute(() => Promise.reject(new Error("x"))).catch(() => {});
    await sim.runUntil(500);
    await fail();
    await fail();
    await fail();
    await sim.runUntil(1999); // second 1: seconds 0 and 1 are in the window
    await fail();
    expect(b.state).toBe("OPEN");
  });

  it("windows on their own: count-based drops the oldest, time-based evicts whole seconds", () => {
    const count = new CountBreakerWindow(3);
    count.record(true, false);
    count.record(true, true);
    count.record(false, false);
    count.record(false, true); // drops the first failure
    expect({ ...count.totals() }).toMatchObject({ calls: 3, failures: 1, slow: 2 });
    const time = new TimeBreakerWindow(3);
    time.record(true, false, 0);
    time.record(true, false, 999);
    time.record(false, true, 1000);
    time.record(false, false, 2999);
    expect(time.totals(2999)).toMatchObject({ calls: 4, failures: 2, slow: 1 });
    expect(time.totals(3000)).toMatchObject({ calls: 2, failures: 0, slow: 1 });
    expect(time.totals(4000)).toMatchObject({ calls: 1, failures: 0, slow: 0 });
    expect(time.totals(60_000)).toMatchObject({ calls: 0, failures: 0, slow: 0 });
  });
});

describe("circuit breaker: cockatiel strategies", () => {
  it("ConsecutiveBreaker opens after N failures in a row; a success resets the count", async () => {
    const sim = new Simulation();
    const b = new CircuitBreaker(sim, { strategy: new ConsecutiveBreaker(3) });
    const run = (failing: boolean) => b.execute(async () => (failing ? Promise.reject(new Error("x")) : "ok")).catch(() => "failed");
    for (const f of [true, true, false, true, true]) await run(f);
    expect(b.state).toBe("CLOSED");
    expect((b.strategy as ConsecutiveBreaker).consecutiveFailures).toBe(2);
    await run(true);
    expect(b.state).toBe("OPEN");
    expect(b.transitions[0]!.reason).toBe("3 consecutive failures ≥ 3");
    expect(b.strategy.semantics).toBe("cockatiel ConsecutiveBreaker (consecutive failures)");
  });

  it("cockatiel half-open: one trial once the wait has elapsed; concurrent callers wait for it, then run", async () => {
    const sim = new Simulation();
    const b = new CircuitBreaker(sim, { strategy: new ConsecutiveBreaker(1), halfOpen: "cockatiel", waitDurationInOpenState: 1000 });
    await b.execute(() => Promise.reject(new Error("x"))).catch(() => {});
    expect(b.state).toBe("OPEN");
    await sim.runUntil(1000); // cockatiel: at the wait, not strictly after
    const log: string[] = [];
    const call = (id: string) =>
      b.execute(async () => {
        log.push(`${id} starts @${sim.now} ${b.state}`);
        await sim.sleep(100);
        return id;
      });
    const results = await sim.run(() => Promise.all([call("trial"), call("second"), call("third")]));
    expect(results).toEqual(["trial", "second", "third"]);
    expect(log).toEqual(["trial starts @1000 HALF_OPEN", "second starts @1100 CLOSED", "third starts @1100 CLOSED"]);
    expect(b.stats).toMatchObject({ rejected: 0, calls: 4 });
  });

  it("cockatiel half-open: a failed trial reopens, and the waiting callers are rejected", async () => {
    const sim = new Simulation();
    const b = new CircuitBreaker(sim, { strategy: new ConsecutiveBreaker(1), halfOpen: "cockatiel", waitDurationInOpenState: 1000 });
    await b.execute(() => Promise.reject(new Error("x"))).catch(() => {});
    await sim.runUntil(1000);
    const results = await sim.run(() =>
      Promise.all([
        b.execute(async () => {
          await sim.sleep(100);
          throw new Error("still down");
        }),
        b.execute(async () => "never runs"),
      ].map((p) => p.catch((e: Error) => e.name))),
    );
    expect(results).toEqual(["Error", "BreakerOpenError"]);
    expect(b.transitions.map((t) => `${t.time} ${t.to}`)).toEqual(["0 OPEN", "1000 HALF_OPEN", "1100 OPEN"]);
  });

  it("SamplingBreaker needs the minimum request rate, then opens when failures exceed the threshold", async () => {
    const sim = new Simulation();
    // 5 s period, at least 2 calls/s → at least 10 calls; more than 50 % must fail.
    const strategy = new SamplingBreaker({ threshold: 0.5, durationMs: 5000, minimumRps: 2 });
    const b = new CircuitBreaker(sim, { strategy });
    const run = (failing: boolean) => b.execute(async () => (failing ? Promise.reject(new Error("x")) : "ok")).catch(() => "failed");
    for (let i = 0; i < 5; i++) await run(false);
    for (let i = 0; i < 4; i++) await run(true);
    expect(b.state).toBe("CLOSED"); // 9 calls < 10
    await run(true);
    expect(b.state).toBe("CLOSED"); // 5 of 10: not more than 50 %
    await run(true);
    expect(b.state).toBe("OPEN"); // 6 of 11
    expect(b.transitions[0]!.reason).toBe("6 of 11 calls failed in 5000 ms (> 50%, at ≥ 2 calls/s)");
    expect(strategy.sliceMs).toBe(1000);
    expect(strategy.minimumCalls).toBe(10);
  });

  it("SamplingBreaker forgets the calls of earlier periods; its default minimum rate is 5 / threshold", async () => {
    const sim = new Simulation();
    const strategy = new SamplingBreaker({ threshold: 0.5, durationMs: 5000, minimumRps: 2 });
    const b = new CircuitBreaker(sim, { strategy });
    const fail = () => b.execute(() => Promise.reject(new Error("x"))).catch(() => {});
    for (let i = 0; i < 8; i++) await fail(); // 8 < 10 calls: below the minimum
    await sim.runUntil(5000);
    await fail();
    await fail();
    expect(b.state).toBe("CLOSED"); // the 8 early failures aged out: 2 calls
    expect(strategy.describe(sim.now)).toMatchObject({ "calls in period": 2, "failures in period": 2 });
    expect(new SamplingBreaker({ threshold: 0.25, durationMs: 10_000 }).minimumRps).toBe(20);
  });
});

describe("circuit breaker: configuration and display", () => {
  it("rejects bad options naming the parameter and the value", () => {
    const sim = new Simulation();
    const bad: [CircuitBreakerOptions, string][] = [
      [{ failureRateThreshold: 0 }, "CircuitBreaker: failureRateThreshold must be a percentage greater than 0 and at most 100, got 0"],
      [{ slowCallRateThreshold: 101 }, "CircuitBreaker: slowCallRateThreshold must be a percentage greater than 0 and at most 100, got 101"],
      [{ slidingWindowSize: 0 }, "CircuitBreaker: slidingWindowSize must be a whole number ≥ 1, got 0"],
      [{ minimumNumberOfCalls: 1.5 }, "CircuitBreaker: minimumNumberOfCalls must be a whole number ≥ 1, got 1.5"],
      [{ waitDurationInOpenState: 0 }, "CircuitBreaker: waitDurationInOpenState must be a finite number ≥ 1, got 0"],
      [{ slowCallDurationThreshold: -1 }, "CircuitBreaker: slowCallDurationThreshold must be a finite number ≥ 0, got -1"],
      [{ permittedNumberOfCallsInHalfOpenState: 0 }, "CircuitBreaker: permittedNumberOfCallsInHalfOpenState must be a whole number ≥ 1, got 0"],
      [{ slidingWindowType: "SESSION" as "TIME_BASED" }, 'CircuitBreaker: slidingWindowType must be one of "COUNT_BASED", "TIME_BASED", got "SESSION"'],
      [{ halfOpen: "opossum" as "cockatiel" }, 'CircuitBreaker: halfOpen must be one of "resilience4j", "cockatiel", got "opossum"'],
      // Ten seconds written in ms by mistake would be a window of 2.8 hours.
      [{ slidingWindowType: "TIME_BASED", slidingWindowSize: 10_000 }, "CircuitBreaker: slidingWindowSize must be in seconds for a TIME_BASED window (resilience4j's unit), at most 3600, got 10000"],
    ];
    for (const [options, message] of bad) {
      expect(() => new CircuitBreaker(sim, options)).toThrow(ConfigError);
      expect(() => new CircuitBreaker(sim, options)).toThrow(message);
    }
    expect(() => new ConsecutiveBreaker(0)).toThrow("ConsecutiveBreaker: threshold must be a whole number ≥ 1, got 0");
    expect(() => new SamplingBreaker({ threshold: 1, durationMs: 1000 })).toThrow("SamplingBreaker: threshold must be a number greater than 0 and less than 1, got 1");
    expect(() => new SamplingBreaker({ threshold: 0.5, durationMs: 0 })).toThrow("SamplingBreaker: durationMs must be a finite number > 0, got 0");
  });

  it("displays its state, counts and a state diagram of the transitions seen", async () => {
    const { sim, breaker, ok } = await opened();
    await sim.runUntil(2000);
    await ok();
    await ok();
    const shown = breaker[DISPLAY]();
    const md = shown["text/markdown"]!;
    expect(md).toContain("**breaker** — resilience4j sliding window (failure rate and slow-call rate); half-open: resilience4j");
    expect(md).toContain("| state | CLOSED |");
    expect(md).toContain("| failures | 4 |");
    expect(md).toContain("```mermaid\nstateDiagram-v2");
    expect(breaker.diagram().split("\n")).toEqual([
      "stateDiagram-v2",
      "  direction LR",
      "  [*] --> CLOSED",
      "  CLOSED --> OPEN: 1×",
      "  OPEN --> HALF_OPEN: 1×",
      "  HALF_OPEN --> CLOSED: 1×",
      "  classDef current font-weight:bold,stroke-width:3px",
      "  class CLOSED current",
    ]);
    expect(shown["text/plain"]).toContain("calls in window");
  });
});
