/**
 * One partition's log: an append-only list of records with offsets, split into segments,
 * with the leader's log end offset, each replica's progress, the high watermark, idempotent
 * producer state, transaction markers, time/size retention and compaction.
 *
 * Simplifications (said in the public docs too): retention and compaction run when the
 * partition is read or written (Kafka runs them on background threads every few minutes);
 * compaction runs each time a segment rolls (Kafka waits for `min.cleanable.dirty.ratio`).
 * Both only touch closed segments, as in Kafka: the active segment is never deleted or cleaned.
 */
import { byteLength, type Content } from "../content";
import { KafkaJSProtocolError } from "./errors";

/** Headers of a record. */
export type RecordHeaders = Record<string, Content | Content[] | undefined>;

/** State of a transaction, shared by every record it wrote. */
export interface TxnState {
  readonly producerId: number;
  status: "ongoing" | "committed" | "aborted";
}

/** A record as the broker stores it. */
export interface StoredRecord {
  readonly offset: number;
  readonly key: Content | null;
  readonly value: Content | null;
  readonly headers: RecordHeaders;
  /** CreateTime in virtual ms. */
  readonly timestamp: number;
  readonly size: number;
  /** Set on records written inside a transaction. */
  readonly txn?: TxnState;
  /** Commit/abort markers written when a transaction ends (consumers never see them). */
  readonly control?: "COMMIT" | "ABORT";
}

/** Topic-level configuration (Kafka's names and defaults). */
export interface TopicConfig {
  /** `cleanup.policy`: `delete` (retention) or `compact`. Default `delete`. */
  cleanupPolicy: "delete" | "compact";
  /** `retention.ms`: records older than this are deleted (by segment). Default 604 800 000 (7 days); -1 keeps forever. */
  retentionMs: number;
  /** `retention.bytes`: a partition larger than this deletes old segments. Default -1 (unlimited). */
  retentionBytes: number;
  /** `segment.ms`: a segment older than this rolls. Default 604 800 000 (7 days). */
  segmentMs: number;
  /** `segment.bytes`: a segment larger than this rolls. Default 1 073 741 824 (1 GiB). */
  segmentBytes: number;
  /** `min.insync.replicas` for acks=all. Default: the cluster's (1). */
  minInsyncReplicas: number;
  /** `delete.retention.ms`: how long tombstones survive compaction. Default 86 400 000 (1 day). */
  deleteRetentionMs: number;
  /**
   * `unclean.leader.election.enable`: when no in-sync replica is left, elect a live replica
   * that is behind (losing what it never copied) instead of staying offline. Default: the
   * cluster's (false, as Apache Kafka since 0.11).
   */
  uncleanLeaderElectionEnable: boolean;
}

/** Kafka's topic config defaults. */
export const TOPIC_CONFIG_DEFAULTS: TopicConfig = {
  cleanupPolicy: "delete",
  retentionMs: 604_800_000,
  retentionBytes: -1,
  segmentMs: 604_800_000,
  segmentBytes: 1_073_741_824,
  minInsyncReplicas: 1,
  deleteRetentionMs: 86_400_000,
  uncleanLeaderElectionEnable: false,
};

interface Segment {
  baseOffset: number;
  firstTimestamp: number;
  maxTimestamp: number;
  bytes: number;
}

interface ProducerEntry {
  epoch: number;
  lastSeq: number;
  /** The last few batches, to answer a retried duplicate with its original offset. */
  batches: { firstSeq: number; lastSeq: number; baseOffset: number }[];
}

/** A batch to append. */
export interface AppendBatch {
  records: readonly { key?: Content | null; value: Content | null; headers?: RecordHeaders; timestamp?: string }[];
  /** CreateTime of records without their own timestamp. */
  timestamp: number;
  producerId: number;
  epoch: number;
  /** Sequence of the first record; -1 for a non-idempotent producer. */
  firstSeq: number;
  txn?: TxnState;
}

/** What an append did. */
export interface AppendResult {
  baseOffset: number;
  /** True when the batch was a retry of one already written (dropped, original offset returned). */
  duplicate: boolean;
}

const BATCHES_KEPT = 5;
const NO_HEADERS: RecordHeaders = Object.freeze({});
const RECORD_OVERHEAD = 70;

/** The log of one topic-partition. */
export class PartitionLog {
  /** Records from the log start offset on, in offset order (compaction leaves gaps). */
  records: StoredRecord[] = [];
  private dense = true;
  private segments: Segment[] = [];
  /** Next offset to assign (the leader's log end offset). */
  logEndOffset = 0;
  /** First offset still in the log. */
  logStartOffset = 0;
  /** Offsets below this are on every in-sync replica: consumers read up to here. */
  highWatermark = 0;
  /** Log end offset of each replica by broker id (the leader's is {@link logEndOffset}). */
  readonly replicaLeo = new Map<number, number>();
  private readonly producers = new Map<number, ProducerEntry>();
  /** Records removed by retention, compaction and truncation. */
  readonly removed = { retention: 0, compaction: 0, truncation: 0 };
  /** Retried batches dropped by the idempotent producer check. */
  duplicatesDropped = 0;
  private bytes = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly config: TopicConfig,
  ) {}

  /** Total record bytes held. */
  get size(): number {
    return this.bytes;
  }

  /**
   * Appends a batch on the leader. An idempotent producer's retried batch (same producer id,
   * epoch and sequence numbers) is dropped and answered with its original base offset; a gap
   * in sequence numbers or an old epoch is refused.
   */
  append(batch: AppendBatch, now: number): AppendResult {
    if (this.config.cleanupPolicy === "compact") {
      if (batch.records.some((r) => r.key === null || r.key === undefined)) {
        throw new KafkaJSProtocolError("INVALID_RECORD", `topic "${this.topic}" is compacted, so every record needs a key`);
      }
    }
    if (batch.producerId >= 0 && batch.firstSeq >= 0) {
      const entry = this.producers.get(batch.producerId);
      const lastSeq = batch.firstSeq + batch.records.length - 1;
      if (entry) {
        if (batch.epoch < entry.epoch) throw new KafkaJSProtocolError("INVALID_PRODUCER_EPOCH", `producer ${batch.producerId} epoch ${batch.epoch} is fenced by epoch ${entry.epoch}`);
        if (batch.epoch === entry.epoch) {
          const cached = entry.batches.find((b) => b.firstSeq === batch.firstSeq && b.lastSeq === lastSeq);
          if (cached) {
            this.duplicatesDropped++;
            return { baseOffset: cached.baseOffset, duplicate: true };
          }
          if (batch.firstSeq !== entry.lastSeq + 1) {
            throw new KafkaJSProtocolError("OUT_OF_ORDER_SEQUENCE_NUMBER", `expected sequence ${entry.lastSeq + 1} from producer ${batch.producerId}, got ${batch.firstSeq}`);
          }
        } else if (batch.firstSeq !== 0) {
          throw new KafkaJSProtocolError("OUT_OF_ORDER_SEQUENCE_NUMBER", `a new epoch must start at sequence 0, got ${batch.firstSeq}`);
        }
      } else if (batch.firstSeq !== 0) {
        throw new KafkaJSProtocolError("OUT_OF_ORDER_SEQUENCE_NUMBER", `the first batch of producer ${batch.producerId} must start at sequence 0, got ${batch.firstSeq}`);
      }
      const e = entry && entry.epoch === batch.epoch ? entry : { epoch: batch.epoch, lastSeq: -1, batches: [] };
      e.lastSeq = lastSeq;
      e.batches.push({ firstSeq: batch.firstSeq, lastSeq, baseOffset: this.logEndOffset });
      if (e.batches.length > BATCHES_KEPT) e.batches.shift();
      this.producers.set(batch.producerId, e);
    }
    const baseOffset = this.logEndOffset;
    for (const r of batch.records) {
      const key = r.key ?? null;
      const size = byteLength(key) + byteLength(r.value) + RECORD_OVERHEAD;
      const timestamp = r.timestamp !== undefined ? Number(r.timestamp) : batch.timestamp;
      this.push({ offset: this.logEndOffset++, key, value: r.value, headers: r.headers ?? NO_HEADERS, timestamp, size, txn: batch.txn }, now);
    }
    this.maintain(now);
    return { baseOffset, duplicate: false };
  }

  /** Writes a transaction marker (it takes an offset, as in Kafka). */
  appendControl(kind: "COMMIT" | "ABORT", now: number): void {
    this.push({ offset: this.logEndOffset++, key: null, value: null, headers: {}, timestamp: now, size: RECORD_OVERHEAD, control: kind }, now);
  }

  /** Starts a new epoch for a producer id (a transactional producer re-initialised). */
  fenceProducer(producerId: number, epoch: number): void {
    this.producers.set(producerId, { epoch, lastSeq: -1, batches: [] });
  }

  private push(record: StoredRecord, now: number): void {
    let seg = this.segments[this.segments.length - 1];
    if (!seg || seg.bytes + record.size > this.config.segmentBytes || now - seg.firstTimestamp >= this.config.segmentMs) {
      const rolled = seg !== undefined;
      seg = { baseOffset: record.offset, firstTimestamp: record.timestamp, maxTimestamp: record.timestamp, bytes: 0 };
      this.segments.push(seg);
      if (rolled && this.config.cleanupPolicy === "compact") this.compact(now);
    }
    seg.bytes += record.size;
    if (record.timestamp > seg.maxTimestamp) seg.maxTimestamp = record.timestamp;
    this.records.push(record);
    this.bytes += record.size;
  }

  /** Index in {@link records} of the first record with offset ≥ `offset`. */
  indexOf(offset: number): number {
    const list = this.records;
    if (list.length === 0) return 0;
    if (this.dense) return Math.max(0, Math.min(list.length, offset - list[0]!.offset));
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.offset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The last stable offset: below it, no transaction is still open. A read_committed
   * consumer reads only up to here.
   */
  lastStableOffset(): number {
    const hw = this.highWatermark;
    for (let i = this.indexOf(this.logStartOffset); i < this.records.length; i++) {
      const r = this.records[i]!;
      if (r.offset >= hw) break;
      if (r.txn && r.txn.status === "ongoing") return r.offset;
    }
    return hw;
  }

  /** Drops records from `offset` on (a replica that became leader had not copied them). */
  truncateTo(offset: number): number {
    if (offset >= this.logEndOffset) return 0;
    const i = this.indexOf(offset);
    const gone = this.records.splice(i);
    for (const r of gone) this.bytes -= r.size;
    this.removed.truncation += gone.filter((r) => !r.control).length;
    this.logEndOffset = offset;
    while (this.segments.length > 0 && this.segments[this.segments.length - 1]!.baseOffset >= offset) this.segments.pop();
    const last = this.segments[this.segments.length - 1];
    if (last) last.bytes = this.records.filter((r) => r.offset >= last.baseOffset).reduce((a, r) => a + r.size, 0);
    if (this.highWatermark > offset) this.highWatermark = offset;
    return gone.length;
  }

  /** Applies time and size retention (delete policy) to closed segments. */
  maintain(now: number): void {
    if (this.config.cleanupPolicy !== "delete" || this.segments.length < 2) return;
    let drop = 0;
    let bytes = this.bytes;
    // The active (last) segment is never deleted.
    for (let s = 0; s < this.segments.length - 1; s++) {
      const seg = this.segments[s]!;
      const expired = this.config.retentionMs >= 0 && now - seg.maxTimestamp > this.config.retentionMs;
      const tooBig = this.config.retentionBytes >= 0 && bytes - seg.bytes >= this.config.retentionBytes;
      if (!expired && !tooBig) break;
      bytes -= seg.bytes;
      drop++;
    }
    if (drop === 0) return;
    const keepFrom = this.segments[drop]!.baseOffset;
    this.segments.splice(0, drop);
    const i = this.indexOf(keepFrom);
    const gone = this.records.splice(0, i);
    for (const r of gone) this.bytes -= r.size;
    this.removed.retention += gone.filter((r) => !r.control).length;
    this.logStartOffset = Math.max(this.logStartOffset, keepFrom);
  }

  /**
   * Compacts the closed segments: keeps only the latest record of each key, and drops
   * tombstones (null values) older than `delete.retention.ms`. Offsets do not change.
   */
  compact(now: number): void {
    const active = this.segments[this.segments.length - 1];
    if (!active) return;
    const latest = new Map<string, number>();
    const keyOf = (k: Content | null) => (typeof k === "string" ? `s${k}` : `b${k ? Array.from(k).join(",") : ""}`);
    for (const r of this.records) {
      if (r.offset >= active.baseOffset) break;
      if (!r.control) latest.set(keyOf(r.key), r.offset);
    }
    const kept: StoredRecord[] = [];
    let removed = 0;
    for (const r of this.records) {
      if (r.offset < active.baseOffset) {
        if (r.control) continue;
        if (latest.get(keyOf(r.key)) !== r.offset) {
          removed++;
          continue;
        }
        if (r.value === null && now - r.timestamp > this.config.deleteRetentionMs) {
          removed++;
          continue;
        }
      }
      kept.push(r);
    }
    if (kept.length === this.records.length) return;
    this.records = kept;
    this.dense = false;
    this.bytes = kept.reduce((a, r) => a + r.size, 0);
    this.removed.compaction += removed;
  }
}
