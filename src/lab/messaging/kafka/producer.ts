/**
 * The producer, shaped like kafkajs's: `connect`, `send({ topic, messages, acks })`,
 * `sendBatch`, `transaction()`, `disconnect`. Sends go to each partition's leader over the
 * simulated network, are retried on retriable errors with kafkajs's schedule, and resolve to
 * kafkajs's `RecordMetadata[]`.
 *
 * With `idempotent: true` every batch carries the producer id, epoch and a per-partition
 * sequence number, and the broker drops a retried duplicate. With a `transactionalId` the
 * producer is also transactional: `connect()` fences older instances of the same id.
 * `maxInFlightRequests` caps the requests waiting for an answer, counted per partition (kafkajs
 * and Java count per broker connection, which is the same for one partition). Without
 * idempotence a failed request retried after later ones succeeded lands behind them. With
 * idempotence the leader refuses a sequence gap with OUT_OF_ORDER_SEQUENCE_NUMBER and the
 * producer retries the later batch until the earlier one is in: order holds with up to 5 in
 * flight. That is the Java client's behaviour (since Kafka 1.0); kafkajs does not resequence,
 * and its docs ask for `maxInFlightRequests: 1` with idempotence, the lab's default then.
 * Differences from kafkajs: no client-side batching or linger (each `send` is one request
 * per partition).
 */
import { ConfigError, nonNegative } from "../../errors";
import { DISPLAY, table, type MimeBundle } from "../../display";
import type { SimNode } from "../../sim/node";
import { clientNode, tracing } from "../nodes";
import { isContent, preview, type Content } from "../content";
import { KafkaJSNonRetriableError, KafkaJSProtocolError } from "./errors";
import { notConnected } from "./cluster";
import type { BrokerPool, TxnIdentity } from "./broker-pool";
import { Partitioners, type ICustomPartitioner } from "./partitioners";
import { retryOptions, withRetries, type RetryOptions } from "./retry";
import type { RecordHeaders } from "./log";

/** A message to send (kafkajs's `Message`). */
export interface Message {
  key?: Content | null;
  value: Content | null;
  /** Send to this partition, bypassing the partitioner. */
  partition?: number;
  headers?: RecordHeaders;
  /** CreateTime as a string of ms; default: the virtual clock. */
  timestamp?: string;
}

/** `send` arguments (kafkajs's `ProducerRecord`). */
export interface ProducerRecord {
  topic: string;
  messages: Message[];
  /** -1 (all in-sync replicas, the default), 1 (leader only) or 0 (no answer awaited). */
  acks?: number;
  /** Broker-side wait for acks=all, ms. Default 30 000. */
  timeout?: number;
}

/** `sendBatch` arguments. */
export interface ProducerBatch {
  topicMessages: { topic: string; messages: Message[] }[];
  acks?: number;
  timeout?: number;
}

/** The answer for one partition (kafkajs's `RecordMetadata`). */
export interface RecordMetadata {
  topicName: string;
  partition: number;
  errorCode: number;
  /** Offset of the first message of this request in the partition ("-1" with acks=0). */
  baseOffset: string;
  logAppendTime: string;
  logStartOffset: string;
}

/** Options of `kafka.producer()` (kafkajs's `ProducerConfig`). Defaults in {@link PRODUCER_DEFAULTS}. */
export interface ProducerConfig {
  /** Partitioner factory. Default `Partitioners.DefaultPartitioner` (murmur2, as Java). */
  createPartitioner?: ICustomPartitioner;
  /** Retry schedule. Default kafkajs's (5 retries; unlimited when idempotent). */
  retry?: RetryOptions;
  /** Producer id + sequence numbers so the broker drops retried duplicates. Default false (kafkajs). */
  idempotent?: boolean;
  /** Makes the producer transactional (and idempotent). */
  transactionalId?: string;
  /** A transaction open longer than this is aborted by the coordinator, ms. Default 60 000. */
  transactionTimeout?: number;
  /**
   * Ask the broker to create a topic that does not exist yet (kafkajs's option; the broker
   * creates it only if its own `allowAutoTopicCreation` is on). Default true (kafkajs).
   */
  allowAutoTopicCreation?: boolean;
  /** Simulation node name of this client. Default `producer-<n>`. */
  name?: string;
  /**
   * Requests to a partition that may wait for an answer at once (kafkajs's option; Java's
   * `max.in.flight.requests.per.connection`, default 5). `null` or 0: no limit, kafkajs's
   * default. More than 1 without idempotence: a request that fails and is retried lands behind
   * later ones, so records can reorder. An idempotent producer keeps order with 1 to 5 (Java's
   * rule; more is a ConfigError) and defaults to 1, as kafkajs's docs ask.
   */
  maxInFlightRequests?: number | null;
}

/** Defaults of {@link ProducerConfig}. */
export const PRODUCER_DEFAULTS = { idempotent: false, transactionTimeout: 60_000, acks: -1, timeout: 30_000, allowAutoTopicCreation: true, maxInFlightRequests: null, idempotentMaxInFlightRequests: 1 } as const;

/** Java's cap on requests in flight for an idempotent producer (sequence numbers keep order up to it). */
const IDEMPOTENT_MAX_IN_FLIGHT = 5;

/** One partition's send lane: requests in flight, sends waiting for a slot, idempotent sequence state. */
interface Lane {
  /** Requests sent, oldest first, until they and every older one have an outcome. */
  sent: { done: boolean }[];
  waiting: (() => void)[];
  /** First sequence numbers of batches sent and not yet acknowledged or failed. */
  pending: Set<number>;
  /** Lowest first sequence of a batch that failed for good while later ones were pending. */
  failedFrom?: number;
  /** Called whenever a pending batch gets its outcome. */
  watchers: Set<() => void>;
}

/** Counts of a producer. */
export interface ProducerStats {
  /** Messages acknowledged by the brokers. */
  acknowledged: number;
  /** Requests (one per partition per send). */
  requests: number;
  /** Retries after retriable errors. */
  retries: number;
  /** Sends that failed for good. */
  failed: number;
}

/** A simulated kafkajs producer. Create it with `kafka.producer()`. */
export class Producer {
  /** The simulation node this client runs on (crash it with `sim.faults.crash(producer.node.name)`). */
  readonly node: SimNode;
  readonly stats: ProducerStats = { acknowledged: 0, requests: 0, retries: 0, failed: 0 };
  private connected = false;
  private readonly partition: ReturnType<ICustomPartitioner>;
  private readonly retry: Required<RetryOptions>;
  private readonly idempotent: boolean;
  /** Learned from the InitProducerId answer. */
  private producerId = -1;
  private epoch = 0;
  private transactions = 0;
  private readonly sequences = new Map<string, number>();
  private readonly lanes = new Map<string, Lane>();
  private readonly maxInFlight: number;
  private txn?: Transaction;

  constructor(
    private readonly kafka: BrokerPool,
    readonly config: ProducerConfig = {},
  ) {
    this.idempotent = config.idempotent ?? config.transactionalId !== undefined;
    if (config.transactionalId !== undefined && (typeof config.transactionalId !== "string" || config.transactionalId === "")) {
      throw new ConfigError("producer", "transactionalId", config.transactionalId, "a non-empty string");
    }
    if (config.transactionalId !== undefined && config.idempotent === false) {
      throw new KafkaJSNonRetriableError("A transactional producer must be idempotent: drop idempotent: false or the transactionalId");
    }
    if (config.transactionTimeout !== undefined) nonNegative("producer", "transactionTimeout", config.transactionTimeout, 1);
    this.retry = retryOptions("producer", config.retry, this.idempotent ? Number.MAX_SAFE_INTEGER : undefined);
    if (this.idempotent && this.retry.retries < 1) throw new KafkaJSNonRetriableError("Idempotent producer must allow retries to protect against transient errors");
    this.maxInFlight = maxInFlightOf(config.maxInFlightRequests, this.idempotent);
    this.partition = (config.createPartitioner ?? Partitioners.DefaultPartitioner)();
    const name = config.name ?? kafka.clientName("producer");
    this.node = clientNode(kafka.sim, name);
  }

  /** True when idempotent (or transactional). */
  isIdempotent(): boolean {
    return this.idempotent;
  }

  /** Connects; an idempotent producer gets its producer id, a transactional one fences older instances. */
  async connect(): Promise<void> {
    const k = this.kafka;
    if (this.idempotent) {
      const answer = await withRetries(k.sim, k.retry, () => k.initProducerId(this.node, this.config.transactionalId));
      this.producerId = answer.producerId;
      this.epoch = answer.epoch;
      this.sequences.clear();
    }
    this.connected = true;
  }

  /** Disconnects (an open transaction is left to time out, as when a process dies). */
  async disconnect(): Promise<void> {
    this.connected = false;
  }

  /** Sends messages to one topic; resolves once acknowledged per `acks`. */
  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    return this.sendBatch({ topicMessages: [{ topic: record.topic, messages: record.messages }], acks: record.acks, timeout: record.timeout });
  }

  /** Sends messages to several topics in one call. */
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    // As Java's KafkaProducer (kafkajs would send it idempotently, outside the transaction):
    // with a transactionalId every write belongs to a transaction, also while one is open and
    // after the coordinator aborted one that ran past transactionTimeout.
    if (this.config.transactionalId !== undefined) {
      return Promise.reject(new KafkaJSNonRetriableError("This producer is transactional: send inside a transaction (const txn = await producer.transaction(); await txn.send(...))"));
    }
    return this.doSend(batch);
  }

  /** @internal A transaction's sends: the same path, adding each partition to the transaction. */
  sendInTransaction(batch: ProducerBatch, txn: OpenTransactionRef): Promise<RecordMetadata[]> {
    return this.doSend(batch, txn);
  }

  /** Starts a transaction (transactional producers only; one at a time). */
  async transaction(): Promise<Transaction> {
    if (this.config.transactionalId === undefined) throw new KafkaJSNonRetriableError("Must provide transactional id for transactional producer: kafka.producer({ transactionalId: \"...\" })");
    if (!this.connected) throw notConnected("producer");
    if (this.txn?.isActive()) throw new KafkaJSNonRetriableError("There is already an ongoing transaction for this producer. Please end the transaction before beginning another.");
    const id: TxnIdentity = { transactionalId: this.config.transactionalId, producerId: this.producerId, epoch: this.epoch, txn: ++this.transactions };
    this.txn = new Transaction(this, this.kafka, id, this.config.transactionTimeout ?? PRODUCER_DEFAULTS.transactionTimeout);
    return this.txn;
  }

  /** @internal */
  endTxn(): void {
    this.txn = undefined;
  }

  private async doSend(batch: ProducerBatch, txn?: OpenTransactionRef): Promise<RecordMetadata[]> {
    if (!this.connected) throw notConnected("producer");
    const k = this.kafka;
    const acks = batch.acks ?? PRODUCER_DEFAULTS.acks;
    if (acks !== -1 && acks !== 0 && acks !== 1) throw new ConfigError("producer.send", "acks", acks, "-1 (all), 1 or 0");
    if (!Array.isArray(batch.topicMessages)) throw new ConfigError("producer.send", "topicMessages", batch.topicMessages, "an array");
    const groups = new Map<string, { topic: string; partition: number; messages: Message[] }>();
    for (const { topic, messages } of batch.topicMessages) {
      if (typeof topic !== "string" || topic === "") throw new KafkaJSNonRetriableError(`Invalid topic ${JSON.stringify(topic)}: send({ topic: "orders", messages: [...] })`);
      if (!Array.isArray(messages)) throw new KafkaJSNonRetriableError(`Invalid messages array [${String(messages)}] for topic "${topic}"`);
      const meta = k.metadata(topic, this.config.allowAutoTopicCreation ?? PRODUCER_DEFAULTS.allowAutoTopicCreation);
      // One argument object for the partitioner, refilled per message (it is called synchronously).
      const args: { topic: string; partitionMetadata: typeof meta; message: Message } = { topic, partitionMetadata: meta, message: messages[0]! };
      for (const m of messages) {
        if (m === null || typeof m !== "object") throw new KafkaJSNonRetriableError(`Invalid message ${String(m)}: each message is { key?, value, partition?, headers? }`);
        if (m.value !== null && !isContent(m.value)) throw new KafkaJSNonRetriableError(`Invalid message value ${String(m.value)}: a string, a Uint8Array or null`);
        if (m.key !== undefined && m.key !== null && !isContent(m.key)) throw new KafkaJSNonRetriableError(`Invalid message key ${String(m.key)}: a string, a Uint8Array or null`);
        args.message = m;
        const p = this.partition(args);
        if (!meta[p]) throw new KafkaJSProtocolError("UNKNOWN_TOPIC_OR_PARTITION", `topic "${topic}" has partitions 0–${meta.length - 1}, not ${p}`);
        const key = `${topic}\u0000${p}`;
        let group = groups.get(key);
        if (!group) groups.set(key, (group = { topic, partition: p, messages: [] }));
        group.messages.push(m);
      }
    }
    if (txn) await txn.addPartitions([...groups.values()]);
    const results = await Promise.all([...groups].map(([key, g]) => this.sendPartition(key, g.topic, g.partition, g.messages, acks, txn)));
    return results;
  }

  private async sendPartition(key: string, topic: string, partition: number, messages: Message[], acks: number, txn?: OpenTransactionRef): Promise<RecordMetadata> {
    let lane = this.lanes.get(key);
    if (!lane) this.lanes.set(key, (lane = { sent: [], waiting: [], pending: new Set(), watchers: new Set() }));
    // Sends take slots in the order they were made (FIFO), as requests queue on a connection.
    if (lane.sent.length >= this.maxInFlight || lane.waiting.length > 0) await new Promise<void>((resolve) => lane.waiting.push(resolve));
    const slot = { done: false };
    lane.sent.push(slot);
    // Sequence numbers are given when the request is made, so several can be in flight.
    const firstSeq = this.idempotent ? (this.sequences.get(key) ?? 0) : -1;
    if (this.idempotent) {
      this.sequences.set(key, firstSeq + messages.length);
      lane.pending.add(firstSeq);
    }
    try {
      return await this.sendOnce(lane, topic, partition, messages, acks, firstSeq, txn);
    } catch (error) {
      if (this.idempotent) lane.failedFrom = Math.min(lane.failedFrom ?? firstSeq, firstSeq);
      throw error;
    } finally {
      if (this.idempotent) {
        lane.pending.delete(firstSeq);
        for (const w of [...lane.watchers]) w();
        // Once nothing is pending, a failed batch's sequence numbers are given out again.
        if (lane.pending.size === 0 && lane.failedFrom !== undefined) {
          this.sequences.set(key, lane.failedFrom);
          lane.failedFrom = undefined;
        }
      }
      // Answers on one connection come back in order (TCP), so a slot frees only once every
      // older request has its outcome: no more than the limit are ever past the oldest one.
      slot.done = true;
      while (lane.sent[0]?.done) {
        lane.sent.shift();
        lane.waiting.shift()?.();
      }
    }
  }

  private async sendOnce(lane: Lane, topic: string, partition: number, messages: Message[], acks: number, firstSeq: number, txn?: OpenTransactionRef): Promise<RecordMetadata> {
    const k = this.kafka;
    const request = { topic, partition, acks, records: messages, timestamp: k.sim.now, producerId: this.producerId, epoch: this.epoch, firstSeq, transaction: txn?.id };
    const oneKey = messages.length === 1 ? messages[0]!.key : undefined;
    const summary = `produce ${topic}-${partition} ×${messages.length}${oneKey !== undefined && oneKey !== null ? ` (key ${preview(oneKey, 12)})` : ""}`;
    const attempt = (): ReturnType<BrokerPool["produce"]> => {
      const leader = k.leader(topic, partition);
      if (leader === -1) return Promise.reject(new KafkaJSProtocolError("LEADER_NOT_AVAILABLE", `${topic}-${partition} has no leader`));
      this.stats.requests++;
      if (tracing(k.sim)) k.sim.trace.record("request", this.node.name, k.brokerName(leader), summary);
      const sent = k.produce(this.node, leader, request);
      if (!this.idempotent || this.maxInFlight === 1) return sent;
      return sent.catch(async (error: unknown): Promise<Awaited<typeof sent>> => {
        // A gap because an earlier batch of ours is still on its way: send again once it has
        // its outcome, as the Java client requeues batches behind a failed one.
        if (error instanceof KafkaJSProtocolError && error.type === "OUT_OF_ORDER_SEQUENCE_NUMBER" && earlier()) {
          await new Promise<void>((resolve) => {
            const check = () => {
              if (earlier()) return;
              lane.watchers.delete(check);
              resolve();
            };
            lane.watchers.add(check);
          });
          this.stats.retries++;
          return attempt();
        }
        throw error;
      });
    };
    const earlier = () => [...lane.pending].some((seq) => seq < firstSeq);
    if (acks === 0) {
      // Fire and forget: no answer is awaited, a failure is never reported.
      void attempt().catch(() => k.sim.metrics.counter("kafka acks=0 messages lost").inc(messages.length));
      this.stats.acknowledged += messages.length;
      return { topicName: topic, partition, errorCode: 0, baseOffset: "-1", logAppendTime: "-1", logStartOffset: "-1" };
    }
    try {
      const answer = await withRetries(k.sim, this.retry, attempt, (error) => {
        this.stats.retries++;
        k.sim.trace.note(this.node.name, `retry ${topic}-${partition}: ${error.name}`);
      });
      this.stats.acknowledged += messages.length;
      return { topicName: topic, partition, errorCode: 0, baseOffset: String(answer.baseOffset), logAppendTime: "-1", logStartOffset: String(answer.logStartOffset) };
    } catch (error) {
      this.stats.failed++;
      throw error;
    }
  }

  [DISPLAY](): MimeBundle {
    return table([{ producer: this.node.name, idempotent: this.idempotent, transactionalId: this.config.transactionalId ?? "—", ...this.stats }])[DISPLAY]();
  }
}

/** The in-flight limit of a producer: kafkajs's option, Java's cap of 5 with idempotence. */
function maxInFlightOf(option: number | null | undefined, idempotent: boolean): number {
  if (option === undefined) return idempotent ? PRODUCER_DEFAULTS.idempotentMaxInFlightRequests : Number.POSITIVE_INFINITY;
  if (option !== null && (typeof option !== "number" || !Number.isInteger(option) || option < 0)) {
    throw new ConfigError("producer", "maxInFlightRequests", option, "a whole number of requests (1 or more), or null / 0 for no limit");
  }
  const limit = option === null || option === 0 ? Number.POSITIVE_INFINITY : option;
  if (idempotent && limit > IDEMPOTENT_MAX_IN_FLIGHT) {
    throw new ConfigError("producer", "maxInFlightRequests", option, `1 to ${IDEMPOTENT_MAX_IN_FLIGHT} for an idempotent producer (sequence numbers keep order for at most ${IDEMPOTENT_MAX_IN_FLIGHT} requests in flight, Java's max.in.flight.requests.per.connection rule)`);
  }
  return limit;
}

/** @internal What a transactional send needs from its transaction. */
export interface OpenTransactionRef {
  /** Who the requests of this transaction say they are. */
  readonly id: TxnIdentity;
  /** AddPartitionsToTxn for the partitions not added yet. */
  addPartitions(partitions: readonly { topic: string; partition: number }[]): Promise<void>;
}

/**
 * An open transaction (kafkajs's `Transaction`): `send`, `sendOffsets`, `commit`, `abort`.
 * Before the first write to a partition it sends AddPartitionsToTxn to the coordinator, as
 * kafkajs does; a fenced producer learns it from the answers' INVALID_PRODUCER_EPOCH.
 */
export class Transaction {
  private active = true;
  private readonly added = new Set<string>();
  private readonly ref: OpenTransactionRef;

  /** @internal */
  constructor(
    private readonly producer: Producer,
    private readonly kafka: BrokerPool,
    private readonly id: TxnIdentity,
    private readonly timeout: number,
  ) {
    this.ref = { id, addPartitions: (ps) => this.addPartitions(ps) };
  }

  /** True until committed or aborted. */
  isActive(): boolean {
    return this.active;
  }

  private async addPartitions(partitions: readonly { topic: string; partition: number }[]): Promise<void> {
    const fresh = partitions.filter((tp) => !this.added.has(`${tp.topic}\u0000${tp.partition}`));
    if (fresh.length === 0) return;
    await this.kafka.addPartitionsToTxn(this.producer.node, this.id, fresh.map((tp) => ({ topic: tp.topic, partition: tp.partition })), this.timeout);
    for (const tp of fresh) this.added.add(`${tp.topic}\u0000${tp.partition}`);
  }

  private checkActive(): void {
    if (!this.active) throw new KafkaJSNonRetriableError("Transaction has ended: start a new one with producer.transaction()");
  }

  /** Sends messages inside the transaction (invisible to read_committed consumers until commit). */
  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    this.checkActive();
    return this.producer.sendInTransaction({ topicMessages: [{ topic: record.topic, messages: record.messages }], acks: -1, timeout: record.timeout }, this.ref);
  }

  /** Sends to several topics inside the transaction. */
  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    this.checkActive();
    return this.producer.sendInTransaction({ ...batch, acks: -1 }, this.ref);
  }

  /** Adds consumer offsets to the transaction: committed for the group if and only if the transaction commits. */
  async sendOffsets(offsets: { consumerGroupId: string; topics: { topic: string; partitions: { partition: number; offset: string }[] }[] }): Promise<void> {
    this.checkActive();
    const list = offsets.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: Number(p.offset) })));
    await this.kafka.sendOffsetsToTxn(this.producer.node, this.id, offsets.consumerGroupId, list, this.timeout);
  }

  /** Commits: markers go to every partition written, and the offsets sent are committed. */
  async commit(): Promise<void> {
    await this.end(true);
  }

  /** Aborts: read_committed consumers skip everything it wrote. */
  async abort(): Promise<void> {
    await this.end(false);
  }

  private async end(commit: boolean): Promise<void> {
    this.checkActive();
    await this.kafka.endTxn(this.producer.node, this.id, commit);
    this.active = false;
    this.producer.endTxn();
  }
}
