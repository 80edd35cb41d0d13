/**
 * The admin client, shaped like kafkajs's: create/list/delete topics, topic metadata and
 * offsets, group offsets, group descriptions. Offsets are strings, as in kafkajs.
 */
import { ConfigError } from "../../errors";
import type { SimNode } from "../../sim/node";
import { clientNode } from "../nodes";
import { KafkaJSNonRetriableError, KafkaJSProtocolError } from "./errors";
import type { KafkaCluster } from "./cluster";
import type { PartitionMetadata } from "./partitioners";
import type { TopicConfig } from "./log";

/** A topic to create (kafkajs's `ITopicConfig`). */
export interface ITopicConfig {
  topic: string;
  /** Default: the broker's `num.partitions` (1). */
  numPartitions?: number;
  /** Default: the broker's `default.replication.factor` (1). */
  replicationFactor?: number;
  /**
   * Topic configs by Kafka name: `cleanup.policy` (`delete` | `compact`), `retention.ms`,
   * `retention.bytes`, `segment.ms`, `segment.bytes`, `min.insync.replicas`, `delete.retention.ms`.
   */
  configEntries?: { name: string; value: string }[];
}

const CONFIG_NAMES: Record<string, keyof TopicConfig> = {
  "cleanup.policy": "cleanupPolicy",
  "retention.ms": "retentionMs",
  "retention.bytes": "retentionBytes",
  "segment.ms": "segmentMs",
  "segment.bytes": "segmentBytes",
  "min.insync.replicas": "minInsyncReplicas",
  "delete.retention.ms": "deleteRetentionMs",
};

function parseConfig(topic: string, entries: { name: string; value: string }[] = []): Partial<TopicConfig> {
  const out: Partial<TopicConfig> = {};
  for (const e of entries) {
    const field = CONFIG_NAMES[e.name];
    if (!field) throw new KafkaJSProtocolError("INVALID_CONFIG", `unknown topic config "${e.name}" for ${topic} (supported: ${Object.keys(CONFIG_NAMES).join(", ")})`);
    if (field === "cleanupPolicy") {
      if (e.value !== "delete" && e.value !== "compact") throw new KafkaJSProtocolError("INVALID_CONFIG", `cleanup.policy must be "delete" or "compact", got "${e.value}"`);
      out.cleanupPolicy = e.value;
      continue;
    }
    const n = Number(e.value);
    if (!Number.isInteger(n) || n < -1) throw new KafkaJSProtocolError("INVALID_CONFIG", `${e.name} must be a whole number (or -1), got "${e.value}"`);
    (out as Record<string, number>)[field] = n;
  }
  return out;
}

/** A simulated kafkajs admin client. Create it with `kafka.admin()`. */
export class Admin {
  readonly node: SimNode;

  constructor(private readonly kafka: KafkaCluster) {
    const name = kafka.clientName("admin");
    this.node = clientNode(kafka.sim, name);
  }

  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}

  private call<T>(fn: () => T): Promise<T> {
    const k = this.kafka;
    return k.request(this.node, k.coordinatorId(), fn);
  }

  /** Creates topics; resolves to false if any already existed (kafkajs). */
  async createTopics({ topics, validateOnly = false }: { topics: ITopicConfig[]; validateOnly?: boolean; waitForLeaders?: boolean; timeout?: number }): Promise<boolean> {
    if (!Array.isArray(topics)) throw new KafkaJSNonRetriableError(`Invalid topics array ${String(topics)}`);
    const k = this.kafka;
    for (const t of topics) {
      if (typeof t?.topic !== "string" || t.topic === "") throw new KafkaJSNonRetriableError(`Invalid topic ${JSON.stringify(t?.topic)}`);
      const n = t.numPartitions ?? k.options.numPartitions;
      if (!Number.isInteger(n) || n < 1) throw new KafkaJSProtocolError("INVALID_PARTITIONS", `numPartitions of ${t.topic} must be a whole number ≥ 1, got ${n}`);
      const rf = t.replicationFactor ?? k.options.defaultReplicationFactor;
      if (!Number.isInteger(rf) || rf < 1) throw new KafkaJSProtocolError("INVALID_REPLICATION_FACTOR", `replicationFactor of ${t.topic} must be a whole number ≥ 1, got ${rf}`);
      parseConfig(t.topic, t.configEntries);
    }
    return this.call(() => {
      let all = true;
      if (validateOnly) return true;
      for (const t of topics) {
        const created = k.createTopic(t.topic, t.numPartitions ?? k.options.numPartitions, t.replicationFactor ?? k.options.defaultReplicationFactor, parseConfig(t.topic, t.configEntries));
        all &&= created;
      }
      return all;
    });
  }

  /** Names of the topics. */
  async listTopics(): Promise<string[]> {
    return this.call(() => [...this.kafka.topics.keys()]);
  }

  /** Deletes topics. */
  async deleteTopics({ topics }: { topics: string[]; timeout?: number }): Promise<void> {
    await this.call(() => {
      for (const t of topics) {
        this.kafka.topic(t);
        this.kafka.topics.delete(t);
      }
    });
  }

  /** Partition metadata (leader, replicas, ISR) of topics (all when none given). */
  async fetchTopicMetadata(options: { topics?: string[] } = {}): Promise<{ topics: { name: string; partitions: PartitionMetadata[] }[] }> {
    return this.call(() => ({ topics: (options.topics ?? [...this.kafka.topics.keys()]).map((name) => ({ name, partitions: this.kafka.partitionMetadata(name) })) }));
  }

  /** Low (log start) and high (high watermark) offsets per partition; `offset` is the high one. */
  async fetchTopicOffsets(topic: string): Promise<{ partition: number; offset: string; high: string; low: string }[]> {
    return this.call(() =>
      this.kafka.topic(topic).partitions.map((p) => {
        p.log.maintain(this.kafka.sim.now);
        return { partition: p.partition, offset: String(p.log.highWatermark), high: String(p.log.highWatermark), low: String(p.log.logStartOffset) };
      }),
    );
  }

  /** Committed offsets of a group ("-1" where nothing is committed). */
  async fetchOffsets({ groupId, topics }: { groupId: string; topics?: string[] }): Promise<{ topic: string; partitions: { partition: number; offset: string; metadata: string | null }[] }[]> {
    if (typeof groupId !== "string" || groupId === "") throw new ConfigError("admin.fetchOffsets", "groupId", groupId, "a non-empty string");
    return this.call(() => {
      const g = this.kafka.group(groupId);
      const names = topics ?? [...new Set([...g.committed.keys()].map((k) => k.split("\u0000")[0]!))];
      return names.map((topic) => ({
        topic,
        partitions: this.kafka.topic(topic).partitions.map((p) => {
          const c = g.committed.get(`${topic}\u0000${p.partition}`);
          return { partition: p.partition, offset: c ? String(c.offset) : "-1", metadata: c?.metadata ?? null };
        }),
      }));
    });
  }

  /** Sets a group's committed offsets (the group must have no running members, as in Kafka). */
  async setOffsets({ groupId, topic, partitions }: { groupId: string; topic: string; partitions: { partition: number; offset: string }[] }): Promise<void> {
    await this.call(() => {
      const g = this.kafka.group(groupId);
      if (g.members.size > 0) throw new KafkaJSNonRetriableError(`The consumer group must have no running instances, current state: ${g.state}`);
      for (const p of partitions) g.storeOffset(topic, p.partition, Number(p.offset), null);
    });
  }

  /** Resets a group's offsets to the earliest or latest (the group must have no running members). */
  async resetOffsets({ groupId, topic, earliest = false }: { groupId: string; topic: string; earliest?: boolean }): Promise<void> {
    await this.call(() => {
      const g = this.kafka.group(groupId);
      if (g.members.size > 0) throw new KafkaJSNonRetriableError(`The consumer group must have no running instances, current state: ${g.state}`);
      for (const p of this.kafka.topic(topic).partitions) g.storeOffset(topic, p.partition, earliest ? p.log.logStartOffset : p.log.highWatermark, null);
    });
  }

  /** Groups known to the coordinator. */
  async listGroups(): Promise<{ groups: { groupId: string; protocolType: string }[] }> {
    return this.call(() => ({ groups: [...this.kafka.groups.keys()].map((groupId) => ({ groupId, protocolType: "consumer" })) }));
  }

  /** Descriptions of groups (assignments as objects rather than Buffers). */
  async describeGroups(groupIds: string[]): Promise<{ groups: { groupId: string; state: string; protocol: string; protocolType: string; members: { memberId: string; clientId: string; memberAssignment: Record<string, number[]> }[] }[] }> {
    return this.call(() => ({
      groups: groupIds.map((id) => {
        const g = this.kafka.group(id);
        return {
          groupId: id,
          state: g.state,
          protocol: g.protocol,
          protocolType: "consumer",
          members: [...g.members.values()].map((m) => ({ memberId: m.handle.memberId, clientId: m.handle.clientId, memberAssignment: g.assignment[m.handle.memberId] ?? {} })),
        };
      }),
    }));
  }

  /** The brokers and the controller. */
  async describeCluster(): Promise<{ brokers: { nodeId: number; host: string; port: number }[]; controller: number; clusterId: string }> {
    return this.call(() => ({
      brokers: this.kafka.brokerIds.map((id) => ({ nodeId: id, host: this.kafka.brokerNode(id).name, port: 9092 })),
      controller: this.kafka.coordinatorId(),
      clusterId: `sim-${this.kafka.options.name}`,
    }));
  }
}
