// Throughput of the broker simulations (wall-clock messages per second through the whole
// simulated path), next to a plain-array queue that only pushes and shifts the same messages.
// Targets: Kafka produce + consume (6 partitions, 3 consumers, 1 KB) ≥ 500 000 msg/s;
// RabbitMQ publish + consume with acks ≥ 200 000 msg/s.
import { performance } from "node:perf_hooks";
import { Simulation } from "../src/lab/sim/simulation";
import { Kafka } from "../src/lab/messaging/kafka/kafka";
import { RabbitMQ } from "../src/lab/messaging/rabbitmq/broker";
import { median } from "./harness";

const VALUE = "x".repeat(1024);
// amqplib takes a Buffer body (a string throws, in the lab too); built once, outside the timed loop.
const BODY = Buffer.from(VALUE);
const KAFKA_MESSAGES = 300_000;
const RABBIT_MESSAGES = 200_000;
const RUNS = 5;

async function kafkaRun(): Promise<number> {
  const sim = new Simulation({ seed: 1, traceLimit: 0 });
  const kafka = new Kafka(sim, { brokers: 3 });
  let consumed = 0;
  const start = performance.now();
  await sim.run(async () => {
    await kafka.admin().createTopics({ topics: [{ topic: "bench", numPartitions: 6, replicationFactor: 3 }] });
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 1; i <= 3; i++) {
      const c = kafka.consumer({ groupId: "bench", name: `c-${i}` });
      await c.connect();
      await c.subscribe({ topics: ["bench"], fromBeginning: true });
      await c.run({ eachMessage: async () => void consumed++ });
    }
    const batch = 1_000;
    for (let i = 0; i < KAFKA_MESSAGES; i += batch) {
      await producer.send({ topic: "bench", messages: Array.from({ length: batch }, (_, k) => ({ key: `k${(i + k) % 1000}`, value: VALUE })) });
    }
    while (consumed < KAFKA_MESSAGES) await sim.sleep(10);
  });
  const ms = performance.now() - start;
  if (consumed !== KAFKA_MESSAGES) throw new Error(`kafka consumed ${consumed}`);
  return (KAFKA_MESSAGES / ms) * 1000;
}

async function rabbitRun(): Promise<number> {
  const sim = new Simulation({ seed: 1, traceLimit: 0 });
  const rabbit = new RabbitMQ(sim);
  let consumed = 0;
  const start = performance.now();
  await sim.run(async () => {
    const conn = await rabbit.connect();
    const ch = await conn.createChannel();
    await ch.assertQueue("bench", { durable: false });
    for (let i = 0; i < 2; i++) {
      const c = await (await rabbit.connect()).createChannel();
      await c.prefetch(100);
      await c.consume("bench", (m) => {
        consumed++;
        c.ack(m!);
      });
    }
    for (let i = 0; i < RABBIT_MESSAGES; i++) {
      ch.sendToQueue("bench", BODY);
      if (i % 1_000 === 999) await sim.sleep(1);
    }
    while (consumed < RABBIT_MESSAGES) await sim.sleep(10);
  });
  const ms = performance.now() - start;
  if (consumed !== RABBIT_MESSAGES) throw new Error(`rabbit consumed ${consumed}`);
  return (RABBIT_MESSAGES / ms) * 1000;
}

// The obvious in-memory queue: an array with a read index (shift() on a 300 000-element array is O(n)).
function arrayRun(n: number): number {
  const start = performance.now();
  const queue: { key: string; value: string }[] = [];
  let head = 0;
  let consumed = 0;
  for (let i = 0; i < n; i++) queue.push({ key: `k${i % 1000}`, value: VALUE });
  while (head < queue.length) {
    if (queue[head++]!.value.length === 1024) consumed++;
  }
  if (consumed !== n) throw new Error("baseline");
  return (n / (performance.now() - start)) * 1000;
}

async function measure(fn: () => Promise<number> | number): Promise<number> {
  await fn();
  const rates: number[] = [];
  for (let i = 0; i < RUNS; i++) rates.push(await fn());
  return median(rates);
}

const baseline = await measure(() => arrayRun(KAFKA_MESSAGES));
const kafka = await measure(kafkaRun);
const rabbit = await measure(rabbitRun);
const fmt = (r: number) => `${Math.round(r).toLocaleString("en-US")} msg/s`;
console.log("\nBroker simulations, wall-clock throughput (median of 5 runs)");
console.log("| case | messages | throughput | vs plain array | target | verdict |");
console.log("| --- | ---: | ---: | ---: | ---: | --- |");
console.log(`| plain array queue (push, read by index), 1 KB | ${KAFKA_MESSAGES} | ${fmt(baseline)} | baseline | — | — |`);
console.log(`| Kafka: produce (batches of 1 000, acks=all, RF 3) + consume (6 partitions, 3 consumers), 1 KB | ${KAFKA_MESSAGES} | ${fmt(kafka)} | ${(kafka / baseline).toFixed(3)}× | 500,000 msg/s | ${kafka >= 500_000 ? "OK" : "UNDER TARGET"} |`);
console.log(`| RabbitMQ: publish + push to 2 consumers (prefetch 100) + ack, 1 KB | ${RABBIT_MESSAGES} | ${fmt(rabbit)} | ${(rabbit / baseline).toFixed(3)}× | 200,000 msg/s | ${rabbit >= 200_000 ? "OK" : "UNDER TARGET"} |`);
