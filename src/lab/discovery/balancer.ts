/**
 * Load-balancing strategies that choose one instance from a discovered list, behind one small
 * interface so a discovery client or a load-balancer node can take any of them.
 */
import { ConfigError, oneOf } from "../errors";
import type { Random } from "../sim/random";
import type { DiscoveredInstance } from "./types";

/** What a strategy may look at besides the instance list. */
export interface BalancerContext {
  /**
   * The simulation's seeded random source. A strategy that draws numbers should draw them from
   * a stream of its own (see {@link RandomBalancer}), so its draws do not move the numbers
   * other components get.
   */
  readonly random: Random;
  /** Requests this caller has sent to the instance that have not ended yet. */
  outstanding(instanceId: string): number;
}

/** Chooses the instance for the next request. */
export interface BalancerStrategy {
  /** Short name, shown in stats. */
  readonly name: string;
  /** Chooses the instance for a request and moves the strategy on. Undefined when the list is empty. */
  choose(instances: readonly DiscoveredInstance[], context: BalancerContext): DiscoveredInstance | undefined;
  /**
   * The instance {@link choose} would return now, without moving the strategy on or drawing
   * from any random source a later pick depends on: peeking any number of times leaves every
   * later pick as it was.
   */
  peek(instances: readonly DiscoveredInstance[], context: BalancerContext): DiscoveredInstance | undefined;
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
    const chosen = this.peek(instances);
    if (chosen) this.next++;
    return chosen;
  }

  peek(instances: readonly DiscoveredInstance[]): DiscoveredInstance | undefined {
    return instances.length === 0 ? undefined : instances[this.next % instances.length];
  }
}

/**
 * Random: each request goes to a uniformly chosen instance. The strategy draws from a stream
 * of its own, so a component that picks at random does not shift the numbers the rest of the
 * simulation draws. A peek draws the next number ahead and keeps it for the next pick, which
 * therefore goes where the peek said (when the list has the same length).
 */
export class RandomBalancer implements BalancerStrategy {
  readonly name = "random";
  private ahead: number | undefined;

  /**
   * @param random - the stream to draw from; when left out, the strategy forks one from the
   *   context's random source at its first pick or peek (discovery clients and load balancers
   *   pass a fork of the simulation's source when they are built)
   */
  constructor(private random?: Random) {}

  choose(instances: readonly DiscoveredInstance[], context: BalancerContext): DiscoveredInstance | undefined {
    if (instances.length === 0) return undefined;
    const u = this.ahead ?? this.stream(context).next();
    this.ahead = undefined;
    return instances[Math.floor(u * instances.length)];
  }

  peek(instances: readonly DiscoveredInstance[], context: BalancerContext): DiscoveredInstance | undefined {
    if (instances.length === 0) return undefined;
    this.ahead ??= this.stream(context).next();
    return instances[Math.floor(this.ahead * instances.length)];
  }

  private stream(context: BalancerContext): Random {
    return (this.random ??= context.random.fork());
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
    const chosen = this.peek(instances, context);
    if (chosen) this.offset = (this.offset + 1) % instances.length;
    return chosen;
  }

  peek(instances: readonly DiscoveredInstance[], context: BalancerContext): DiscoveredInstance | undefined {
    const n = instances.length;
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
    return best;
  }
}

/** Names of the built-in strategies. */
export type BalancerName = "round-robin" | "random" | "least-outstanding";

/** The built-in strategy names, for validation. */
export const BALANCER_NAMES: readonly BalancerName[] = ["round-robin", "random", "least-outstanding"];

/**
 * A fresh built-in strategy by name, or `strategy` itself when it is already one.
 * @param random - the stream a fresh `random` strategy draws from (see {@link RandomBalancer})
 */
export function balancerStrategy(strategy: BalancerName | BalancerStrategy, component = "balancerStrategy", random?: Random): BalancerStrategy {
  if (typeof strategy === "object" && strategy !== null) {
    if (typeof strategy.choose !== "function" || typeof strategy.peek !== "function") {
      throw new ConfigError(component, "strategy", strategy, "a strategy name or an object with choose() and peek() methods");
    }
    return strategy;
  }
  switch (oneOf(component, "strategy", strategy, BALANCER_NAMES)) {
    case "round-robin":
      return new RoundRobinBalancer();
    case "random":
      return new RandomBalancer(random);
    case "least-outstanding":
      return new LeastOutstandingBalancer();
  }
}
