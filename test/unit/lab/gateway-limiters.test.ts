import { describe, expect, it } from "vitest";
import { ConfigError, DISPLAY } from "../../../src/lab/index";
import {
  FixedWindow,
  LeakyBucket,
  SlidingWindowCounter,
  SlidingWindowLog,
  TokenBucket,
  burstAt,
  compareLimiters,
  retryAfterSeconds,
  runLimiter,
  steadyArrivals,
  type RateDecision,
  type RateLimiter,
} from "../../../src/lab/gateway/index";

/** Decisions as compact strings: `ok`, `ok+500` (delayed 500 ms), `no:700` (retry after 700 ms). */
function feed(limiter: RateLimiter, times: number[], key = "c"): string[] {
  return times.map((t) => show(limiter.tryAcquire(key, t)));
}
function show(d: RateDecision): string {
  return d.allowed ? (d.delayMs > 0 ? `ok+${d.delayMs}` : "ok") : `no:${d.retryAfterMs}`;
}

describe("token bucket", () => {
  it("lets a burst of capacity through, then refills at the rate", () => {
    const tb = new TokenBucket({ capacity: 3, refillPerSecond: 1 });
    expect(feed(tb, [0, 0, 0, 0, 500, 1000, 1000, 5000, 5000, 5000, 5000])).toEqual([
      "ok",
      "ok",
      "ok",
      "no:1000",
      "no:500", // half a token has come back
      "ok",
      "no:1000",
      "ok", // 4 s of refill is capped at 3 tokens
      "ok",
      "ok",
      "no:1000",
    ]);
    expect(tb.inspect("c", 5250)).toEqual({ tokens: 0.25 });
  });

  it("demo: a burst of 100 against 10/s with capacity 20 passes 20 at once, then 10 a second", () => {
    const tb = new TokenBucket({ capacity: 20, refillPerSecond: 10 });
    const burst = runLimiter(tb, burstAt(0, 100));
    expect(burst.allowedCount).toBe(20);
    expect(burst.allowed.slice(0, 20).every(Boolean)).toBe(true);
    expect(burst.allowed.slice(20).some(Boolean)).toBe(false);
    // Every refused request of the burst may retry when the next token lands, 100 ms later.
    expect(new Set(burst.entries.slice(20).map((e) => (e.decision.allowed ? 0 : e.decision.retryAfterMs)))).toEqual(new Set([100]));

    // Then 50 requests a second, evenly (every 20 ms) until t = 5 s.
    const steady = runLimiter(tb, steadyArrivals(0, 4980, 50));
    expect(steady.entries).toHaveLength(249);
    // Tokens land at 100, 200, … ms: 9 in the first second (the 10th lands at 1000 ms), then 10 a second.
    expect(steady.perBucket().map((b) => b.allowed)).toEqual([9, 10, 10, 10, 10]);
    expect(steady.perBucket().map((b) => b.rejected)).toEqual([40, 40, 40, 40, 40]);
    expect(steady.entries.filter((e) => e.decision.allowed).slice(0, 3).map((e) => e.time)).toEqual([100, 200, 300]);
    // The first steady request (t = 20 ms) finds 0.2 tokens: 80 ms to go.
    expect(steady.entries[0]!.decision).toEqual({ allowed: false, retryAfterMs: 80 });
  });

  it("keeps a bucket per client", () => {
    const tb = new TokenBucket({ capacity: 1, refillPerSecond: 1 });
    expect([show(tb.tryAcquire("alice", 0)), show(tb.tryAcquire("alice", 0)), show(tb.tryAcquire("bob", 0))]).toEqual(["ok", "no:1000", "ok"]);
    expect(tb.totals("alice")).toEqual({ allowed: 1, rejected: 1 });
    expect(tb.keys).toEqual(["alice", "bob"]);
  });

  it("can start partly empty", () => {
    const tb = new TokenBucket({ capacity: 5, refillPerSecond: 2, initialTokens: 1 });
    expect(feed(tb, [0, 0, 250])).toEqual(["ok", "no:500", "no:250"]);
  });
});

describe("leaky bucket", () => {
  it("as a queue: spaces requests at the leak rate and refuses when the queue is full", () => {
    const lb = new LeakyBucket({ leakPerSecond: 2, queueSize: 2 });
    expect(feed(lb, [0, 0, 0, 0, 500, 500, 2000])).toEqual([
      "ok", // idle: leaves at once
      "ok+500",
      "ok+1000",
      "no:500", // 2 waiting: room when the head leaves at 500 ms
      "ok+1000", // the 500 ms one left; this one leaves at 1500 ms
      "no:500",
      "ok", // everything has drained
    ]);
    expect(lb.inspect("c", 2000)).toEqual({ queued: 0 });
  });

  it("as a meter: the same yes/no, but no waiting (NGINX nodelay)", () => {
    const lb = new LeakyBucket({ leakPerSecond: 2, queueSize: 2, mode: "meter" });
    expect(feed(lb, [0, 0, 0, 0, 500, 500, 2000])).toEqual(["ok", "ok", "ok", "no:500", "ok", "no:500", "ok"]);
  });

  it("with no queue (NGINX's default burst 0) only evenly spaced requests pass", () => {
    const lb = new LeakyBucket({ leakPerSecond: 2 });
    expect(feed(lb, [0, 100, 499, 500, 900, 1000])).toEqual(["ok", "no:400", "no:1", "ok", "no:100", "ok"]);
  });
});

describe("fixed window", () => {
  it("counts per window and resets at the boundary", () => {
    const fw = new FixedWindow({ limit: 3, windowMs: 1000 });
    expect(feed(fw, [0, 100, 200, 300, 999, 1000, 1500])).toEqual(["ok", "ok", "ok", "no:700", "no:1", "ok", "ok"]);
    expect(fw.inspect("c", 1500)).toEqual({ windowStart: 1000, count: 2, remaining: 1 });
  });

  it("lets 2 × the limit through across a boundary, where the sliding log does not", () => {
    const times = [...burstAt(990, 10), ...burstAt(1000, 11)];
    const fixed = runLimiter(new FixedWindow({ limit: 10, windowMs: 1000 }), times);
    expect(fixed.allowedCount).toBe(20); // 20 requests within 10 ms against a limit of 10 per second
    expect(fixed.entries.at(-1)!.decision).toEqual({ allowed: false, retryAfterMs: 1000 });
    const log = runLimiter(new SlidingWindowLog({ limit: 10, windowMs: 1000 }), times);
    expect(log.allowedCount).toBe(10);
    expect(log.entries[10]!.decision).toEqual({ allowed: false, retryAfterMs: 990 });
    const counter = runLimiter(new SlidingWindowCounter({ limit: 10, windowMs: 1000 }), times);
    // At t = 1000 the estimate is 10·(1 − 0) + 0 = 10: no room.
    expect(counter.allowedCount).toBe(10);
  });
});

describe("sliding window log", () => {
  it("is exact: a request counts for exactly windowMs", () => {
    const log = new SlidingWindowLog({ limit: 3, windowMs: 1000 });
    expect(feed(log, [0, 300, 600, 900, 999, 1000, 1100, 1300])).toEqual(["ok", "ok", "ok", "no:100", "no:1", "ok", "no:200", "ok"]);
    expect(log.inspect("c", 1300)).toEqual({ inWindow: 3, stored: 3 });
  });
});

describe("sliding window counter", () => {
  it("estimate = previous · (1 − elapsed/window) + current, allowed while below the limit", () => {
    const sw = new SlidingWindowCounter({ limit: 10, windowMs: 1000 });
    expect(feed(sw, [100, 200, 300, 400, 500, 600, 700, 800])).toEqual(Array(8).fill("ok"));
    // 250 ms into the next window: 8 · 0.75 + 0 = 6.
    expect(sw.estimate("c", 1250)).toBe(6);
    expect(sw.estimate("c", 1500)).toBe(4);
    // Estimates 6, 7, 8, 9 are below 10; at 10 the fifth is refused until the estimate drops.
    expect(feed(sw, [1250, 1250, 1250, 1250, 1250])).toEqual(["ok", "ok", "ok", "ok", "no:1"]);
    expect(sw.estimate("c", 1250)).toBe(10);
    // One ms later 8 · 0.749 + 4 = 9.992 < 10 lets one more in; then 8 · (1 − e/1000) + 5 < 10 needs e > 375.
    expect(feed(sw, [1251, 1251])).toEqual(["ok", "no:125"]);
    expect(sw.inspect("c", 1375)).toEqual({ previous: 8, current: 5, estimate: 10 });
    expect(feed(sw, [1375, 1376])).toEqual(["no:1", "ok"]);
    // Two windows later both counts are stale.
    expect(sw.estimate("c", 3000)).toBe(0);
  });

  it("a full window makes the client wait into the next one", () => {
    const sw = new SlidingWindowCounter({ limit: 2, windowMs: 1000 });
    // Full at 2: in the next window 2 · (1 − e/1000) < 2 needs e > 0; then 2 · (1 − e/1000) + 1 < 2 needs e > 500.
    expect(feed(sw, [0, 0, 0, 1000, 1001, 1001, 1500, 1501])).toEqual(["ok", "ok", "no:1001", "no:1", "ok", "no:500", "no:1", "ok"]);
  });
});

describe("limiter helpers and validation", () => {
  it("Retry-After is whole seconds, rounded up, at least 1", () => {
    expect([100, 999, 1000, 1001, 2500, 0.2].map(retryAfterSeconds)).toEqual([1, 1, 1, 2, 3, 1]);
  });

  it("compares limiters on one timeline", () => {
    const cmp = compareLimiters([new TokenBucket({ capacity: 5, refillPerSecond: 5 }), new FixedWindow({ limit: 5, windowMs: 1000 })], [...burstAt(0, 10), ...burstAt(1000, 10)]);
    expect(cmp.runs.map((r) => r.allowedCount)).toEqual([10, 10]);
    const md = cmp[DISPLAY]()["text/markdown"]!;
    expect(md).toContain("| from (ms) | arrivals | token bucket (capacity 5, 5/s) | fixed window (5 per 1000 ms) |");
    expect(md).toContain("| 1000 | 10 | 5 | 5 |");
  });

  it("shows per-client state as a table", () => {
    const tb = new TokenBucket({ capacity: 2, refillPerSecond: 1 });
    tb.tryAcquire("alice", 0);
    tb.tryAcquire("bob", 500);
    const plain = tb[DISPLAY]()["text/plain"]!;
    expect(plain).toContain("token bucket (capacity 2, 1/s) at t=500 ms");
    expect(plain).toMatch(/alice\s+1\s+0\s+1\.5/);
    expect(plain).toMatch(/bob\s+1\s+0\s+1\b/);
  });

  it("reports decisions to listeners until unsubscribed", () => {
    const fw = new FixedWindow({ limit: 1, windowMs: 1000 });
    const seen: string[] = [];
    const stop = fw.onDecision((e) => seen.push(`${e.key}@${e.now}:${show(e.decision)}`));
    fw.tryAcquire("a", 0);
    fw.tryAcquire("a", 10);
    stop();
    fw.tryAcquire("a", 20);
    expect(seen).toEqual(["a@0:ok", "a@10:no:990"]);
  });

  it("rejects bad settings naming the parameter", () => {
    expect(() => new TokenBucket({ capacity: 0 })).toThrow(new ConfigError("TokenBucket", "capacity", 0, "a whole number ≥ 1"));
    expect(() => new TokenBucket({ capacity: 0 })).toThrow("TokenBucket: capacity must be a whole number ≥ 1, got 0");
    expect(() => new TokenBucket({ refillPerSecond: -1 })).toThrow("TokenBucket: refillPerSecond must be a finite number > 0, got -1");
    expect(() => new TokenBucket({ capacity: 5, initialTokens: 6 })).toThrow("TokenBucket: initialTokens must be a number from 0 to capacity (5), got 6");
    expect(() => new LeakyBucket({ leakPerSecond: -2 })).toThrow("LeakyBucket: leakPerSecond must be a finite number > 0, got -2");
    expect(() => new LeakyBucket({ queueSize: 1.5 })).toThrow("LeakyBucket: queueSize must be a whole number ≥ 0, got 1.5");
    expect(() => new FixedWindow({ limit: 0 })).toThrow("FixedWindow: limit must be a whole number ≥ 1, got 0");
    expect(() => new SlidingWindowLog({ windowMs: 0 })).toThrow("SlidingWindowLog: windowMs must be a finite number > 0, got 0");
    expect(() => new SlidingWindowCounter({ limit: -3 })).toThrow("SlidingWindowCounter: limit must be a whole number ≥ 1, got -3");
    const tb = new TokenBucket({ capacity: 1, refillPerSecond: 1 });
    tb.tryAcquire("a", 100);
    expect(() => tb.tryAcquire("a", 50)).toThrow(ConfigError);
    expect(() => tb.tryAcquire("a", -1)).toThrow("TokenBucket.tryAcquire: now must be a finite number ≥ 0, got -1");
  });

  it("uses real-system defaults", () => {
    const tb = new TokenBucket();
    expect([tb.capacity, tb.refillPerSecond]).toEqual([5000, 10000]);
    const fw = new FixedWindow();
    expect([fw.limit, fw.windowMs]).toEqual([5000, 3_600_000]);
    expect(new LeakyBucket().queueSize).toBe(0);
  });
});
