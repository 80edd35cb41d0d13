/**
 * The retry-storm topology, for the retry lesson: many clients fail at the same moment and
 * retry. The learner builds the {@link RetryPolicy} in the cell and hands it in; this module
 * builds the server, sends the load and counts first tries and retries apart, so jitter
 * variants can be compared on the retries alone, on one scale.
 */
import { DISPLAY, markdown, mermaid, table, type Displayable, type MimeBundle, type ResiliencePolicy, type Response, type Simulation } from "sde-lab";
import { nonNegative, wholeNumber } from "./checks";

/** Options of {@link runRetryStorm}. Defaults are in {@link RETRY_STORM_DEFAULTS}. */
export interface RetryStormOptions {
  /** Name of the row in tables. Default `"run"`. */
  label?: string;
  /** Clients, each sending one request during the first second. Default 1 000. */
  clients?: number;
  /** Requests the server handles at once after the outage; beyond it, 503. Default 50. */
  capacity?: number;
  /** How long each client waits for one attempt, ms. Default 5 000. */
  attemptTimeoutMs?: number;
}

/** Defaults of {@link RetryStormOptions}. */
export const RETRY_STORM_DEFAULTS = { label: "run", clients: 1_000, capacity: 50, attemptTimeoutMs: 5_000 } as const;

/** Bucket width of the per-bucket counts, ms. */
export const STORM_BUCKET_MS = 100;

/** What one storm measured. */
export interface RetryStormRun extends Displayable {
  readonly label: string;
  readonly clients: number;
  /** Attempts in all; of them first tries and retries. */
  readonly attempts: number;
  readonly retries: number;
  /** The most retries (first tries excluded) reaching the server in one 100 ms bucket. */
  readonly peakRetries: number;
  /** Clients that got a 200, and those still failing after their last attempt. */
  readonly succeeded: number;
  readonly gaveUp: number;
  /** When the last client finished, ms. */
  readonly finishedAtMs: number;
  /** Retries reaching the server per 100 ms bucket, from t = 0. */
  readonly retriesPerBucket: readonly number[];
  row(): Record<string, number | string>;
}

/**
 * Runs the storm: each client sends one request at a random moment in the first second to
 * a server in an outage (it holds requests and then, at t = 1 s, fails them all with 503 at
 * once); afterwards the server takes `capacity` requests at a time (20 ms each) and answers
 * 503 beyond that. Every client sends through `retry.execute`.
 */
export async function runRetryStorm(sim: Simulation, retry: ResiliencePolicy, options: RetryStormOptions = {}): Promise<RetryStormRun> {
  const o = { ...RETRY_STORM_DEFAULTS, ...options };
  wholeNumber("runRetryStorm", "clients", o.clients);
  wholeNumber("runRetryStorm", "capacity", o.capacity);
  nonNegative("runRetryStorm", "attemptTimeoutMs", o.attemptTimeoutMs, 1);
  const outageEnd = 1_000;
  let busy = 0;
  sim.service("api", async (_req, ctx) => {
    if (ctx.sim.now < outageEnd) {
      await ctx.sim.sleep(outageEnd - ctx.sim.now);
      return { status: 503, headers: {}, body: { error: "connection reset" } } satisfies Response;
    }
    if (busy >= o.capacity) return { status: 503, headers: {}, body: { error: "overloaded" } } satisfies Response;
    busy++;
    await ctx.work(20);
    busy--;
    return { ok: true };
  });
  const caller = sim.client("clients");
  const buckets: number[] = [];
  let attempts = 0;
  let retries = 0;
  let gaveUp = 0;
  const starts = Array.from({ length: o.clients }, () => sim.random.uniform(0, outageEnd));
  const statuses = await sim.run(() =>
    Promise.all(
      starts.map(async (at) => {
        await sim.sleep(at);
        let tries = 0;
        try {
          const res = await retry.execute(() => {
            tries++;
            attempts++;
            if (tries > 1) {
              retries++;
              // The attempt reaches the server one network hop (1 ms) later.
              const b = Math.floor((sim.now + 1) / STORM_BUCKET_MS);
              buckets[b] = (buckets[b] ?? 0) + 1;
            }
            return caller.call("api", "GET /", { timeoutMs: o.attemptTimeoutMs });
          });
          if (res.status !== 200) gaveUp++;
          return res.status;
        } catch {
          gaveUp++;
          return 0;
        }
      }),
    ),
  );
  const retriesPerBucket = Array.from(buckets, (v) => v ?? 0);
  const run = {
    label: o.label,
    clients: o.clients,
    attempts,
    retries,
    peakRetries: Math.max(0, ...retriesPerBucket),
    succeeded: statuses.filter((s) => s === 200).length,
    gaveUp,
    finishedAtMs: sim.now,
    retriesPerBucket,
  };
  const row = () => ({
    retry: run.label,
    "peak retries per 100 ms": run.peakRetries,
    attempts: run.attempts,
    retries: run.retries,
    succeeded: run.succeeded,
    "gave up": run.gaveUp,
    "last done (s)": Math.round(run.finishedAtMs / 100) / 10,
  });
  return { ...run, row, [DISPLAY]: () => table([row()])[DISPLAY]() };
}

/**
 * Compares storms on one scale: a table (retries only, first tries excluded), then one chart
 * per run with the same buckets (`bucketMs`), the same time axis and the same y-axis maximum.
 */
export function compareStorms(runs: readonly RetryStormRun[], options: { bucketMs?: number; untilMs?: number } = {}): Displayable {
  const bucketMs = options.bucketMs ?? 500;
  if (bucketMs % STORM_BUCKET_MS !== 0) throw new RangeError(`compareStorms: bucketMs must be a multiple of ${STORM_BUCKET_MS}, got ${bucketMs}`);
  const until = options.untilMs ?? Math.max(...runs.map((r) => r.finishedAtMs));
  const n = Math.max(1, Math.ceil(until / bucketMs));
  const per = bucketMs / STORM_BUCKET_MS;
  const series = runs.map((r) => Array.from({ length: n }, (_, i) => r.retriesPerBucket.slice(i * per, (i + 1) * per).reduce((x, y) => x + y, 0)));
  const top = Math.max(1, ...series.flat());
  const yMax = Math.ceil((top * 1.1) / 10) * 10;
  const xs = Array.from({ length: n }, (_, i) => `"${(i * bucketMs) / 1000}"`).join(", ");
  return {
    [DISPLAY]: (): MimeBundle => {
      const head = table(runs.map((r) => r.row()))[DISPLAY]();
      const charts = runs.map((r, i) =>
        mermaid(
          [
            "xychart-beta",
            `  title "${r.label}: retries per ${bucketMs} ms (first tries excluded)"`,
            `  x-axis "virtual time (s)" [${xs}]`,
            `  y-axis "retries" 0 --> ${yMax}`,
            `  bar [${series[i]!.join(", ")}]`,
          ].join("\n"),
        )[DISPLAY](),
      );
      const note = markdown(`All charts: ${bucketMs} ms buckets from 0 to ${(n * bucketMs) / 1000} s, y axis 0 to ${yMax}.`)[DISPLAY]();
      return {
        "text/markdown": [head["text/markdown"], note["text/markdown"], ...charts.map((ch) => ch["text/markdown"])].join("\n\n"),
        "text/plain": [head["text/plain"], note["text/plain"], ...charts.map((ch) => ch["text/plain"])].join("\n"),
      };
    },
  };
}
