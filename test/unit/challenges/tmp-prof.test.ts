import { it } from "vitest";
import { challenges } from "sde-lab/challenges";
import { Simulation } from "sde-lab";
it("prof", async () => {
  const mod = await import("../../../src/lab/challenges/messaging-build/consumer-loop");
  const spec: any = (mod as any);
  const sol = { async start({ consumer, process }: any) {
    await consumer.run({ autoCommit: false, eachBatch: async ({ batch, isRunning, isStale }: any) => {
      let next: string | undefined;
      for (const m of batch.messages) { if (!isRunning() || isStale()) break; await process(batch.topic, batch.partition, m); next = String(Number(m.offset) + 1); }
      if (next) await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
    } });
  } };
  const orig = Simulation.prototype.run;
  let n = 0; let events = 0;
  (Simulation.prototype as any).run = async function (this: any, f: any) { const t0 = performance.now(); const r = await orig.call(this, f); n++; console.log("run", n, Math.round(performance.now() - t0), this.now, this.fired); return r; };
  await challenges["kafka"].check(sol as any);
});
