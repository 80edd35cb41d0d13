/**
 * The consumer, shaped like kafkajs's: `connect`, `subscribe({ topics, fromBeginning })`,
 * `run({ eachMessage | eachBatch, autoCommit, … })`, `commitOffsets`, `seek`, `pause`,
 * `resume`, `stop`, `disconnect`, `describeGroup`, `on(consumer.events.X, …)`.
 *
 * Pull-based: the consumer fetches batches from each partition's leader (long-polling up to
 * `maxWaitTimeInMs` when there is nothing new), hands them to your handler one partition at a
 * time, and commits offsets per kafkajs's rules: by default after every batch; with
 * `autoCommitInterval` / `autoCommitThreshold` when either is reached; never with
 * `autoCommit: false` (then call `commitOffsets`). A committed offset is the next offset to
 * read. Heartbeats go every `heartbeatInterval` on their own timer (like the Java client's
 * heartbeat thread; kafkajs sends them between messages).
 *
 * The consumer runs on its own simulation node: `sim.faults.crash(consumer.node.name)` kills
 * it between two messages, without committing; the group notices after `sessionTimeout`.
 */
import { ConfigError, nonNegative, wholeNumber } from "../../errors";
import { DISPLAY, table, type MimeBundle } from "../../display";
import type { SimNode } from "../../sim/node";
import { clientNode, tracing } from "../nodes";
import type { Timer } from "../../sim/simulation";
import type { Content } from "../content";
import { KafkaJSConnectionError, KafkaJSError, KafkaJSNonRetriableError, KafkaJSProtocolError } from "./errors";
import { notConnected } from "./cluster";
import type { BrokerPool, FetchedPartition, FetchTarget, GroupDescription } from "./broker-pool";
import { roundRobin, type PartitionAssigner, type TopicPartition } from "./assigners";
import type { MemberHandle } from "./group";
import type { RecordHeaders } from "./log";

/** Options of `kafka.consumer()` (kafkajs's `ConsumerConfig`). Defaults in {@link CONSUMER_DEFAULTS}. */
export interface ConsumerConfig {
  groupId: string;
  /** Assignment strategies; the group uses the first. Default `[PartitionAssigners.roundRobin]` (kafkajs). */
  partitionAssigners?: PartitionAssigner[];
  /** The coordinator removes a member that sent no heartbeat for this long, ms. Default 30 000 (kafkajs; Java 45 000). */
  sessionTimeout?: number;
  /** Heartbeat period, ms; must be below `sessionTimeout`. Default 3 000. */
  heartbeatInterval?: number;
  /** Most bytes fetched per partition per request. Default 1 048 576. */
  maxBytesPerPartition?: number;
  /** Longest a fetch waits at the broker for new data, ms. Default 5 000. */
  maxWaitTimeInMs?: number;
  /** See aborted and open transactions' records. Default false: read_committed (kafkajs; Java defaults to read_uncommitted). */
  readUncommitted?: boolean;
  /** Simulation node name. Default `<groupId>-<n>`. */
  name?: string;
}

/** kafkajs's consumer defaults. */
export const CONSUMER_DEFAULTS = { sessionTimeout: 30_000, heartbeatInterval: 3_000, maxBytesPerPartition: 1_048_576, maxWaitTimeInMs: 5_000, readUncommitted: false, retryBackoffMs: 300 } as const;

/** A message as handlers receive it (kafkajs's `KafkaMessage`). Key and value come back as they were sent (string or Uint8Array, not Buffer). */
export interface KafkaMessage {
  key: Content | null;
  value: Content | null;
  headers: RecordHeaders;
  /** CreateTime, ms, as a string. */
  timestamp: string;
  /** Offset in the partition, as a string (kafkajs). */
  offset: string;
  attributes: number;
}

/** Argument of `eachMessage`. */
export interface EachMessagePayload {
  topic: string;
  partition: number;
  message: KafkaMessage;
  heartbeat(): Promise<void>;
  pause(): () => void;
}

/** A fetched batch of one partition (kafkajs's `Batch`). */
export interface Batch {
  topic: string;
  partition: number;
  highWatermark: string;
  messages: KafkaMessage[];
  isEmpty(): boolean;
  firstOffset(): string | null;
  lastOffset(): string;
  offsetLag(): string;
  offsetLagLow(): string;
}

/** Argument of `eachBatch`. */
export interface EachBatchPayload {
  batch: Batch;
  /** Marks a message processed: the next commit stores `offset + 1`. */
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  pause(): () => void;
  commitOffsetsIfNecessary(offsets?: { topics: { topic: string; partitions: { partition: number; offset: string }[] }[] }): Promise<void>;
  uncommittedOffsets(): { topics: { topic: string; partitions: { partition: number; offset: string }[] }[] };
  isRunning(): boolean;
  isStale(): boolean;
}

/** `run()` options (kafkajs's `ConsumerRunConfig`). */
export interface ConsumerRunConfig {
  /** Commit processed offsets automatically. Default true. */
  autoCommit?: boolean;
  /** Commit at most this often, ms (Java's auto-commit is every 5 000). Default null: after every batch. */
  autoCommitInterval?: number | null;
  /** Commit once this many messages are resolved. Default null. */
  autoCommitThreshold?: number | null;
  /** Resolve the batch's last offset after `eachBatch` returns. Default true. */
  eachBatchAutoResolve?: boolean;
  /** Accepted for compatibility; partitions are processed one at a time. */
  partitionsConsumedConcurrently?: number;
  eachMessage?: (payload: EachMessagePayload) => Promise<void>;
  eachBatch?: (payload: EachBatchPayload) => Promise<void>;
}

/** Counts of a consumer. */
export interface ConsumerStats {
  /** Messages handed to eachMessage / in batches handed to eachBatch. */
  processed: number;
  fetches: number;
  commits: number;
  commitFailures: number;
  /** Assignments received (one per rebalance it took part in). */
  assignments: number;
  /** Errors thrown by the handler (the message is retried). */
  handlerErrors: number;
}

/** Consumer instrumentation event names (kafkajs's `consumer.events`). */
export const CONSUMER_EVENTS = {
  GROUP_JOIN: "consumer.group_join",
  COMMIT_OFFSETS: "consumer.commit_offsets",
  REBALANCING: "consumer.rebalancing",
  CRASH: "consumer.crash",
  STOP: "consumer.stop",
} as const;

/** An instrumentation event. */
export interface ConsumerEvent {
  id: number;
  type: string;
  /** Virtual time, ms. */
  timestamp: number;
  payload: Record<string, unknown>;
}

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** A simulated kafkajs consumer. Create it with `kafka.consumer({ groupId })`. */
export class Consumer {
  /** The simulation node this client runs on. */
  readonly node: SimNode;
  readonly stats: ConsumerStats = { processed: 0, fetches: 0, commits: 0, commitFailures: 0, assignments: 0, handlerErrors: 0 };
  /** kafkajs's event names. */
  readonly events = CONSUMER_EVENTS;
  readonly groupId: string;
  private readonly cfg: Required<Omit<ConsumerConfig, "name" | "partitionAssigners">> & { assigner: PartitionAssigner };
  private connected = false;
  private running = false;
  private subscriptions: { topics: (string | RegExp)[]; fromBeginning: boolean }[] = [];
  private fromBeginning = false;
  private topics: string[] = [];
  /** True once JoinGroup answered (the coordinator knows this group member). */
  private joined = false;
  private joins = 0;
  /** Current member id (changes when it has to rejoin). */
  memberId = "";
  private generation = -1;
  private owned: TopicPartition[] = [];
  private readonly positions = new Map<string, number>();
  private readonly resolved = new Map<string, number>();
  private readonly committedHere = new Map<string, number>();
  private readonly pausedSet = new Set<string>();
  private readonly stale = new Set<string>();
  private heartbeatTimer?: Timer;
  private waker?: () => void;
  private runConfig: ConsumerRunConfig = {};
  private lastCommit = 0;
  private resolvedSinceCommit = 0;
  private readonly listeners = new Map<string, ((e: ConsumerEvent) => void)[]>();
  private eventId = 0;
  /** Set when the consumer stopped because its node crashed. */
  crashed = false;
  /** The handler call in progress: stop() waits for it, as kafkajs does. */
  private inFlight?: Promise<unknown>;

  constructor(
    private readonly kafka: BrokerPool,
    config: ConsumerConfig,
  ) {
    if (!config || typeof config.groupId !== "string" || config.groupId === "") throw new KafkaJSNonRetriableError("Consumer groupId must be a non-empty string.");
    this.groupId = config.groupId;
    const sessionTimeout = nonNegative("consumer", "sessionTimeout", config.sessionTimeout ?? CONSUMER_DEFAULTS.sessionTimeout, 1);
    const heartbeatInterval = nonNegative("consumer", "heartbeatInterval", config.heartbeatInterval ?? CONSUMER_DEFAULTS.heartbeatInterval, 1);
    if (heartbeatInterval >= sessionTimeout) {
      throw new KafkaJSNonRetriableError(`Consumer heartbeatInterval (${heartbeatInterval}) must be lower than sessionTimeout (${sessionTimeout}). It is recommended to set heartbeatInterval to approximately a third of the sessionTimeout.`);
    }
    const assigners = config.partitionAssigners ?? [roundRobin];
    if (!Array.isArray(assigners) || assigners.length === 0 || typeof assigners[0]?.assign !== "function") {
      throw new ConfigError("consumer", "partitionAssigners", assigners, "a non-empty array such as [PartitionAssigners.range]");
    }
    this.cfg = {
      groupId: config.groupId,
      sessionTimeout,
      heartbeatInterval,
      maxBytesPerPartition: wholeNumber("consumer", "maxBytesPerPartition", config.maxBytesPerPartition ?? CONSUMER_DEFAULTS.maxBytesPerPartition),
      maxWaitTimeInMs: nonNegative("consumer", "maxWaitTimeInMs", config.maxWaitTimeInMs ?? CONSUMER_DEFAULTS.maxWaitTimeInMs, 1),
      readUncommitted: config.readUncommitted ?? CONSUMER_DEFAULTS.readUncommitted,
      assigner: assigners[0],
    };
    const name = config.name ?? kafka.clientName(config.groupId);
    this.node = clientNode(kafka.sim, name);
  }

  /** Connects to the cluster. */
  async connect(): Promise<void> {
    if (!this.node.up) throw new KafkaJSConnectionError(`${this.node.name} is down: restart it (sim.faults.restart) before connecting`, this.kafka.brokerName(0));
    this.connected = true;
  }

  /** Subscribes to topics (names or regular expressions). New groups start at the end of the log unless `fromBeginning`. */
  async subscribe(subscription: { topics?: (string | RegExp)[]; topic?: string | RegExp; fromBeginning?: boolean }): Promise<void> {
    if (this.running) throw new KafkaJSNonRetriableError("Cannot subscribe to topic while consumer is running");
    const topics = subscription.topics ?? (subscription.topic !== undefined ? [subscription.topic] : undefined);
    if (!topics || topics.length === 0) throw new KafkaJSNonRetriableError('Missing required argument "topics"');
    for (const t of topics) {
      if (typeof t === "string") this.kafka.metadata(t, true);
      else if (!(t instanceof RegExp)) throw new KafkaJSNonRetriableError(`Invalid topic ${String(t)}: a string or a RegExp`);
    }
    this.subscriptions.push({ topics, fromBeginning: subscription.fromBeginning ?? false });
    this.fromBeginning = this.subscriptions.some((s) => s.fromBeginning);
  }

  private resolveTopics(): string[] {
    const out = new Set<string>();
    for (const s of this.subscriptions) {
      for (const t of s.topics) {
        if (typeof t === "string") out.add(t);
        else for (const name of this.kafka.topicNames()) if (t.test(name)) out.add(name);
      }
    }
    return [...out].sort();
  }

  /** Joins the group and starts consuming; resolves once the consumer has joined (processing goes on in the background). */
  async run(config: ConsumerRunConfig = {}): Promise<void> {
    if (!this.connected) throw notConnected("consumer");
    if (this.running) throw new KafkaJSNonRetriableError("Consumer is already running: call stop() first");
    if (!config.eachMessage && !config.eachBatch) throw new KafkaJSNonRetriableError("Consumer run needs eachMessage or eachBatch: consumer.run({ eachMessage: async ({ topic, partition, message }) => { ... } })");
    if (config.autoCommitInterval !== undefined && config.autoCommitInterval !== null) nonNegative("consumer.run", "autoCommitInterval", config.autoCommitInterval);
    if (config.autoCommitThreshold !== undefined && config.autoCommitThreshold !== null) wholeNumber("consumer.run", "autoCommitThreshold", config.autoCommitThreshold);
    this.topics = this.resolveTopics();
    if (this.topics.length === 0) throw new KafkaJSNonRetriableError("No topics to consume: call subscribe({ topics: [...] }) before run()");
    this.runConfig = config;
    this.running = true;
    this.crashed = false;
    this.lastCommit = this.kafka.sim.now;
    await this.join();
    const k = this.kafka;
    this.heartbeatTimer = k.sim.every(this.cfg.heartbeatInterval, () => {
      if (!this.running || !this.node.up) return;
      if (this.joined) k.heartbeat(this.node, this.groupId, this.memberId);
    });
    void this.loop().catch((error: unknown) => {
      this.emit(CONSUMER_EVENTS.CRASH, { error, groupId: this.groupId, restart: false });
      this.running = false;
    });
  }

  private async join(): Promise<void> {
    const k = this.kafka;
    const handle: MemberHandle = {
      memberId: `${this.node.name}${this.joins++ === 0 ? "" : `#${this.joins}`}`,
      clientId: k.clientId,
      topics: this.topics,
      assigner: this.cfg.assigner,
      sessionTimeout: this.cfg.sessionTimeout,
      wake: () => this.wake(),
      expired: () => this.wake(),
    };
    this.memberId = handle.memberId;
    await k.joinGroup(this.node, this.groupId, handle);
    this.joined = true;
  }

  private wake(): void {
    const w = this.waker;
    this.waker = undefined;
    w?.();
  }

  private emit(type: string, payload: Record<string, unknown>): void {
    const list = this.listeners.get(type);
    if (!list) return;
    const event: ConsumerEvent = { id: ++this.eventId, type, timestamp: this.kafka.sim.now, payload };
    for (const l of list) l(event);
  }

  /** Listens to an instrumentation event (`consumer.events.GROUP_JOIN`, …); returns a function that removes the listener. */
  on(eventName: string, listener: (event: ConsumerEvent) => void): () => void {
    if (!Object.values(CONSUMER_EVENTS).includes(eventName as never)) {
      throw new KafkaJSNonRetriableError(`Event name should be one of ${Object.keys(CONSUMER_EVENTS).map((k) => `consumer.events.${k}`).join(", ")}`);
    }
    const list = this.listeners.get(eventName) ?? [];
    list.push(listener);
    this.listeners.set(eventName, list);
    return () => {
      const i = list.indexOf(listener);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /** The partitions this consumer owns now. */
  assignment(): TopicPartition[] {
    return this.owned.map((tp) => ({ ...tp }));
  }

  private alive(): boolean {
    if (this.node.up) return true;
    if (!this.crashed) {
      this.crashed = true;
      this.running = false;
      this.heartbeatTimer?.cancel();
    }
    return false;
  }

  private async loop(): Promise<void> {
    const k = this.kafka;
    while (this.running) {
      if (!this.alive()) return;
      const s = k.sync(this.groupId, this.memberId);
      if (!s) {
        // Removed from the group (session timeout while alive, e.g. cut off): rejoin as kafkajs does.
        await this.revoke(this.owned, false);
        this.generation = -1;
        try {
          await this.join();
        } catch {
          if (!this.alive()) return;
          await k.sim.sleep(CONSUMER_DEFAULTS.retryBackoffMs);
        }
        continue;
      }
      if (s.generation !== this.generation) await this.adopt(s.generation, s.assignment);
      if (!this.running || !this.alive()) return;
      const fetchable = this.owned.filter((tp) => !this.pausedSet.has(tpKey(tp.topic, tp.partition)) && k.mayFetch(this.groupId, this.memberId, tp.topic, tp.partition));
      if (fetchable.length === 0) {
        await k.idle(this.cfg.maxWaitTimeInMs, (w) => (this.waker = w));
        continue;
      }
      const fetched = await this.fetch(fetchable);
      if (!this.alive()) return;
      if (!fetched) continue;
      let any = false;
      for (const f of fetched) {
        if (!this.running || !this.alive()) return;
        if (this.generation !== s.generation && this.generation === -1) break;
        const key = tpKey(f.topic, f.partition);
        if (f.error) {
          // The next fetch sends no offset: the broker starts it at the committed offset or per fromBeginning.
          if (f.error.type === "OFFSET_OUT_OF_RANGE") this.positions.delete(key);
          continue;
        }
        if (!this.owned.some((tp) => tp.topic === f.topic && tp.partition === f.partition)) continue;
        if (f.messages.length === 0) {
          this.positions.set(key, f.nextOffset);
          continue;
        }
        any = true;
        this.stale.delete(key);
        const ok = await this.process(f);
        if (!ok) return;
        if (!this.stale.has(key)) this.positions.set(key, Math.max(this.positions.get(key) ?? 0, f.nextOffset));
        if (this.runConfig.autoCommit !== false) await this.commitIfNecessary();
      }
      if (!any) {
        // The broker holds the fetch until there is something past the position (or maxWaitTimeInMs).
        const wants = fetchable.map((tp) => ({ topic: tp.topic, partition: tp.partition, offset: this.positions.get(tpKey(tp.topic, tp.partition)) ?? 0 }));
        await k.waitForData(wants, !this.cfg.readUncommitted, this.cfg.maxWaitTimeInMs, (w) => (this.waker = w));
      }
    }
  }

  private async fetch(tps: TopicPartition[]): Promise<FetchedPartition[] | undefined> {
    const k = this.kafka;
    const byLeader = new Map<number, FetchTarget[]>();
    for (const tp of tps) {
      const leader = k.leader(tp.topic, tp.partition);
      if (leader === -1) continue;
      const list = byLeader.get(leader) ?? [];
      list.push({ topic: tp.topic, partition: tp.partition, offset: this.positions.get(tpKey(tp.topic, tp.partition)) });
      byLeader.set(leader, list);
    }
    if (byLeader.size === 0) {
      await k.sim.sleep(CONSUMER_DEFAULTS.retryBackoffMs);
      return undefined;
    }
    this.stats.fetches++;
    const options = { groupId: this.groupId, fromBeginning: this.fromBeginning, readCommitted: !this.cfg.readUncommitted, maxBytes: this.cfg.maxBytesPerPartition };
    const parts = await Promise.all(
      [...byLeader].map(([leader, list]) =>
        k.fetch(this.node, leader, list, options).catch((error: unknown) => {
          if (error instanceof KafkaJSError) return [] as FetchedPartition[];
          throw error;
        }),
      ),
    );
    // Traced only when the trace is on, and only batches that carry records: the replay then
    // shows records moving from the leader to the consumer without a line per empty poll.
    if (tracing(k.sim)) {
      const leaders = [...byLeader.keys()];
      parts.forEach((batch, i) => {
        for (const f of batch) if (f.messages.length > 0) k.sim.trace.record("response", k.brokerName(leaders[i]!), this.node.name, `fetch ${f.topic}-${f.partition}@${f.fetchOffset} ×${f.messages.length}`);
      });
    }
    const out = parts.flat();
    // A partition fetched without a position starts where the broker said it read from.
    for (const f of out) {
      const key = tpKey(f.topic, f.partition);
      if (!this.positions.has(key)) this.positions.set(key, f.fetchOffset);
    }
    if (out.length === 0) await k.sim.sleep(CONSUMER_DEFAULTS.retryBackoffMs);
    return out;
  }

  /** Hands one partition's batch to the handler; false when the consumer died meanwhile. */
  private async process(f: FetchedPartition): Promise<boolean> {
    const k = this.kafka;
    const key = tpKey(f.topic, f.partition);
    const messages = f.messages;
    const pause = () => {
      this.pausedSet.add(key);
      return () => this.resume([{ topic: f.topic, partitions: [f.partition] }]);
    };
    const heartbeat = async () => {
      if (this.joined) k.heartbeat(this.node, this.groupId, this.memberId);
    };
    const eachMessage = this.runConfig.eachMessage;
    if (eachMessage) {
      const { topic, partition } = f;
      for (let i = 0; i < messages.length; i++) {
        const message = messages[i]!;
        if (!this.running || this.stale.has(key) || this.pausedSet.has(key)) return this.alive();
        try {
          await (this.inFlight = eachMessage({ topic, partition, message, heartbeat, pause }));
        } catch (error) {
          if (!this.alive()) return false;
          this.stats.handlerErrors++;
          this.emit(CONSUMER_EVENTS.CRASH, { error, groupId: this.groupId, restart: true });
          k.sim.trace.note(this.node.name, `eachMessage threw at ${f.topic}-${f.partition}@${message.offset}: retried`);
          // kafkajs commits what was processed, then restarts from the failed message.
          this.positions.set(key, Number(message.offset));
          this.stale.add(key);
          if (this.runConfig.autoCommit !== false) await this.commitResolved().catch(() => undefined);
          await k.sim.sleep(CONSUMER_DEFAULTS.retryBackoffMs);
          return this.alive();
        }
        if (!this.node.up) return this.alive();
        this.stats.processed++;
        this.resolve(key, Number(message.offset) + 1);
      }
      return true;
    }
    const batch: Batch = {
      topic: f.topic,
      partition: f.partition,
      highWatermark: String(f.highWatermark),
      messages,
      isEmpty: () => messages.length === 0,
      firstOffset: () => messages[0]?.offset ?? null,
      lastOffset: () => messages[messages.length - 1]?.offset ?? String(f.highWatermark - 1),
      offsetLag: () => String(Math.max(0, f.highWatermark - 1 - Number(messages[messages.length - 1]?.offset ?? f.highWatermark - 1))),
      offsetLagLow: () => String(Math.max(0, f.highWatermark - 1 - Number(messages[0]?.offset ?? f.highWatermark - 1))),
    };
    try {
      await (this.inFlight = this.runConfig.eachBatch!({
        batch,
        resolveOffset: (offset) => this.resolve(key, Number(offset) + 1),
        heartbeat,
        pause,
        commitOffsetsIfNecessary: async (offsets) => {
          if (offsets) await this.commitOffsets(offsets.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset }))));
          else await this.commitIfNecessary();
        },
        uncommittedOffsets: () => this.uncommitted(),
        isRunning: () => this.running && this.node.up,
        isStale: () => this.stale.has(key),
      }));
    } catch (error) {
      if (!this.alive()) return false;
      this.stats.handlerErrors++;
      this.emit(CONSUMER_EVENTS.CRASH, { error, groupId: this.groupId, restart: true });
      const at = this.resolved.get(key) ?? Number(messages[0]!.offset);
      this.positions.set(key, at);
      this.stale.add(key);
      if (this.runConfig.autoCommit !== false) await this.commitResolved().catch(() => undefined);
      await k.sim.sleep(CONSUMER_DEFAULTS.retryBackoffMs);
      return this.alive();
    }
    if (!this.alive()) return false;
    this.stats.processed += messages.length;
    if (this.runConfig.eachBatchAutoResolve !== false && !this.stale.has(key)) this.resolve(key, Number(messages[messages.length - 1]!.offset) + 1);
    return true;
  }

  private resolve(key: string, next: number): void {
    this.resolved.set(key, next);
    this.resolvedSinceCommit++;
  }

  private uncommitted(): { topics: { topic: string; partitions: { partition: number; offset: string }[] }[] } {
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    for (const [key, offset] of this.resolved) {
      if (this.committedHere.get(key) === offset) continue;
      const [topic, partition] = key.split("\u0000") as [string, string];
      const list = byTopic.get(topic) ?? [];
      list.push({ partition: Number(partition), offset: String(offset) });
      byTopic.set(topic, list);
    }
    return { topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) };
  }

  private async commitIfNecessary(): Promise<void> {
    const interval = this.runConfig.autoCommitInterval ?? null;
    const threshold = this.runConfig.autoCommitThreshold ?? null;
    const now = this.kafka.sim.now;
    const due = (interval === null && threshold === null) || (interval !== null && now >= this.lastCommit + interval) || (threshold !== null && this.resolvedSinceCommit >= threshold);
    if (due) await this.commitResolved();
  }

  private async commitResolved(): Promise<void> {
    const u = this.uncommitted();
    const list = u.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset })));
    if (list.length === 0) {
      this.lastCommit = this.kafka.sim.now;
      return;
    }
    await this.commitOffsets(list, true);
  }

  /** Commits offsets for the group (`offset` is the next one to read). */
  async commitOffsets(offsets: { topic: string; partition: number; offset: string; metadata?: string | null }[], fromGroup = false): Promise<void> {
    const k = this.kafka;
    const generation = this.generation;
    const memberId = this.running || fromGroup ? this.memberId : undefined;
    try {
      await k.commitOffsets(this.node, this.groupId, memberId, generation, offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: Number(o.offset), metadata: o.metadata ?? null })));
    } catch (error) {
      this.stats.commitFailures++;
      if (error instanceof KafkaJSProtocolError) k.sim.trace.note(this.node.name, `commit refused: ${error.type}`);
      throw error;
    }
    for (const o of offsets) this.committedHere.set(tpKey(o.topic, o.partition), Number(o.offset));
    this.stats.commits++;
    this.lastCommit = k.sim.now;
    this.resolvedSinceCommit = 0;
    k.sim.trace.record("request", this.node.name, k.brokerName(k.coordinator()), `commit ${offsets.map((o) => `${o.topic}-${o.partition}@${o.offset}`).join(" ")}`);
    this.emit(CONSUMER_EVENTS.COMMIT_OFFSETS, { groupId: this.groupId, memberId: this.memberId, groupGenerationId: generation, topics: offsets });
  }

  /** Takes the new generation's assignment: lets go of revoked partitions (committing them first), starts the new ones from committed offsets. */
  private async adopt(generation: number, assignment: Record<string, number[]>): Promise<void> {
    const next: TopicPartition[] = Object.entries(assignment).flatMap(([topic, ps]) => ps.map((partition) => ({ topic, partition })));
    const eager = this.cfg.assigner.rebalance === "eager";
    const keep = (tp: TopicPartition) => next.some((n) => n.topic === tp.topic && n.partition === tp.partition);
    const revoked = eager ? this.owned : this.owned.filter((tp) => !keep(tp));
    if (revoked.length > 0 || this.generation !== -1) this.emit(CONSUMER_EVENTS.REBALANCING, { groupId: this.groupId, memberId: this.memberId });
    this.generation = generation;
    await this.revoke(revoked, this.runConfig.autoCommit !== false);
    this.owned = next;
    for (const tp of next) {
      const key = tpKey(tp.topic, tp.partition);
      if (revoked.some((r) => r.topic === tp.topic && r.partition === tp.partition) || !this.positions.has(key)) {
        this.positions.delete(key);
        this.resolved.delete(key);
      }
    }
    this.stats.assignments++;
    this.emit(CONSUMER_EVENTS.GROUP_JOIN, { groupId: this.groupId, memberId: this.memberId, groupProtocol: this.cfg.assigner.name, memberAssignment: assignment });
  }

  private async revoke(tps: TopicPartition[], commit: boolean): Promise<void> {
    if (tps.length === 0) return;
    if (commit && this.node.up) await this.commitResolved().catch(() => undefined);
    for (const tp of tps) {
      const key = tpKey(tp.topic, tp.partition);
      this.positions.delete(key);
      this.resolved.delete(key);
      this.stale.add(key);
    }
    if (this.joined) this.kafka.release(this.groupId, this.memberId, tps);
  }

  /** Moves the position of a partition; the next commit stores it. Needs a running consumer (kafkajs). */
  seek({ topic, partition, offset }: { topic: string; partition: number; offset: string }): void {
    if (!this.running) throw new KafkaJSNonRetriableError("Consumer group was not initialized, consumer#run must be called first");
    const meta = this.kafka.metadata(topic);
    if (!meta[partition]) throw new KafkaJSProtocolError("UNKNOWN_TOPIC_OR_PARTITION", `topic "${topic}" has partitions 0–${meta.length - 1}, not ${partition}`);
    const n = Number(offset);
    if (!Number.isInteger(n) || n < 0) throw new KafkaJSNonRetriableError(`Offset must not be a negative number: ${offset}`);
    const key = tpKey(topic, partition);
    // Past the end, the next fetch answers OFFSET_OUT_OF_RANGE and the position is reset.
    this.positions.set(key, n);
    this.resolved.set(key, n);
    this.committedHere.delete(key);
    this.stale.add(key);
    this.wake();
  }

  /** Stops fetching these partitions (or whole topics). */
  pause(topics: { topic: string; partitions?: number[] }[]): void {
    for (const t of topics) {
      const ps = t.partitions ?? this.kafka.metadata(t.topic).map((p) => p.partitionId);
      for (const p of ps) this.pausedSet.add(tpKey(t.topic, p));
    }
  }

  /** Resumes paused partitions. */
  resume(topics: { topic: string; partitions?: number[] }[]): void {
    for (const t of topics) {
      const ps = t.partitions ?? this.kafka.metadata(t.topic).map((p) => p.partitionId);
      for (const p of ps) this.pausedSet.delete(tpKey(t.topic, p));
    }
    this.wake();
  }

  /** The paused partitions. */
  paused(): { topic: string; partitions: number[] }[] {
    const byTopic = new Map<string, number[]>();
    for (const k of this.pausedSet) {
      const [t, p] = k.split("\u0000") as [string, string];
      byTopic.set(t, [...(byTopic.get(t) ?? []), Number(p)]);
    }
    return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
  }

  /** Leaves the group (committing processed offsets) and stops. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake();
    // kafkajs lets the batch in progress finish (isRunning() turns false) before it commits and leaves.
    if (this.node.up) await this.inFlight?.catch(() => undefined);
    this.heartbeatTimer?.cancel();
    if (this.node.up && this.runConfig.autoCommit !== false) await this.commitResolved().catch(() => undefined);
    if (this.joined && this.node.up) await this.kafka.leaveGroup(this.node, this.groupId, this.memberId).catch(() => undefined);
    this.owned = [];
    this.emit(CONSUMER_EVENTS.STOP, {});
  }

  /** Stops and disconnects. */
  async disconnect(): Promise<void> {
    await this.stop();
    this.connected = false;
  }

  /** The group as the coordinator describes it (kafkajs's `GroupDescription`; assignments as objects, not Buffers). */
  async describeGroup(): Promise<GroupDescription> {
    const [group] = await this.kafka.describeGroups(this.node, [this.groupId]);
    return group!;
  }

  [DISPLAY](): MimeBundle {
    const owned = this.owned.map((tp) => `${tp.topic}-${tp.partition}`).join(", ") || "none";
    return table([{ consumer: this.memberId || this.node.name, group: this.groupId, state: this.crashed ? "crashed" : this.running ? "running" : "stopped", partitions: owned, ...this.stats }])[DISPLAY]();
  }
}
