// Build challenges of the resilience patterns (circuit breaker, retry, timeout): the reference
// passes every stage on every case within 3 s; the notebook's starter fails stage 1 with a
// useful first failure; known-wrong answers fail at the stage that should catch them.
import { describe, expect, it } from "vitest";
import { response, TimeoutError, type Response } from "sde-lab";
import { challenges } from "sde-lab/challenges";
import type { Breaker, BreakerBuild, BreakerOptions, BreakerState } from "../../../src/lab/challenges/build-microservices/circuit-breaker";
import type { RetryBuild } from "../../../src/lab/challenges/build-microservices/retry-backoff";
import type { TimeoutBuild } from "../../../src/lab/challenges/build-microservices/timeout";

const timed = async <T>(f: () => Promise<T>) => {
  const start = performance.now();
  const value = await f();
  return { value, ms: performance.now() - start };
};

// ---- circuit-breaker -----------------------------------------------------------------------

interface BreakerFlaws {
  /** Counts every result ever, not the last N. */
  allCalls?: boolean;
  /** Never leaves OPEN. */
  neverHalfOpens?: boolean;
  /** Permits every call in HALF_OPEN (still judges after N results). */
  unlimitedProbes?: boolean;
  /** Opens only above the threshold (resilience4j opens at or above). */
  strictlyAbove?: boolean;
  /** Ignores minimumNumberOfCalls. */
  noMinimum?: boolean;
  /** Does not cap the minimum at the window size. */
  uncappedMinimum?: boolean;
}

function breakers(f: BreakerFlaws = {}): BreakerBuild {
  return {
    breaker(o: BreakerOptions): Breaker {
      let state: BreakerState = "CLOSED";
      let window: boolean[] = [];
      let trials: boolean[] = [];
      let permits = 0;
      let openedAt = 0;
      const minCalls = f.noMinimum ? 1 : f.uncappedMinimum ? o.minimumNumberOfCalls : Math.min(o.minimumNumberOfCalls, o.slidingWindowSize);
      const over = (r: boolean[]) => {
        const rate = (100 * r.filter((ok) => !ok).length) / r.length;
        return f.strictlyAbove ? rate > o.failureRateThreshold : rate >= o.failureRateThreshold;
      };
      return {
        tryAcquirePermission(now) {
          if (state === "OPEN") {
            if (f.neverHalfOpens || now <= openedAt + o.waitDurationInOpenState) return false;
            [state, permits, trials] = ["HALF_OPEN", o.permittedNumberOfCallsInHalfOpenState, []];
          }
          if (state === "HALF_OPEN") {
            if (f.unlimitedProbes) return true;
            if (permits === 0) return false;
            permits--;
          }
          return true;
        },
        onResult(success, now) {
          if (state === "CLOSED") {
            window.push(success);
            if (!f.allCalls && window.length > o.slidingWindowSize) window.shift();
            if (window.length >= minCalls && over(window)) [state, openedAt] = ["OPEN", now];
          } else if (state === "HALF_OPEN") {
            trials.push(success);
            if (trials.length < o.permittedNumberOfCallsInHalfOpenState) return;
            if (over(trials)) [state, openedAt] = ["OPEN", now];
            else [state, window] = ["CLOSED", []];
          }
        },
        state: () => state,
      };
    },
  };
}

describe("circuit-breaker build challenge", () => {
  const c = challenges["circuit-breaker"];

  it("passes the reference on every stage and case, within 3 s", async () => {
    const { value: report, ms } = await timed(() => c.check(breakers()));
    expect(report.headline).toMatch(/^Challenge circuit-breaker: PASSED \(3 of 3 stages, 344 cases\)$/);
    expect(ms).toBeLessThan(3_000);
  });

  it("fails the notebook's starter (always CLOSED) at stage 1, naming the call and the window the rules had", async () => {
    const starter: BreakerBuild = { breaker: () => ({ tryAcquirePermission: () => true, onResult: () => undefined, state: () => "CLOSED" }) };
    const report = await c.check(starter);
    expect(report.headline).toMatch(/^Challenge circuit-breaker: FAILED at stage 1 of 3, works \(20 of 20 cases failed\)$/);
    const f = report.stages[0]!.failure!;
    expect(f.invariant).toMatch(/after call \d+ failed at \d+ ms the breaker says CLOSED, but it must move to OPEN: before this result it was CLOSED with \d+ results in the window of 10, \d+ failed/);
    expect(f.sequence).toContain("C");
  });

  it("fails a constant answer that rejects everything", async () => {
    const report = await c.check({ breaker: () => ({ tryAcquirePermission: () => false, onResult: () => undefined, state: () => "OPEN" }) });
    expect(report.headline).toMatch(/FAILED at stage 1 of 3/);
    expect(report.stages[0]!.failure!.invariant).toMatch(/call 1 at \d+ ms was rejected in CLOSED, but it must be permitted/);
  });

  it("fails a breaker that counts every call ever instead of the last N (ignores the window)", async () => {
    const report = await c.check(breakers({ allCalls: true }));
    expect(report.headline).toMatch(/FAILED at stage 1 of 3/);
    expect(report.failedStage!.failure!.invariant).toMatch(/must move to OPEN/);
  });

  it("fails a breaker that never half-opens (the hard case)", async () => {
    const report = await c.check(breakers({ neverHalfOpens: true }));
    expect(report.headline).toMatch(/FAILED at stage 1 of 3/);
    expect(report.failedStage!.failure!.invariant).toMatch(/was rejected in OPEN, but the wait is over, so this call moves it to HALF_OPEN/);
  });

  it("fails a breaker that lets unlimited trial calls through in HALF_OPEN, once callers overlap", async () => {
    const report = await c.check(breakers({ unlimitedProbes: true }));
    expect(report.headline).toMatch(/FAILED at stage 2 of 3, survives faults/);
    expect(report.failedStage!.failure!.invariant).toMatch(/was let through in HALF_OPEN, but it must be rejected: HALF_OPEN permits \d trial calls; 0 left/);
  });

  it("fails a breaker that opens only above the threshold, not at it (not shipped)", async () => {
    const report = await c.check(breakers({ strictlyAbove: true }));
    expect(report.passed).toBe(false);
    expect(report.failedStage!.failure!.invariant).toMatch(/must move to OPEN/);
  });

  it("fails a breaker that ignores the minimum number of calls, or does not cap it at the window (not shipped)", async () => {
    const noMin = await c.check(breakers({ noMinimum: true }));
    expect(noMin.passed).toBe(false);
    expect(noMin.failedStage!.failure!.invariant).toMatch(/must stay CLOSED/);
    const uncapped = await c.check(breakers({ uncappedMinimum: true }));
    expect(uncapped.passed).toBe(false);
    expect(uncapped.failedStage!.failure!.invariant).toMatch(/must move to OPEN/);
  });
});

// ---- retry-backoff -------------------------------------------------------------------------

interface RetryFlaws {
  noJitter?: boolean;
  retryAll?: boolean;
  oneTooMany?: boolean;
  shift?: boolean;
  equalJitter?: boolean;
  no429ForPost?: boolean;
}
function retries(f: RetryFlaws = {}): RetryBuild {
  const build: RetryBuild = {
    delay(retry, base, cap, random) {
      const u = random();
      const ceiling = Math.min(cap, f.shift ? base << retry : base * 2 ** retry);
      if (f.noJitter) return ceiling;
      return f.equalJitter ? ceiling / 2 + (u * ceiling) / 2 : u * ceiling;
    },
    retryable(status, idempotent) {
      if (f.retryAll) return status === undefined || status >= 400;
      if (status === 429) return f.no429ForPost ? idempotent : true;
      return status === undefined || status >= 500 ? idempotent : false;
    },
    async call(kit) {
      const limit = kit.maxAttempts + (f.oneTooMany ? 1 : 0);
      for (let n = 0; ; n++) {
        let answer: Response | undefined;
        let error: unknown;
        try {
          answer = await kit.attempt();
        } catch (e) {
          error = e;
        }
        if (n + 1 >= limit || !build.retryable(answer?.status, kit.idempotent)) {
          if (answer) return answer;
          throw error;
        }
        await kit.sleep(build.delay(n, kit.baseMs, kit.capMs, kit.random));
      }
    },
  };
  return build;
}

describe("retry-backoff build challenge", () => {
  const c = challenges["retry-backoff"];

  it("passes the reference on every stage and case, within 3 s", async () => {
    expect((await c.check(retries())).passed).toBe(true);
    const { value: report, ms } = await timed(() => c.check(retries()));
    expect(report.headline).toBe("Challenge retry-backoff: PASSED (3 of 3 stages, 532 cases)");
    expect(ms).toBeLessThan(3_000);
  });

  it("fails the notebook's starter (one try, no waits) at stage 1, naming the client and what it got", async () => {
    const starter: RetryBuild = { delay: () => 0, retryable: () => false, call: (kit) => kit.attempt() };
    const report = await c.check(starter);
    expect(report.headline).toMatch(/^Challenge retry-backoff: FAILED at stage 1 of 3, works \(\d+ of 8 cases failed\)$/);
    const f = report.stages[0]!.failure!;
    expect(f.invariant).toMatch(/client-\d+'s (GET|POST) \S+.* gave up after 1 of \d tries, although its last (answer, (503|429),|try got no answer) may be retried/);
    expect(f.sequence).toContain("inventory");
  });

  it("fails a constant answer (a made-up 200, never tried)", async () => {
    const report = await c.check({ ...retries(), call: async () => response(200) });
    expect(report.stages[0]!.failure!.invariant).toMatch(/was never tried/);
  });

  it("fails a loop that retries every error, ignoring what the answer says (4xx, no idempotency key)", async () => {
    const report = await c.check(retries({ retryAll: true }));
    expect(report.headline).toMatch(/FAILED at stage 1 of 3/);
    expect(report.failedStage!.failure!.invariant).toMatch(/and was tried again, but (that answer will not change|without an idempotency key)/);
  });

  it("fails backoff without jitter (the hard case: every client comes back at once)", async () => {
    const report = await c.check(retries({ noJitter: true }));
    expect(report.headline).toMatch(/FAILED at stage 2 of 3, survives faults/);
    expect(report.failedStage!.failure!.invariant).toMatch(/\d+ of the \d+ first retries reached inventory within \d+(\.\d+)? ms .* a retry storm/);
  });

  it("fails one try too many, and a 429 not retried for a POST (not shipped)", async () => {
    const extra = await c.check(retries({ oneTooMany: true }));
    expect(extra.headline).toMatch(/FAILED at stage 1 of 3/);
    expect(extra.failedStage!.failure!.invariant).toMatch(/was tried \d times; maxAttempts is \d/);
    const post429 = await c.check(retries({ no429ForPost: true }));
    expect(post429.headline).toMatch(/FAILED at stage 2 of 3/);
    expect(post429.failedStage!.failure!.invariant).toMatch(/429/);
  });

  it("fails a delay built with a 32-bit shift on the edges, and equal jitter under faults (not shipped)", async () => {
    const shift = await c.check(retries({ shift: true }));
    expect(shift.headline).toMatch(/FAILED at stage 3 of 3, holds the edges/);
    expect(shift.failedStage!.failure!.invariant).toMatch(/^delay\(\d+, /);
    const equal = await c.check(retries({ equalJitter: true }));
    // Half of every wait is fixed: with the ceiling at one base, the first retries bunch into
    // its second half, and the storm check sees them arrive together.
    expect(equal.headline).toMatch(/FAILED at stage 2 of 3, survives faults/);
    expect(equal.failedStage!.failure!.invariant).toMatch(/a retry storm/);
  });
});

// ---- timeout -------------------------------------------------------------------------------

interface DeadlineFlaws {
  /** The same timeout on every call, whatever is left. */
  fixedMs?: number;
  /** The whole starting budget on every call, not what is left. */
  startingBudget?: boolean;
  /** No margin: the call gets everything up to the deadline. */
  noMargin?: boolean;
  /** Never stops: calls with at least 1 ms even when the budget is spent. */
  alwaysCall?: boolean;
  /** Answers 200 with the parts it has after a timeout. */
  partial?: boolean;
}
function deadlines(f: DeadlineFlaws = {}): TimeoutBuild {
  return {
    async handle(kit) {
      const parts: Record<string, unknown> = {};
      const start = kit.deadline - kit.now() - kit.marginMs;
      for (const service of ["inventory", "pricing", "shipping"] as const) {
        let budget = kit.deadline - kit.now() - (f.noMargin ? 0 : kit.marginMs);
        if (f.startingBudget) budget = start;
        if (f.fixedMs) budget = f.fixedMs;
        if (f.alwaysCall) budget = Math.max(1, budget);
        if (budget <= 0) return response(504, { error: "DEADLINE_EXCEEDED" });
        try {
          parts[service] = (await kit.call(service, `/${service}?order=${kit.orderId}`, { timeoutMs: budget })).body;
        } catch (error) {
          if (!(error instanceof TimeoutError) || !f.partial) return response(504, { error: "DEADLINE_EXCEEDED" });
          break;
        }
      }
      return response(200, parts);
    },
  };
}

describe("timeout build challenge", () => {
  const c = challenges["timeout"];

  it("passes the reference on every stage and case, within 3 s", async () => {
    expect((await c.check(deadlines())).passed).toBe(true);
    const { value: report, ms } = await timed(() => c.check(deadlines()));
    expect(report.headline).toBe("Challenge timeout: PASSED (3 of 3 stages, 50 cases)");
    expect(ms).toBeLessThan(3_000);
  });

  it("fails the notebook's starter (answers 501 without calling anything) at stage 1, naming the budget left", async () => {
    const report = await c.check({ handle: async () => response(501, "not implemented") });
    expect(report.headline).toMatch(/^Challenge timeout: FAILED at stage 1 of 3, works \(6 of 6 cases failed\)$/);
    const f = report.stages[0]!.failure!;
    expect(f.invariant).toMatch(/^checkout for order-1 \(arrived at \d+ ms, deadline \d+ ms\) answered 501 at \d+ ms without calling inventory, though \d+ ms of budget were left after the margin$/);
    expect(f.case!.size).toBe(1);
    expect(f.sequence).toContain("checkout");
  });

  it("fails a constant 504", async () => {
    const report = await c.check({ handle: async () => response(504) });
    expect(report.headline).toMatch(/FAILED at stage 1 of 3/);
  });

  it("fails a fixed per-call timeout and the starting budget passed on unchanged (both ignore the clock)", async () => {
    const fixed = await c.check(deadlines({ fixedMs: 100 }));
    expect(fixed.headline).toMatch(/FAILED at stage 1 of 3/);
    expect(fixed.failedStage!.failure!.invariant).toMatch(/gave \w+ a timeout of 100 ms at [\d.]+ ms(,)? (though|but only) [\d.]+ ms of budget were left/);
    const starting = await c.check(deadlines({ startingBudget: true }));
    expect(starting.headline).toMatch(/FAILED at stage 1 of 3/);
    expect(starting.failedStage!.failure!.invariant).toMatch(/gave (pricing|shipping) a timeout of \d+ ms at [\d.]+ ms, but only [\d.]+ ms of budget were left/);
  });

  it("fails a handler that still calls when the budget is spent (the hard case)", async () => {
    const report = await c.check(deadlines({ alwaysCall: true }));
    expect(report.passed).toBe(false);
    expect(report.failedStage!.failure!.invariant).toMatch(/started \w+ at [\d.]+ ms with -?[\d.]+ ms left, no budget after the 5 ms margin/);
  });

  it("fails a handler without the margin, and one that answers 200 with the parts it has after a timeout (not shipped)", async () => {
    const noMargin = await c.check(deadlines({ noMargin: true }));
    expect(noMargin.headline).toMatch(/FAILED at stage 1 of 3/);
    const partial = await c.check(deadlines({ partial: true }));
    expect(partial.headline).toMatch(/FAILED at stage 2 of 3, survives faults/);
    expect(partial.failedStage!.failure!.invariant).toMatch(/answered 200, but \w+ did not answer within its budget: the answer is 504/);
  });
});
