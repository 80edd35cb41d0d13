/**
 * Partitioners, in kafkajs's factory shape: `Partitioners.DefaultPartitioner()` returns a
 * function `({ topic, partitionMetadata, message }) => partition`.
 *
 * The default partitioner matches the Java client and kafkajs 2.x: an explicit `partition`
 * wins; a keyed message goes to `toPositive(murmur2(keyBytes)) % numPartitions`; a keyless
 * one goes round robin over partitions that have a leader.
 */
import { byteLength, toBytes, type Content } from "../content";

/** What a partitioner is told about one partition (kafkajs's `PartitionMetadata`). */
export interface PartitionMetadata {
  partitionId: number;
  /** Broker id of the leader, -1 when the partition has none. */
  leader: number;
  replicas: number[];
  isr: number[];
  partitionErrorCode: number;
}

/** The message fields a partitioner reads. */
export interface PartitionerMessage {
  key?: Content | null;
  value: Content | null;
  partition?: number;
}

/** Arguments of a partition function (kafkajs's `PartitionerArgs`). */
export interface PartitionerArgs {
  topic: string;
  partitionMetadata: PartitionMetadata[];
  message: PartitionerMessage;
}

/** A partitioner factory, called once per producer (kafkajs's `ICustomPartitioner`). */
export type ICustomPartitioner = () => (args: PartitionerArgs) => number;

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/**
 * Kafka's murmur2 hash (32-bit, seed 0x9747b28c) of a byte array, as the Java client and
 * kafkajs's default partitioner compute it. Returns a signed 32-bit integer.
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const blocks = length >> 2;
  for (let i = 0; i < blocks; i++) {
    const i4 = i * 4;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  // The last 1–3 bytes (Java's switch with fall-through).
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's `toPositive`: clears the sign bit (not `Math.abs`). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition Kafka's default partitioner picks for a key: `toPositive(murmur2(bytes)) % numPartitions`. */
export function partitionForKey(key: Content, numPartitions: number): number {
  return toPositive(keyHash(key)) % numPartitions;
}

// Keys repeat (user ids, order ids): keep recent string hashes instead of re-encoding them.
const hashes = new Map<string, number>();

function keyHash(key: Content): number {
  if (typeof key !== "string") return murmur2(key);
  let h = hashes.get(key);
  if (h === undefined) {
    h = murmur2(toBytes(key));
    if (hashes.size >= 10_000) hashes.clear();
    hashes.set(key, h);
  }
  return h;
}

/**
 * kafkajs's `DefaultPartitioner` (the Java-compatible one): explicit partition, else
 * murmur2 of the key, else round robin over partitions with a leader. kafkajs starts each
 * topic's round-robin counter at a random value; here it starts at 0, so runs repeat.
 */
const DefaultPartitioner: ICustomPartitioner = () => {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }) => {
    if (message.partition !== undefined && message.partition !== null) return message.partition;
    const count = partitionMetadata.length;
    if (message.key !== undefined && message.key !== null) return partitionForKey(message.key, count);
    const next = (counters.get(topic) ?? -1) + 1;
    counters.set(topic, next);
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    if (available.length > 0) return available[toPositive(next) % available.length]!.partitionId;
    return toPositive(next) % count;
  };
};

/**
 * The Java client's keyless behaviour since Kafka 2.4 (KIP-480): keyed messages as the
 * default partitioner; keyless messages stick to one partition until about `batch.size`
 * (16 384) bytes have gone there, then move to the next, so batches fill up. (Java picks
 * the next partition at random, weighted by broker load; here it moves to the next one.)
 */
const StickyPartitioner: ICustomPartitioner = () => {
  const sticky = new Map<string, { partition: number; bytes: number }>();
  return ({ topic, partitionMetadata, message }) => {
    if (message.partition !== undefined && message.partition !== null) return message.partition;
    const count = partitionMetadata.length;
    if (message.key !== undefined && message.key !== null) return partitionForKey(message.key, count);
    let state = sticky.get(topic);
    if (!state) sticky.set(topic, (state = { partition: 0, bytes: 0 }));
    if (state.bytes >= 16_384) {
      state.partition = (state.partition + 1) % count;
      state.bytes = 0;
    }
    state.bytes += byteLength(message.value) + 70;
    return state.partition;
  };
};

/** Partitioner factories, as `Partitioners` in kafkajs (plus the Java client's sticky one). */
export const Partitioners = {
  DefaultPartitioner,
  /** kafkajs's deprecated alias of {@link Partitioners.DefaultPartitioner}. */
  JavaCompatiblePartitioner: DefaultPartitioner,
  StickyPartitioner,
} as const;
