/** Learner-facing types of the distributed-data build challenges (exported from `sde-lab/challenges`). */
export type { ShardRange, ShardRouter, ShardingSolution } from "./data/sharding";
export type { JoinRow, JoinSolution, OrderRow, PartitionClient, UserRow } from "./data/vertical";
export type { Ring, RingOptions, RingSolution } from "./data/ring";
export type { Participant, ParticipantEnv, TwoPcRecord, TwoPhaseSolution, TxnWrites } from "./data/two-phase";
export type { SagaEnv, SagaOrchestratorSolution, SagaStepInfo } from "./data/saga";
export type { AccountCommand, AccountEvent, AccountSnapshot, AccountState, AccountStore, EventSourcingBuildSolution, StoredAccountEvent } from "./data/event-sourcing";
export type { BalanceEvent, CqrsBuildSolution, Projector, QueryContext, ReadDb } from "./data/cqrs";
