/**
 * Notebook one-liners over the stale-cache scenario:
 * `await staleCacheDemo()` runs it with the documented 90 s lease expiry and with the 2 ×
 * duration Eureka really uses, and `await compareDiscoveryApproaches()` runs it with
 * client-side and server-side discovery. Both return objects that display as tables. Timer
 * phases come from the seed unless `phases: "aligned"` is given (see `stale-cache-scenario.ts`).
 */
import { DISPLAY, markdown, table, type MimeBundle } from "sde-lab";
import { runStaleCacheScenario, type StaleCacheOptions, type StaleCacheRun } from "./stale-cache-scenario";

/** The stale-cache scenario under both lease-expiry modes. */
export interface StaleCacheDemo {
  /** With the documented 90 s lease expiry. */
  readonly documented: StaleCacheRun;
  /** With Eureka's real expiry (last renewal + 2 × 90 s). */
  readonly asImplemented: StaleCacheRun;
  [DISPLAY](): MimeBundle;
}

/**
 * Runs the stale-cache scenario twice, with the documented and the real lease expiry, on the
 * same seed (so with the same timer phases).
 * @example const demo = await staleCacheDemo(); demo.asImplemented.staleSeconds
 */
export async function staleCacheDemo(options: Omit<StaleCacheOptions, "leaseExpiry"> = {}): Promise<StaleCacheDemo> {
  const documented = await runStaleCacheScenario({ ...options, leaseExpiry: "documented" });
  const asImplemented = await runStaleCacheScenario({ ...options, leaseExpiry: "as-implemented" });
  const many = documented.cacheClearedAtMs.length > 1;
  const demo: StaleCacheDemo = {
    documented,
    asImplemented,
    [DISPLAY]: () =>
      compare(
        `A crashed instance stays in use until its lease expires, the eviction task runs, the registry's response cache refreshes and the callers refresh their caches; ` +
          `each of these timers runs on its own schedule, so each adds a wait.`,
        [documented, asImplemented].map((r) => ({
          "lease expiry": r.options.leaseExpiry,
          "last renewal (s)": sec(r.lastRenewalAtMs),
          "lease expired after (s)": sec(r.leaseExpiresAfterMs),
          "evicted (s)": sec(r.evictedAtMs),
          "registry cache (s)": sec(r.registryCacheUpdatedAtMs),
          ...(many ? { "first cache clears (s)": sec(r.firstCacheClearedAtMs) } : {}),
          [many ? "last cache clears (s)" : "client cache (s)"]: sec(r.cachesClearedAtMs),
          "stale for (s)": r.staleSeconds ?? "still stale",
          "timed out (info)": r.timedOutRequests,
          "failed (5xx, refused)": r.failedRequests,
          requests: r.requests,
        })),
      ),
  };
  return demo;
}

/** The stale-cache scenario with client-side and with server-side discovery. */
export interface DiscoveryComparison {
  readonly clientSide: StaleCacheRun;
  readonly serverSide: StaleCacheRun;
  [DISPLAY](): MimeBundle;
}

/**
 * Runs the stale-cache scenario with client-side and with server-side discovery (3 callers
 * unless `clients` says otherwise) and compares hops per request, registry load, staleness,
 * failures and where the discovery logic has to live. Both runs share the seed, so the
 * registry and the instances have the same timer phases; each client cache has its own.
 */
export async function compareDiscoveryApproaches(options: Omit<StaleCacheOptions, "approach"> = {}): Promise<DiscoveryComparison> {
  const base = { clients: 3, ...options };
  const clientSide = await runStaleCacheScenario({ ...base, approach: "client-side" });
  const serverSide = await runStaleCacheScenario({ ...base, approach: "server-side" });
  const result: DiscoveryComparison = {
    clientSide,
    serverSide,
    [DISPLAY]: () =>
      compare(
        `Client-side discovery saves a hop per request; server-side discovery keeps registry logic out of the clients and has one cache to go stale instead of one per client. ` +
          `"stale for" gives the first and the last cache to drop the dead instance.`,
        [clientSide, serverSide].map((r) => ({
          approach: r.options.approach,
          "hops/request": r.hopsPerRequest,
          "mean latency (ms)": r.meanLatencyMs,
          "registry fetches": r.registryFetches,
          "discovery logic in": r.discoveryLogicIn.join(", "),
          "stale for (s), first–last": range(r.bestStaleSeconds, r.staleSeconds),
          "dead picks": r.deadPicks,
          "timed out (info)": r.timedOutRequests,
          "failed (5xx, refused)": r.failedRequests,
          requests: r.requests,
        })),
      ),
  };
  return result;
}

function sec(ms: number | undefined): number | string {
  return ms === undefined ? "never" : ms / 1000;
}

function range(best: number | undefined, worst: number | undefined): number | string {
  if (worst === undefined) return best === undefined ? "still stale" : `${best}–still stale`;
  return best === worst ? worst : `${best}–${worst}`;
}

function compare(text: string, rows: Record<string, unknown>[]): MimeBundle {
  const head = markdown(text)[DISPLAY]();
  const t = table(rows)[DISPLAY]();
  return { "text/markdown": `${head["text/markdown"]}\n\n${t["text/markdown"]}`, "text/plain": `${head["text/plain"]}\n${t["text/plain"]}` };
}
