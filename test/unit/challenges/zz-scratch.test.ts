import { it } from "vitest";
import { challenges, type Job, type WorkQueueOnBothSolution } from "sde-lab/challenges";
const encode = (job: Job) => Buffer.from(JSON.stringify(job));
const decode = (bytes: { toString(): string } | null): Job => JSON.parse(String(bytes)) as Job;
const ref: WorkQueueOnBothSolution = {
  rabbit: {
    async produce(ch, jobs) { await ch.assertQueue("jobs", { durable: true }); for (const j of jobs) ch.sendToQueue("jobs", encode(j), { persistent: true }); },
    async worker(ch, handle) { await ch.assertQueue("jobs", { durable: true }); await ch.prefetch(1); await ch.consume("jobs", (m) => { if (m) void handle(decode(m.content)).then(() => ch.ack(m)); }); },
  },
  kafka: {
    async produce(p, jobs) { await p.send({ topic: "jobs", messages: jobs.map((j) => ({ key: j.key, value: JSON.stringify(j) })) }); },
    async worker(c, handle) { await c.subscribe({ topics: ["jobs"], fromBeginning: true }); await c.run({ eachMessage: async ({ message }) => handle(decode(message.value)) }); },
    async replay(c, handle) { await c.subscribe({ topics: ["jobs"], fromBeginning: true }); await c.run({ eachMessage: async ({ message }) => handle(decode(message.value)) }); },
  },
};
it("prof", async () => {
  const { workQueueOnBothBuild } = await import("../../../src/lab/challenges/build-messaging/work-queue-both");
  const spec = (workQueueOnBothBuild as any);
  for (let k = 0; k < 2; k++) {
    const t0 = performance.now();
    const r = await challenges["kafka-vs-rabbitmq"].check(ref);
    console.log("total", Math.round(performance.now() - t0), r.headline);
  }
}, 60000);
