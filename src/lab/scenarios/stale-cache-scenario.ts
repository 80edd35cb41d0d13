/**
 * The stale-cache scenario: a Eureka registry, a few instances of `orders` and callers that
 * send a steady stream of requests. One instance crashes; callers keep choosing it from their
 * cached list until its lease expires, the eviction task removes it, the registry's response
 * cache refreshes and finally the callers' own caches refresh. The run reports how long that
 * took in virtual seconds and how many requests went to the dead instance meanwhile (they time
 * out: outcome unknown, counted apart from definite failures).
 *
 * The defaults use 8 instances because self-preservation needs them: with one of n instances
 * dead, renewals are 2(n − 1) per minute against a threshold of floor(1.7 n), so evictions only
 * go ahead for n ≥ 7. With fewer instances the dead one is never evicted (try `instances: 3`).
 *
 * Timer phases: in a real deployment every instance, client and server started at its own
 * moment, so their 30 s and 60 s timers tick out of step, and each layer (the lease, the
 * eviction run, the registry's response cache, each client's cache) adds its own wait. By
 * default every timer here gets a phase drawn from the seeded random source (the same seed
 * gives the same phases); `phases: "aligned"` starts them all together at t = 0, where the
 * caches happen to refresh right after the eviction: the best case, rarely seen in practice.
 */
import {
  BALANCER_NAMES,
  ConfigError,
  DISPLAY,
  DiscoveryClient,
  EUREKA_REGISTRY_DEFAULTS,
  EurekaInstance,
  EurekaRegistry,
  LEASE_EXPIRY_MODES,
  ServerSideLoadBalancer,
  Simulation,
  TimeoutError,
  markdown,
  table,
  type BalancerName,
  type LeaseExpiryMode,
  type MimeBundle,
  type Response,
  type SimNode,
} from "sde-lab";
import { nonNegative, oneOf, positive, wholeNumber } from "./checks";

/** Client-side or server-side discovery. */
export type DiscoveryApproach = "client-side" | "server-side";

/**
 * How the periodic timers are placed: `"random"` gives each its own phase from the seeded
 * random source; `"aligned"` starts every one at t = 0 (the best case for staleness).
 */
export type StaleCacheTimerPhases = "random" | "aligned";

/** The phase choices, for validation. */
export const STALE_CACHE_TIMER_PHASES: readonly StaleCacheTimerPhases[] = ["random", "aligned"];

/** Options of {@link runStaleCacheScenario}. Defaults are in {@link STALE_CACHE_DEFAULTS}. */
export interface StaleCacheOptions {
  /** Seed of the simulation. Default 1. */
  seed?: number;
  /** Instances of `orders`. Default 8 (enough that one dead instance does not trigger self-preservation). */
  instances?: number;
  /** Callers sending requests. Default 1. */
  clients?: number;
  /** When `orders-1` crashes, virtual ms. Default 100 000. */
  crashAtMs?: number;
  /** Each caller sends one request this often, ms. Default 1 000. */
  requestIntervalMs?: number;
  /** How long a request to an instance may take, ms. Default 1 000. */
  requestTimeoutMs?: number;
  /** Lease expiry of the registry. Default `"documented"`. */
  leaseExpiry?: LeaseExpiryMode;
  /** Client-side (callers discover) or server-side (a load balancer discovers). Default `"client-side"`. */
  approach?: DiscoveryApproach;
  /** Balancing strategy. Default `round-robin`. */
  strategy?: BalancerName;
  /** Registry self-preservation. Default true. */
  enableSelfPreservation?: boolean;
  /** How often callers (or the balancer) refresh their copy of the registry, ms (Eureka client `registryFetchIntervalSeconds`). Default 30 000. */
  refreshIntervalMs?: number;
  /**
   * How often each instance renews its lease, ms (Eureka `leaseRenewalIntervalInSeconds`).
   * Default 30 000. The registry is told the same interval (`expectedClientRenewalIntervalMs`),
   * so self-preservation expects the matching number of renewals.
   */
  renewalIntervalMs?: number;
  /** Lease duration the instances register with, ms (Eureka `leaseExpirationDurationInSeconds`). Default 90 000. */
  leaseDurationMs?: number;
  /** How often the registry's eviction task runs, ms (Eureka `evictionIntervalTimerInMs`). Default 60 000. */
  evictionIntervalMs?: number;
  /** Timer phases: `"random"` (from the seed, the default) or `"aligned"` (all at t = 0, the best case). */
  phases?: StaleCacheTimerPhases;
  /** How long after the crash the run goes on, ms. Default 600 000. */
  observeForMs?: number;
}

/** Defaults for {@link StaleCacheOptions}. */
export const STALE_CACHE_DEFAULTS = {
  seed: 1,
  instances: 8,
  clients: 1,
  crashAtMs: 100_000,
  requestIntervalMs: 1_000,
  requestTimeoutMs: 1_000,
  leaseExpiry: "documented" as LeaseExpiryMode,
  approach: "client-side" as DiscoveryApproach,
  strategy: "round-robin" as BalancerName,
  enableSelfPreservation: true,
  refreshIntervalMs: 30_000,
  renewalIntervalMs: 30_000,
  leaseDurationMs: 90_000,
  evictionIntervalMs: 60_000,
  phases: "random" as StaleCacheTimerPhases,
  observeForMs: 600_000,
} as const;

/** One step of the stale window. */
export interface StaleCacheStep {
  /** What happened. */
  readonly what: string;
  /** Virtual time, ms (undefined: did not happen within the run). */
  readonly atMs: number | undefined;
}

/** The result of one stale-cache run. */
export interface StaleCacheRun {
  readonly options: Readonly<Required<StaleCacheOptions>>;
  /** The crashed instance. */
  readonly victim: string;
  /** The victim's last renewal the registry received, ms. */
  readonly lastRenewalAtMs: number | undefined;
  /** The victim's lease counts as expired after this time, ms. */
  readonly leaseExpiresAfterMs: number | undefined;
  /** The eviction run that removed the victim, ms (undefined: never, e.g. self-preservation). */
  readonly evictedAtMs: number | undefined;
  /** When the registry's read-only response cache stopped listing the victim, ms. */
  readonly registryCacheUpdatedAtMs: number | undefined;
  /** When each caller's cache (or the balancer's) dropped the victim, ms, in caller order (undefined: never). */
  readonly cacheClearedAtMs: readonly (number | undefined)[];
  /** When the first caller cache dropped the victim, ms. */
  readonly firstCacheClearedAtMs: number | undefined;
  /** When the last caller cache (or the balancer's) dropped the victim, ms: the stale window ends. */
  readonly cachesClearedAtMs: number | undefined;
  /** Time from the crash to {@link cachesClearedAtMs}, virtual seconds (undefined: still stale at the end). */
  readonly staleSeconds: number | undefined;
  /** Time from the crash to {@link firstCacheClearedAtMs}, virtual seconds: the luckiest caller. */
  readonly bestStaleSeconds: number | undefined;
  /** Mean over the callers of the time from the crash until their cache dropped the victim, virtual seconds (undefined unless all did). */
  readonly meanStaleSeconds: number | undefined;
  /** Requests sent by all callers. */
  readonly requests: number;
  /**
   * Requests that definitely failed (outcome `fail`): a 5xx other than a gateway timeout, a
   * refused call, or no instance to send them to.
   */
  readonly failedRequests: number;
  /**
   * Requests that timed out: the caller's own timeout, or the balancer's 504 Gateway Timeout.
   * Outcome `info`: nobody knows whether the work was done. With a crashed instance these are
   * the requests sent to it.
   */
  readonly timedOutRequests: number;
  /** Requests routed to the dead instance. */
  readonly deadPicks: number;
  /** Renewals the registry received in the minute before the crash: its heartbeat load with every instance alive. */
  readonly renewalsPerMinute: number;
  /** Renewals the registry accepted during the whole run. */
  readonly renewalsReceived: number;
  /**
   * Phase of each periodic timer, by timer (`eureka eviction`, `eureka response cache`,
   * `orders-1 renewal`, `web refresh`, …): when it first fires, virtual ms; it then repeats at
   * its interval. Callers (or the balancer) also fetch the registry once at t = 0.
   */
  readonly timerPhasesMs: Readonly<Record<string, number>>;
  /** Network hops from caller to instance per request: 1 client-side, 2 server-side. */
  readonly hopsPerRequest: number;
  /** Registry fetches by callers (client-side) or by the balancer (server-side). */
  readonly registryFetches: number;
  /** Nodes that run discovery logic (a registry client and a balancer). */
  readonly discoveryLogicIn: readonly string[];
  /** Mean latency of successful requests as the caller sees it, ms. */
  readonly meanLatencyMs: number;
  /** True if self-preservation held evictions back at some point after the crash. */
  readonly selfPreservationEngaged: boolean;
  /** The steps of the stale window in order. */
  readonly timeline: readonly StaleCacheStep[];
  /** The simulation, for its trace and metrics. */
  readonly sim: Simulation;
  /** The registry, for its table. */
  readonly registry: EurekaRegistry;
  [DISPLAY](): MimeBundle;
}

/** Builds and runs the stale-cache scenario once. */
export async function runStaleCacheScenario(options: StaleCacheOptions = {}): Promise<StaleCacheRun> {
  const o = validate(options);
  const sim = new Simulation({ seed: o.seed });
  const callerNames = Array.from({ length: o.clients }, (_, i) => (o.clients === 1 ? "web" : `web-${i + 1}`));
  const cacheOwners = o.approach === "client-side" ? callerNames : ["lb"];
  // Phases are drawn first, in a fixed order, so they depend on the seed alone and both
  // approaches (and both lease modes) see the same registry and instance phases.
  const timerPhasesMs: Record<string, number> = {};
  const phase = (timer: string, intervalMs: number) => (timerPhasesMs[timer] = o.phases === "aligned" ? intervalMs : sim.random.int(1, Math.ceil(intervalMs)));
  const evictionPhaseMs = phase("eureka eviction", o.evictionIntervalMs);
  const responseCacheUpdatePhaseMs = phase("eureka response cache", EUREKA_REGISTRY_DEFAULTS.responseCacheUpdateIntervalMs);
  const renewalPhases = Array.from({ length: o.instances }, (_, i) => phase(`orders-${i + 1} renewal`, o.renewalIntervalMs));
  const refreshPhases = cacheOwners.map((name) => phase(`${name} refresh`, o.refreshIntervalMs));

  const registry = new EurekaRegistry(sim, {
    leaseExpiry: o.leaseExpiry,
    enableSelfPreservation: o.enableSelfPreservation,
    evictionIntervalMs: o.evictionIntervalMs,
    evictionPhaseMs,
    responseCacheUpdatePhaseMs,
    expectedClientRenewalIntervalMs: o.renewalIntervalMs,
  });
  const instances = renewalPhases.map(
    (renewalPhaseMs, i) =>
      new EurekaInstance(sim, { app: "orders", id: `orders-${i + 1}`, registry, renewalIntervalMs: o.renewalIntervalMs, leaseDurationMs: o.leaseDurationMs, renewalPhaseMs }),
  );
  const victim = "orders-1";

  let lb: ServerSideLoadBalancer | undefined;
  let clients: DiscoveryClient[] = [];
  let callers: { node: SimNode<undefined>; send: () => Promise<Response> }[];
  if (o.approach === "client-side") {
    clients = callerNames.map(
      (name, i) =>
        new DiscoveryClient(sim, {
          name,
          service: "orders",
          registry,
          strategy: o.strategy,
          refreshIntervalMs: o.refreshIntervalMs,
          refreshPhaseMs: refreshPhases[i]!,
          requestTimeoutMs: o.requestTimeoutMs,
        }),
    );
    callers = clients.map((c) => ({ node: c.node, send: () => c.call("GET /orders") }));
  } else {
    const balancer = new ServerSideLoadBalancer(sim, {
      service: "orders",
      registry,
      strategy: o.strategy,
      refreshIntervalMs: o.refreshIntervalMs,
      refreshPhaseMs: refreshPhases[0]!,
      forwardTimeoutMs: o.requestTimeoutMs,
    });
    lb = balancer;
    // Callers wait a little longer than the balancer, so they hear its 504 rather than time out.
    callers = callerNames.map((name) => {
      const node = sim.client(name);
      return { node, send: () => node.call(balancer.name, "GET /orders", { timeoutMs: o.requestTimeoutMs + 1_000 }) };
    });
  }

  let requests = 0;
  let failed = 0;
  let timedOut = 0;
  const latency = sim.metrics.histogram("stale-cache request latency");
  sim.every(o.requestIntervalMs, () => {
    for (const caller of callers) {
      requests++;
      const start = sim.now;
      caller.send().then(
        (res) => {
          // A gateway timeout is the balancer's way of saying "no answer in time": unknown outcome.
          if (res.status === 504) timedOut++;
          else if (res.status >= 500) failed++;
          else latency.record(sim.now - start);
        },
        (error: unknown) => {
          if (error instanceof TimeoutError) timedOut++;
          else failed++;
        },
      );
    }
  });

  let lastRenewalAtMs: number | undefined;
  let leaseExpiresAfterMs: number | undefined;
  let renewalsPerMinute = 0;
  let evictedAtMs: number | undefined;
  let registryCacheUpdatedAtMs: number | undefined;
  let selfPreservationEngaged = false;
  registry.onEvent((e) => {
    if (e.type === "evicted" && e.id === victim) evictedAtMs = e.at;
    if (e.type === "response-cache-updated" && evictedAtMs !== undefined && registryCacheUpdatedAtMs === undefined && !e.ids.includes(victim)) registryCacheUpdatedAtMs = e.at;
    if (e.type === "eviction-run" && e.at > o.crashAtMs && !e.check.evictionAllowed) selfPreservationEngaged = true;
  });
  const caches = lb ? [lb.cache] : clients.map((c) => c.cache);
  const clearedAt = new Map<number, number>();
  caches.forEach((cache, i) =>
    cache.onRefresh((e) => {
      if (e.at <= o.crashAtMs) return;
      if (e.ids.includes(victim)) clearedAt.delete(i);
      else if (!clearedAt.has(i)) clearedAt.set(i, e.at);
    }),
  );

  sim.faults.crash(victim, { at: o.crashAtMs });
  sim.at(o.crashAtMs, () => {
    const lease = registry.leases("orders").find((l) => l.id === victim);
    lastRenewalAtMs = lease?.lastRenewedAt;
    leaseExpiresAfterMs = lease?.expiresAt;
    renewalsPerMinute = registry.selfPreservationCheck().renewalsLastMinute;
  });
  await sim.runUntil(o.crashAtMs + o.observeForMs);

  const cacheClearedAtMs = caches.map((_, i) => clearedAt.get(i));
  const allCleared = clearedAt.size === caches.length;
  const cachesClearedAtMs = allCleared ? Math.max(...clearedAt.values()) : undefined;
  const firstCacheClearedAtMs = clearedAt.size > 0 ? Math.min(...clearedAt.values()) : undefined;
  const afterCrash = (ms: number | undefined) => (ms === undefined ? undefined : (ms - o.crashAtMs) / 1000);
  const routing = lb ? [lb.stats] : clients.map((c) => c.stats);
  const deadPicks = routing.reduce((n, s) => n + s.deadPicks, 0);
  const registryFetches = caches.reduce((n, c) => n + c.stats.fetches, 0);
  const hopsPerRequest = lb ? lb.hopsPerRequest : clients.reduce((n, c) => n + c.hopsPerRequest, 0) / clients.length;
  const summary = latency.summary();
  const many = cacheOwners.length > 1;
  const timeline: StaleCacheStep[] = [
    { what: `${victim} sends its last renewal`, atMs: lastRenewalAtMs },
    { what: `${victim} crashes`, atMs: o.crashAtMs },
    { what: `its lease expires (${o.leaseExpiry})`, atMs: leaseExpiresAfterMs },
    { what: "the eviction task removes it", atMs: evictedAtMs },
    { what: "the registry's response cache drops it", atMs: registryCacheUpdatedAtMs },
    ...(many ? [{ what: "the first client cache drops it", atMs: firstCacheClearedAtMs }] : []),
    { what: lb ? `${lb.name}'s cache drops it` : many ? "the last client cache drops it" : "the client's cache drops it", atMs: cachesClearedAtMs },
  ];
  const run: StaleCacheRun = {
    options: o,
    victim,
    lastRenewalAtMs,
    leaseExpiresAfterMs,
    evictedAtMs,
    registryCacheUpdatedAtMs,
    cacheClearedAtMs,
    firstCacheClearedAtMs,
    cachesClearedAtMs,
    staleSeconds: afterCrash(cachesClearedAtMs),
    bestStaleSeconds: afterCrash(firstCacheClearedAtMs),
    meanStaleSeconds: allCleared ? round3(cacheClearedAtMs.reduce((n: number, ms) => n + (ms! - o.crashAtMs), 0) / caches.length / 1000) : undefined,
    requests,
    failedRequests: failed,
    timedOutRequests: timedOut,
    deadPicks,
    renewalsPerMinute,
    renewalsReceived: instances.reduce((n, i) => n + i.stats.renewalsAccepted, 0),
    timerPhasesMs,
    hopsPerRequest,
    registryFetches,
    discoveryLogicIn: lb ? [lb.name] : callerNames,
    meanLatencyMs: summary.count === 0 ? 0 : summary.mean,
    selfPreservationEngaged,
    timeline,
    sim,
    registry,
    [DISPLAY]: () => showRun(run),
  };
  return run;
}

/** Rounds seconds to whole milliseconds (a mean over three callers rarely divides evenly). */
function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function validate(options: StaleCacheOptions): Required<StaleCacheOptions> {
  const c = "runStaleCacheScenario";
  const o = { ...STALE_CACHE_DEFAULTS, ...options };
  if (typeof o.seed !== "number" || !Number.isFinite(o.seed)) throw new ConfigError(c, "seed", o.seed, "a finite number");
  wholeNumber(c, "instances", o.instances);
  wholeNumber(c, "clients", o.clients);
  nonNegative(c, "crashAtMs", o.crashAtMs);
  positive(c, "requestIntervalMs", o.requestIntervalMs);
  positive(c, "requestTimeoutMs", o.requestTimeoutMs);
  positive(c, "refreshIntervalMs", o.refreshIntervalMs);
  positive(c, "renewalIntervalMs", o.renewalIntervalMs);
  positive(c, "leaseDurationMs", o.leaseDurationMs);
  positive(c, "evictionIntervalMs", o.evictionIntervalMs);
  positive(c, "observeForMs", o.observeForMs);
  oneOf(c, "phases", o.phases, STALE_CACHE_TIMER_PHASES);
  oneOf(c, "leaseExpiry", o.leaseExpiry, LEASE_EXPIRY_MODES);
  oneOf(c, "approach", o.approach, ["client-side", "server-side"]);
  oneOf(c, "strategy", o.strategy, BALANCER_NAMES);
  return o;
}

function seconds(ms: number | undefined): number | string {
  return ms === undefined ? "never" : ms / 1000;
}

function showRun(run: StaleCacheRun): MimeBundle {
  const o = run.options;
  const stale =
    run.staleSeconds === undefined
      ? `still stale ${o.observeForMs / 1000} s after the crash${run.selfPreservationEngaged ? " (self-preservation kept the dead instance registered)" : ""}`
      : `stale for **${run.staleSeconds} s**`;
  const head = markdown(
    `${run.victim} crashed at t=${o.crashAtMs / 1000} s (${o.approach}, lease expiry ${o.leaseExpiry}, ${o.instances} instances, ${o.phases} timer phases): ${stale}; ` +
      `of ${run.requests} requests **${run.timedOutRequests}** timed out (outcome unknown) and **${run.failedRequests}** failed.`,
  )[DISPLAY]();
  const rows = run.timeline.map((step) => ({
    step: step.what,
    "t (s)": seconds(step.atMs),
    "after crash (s)": step.atMs === undefined ? "" : (step.atMs - o.crashAtMs) / 1000,
  }));
  const t = table(rows)[DISPLAY]();
  return { "text/markdown": `${head["text/markdown"]}\n\n${t["text/markdown"]}`, "text/plain": `${head["text/plain"]}\n${t["text/plain"]}` };
}
