// At-most-once: commit the batch's offsets first, then process; a crash loses the rest of the batch.
import { Simulation, Kafka, table } from "sde-lab";

const sim = new Simulation({ seed: 1 });
const kafka = new Kafka(sim, { brokers: 3 });
const applied = new Set<string>();

await sim.run(async () => {
  await kafka.admin().createTopics({ topics: [{ topic: "metrics", numPartitions: 1, replicationFactor: 3 }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: "metrics", messages: Array.from({ length: 20 }, (_, i) => ({ value: `point-${i}` })) });
  const consumer = kafka.consumer({ groupId: "dashboard", name: "dashboard-1" });
  await consumer.connect();
  await consumer.subscribe({ topics: ["metrics"], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch, isRunning }) => {
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) }]);
      for (const m of batch.messages) {
        if (!isRunning()) return;
        await sim.sleep(/*$1*/5);
        applied.add(String(m.value));
        if (applied.size === /*$2*/8) sim.faults.crash("dashboard-1");
      }
    },
  });
  await sim.sleep(1_000);
});
/*$0*/
table([{ sent: 20, applied: applied.size, lost: 20 - applied.size }]);
