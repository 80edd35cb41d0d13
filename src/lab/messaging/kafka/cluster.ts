/**
 * The simulated Kafka cluster: brokers (simulation nodes `kafka-0`, `kafka-1`, … that faults
 * can crash and partition), topics of partitions with a leader and followers, replication
 * and the high watermark, the group and transaction coordinators' state, and the request
 * path (network latency, loss, timeouts, dead brokers).
 *
 * Simplifications: one controller that is never down; leaders move only when a broker is
 * fenced (down for `brokerSessionTimeoutMs`) and never move back (no preferred-leader
 * election); clients always have fresh metadata; the group coordinator is the first live
 * broker; followers copy the leader after one broker-to-broker round trip.
 */
import { ConfigError, nonNegative, wholeNumber } from "../../errors";
import { DISPLAY, markdown, table, type MimeBundle } from "../../display";
import type { Simulation } from "../../sim/simulation";
import type { SimNode } from "../../sim/node";
import { linked, roundTrip, type Exchange, type Silence } from "../../sim/rpc";
import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSProtocolError, KafkaJSRequestTimeoutError } from "./errors";
import { PartitionLog, TOPIC_CONFIG_DEFAULTS, type StoredRecord, type TopicConfig, type TxnState } from "./log";
import { retryOptions, type RetryOptions } from "./retry";
import type { PartitionMetadata } from "./partitioners";
import { GroupCoordinator } from "./group";

/** Options of a simulated cluster (`new Kafka(sim, options)`). Defaults in {@link KAFKA_DEFAULTS}. */
export interface KafkaOptions {
  /** Broker count, or broker names as kafkajs's `brokers` list (only the count is used). Default 3. */
  brokers?: number | readonly string[];
  /** Client id reported by producers and consumers. Default `"kafkajs"`. */
  clientId?: string;
  /** Prefix of broker node names: `kafka-0`, `kafka-1`, … Default `"kafka"`. */
  name?: string;
  /** How long a client waits for a broker's answer, ms. Default 30 000 (kafkajs). */
  requestTimeout?: number;
  /** Client retry schedule (kafkajs's `retry`). */
  retry?: RetryOptions;
  /**
   * Create a topic the first time a producer or consumer asks for it (the broker's
   * `auto.create.topics.enable`), with {@link numPartitions} partitions. Default **true**, as
   * Apache Kafka's broker: a mistyped topic name then silently becomes a new one-partition
   * topic. Managed clusters usually turn it off; false makes such a send fail with
   * UNKNOWN_TOPIC_OR_PARTITION.
   */
  allowAutoTopicCreation?: boolean;
  /** Broker `num.partitions` for auto-created topics and `createTopics` without a count. Default 1. */
  numPartitions?: number;
  /** Broker `default.replication.factor`. Default 1. */
  defaultReplicationFactor?: number;
  /** Broker `min.insync.replicas` (topics may override). Default 1. */
  minInsyncReplicas?: number;
  /** A broker that stops answering is fenced (leaders move, ISR shrinks) after this, ms. Default 9 000 (KRaft `broker.session.timeout.ms`). */
  brokerSessionTimeoutMs?: number;
  /** A follower that cannot copy the leader for this long leaves the ISR, ms. Default 30 000 (`replica.lag.time.max.ms`). */
  replicaLagTimeMaxMs?: number;
  /** How long after a leader append its live followers have the records, ms (one broker round trip). Default 2. */
  replicationDelayMs?: number;
  /**
   * Broker `unclean.leader.election.enable` (topics may override): when every in-sync replica
   * of a partition is down, elect a live replica that is behind at once, and lose the records
   * it never copied (acknowledged ones included), rather than keep the partition offline
   * until an in-sync replica returns. Default **false**, as Apache Kafka since 0.11.
   */
  uncleanLeaderElectionEnable?: boolean;
}

/** Defaults of {@link KafkaOptions}. */
export const KAFKA_DEFAULTS = {
  brokers: 3,
  clientId: "kafkajs",
  name: "kafka",
  requestTimeout: 30_000,
  allowAutoTopicCreation: true,
  numPartitions: 1,
  defaultReplicationFactor: 1,
  minInsyncReplicas: 1,
  brokerSessionTimeoutMs: 9_000,
  replicaLagTimeMaxMs: 30_000,
  replicationDelayMs: 2,
  uncleanLeaderElectionEnable: false,
} as const;

/** @internal A partition's replicated state. */
export interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly log: PartitionLog;
  leader: number;
  readonly replicas: number[];
  isr: number[];
  /** Producers waiting for acks=all: resolved when the high watermark passes `offset`. */
  ackWaiters: { offset: number; resolve: () => void; reject: (e: Error) => void }[];
  /** Fetches waiting for data (long poll). */
  dataWaiters: Set<() => void>;
  replicationScheduled: boolean;
  /** When each follower last caught up with the leader. */
  caughtUpAt: Map<number, number>;
  /** First offset of each open transaction here (for the last stable offset). */
  openTxns: Map<TxnState, number>;
}

/** @internal */
export interface TopicState {
  readonly name: string;
  readonly config: TopicConfig;
  readonly partitions: PartitionState[];
}

/** @internal A transactional id's state at the transaction coordinator. */
export interface TransactionalIdState {
  producerId: number;
  epoch: number;
  open?: OpenTransaction;
  /** The producer's transaction number the coordinator aborted on timeout (it stays aborted). */
  aborted?: number;
}

/** @internal */
export interface OpenTransaction {
  /** The producer's number of this transaction. */
  seq: number;
  state: TxnState;
  partitions: Set<PartitionState>;
  offsets: { groupId: string; topic: string; partition: number; offset: number }[];
  timer?: { cancel(): void };
}

/** One record returned by a fetch. */
export interface FetchedRecord {
  record: StoredRecord;
}

/** @internal Result of fetching one partition. */
export interface PartitionFetch {
  topic: string;
  partition: number;
  records: StoredRecord[];
  /** Where the next fetch starts (past skipped markers and aborted records). */
  nextOffset: number;
  highWatermark: number;
  lastStableOffset: number;
  error?: KafkaJSProtocolError;
}

/** A simulated Kafka cluster, the entry point shaped like kafkajs's `new Kafka(config)`. */
export class KafkaCluster {
  readonly options: Readonly<Required<Omit<KafkaOptions, "brokers" | "retry">>> & { readonly brokers: number };
  /** The retry schedule clients use (filled-in kafkajs defaults). */
  readonly retry: Required<RetryOptions>;
  /** @internal */ readonly topics = new Map<string, TopicState>();
  /** @internal */ readonly groups = new Map<string, GroupCoordinator>();
  /** @internal */ readonly transactionalIds = new Map<string, TransactionalIdState>();
  private readonly brokerNodes: SimNode[] = [];
  private readonly fenced = new Set<number>();
  private nextProducerId = 1000;
  private clients = 0;

  constructor(
    readonly sim: Simulation,
    options: KafkaOptions = {},
  ) {
    const brokers = options.brokers ?? KAFKA_DEFAULTS.brokers;
    const count = typeof brokers === "number" ? brokers : brokers.length;
    wholeNumber("Kafka", "brokers", count);
    const name = options.name ?? KAFKA_DEFAULTS.name;
    if (typeof name !== "string" || name === "") throw new ConfigError("Kafka", "name", name, "a non-empty string");
    this.options = {
      brokers: count,
      clientId: options.clientId ?? KAFKA_DEFAULTS.clientId,
      name,
      requestTimeout: nonNegative("Kafka", "requestTimeout", options.requestTimeout ?? KAFKA_DEFAULTS.requestTimeout, 1),
      allowAutoTopicCreation: options.allowAutoTopicCreation ?? KAFKA_DEFAULTS.allowAutoTopicCreation,
      numPartitions: wholeNumber("Kafka", "numPartitions", options.numPartitions ?? KAFKA_DEFAULTS.numPartitions),
      defaultReplicationFactor: wholeNumber("Kafka", "defaultReplicationFactor", options.defaultReplicationFactor ?? KAFKA_DEFAULTS.defaultReplicationFactor),
      minInsyncReplicas: wholeNumber("Kafka", "minInsyncReplicas", options.minInsyncReplicas ?? KAFKA_DEFAULTS.minInsyncReplicas),
      brokerSessionTimeoutMs: nonNegative("Kafka", "brokerSessionTimeoutMs", options.brokerSessionTimeoutMs ?? KAFKA_DEFAULTS.brokerSessionTimeoutMs),
      replicaLagTimeMaxMs: nonNegative("Kafka", "replicaLagTimeMaxMs", options.replicaLagTimeMaxMs ?? KAFKA_DEFAULTS.replicaLagTimeMaxMs),
      replicationDelayMs: nonNegative("Kafka", "replicationDelayMs", options.replicationDelayMs ?? KAFKA_DEFAULTS.replicationDelayMs),
      uncleanLeaderElectionEnable: options.uncleanLeaderElectionEnable ?? KAFKA_DEFAULTS.uncleanLeaderElectionEnable,
    };
    if (typeof this.options.uncleanLeaderElectionEnable !== "boolean") {
      throw new ConfigError("Kafka", "uncleanLeaderElectionEnable", this.options.uncleanLeaderElectionEnable, "true or false");
    }
    if (this.options.defaultReplicationFactor > count) {
      throw new ConfigError("Kafka", "defaultReplicationFactor", this.options.defaultReplicationFactor, `at most the broker count (${count})`);
    }
    this.retry = retryOptions("Kafka", options.retry);
    for (let id = 0; id < count; id++) {
      const node = sim.service(`${name}-${id}`, () => {
        throw new Error("Kafka brokers answer through the kafkajs-shaped API, not node calls");
      }) as unknown as SimNode;
      // Watch the node's crash/restart (faults.crash / faults.restart) to fence it later.
      const crash = node.crash.bind(node);
      const restart = node.restart.bind(node);
      node.crash = (loseState: boolean) => {
        crash(loseState);
        this.brokerDown(id);
      };
      node.restart = () => {
        restart();
        this.brokerRestarted(id);
      };
      this.brokerNodes.push(node);
    }
  }

  /** Broker ids, 0-based. */
  get brokerIds(): number[] {
    return this.brokerNodes.map((_, i) => i);
  }

  /** The simulation node of a broker. */
  brokerNode(id: number): SimNode {
    const node = this.brokerNodes[id];
    if (!node) throw new ConfigError("Kafka", "broker", id, `a broker id from 0 to ${this.brokerNodes.length - 1}`);
    return node;
  }

  /** True when the broker is running. */
  isBrokerUp(id: number): boolean {
    return this.brokerNode(id).up;
  }

  /** @internal Unique names for client nodes. */
  clientName(prefix: string): string {
    let name: string;
    do name = `${prefix}-${++this.clients}`;
    while (this.sim.hasNode(name));
    return name;
  }

  /** @internal Allocates a producer id (InitProducerId). */
  newProducerId(): number {
    return this.nextProducerId++;
  }

  // ---- brokers going down and up ----------------------------------------------------

  private brokerDown(id: number): void {
    this.sim.schedule(this.options.brokerSessionTimeoutMs, () => {
      if (this.brokerNodes[id]!.up || this.fenced.has(id)) return;
      this.fence(id);
    });
  }

  private fence(id: number): void {
    this.fenced.add(id);
    this.sim.trace.state(this.brokerNodes[id]!.name, "fenced by the controller (session timed out)");
    for (const topic of this.topics.values()) {
      for (const p of topic.partitions) {
        if (!p.replicas.includes(id)) continue;
        // Kafka never shrinks the ISR to nothing: the last in-sync replica stays in it.
        if (p.isr.length > 1) p.isr = p.isr.filter((b) => b !== id);
        if (p.leader === id) this.electLeader(p, "leader fenced");
        else this.advanceHighWatermark(p);
      }
    }
  }

  private electLeader(p: PartitionState, why: string): void {
    const old = p.leader;
    const live = (b: number) => b !== old && this.brokerNodes[b]!.up && !this.fenced.has(b);
    let next = p.isr.find(live);
    if (next === undefined && p.log.config.uncleanLeaderElectionEnable) {
      // Unclean: any live replica, in sync or not (Kafka prefers replica order too).
      next = p.replicas.find(live);
      if (next !== undefined) {
        this.uncleanElection(p, next, why);
        return;
      }
    }
    if (next === undefined) {
      p.leader = -1;
      this.sim.trace.state(`${p.topic}-${p.partition}`, `offline: no in-sync replica left (${why})`);
      for (const w of p.ackWaiters.splice(0)) w.reject(new KafkaJSProtocolError("LEADER_NOT_AVAILABLE", `${p.topic}-${p.partition} has no leader`));
      return;
    }
    // The new leader's log is the truth: what it had not copied is gone (acks=1 records, say).
    const leo = replicaLeo(p, next);
    p.leader = next;
    const lost = p.log.truncateTo(leo);
    for (const r of p.replicas) if (p.log.replicaLeo.has(r) && p.log.replicaLeo.get(r)! > leo) p.log.replicaLeo.set(r, leo);
    p.log.replicaLeo.delete(next);
    this.sim.trace.state(`${p.topic}-${p.partition}`, `leader ${old} → ${next} (${why})${lost ? `, ${lost} records not on the new leader are lost` : ""}`);
    this.sim.metrics.counter("kafka leader elections").inc();
    for (const w of p.ackWaiters.splice(0).filter((x) => x.offset >= leo)) w.reject(new KafkaJSProtocolError("NOT_LEADER_FOR_PARTITION", `${p.topic}-${p.partition} moved to broker ${next}`));
    this.advanceHighWatermark(p);
  }

  /** An out-of-sync replica takes over: its log is the truth, the partition's ISR is just it. */
  private uncleanElection(p: PartitionState, next: number, why: string): void {
    const old = p.leader;
    const leo = replicaLeo(p, next);
    const hw = p.log.highWatermark;
    p.leader = next;
    p.isr = [next];
    const lost = p.log.truncateTo(leo);
    for (const r of p.replicas) if (p.log.replicaLeo.has(r) && p.log.replicaLeo.get(r)! > leo) p.log.replicaLeo.set(r, leo);
    p.log.replicaLeo.delete(next);
    // The old leader's log ran past the new one: when it returns it truncates to this point.
    if (old !== -1 && old !== next) p.log.replicaLeo.set(old, leo);
    const committedLost = Math.max(0, hw - leo);
    this.sim.trace.state(`${p.topic}-${p.partition}`, `unclean election: out-of-sync broker ${next} leads (${why}); ${lost} record(s) it never copied are gone, ${committedLost} of them below the high watermark (acknowledged to acks=all producers)`);
    this.sim.metrics.counter("kafka leader elections").inc();
    this.sim.metrics.counter("kafka unclean leader elections").inc();
    for (const w of p.ackWaiters.splice(0)) w.reject(new KafkaJSProtocolError("NOT_LEADER_FOR_PARTITION", `${p.topic}-${p.partition} moved to broker ${next}`));
    this.advanceHighWatermark(p);
    this.notifyData(p);
  }

  private brokerRestarted(id: number): void {
    if (!this.fenced.delete(id)) return;
    this.sim.trace.state(this.brokerNodes[id]!.name, "back: catching up as a follower");
    for (const topic of this.topics.values()) {
      for (const p of topic.partitions) {
        if (!p.replicas.includes(id)) continue;
        if (p.leader === -1) {
          // Offline partition: a replica from the last ISR may lead; one that is behind only
          // with unclean.leader.election.enable (and then what it lacks is lost).
          if (!p.isr.includes(id)) {
            if (p.log.config.uncleanLeaderElectionEnable) this.uncleanElection(p, id, `broker ${id} came back`);
            continue;
          }
          p.leader = id;
          p.isr = [id];
          p.log.replicaLeo.delete(id);
          this.sim.trace.state(`${p.topic}-${p.partition}`, `leader ${id} (back online)`);
          continue;
        }
        // It truncates to the high watermark, then copies the rest and rejoins the ISR.
        p.log.replicaLeo.set(id, Math.min(p.log.replicaLeo.get(id) ?? 0, p.log.highWatermark));
        this.scheduleReplication(p);
      }
    }
  }

  // ---- requests ------------------------------------------------------------------------

  /**
   * @internal One request from a client node to a broker and its answer: a {@link roundTrip}
   * whose handler runs at the broker. A dead broker refuses the connection; a lost request or
   * answer ends in a {@link KafkaJSRequestTimeoutError} at `timeoutMs` (the broker may have
   * applied the request).
   */
  request<T>(from: SimNode, brokerId: number, handle: () => T | Promise<T>, timeoutMs = this.options.requestTimeout): Promise<T> {
    const broker = this.brokerNode(brokerId).name;
    if (!from.up) return Promise.reject(new KafkaJSConnectionError(`${from.name} is down`, broker));
    return roundTrip<T>(this.sim, {
      from: from.name,
      to: broker,
      timeoutMs,
      // A broker answers in bounded time (acks and long polls end), so no timer per request:
      // the hot path of every produce and fetch.
      timeoutMode: "lost-only",
      serve: (exchange) => serveWith(exchange, handle),
      refused: () => new KafkaJSConnectionError(`Connection error: ${broker} refused the connection (broker down)`, broker),
      callerDown: () => new KafkaJSConnectionError(`${from.name} went down while waiting`, broker),
      timedOut: (silence) => new KafkaJSRequestTimeoutError(`Request to ${broker} timed out after ${timeoutMs} ms (${silenceText(silence)})`, broker),
    });
  }

  /** @internal A node that is up and can reach a broker now (for one-way signals like heartbeats). */
  canReach(from: SimNode, brokerId: number): boolean {
    const b = this.brokerNodes[brokerId]!;
    return from.up && b.up && linked(this.sim, from.name, b.name);
  }

  /** @internal The group coordinator's broker: the first live one (a simplification). */
  coordinatorId(): number {
    const live = this.brokerNodes.findIndex((n, i) => n.up && !this.fenced.has(i));
    return live === -1 ? 0 : live;
  }

  // ---- topics ---------------------------------------------------------------------------

  /** @internal */
  createTopic(name: string, numPartitions: number, replicationFactor: number, config: Partial<TopicConfig>): boolean {
    if (this.topics.has(name)) return false;
    const live = this.brokerIds.filter((b) => this.brokerNodes[b]!.up && !this.fenced.has(b));
    if (replicationFactor > this.brokerNodes.length) {
      throw new KafkaJSProtocolError("INVALID_REPLICATION_FACTOR", `replicationFactor ${replicationFactor} is more than the ${this.brokerNodes.length} brokers`);
    }
    if (live.length < replicationFactor) throw new KafkaJSProtocolError("INVALID_REPLICATION_FACTOR", `only ${live.length} brokers are up for replicationFactor ${replicationFactor}`);
    const full: TopicConfig = { ...TOPIC_CONFIG_DEFAULTS, minInsyncReplicas: this.options.minInsyncReplicas, uncleanLeaderElectionEnable: this.options.uncleanLeaderElectionEnable, ...config };
    const offset = this.topics.size;
    const partitions: PartitionState[] = [];
    for (let p = 0; p < numPartitions; p++) {
      // Kafka spreads leaders round robin over brokers, followers on the next ones.
      const replicas = Array.from({ length: replicationFactor }, (_, r) => live[(p + offset + r) % live.length]!);
      const log = new PartitionLog(name, p, full);
      for (const r of replicas.slice(1)) log.replicaLeo.set(r, 0);
      const state: PartitionState = {
        topic: name,
        partition: p,
        log,
        leader: replicas[0]!,
        replicas,
        isr: [...replicas],
        ackWaiters: [],
        dataWaiters: new Set(),
        replicationScheduled: false,
        caughtUpAt: new Map(replicas.map((r) => [r, this.sim.now])),
        openTxns: new Map(),
      };
      partitions.push(state);
    }
    this.topics.set(name, { name, config: full, partitions });
    this.sim.trace.state(this.options.name, `created topic ${name} (${numPartitions} partitions, replication ${replicationFactor})`);
    return true;
  }

  /** @internal The topic, or an UNKNOWN_TOPIC_OR_PARTITION error (auto-created if allowed). */
  topic(name: string, autoCreate = false): TopicState {
    let t = this.topics.get(name);
    if (!t && autoCreate && this.options.allowAutoTopicCreation) {
      this.createTopic(name, this.options.numPartitions, this.options.defaultReplicationFactor, {});
      t = this.topics.get(name);
    }
    if (!t) {
      const known = [...this.topics.keys()];
      throw new KafkaJSProtocolError(
        "UNKNOWN_TOPIC_OR_PARTITION",
        `topic "${name}" does not exist (topics: ${known.length ? known.join(", ") : "none"}); create it first with kafka.admin().createTopics({ topics: [{ topic: "${name}", numPartitions: 3 }] })`,
      );
    }
    return t;
  }

  /** @internal */
  partitionState(topic: string, partition: number): PartitionState {
    const t = this.topic(topic);
    const p = t.partitions[partition];
    if (!p) throw new KafkaJSProtocolError("UNKNOWN_TOPIC_OR_PARTITION", `topic "${topic}" has partitions 0–${t.partitions.length - 1}, not ${partition}`);
    return p;
  }

  /** Bytes a topic's partitions hold now (after retention and compaction), keys + values + record overhead. */
  logSize(topic: string): number {
    return this.topic(topic).partitions.reduce((a, p) => {
      p.log.maintain(this.sim.now);
      return a + p.log.size;
    }, 0);
  }

  /** Partition metadata of a topic, as kafkajs gives partitioners. */
  partitionMetadata(topic: string): PartitionMetadata[] {
    return this.topic(topic).partitions.map((p) => ({ partitionId: p.partition, leader: p.leader, replicas: [...p.replicas], isr: [...p.isr], partitionErrorCode: p.leader === -1 ? 5 : 0 }));
  }

  // ---- produce, replication, fetch -----------------------------------------------------

  /** @internal Leader-side append; resolves per `acks` (1: leader wrote; -1: every ISR replica wrote). */
  async produce(p: PartitionState, brokerId: number, acks: number, append: () => number): Promise<number> {
    if (p.leader !== brokerId) throw new KafkaJSProtocolError("NOT_LEADER_FOR_PARTITION", `${p.topic}-${p.partition} is led by broker ${p.leader}`);
    if (acks === -1 && p.isr.length < p.log.config.minInsyncReplicas) {
      throw new KafkaJSProtocolError("NOT_ENOUGH_REPLICAS", `${p.topic}-${p.partition} has ${p.isr.length} in-sync replica(s) [${p.isr.join(", ")}], min.insync.replicas is ${p.log.config.minInsyncReplicas}`);
    }
    const base = append();
    const end = p.log.logEndOffset;
    this.scheduleReplication(p);
    this.advanceHighWatermark(p);
    if (acks !== -1 || p.log.highWatermark >= end) return base;
    await new Promise<void>((resolve, reject) => p.ackWaiters.push({ offset: end - 1, resolve, reject }));
    return base;
  }

  /** @internal Followers copy the leader after one broker-to-broker round trip. */
  scheduleReplication(p: PartitionState): void {
    if (p.replicationScheduled || p.leader === -1) return;
    p.replicationScheduled = true;
    const leaderName = this.brokerNodes[p.leader]!.name;
    // Followers fetch continuously: they have the new records after one round trip.
    this.sim.schedule(this.options.replicationDelayMs, () => {
      p.replicationScheduled = false;
      if (p.leader === -1) return;
      const leaderUp = this.brokerNodes[p.leader]!.up;
      const leo = p.log.logEndOffset;
      let behind = false;
      for (const r of p.replicas) {
        if (r === p.leader) continue;
        const node = this.brokerNodes[r]!;
        const canCopy = leaderUp && node.up && !this.fenced.has(r) && linked(this.sim, node.name, leaderName);
        if (canCopy) {
          p.log.replicaLeo.set(r, leo);
          p.caughtUpAt.set(r, this.sim.now);
          if (!p.isr.includes(r)) {
            p.isr.push(r);
            p.isr.sort((a, b) => p.replicas.indexOf(a) - p.replicas.indexOf(b));
            this.sim.trace.state(`${p.topic}-${p.partition}`, `broker ${r} back in sync (ISR ${p.isr.join(",")})`);
          }
        } else if ((p.log.replicaLeo.get(r) ?? 0) < leo) {
          // A fenced broker catches up when it comes back (brokerRestarted), not by polling.
          if (!this.fenced.has(r)) behind = true;
          if (p.isr.includes(r) && this.sim.now - (p.caughtUpAt.get(r) ?? 0) >= this.options.replicaLagTimeMaxMs) {
            p.isr = p.isr.filter((b) => b !== r);
            this.sim.trace.state(`${p.topic}-${p.partition}`, `broker ${r} dropped from ISR (behind for ${this.options.replicaLagTimeMaxMs} ms)`);
          }
        }
      }
      this.advanceHighWatermark(p);
      // Keep trying while someone is behind (a follower fetches again after its backoff).
      if (behind && !p.replicationScheduled) {
        p.replicationScheduled = true;
        this.sim.schedule(500, () => {
          p.replicationScheduled = false;
          this.scheduleReplication(p);
        });
      }
    });
  }

  /** @internal HW = the smallest log end offset in the ISR; wakes acks=all producers and fetches. */
  advanceHighWatermark(p: PartitionState): void {
    if (p.leader === -1) return;
    let hw = p.log.logEndOffset;
    for (const r of p.isr) if (r !== p.leader) hw = Math.min(hw, p.log.replicaLeo.get(r) ?? 0);
    if (hw <= p.log.highWatermark) return;
    p.log.highWatermark = hw;
    if (p.ackWaiters.length > 0) {
      const done = p.ackWaiters.filter((w) => w.offset < hw);
      p.ackWaiters = p.ackWaiters.filter((w) => w.offset >= hw);
      for (const w of done) this.sim.wake(w.resolve, undefined);
    }
    this.notifyData(p);
  }

  /** @internal Wakes fetches waiting on this partition. */
  notifyData(p: PartitionState): void {
    if (p.dataWaiters.size === 0) return;
    const waiters = [...p.dataWaiters];
    p.dataWaiters.clear();
    for (const w of waiters) w();
  }

  /** @internal Last stable offset: the high watermark, or the first offset of an open transaction. */
  lastStableOffset(p: PartitionState): number {
    let lso = p.log.highWatermark;
    for (const first of p.openTxns.values()) if (first < lso) lso = first;
    return lso;
  }

  /** @internal Reads one partition from `offset` (leader-side). */
  fetchPartition(p: PartitionState, offset: number, readCommitted: boolean, maxBytes: number): PartitionFetch {
    const log = p.log;
    log.maintain(this.sim.now);
    const hw = log.highWatermark;
    const lso = this.lastStableOffset(p);
    const base = { topic: p.topic, partition: p.partition, highWatermark: hw, lastStableOffset: lso };
    if (p.leader === -1) return { ...base, records: [], nextOffset: offset, error: new KafkaJSProtocolError("LEADER_NOT_AVAILABLE", `${p.topic}-${p.partition} has no leader`) };
    if (offset < log.logStartOffset || offset > log.logEndOffset) {
      return { ...base, records: [], nextOffset: offset, error: new KafkaJSProtocolError("OFFSET_OUT_OF_RANGE", `offset ${offset} of ${p.topic}-${p.partition} is outside ${log.logStartOffset}–${log.logEndOffset}`) };
    }
    const limit = readCommitted ? lso : hw;
    const out: StoredRecord[] = [];
    let bytes = 0;
    let next = offset;
    const list = log.records;
    for (let i = log.indexOf(offset); i < list.length; i++) {
      const r = list[i]!;
      if (r.offset >= limit) break;
      if (out.length > 0 && bytes + r.size > maxBytes) break;
      next = r.offset + 1;
      if (r.control) continue;
      if (readCommitted && r.txn && r.txn.status === "aborted") continue;
      out.push(r);
      bytes += r.size;
    }
    // Compaction or truncation may leave a gap between the last record and the limit.
    if (out.length === 0 && next < limit && log.indexOf(next) >= list.length) next = Math.min(limit, log.logEndOffset);
    return { ...base, records: out, nextOffset: next };
  }

  /** @internal Resolves when new data lands on any of the partitions, or after `ms`. */
  waitForData(partitions: readonly PartitionState[], ms: number, extra?: (wake: () => void) => void): Promise<void> {
    return new Promise<void>((resolve) => {
      let done = false;
      const wake = () => {
        if (done) return;
        done = true;
        timer.cancel();
        for (const p of partitions) p.dataWaiters.delete(wake);
        this.sim.wake(resolve, undefined);
      };
      const timer = this.sim.schedule(ms, wake);
      for (const p of partitions) p.dataWaiters.add(wake);
      extra?.(wake);
    });
  }

  // ---- groups and transactions ---------------------------------------------------------

  /** @internal The coordinator of a group (created on first use). */
  group(groupId: string): GroupCoordinator {
    let g = this.groups.get(groupId);
    if (!g) this.groups.set(groupId, (g = new GroupCoordinator(this, groupId)));
    return g;
  }

  /** @internal InitProducerId for a transactional id: bumps the epoch (fencing older instances) and aborts its open transaction. */
  initTransactionalId(transactionalId: string): TransactionalIdState {
    let state = this.transactionalIds.get(transactionalId);
    if (!state) {
      state = { producerId: this.newProducerId(), epoch: 0 };
      this.transactionalIds.set(transactionalId, state);
    } else {
      if (state.open) this.endTransaction(transactionalId, state.open, false, "fenced by a new producer instance");
      state.epoch++;
      this.sim.trace.state(this.options.name, `transactional id ${transactionalId}: epoch ${state.epoch} fences older producers`);
    }
    for (const t of this.topics.values()) for (const p of t.partitions) p.log.fenceProducer(state.producerId, state.epoch);
    return state;
  }

  /** @internal Writes commit/abort markers and, on commit, the offsets sent with the transaction. */
  endTransaction(transactionalId: string, open: OpenTransaction, commit: boolean, why?: string): void {
    const state = this.transactionalIds.get(transactionalId);
    if (state?.open === open) state.open = undefined;
    open.timer?.cancel();
    open.state.status = commit ? "committed" : "aborted";
    for (const p of open.partitions) {
      p.openTxns.delete(open.state);
      if (p.leader !== -1) {
        p.log.appendControl(commit ? "COMMIT" : "ABORT", this.sim.now);
        this.scheduleReplication(p);
      }
      this.notifyData(p);
    }
    if (commit) {
      for (const o of open.offsets) this.group(o.groupId).storeOffset(o.topic, o.partition, o.offset, null);
    }
    this.sim.trace.state(this.options.name, `transaction of ${transactionalId} ${commit ? "committed" : "aborted"}${why ? ` (${why})` : ""}: ${open.partitions.size} partition(s)`);
    this.sim.metrics.counter(commit ? "kafka transactions committed" : "kafka transactions aborted").inc();
  }

  // ---- display ------------------------------------------------------------------------

  /** Topics and partitions: leader, in-sync replicas, offsets. */
  describe(): ReturnType<typeof table> {
    const rows = [];
    for (const t of this.topics.values()) {
      for (const p of t.partitions) {
        rows.push({
          topic: t.name,
          partition: p.partition,
          leader: p.leader === -1 ? "none" : p.leader,
          replicas: p.replicas.join(","),
          isr: p.isr.join(","),
          "log start": p.log.logStartOffset,
          "high watermark": p.log.highWatermark,
          "log end": p.log.logEndOffset,
        });
      }
    }
    return rows.length ? table(rows) : table([{ topics: "none yet" }]);
  }

  [DISPLAY](): MimeBundle {
    const down = this.brokerNodes.filter((n) => !n.up).map((n) => n.name);
    const head = markdown(`**Kafka cluster** \`${this.options.name}\`: ${this.brokerNodes.length} brokers${down.length ? ` (down: ${down.join(", ")})` : ""}, ${this.topics.size} topic(s), ${this.groups.size} group(s)`)[DISPLAY]();
    const body = this.describe()[DISPLAY]();
    return { "text/markdown": `${head["text/markdown"]}\n\n${body["text/markdown"]}`, "text/plain": `${head["text/plain"]}\n${body["text/plain"]}` };
  }
}

/** Runs a broker-side handler and sends its result (or its error) back. */
function serveWith<T>(exchange: Exchange<T>, handle: () => T | Promise<T>): void {
  let out: T | Promise<T>;
  try {
    out = handle();
  } catch (error) {
    exchange.fail(error);
    return;
  }
  if (out instanceof Promise) out.then((value) => exchange.reply(value), (error: unknown) => exchange.fail(error));
  else exchange.reply(out);
}

function silenceText(silence: Silence): string {
  if (silence.stage === "request") return silence.cause === "partition" ? "request cut by a partition" : "request lost";
  if (silence.stage === "response") return "the answer was lost: the request may have been applied";
  return "no answer yet: the broker may still apply the request";
}

function replicaLeo(p: PartitionState, broker: number): number {
  return broker === p.leader ? p.log.logEndOffset : (p.log.replicaLeo.get(broker) ?? 0);
}

/** @internal Fails when a client was not connected. */
export function notConnected(what: string): KafkaJSNonRetriableError {
  return new KafkaJSNonRetriableError(`The ${what} is disconnected: call await ${what}.connect() first`);
}
