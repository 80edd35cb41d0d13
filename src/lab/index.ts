/**
 * The `sde-lab` module that notebook cells import: `import { Simulation, CircuitBreaker } from "sde-lab"`.
 *
 * A curated API: what a learner builds patterns with. Internals (sliding-window classes, hash
 * helpers, the kernel's display sink, lease arithmetic) stay inside their modules; prepared
 * multi-service topologies are in `sde-lab/scenarios`, challenges in `sde-lab/challenges`.
 */

// Rich display: values that render themselves in a notebook.
export { DISPLAY, bundle, display, isDisplayable, json, markdown, mermaid, table, text, type Displayable, type MimeBundle, type TableRow, type ReplaySource } from "./display";
export { ConfigError } from "./errors";
export { chart, Chart, CHART_MIME, CHART_KINDS, CHART_DEFAULTS, type ChartSpec, type ChartSeries, type ChartPoint, type ChartAnnotation, type ChartKind, type ChartData } from "./viz/chart";
export { replay, Replay, REPLAY_MIME, REPLAY_DEFAULTS, type ReplayOptions, type ReplayData } from "./viz/replay";
export { Sampler, SAMPLER_DEFAULTS, type SamplerOptions, type SamplerChartOptions } from "./viz/sampler";
export { breakerStates, faultMarks, perWindow, bars, trafficPerWindow, BREAKER_STATES, type ReadyChartOptions } from "./viz/ready";

// Simulation core: clock, random, network, nodes, faults, trace, metrics.
export { Simulation, SimulationError, SIMULATION_DEFAULTS, type SimulationOptions, type Timer } from "./sim/simulation";
export { Random, dist, type Distribution } from "./sim/random";
export { Tracer, type TraceEvent, type TraceKind, type DiagramOptions } from "./sim/trace";
export { Metrics, Counter, Histogram, TimeSeries, type HistogramSummary, type HistogramChartOptions } from "./sim/metrics";
export { Network, NETWORK_DEFAULTS, type LinkOptions } from "./sim/network";
export { Faults, type When } from "./sim/faults";
export { SimNode, NODE_DEFAULTS, type Handler, type NodeOptions, type CallOptions, type ServiceContext, type NodeStats } from "./sim/node";
export { request, response, ok, toRequest, isSuccess, isResponse, type Request, type Response } from "./sim/http";
export { CallError, TimeoutError, RejectedError, outcomeOf, type Outcome } from "./sim/call-errors";

// Resilience: circuit breaker, retry with backoff and jitter, timeout, bulkhead, and wrap.
export { CancelSource, isFailureByDefault, isRetryableByDefault, type CancelSignal, type PolicyResult, type ResiliencePolicy } from "./resilience/policy";
export { BreakerOpenError, BulkheadRejectedError, type CircuitState } from "./resilience/errors";
export { ConsecutiveBreaker } from "./resilience/consecutive-breaker";
export { SamplingBreaker, type SamplingBreakerOptions } from "./resilience/sampling-breaker";
export { type BreakerStrategy } from "./resilience/breaker-strategy";
export {
  CircuitBreaker,
  CIRCUIT_BREAKER_DEFAULTS,
  type CircuitBreakerOptions,
  type BreakerTransition,
  type BreakerRejection,
  type BreakerCallEnded,
  type BreakerStats,
} from "./resilience/circuit-breaker";
export { JITTER_KINDS, type JitterKind } from "./resilience/backoff";
export { RetryPolicy, RETRY_DEFAULTS, type RetryOptions, type RetryEvent, type GiveUpEvent, type RetryStats } from "./resilience/retry";
export { TimeoutPolicy, TIMEOUT_DEFAULTS, type TimeoutKind, type TimeoutOptions, type TimeoutEvent, type TimeoutStats } from "./resilience/timeout";
export { BulkheadPolicy, BULKHEAD_DEFAULTS, type BulkheadOptions, type BulkheadRejection, type BulkheadStats } from "./resilience/bulkhead";
export { WrappedPolicy, wrap } from "./resilience/wrap";

// Edge: API gateway, rate limiters, tokens, backends for frontends.
export { retryAfterSeconds, KeyedRateLimiter, type RateLimiter, type RateDecision, type RateDecisionEvent } from "./gateway/rate-limiter";
export { TokenBucket, TOKEN_BUCKET_DEFAULTS, type TokenBucketOptions } from "./gateway/token-bucket";
export { LeakyBucket, LEAKY_BUCKET_DEFAULTS, type LeakyBucketOptions, type LeakyBucketMode } from "./gateway/leaky-bucket";
export { FixedWindow, FIXED_WINDOW_DEFAULTS, type FixedWindowOptions } from "./gateway/fixed-window";
export { SlidingWindowLog, SLIDING_WINDOW_LOG_DEFAULTS, type SlidingWindowLogOptions } from "./gateway/sliding-window-log";
export { SlidingWindowCounter, SLIDING_WINDOW_COUNTER_DEFAULTS, type SlidingWindowCounterOptions } from "./gateway/sliding-window-counter";
export { runLimiter, compareLimiters, burstAt, steadyArrivals, LimiterTimeline, type TimelineEntry, type TimelineOptions } from "./gateway/limiter-timeline";
export { signToken, verifyToken, decodeToken, type TokenClaims, type TokenCheck, type TokenProblem, type SignOptions } from "./gateway/token";
export { type GatewayAuthOptions, type ApiKeyGrant, type Identity as GatewayIdentity } from "./gateway/auth";
export { type GatewayRoute, type ProxyRoute, type AggregateRoute, type RouteBase } from "./gateway/routes";
export { type AggregatePart, type AggregateBody, type PartOutcome } from "./gateway/aggregate";
export { ApiGateway, API_GATEWAY_DEFAULTS, type ApiGatewayOptions, type GatewayEvent, type GatewayStep } from "./gateway/gateway";
export { shapePayload, jsonBytes as jsonPayloadBytes, type ShapeOptions } from "./gateway/shape";
export { BackendForFrontend, BFF_DEFAULTS, type BackendForFrontendOptions, type BffPart, type BffScreen, type BffStats } from "./gateway/bff";

// Sidecar proxy.
export { Sidecar, SIDECAR_DEFAULTS, IDENTITY_HEADER, meshIdentity, isRetryableBySidecar, type SidecarOptions, type MtlsOptions, type AccessLogEntry, type SidecarStats } from "./sidecar/sidecar";

// Service discovery: Eureka and Consul registries, client- and server-side discovery.
export { EurekaRegistry, EUREKA_REGISTRY_DEFAULTS, type EurekaRegistryOptions, type EurekaRegistryEvent, type EurekaLeaseView, type EurekaInstanceInfo, type EurekaRegistration, type EurekaStatus } from "./discovery/eureka-registry";
export { EurekaInstance, EUREKA_INSTANCE_DEFAULTS, type EurekaInstanceOptions, type EurekaInstanceStats } from "./discovery/eureka-instance";
export { LEASE_EXPIRY_MODES, type LeaseExpiryMode } from "./discovery/lease";
export { type SelfPreservationCheck } from "./discovery/self-preservation";
export { ConsulRegistry, CONSUL_REGISTRY_DEFAULTS, type ConsulRegistryOptions, type ConsulRegistryEvent, type ConsulServiceRegistration, type ConsulServiceEntry, type ConsulCheckView } from "./discovery/consul-registry";
export { ConsulInstance, CONSUL_INSTANCE_DEFAULTS, type ConsulInstanceOptions } from "./discovery/consul-instance";
export {
  CONSUL_CHECK_DEFAULTS,
  type ConsulCheckStatus,
  type ConsulCheckDefinition,
  type TtlCheckDefinition,
  type HttpCheckDefinition,
  type TcpCheckDefinition,
} from "./discovery/consul-checks";
export { type InstanceNodeOptions } from "./discovery/instance-node";
export { RoundRobinBalancer, RandomBalancer, LeastOutstandingBalancer, BALANCER_NAMES, type BalancerStrategy, type BalancerContext, type BalancerName } from "./discovery/balancer";
export { type InstanceCacheRefreshEvent, type InstanceCacheStats } from "./discovery/instance-cache";
export { type DiscoveryRoutingStats } from "./discovery/router";
export { DiscoveryClient, DISCOVERY_CLIENT_DEFAULTS, type DiscoveryClientOptions } from "./discovery/discovery-client";
export { ServerSideLoadBalancer, SERVER_SIDE_LB_DEFAULTS, type ServerSideLoadBalancerOptions } from "./discovery/server-side-lb";
export { type DiscoveredInstance, type RegistrySource, type RegistryRef } from "./discovery/types";

// Communication protocols: REST, GraphQL, gRPC/Protobuf, WebSocket, SSE, long polling.
export * from "./protocols/index";

// Distributed data: sharding, consistent hashing, 2PC, sagas, event sourcing, CQRS.
export * from "./data/index";

// Message brokers: a Kafka-like log and a RabbitMQ-like AMQP broker, delivery guarantees.
export {
  Kafka,
  KAFKA_DEFAULTS,
  Producer as KafkaProducer,
  Consumer as KafkaConsumer,
  Admin as KafkaAdmin,
  Transaction as KafkaTransaction,
  PRODUCER_DEFAULTS,
  CONSUMER_DEFAULTS,
  CONSUMER_EVENTS,
  Partitioners,
  PartitionAssigners,
  murmur2,
  partitionForKey,
  TOPIC_CONFIG_DEFAULTS,
  KAFKA_RETRY_DEFAULTS,
  KAFKA_ERROR_CODES,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  KafkaJSConnectionError,
  KafkaJSRequestTimeoutError,
  KafkaJSNumberOfRetriesExceeded,
  RabbitMQ,
  RABBITMQ_DEFAULTS,
  Connection as AmqpConnection,
  Channel as AmqpChannel,
  ConfirmChannel as AmqpConfirmChannel,
  AmqpChannelError,
  AmqpConnectionError,
  IllegalOperationError,
  AMQP_REPLY_CODES,
  compareOnRealBroker,
  topicMatches,
  headersMatch,
  compareDeliveryGuarantees,
  DELIVERY_GUARANTEES,
  DELIVERY_DEFAULTS,
  compareKafkaRabbitMQ,
  type Content,
  type KafkaOptions,
  type ProducerConfig,
  type ProducerRecord,
  type ProducerBatch,
  type RecordMetadata,
  type Message as KafkaProducerMessage,
  type ConsumerConfig,
  type ConsumerRunConfig,
  type KafkaMessage,
  type EachMessagePayload,
  type EachBatchPayload,
  type Batch as KafkaBatch,
  type ITopicConfig,
  type ICustomPartitioner,
  type PartitionerArgs,
  type PartitionMetadata,
  type PartitionAssigner,
  type GroupAssignment,
  type TopicPartition,
  type TopicConfig,
  type KafkaRetryOptions,
  type KafkaErrorType,
  type RebalanceRecord,
  type LagRow,
  type RabbitMQOptions,
  type QueueStats,
  type XDeath,
  type RealBrokerOptions,
  type ComparePublish,
  type MessageContent,
  type ReturnedMessage,
  type AmqpMessage,
  type MessageFields,
  type MessageProperties,
  type PublishOptions,
  type AssertQueueOptions,
  type AssertExchangeOptions,
  type ConsumeOptions,
  type ExchangeType,
  type AmqpReplyCode,
  type DeliveryGuarantee,
  type DeliveryOptions,
  type DeliveryRun,
  type DeliveryComparison,
  type BrokerComparison,
  type BrokerComparisonOptions,
  type BrokerMeasurements,
} from "./messaging/index";
