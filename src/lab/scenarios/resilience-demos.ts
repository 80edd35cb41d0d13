/**
 * Two small scenarios the resilience notebook runs and the tests pin down: a cascading
 * failure with and without a circuit breaker, and a retry storm with and without jitter.
 * Each builds its own seeded {@link Simulation}, runs it and returns the numbers.
 */
import { BreakerOpenError, CircuitBreaker, DISPLAY, RetryPolicy, Simulation, response, table, type MimeBundle, type BreakerStats, type BreakerTransition, type CircuitBreakerOptions, type JitterKind, type Response, type RetryStats, type TimeSeries } from "sde-lab";

/** Options of {@link cascadingFailure}. */
export interface CascadeOptions {
  /** Put a circuit breaker on B's calls to C (with {@link CASCADE_BREAKER}). */
  withBreaker: boolean;
  /** Seed of the simulation. Default 1. */
  seed?: number;
  /** Changes to {@link CASCADE_BREAKER} (e.g. a longer `waitDurationInOpenState`). */
  breaker?: Partial<CircuitBreakerOptions>;
}

/**
 * The demo's breaker settings, smaller than resilience4j's defaults on purpose: with the
 * defaults the breaker would need 100 recorded calls and would only call a call slow after
 * 60 s, so in a 10-second scenario it would never open. A 10-call window and a 200 ms slow
 * threshold let it notice C's slowdown within about a second; 1 s in OPEN lets it probe C
 * a few times during the run.
 */
export const CASCADE_BREAKER: Readonly<CircuitBreakerOptions> = {
  name: "B→C breaker",
  slidingWindowSize: 10,
  minimumNumberOfCalls: 10,
  slowCallDurationThreshold: 200,
  slowCallRateThreshold: 50,
  waitDurationInOpenState: 1000,
  permittedNumberOfCallsInHalfOpenState: 3,
};

/** What {@link cascadingFailure} measured. */
export interface CascadeResult {
  /** Requests the users sent to A. */
  requests: number;
  /** Of them, answered 200. */
  ok: number;
  /** Of them, answered 503 (B's fallback while the breaker is open). */
  failedFast: number;
  /** Of them, timed out at the users (30 s default timeout). */
  timedOut: number;
  /** Latency at A as the users saw it, in ms. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** p99 of the requests that never needed C (`GET /home`). */
  homeP99Ms: number;
  /** The most requests A was handling at once. */
  peakInFlightA: number;
  /** The most requests at B, running or queued for one of its 10 workers. */
  peakAtB: number;
  /** The breaker's counts (only with a breaker). */
  breaker?: BreakerStats;
  /** The breaker's state changes (only with a breaker). */
  transitions: readonly BreakerTransition[];
  /** The simulation, for traces and metrics. */
  sim: Simulation;
  /** A one-row table of the numbers. */
  [DISPLAY](): MimeBundle;
}

/**
 * Cascading failure: users → A → B → C. Users send 600 requests, about 50 a second
 * (Poisson arrivals, seeded), alternating `GET /orders` (B asks C) and `GET /home` (B
 * answers alone). B has 10 workers; C has 4 and takes 10 ms, but from t = 2 s to t = 10 s
 * it is 50× slower. Without a breaker,
 * B's workers all wait on C, `/home` requests queue behind them, and latency and in-flight
 * requests at A grow for as long as C is slow. With a breaker on B's calls to C, B answers
 * `/orders` with a fast 503 while the circuit is open, so its workers stay free.
 *
 * Simplification: calls use the simulation's default 30 s timeout, as many HTTP clients do.
 */
export async function cascadingFailure(options: CascadeOptions): Promise<CascadeResult> {
  const sim = new Simulation({ seed: options.seed ?? 1 });
  const breaker = options.withBreaker ? new CircuitBreaker(sim, { ...CASCADE_BREAKER, ...options.breaker }) : undefined;
  sim.service(
    "C",
    async (_req, ctx) => {
      await ctx.work(10);
      return { order: "ok" };
    },
    { concurrency: 4 },
  );
  sim.service(
    "B",
    async (req, ctx) => {
      if (req.path !== "/orders") {
        await ctx.work(5);
        return { home: "ok" };
      }
      if (!breaker) return ctx.call("C", req);
      try {
        return await breaker.execute(() => ctx.call("C", req));
      } catch (error) {
        if (error instanceof BreakerOpenError) return response(503, { error: "orders unavailable, try later" });
        throw error;
      }
    },
    { concurrency: 10 },
  );
  const a = sim.service("A", (req, ctx) => ctx.call("B", req));
  const b = sim.node("B");
  const users = sim.client("users");
  sim.faults.slow("C", 50, { at: 2000 });
  sim.faults.slow("C", 1, { at: 10_000 });

  const home = sim.metrics.histogram("latency users → A, GET /home");
  let peakInFlightA = 0;
  let peakAtB = 0;
  const sampler = sim.every(10, () => {
    peakInFlightA = Math.max(peakInFlightA, a.inFlight);
    peakAtB = Math.max(peakAtB, b.inFlight + b.queued);
  });
  const outcomes = await sim.run(async () => {
    const calls: Promise<string>[] = [];
    for (let i = 0; i < 600; i++) {
      const path = i % 2 === 0 ? "/orders" : "/home";
      const start = sim.now;
      calls.push(
        users.call("A", `GET ${path}`).then(
          (res: Response) => {
            if (path === "/home") home.record(sim.now - start);
            return res.status === 200 ? "ok" : "failed";
          },
          () => "timeout",
        ),
      );
      // Whole milliseconds keep the reported latencies readable.
      await sim.sleep(Math.round(sim.random.exponential(20)));
    }
    return Promise.all(calls);
  });
  sampler.cancel();
  const latency = sim.metrics.histogram("latency users → A").summary();
  return {
    requests: outcomes.length,
    ok: outcomes.filter((o) => o === "ok").length,
    failedFast: outcomes.filter((o) => o === "failed").length,
    timedOut: outcomes.filter((o) => o === "timeout").length,
    p50Ms: latency.p50,
    p99Ms: latency.p99,
    maxMs: latency.max,
    homeP99Ms: home.percentile(99),
    peakInFlightA,
    peakAtB,
    breaker: breaker?.stats,
    transitions: breaker?.transitions ?? [],
    sim,
    [DISPLAY](this: CascadeResult): MimeBundle {
      return table([
        {
          setup: breaker ? "breaker on B → C" : "no breaker",
          ok: this.ok,
          "failed fast": this.failedFast,
          "timed out": this.timedOut,
          "p99 (ms)": Math.round(this.p99Ms),
          "/home p99 (ms)": Math.round(this.homeP99Ms),
          "peak in flight at A": this.peakInFlightA,
          transitions: this.transitions.length,
        },
      ])[DISPLAY]();
    },
  };
}

/** Options of {@link retryStorm}. */
export interface RetryStormOptions {
  /** Jitter of every client's retries. */
  jitter: JitterKind;
  /** Seed of the simulation. Default 1. */
  seed?: number;
  /** Clients. Default 1000. */
  clients?: number;
}

/** What {@link retryStorm} measured. */
export interface RetryStormResult {
  /** The most attempts (first tries and retries) that reached the server in one 100 ms bucket. */
  peak: number;
  /** Attempts in all. */
  attempts: number;
  /** Clients that got a 200. */
  succeeded: number;
  /** Clients still failing after their last attempt. */
  gaveUp: number;
  /** When the last client finished, in ms. */
  finishedAt: number;
  /** The retry policy's counts. */
  retry: RetryStats;
  /** Attempts per 100 ms (`.chart()` draws it). */
  load: TimeSeries;
  sim: Simulation;
  /** A one-row table of the numbers. */
  [DISPLAY](): MimeBundle;
}

/**
 * Retry storm: 1000 clients each send one request, at random moments during the first
 * second, to a server that hangs during an outage and then, at t = 1 s, fails them all
 * with 503 at the same moment. Afterwards the server handles 50 requests at a time (20 ms
 * each) and answers 503 beyond that. Every client retries up to 5 times (6 attempts), base
 * 1 s, cap 30 s. Without jitter the retries of all clients land in the same instant, so
 * each wave overloads the server again; with full jitter they spread out and get served.
 */
export async function retryStorm(options: RetryStormOptions): Promise<RetryStormResult> {
  const clients = options.clients ?? 1000;
  const sim = new Simulation({ seed: options.seed ?? 1 });
  const outageEnd = 1000;
  const capacity = 50;
  let busy = 0;
  sim.service("api", async (_req, ctx) => {
    if (ctx.sim.now < outageEnd) {
      await ctx.sim.sleep(outageEnd - ctx.sim.now);
      return response(503, { error: "connection reset" });
    }
    if (busy >= capacity) return response(503, { error: "overloaded" });
    busy++;
    await ctx.work(20);
    busy--;
    return { ok: true };
  });
  const caller = sim.client("clients");
  const retry = new RetryPolicy(sim, { jitter: options.jitter, maxAttempts: 6, baseMs: 1000, maxDelayMs: 30_000, trace: false });
  const load = sim.metrics.timeSeries("attempts at the server", 100);
  const starts = Array.from({ length: clients }, () => sim.random.uniform(0, outageEnd));
  const statuses = await sim.run(() =>
    Promise.all(
      starts.map(async (at) => {
        await sim.sleep(at);
        const res = await retry.execute(() => {
          // The request reaches the server one network hop (1 ms) later.
          load.add(1, sim.now + 1);
          return caller.call("api", "GET /", { timeoutMs: 5000 });
        });
        return res.status;
      }),
    ),
  );
  const stats = retry.stats;
  return {
    peak: load.peak,
    attempts: stats.attempts,
    succeeded: statuses.filter((s) => s === 200).length,
    gaveUp: stats.gaveUp,
    finishedAt: sim.now,
    retry: stats,
    load,
    sim,
    [DISPLAY](this: RetryStormResult): MimeBundle {
      return table([{ jitter: options.jitter, "peak per 100 ms (all attempts)": this.peak, attempts: this.attempts, succeeded: this.succeeded, "gave up": this.gaveUp, "last done (ms)": Math.round(this.finishedAt) }])[DISPLAY]();
    },
  };
}
