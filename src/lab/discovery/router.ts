/**
 * Picks an instance from a cached list with a balancing strategy, sends the request to it, and
 * counts what happened. Shared by client-side discovery (the client routes) and server-side
 * discovery (the load-balancer node routes).
 */
import type { Simulation } from "../sim/simulation";
import type { CallOptions } from "../sim/node";
import type { Request, Response } from "../sim/http";
import { TimeoutError } from "../sim/call-errors";
import type { BalancerContext, BalancerStrategy } from "./balancer";
import type { InstanceCache } from "./instance-cache";
import type { DiscoveredInstance } from "./types";

/** Counts of routed requests. */
export interface DiscoveryRoutingStats {
  /** Requests routed (or refused for want of an instance). */
  requests: number;
  /** Requests sent on to an instance. */
  forwarded: number;
  /** Answered with a status below 500. */
  succeeded: number;
  /**
   * Definite failures (outcome `fail`): a 5xx answer, a refused call, or no instance to send
   * the request to. Timeouts are not counted here: see {@link timedOut}.
   */
  failed: number;
  /**
   * Calls that got no answer in time. Outcome `info`: the instance may still have done the
   * work, so these are neither successes nor failures.
   */
  timedOut: number;
  /** Of the failed: requests with an empty instance list. */
  noInstance: number;
  /** Picks of an instance whose node was down (crashed) at the time: the cost of a stale list. */
  deadPicks: number;
  /** Virtual time of the first dead pick, ms. */
  firstDeadPickAt: number | undefined;
  /** Virtual time of the last dead pick, ms. */
  lastDeadPickAt: number | undefined;
  /** Requests sent to each instance id. */
  picks: Record<string, number>;
}

/** A fresh, zeroed {@link DiscoveryRoutingStats}. */
export function emptyDiscoveryRoutingStats(): DiscoveryRoutingStats {
  return { requests: 0, forwarded: 0, succeeded: 0, failed: 0, timedOut: 0, noInstance: 0, deadPicks: 0, firstDeadPickAt: undefined, lastDeadPickAt: undefined, picks: {} };
}

/** How a router sends a request to an instance node. */
export type SendFn = (node: string, request: Request, options: CallOptions) => Promise<Response>;

/** The result of routing one request. */
export type RouteResult =
  | { readonly kind: "response"; readonly instance: DiscoveredInstance; readonly response: Response }
  | { readonly kind: "error"; readonly instance: DiscoveredInstance; readonly error: unknown }
  | { readonly kind: "no-instance" };

/** Chooses instances and tracks outstanding requests per instance. */
export class Router {
  readonly stats = emptyDiscoveryRoutingStats();
  private readonly outstandingById = new Map<string, number>();
  private readonly context: BalancerContext;

  constructor(
    private readonly sim: Simulation,
    readonly cache: InstanceCache,
    readonly strategy: BalancerStrategy,
    private readonly timeoutMs: number,
  ) {
    this.context = { random: sim.random, outstanding: (id) => this.outstanding(id) };
  }

  /** Requests sent to `instanceId` that have not ended yet. */
  outstanding(instanceId: string): number {
    return this.outstandingById.get(instanceId) ?? 0;
  }

  /** The instance the next request would go to now; changes nothing (see {@link BalancerStrategy.peek}). */
  peek(): DiscoveredInstance | undefined {
    return this.strategy.peek(this.cache.instances, this.context);
  }

  /** Chooses an instance and sends `request` to it with `send`. */
  async route(request: Request, send: SendFn): Promise<RouteResult> {
    const s = this.stats;
    s.requests++;
    const instance = this.strategy.choose(this.cache.instances, this.context);
    if (!instance) {
      s.failed++;
      s.noInstance++;
      return { kind: "no-instance" };
    }
    s.forwarded++;
    s.picks[instance.id] = (s.picks[instance.id] ?? 0) + 1;
    if (this.sim.hasNode(instance.node) && !this.sim.node(instance.node).up) {
      s.deadPicks++;
      s.firstDeadPickAt ??= this.sim.now;
      s.lastDeadPickAt = this.sim.now;
    }
    this.outstandingById.set(instance.id, this.outstanding(instance.id) + 1);
    try {
      const response = await send(instance.node, request, { timeoutMs: this.timeoutMs });
      if (response.status >= 500) s.failed++;
      else s.succeeded++;
      return { kind: "response", instance, response };
    } catch (error) {
      if (error instanceof TimeoutError) s.timedOut++;
      else s.failed++;
      return { kind: "error", instance, error };
    } finally {
      this.outstandingById.set(instance.id, this.outstanding(instance.id) - 1);
    }
  }
}
