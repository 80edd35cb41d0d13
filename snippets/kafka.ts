// Kafka: keyed records keep their order per partition; a consumer group shares the partitions.
import { Simulation, Kafka, table } from "sde-lab";

const sim = new Simulation({ seed: 1 });
const kafka = new Kafka(sim, { brokers: 3 });
const seen: { consumer: string; partition: number; key: string; offset: string }[] = [];

await sim.run(async () => {
  await kafka.admin().createTopics({ topics: [{ topic: /*$1*/"orders", numPartitions: /*$2*/3, replicationFactor: 3 }] });
  for (const name of ["billing-1", "billing-2"]) {
    const consumer = kafka.consumer({ groupId: /*$3*/"billing", name });
    await consumer.connect();
    await consumer.subscribe({ topics: ["orders"], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        /*$0*/
        seen.push({ consumer: name, partition, key: String(message.key), offset: message.offset });
      },
    });
  }
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: "orders", messages: ["user-1", "user-4", "user-8", "user-1"].map((key, i) => ({ key, value: `order ${i}` })) });
  await sim.sleep(100);
});

table(seen);
