// Build challenges of the resilience patterns (circuit breaker, retry, timeout): the reference
// passes every stage on every case within 3 s; the notebook's starter fails stage 1 with a
// useful first failure; known-wrong answers fail at the stage that should catch them.
import { describe, expect, it } from "vitest";
import { response } from "sde-lab";
import { breakers, deadlines, retries } from "./resilience-references";
import { challenges } from "sde-lab/challenges";
import type { BreakerBuild } from "../../../src/lab/challenges/build-microservices/circuit-breaker";
import type { RetryBuild } from "../../../src/lab/challenges/build-microservices/retry-backoff";
import { timed } from "./report-helpers";

// ---- circuit-breaker -----------------------------------------------------------------------

describe("circuit-breaker build challenge", () => {
  const c = challenges["circuit-breaker"];

  it("passes the reference on every stage and case, within 3 s", async () => {
    expect((await c.check(breakers())).passed).toBe(true); // once to warm up, as a kernel is after its first cell
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

  it("fails a breaker that throws, with its message (not a silent 500)", async () => {
    const throwing: BreakerBuild = { breaker: () => ({ tryAcquirePermission: () => true, onResult: () => { throw new RangeError("window full"); }, state: () => "CLOSED" }) };
    const report = await c.check(throwing);
    expect(report.headline).toMatch(/FAILED at stage 1 of 3/);
    expect(report.stages[0]!.failure!.invariant).toMatch(/call 1 at \d+ ms: the breaker threw RangeError: window full/);
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
