/**
 * The `sde-lab` module that notebook cells import: `import { Simulation, CircuitBreaker } from "sde-lab"`.
 *
 * A curated API: what a learner builds patterns with. Internals (sliding-window classes, hash
 * helpers, the kernel's display sink, lease arithmetic) stay inside their modules; prepared
 * multi-service topologies are in `sde-lab/scenarios`, challenges in `sde-lab/challenges`.
 */

// Rich display: values that render themselves in a notebook; the error every bad option throws.
export { DISPLAY, display, json, markdown, mermaid, table, text, type Displayable, type MimeBundle, type TableRow } from "./display";
export { ConfigError } from "./errors";
// Seed sweeps: one run per seed, each number shown as "median (min–max)".
export { sweep, spread, type SpreadOptions } from "./sweep";
export { chart, type Chart, type ChartSpec, type ChartSeries, type ChartPoint, type ChartAnnotation, type ChartKind, type ChartData } from "./viz/chart";
export { type Replay, type ReplayOptions, type ReplayData } from "./viz/replay";
export { Sampler, type SamplerOptions, type SamplerChartOptions } from "./viz/sampler";
export { breakerStates, faultMarks, perWindow, bars, type ReadyChartOptions } from "./viz/ready";

// Simulation core: clock, random, network, nodes, faults, trace, metrics.
export { Simulation, SimulationError, type SimulationOptions, type Timer } from "./sim/simulation";
export { Random, dist, type Distribution } from "./sim/random";
export { type Tracer, type TraceEvent, type TraceKind, type DiagramOptions } from "./sim/trace";
export { type Metrics, type Counter, Histogram, type TimeSeries, type HistogramSummary, type HistogramChartOptions } from "./sim/metrics";
export { type Network, type LinkOptions } from "./sim/network";
export { type Faults, type When } from "./sim/faults";
export { SimNode, type Handler, type NodeOptions, type CallOptions, type ServiceContext, type NodeStats } from "./sim/node";
export { request, response, ok, toRequest, type Request, type Response } from "./sim/http";
export { CallError, TimeoutError, RejectedError, type Outcome } from "./sim/call-errors";

// Resilience: circuit breaker, retry with backoff and jitter, timeout, bulkhead, and wrap.
export { type CancelSignal, type PolicyResult, type ResiliencePolicy } from "./resilience/policy";
export { BreakerOpenError, BulkheadRejectedError, type CircuitState } from "./resilience/errors";
export { ConsecutiveBreaker } from "./resilience/consecutive-breaker";
export { SamplingBreaker, type SamplingBreakerOptions } from "./resilience/sampling-breaker";
export { type BreakerStrategy } from "./resilience/breaker-strategy";
export {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type BreakerTransition,
  type BreakerRejection,
  type BreakerCallEnded,
  type BreakerStats,
} from "./resilience/circuit-breaker";
export { JITTER_KINDS, type JitterKind } from "./resilience/backoff";
export { RetryPolicy, type RetryOptions, type RetryEvent, type GiveUpEvent, type RetryStats } from "./resilience/retry";
export { TimeoutPolicy, type TimeoutKind, type TimeoutOptions, type TimeoutEvent, type TimeoutStats } from "./resilience/timeout";
export { BulkheadPolicy, type BulkheadOptions, type BulkheadRejection, type BulkheadStats } from "./resilience/bulkhead";
export { type WrappedPolicy, wrap } from "./resilience/wrap";

// Edge: API gateway, rate limiters, backends for frontends.
export { type KeyedRateLimiter, type RateLimiter, type RateDecision, type RateDecisionEvent } from "./gateway/rate-limiter";
export { TokenBucket, type TokenBucketOptions } from "./gateway/token-bucket";
export { LeakyBucket, type LeakyBucketOptions, type LeakyBucketMode } from "./gateway/leaky-bucket";
export { FixedWindow, type FixedWindowOptions } from "./gateway/fixed-window";
export { SlidingWindowLog, type SlidingWindowLogOptions } from "./gateway/sliding-window-log";
export { SlidingWindowCounter, type SlidingWindowCounterOptions } from "./gateway/sliding-window-counter";
export {
  runLimiter,
  compareLimiters,
  burstAt,
  steadyArrivals,
  type LimiterTimeline,
  type TimelineEntry,
  type TimelineOptions,
} from "./gateway/limiter-timeline";
export { type GatewayAuthOptions, type ApiKeyGrant, type Identity as GatewayIdentity } from "./gateway/auth";
export { type GatewayRoute, type ProxyRoute, type AggregateRoute, type RouteBase } from "./gateway/routes";
export { type AggregatePart } from "./gateway/aggregate";
export { ApiGateway, type ApiGatewayOptions, type GatewayEvent, type GatewayStep } from "./gateway/gateway";
export { jsonBytes as jsonPayloadBytes, type ShapeOptions } from "./gateway/shape";
export { BackendForFrontend, type BackendForFrontendOptions, type BffPart, type BffScreen, type BffStats } from "./gateway/bff";

// Sidecar proxy.
export { Sidecar, type SidecarOptions, type MtlsOptions, type AccessLogEntry, type SidecarStats } from "./sidecar/sidecar";

// Service discovery: Eureka and Consul registries, client- and server-side discovery.
export {
  EurekaRegistry,
  EUREKA_REGISTRY_DEFAULTS,
  type EurekaRegistryOptions,
  type EurekaRegistryEvent,
  type EurekaLeaseView,
  type EurekaInstanceInfo,
  type EurekaRegistration,
  type EurekaStatus,
} from "./discovery/eureka-registry";
export { EurekaInstance, type EurekaInstanceOptions, type EurekaInstanceStats } from "./discovery/eureka-instance";
export { LEASE_EXPIRY_MODES, type LeaseExpiryMode } from "./discovery/lease";
export { type SelfPreservationCheck } from "./discovery/self-preservation";
export {
  ConsulRegistry,
  type ConsulRegistryOptions,
  type ConsulRegistryEvent,
  type ConsulServiceRegistration,
  type ConsulServiceEntry,
  type ConsulCheckView,
} from "./discovery/consul-registry";
export { ConsulInstance, type ConsulInstanceOptions } from "./discovery/consul-instance";
export {
  type ConsulCheckStatus,
  type ConsulCheckDefinition,
  type TtlCheckDefinition,
  type HttpCheckDefinition,
  type TcpCheckDefinition,
} from "./discovery/consul-checks";
export { type InstanceNodeOptions } from "./discovery/instance-node";
export {
  BALANCER_NAMES,
  type BalancerStrategy,
  type BalancerContext,
  type BalancerName,
} from "./discovery/balancer";
export { type InstanceCacheRefreshEvent } from "./discovery/instance-cache";
export { type DiscoveryRoutingStats } from "./discovery/router";
export { DiscoveryClient, type DiscoveryClientOptions } from "./discovery/discovery-client";
export { ServerSideLoadBalancer, type ServerSideLoadBalancerOptions } from "./discovery/server-side-lb";
export { type DiscoveredInstance, type RegistrySource, type RegistryRef } from "./discovery/types";

// Communication protocols: REST, GraphQL, gRPC/Protobuf, WebSocket, SSE, long polling.
export { hexBytes } from "./protocols/encoding";
export {
  type Connection,
  type Wire,
  networkDrop,
  silentDrop,
  type SilentDropOptions,
  type Frame,
  type Side,
  type CloseReason,
  type ConnectionStats,
  type TransportOptions,
  type NetworkDropOptions,
  type ConnectionListener,
} from "./protocols/transport";
export {
  type HttpClient,
  type HttpRequest,
  type HttpResponse,
  type HttpStream,
  type HttpStreamHandlers,
  type HttpClientOptions,
  type HttpClientStats,
} from "./protocols/http1";
export {
  SocialDb,
  createSocialData,
  type User,
  type Post,
  type Comment,
  type SocialData,
  type SocialDataOptions,
  type SocialDbOptions,
  type SocialDbStats,
} from "./protocols/domain";
export {
  RestApi,
  RestClient,
  etagOf,
  type RestApiOptions,
  type RestApiStats,
  type RestClientOptions,
  type RestClientStats,
  type RestResult,
} from "./protocols/rest";
export {
  GraphQLServer,
  GraphQLClient,
  type GraphQLServerOptions,
  type GraphQLServerStats,
  type GraphQLClientOptions,
  type GraphQLResponse,
  type GraphQLResult,
  type GraphQLErrorEntry,
} from "./protocols/graphql";
export {
  ProtoSchema,
  type ProtoMessageType,
  type WireComparison,
  grpcFrame,
  type ProtoValue,
  type ProtoFieldInfo,
  type ProtoMethodInfo,
  type ProtoServiceInfo,
  type RpcKind,
} from "./protocols/protobuf";
export {
  GrpcServer,
  GrpcClient,
  GrpcError,
  GrpcStatus,
  type GrpcStatusName,
  type GrpcHandler,
  type ServerCall,
  type GrpcServerOptions,
  type GrpcServerStats,
  type GrpcClientOptions,
  type GrpcClientStats,
  type GrpcCallOptions,
  type ClientReadableCall,
  type ClientWritableCall,
  type ClientDuplexCall,
} from "./protocols/grpc";
export { EXAMPLE_PROTO, socialProto, createSocialGrpcServer, type SocialGrpcServerOptions } from "./protocols/social-grpc";
export { TickFeed, type FeedEvent, type FeedSource, type TickFeedOptions } from "./protocols/feed";
export {
  SimWebSocket,
  type ServerWebSocket,
  WebSocketServer,
  ReconnectingWebSocket,
  websocketAccept,
  type WebSocketCloseEvent,
  type WebSocketStats,
  type SimWebSocketOptions,
  type WebSocketServerOptions,
  type ReconnectOptions,
} from "./protocols/websocket";
export {
  SseServer,
  SimEventSource,
  EventStreamParser,
  formatEvent,
  type ServerSentEvent,
  type EventFields,
  type SseServerOptions,
  type SseServerStats,
  type SimEventSourceOptions,
  type EventSourceStats,
} from "./protocols/sse";
export {
  LongPollServer,
  LongPollClient,
  type LongPollServerOptions,
  type LongPollServerStats,
  type LongPollClientOptions,
  type LongPollClientStats,
} from "./protocols/long-polling";
export {
  protocolLab,
  loadPostsScreen,
  comparePostsScreen,
  compareFeeds,
  runFeed,
  compareHeadOfLine,
  postsScreenPayloads,
  type ScreenComparison,
  type FeedComparison,
  type HeadOfLineComparison,
  POSTS_SCREEN_QUERY,
  type ProtocolLab,
  type ProtocolLabOptions,
  type ScreenApproach,
  type ScreenLoad,
  type ScreenRow,
  type ScreenComparisonOptions,
  type FeedProtocol,
  type FeedRunOptions,
  type FeedRow,
  type HeadOfLineOptions,
  type HeadOfLineRow,
} from "./protocols/compare";

// Distributed data: sharding, consistent hashing, 2PC, sagas, event sourcing, CQRS.
export {
  type UnknownShardError,
  type EmptyRingError,
  type DuplicateNodeError,
  type MalformedEventError,
  WrongExpectedVersionError,
  CommandRejectedError,
  type ExpectedRevision,
} from "./data/errors";
export { HashRing, ModNHashing, RendezvousHashing, type Placement, type NodeWeight, type HashRingOptions, type RingNode } from "./data/placement";
export {
  sampleKeys,
  loadStats,
  movement,
  vnodeSpread,
  type LoadStats,
  type Movement,
  type SpreadTable,
  type Flow,
  type VnodeSpreadOptions,
} from "./data/placement-stats";
export {
  RangeSharding,
  type HashSharding,
  hashSharding,
  type KeyOutOfRangeError,
  type ShardStrategy,
  type ShardKey,
  type KeyRange,
} from "./data/shard-strategy";
export {
  ShardedStore,
  type QueryResult,
  type ShardStatsTable,
  type ReshardReport,
  type ShardedStoreOptions,
  type ShardStats,
  type Row,
} from "./data/sharded-store";
export { VerticalStore, type JoinResult, type VerticalStoreOptions, type TableRecord, type ReadResult } from "./data/vertical";
export {
  TwoPhaseCommit,
  type TransactionResult,
  type TransactionReport,
  type LocksTable,
  type AgreementCheck,
  type TwoPhaseCommitOptions,
  type TransactionSpec,
  type CoordinatorCrashPoint,
  type ParticipantState,
  type ParticipantRow,
  type LockRow,
} from "./data/two-phase-commit";
export {
  SagaOrchestrator,
  type SagaRun,
  type SagaStep,
  type SagaDefinition,
  type SagaOptions,
  type SagaStatus,
  type StepKind,
  type SagaHistoryEntry,
} from "./data/saga";
export { Choreography, type ChoreographyEvent, type ChoreographyHandler, type ChoreographyOptions, type EmittedEvent } from "./data/choreography";
export { sagaIsolationDemo, type SagaIsolationResult, type SagaIsolationOptions } from "./data/saga-isolation";
export {
  EventStore,
  eventTable,
  type EventData,
  type EventPayload,
  type RecordedEvent,
  type AppendOptions,
  type AppendResult,
  type ReadOptions,
  type Upcaster,
  type Subscription,
  type SubscribeOptions,
} from "./data/event-store";
export {
  AggregateRepository,
  bankAccount,
  moneyDepositedV1toV2,
  describeLoad,
  type AggregateType,
  type RepositoryOptions,
  type Loaded,
  type CommandResult,
  type AccountState,
  type AccountCommand,
  type BankAccountOptions,
} from "./data/aggregate";
export { Projection, type ProjectionDefinition, type ProjectionOptions, type Staleness } from "./data/projection";

// Message brokers: a Kafka-like log and a RabbitMQ-like AMQP broker, delivery guarantees.
export { Kafka } from "./messaging/kafka/kafka";
export {
  type Producer as KafkaProducer,
  type Transaction as KafkaTransaction,
  type ProducerConfig,
  type ProducerRecord,
  type ProducerBatch,
  type RecordMetadata,
  type Message as KafkaProducerMessage,
  type ProducerStats,
} from "./messaging/kafka/producer";
export {
  Consumer as KafkaConsumer,
  type ConsumerConfig,
  type ConsumerRunConfig,
  type KafkaMessage,
  type EachMessagePayload,
  type EachBatchPayload,
  type Batch as KafkaBatch,
  type ConsumerStats,
  type ConsumerEvent,
} from "./messaging/kafka/consumer";
export { type Admin as KafkaAdmin, type ITopicConfig } from "./messaging/kafka/admin";
export { Partitioners, partitionForKey, type ICustomPartitioner, type PartitionerArgs, type PartitionMetadata, type PartitionerMessage } from "./messaging/kafka/partitioners";
export { PartitionAssigners, type PartitionAssigner, type GroupAssignment, type TopicPartition } from "./messaging/kafka/assigners";
export {
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  KafkaJSConnectionError,
  KafkaJSRequestTimeoutError,
  KafkaJSNumberOfRetriesExceeded,
  type KafkaErrorType,
} from "./messaging/kafka/errors";
export { RabbitMQ, type RabbitMQOptions, type QueueStats, type XDeath } from "./messaging/rabbitmq/broker";
export { type Connection as AmqpConnection, type Channel as AmqpChannel, type ConfirmChannel as AmqpConfirmChannel, type ChannelStats as AmqpChannelStats } from "./messaging/rabbitmq/channel";
export { AmqpChannelError, IllegalOperationError, type AmqpReplyCode } from "./messaging/rabbitmq/errors";
export { compareOnRealBroker, type RealBrokerOptions, type ComparePublish } from "./messaging/rabbitmq/real-broker";
export { compareDeliveryGuarantees, type DeliveryGuarantee, type DeliveryOptions, type DeliveryRun, type DeliveryComparison } from "./messaging/guarantees";
export { compareKafkaRabbitMQ, type BrokerComparison, type BrokerComparisonOptions, type BrokerMeasurements } from "./messaging/comparison";
export { type Content } from "./messaging/content";
export { type KafkaOptions } from "./messaging/kafka/cluster";
export { type RecordHeaders } from "./messaging/kafka/log";
export { type RetryOptions as KafkaRetryOptions } from "./messaging/kafka/retry";
export { type RebalanceRecord, type LagRow } from "./messaging/kafka/group";
export {
  type AmqpMessage,
  type MessageFields,
  type MessageProperties,
  type PublishOptions,
  type AssertQueueOptions,
  type AssertExchangeOptions,
  type ConsumeOptions,
  type ExchangeType,
  type MessageContent,
} from "./messaging/rabbitmq/types";
