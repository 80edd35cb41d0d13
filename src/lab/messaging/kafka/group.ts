/**
 * The group coordinator of one consumer group: members, heartbeats and the session timeout,
 * generations, partition assignment on every join/leave/expiry, who holds which partition,
 * and the committed offsets.
 *
 * A rebalance here is instant at the coordinator; members notice it at their next step
 * (after the message they are processing). With an eager assignor every member gives up
 * all its partitions and nobody fetches until every member has rejoined; with the
 * cooperative one members keep consuming what does not move. A partition is fetched by its
 * new owner only once its old owner has let go of it (or was removed).
 * Not modelled: `group.initial.rebalance.delay.ms`, static membership, the rebalance timeout.
 */
import type { Timer } from "../../sim/simulation";
import { DISPLAY, table, type MimeBundle } from "../../display";
import type { KafkaCluster } from "./cluster";
import { KafkaJSProtocolError } from "./errors";
import type { GroupAssignment, PartitionAssigner } from "./assigners";

/** What the coordinator calls back on a member (not exported from sde-lab). */
export interface MemberHandle {
  readonly memberId: string;
  readonly clientId: string;
  readonly topics: readonly string[];
  readonly assigner: PartitionAssigner;
  readonly sessionTimeout: number;
  /** The group changed generation: stop waiting and look. */
  wake(): void;
  /** The coordinator removed the member (session timeout). */
  expired(): void;
}

interface MemberState {
  handle: MemberHandle;
  lastHeartbeat: number;
  expiry?: Timer;
  /** Generation this member has synced to. */
  synced: number;
}

/** A rebalance, as the coordinator recorded it. */
export interface RebalanceRecord {
  /** Virtual time, ms. */
  time: number;
  generation: number;
  reason: string;
  /** Members after the rebalance. */
  members: number;
  /** Assignor used. */
  protocol: string;
  /** Partitions whose owner changed. */
  moved: number;
  /** Partitions members had to stop consuming during the rebalance. */
  revoked: number;
  /** Partitions per member after it, e.g. `billing-1: 3, billing-2: 3`. */
  assignment: string;
}

/** A committed offset. */
export interface CommittedOffset {
  offset: number;
  metadata: string | null;
}

/** Lag of one partition for a group. */
export interface LagRow {
  topic: string;
  partition: number;
  /** Committed offset (next to read), or "none". */
  committed: number | string;
  highWatermark: number;
  /** Messages not yet committed: high watermark − committed (− log start when nothing is committed). */
  lag: number;
  /** Member that owns the partition now. */
  owner: string;
}

/** Consumer group states (Kafka's names). */
export type ConsumerGroupState = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable" | "Dead";

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** @internal */
export class GroupCoordinator {
  generation = 0;
  protocol = "";
  assignment: GroupAssignment = {};
  readonly members = new Map<string, MemberState>();
  readonly committed = new Map<string, CommittedOffset>();
  /** Who consumes each partition right now (until it lets go). */
  readonly holder = new Map<string, string>();
  readonly history: RebalanceRecord[] = [];

  constructor(
    private readonly kafka: KafkaCluster,
    readonly groupId: string,
  ) {}

  get state(): ConsumerGroupState {
    if (this.members.size === 0) return "Empty";
    for (const m of this.members.values()) if (m.synced !== this.generation) return this.isEager() ? "PreparingRebalance" : "CompletingRebalance";
    return "Stable";
  }

  private isEager(): boolean {
    const first = this.members.values().next().value;
    return !first || first.handle.assigner.rebalance === "eager";
  }

  join(handle: MemberHandle): void {
    const sim = this.kafka.sim;
    const existing = [...this.members.values()][0];
    if (existing && existing.handle.assigner.name !== handle.assigner.name) {
      throw new KafkaJSProtocolError(
        "INVALID_CONFIG",
        `member ${handle.memberId} uses ${handle.assigner.name} but group ${this.groupId} uses ${existing.handle.assigner.name} (INCONSISTENT_GROUP_PROTOCOL): every member of a group needs the same partitionAssigners`,
      );
    }
    const m: MemberState = { handle, lastHeartbeat: sim.now, synced: -1 };
    this.members.set(handle.memberId, m);
    this.armExpiry(m);
    this.rebalance(`${handle.memberId} joined`);
  }

  leave(memberId: string, reason: string): void {
    const m = this.members.get(memberId);
    if (!m) return;
    m.expiry?.cancel();
    this.members.delete(memberId);
    for (const [k, holder] of this.holder) if (holder === memberId) this.holder.delete(k);
    this.rebalance(reason);
  }

  heartbeat(memberId: string): boolean {
    const m = this.members.get(memberId);
    if (!m) return false;
    m.lastHeartbeat = this.kafka.sim.now;
    this.armExpiry(m);
    return true;
  }

  private armExpiry(m: MemberState): void {
    m.expiry?.cancel();
    const timeout = m.handle.sessionTimeout;
    m.expiry = this.kafka.sim.schedule(timeout, () => {
      if (this.members.get(m.handle.memberId) !== m) return;
      if (this.kafka.sim.now - m.lastHeartbeat < timeout) return;
      this.kafka.sim.trace.state(`group ${this.groupId}`, `${m.handle.memberId} missed heartbeats for ${timeout} ms: removed`);
      this.leave(m.handle.memberId, `${m.handle.memberId} session timed out`);
      m.handle.expired();
    });
  }

  private rebalance(reason: string): void {
    const sim = this.kafka.sim;
    const members = [...this.members.values()];
    const before = this.assignment;
    this.generation++;
    if (members.length === 0) {
      this.assignment = {};
      this.history.push({ time: sim.now, generation: this.generation, reason, members: 0, protocol: this.protocol, moved: countAll(before), revoked: countAll(before), assignment: "" });
      return;
    }
    const assigner = members[0]!.handle.assigner;
    this.protocol = assigner.name;
    const topics = new Set(members.flatMap((m) => m.handle.topics));
    const partitions = new Map<string, number>();
    for (const t of topics) {
      const state = this.kafka.topics.get(t);
      if (state) partitions.set(t, state.partitions.length);
    }
    const next = assigner.assign({ members: members.map((m) => ({ memberId: m.handle.memberId, topics: m.handle.topics })), partitions, previous: before });
    this.assignment = next;
    const ownerBefore = owners(before);
    const ownerAfter = owners(next);
    let moved = 0;
    for (const [k, o] of ownerAfter) if (ownerBefore.get(k) !== o) moved++;
    const revoked = assigner.rebalance === "eager" ? countAll(before) : [...ownerBefore].filter(([k, o]) => ownerAfter.get(k) !== o && this.members.has(o)).length;
    const summary = members
      .map((m) => `${m.handle.memberId}: ${Object.values(next[m.handle.memberId] ?? {}).reduce((a, ps) => a + ps.length, 0)}`)
      .join(", ");
    this.history.push({ time: sim.now, generation: this.generation, reason, members: members.length, protocol: assigner.name, moved, revoked, assignment: summary });
    sim.trace.state(`group ${this.groupId}`, `rebalance → generation ${this.generation} (${reason}): ${summary}`);
    sim.metrics.counter(`kafka rebalances ${this.groupId}`).inc();
    for (const m of members) m.handle.wake();
  }

  /** The member's assignment in the current generation (and marks it synced). */
  sync(memberId: string): { generation: number; assignment: Record<string, number[]> } | undefined {
    const m = this.members.get(memberId);
    if (!m) return undefined;
    if (m.synced !== this.generation) {
      m.synced = this.generation;
      // The last member to rejoin completes an eager rebalance: the others may fetch again.
      if ([...this.members.values()].every((x) => x.synced === this.generation)) for (const x of this.members.values()) if (x !== m) x.handle.wake();
    }
    return { generation: this.generation, assignment: this.assignment[memberId] ?? {} };
  }

  /** True when the member may fetch this partition now. */
  mayFetch(memberId: string, topic: string, partition: number): boolean {
    const m = this.members.get(memberId);
    if (!m || m.synced !== this.generation) return false;
    if (!(this.assignment[memberId]?.[topic] ?? []).includes(partition)) return false;
    // Eager: nobody fetches until every member has rejoined the new generation.
    if (this.isEager()) for (const other of this.members.values()) if (other.synced !== this.generation) return false;
    const k = key(topic, partition);
    const h = this.holder.get(k);
    if (h !== undefined && h !== memberId) return false;
    this.holder.set(k, memberId);
    return true;
  }

  /** The member stopped consuming these partitions. */
  release(memberId: string, partitions: readonly { topic: string; partition: number }[]): void {
    for (const { topic, partition } of partitions) {
      const k = key(topic, partition);
      if (this.holder.get(k) === memberId) this.holder.delete(k);
    }
    for (const m of this.members.values()) if (m.handle.memberId !== memberId) m.handle.wake();
  }

  /** OffsetCommit from a member: refused for a member the group no longer knows or an old generation. */
  commit(memberId: string | undefined, generation: number, offsets: readonly { topic: string; partition: number; offset: number; metadata?: string | null }[]): void {
    if (memberId !== undefined) {
      if (!this.members.has(memberId)) throw new KafkaJSProtocolError("UNKNOWN_MEMBER_ID", `${memberId} is no longer in group ${this.groupId} (its session timed out): its offsets are not committed and another member will re-process from the last committed offset`);
      // A member that has not rejoined yet still commits for the generation it has: Kafka accepts
      // commits while the group is PreparingRebalance (the old owner still holds its partitions).
      const m = this.members.get(memberId)!;
      const preparing = m.synced === generation && m.synced !== this.generation;
      if (generation !== this.generation && !preparing) throw new KafkaJSProtocolError("ILLEGAL_GENERATION", `${memberId} committed for generation ${generation}, the group is at ${this.generation}`);
    }
    for (const o of offsets) this.storeOffset(o.topic, o.partition, o.offset, o.metadata ?? null);
  }

  storeOffset(topic: string, partition: number, offset: number, metadata: string | null): void {
    this.committed.set(key(topic, partition), { offset, metadata });
  }

  committedOffset(topic: string, partition: number): number | undefined {
    return this.committed.get(key(topic, partition))?.offset;
  }

  /** Lag per partition of the subscribed topics: high watermark − committed offset. */
  lag(): LagRow[] {
    const topics = new Set<string>();
    for (const k of this.committed.keys()) topics.add(k.split("\u0000")[0]!);
    for (const m of this.members.values()) for (const t of m.handle.topics) topics.add(t);
    const owner = owners(this.assignment);
    const rows: LagRow[] = [];
    for (const t of [...topics].sort()) {
      const state = this.kafka.topics.get(t);
      if (!state) continue;
      for (const p of state.partitions) {
        const c = this.committedOffset(t, p.partition);
        const hw = p.log.highWatermark;
        rows.push({ topic: t, partition: p.partition, committed: c ?? "none", highWatermark: hw, lag: hw - (c ?? p.log.logStartOffset), owner: owner.get(key(t, p.partition)) ?? "—" });
      }
    }
    return rows;
  }

  /** A table of the rebalances so far. */
  rebalances(): RebalanceRecord[] {
    return [...this.history];
  }

  [DISPLAY](): MimeBundle {
    return table(this.lag().map((r) => ({ ...r })))[DISPLAY]();
  }
}

function owners(a: GroupAssignment): Map<string, string> {
  const out = new Map<string, string>();
  for (const [member, topics] of Object.entries(a)) for (const [t, ps] of Object.entries(topics)) for (const p of ps) out.set(key(t, p), member);
  return out;
}

function countAll(a: GroupAssignment): number {
  let n = 0;
  for (const topics of Object.values(a)) for (const ps of Object.values(topics)) n += ps.length;
  return n;
}
