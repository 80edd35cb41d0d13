// At-least-once with an idempotent consumer: process, then commit; skip ids already processed.
import { Simulation, Kafka, table } from "sde-lab";

const sim = new Simulation({ seed: 1 });
const kafka = new Kafka(sim, { brokers: 3 });
const processed = new Set<string>(); // in real life: a table written in the same transaction as the effect
let deliveries = 0;
let charges = 0;

const start = async (name: string, crashAfter: number) => {
  const consumer = kafka.consumer({ groupId: "payments", name, sessionTimeout: 6_000, heartbeatInterval: 2_000 });
  await consumer.connect();
  await consumer.subscribe({ topics: ["payments"], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      deliveries++;
      const id = String(message.key);
      if (!processed.has(/*$1*/id)) {
        processed.add(id);
        charges++; /*$0*/
      }
      if (deliveries === crashAfter) sim.faults.crash(name);
    },
  });
};

await sim.run(async () => {
  await kafka.admin().createTopics({ topics: [{ topic: "payments", numPartitions: 1, replicationFactor: 3 }] });
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  await producer.send({ topic: "payments", messages: Array.from({ length: 10 }, (_, i) => ({ key: `pay-${i}`, value: "10 EUR" })) });
  await start("worker-1", /*$2*/4);
  await sim.sleep(500);
  await start("worker-2", Infinity);
  await sim.sleep(10_000);
});
table([{ payments: 10, deliveries, charges, "duplicates skipped": deliveries - charges }]);
