/**
 * What discovery clients and load balancers see of a registry: a list of instances, read over
 * the simulated network from a registry node. Both registry flavours (Eureka, Consul) offer
 * this view, so clients and balancers work with either.
 */
import type { Request, Response } from "../sim/http";

/** One instance of a service, as a registry lists it. */
export interface DiscoveredInstance {
  /** Instance id, unique in the registry (e.g. `orders-1`). */
  readonly id: string;
  /** Service (Eureka: application) name, e.g. `orders`. */
  readonly service: string;
  /** Name of the simulated node that serves the instance's requests. */
  readonly node: string;
  /** Status as the registry reports it: Eureka `UP`/`DOWN`/…, Consul `passing`/`warning`/`critical`. */
  readonly status: string;
}

/** Where discovery clients and load balancers read instance lists from. */
export interface RegistrySource {
  /** Name of the registry node that answers the lookup. */
  readonly name: string;
  /** The request that lists the instances of `service`. */
  lookupRequest(service: string): Request;
  /** The instances a client may use, from the registry's answer to {@link lookupRequest}. */
  parseLookup(response: Response): DiscoveredInstance[];
}

/** A registry given by its node name or as an object that has one (an {@link EurekaRegistry} or {@link ConsulRegistry}). */
export type RegistryRef = string | { readonly name: string };

