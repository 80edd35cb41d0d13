/**
 * Partition assignment strategies of a consumer group: which member owns which partition.
 * Each is a pure function of the members (sorted by member id, as Kafka does), their
 * subscriptions, the partitions, and (for the sticky one) the previous assignment.
 */

/** A partition of a topic. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/** A member as an assignor sees it. */
export interface AssignerMember {
  memberId: string;
  topics: readonly string[];
}

/** Partitions per topic per member, e.g. `{ "billing-1": { orders: [0, 1] } }`. */
export type GroupAssignment = Record<string, Record<string, number[]>>;

/** Input of an assignment. */
export interface AssignInput {
  members: readonly AssignerMember[];
  /** Partition count of each subscribed topic. */
  partitions: ReadonlyMap<string, number>;
  /** The assignment before this rebalance (sticky assignors keep what they can). */
  previous: GroupAssignment;
}

/**
 * A partition assignment strategy (`PartitionAssigners.range` etc.).
 * `rebalance` says whether members give up all partitions at a rebalance (`eager`, the
 * classic protocol) or only the ones that move (`cooperative`, incremental).
 */
export interface PartitionAssigner {
  readonly name: string;
  readonly rebalance: "eager" | "cooperative";
  assign(input: AssignInput): GroupAssignment;
}

function empty(members: readonly AssignerMember[]): GroupAssignment {
  const out: GroupAssignment = {};
  for (const m of members) out[m.memberId] = {};
  return out;
}

function give(out: GroupAssignment, memberId: string, topic: string, partition: number): void {
  const topics = out[memberId]!;
  (topics[topic] ??= []).push(partition);
}

function sorted(members: readonly AssignerMember[]): AssignerMember[] {
  return [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
}

function finish(out: GroupAssignment): GroupAssignment {
  for (const topics of Object.values(out)) for (const list of Object.values(topics)) list.sort((a, b) => a - b);
  return out;
}

/**
 * Java's `RangeAssignor`: per topic, the partitions are cut into contiguous ranges, one per
 * subscribed member in member-id order; the first `partitions % members` members get one
 * extra. With several topics the same members get the extras each time.
 */
export const range: PartitionAssigner = {
  name: "RangeAssignor",
  rebalance: "eager",
  assign({ members, partitions }) {
    const out = empty(members);
    for (const [topic, count] of [...partitions].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const subs = sorted(members).filter((m) => m.topics.includes(topic));
      if (subs.length === 0) continue;
      const per = Math.floor(count / subs.length);
      const extra = count % subs.length;
      let p = 0;
      subs.forEach((m, i) => {
        const n = per + (i < extra ? 1 : 0);
        for (let k = 0; k < n; k++) give(out, m.memberId, topic, p++);
      });
    }
    return finish(out);
  },
};

/**
 * Round robin over every subscribed partition (topics in name order, then partitions), to
 * members in member-id order, skipping members not subscribed to the topic. This is
 * kafkajs's only built-in assigner and its default, and Java's `RoundRobinAssignor`.
 */
export const roundRobin: PartitionAssigner = {
  name: "RoundRobinAssigner",
  rebalance: "eager",
  assign({ members, partitions }) {
    const out = empty(members);
    const list = sorted(members);
    if (list.length === 0) return out;
    let i = 0;
    for (const [topic, count] of [...partitions].sort(([a], [b]) => (a < b ? -1 : 1))) {
      for (let p = 0; p < count; p++) {
        for (let tries = 0; tries < list.length; tries++) {
          const m = list[i++ % list.length]!;
          if (m.topics.includes(topic)) {
            give(out, m.memberId, topic, p);
            break;
          }
        }
      }
    }
    return finish(out);
  },
};

/**
 * Java's `CooperativeStickyAssignor`: balanced like round robin (member counts differ by at
 * most one), but each member keeps the partitions it had where balance allows, and the
 * rebalance is incremental: only partitions that move are revoked, the others keep being
 * consumed during the rebalance.
 */
export const cooperativeSticky: PartitionAssigner = {
  name: "CooperativeStickyAssignor",
  rebalance: "cooperative",
  assign({ members, partitions, previous }) {
    const out = empty(members);
    const list = sorted(members);
    if (list.length === 0) return out;
    const all: { topic: string; partition: number }[] = [];
    for (const [topic, count] of [...partitions].sort(([a], [b]) => (a < b ? -1 : 1))) for (let p = 0; p < count; p++) all.push({ topic, partition: p });
    const count = new Map<string, number>(list.map((m) => [m.memberId, 0]));
    const owner = new Map<string, string>();
    const quotaFloor = Math.floor(all.length / list.length);
    let ceilSlots = all.length % list.length;
    // Keep previous ownership up to the quota (ceil for as many members as there are extras).
    for (const m of list) {
      const prev = previous[m.memberId] ?? {};
      const mine = Object.entries(prev)
        .flatMap(([topic, ps]) => ps.map((partition) => ({ topic, partition })))
        .filter((tp) => m.topics.includes(tp.topic) && tp.partition < (partitions.get(tp.topic) ?? 0))
        .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
      let quota = quotaFloor;
      if (mine.length > quotaFloor && ceilSlots > 0) {
        quota++;
        ceilSlots--;
      }
      for (const tp of mine.slice(0, quota)) {
        const key = `${tp.topic}\u0000${tp.partition}`;
        if (owner.has(key)) continue;
        owner.set(key, m.memberId);
        give(out, m.memberId, tp.topic, tp.partition);
        count.set(m.memberId, count.get(m.memberId)! + 1);
      }
    }
    // Hand out the rest to the least-loaded subscribed member.
    for (const tp of all) {
      const key = `${tp.topic}\u0000${tp.partition}`;
      if (owner.has(key)) continue;
      let best: AssignerMember | undefined;
      for (const m of list) {
        if (!m.topics.includes(tp.topic)) continue;
        if (!best || count.get(m.memberId)! < count.get(best.memberId)!) best = m;
      }
      if (!best) continue;
      owner.set(key, best.memberId);
      give(out, best.memberId, tp.topic, tp.partition);
      count.set(best.memberId, count.get(best.memberId)! + 1);
    }
    return finish(out);
  },
};

/** The built-in assignment strategies. kafkajs ships only `roundRobin` (its default). */
export const PartitionAssigners = { range, roundRobin, cooperativeSticky } as const;
