/**
 * The brokers as a client sees them — kafkajs's split of client, cluster and broker pool.
 * Producers, consumers and admin clients hold a {@link BrokerPool}, never the
 * {@link KafkaCluster}: every fact about broker state they use (offsets, high watermarks,
 * producer ids and epochs, error codes) arrives in the answer to a request that crossed the
 * simulated network (a {@link roundTrip}). The cluster sits in a private field of the pool,
 * so client code cannot reach the logs, the coordinators or the transaction state.
 *
 * Each method is one Kafka request (`Produce`, `Fetch`, `InitProducerId`,
 * `AddPartitionsToTxn`, `EndTxn`, `OffsetCommit`, …) with its broker-side handler. Answers
 * are plain data; broker errors come back as {@link KafkaJSProtocolError}s with Kafka's code.
 *
 * Simplifications, as in the cluster: clients always have fresh metadata (leaders, partition
 * counts) without a Metadata request; the group coordinator's generation and assignment are
 * read without a request (members notice a rebalance at their next step); a fetch that finds
 * nothing waits at the broker through {@link BrokerPool.waitForData} before asking again.
 */
import type { Simulation } from "../../sim/simulation";
import type { SimNode } from "../../sim/node";
import { KafkaJSNonRetriableError, KafkaJSProtocolError } from "./errors";
import type { KafkaCluster, OpenTransaction, PartitionState } from "./cluster";
import type { PartitionMetadata } from "./partitioners";
import type { RetryOptions } from "./retry";
import type { MemberHandle } from "./group";
import type { RecordHeaders, TopicConfig } from "./log";
import type { Content } from "../content";

/** A message as a fetch returns it (kafkajs's `KafkaMessage`). */
export interface FetchedMessage {
  key: Content | null;
  value: Content | null;
  headers: RecordHeaders;
  /** CreateTime, ms as a string. */
  timestamp: string;
  offset: string;
  attributes: number;
}

/** One partition of a Fetch answer. */
export interface FetchedPartition {
  topic: string;
  partition: number;
  /** The offset this fetch read from (the committed or reset offset when the client sent none). */
  fetchOffset: number;
  messages: FetchedMessage[];
  /** Where the next fetch starts (past skipped markers and aborted records). */
  nextOffset: number;
  /** The partition's high watermark when the broker answered. */
  highWatermark: number;
  /** The partition's last stable offset when the broker answered. */
  lastStableOffset: number;
  error?: KafkaJSProtocolError;
}

/** One partition a Fetch asks for. `offset` undefined: start at the group's committed offset, else per `fromBeginning`. */
export interface FetchTarget {
  topic: string;
  partition: number;
  offset?: number;
}

/** A record to append, as the producer sends it. */
export interface ProduceRecord {
  key?: Content | null;
  value: Content | null;
  headers?: RecordHeaders;
  timestamp?: string;
}

/** A Produce request for one partition. */
export interface ProduceRequest {
  topic: string;
  partition: number;
  acks: number;
  records: readonly ProduceRecord[];
  timestamp: number;
  producerId: number;
  epoch: number;
  firstSeq: number;
  /** Set for a transactional write: the partition must have been added with AddPartitionsToTxn. */
  transaction?: TxnIdentity;
}

/** What a transactional request identifies itself with. */
export interface TxnIdentity {
  transactionalId: string;
  producerId: number;
  epoch: number;
  /** Which transaction of this producer instance (1, 2, …): a coordinator-aborted one stays aborted. */
  txn: number;
}

/** A consumer group as DescribeGroups returns it (assignments as objects, not Buffers). */
export interface GroupDescription {
  groupId: string;
  state: string;
  protocol: string;
  protocolType: string;
  members: { memberId: string; clientId: string; clientHost: string; memberAssignment: Record<string, number[]> }[];
}

const pools = new WeakMap<BrokerPool, KafkaCluster>();

/** The brokers of one cluster, reached only by requests. Made by the `Kafka` factory for its clients. */
export class BrokerPool {
  /** The simulation the brokers run in. */
  readonly sim: Simulation;
  /** Client id reported by the clients. */
  readonly clientId: string;
  /** The cluster-wide retry schedule (kafkajs's `retry`). */
  readonly retry: Required<RetryOptions>;
  /** Broker `num.partitions` and `default.replication.factor`, as the admin client's defaults. */
  readonly topicDefaults: { readonly numPartitions: number; readonly replicationFactor: number };

  /** @internal */
  constructor(cluster: KafkaCluster) {
    pools.set(this, cluster);
    this.sim = cluster.sim;
    this.clientId = cluster.options.clientId;
    this.retry = cluster.retry;
    this.topicDefaults = { numPartitions: cluster.options.numPartitions, replicationFactor: cluster.options.defaultReplicationFactor };
  }

  // ---- local knowledge: names and (always fresh) metadata ------------------------------

  /** A node name not used yet, `<prefix>-<n>`. */
  clientName(prefix: string): string {
    return c(this).clientName(prefix);
  }

  /** The simulation node name of a broker. */
  brokerName(id: number): string {
    return c(this).brokerNode(id).name;
  }

  /** The group and transaction coordinator's broker id. */
  coordinator(): number {
    return c(this).coordinatorId();
  }

  /** Partition metadata of a topic (auto-created if allowed and `autoCreate`); throws UNKNOWN_TOPIC_OR_PARTITION. */
  metadata(topic: string, autoCreate = false): PartitionMetadata[] {
    const k = c(this);
    k.topic(topic, autoCreate);
    return k.partitionMetadata(topic);
  }

  /** The leader's broker id of a partition (-1 when it has none). */
  leader(topic: string, partition: number): number {
    return c(this).partitionState(topic, partition).leader;
  }

  /** Names of the topics. */
  topicNames(): string[] {
    return [...c(this).topics.keys()];
  }

  /** True when `from` is up and can exchange messages with the broker now. */
  canReach(from: SimNode, broker: number): boolean {
    return c(this).canReach(from, broker);
  }

  // ---- producing ---------------------------------------------------------------------

  /** InitProducerId: a producer id, and for a transactional id the bumped epoch that fences older instances. */
  initProducerId(from: SimNode, transactionalId?: string): Promise<{ producerId: number; epoch: number }> {
    const k = c(this);
    return k.request(from, k.coordinatorId(), () => {
      if (transactionalId === undefined) return { producerId: k.newProducerId(), epoch: 0 };
      const state = k.initTransactionalId(transactionalId);
      return { producerId: state.producerId, epoch: state.epoch };
    });
  }

  /** Produce to the partition's leader; resolves per `acks` with the base offset and the log start offset. */
  produce(from: SimNode, leader: number, r: ProduceRequest): Promise<{ baseOffset: number; logStartOffset: number }> {
    const k = c(this);
    return k.request(from, leader, async () => {
      const p = k.partitionState(r.topic, r.partition);
      let open: OpenTransaction | undefined;
      if (r.transaction !== undefined) {
        open = openTransaction(k, r.transaction);
        if (!open.partitions.has(p)) throw new KafkaJSProtocolError("INVALID_TXN_STATE", `${r.topic}-${r.partition} was not added to the transaction of "${r.transaction.transactionalId}" (AddPartitionsToTxn)`);
      }
      const baseOffset = await k.produce(p, leader, r.acks, () => {
        // The last stable offset stops at the transaction's first record in this partition.
        if (open && !p.openTxns.has(open.state)) p.openTxns.set(open.state, p.log.logEndOffset);
        return p.log.append({ records: r.records, timestamp: r.timestamp, producerId: r.producerId, epoch: r.epoch, firstSeq: r.firstSeq, txn: open?.state }, k.sim.now).baseOffset;
      });
      return { baseOffset, logStartOffset: p.log.logStartOffset };
    });
  }

  /** AddPartitionsToTxn: opens the transaction on first use (its timeout starts) and adds the partitions. */
  addPartitionsToTxn(from: SimNode, id: TxnIdentity, partitions: readonly { topic: string; partition: number }[], transactionTimeout: number): Promise<void> {
    const k = c(this);
    return k.request(from, k.coordinatorId(), () => {
      const open = ensureTransaction(k, id, transactionTimeout);
      for (const tp of partitions) open.partitions.add(k.partitionState(tp.topic, tp.partition));
    });
  }

  /** AddOffsetsToTxn + TxnOffsetCommit: offsets committed for the group if and only if the transaction commits. */
  sendOffsetsToTxn(from: SimNode, id: TxnIdentity, groupId: string, offsets: readonly { topic: string; partition: number; offset: number }[], transactionTimeout: number): Promise<void> {
    const k = c(this);
    return k.request(from, k.coordinatorId(), () => {
      const open = ensureTransaction(k, id, transactionTimeout);
      for (const o of offsets) open.offsets.push({ groupId, ...o });
    });
  }

  /** EndTxn: commit or abort (markers on every partition written; offsets sent are committed on commit). */
  endTxn(from: SimNode, id: TxnIdentity, commit: boolean): Promise<void> {
    const k = c(this);
    return k.request(from, k.coordinatorId(), () => {
      const st = checkEpoch(k, id);
      if (st.open?.seq === id.txn) k.endTransaction(id.transactionalId, st.open, commit);
      else if (st.aborted === id.txn) throw new KafkaJSProtocolError("INVALID_TXN_STATE", `the transaction of "${id.transactionalId}" was already aborted (it ran past transactionTimeout or was fenced)`);
      // Otherwise nothing was written or sent: there is nothing to end.
    });
  }

  // ---- consuming ---------------------------------------------------------------------

  /**
   * Fetch from a leader: per partition the messages from the offset, the next offset, and
   * the high watermark and last stable offset as the broker sees them now.
   */
  fetch(from: SimNode, leader: number, targets: readonly FetchTarget[], o: { groupId: string; fromBeginning: boolean; readCommitted: boolean; maxBytes: number }): Promise<FetchedPartition[]> {
    const k = c(this);
    return k.request(from, leader, () =>
      targets.map((t) => {
        const p = k.partitionState(t.topic, t.partition);
        const offset = t.offset ?? resetOffset(k, o.groupId, p, o.fromBeginning);
        const f = k.fetchPartition(p, offset, o.readCommitted, o.maxBytes);
        const messages: FetchedMessage[] = new Array<FetchedMessage>(f.records.length);
        for (let i = 0; i < f.records.length; i++) {
          const r = f.records[i]!;
          messages[i] = { key: r.key, value: r.value, headers: r.headers, timestamp: String(r.timestamp), offset: String(r.offset), attributes: 0 };
        }
        return { topic: p.topic, partition: p.partition, fetchOffset: offset, messages, nextOffset: f.nextOffset, highWatermark: f.highWatermark, lastStableOffset: f.lastStableOffset, error: f.error };
      }),
    );
  }

  /**
   * The broker holding an empty fetch: resolves at once if any partition has data past the
   * given offset (below the high watermark, or the last stable offset when `readCommitted`),
   * else when data lands, `extra` wakes it, or `ms` passes.
   */
  waitForData(targets: readonly { topic: string; partition: number; offset: number }[], readCommitted: boolean, ms: number, extra?: (wake: () => void) => void): Promise<void> {
    const k = c(this);
    const states = targets.map((t) => k.partitionState(t.topic, t.partition));
    const ready = states.some((p, i) => (readCommitted ? k.lastStableOffset(p) : p.log.highWatermark) > targets[i]!.offset);
    if (ready) return Promise.resolve();
    return k.waitForData(states, ms, extra);
  }

  /** Waits `ms` or until `extra` wakes it (a consumer with nothing to fetch). */
  idle(ms: number, extra: (wake: () => void) => void): Promise<void> {
    return c(this).waitForData([], ms, extra);
  }

  // ---- groups ------------------------------------------------------------------------

  /** JoinGroup (and the rebalance it causes). */
  joinGroup(from: SimNode, groupId: string, handle: MemberHandle): Promise<void> {
    const k = c(this);
    return k.request(from, k.coordinatorId(), () => k.group(groupId).join(handle));
  }

  /** The member's generation and assignment now (undefined once removed from the group). */
  sync(groupId: string, memberId: string): { generation: number; assignment: Record<string, number[]> } | undefined {
    return c(this).group(groupId).sync(memberId);
  }

  /** True when the member may fetch this partition now (the previous owner has let go of it). */
  mayFetch(groupId: string, memberId: string, topic: string, partition: number): boolean {
    return c(this).group(groupId).mayFetch(memberId, topic, partition);
  }

  /** The member stopped consuming these partitions. */
  release(groupId: string, memberId: string, partitions: readonly { topic: string; partition: number }[]): void {
    c(this).group(groupId).release(memberId, partitions);
  }

  /** A heartbeat, if it gets through to the coordinator now. */
  heartbeat(from: SimNode, groupId: string, memberId: string): void {
    const k = c(this);
    if (k.canReach(from, k.coordinatorId())) k.group(groupId).heartbeat(memberId);
  }

  /** OffsetCommit: refused with UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION for a member the group no longer knows. */
  commitOffsets(from: SimNode, groupId: string, memberId: string | undefined, generation: number, offsets: readonly { topic: string; partition: number; offset: number; metadata: string | null }[]): Promise<void> {
    const k = c(this);
    return k.request(from, k.coordinatorId(), () => k.group(groupId).commit(memberId, generation, offsets));
  }

  /** LeaveGroup. */
  leaveGroup(from: SimNode, groupId: string, memberId: string): Promise<void> {
    const k = c(this);
    return k.request(from, k.coordinatorId(), () => k.group(groupId).leave(memberId, `${memberId} left`));
  }

  /** DescribeGroups. */
  describeGroups(from: SimNode, groupIds: readonly string[]): Promise<GroupDescription[]> {
    const k = c(this);
    return k.request(from, k.coordinatorId(), () =>
      groupIds.map((id) => {
        const g = k.group(id);
        return {
          groupId: id,
          state: g.state,
          protocol: g.protocol,
          protocolType: "consumer",
          members: [...g.members.values()].map((m) => ({ memberId: m.handle.memberId, clientId: m.handle.clientId, clientHost: `/${m.handle.memberId}`, memberAssignment: g.assignment[m.handle.memberId] ?? {} })),
        };
      }),
    );
  }

  // ---- admin ---------------------------------------------------------------------------

  /** CreateTopics; true if every topic was new. */
  createTopics(from: SimNode, topics: readonly { topic: string; numPartitions: number; replicationFactor: number; config: Partial<TopicConfig> }[]): Promise<boolean> {
    const k = c(this);
    return k.request(from, k.coordinatorId(), () => {
      let all = true;
      for (const t of topics) all = k.createTopic(t.topic, t.numPartitions, t.replicationFactor, t.config) && all;
      return all;
    });
  }

  /** Metadata: the topic names. */
  listTopics(from: SimNode): Promise<string[]> {
    const k = c(this);
    return k.request(from, k.coordinatorId(), () => [...k.topics.keys()]);
  }

  /** DeleteTopics. */
  deleteTopics(from: SimNode, topics: readonly string[]): Promise<void> {
    const k = c(this);
    return k.request(from, k.coordinatorId(), () => {
      for (const t of topics) {
        k.topic(t);
        k.topics.delete(t);
      }
    });
  }

  /** Metadata of topics (all when none given). */
  fetchTopicMetadata(from: SimNode, topics?: readonly string[]): Promise<{ name: string; partitions: PartitionMetadata[] }[]> {
    const k = c(this);
    return k.request(from, k.coordinatorId(), () => (topics ?? [...k.topics.keys()]).map((name) => ({ name, partitions: k.partitionMetadata(name) })));
  }

  /** ListOffsets: log start and high watermark per partition. */
  listOffsets(from: SimNode, topic: string): Promise<{ partition: number; low: number; high: number }[]> {
    const k = c(this);
    return k.request(from, k.coordinatorId(), () =>
      k.topic(topic).partitions.map((p) => {
        p.log.maintain(k.sim.now);
        return { partition: p.partition, low: p.log.logStartOffset, high: p.log.highWatermark };
      }),
    );
  }

  /** OffsetFetch: committed offsets of a group (all topics it committed for when none given). */
  fetchOffsets(from: SimNode, groupId: string, topics?: readonly string[]): Promise<{ topic: string; partitions: { partition: number; offset: string; metadata: string | null }[] }[]> {
    const k = c(this);
    return k.request(from, k.coordinatorId(), () => {
      const g = k.group(groupId);
      const names = topics ?? [...new Set([...g.committed.keys()].map((key) => key.split("\u0000")[0]!))];
      return names.map((topic) => ({
        topic,
        partitions: k.topic(topic).partitions.map((p) => {
          const committed = g.committed.get(`${topic}\u0000${p.partition}`);
          return { partition: p.partition, offset: committed ? String(committed.offset) : "-1", metadata: committed?.metadata ?? null };
        }),
      }));
    });
  }

  /** Sets a group's offsets: explicit ones, or the earliest/latest of every partition of the topic. Refused while the group has members. */
  setOffsets(from: SimNode, groupId: string, topic: string, to: readonly { partition: number; offset: number }[] | "earliest" | "latest"): Promise<void> {
    const k = c(this);
    return k.request(from, k.coordinatorId(), () => {
      const g = k.group(groupId);
      if (g.members.size > 0) throw new KafkaJSNonRetriableError(`The consumer group must have no running instances, current state: ${g.state}`);
      if (typeof to !== "string") for (const p of to) g.storeOffset(topic, p.partition, p.offset, null);
      else for (const p of k.topic(topic).partitions) g.storeOffset(topic, p.partition, to === "earliest" ? p.log.logStartOffset : p.log.highWatermark, null);
    });
  }

  /** ListGroups. */
  listGroups(from: SimNode): Promise<string[]> {
    const k = c(this);
    return k.request(from, k.coordinatorId(), () => [...k.groups.keys()]);
  }

  /** DescribeCluster: the brokers and the controller. */
  describeCluster(from: SimNode): Promise<{ brokers: { nodeId: number; host: string; port: number }[]; controller: number; clusterId: string }> {
    const k = c(this);
    return k.request(from, k.coordinatorId(), () => ({
      brokers: k.brokerIds.map((id) => ({ nodeId: id, host: k.brokerNode(id).name, port: 9092 })),
      controller: k.coordinatorId(),
      clusterId: `sim-${k.options.name}`,
    }));
  }
}

function c(pool: BrokerPool): KafkaCluster {
  return pools.get(pool)!;
}

/** Where a consumer without a position starts: the committed offset if still in the log, else the log start or the high watermark. */
function resetOffset(k: KafkaCluster, groupId: string, p: PartitionState, fromBeginning: boolean): number {
  const committed = k.groups.get(groupId)?.committedOffset(p.topic, p.partition);
  if (committed !== undefined && committed >= p.log.logStartOffset && committed <= p.log.logEndOffset) return committed;
  return fromBeginning ? p.log.logStartOffset : p.log.highWatermark;
}

/** The coordinator's state of a transactional id, refused with INVALID_PRODUCER_EPOCH when the caller's epoch is old. */
function checkEpoch(k: KafkaCluster, id: TxnIdentity) {
  const st = k.transactionalIds.get(id.transactionalId);
  if (!st || st.producerId !== id.producerId || st.epoch !== id.epoch) {
    throw new KafkaJSProtocolError(
      "INVALID_PRODUCER_EPOCH",
      `transactional id "${id.transactionalId}" was taken over by a newer producer (epoch ${st?.epoch} > ${id.epoch}): this instance is a zombie and is fenced`,
    );
  }
  return st;
}

/** The open transaction of a transactional id, opened on first use (its timeout starts then). */
function ensureTransaction(k: KafkaCluster, id: TxnIdentity, timeout: number): OpenTransaction {
  const st = checkEpoch(k, id);
  if (st.open?.seq === id.txn) return st.open;
  if (st.aborted === id.txn) throw new KafkaJSProtocolError("INVALID_PRODUCER_EPOCH", `the transaction of "${id.transactionalId}" was already aborted (timed out or fenced)`);
  const open: OpenTransaction = { seq: id.txn, state: { producerId: st.producerId, status: "ongoing" }, partitions: new Set(), offsets: [] };
  open.timer = k.sim.schedule(timeout, () => {
    if (st.open !== open) return;
    st.aborted = id.txn;
    k.endTransaction(id.transactionalId, open, false, `transaction.timeout.ms ${timeout} ms passed`);
  });
  st.open = open;
  return open;
}

/** The open transaction a transactional produce writes into. */
function openTransaction(k: KafkaCluster, id: TxnIdentity): OpenTransaction {
  const st = checkEpoch(k, id);
  if (st.open?.seq !== id.txn) throw new KafkaJSProtocolError("INVALID_PRODUCER_EPOCH", `the transaction of "${id.transactionalId}" was already aborted (timed out or fenced)`);
  return st.open;
}
