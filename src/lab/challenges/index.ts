/**
 * `sde-lab/challenges`: one challenge per pattern, keyed by catalog id.
 *
 * ```ts
 * import { challenges } from "sde-lab/challenges";
 * await challenges["circuit-breaker"].check({ ... });   // renders a pass/fail table
 * ```
 */
import { microservicesChallenges } from "./microservices";
import { distributedDataChallenges } from "./distributed-data";
import { protocolsChallenges } from "./protocols";
import { messagingChallenges } from "./messaging";

export {
  defineBuildChallenge,
  type BuildCheckReport,
  type BuildChallenge,
  type BuildChallengeSpec,
  type BuildReport,
  type BuildStage,
  type CaseOutcome,
  type CaseStage,
  type CheckCase,
  type FaultSpec,
  type Hints,
  type PropertyStage,
  type StageResult,
} from "./build";
export type { GatewayBuild, GatewayKit, GatewayMiddleware, GatewayNext, GatewayRequest, GatewayRoute } from "./build-microservices/api-gateway";
export type { Limiter, LimiterBuild } from "./build-microservices/rate-limiting";
export type { BffBuild, BffKit, HomePart, HomeScreen } from "./build-microservices/bff";
export type { RetryTopologyConfig, RetryTopologySolution } from "./build-messaging/retry-topology";
export type { QueueJob, QueueJobHandler, WorkQueueOnBothSolution } from "./build-messaging/work-queue-both";
export type { MetricPoint, TelemetrySolution } from "./build-messaging/telemetry";
export type { DiscoveryBuild, DiscoveryClient, DiscoveryKit, RegistryInstance } from "./build-microservices/client-side-discovery";
export type { HealthCheckKit, LoadBalancer, LoadBalancerBuild } from "./build-microservices/server-side-discovery";
export type { Bulkhead, BulkheadBuild, BulkheadKit, BulkheadOptions } from "./build-microservices/bulkhead";
export type { SidecarBuild, SidecarKit, SidecarProxy } from "./build-microservices/sidecar";
export type { RestResourceBuild, NoteStore, NoteRecord, NoteFields } from "./build-protocols/rest";
export type { GraphQLBatchBuild, BatchFn, BatchLoader, BlogRequest, BlogBackend, BlogResolvers, BlogResolver, AuthorRecord, PostRecord } from "./build-protocols/graphql";
export type { GrpcProfileBuild, UsersClient } from "./build-protocols/grpc";
export type { Breaker, BreakerBuild, BreakerOptions, BreakerState } from "./build-microservices/circuit-breaker";
export type { RetryBuild, RetryKit } from "./build-microservices/retry-backoff";
export type { DeadlineKit, Downstream, TimeoutBuild } from "./build-microservices/timeout";
export { type ChallengeReport, DEFAULT_SEEDS, defineChallenge, type Challenge, type ChallengeSpec, type Comparison, type Target, type TargetResult } from "./challenge";

/** What each challenge's `check` takes: the learner's solution. */
export type { GatewaySolution, RateLimitSolution, BffSolution, DiscoverySolution, ProtectSolution, RetrySolution, TimeoutSolution, SidecarSolution } from "./microservices";
export type { ShardingWarmupSolution, PartitioningSolution, PlacementSolution, TwoPhaseTimersSolution, SagaSolution, EventSourcingSolution, CqrsSolution } from "./distributed-data";
export type { RestScreenSolution, GraphQLScreenSolution, GrpcDeadlineSolution, WebSocketResumeSolution, SseSolution, LongPollSolution } from "./protocols";
export type { KafkaSolution, RabbitSolution, ReplaySolution, AtMostOnceSolution, AtLeastOnceSolution, ExactlyOnceSolution } from "./messaging";


/** Every challenge, keyed by the catalog id of the pattern it practises. */
export const challenges = {
  ...microservicesChallenges,
  ...distributedDataChallenges,
  ...protocolsChallenges,
  ...messagingChallenges,
};

/** Ids of all challenges. */
export type ChallengeId = keyof typeof challenges;

// Learner-facing interfaces of the distributed-data build challenges.
export type { ShardRange, ShardRouter, ShardingSolution, JoinRow, JoinSolution, OrderRow, PartitionClient, UserRow, Ring, RingOptions, RingSolution, Participant, ParticipantEnv, TwoPcRecord, TwoPhaseSolution, TxnWrites, SagaEnv, SagaOrchestratorSolution, SagaStepInfo, AccountCommand, AccountEvent, AccountSnapshot, AccountState, AccountStore, EventSourcingBuildSolution, StoredAccountEvent, BalanceEvent, CqrsBuildSolution, Projector, QueryContext, ReadDb } from "./distributed-data-types";
// Learner-facing interfaces of the protocols section's real-time build challenges.
export type { WebSocketBuild, WsClientKit, WsMessage, WsTimer, ResumingClient } from "./protocols-build/websocket";
export type { SseBuild, SseClientKit, SseEvent, SseParser, SseTimer } from "./protocols-build/sse";
export type { LongPollBuild, LongPollClientKit, LongPollServerKit, PollEvent, PollReply, PollTimer } from "./protocols-build/long-polling";
// Learner-facing interfaces of the messaging build challenges (kafka, at-least-once, exactly-once).
export type { ConsumerLoopKit, ConsumerLoopSolution } from "./messaging-build/consumer-loop";
export type { IdempotentConsumerSolution, PaymentsStore, PaymentsTx } from "./messaging-build/idempotent-consumer";
export type { ReadProcessWriteKit, ReadProcessWriteSolution } from "./messaging-build/read-process-write";
