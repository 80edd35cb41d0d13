// Retry with exponential backoff and jitter: 200 clients fail at once and retry.
import { RetryPolicy, Simulation, ok, response, table, display } from "sde-lab";

const sim = new Simulation({ seed: /*$1*/1 });
let down = true; // the service answers 503 for the first half second
sim.service("inventory", async (_req, ctx) => {
  await ctx.work(5);
  return down ? response(503, { error: "restarting" }) : ok({ sku: "A-1", stock: 3 });
});
sim.schedule(/*$2*/500, () => (down = false));
const load = sim.metrics.timeSeries("attempts per 100 ms", 100);

const retry = new RetryPolicy(sim, {
  maxAttempts: /*$3*/5,
  baseMs: /*$4*/100,
  maxDelayMs: /*$5*/2_000,
  jitter: /*$6*/"full", // "none" | "full" | "equal" | "decorrelated"
});
const clients = Array.from({ length: 200 }, (_, i) => sim.client(`client-${i}`));
const results = await sim.run(() =>
  Promise.all(clients.map((c) => retry.execute(() => (load.add(), c.call("inventory", "GET /stock/A-1"))))),
);
display(table([{ ...retry.stats, succeeded: results.filter((r) => r.status === 200).length, "peak per 100 ms": load.peak }]));
/*$0*/load.chart("attempts per 100 ms")
