// Timeout: give up on a slow call at a deadline, and see what the callee keeps doing.
import { Simulation, TimeoutPolicy, display, ok, table } from "sde-lab";

const sim = new Simulation({ seed: /*$1*/1 });
sim.service("pricing", async (_req, ctx) => {
  await ctx.work(/*$2*/40);
  return ok({ price: 9.99 });
}, { concurrency: 4 });
sim.faults.slow("pricing", /*$3*/20, { at: 1_000 }); // 40 ms becomes 800 ms
const shop = sim.client("shop");
const timeout = new TimeoutPolicy(sim, {
  timeoutMs: /*$4*/200,
  kind: /*$5*/"aggressive", // the callee keeps working after we give up
});
const latency = sim.metrics.histogram("shop → pricing (ms)");

await sim.run(async () => {
  for (let i = 0; i < 60; i++) {
    const start = sim.now;
    await timeout.execute(() => shop.call("pricing", "GET /price/7")).catch(() => undefined);
    latency.record(sim.now - start);
    await sim.sleep(50);
  }
});
display(table([{ ...timeout.stats, "p99 (ms)": latency.percentile(99) }]));
/*$0*/timeout
