/**
 * Finds a registry by its node name. Instances only need the registry's node name, but
 * discovery clients and load balancers also need to know how to ask it and read its answers
 * ({@link RegistrySource}), so a registry given by name is looked up here. Registries add
 * themselves when they are built; the table is per simulation and goes away with it.
 */
import { ConfigError } from "../errors";
import type { Simulation } from "../sim/simulation";
import type { RegistryRef, RegistrySource } from "./types";

const registries = new WeakMap<Simulation, Map<string, RegistrySource>>();

/** Records `registry` as the registry on node `registry.name` of `sim`. */
export function rememberRegistry(sim: Simulation, registry: RegistrySource): void {
  let byName = registries.get(sim);
  if (!byName) registries.set(sim, (byName = new Map()));
  byName.set(registry.name, registry);
}

/**
 * The registry `ref` stands for: itself when it is a registry object, the registry built on
 * `sim` with that node name when it is a string.
 * @throws {@link ConfigError} naming `registry` when neither fits
 */
export function resolveRegistry(sim: Simulation, ref: RegistrySource | string, component: string): RegistrySource {
  if (typeof ref === "string") {
    const found = registries.get(sim)?.get(ref);
    if (found) return found;
    const known = [...(registries.get(sim)?.keys() ?? [])];
    throw new ConfigError(component, "registry", ref, `a EurekaRegistry or ConsulRegistry, or the node name of one built on this simulation (known: ${known.join(", ") || "none"})`);
  }
  if (isRegistrySource(ref)) return ref;
  throw new ConfigError(component, "registry", ref, "a EurekaRegistry or ConsulRegistry, or the node name of one built on this simulation");
}

function isRegistrySource(value: unknown): value is RegistrySource {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Partial<Record<keyof RegistrySource, unknown>>;
  return typeof v.name === "string" && typeof v.lookupRequest === "function" && typeof v.parseLookup === "function";
}

/**
 * The node name of the registry an instance registers with, checked to exist on `sim`.
 * @throws {@link ConfigError} naming `registry` when there is no such node
 */
export function registryNodeName(sim: Simulation, ref: RegistryRef, component: string): string {
  const name = typeof ref === "string" ? ref : typeof ref === "object" && ref !== null ? ref.name : undefined;
  if (typeof name !== "string" || !sim.hasNode(name)) {
    throw new ConfigError(component, "registry", typeof ref === "object" && ref !== null ? name : ref, "the registry object or the node name of a registry built on this simulation (build the registry first)");
  }
  return name;
}
