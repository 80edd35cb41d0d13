/**
 * The producer, shaped like kafkajs's: `connect`, `send({ topic, messages, acks })`,
 * `sendBatch`, `transaction()`, `disconnect`. Sends go to each partition's leader over the
 * simulated network, are retried on retriable errors with kafkajs's schedule, and resolve to
 * kafkajs's `RecordMetadata[]`.
 *
 * With `idempotent: true` every batch carries the producer id, epoch and a per-partition
 * sequence number, and the broker drops a retried duplicate. With a `transactionalId` the
 * producer is also transactional: `connect()` fences older instances of the same id.
 * Differences from kafkajs: no client-side batching or linger (each `send` is one request
 * per partition); requests to one partition are sent one at a time (`maxInFlightRequests: 1`).
 */
import { ConfigError, nonNegative } from "../../errors";
import { DISPLAY, table, type MimeBundle } from "../../display";
import type { SimNode } from "../../sim/node";
import { clientNode, tracing } from "../nodes";
import { isContent, preview, type Content } from "../content";
import { KafkaJSNonRetriableError, KafkaJSProtocolError } from "./errors";
import { notConnected, type KafkaCluster, type OpenTransaction, type PartitionState, type TransactionalIdState } from "./cluster";
import { Partitioners, type ICustomPartitioner } from "./partitioners";
import { retryOptions, withRetries, type RetryOptions } from "./retry";
import type { RecordHeaders, TxnState } from "./log";

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
  /** Simulation node name of this client. Default `producer-<n>`. */
  name?: string;
}

/** Defaults of {@link ProducerConfig}. */
export const PRODUCER_DEFAULTS = { idempotent: false, transactionTimeout: 60_000, acks: -1, timeout: 30_000 } as const;

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
  private producerId = -1;
  private epoch = 0;
  private readonly sequences = new Map<PartitionState, number>();
  private readonly chains = new Map<PartitionState, Promise<unknown>>();
  private txn?: Transaction;
  /** @internal */ txnState?: TransactionalIdState;

  constructor(
    private readonly kafka: KafkaCluster,
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
      await withRetries(k.sim, k.retry, () =>
        k.request(this.node, k.coordinatorId(), () => {
          if (this.config.transactionalId !== undefined) {
            const state = k.initTransactionalId(this.config.transactionalId);
            this.txnState = state;
            this.producerId = state.producerId;
            this.epoch = state.epoch;
          } else {
            this.producerId = k.newProducerId();
            this.epoch = 0;
          }
        }),
      );
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
    if (this.config.transactionalId !== undefined && !this.txn) {
      return Promise.reject(new KafkaJSNonRetriableError("This producer is transactional: send inside a transaction (const txn = await producer.transaction(); await txn.send(...))"));
    }
    return this.sendBatch({ topicMessages: [{ topic: record.topic, messages: record.messages }], acks: record.acks, timeout: record.timeout });
  }

  /** Sends messages to several topics in one call. */
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
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
    this.txn = new Transaction(this, this.kafka);
    return this.txn;
  }

  /** @internal */
  endTxn(): void {
    this.txn = undefined;
  }

  /** @internal Checks the producer still owns its transactional id (not fenced by a newer instance). */
  checkEpoch(): void {
    const id = this.config.transactionalId;
    if (id === undefined) return;
    const state = this.kafka.transactionalIds.get(id);
    if (!state || state.epoch !== this.epoch) {
      throw new KafkaJSProtocolError("INVALID_PRODUCER_EPOCH", `transactional id "${id}" was taken over by a newer producer (epoch ${state?.epoch} > ${this.epoch}): this instance is a zombie and is fenced`);
    }
  }

  private async doSend(batch: ProducerBatch, txn?: OpenTransactionRef): Promise<RecordMetadata[]> {
    if (!this.connected) throw notConnected("producer");
    const k = this.kafka;
    const acks = batch.acks ?? PRODUCER_DEFAULTS.acks;
    if (acks !== -1 && acks !== 0 && acks !== 1) throw new ConfigError("producer.send", "acks", acks, "-1 (all), 1 or 0");
    if (!Array.isArray(batch.topicMessages)) throw new ConfigError("producer.send", "topicMessages", batch.topicMessages, "an array");
    const groups = new Map<PartitionState, Message[]>();
    for (const { topic, messages } of batch.topicMessages) {
      if (typeof topic !== "string" || topic === "") throw new KafkaJSNonRetriableError(`Invalid topic ${JSON.stringify(topic)}: send({ topic: "orders", messages: [...] })`);
      if (!Array.isArray(messages)) throw new KafkaJSNonRetriableError(`Invalid messages array [${String(messages)}] for topic "${topic}"`);
      const state = k.topic(topic, true);
      const meta = k.partitionMetadata(topic);
      // One argument object for the partitioner, refilled per message (it is called synchronously).
      const args: { topic: string; partitionMetadata: typeof meta; message: Message } = { topic, partitionMetadata: meta, message: messages[0]! };
      for (const m of messages) {
        if (m === null || typeof m !== "object") throw new KafkaJSNonRetriableError(`Invalid message ${String(m)}: each message is { key?, value, partition?, headers? }`);
        if (m.value !== null && !isContent(m.value)) throw new KafkaJSNonRetriableError(`Invalid message value ${String(m.value)}: a string, a Uint8Array or null`);
        if (m.key !== undefined && m.key !== null && !isContent(m.key)) throw new KafkaJSNonRetriableError(`Invalid message key ${String(m.key)}: a string, a Uint8Array or null`);
        args.message = m;
        const p = this.partition(args);
        const ps = state.partitions[p];
        if (!ps) throw new KafkaJSProtocolError("UNKNOWN_TOPIC_OR_PARTITION", `topic "${topic}" has partitions 0–${state.partitions.length - 1}, not ${p}`);
        let list = groups.get(ps);
        if (!list) groups.set(ps, (list = []));
        list.push(m);
      }
    }
    const results = await Promise.all([...groups].map(([p, msgs]) => this.sendPartition(p, msgs, acks, txn)));
    return results;
  }

  private sendPartition(p: PartitionState, messages: Message[], acks: number, txn?: OpenTransactionRef): Promise<RecordMetadata> {
    const previous = this.chains.get(p) ?? Promise.resolve();
    const next = previous.then(
      () => this.sendOnce(p, messages, acks, txn),
      () => this.sendOnce(p, messages, acks, txn),
    );
    this.chains.set(p, next);
    return next;
  }

  private async sendOnce(p: PartitionState, messages: Message[], acks: number, txn?: OpenTransactionRef): Promise<RecordMetadata> {
    const k = this.kafka;
    const now = k.sim.now;
    const records = messages;
    const firstSeq = this.idempotent ? (this.sequences.get(p) ?? 0) : -1;
    const oneKey = messages.length === 1 ? messages[0]!.key : undefined;
    const summary = `produce ${p.topic}-${p.partition} ×${messages.length}${oneKey !== undefined && oneKey !== null ? ` (key ${preview(oneKey, 12)})` : ""}`;
    const attempt = () => {
      const leader = p.leader;
      if (leader === -1) return Promise.reject(new KafkaJSProtocolError("LEADER_NOT_AVAILABLE", `${p.topic}-${p.partition} has no leader`));
      this.stats.requests++;
      if (tracing(k.sim)) k.sim.trace.record("request", this.node.name, k.brokerNode(leader).name, summary);
      return k.request(this.node, leader, () =>
        k.produce(p, leader, acks, () => {
          if (txn) txn.addPartition(p);
          return p.log.append({ records, timestamp: now, producerId: this.producerId, epoch: this.epoch, firstSeq, txn: txn?.state }, k.sim.now).baseOffset;
        }),
      );
    };
    if (acks === 0) {
      // Fire and forget: no answer is awaited, a failure is never reported.
      void attempt().catch(() => k.sim.metrics.counter("kafka acks=0 messages lost").inc(messages.length));
      if (this.idempotent) this.sequences.set(p, firstSeq + messages.length);
      this.stats.acknowledged += messages.length;
      return { topicName: p.topic, partition: p.partition, errorCode: 0, baseOffset: "-1", logAppendTime: "-1", logStartOffset: "-1" };
    }
    try {
      const base = await withRetries(k.sim, this.retry, attempt, (error) => {
        this.stats.retries++;
        k.sim.trace.note(this.node.name, `retry ${p.topic}-${p.partition}: ${error.name}`);
      });
      if (this.idempotent) this.sequences.set(p, firstSeq + messages.length);
      this.stats.acknowledged += messages.length;
      return { topicName: p.topic, partition: p.partition, errorCode: 0, baseOffset: String(base), logAppendTime: "-1", logStartOffset: String(p.log.logStartOffset) };
    } catch (error) {
      this.stats.failed++;
      throw error;
    }
  }

  [DISPLAY](): MimeBundle {
    return table([{ producer: this.node.name, idempotent: this.idempotent, transactionalId: this.config.transactionalId ?? "—", ...this.stats }])[DISPLAY]();
  }
}

/** @internal What a transactional send needs from its transaction. */
export interface OpenTransactionRef {
  readonly state: TxnState;
  addPartition(p: PartitionState): void;
}

/** An open transaction (kafkajs's `Transaction`): `send`, `sendOffsets`, `commit`, `abort`. */
export class Transaction {
  private active = true;
  private open?: OpenTransaction;
  private readonly ref: OpenTransactionRef;

  /** @internal */
  constructor(
    private readonly producer: Producer,
    private readonly kafka: KafkaCluster,
  ) {
    const state: TxnState = { producerId: -1, status: "ongoing" };
    this.ref = { state, addPartition: (p) => this.addPartition(p) };
  }

  /** True until committed or aborted. */
  isActive(): boolean {
    return this.active;
  }

  private ensureOpen(): OpenTransaction {
    this.producer.checkEpoch();
    const id = this.producer.config.transactionalId!;
    const st = this.kafka.transactionalIds.get(id)!;
    if (!this.open) {
      const open: OpenTransaction = { state: this.ref.state, partitions: new Set(), offsets: [] };
      (open.state as { producerId: number }).producerId = st.producerId;
      const timeout = this.producer.config.transactionTimeout ?? PRODUCER_DEFAULTS.transactionTimeout;
      open.timer = this.kafka.sim.schedule(timeout, () => {
        if (st.open === open) this.kafka.endTransaction(id, open, false, `transaction.timeout.ms ${timeout} ms passed`);
      });
      st.open = open;
      this.open = open;
    }
    if (st.open !== this.open) throw new KafkaJSProtocolError("INVALID_PRODUCER_EPOCH", `the transaction of "${id}" was already aborted (timed out or fenced)`);
    return this.open;
  }

  private addPartition(p: PartitionState): void {
    const open = this.ensureOpen();
    if (!open.partitions.has(p)) {
      open.partitions.add(p);
      p.openTxns.set(open.state, p.log.logEndOffset);
    }
  }

  private checkActive(): void {
    if (!this.active) throw new KafkaJSNonRetriableError("Transaction has ended: start a new one with producer.transaction()");
  }

  /** Sends messages inside the transaction (invisible to read_committed consumers until commit). */
  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    this.checkActive();
    this.producer.checkEpoch();
    return this.producer.sendInTransaction({ topicMessages: [{ topic: record.topic, messages: record.messages }], acks: -1, timeout: record.timeout }, this.ref);
  }

  /** Sends to several topics inside the transaction. */
  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    this.checkActive();
    this.producer.checkEpoch();
    return this.producer.sendInTransaction({ ...batch, acks: -1 }, this.ref);
  }

  /** Adds consumer offsets to the transaction: committed for the group if and only if the transaction commits. */
  async sendOffsets(offsets: { consumerGroupId: string; topics: { topic: string; partitions: { partition: number; offset: string }[] }[] }): Promise<void> {
    this.checkActive();
    const k = this.kafka;
    await k.request(this.producer.node, k.coordinatorId(), () => {
      const open = this.ensureOpen();
      for (const t of offsets.topics) for (const p of t.partitions) open.offsets.push({ groupId: offsets.consumerGroupId, topic: t.topic, partition: p.partition, offset: Number(p.offset) });
    });
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
    const k = this.kafka;
    await k.request(this.producer.node, k.coordinatorId(), () => {
      this.producer.checkEpoch();
      const id = this.producer.config.transactionalId!;
      if (this.open) {
        const st = k.transactionalIds.get(id)!;
        if (st.open !== this.open) throw new KafkaJSProtocolError("INVALID_TXN_STATE", `the transaction of "${id}" was already aborted (it ran past transactionTimeout or was fenced)`);
        k.endTransaction(id, this.open, commit);
      }
    });
    this.active = false;
    this.producer.endTxn();
  }
}
