/**
 * Load-balancing strategies that choose one instance from a discovered list, behind one small
 * interface so a discovery client or a load-balancer node can take any of them.
 */
import { oneOf } from "../errors";
import type { Random } from "../sim/random";
import type { DiscoveredInstance } from "./types";

/** What a strategy may look at besides the instance list. */
export interface BalancerContext {
  /** The seeded random source (the simulation's). */
  readonly random: Random;
  /** Requests this caller has sent to the instance that have not ended yet. */
  outstanding(instanceId: string): number;
}

/** Chooses the instance for the next request. */
export interface BalancerStrategy {
  /** Short name, shown in stats. */
  readonly name: string;
  /** The chosen instance, or undefined when the list is empty. */
  choose(instances: readonly DiscoveredInstance[], context: BalancerContext): DiscoveredInstance | undefined;
}

/**
 * Round robin: each request goes to the next instance in list order, wrapping around, as
 * Ribbon's `RoundRobinRule` and Spring Cloud LoadBalancer's round robin do. Where they start
 * differs (Ribbon at the second instance, Spring Cloud at a random position); this starts at
 * the first so runs are easy to follow. When the list changes the counter continues, so the
 * position may jump.
 */
export class RoundRobinBalancer implements BalancerStrategy {
  readonly name = "round-robin";
  private next = 0;

  choose(instances: readonly DiscoveredInstance[]): DiscoveredInstance | undefined {
    if (instances.length === 0) return undefined;
    return instances[this.next++ % instances.length];
  }
}

/** Random: each request goes to a uniformly chosen instance, drawn from the seeded random source. */
export class RandomBalancer implements BalancerStrategy {
  readonly name = "random";

  choose(instances: readonly DiscoveredInstance[], context: BalancerContext): DiscoveredInstance | undefined {
    if (instances.length === 0) return undefined;
    return instances[context.random.int(0, instances.length - 1)];
  }
}

/**
 * Least outstanding requests: the instance with the fewest requests this caller still waits
 * for (AWS ALB's "least outstanding requests" algorithm, as seen by one caller). Ties go round
 * robin, so idle instances share the load instead of the first one taking all of it.
 */
export class LeastOutstandingBalancer implements BalancerStrategy {
  readonly name = "least-outstanding";
  private offset = 0;

  choose(instances: readonly DiscoveredInstance[], context: BalancerContext): DiscoveredInstance | undefined {
    const n = instances.length;
    if (n === 0) return undefined;
    let best: DiscoveredInstance | undefined;
    let fewest = Infinity;
    for (let k = 0; k < n; k++) {
      const candidate = instances[(this.offset + k) % n]!;
      const outstanding = context.outstanding(candidate.id);
      if (outstanding < fewest) {
        best = candidate;
        fewest = outstanding;
      }
    }
    this.offset = (this.offset + 1) % n;
    return best;
  }
}

/** Names of the built-in strategies. */
export type BalancerName = "round-robin" | "random" | "least-outstanding";

/** The built-in strategy names, for validation. */
export const BALANCER_NAMES: readonly BalancerName[] = ["round-robin", "random", "least-outstanding"];

/** A fresh built-in strategy by name, or `strategy` itself when it is already one. */
export function balancerStrategy(strategy: BalancerName | BalancerStrategy, component = "balancerStrategy"): BalancerStrategy {
  if (typeof strategy === "object" && strategy !== null) return strategy;
  switch (oneOf(component, "strategy", strategy, BALANCER_NAMES)) {
    case "round-robin":
      return new RoundRobinBalancer();
    case "random":
      return new RandomBalancer();
    case "least-outstanding":
      return new LeastOutstandingBalancer();
  }
}
