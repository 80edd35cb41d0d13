/**
 * Service discovery: a Eureka-style registry (leases, eviction, self-preservation), a
 * Consul-style registry (TTL/HTTP/TCP health checks), client-side and server-side discovery
 * with pluggable balancing strategies,.
 */
export { EurekaRegistry, EUREKA_REGISTRY_DEFAULTS, type EurekaRegistryOptions, type EurekaRegistryEvent, type EurekaLeaseView, type EurekaInstanceInfo, type EurekaRegistration, type EurekaStatus } from "./eureka-registry";
export { EurekaInstance, EUREKA_INSTANCE_DEFAULTS, type EurekaInstanceOptions, type EurekaInstanceStats } from "./eureka-instance";
export { leaseExpiresAt, isLeaseExpired, LEASE_EXPIRY_MODES, type LeaseExpiryMode, type LeaseTimes } from "./lease";
export { renewalThreshold, expectedRenewsPerMinute, RenewalCounter, type SelfPreservationCheck } from "./self-preservation";
export { ConsulRegistry, CONSUL_REGISTRY_DEFAULTS, type ConsulRegistryOptions, type ConsulRegistryEvent, type ConsulServiceRegistration, type ConsulServiceEntry, type ConsulCheckView } from "./consul-registry";
export { ConsulInstance, CONSUL_INSTANCE_DEFAULTS, type ConsulInstanceOptions } from "./consul-instance";
export {
  CONSUL_CHECK_DEFAULTS,
  CONSUL_CHECK_STATUSES,
  consulHttpCheckStatus,
  worstConsulStatus,
  type ConsulCheckStatus,
  type ConsulCheckDefinition,
  type TtlCheckDefinition,
  type HttpCheckDefinition,
  type TcpCheckDefinition,
} from "./consul-checks";
export { type InstanceNodeOptions, type HealthEndpoint } from "./instance-node";
export {
  RoundRobinBalancer,
  RandomBalancer,
  LeastOutstandingBalancer,
  balancerStrategy,
  BALANCER_NAMES,
  type BalancerStrategy,
  type BalancerContext,
  type BalancerName,
} from "./balancer";
export { InstanceCache, type InstanceCacheRefreshEvent, type InstanceCacheStats, type InstanceCacheOwner } from "./instance-cache";
export { type DiscoveryRoutingStats } from "./router";
export { DiscoveryClient, DISCOVERY_CLIENT_DEFAULTS, type DiscoveryClientOptions } from "./discovery-client";
export { ServerSideLoadBalancer, SERVER_SIDE_LB_DEFAULTS, type ServerSideLoadBalancerOptions } from "./server-side-lb";
export { type DiscoveredInstance, type RegistrySource, type RegistryRef } from "./types";
