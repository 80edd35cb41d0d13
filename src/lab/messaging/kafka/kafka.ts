/**
 * `new Kafka(sim, options)`: kafkajs's client factory — `kafka.producer()`,
 * `kafka.consumer({ groupId })`, `kafka.admin()` — over a simulated cluster it starts and
 * holds privately. The clients reach the brokers only through requests on the simulated
 * network (see `broker-pool.ts`); nothing in this object hands them broker state.
 *
 * Besides the factories it offers what an operator's dashboard would show and a real client
 * does not have: `kafka.cluster` (broker node names for fault injection, a partition's
 * offsets and replicas, the partition table), `kafka.lag(groupId)` and
 * `kafka.rebalances(groupId)`.
 */
import { DISPLAY, markdown, table, type Displayable, type MimeBundle } from "../../display";
import type { Simulation } from "../../sim/simulation";
import { KafkaCluster, type KafkaOptions } from "./cluster";
import { BrokerPool } from "./broker-pool";
import { Producer, type ProducerConfig } from "./producer";
import { Consumer, type ConsumerConfig } from "./consumer";
import { Admin } from "./admin";
import type { LagRow, RebalanceRecord } from "./group";

/** A partition as the brokers hold it now: replicas and offsets (a snapshot, for inspection). */
export interface PartitionView {
  readonly topic: string;
  readonly partition: number;
  /** Broker id of the leader; -1 while the partition is offline. */
  readonly leader: number;
  readonly replicas: readonly number[];
  /** In-sync replicas. */
  readonly isr: readonly number[];
  /** First offset still in the log (after retention). */
  readonly logStartOffset: number;
  /** Offsets below it are on every in-sync replica: what consumers may read. */
  readonly highWatermark: number;
  /** Offsets below it are outside open transactions: what read_committed consumers may read. */
  readonly lastStableOffset: number;
  /** Next offset the leader will write. */
  readonly logEndOffset: number;
  /** Data records in the log now (transaction markers not counted). */
  readonly records: number;
}

/**
 * The cluster as an operator sees it, for fault injection and teaching. Clients never get
 * this object: they learn broker state from the answers to their requests.
 */
export interface ClusterView extends Displayable {
  /** Simulation node names of the brokers by id (`kafka-0`, …): `sim.faults.crash(kafka.cluster.brokers[1])`. */
  readonly brokers: readonly string[];
  /** A snapshot of one partition. */
  partition(topic: string, partition: number): PartitionView;
  /** Bytes a topic's partitions hold now (after retention and compaction): keys, values and record overhead. */
  logSize(topic: string): number;
  /** Topics and partitions: leader, in-sync replicas, offsets. */
  describe(): Displayable;
}

const clusters = new WeakMap<Kafka, KafkaCluster>();

/** A simulated Kafka cluster behind kafkajs's client factories. */
export class Kafka implements Displayable {
  /** The simulation the brokers run in. */
  readonly sim: Simulation;
  /** The brokers as an operator sees them (node names, partitions, offsets). */
  readonly cluster: ClusterView;
  readonly #pool: BrokerPool;

  /**
   * @param sim - the simulation the brokers run in (nodes `kafka-0`, `kafka-1`, …)
   * @param options - cluster options; defaults in `KAFKA_DEFAULTS`
   */
  constructor(sim: Simulation, options: KafkaOptions = {}) {
    const cluster = new KafkaCluster(sim, options);
    clusters.set(this, cluster);
    this.sim = sim;
    this.#pool = new BrokerPool(cluster);
    this.cluster = view(cluster);
  }

  /** A producer (kafkajs's `kafka.producer(config)`). */
  producer(config: ProducerConfig = {}): Producer {
    return new Producer(this.#pool, config);
  }

  /** A consumer in a group (kafkajs's `kafka.consumer({ groupId })`). */
  consumer(config: ConsumerConfig): Consumer {
    return new Consumer(this.#pool, config);
  }

  /** An admin client (kafkajs's `kafka.admin()`). */
  admin(): Admin {
    return new Admin(this.#pool);
  }

  /** Consumer lag of a group per partition: high watermark − committed offset (what `kafka-consumer-groups.sh --describe` shows). */
  lag(groupId: string): Displayable & { rows: LagRow[]; total: number } {
    const rows = clusterOf(this).group(groupId).lag();
    const total = rows.reduce((a, r) => a + r.lag, 0);
    return {
      rows,
      total,
      [DISPLAY]: (): MimeBundle => {
        const head = markdown(`Lag of group \`${groupId}\`: **${total}** message(s) not yet committed`)[DISPLAY]();
        const body = table(rows.map((r) => ({ ...r })))[DISPLAY]();
        return { "text/markdown": `${head["text/markdown"]}\n\n${body["text/markdown"]}`, "text/plain": `${head["text/plain"]}\n${body["text/plain"]}` };
      },
    };
  }

  /** The rebalances of a group so far, as a table. */
  rebalances(groupId: string): Displayable & { rows: RebalanceRecord[] } {
    const rows = clusterOf(this).group(groupId).rebalances();
    return { rows, [DISPLAY]: () => (rows.length ? table(rows.map((r) => ({ ...r }))) : markdown(`_Group ${groupId} has not rebalanced yet._`))[DISPLAY]() };
  }

  /** The cluster: brokers (down ones named), topics, groups and the partition table. */
  [DISPLAY](): MimeBundle {
    return clusterOf(this)[DISPLAY]();
  }
}

/** @internal The cluster behind a `Kafka` (lab content and tests; never handed to clients). */
export function clusterOf(kafka: Kafka): KafkaCluster {
  const cluster = clusters.get(kafka);
  if (!cluster) throw new TypeError("not a Kafka made by new Kafka(sim, options)");
  return cluster;
}

function view(k: KafkaCluster): ClusterView {
  return {
    brokers: Object.freeze(k.brokerIds.map((id) => k.brokerNode(id).name)),
    partition(topic, partition) {
      const p = k.partitionState(topic, partition);
      p.log.maintain(k.sim.now);
      let records = 0;
      for (const r of p.log.records) if (!r.control) records++;
      return {
        topic,
        partition,
        leader: p.leader,
        replicas: [...p.replicas],
        isr: [...p.isr],
        logStartOffset: p.log.logStartOffset,
        highWatermark: p.log.highWatermark,
        lastStableOffset: k.lastStableOffset(p),
        logEndOffset: p.log.logEndOffset,
        records,
      };
    },
    logSize: (topic) => k.logSize(topic),
    describe: () => k.describe(),
    [DISPLAY]: () => k[DISPLAY](),
  };
}
