/**
 * `new Kafka(sim, options)`: a simulated cluster with kafkajs's factories —
 * `kafka.producer()`, `kafka.consumer({ groupId })`, `kafka.admin()` — plus a few views a
 * real client does not have: consumer lag, the rebalance history, the partition table.
 */
import { DISPLAY, markdown, table, type Displayable, type MimeBundle } from "../../display";
import type { Simulation } from "../../sim/simulation";
import { KafkaCluster, type KafkaOptions } from "./cluster";
import { Producer, type ProducerConfig } from "./producer";
import { Consumer, type ConsumerConfig } from "./consumer";
import { Admin } from "./admin";
import type { LagRow, RebalanceRecord } from "./group";

/** A simulated Kafka cluster with kafkajs's client factories. */
export class Kafka extends KafkaCluster {
  /**
   * @param sim - the simulation the brokers run in (nodes `kafka-0`, `kafka-1`, …)
   * @param options - cluster options; defaults in `KAFKA_DEFAULTS`
   */
  constructor(sim: Simulation, options: KafkaOptions = {}) {
    super(sim, options);
  }

  /** A producer (kafkajs's `kafka.producer(config)`). */
  producer(config: ProducerConfig = {}): Producer {
    return new Producer(this, config);
  }

  /** A consumer in a group (kafkajs's `kafka.consumer({ groupId })`). */
  consumer(config: ConsumerConfig): Consumer {
    return new Consumer(this, config);
  }

  /** An admin client (kafkajs's `kafka.admin()`). */
  admin(): Admin {
    return new Admin(this);
  }

  /** Consumer lag of a group per partition: high watermark − committed offset. */
  lag(groupId: string): Displayable & { rows: LagRow[]; total: number } {
    const rows = this.group(groupId).lag();
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
    const rows = this.group(groupId).rebalances();
    return { rows, [DISPLAY]: () => (rows.length ? table(rows.map((r) => ({ ...r }))) : markdown(`_Group ${groupId} has not rebalanced yet._`))[DISPLAY]() };
  }
}
