/**
 * What both kinds of discovering caller (a client doing client-side discovery, a
 * server-side load balancer) share: their option checks, the registry they read, the
 * balancing strategy, and the cache of the instance list.
 */
import { ConfigError, nonNegative, positive } from "../errors";
import type { SimNode } from "../sim/node";
import type { Simulation } from "../sim/simulation";
import { balancerStrategy, type BalancerName, type BalancerStrategy } from "./balancer";
import { InstanceCache } from "./instance-cache";
import { resolveRegistry } from "./registry-lookup";
import type { RegistrySource } from "./types";

/** The options both callers take, defaults already applied. */
export interface DiscoverySetupOptions {
  service: string;
  registry: RegistrySource | string;
  refreshIntervalMs: number;
  refreshPhaseMs?: number;
  registryTimeoutMs: number;
  strategy: BalancerName | BalancerStrategy;
}

/** Checks the shared options and builds the strategy and a cache factory for the caller's node. */
export function discoverySetup(
  sim: Simulation,
  component: string,
  o: DiscoverySetupOptions,
): { strategy: BalancerStrategy; createCache: (node: SimNode<undefined>) => InstanceCache } {
  if (typeof o.service !== "string" || o.service === "") throw new ConfigError(component, "service", o.service, "a non-empty string");
  positive(component, "refreshIntervalMs", o.refreshIntervalMs);
  const phase = nonNegative(component, "refreshPhaseMs", o.refreshPhaseMs ?? o.refreshIntervalMs);
  positive(component, "registryTimeoutMs", o.registryTimeoutMs);
  const registry = resolveRegistry(sim, o.registry, component);
  // Only a random strategy needs a stream of its own; forking for the others would shift the
  // numbers the rest of the simulation draws.
  const strategy = balancerStrategy(o.strategy, component, o.strategy === "random" ? sim.random.fork() : undefined);
  return {
    strategy,
    createCache: (node) => new InstanceCache(sim, node, o.service, registry, o.refreshIntervalMs, o.registryTimeoutMs, phase),
  };
}
