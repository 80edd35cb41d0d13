// Exactly-once inside Kafka: output records and input offsets commit in one transaction.
import { Simulation, Kafka, table } from "sde-lab";

const sim = new Simulation({ seed: 1 });
const kafka = new Kafka(sim, { brokers: 3 });

await sim.run(async () => {
  await kafka.admin().createTopics({ topics: [{ topic: "payments", numPartitions: 1, replicationFactor: 3 }, { topic: "charges", numPartitions: 1, replicationFactor: 3 }] });
  const input = kafka.producer();
  await input.connect();
  await input.send({ topic: "payments", messages: Array.from({ length: 10 }, (_, i) => ({ key: `pay-${i}`, value: "10" })) });
  const consumer = kafka.consumer({ groupId: /*$1*/"charger", name: "charger-1" });
  const producer = kafka.producer({ transactionalId: /*$2*/"charger-tx", name: "charger-1" });
  await consumer.connect();
  await producer.connect();
  await consumer.subscribe({ topics: ["payments"], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      const txn = await producer.transaction();
      await txn.send({ topic: "charges", messages: batch.messages.map((m) => ({ key: m.key, value: m.value })) });
      await txn.sendOffsets({ consumerGroupId: "charger", topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) }] }] });
      await txn.commit(); /*$0*/
    },
  });
  await sim.sleep(200);
});

const offsets = await sim.run(() => kafka.admin().fetchTopicOffsets("charges"));
table(offsets.map((o) => ({ partition: o.partition, "log end (charges + commit marker)": o.high })));
