/** Distributed data: sharding, consistent hashing, 2PC, sagas, event sourcing and CQRS. */
export { UnknownShardError, EmptyRingError, DuplicateNodeError, MalformedEventError, WrongExpectedVersionError, CommandRejectedError, type ExpectedRevision } from "./errors";
export { murmur3 } from "./hash";
export { HashRing, HASH_RING_DEFAULTS, ModNHashing, RendezvousHashing, type Placement, type NodeWeight, type HashRingOptions, type RingNode } from "./placement";
export { sampleKeys, loadStats, movement, vnodeSpread, LoadStats, Movement, SpreadTable, type Flow, type VnodeSpreadOptions } from "./placement-stats";
export { RangeSharding, HashSharding, hashSharding, ringSharding, KeyOutOfRangeError, type ShardStrategy, type ShardKey, type KeyRange } from "./shard-strategy";
export { ShardedStore, SHARDED_STORE_DEFAULTS, QueryResult, ShardStatsTable, ReshardReport, type ShardedStoreOptions, type ShardStats, type Row } from "./sharded-store";
export { VerticalStore, VERTICAL_STORE_DEFAULTS, JoinResult, type VerticalStoreOptions, type TableRecord, type ReadResult } from "./vertical";
export {
  TwoPhaseCommit,
  TWO_PHASE_COMMIT_DEFAULTS,
  TransactionResult,
  TransactionReport,
  LocksTable,
  AgreementCheck,
  type TwoPhaseCommitOptions,
  type TransactionSpec,
  type CoordinatorCrashPoint,
  type ParticipantState,
  type ParticipantRow,
  type LockRow,
} from "./two-phase-commit";
export { SagaOrchestrator, SagaRun, SAGA_DEFAULTS, type SagaStep, type SagaDefinition, type SagaOptions, type SagaStatus, type StepKind, type SagaHistoryEntry } from "./saga";
export { Choreography, CHOREOGRAPHY_DEFAULTS, type ChoreographyEvent, type ChoreographyHandler, type ChoreographyOptions, type EmittedEvent } from "./choreography";
export { sagaIsolationDemo, SagaIsolationResult, type SagaIsolationOptions } from "./saga-isolation";
export { EventStore, eventTable, type EventData, type EventPayload, type RecordedEvent, type AppendOptions, type AppendResult, type ReadOptions, type Upcaster, type Subscription, type SubscribeOptions } from "./event-store";
export { AggregateRepository, bankAccount, moneyDepositedV1toV2, describeLoad, type AggregateType, type RepositoryOptions, type Loaded, type CommandResult, type AccountState, type AccountCommand, type BankAccountOptions } from "./aggregate";
export { Projection, PROJECTION_DEFAULTS, type ProjectionDefinition, type ProjectionOptions, type Staleness } from "./projection";
