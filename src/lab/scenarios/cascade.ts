/**
 * The cascade topology, for the circuit breaker and bulkhead lessons: users → A → B → C. The
 * learner builds the pattern in the cell and hands it in as `protect`, the function B uses to
 * call C; this module only builds the services, sends the load and measures.
 */
import { DISPLAY, Histogram, response, table, type Displayable, type Response, type Simulation } from "sde-lab";
import { nonNegative, wholeNumber } from "./checks";

/** How B calls C: `callC` makes the real call; wrap it in your pattern. */
export type CascadeProtect = (callC: () => Promise<Response>) => Promise<Response>;

/** Options of {@link runCascade}. Defaults are in {@link CASCADE_DEFAULTS}. */
export interface CascadeOptions {
  /** Name of the row in tables. Default `"run"`. */
  label?: string;
  /** How B calls C. Default: directly. If it throws, B answers 503 at once (its fallback). */
  protect?: CascadeProtect;
  /** How long a user waits for an answer before giving up, ms. Default 2 000. */
  userTimeoutMs?: number;
  /** Requests the users send (half `GET /orders`, half `GET /home`). Default 600. */
  requests?: number;
  /** Mean gap between requests, ms (Poisson arrivals). Default 20 (about 50 a second). */
  meanGapMs?: number;
  /** When C becomes slow and when it recovers, ms. Default 2 000 and 10 000. */
  slowFromMs?: number;
  slowUntilMs?: number;
  /** How much slower C gets. Default 50 (10 ms → 500 ms a request). */
  slowFactor?: number;
}

/** Defaults of {@link CascadeOptions}. */
export const CASCADE_DEFAULTS = { label: "run", userTimeoutMs: 2_000, requests: 600, meanGapMs: 20, slowFromMs: 2_000, slowUntilMs: 10_000, slowFactor: 50 } as const;

/** What one cascade run measured; renders as a one-row table. */
export interface CascadeRun extends Displayable {
  readonly label: string;
  /** Requests sent; of them answered 200, answered with an error (fast fail), and given up on by the user. */
  readonly requests: number;
  readonly ok: number;
  readonly failedFast: number;
  readonly timedOut: number;
  /** `/orders` requests answered 200. */
  readonly ordersOk: number;
  /** Latency the users saw (a request they gave up on counts as their timeout), ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** p99 of `GET /home`, which never needs C. */
  readonly homeP99Ms: number;
  /** The most requests A handled at once, and the most at B (running or queued for its 10 workers). */
  readonly peakInFlightA: number;
  readonly peakAtB: number;
  /** Work B and C finished for users who had already given up. */
  readonly wastedWork: number;
  /** The row this run adds to a comparison table. */
  row(): Record<string, number | string>;
}

/**
 * Builds the cascade on `sim` and runs it. C has 4 workers and takes 10 ms a request, but
 * from `slowFromMs` to `slowUntilMs` it is `slowFactor` times slower; B has 10 workers; A
 * just forwards. Users alternate `GET /orders` (B asks C) and `GET /home` (B answers alone)
 * and give up after `userTimeoutMs`.
 */
export async function runCascade(sim: Simulation, options: CascadeOptions = {}): Promise<CascadeRun> {
  const o = { ...CASCADE_DEFAULTS, ...options };
  const c = "runCascade";
  nonNegative(c, "userTimeoutMs", o.userTimeoutMs, 1);
  wholeNumber(c, "requests", o.requests);
  nonNegative(c, "meanGapMs", o.meanGapMs);
  const protect: CascadeProtect = options.protect ?? ((callC) => callC());
  sim.service(
    "C",
    async (_req, ctx) => {
      await ctx.work(10);
      return { order: "ok" };
    },
    { concurrency: 4 },
  );
  const b = sim.service(
    "B",
    async (req, ctx) => {
      if (req.path !== "/orders") {
        await ctx.work(5);
        return { home: "ok" };
      }
      try {
        return await protect(() => ctx.call("C", req));
      } catch (error) {
        // B's fallback: a fast, honest "not now" instead of holding the worker.
        return response(503, { error: `orders unavailable (${error instanceof Error ? error.name : "error"})` });
      }
    },
    { concurrency: 10 },
  );
  const a = sim.service("A", (req, ctx) => ctx.call("B", req));
  const users = sim.client("users");
  sim.faults.slow("C", o.slowFactor, { at: o.slowFromMs });
  sim.faults.slow("C", 1, { at: o.slowUntilMs });

  let peakInFlightA = 0;
  let peakAtB = 0;
  const sampler = sim.every(10, () => {
    peakInFlightA = Math.max(peakInFlightA, a.inFlight);
    peakAtB = Math.max(peakAtB, b.inFlight + b.queued);
  });
  const all: number[] = [];
  const home: number[] = [];
  const outcomes = await sim.run(async () => {
    const calls: Promise<"ok" | "failed" | "timeout" | "orders-ok">[] = [];
    for (let i = 0; i < o.requests; i++) {
      const path = i % 2 === 0 ? "/orders" : "/home";
      const start = sim.now;
      const seen = (ms: number) => {
        all.push(ms);
        if (path === "/home") home.push(ms);
      };
      calls.push(
        users.call("A", `GET ${path}`, { timeoutMs: o.userTimeoutMs }).then(
          (res) => {
            seen(sim.now - start);
            if (res.status !== 200) return "failed";
            return path === "/orders" ? "orders-ok" : "ok";
          },
          () => {
            seen(o.userTimeoutMs);
            return "timeout";
          },
        ),
      );
      // Whole milliseconds keep the reported latencies readable.
      await sim.sleep(Math.round(sim.random.exponential(o.meanGapMs)));
    }
    const done = await Promise.all(calls);
    await sim.sleep(o.slowUntilMs); // let abandoned work drain, so wasted work is counted
    return done;
  });
  sampler.cancel();
  const count = (...kinds: string[]) => outcomes.filter((x) => kinds.includes(x)).length;
  const run = {
    label: o.label,
    requests: outcomes.length,
    ok: count("ok", "orders-ok"),
    failedFast: count("failed"),
    timedOut: count("timeout"),
    ordersOk: count("orders-ok"),
    p50Ms: percentile(all, 50),
    p99Ms: percentile(all, 99),
    homeP99Ms: percentile(home, 99),
    peakInFlightA,
    peakAtB,
    wastedWork: b.stats.wastedWork + sim.node("C").stats.wastedWork + a.stats.wastedWork,
  };
  const row = () => ({
    setup: run.label,
    ok: run.ok,
    "failed fast": run.failedFast,
    "users gave up": run.timedOut,
    "/orders ok": run.ordersOk,
    "p99 (ms)": Math.round(run.p99Ms),
    "/home p99 (ms)": Math.round(run.homeP99Ms),
    "peak in flight at A": run.peakInFlightA,
    "peak at B": run.peakAtB,
  });
  return { ...run, row, [DISPLAY]: () => table([row()])[DISPLAY]() };
}

/** Nearest-rank percentile of `values` (0 when empty), by the lab's one percentile: {@link Histogram}. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const h = new Histogram("percentile");
  for (const v of values) h.record(v);
  return h.percentile(p);
}
