/**
 * The stale-cache scenario: a Eureka registry, a few instances of `orders` and callers that
 * send a steady stream of requests. One instance crashes; callers keep choosing it from their
 * cached list until its lease expires, the eviction task removes it, the registry's response
 * cache refreshes and finally the callers' own caches refresh. The run reports how long that
 * took in virtual seconds and how many requests failed meanwhile.
 *
 * The defaults use 8 instances because self-preservation needs them: with one of n instances
 * dead, renewals are 2(n − 1) per minute against a threshold of floor(1.7 n), so evictions only
 * go ahead for n ≥ 7. With fewer instances the dead one is never evicted (try `instances: 3`).
 */
import { DISPLAY, markdown, table, type MimeBundle } from "../display";
import { ConfigError, nonNegative, oneOf, positive, wholeNumber } from "../errors";
import { Simulation } from "../sim/simulation";
import type { SimNode } from "../sim/node";
import type { Response } from "../sim/http";
import { EurekaRegistry } from "./eureka-registry";
import { EurekaInstance } from "./eureka-instance";
import { DiscoveryClient } from "./discovery-client";
import { ServerSideLoadBalancer } from "./server-side-lb";
import { BALANCER_NAMES, type BalancerName } from "./balancer";
import { LEASE_EXPIRY_MODES, type LeaseExpiryMode } from "./lease";

/** Client-side or server-side discovery. */
export type DiscoveryApproach = "client-side" | "server-side";

/** Options of {@link runStaleCacheScenario}. Defaults are in {@link STALE_CACHE_DEFAULTS}. */
export interface StaleCacheOptions {
  /** Seed of the simulation. Default 1. */
  seed?: number;
  /** Instances of `orders`. Default 8 (enough that one dead instance does not trigger self-preservation). */
  instances?: number;
  /** Callers sending requests. Default 1. */
  clients?: number;
  /** When `orders-1` crashes, virtual ms. Default 100 000 (10 s after its last renewal). */
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
  /** How often callers (or the balancer) refresh their copy of the registry, ms. Default 30 000. */
  refreshIntervalMs?: number;
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
  /** When the last caller cache (or the balancer's) dropped the victim, ms: the stale window ends. */
  readonly cachesClearedAtMs: number | undefined;
  /** Time from the crash to {@link cachesClearedAtMs}, virtual seconds (undefined: still stale at the end). */
  readonly staleSeconds: number | undefined;
  /** Requests sent by all callers. */
  readonly requests: number;
  /** Requests without a usable answer (timeouts, 5xx); all of them went to the dead instance. */
  readonly failedRequests: number;
  /** Requests routed to the dead instance. */
  readonly deadPicks: number;
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
  const registry = new EurekaRegistry(sim, { leaseExpiry: o.leaseExpiry, enableSelfPreservation: o.enableSelfPreservation });
  for (let i = 1; i <= o.instances; i++) new EurekaInstance(sim, { app: "orders", id: `orders-${i}` });
  const victim = "orders-1";
  const callerNames = Array.from({ length: o.clients }, (_, i) => (o.clients === 1 ? "web" : `web-${i + 1}`));

  let lb: ServerSideLoadBalancer | undefined;
  let clients: DiscoveryClient[] = [];
  let callers: { node: SimNode<undefined>; send: () => Promise<Response> }[];
  if (o.approach === "client-side") {
    clients = callerNames.map(
      (name) => new DiscoveryClient(sim, { name, service: "orders", registry, strategy: o.strategy, refreshIntervalMs: o.refreshIntervalMs, requestTimeoutMs: o.requestTimeoutMs }),
    );
    callers = clients.map((c) => ({ node: c.node, send: () => c.call("GET /orders") }));
  } else {
    const balancer = new ServerSideLoadBalancer(sim, {
      service: "orders",
      registry,
      strategy: o.strategy,
      refreshIntervalMs: o.refreshIntervalMs,
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
  const latency = sim.metrics.histogram("stale-cache request latency");
  sim.every(o.requestIntervalMs, () => {
    for (const caller of callers) {
      requests++;
      const start = sim.now;
      caller.send().then(
        (res) => {
          if (res.status >= 500) failed++;
          else latency.record(sim.now - start);
        },
        () => failed++,
      );
    }
  });

  let lastRenewalAtMs: number | undefined;
  let leaseExpiresAfterMs: number | undefined;
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
  });
  await sim.runUntil(o.crashAtMs + o.observeForMs);

  const cachesClearedAtMs = clearedAt.size === caches.length ? Math.max(...clearedAt.values()) : undefined;
  const routing = lb ? [lb.stats] : clients.map((c) => c.stats);
  const deadPicks = routing.reduce((n, s) => n + s.deadPicks, 0);
  const registryFetches = caches.reduce((n, c) => n + c.stats.fetches, 0);
  const hopsPerRequest = lb ? lb.hopsPerRequest : clients.reduce((n, c) => n + c.hopsPerRequest, 0) / clients.length;
  const summary = latency.summary();
  const timeline: StaleCacheStep[] = [
    { what: `${victim} sends its last renewal`, atMs: lastRenewalAtMs },
    { what: `${victim} crashes`, atMs: o.crashAtMs },
    { what: `its lease expires (${o.leaseExpiry})`, atMs: leaseExpiresAfterMs },
    { what: "the eviction task removes it", atMs: evictedAtMs },
    { what: "the registry's response cache drops it", atMs: registryCacheUpdatedAtMs },
    { what: lb ? `${lb.name}'s cache drops it` : callers.length === 1 ? "the client's cache drops it" : "the last client cache drops it", atMs: cachesClearedAtMs },
  ];
  const run: StaleCacheRun = {
    options: o,
    victim,
    lastRenewalAtMs,
    leaseExpiresAfterMs,
    evictedAtMs,
    registryCacheUpdatedAtMs,
    cachesClearedAtMs,
    staleSeconds: cachesClearedAtMs === undefined ? undefined : (cachesClearedAtMs - o.crashAtMs) / 1000,
    requests,
    failedRequests: failed,
    deadPicks,
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
  positive(c, "observeForMs", o.observeForMs);
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
    `${run.victim} crashed at t=${o.crashAtMs / 1000} s (${o.approach}, lease expiry ${o.leaseExpiry}, ${o.instances} instances): ${stale}; ` +
      `**${run.failedRequests}** of ${run.requests} requests failed.`,
  )[DISPLAY]();
  const rows = run.timeline.map((step) => ({
    step: step.what,
    "t (s)": seconds(step.atMs),
    "after crash (s)": step.atMs === undefined ? "" : (step.atMs - o.crashAtMs) / 1000,
  }));
  const t = table(rows)[DISPLAY]();
  return { "text/markdown": `${head["text/markdown"]}\n\n${t["text/markdown"]}`, "text/plain": `${head["text/plain"]}\n${t["text/plain"]}` };
}
