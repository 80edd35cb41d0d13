/**
 * The admin client, shaped like kafkajs's: create/list/delete topics, topic metadata and
 * offsets, group offsets, group descriptions. Offsets are strings, as in kafkajs.
 */
import { ConfigError } from "../../errors";
import type { SimNode } from "../../sim/node";
import { clientNode } from "../nodes";
import { KafkaJSNonRetriableError, KafkaJSProtocolError } from "./errors";
import type { BrokerPool } from "./broker-pool";
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
   * `retention.bytes`, `segment.ms`, `segment.bytes`, `min.insync.replicas`, `delete.retention.ms`,
   * `unclean.leader.election.enable` (`true` | `false`).
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
  "unclean.leader.election.enable": "uncleanLeaderElectionEnable",
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
    if (field === "uncleanLeaderElectionEnable") {
      if (e.value !== "true" && e.value !== "false") throw new KafkaJSProtocolError("INVALID_CONFIG", `unclean.leader.election.enable must be "true" or "false", got "${e.value}"`);
      out.uncleanLeaderElectionEnable = e.value === "true";
      continue;
    }
    const n = Number(e.value);
    if (!Number.isInteger(n) || n < -1) throw new KafkaJSProtocolError("INVALID_CONFIG", `${e.name} must be a whole number (or -1), got "${e.value}"`);
    (out as Record<string, number>)[field] = n;
  }
  return out;
}

/** A simulated kafkajs admin client. Create it with `kafka.admin()`. Every call is one request to the controller. */
export class Admin {
  readonly node: SimNode;

  constructor(private readonly kafka: BrokerPool) {
    const name = kafka.clientName("admin");
    this.node = clientNode(kafka.sim, name);
  }

  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}

  /** Creates topics; resolves to false if any already existed (kafkajs). */
  async createTopics({ topics, validateOnly = false }: { topics: ITopicConfig[]; validateOnly?: boolean; waitForLeaders?: boolean; timeout?: number }): Promise<boolean> {
    if (!Array.isArray(topics)) throw new KafkaJSNonRetriableError(`Invalid topics array ${String(topics)}`);
    const k = this.kafka;
    const list = topics.map((t) => {
      if (typeof t?.topic !== "string" || t.topic === "") throw new KafkaJSNonRetriableError(`Invalid topic ${JSON.stringify(t?.topic)}`);
      const n = t.numPartitions ?? k.topicDefaults.numPartitions;
      if (!Number.isInteger(n) || n < 1) throw new KafkaJSProtocolError("INVALID_PARTITIONS", `numPartitions of ${t.topic} must be a whole number ≥ 1, got ${n}`);
      const rf = t.replicationFactor ?? k.topicDefaults.replicationFactor;
      if (!Number.isInteger(rf) || rf < 1) throw new KafkaJSProtocolError("INVALID_REPLICATION_FACTOR", `replicationFactor of ${t.topic} must be a whole number ≥ 1, got ${rf}`);
      return { topic: t.topic, numPartitions: n, replicationFactor: rf, config: parseConfig(t.topic, t.configEntries) };
    });
    return k.createTopics(this.node, validateOnly ? [] : list);
  }

  /** Names of the topics. */
  async listTopics(): Promise<string[]> {
    return this.kafka.listTopics(this.node);
  }

  /** Deletes topics. */
  async deleteTopics({ topics }: { topics: string[]; timeout?: number }): Promise<void> {
    await this.kafka.deleteTopics(this.node, topics);
  }

  /** Partition metadata (leader, replicas, ISR) of topics (all when none given). */
  async fetchTopicMetadata(options: { topics?: string[] } = {}): Promise<{ topics: { name: string; partitions: PartitionMetadata[] }[] }> {
    return { topics: await this.kafka.fetchTopicMetadata(this.node, options.topics) };
  }

  /** Low (log start) and high (high watermark) offsets per partition; `offset` is the high one. */
  async fetchTopicOffsets(topic: string): Promise<{ partition: number; offset: string; high: string; low: string }[]> {
    const rows = await this.kafka.listOffsets(this.node, topic);
    return rows.map((r) => ({ partition: r.partition, offset: String(r.high), high: String(r.high), low: String(r.low) }));
  }

  /** Committed offsets of a group ("-1" where nothing is committed). */
  async fetchOffsets({ groupId, topics }: { groupId: string; topics?: string[] }): Promise<{ topic: string; partitions: { partition: number; offset: string; metadata: string | null }[] }[]> {
    if (typeof groupId !== "string" || groupId === "") throw new ConfigError("admin.fetchOffsets", "groupId", groupId, "a non-empty string");
    return this.kafka.fetchOffsets(this.node, groupId, topics);
  }

  /** Sets a group's committed offsets (the group must have no running members, as in Kafka). */
  async setOffsets({ groupId, topic, partitions }: { groupId: string; topic: string; partitions: { partition: number; offset: string }[] }): Promise<void> {
    await this.kafka.setOffsets(
      this.node,
      groupId,
      topic,
      partitions.map((p) => ({ partition: p.partition, offset: Number(p.offset) })),
    );
  }

  /** Resets a group's offsets to the earliest or latest (the group must have no running members). */
  async resetOffsets({ groupId, topic, earliest = false }: { groupId: string; topic: string; earliest?: boolean }): Promise<void> {
    await this.kafka.setOffsets(this.node, groupId, topic, earliest ? "earliest" : "latest");
  }

  /** Groups known to the coordinator. */
  async listGroups(): Promise<{ groups: { groupId: string; protocolType: string }[] }> {
    const ids = await this.kafka.listGroups(this.node);
    return { groups: ids.map((groupId) => ({ groupId, protocolType: "consumer" })) };
  }

  /** Descriptions of groups (assignments as objects rather than Buffers). */
  async describeGroups(groupIds: string[]): Promise<{ groups: { groupId: string; state: string; protocol: string; protocolType: string; members: { memberId: string; clientId: string; memberAssignment: Record<string, number[]> }[] }[] }> {
    const groups = await this.kafka.describeGroups(this.node, groupIds);
    return { groups: groups.map((g) => ({ ...g, members: g.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, memberAssignment: m.memberAssignment })) })) };
  }

  /** The brokers and the controller. */
  async describeCluster(): Promise<{ brokers: { nodeId: number; host: string; port: number }[]; controller: number; clusterId: string }> {
    return this.kafka.describeCluster(this.node);
  }
}
