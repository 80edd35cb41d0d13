/**
 * Server-side discovery: clients call one load-balancer node (AWS ELB/ALB, an NGINX or Envoy
 * in front of the service); the balancer reads the registry (with its own cache and refresh)
 * and forwards each request to an instance. Clients need no discovery logic, only the
 * balancer's address; each request crosses two hops instead of one, and the balancer is one
 * more component to run and scale.
 *
 * Simplification: the balancer only learns about dead instances from the registry; real ones
 * usually also run their own health checks.
 *
 * The registry refresh is periodic work that never ends by itself, so `sim.run()` without a
 * scenario never runs out of events while a balancer exists: use `sim.run(scenario)`,
 * `sim.runFor` or `sim.runUntil`, or call {@link ServerSideLoadBalancer.stop} first.
 */
import { DISPLAY, markdown, table, type MimeBundle } from "../display";
import { positive } from "../errors";
import type { Simulation } from "../sim/simulation";
import type { SimNode } from "../sim/node";
import { response, type Response } from "../sim/http";
import type { BalancerName, BalancerStrategy } from "./balancer";
import type { InstanceCache } from "./instance-cache";
import { Router, type DiscoveryRoutingStats } from "./router";
import { TimeoutError } from "../sim/call-errors";
import { discoverySetup } from "./discovery-setup";
import type { DiscoveredInstance, RegistrySource } from "./types";

/** Options of a {@link ServerSideLoadBalancer}. Defaults are in {@link SERVER_SIDE_LB_DEFAULTS}. */
export interface ServerSideLoadBalancerOptions {
  /** Node name of the balancer. Default `lb`. */
  name?: string;
  /** Service behind the balancer, e.g. `orders`. */
  service: string;
  /** Registry the balancer reads: an {@link EurekaRegistry} or {@link ConsulRegistry}, or its node name (e.g. `"eureka"`). */
  registry: RegistrySource | string;
  /** Balancing strategy. Default `round-robin`. */
  strategy?: BalancerName | BalancerStrategy;
  /** How often the balancer refreshes its copy of the registry, ms. Default 30 000. */
  refreshIntervalMs?: number;
  /**
   * When the first periodic refresh runs, ms after the balancer is built (it also fetches
   * once right away). Default: one `refreshIntervalMs`, in step with everything built at the same time.
   */
  refreshPhaseMs?: number;
  /** How long the balancer waits for an instance, ms; then it answers 504 (a call refused by the instance gets 502). Default 30 000. */
  forwardTimeoutMs?: number;
  /** How long a registry fetch may take, ms. Default 8 000. */
  registryTimeoutMs?: number;
}

/** Defaults for {@link ServerSideLoadBalancerOptions}. */
export const SERVER_SIDE_LB_DEFAULTS = {
  name: "lb",
  strategy: "round-robin" as BalancerName,
  refreshIntervalMs: 30_000,
  forwardTimeoutMs: 30_000,
  registryTimeoutMs: 8_000,
} as const;

/** A load-balancer node that discovers instances for its clients. */
export class ServerSideLoadBalancer {
  /** The balancer's node: call it like any service. */
  readonly node: SimNode<undefined>;
  /** The balancer's cached copy of the instance list. */
  readonly cache: InstanceCache;
  private readonly router: Router;

  constructor(
    private readonly sim: Simulation,
    options: ServerSideLoadBalancerOptions,
  ) {
    const c = "ServerSideLoadBalancer";
    const o = { ...SERVER_SIDE_LB_DEFAULTS, ...options };
    positive(c, "forwardTimeoutMs", o.forwardTimeoutMs);
    const { strategy, createCache } = discoverySetup(sim, c, o);
    this.node = sim.service<undefined>(o.name, async (req, ctx): Promise<Response> => {
      const result = await this.router.route(req, (node, r, opts) => ctx.call(node, r, opts));
      if (result.kind === "no-instance") return response(503, { error: `${o.name} knows no instance of ${o.service}` });
      if (result.kind === "error") {
        return result.error instanceof TimeoutError
          ? response(504, { error: `${result.instance.id} did not answer ${o.name} in time` })
          : response(502, { error: `${result.instance.id} refused the call from ${o.name}` });
      }
      return result.response;
    });
    this.cache = createCache(this.node);
    this.router = new Router(sim, this.cache, strategy, o.forwardTimeoutMs);
  }

  /** Node name of the balancer. */
  get name(): string {
    return this.node.name;
  }

  /** Counts of the requests the balancer routed. */
  get stats(): Readonly<DiscoveryRoutingStats> {
    return this.router.stats;
  }

  /** The instance the next request would go to now. Changes nothing (see {@link BalancerStrategy.peek}). */
  peek(): DiscoveredInstance | undefined {
    return this.router.peek();
  }

  /** Stops the periodic registry fetches (the cache keeps its last copy; the balancer still forwards). */
  stop(): void {
    this.cache.stop();
  }

  /** Network hops per request from a client to an instance: 1 to the balancer + 1 forwarded = 2. */
  get hopsPerRequest(): number {
    const s = this.router.stats;
    return s.requests === 0 ? 0 : 1 + s.forwarded / s.requests;
  }

  /** The balancer's stats: requests per instance, failures, dead picks. */
  [DISPLAY](): MimeBundle {
    const s = this.router.stats;
    const head = markdown(
      `**${this.name}** (server-side discovery, ${this.router.strategy.name}) — ${s.requests} requests, ${s.failed} failed (5xx, refused), ` +
        `${s.timedOut} timed out (outcome unknown), ${s.deadPicks} sent to a dead instance, ${Math.round(this.hopsPerRequest * 100) / 100} hops/request; cache of ` +
        `${this.cache.service}: ${this.cache.instances.map((i) => i.id).join(", ") || "empty"}`,
    )[DISPLAY]();
    const nodes = new Map(this.cache.instances.map((i) => [i.id, i.node]));
    const ids = [...new Set([...nodes.keys(), ...Object.keys(s.picks)])];
    const rows = ids.map((id) => ({
      instance: id,
      "in cache": nodes.has(id) ? "yes" : "no",
      up: this.sim.hasNode(nodes.get(id) ?? id) ? (this.sim.node(nodes.get(id) ?? id).up ? "yes" : "no") : "?",
      requests: s.picks[id] ?? 0,
      outstanding: this.router.outstanding(id),
    }));
    const t = rows.length > 0 ? table(rows)[DISPLAY]() : { "text/markdown": "_no instances_", "text/plain": "(no instances)" };
    return { "text/markdown": `${head["text/markdown"]}\n\n${t["text/markdown"]}`, "text/plain": `${head["text/plain"]}\n${t["text/plain"]}` };
  }
}
