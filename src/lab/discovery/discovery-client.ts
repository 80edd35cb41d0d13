/**
 * Client-side discovery: the client keeps its own cached copy of the registry (refreshed every
 * 30 s, Eureka client `registryFetchIntervalSeconds`), picks an instance with a balancing
 * strategy and calls it directly — one network hop per request, but every client needs the
 * discovery logic (a registry client and a load balancer in its own language), and each
 * client's cache can be stale on its own schedule.
 *
 * Simplification: the Eureka client fetches the whole registry and then deltas, and a
 * load-balancer library on top (Ribbon, Spring Cloud LoadBalancer) may add a cache of its own;
 * here one cache holds the service's list and is refreshed in full.
 *
 * The refresh is periodic work that never ends by itself, so `sim.run()` without a scenario
 * never runs out of events while a client exists: use `sim.run(scenario)`, `sim.runFor` or
 * `sim.runUntil`, or call {@link DiscoveryClient.stop} first.
 */
import { DISPLAY, markdown, table, type MimeBundle } from "../display";
import { ConfigError, positive } from "../errors";
import type { Simulation } from "../sim/simulation";
import type { SimNode } from "../sim/node";
import { toRequest, type Request, type Response } from "../sim/http";
import { RejectedError } from "../sim/call-errors";
import type { BalancerName, BalancerStrategy } from "./balancer";
import type { InstanceCache, InstanceCacheRefreshEvent } from "./instance-cache";
import { Router, type DiscoveryRoutingStats } from "./router";
import { discoverySetup } from "./discovery-setup";
import type { DiscoveredInstance, RegistrySource } from "./types";

/** Options of a {@link DiscoveryClient}. Defaults are in {@link DISCOVERY_CLIENT_DEFAULTS}. */
export interface DiscoveryClientOptions {
  /** Name of the client's node, e.g. `web`. */
  name: string;
  /** Service to call, e.g. `orders`. */
  service: string;
  /** Registry to read: an {@link EurekaRegistry} or {@link ConsulRegistry}, or its node name (e.g. `"eureka"`). */
  registry: RegistrySource | string;
  /** Balancing strategy: a name or your own {@link BalancerStrategy}. Default `round-robin`. */
  strategy?: BalancerName | BalancerStrategy;
  /** How often the cached registry is refreshed, ms (Eureka `registryFetchIntervalSeconds`). Default 30 000. */
  refreshIntervalMs?: number;
  /**
   * When the first periodic refresh runs, ms after the client is built (it also fetches
   * once right away). Default: one `refreshIntervalMs`, so clients built together refresh in step with
   * each other and with the registry's timers; give each client its own phase to model
   * clients that started at different times.
   */
  refreshPhaseMs?: number;
  /** How long one request to an instance may take, ms. Default 30 000. */
  requestTimeoutMs?: number;
  /** How long a registry fetch may take, ms. Default 8 000. */
  registryTimeoutMs?: number;
}

/** Defaults for {@link DiscoveryClientOptions}. */
export const DISCOVERY_CLIENT_DEFAULTS = {
  strategy: "round-robin" as BalancerName,
  refreshIntervalMs: 30_000,
  requestTimeoutMs: 30_000,
  registryTimeoutMs: 8_000,
} as const;

/** A client that discovers instances itself and calls them directly. */
export class DiscoveryClient {
  /** The client's node. */
  readonly node: SimNode<undefined>;
  /** The client's cached copy of the instance list. */
  readonly cache: InstanceCache;
  private readonly router: Router;

  constructor(
    private readonly sim: Simulation,
    options: DiscoveryClientOptions,
  ) {
    const c = "DiscoveryClient";
    if (typeof options.name !== "string" || options.name === "") throw new ConfigError(c, "name", options.name, "a non-empty string");
    const o = { ...DISCOVERY_CLIENT_DEFAULTS, ...options };
    const { strategy, createCache } = discoverySetup(sim, c, o);
    positive(c, "requestTimeoutMs", o.requestTimeoutMs);
    this.node = sim.client(o.name);
    this.cache = createCache(this.node);
    this.router = new Router(sim, this.cache, strategy, o.requestTimeoutMs);
  }

  /** Name of the client's node. */
  get name(): string {
    return this.node.name;
  }

  /** Counts of this client's requests (dead picks, failures, timeouts, picks per instance). */
  get stats(): Readonly<DiscoveryRoutingStats> {
    return this.router.stats;
  }

  /** Network hops from this client to an instance per request: 1 (it calls the instance directly). */
  get hopsPerRequest(): number {
    const s = this.router.stats;
    return s.requests === 0 ? 0 : s.forwarded / s.requests;
  }

  /** Requests this client still waits for from `instanceId`. */
  outstanding(instanceId: string): number {
    return this.router.outstanding(instanceId);
  }

  /**
   * The instance the next request would go to now. Changes nothing: it does not count as a
   * request, move the balancing strategy on, or draw random numbers a later pick depends on.
   */
  peek(): DiscoveredInstance | undefined {
    return this.router.peek();
  }

  /** Stops the periodic registry fetches (the cache keeps its last copy; calls still work). */
  stop(): void {
    this.cache.stop();
  }

  /** Subscribes to cache refreshes. */
  onRefresh(listener: (event: InstanceCacheRefreshEvent) => void): () => void {
    return this.cache.onRefresh(listener);
  }

  /**
   * Picks an instance from the cache and calls it.
   * @throws {@link RejectedError} (outcome `fail`) when the cache lists no instance
   * @throws {@link TimeoutError} (outcome `info`) when the chosen instance does not answer in time
   */
  async call(input: Request | string = "GET /"): Promise<Response> {
    const result = await this.router.route(toRequest(input), (node, req, opts) => this.node.call(node, req, opts));
    if (result.kind === "no-instance") throw new RejectedError(`${this.name} has no instance of ${this.cache.service} in its cache`);
    if (result.kind === "error") throw result.error;
    return result.response;
  }

  /** The client's cache and counts. */
  [DISPLAY](): MimeBundle {
    const s = this.router.stats;
    const head = markdown(
      `**${this.name}** (client-side discovery, ${this.router.strategy.name}) — cache of ${this.cache.service}: ` +
        `${this.cache.instances.map((i) => i.id).join(", ") || "empty"}; last refresh ${this.cache.lastRefreshAt === undefined ? "never" : `t=${this.cache.lastRefreshAt / 1000} s`}`,
    )[DISPLAY]();
    const t = table([
      {
        requests: s.requests,
        succeeded: s.succeeded,
        "failed (5xx, refused)": s.failed,
        "timed out (info)": s.timedOut,
        "dead picks": s.deadPicks,
        "hops/request": this.hopsPerRequest,
        "registry fetches": this.cache.stats.fetches,
      },
    ])[DISPLAY]();
    return { "text/markdown": `${head["text/markdown"]}\n\n${t["text/markdown"]}`, "text/plain": `${head["text/plain"]}\n${t["text/plain"]}` };
  }
}
