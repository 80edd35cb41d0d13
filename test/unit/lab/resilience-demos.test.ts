import { describe, expect, it } from "vitest";
import { DISPLAY } from "../../../src/lab/index";
import { cascadingFailure, retryStorm } from "sde-lab/scenarios";

describe("demo: cascading failure A → B → C with C slow from 2 s to 10 s", () => {
  it("without a breaker, latency and in-flight requests at A pile up; with one they stay bounded (seed 1)", async () => {
    const without = await cascadingFailure({ withBreaker: false, seed: 1 });
    const withBreaker = await cascadingFailure({ withBreaker: true, seed: 1 });

    expect(without).toMatchObject({ requests: 600, ok: 600, failedFast: 0, timedOut: 0, p99Ms: 5680, maxMs: 6013, homeP99Ms: 5470, peakInFlightA: 294, peakAtB: 294 });
    expect(withBreaker).toMatchObject({ requests: 600, ok: 406, failedFast: 194, timedOut: 0, p50Ms: 9, p99Ms: 861, homeP99Ms: 414, peakInFlightA: 36 });
    expect(withBreaker.breaker).toMatchObject({ state: "CLOSED", rejected: 194, transitions: 11 });
    // It opens about a second into the slowdown, probes C every second, and closes once C recovers.
    expect(withBreaker.transitions.map((t) => `${t.time} ${t.to}`)).toEqual([
      "3013 OPEN",
      "4043 HALF_OPEN",
      "4561 OPEN",
      "5604 HALF_OPEN",
      "6129 OPEN",
      "7141 HALF_OPEN",
      "7697 OPEN",
      "8735 HALF_OPEN",
      "9362 OPEN",
      "10368 HALF_OPEN",
      "10471 CLOSED",
    ]);
    expect(withBreaker.transitions[0]!.reason).toBe("slow-call rate 50% ≥ 50% of 10 calls");

    // The difference is large: requests that never need C stay fast too.
    expect(without.p99Ms / withBreaker.p99Ms).toBeGreaterThan(6);
    expect(without.peakInFlightA / withBreaker.peakInFlightA).toBeGreaterThan(8);
    expect(without.homeP99Ms / withBreaker.homeP99Ms).toBeGreaterThan(10);
  });

  it("holds across seeds: at least 4× lower p99 and 5× fewer requests in flight at A", async () => {
    for (const seed of [2, 3, 4]) {
      const without = await cascadingFailure({ withBreaker: false, seed });
      const withBreaker = await cascadingFailure({ withBreaker: true, seed });
      expect(without.p99Ms / withBreaker.p99Ms).toBeGreaterThan(4);
      expect(without.peakInFlightA / withBreaker.peakInFlightA).toBeGreaterThan(5);
    }
  });

  it("is the same run for the same seed", async () => {
    const a = await cascadingFailure({ withBreaker: true, seed: 9 });
    const b = await cascadingFailure({ withBreaker: true, seed: 9 });
    expect(a.sim.trace.text()).toBe(b.sim.trace.text());
  });
});

describe("demo: retry storm, 1000 clients failed at t = 1 s", () => {
  it("without jitter the retries synchronise; full jitter cuts the peak 9× and serves everyone (seed 1)", async () => {
    const none = await retryStorm({ jitter: "none", seed: 1 });
    const full = await retryStorm({ jitter: "full", seed: 1 });

    // No jitter: every retry wave lands in one 100 ms bucket; the server serves 50 per wave.
    expect(none).toMatchObject({ peak: 1000, attempts: 5500, succeeded: 250, gaveUp: 750, finishedAt: 32_031 });
    const waves = none.load.points().filter((p) => p.value > 150);
    expect(waves.map((p) => [p.start, p.value])).toEqual([
      [2000, 1000],
      [4000, 950],
      [8000, 900],
      [16000, 850],
      [32000, 800],
    ]);

    // Full jitter: the same first wave, then retries spread over the backoff window.
    expect(full).toMatchObject({ peak: 110, attempts: 2000, succeeded: 1000, gaveUp: 0 });
    expect(full.finishedAt).toBeLessThan(2100);
    expect(none.peak / full.peak).toBeGreaterThanOrEqual(9);
    expect(none.attempts / full.attempts).toBe(2.75);
    expect(full.load[DISPLAY]()["text/markdown"]).toContain("xychart-beta");
  });

  it("the other jitters fall in between or match full jitter (seed 1)", async () => {
    const equal = await retryStorm({ jitter: "equal", seed: 1 });
    const decorrelated = await retryStorm({ jitter: "decorrelated", seed: 1 });
    expect([equal.peak, equal.attempts, equal.succeeded]).toEqual([203, 2014, 1000]);
    expect([decorrelated.peak, decorrelated.attempts, decorrelated.succeeded]).toEqual([110, 2000, 1000]);
  });

  it("full jitter beats no jitter by at least 5× at the peak for other seeds", async () => {
    for (const seed of [2, 3]) {
      const none = await retryStorm({ jitter: "none", seed });
      const full = await retryStorm({ jitter: "full", seed });
      expect(none.peak / full.peak).toBeGreaterThanOrEqual(5);
      expect(full.succeeded).toBe(1000);
    }
  });
});

describe("cascade demo options", () => {
  it("takes breaker changes: a longer wait in OPEN fails more requests fast and probes C less", async () => {
    const base = await cascadingFailure({ withBreaker: true, seed: 1 });
    const patient = await cascadingFailure({ withBreaker: true, seed: 1, breaker: { waitDurationInOpenState: 5_000 } });
    expect(patient.failedFast).toBeGreaterThan(base.failedFast);
    expect(patient.transitions.filter((t) => t.to === "HALF_OPEN").length).toBeLessThan(base.transitions.filter((t) => t.to === "HALF_OPEN").length);
  });
});
