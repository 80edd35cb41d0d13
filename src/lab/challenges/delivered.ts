/**
 * What a consumer was handed: wraps a kafkajs-shaped consumer's `run` so a checker sees every
 * message given to the learner's `eachMessage` or `eachBatch` (partition, offset, key and value
 * as text) before the learner's code does. Checkers use it to tie what the learner did (a count,
 * a charge) to the record it came from, through the public consumer API only: the challenges
 * bundle holds no reference to the cluster's internals.
 */
import type { KafkaConsumer, KafkaMessage } from "sde-lab";

/** One message as handed to the learner's code. */
export interface Delivered {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Key and value as text, byte per char (enough to find an ASCII id in them). */
  readonly key: string;
  readonly value: string;
}

/** A key or value as text, byte per char (the lab builds without TextDecoder). */
export function asText(c: unknown): string {
  if (c === null || c === undefined) return "";
  if (typeof c === "string") return c;
  if (c instanceof Uint8Array) {
    let out = "";
    for (const byte of c) out += String.fromCharCode(byte);
    return out;
  }
  return String(c);
}

/** `run` of `consumer`, wrapped so `note` sees each message before the learner's handler does. */
export function observedRun(consumer: KafkaConsumer, note: (d: Delivered) => void): KafkaConsumer["run"] {
  const run = consumer.run.bind(consumer);
  const seen = (topic: string, partition: number, m: KafkaMessage) => note({ topic, partition, offset: Number(m.offset), key: asText(m.key), value: asText(m.value) });
  return (config) => {
    if (!config || typeof config !== "object") return run(config);
    const wrapped = { ...config };
    const { eachMessage, eachBatch } = config;
    if (typeof eachMessage === "function") {
      wrapped.eachMessage = (payload) => {
        seen(payload.topic, payload.partition, payload.message);
        return eachMessage(payload);
      };
    }
    if (typeof eachBatch === "function") {
      wrapped.eachBatch = (payload) => {
        for (const m of payload.batch.messages) seen(payload.batch.topic, payload.batch.partition, m);
        return eachBatch(payload);
      };
    }
    return run(wrapped);
  };
}

/** The group's committed offset of one partition (undefined when nothing is committed), through `kafka.lag`. */
export function committedOffset(lag: () => { rows: readonly { topic: string; partition: number; committed: number | string }[] }, topic: string, partition: number): number | undefined {
  const row = lag().rows.find((r) => r.topic === topic && r.partition === partition);
  return typeof row?.committed === "number" ? row.committed : undefined;
}
