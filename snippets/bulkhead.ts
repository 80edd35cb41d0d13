// Bulkhead: cap the calls to one slow dependency so it cannot take every worker of the caller.
import { BulkheadPolicy, Simulation, display, ok, response, table } from "sde-lab";

const sim = new Simulation({ seed: /*$1*/1 });
sim.service("recommendations", async (_req, ctx) => {
  await ctx.work(20);
  return ok(["book-1"]);
});
sim.faults.slow("recommendations", /*$2*/50, { at: 500 }); // 20 ms becomes 1 s
const recsBulkhead = new BulkheadPolicy(sim, { maxConcurrent: /*$3*/4, maxQueue: /*$4*/0 });
// The API has 10 workers; /recs needs recommendations, /home does not.
sim.service("api", async (req, ctx) => {
  if (req.path === "/home") return ok("home page");
  return recsBulkhead
    .execute(() => ctx.call("recommendations", "GET /recs"))
    .catch(() => response(503, { error: "recommendations busy, showing none" }));
}, { concurrency: 10 });
const users = sim.client("users");
const home = sim.metrics.histogram("/home latency (ms)");

await sim.run(async () => {
  const calls = [];
  for (let i = 0; i < 200; i++) {
    const path = i % 2 ? "/home" : "/recs";
    const start = sim.now;
    calls.push(users.call("api", `GET ${path}`, { timeoutMs: 2_000 }).then(() => path === "/home" && home.record(sim.now - start), () => undefined));
    await sim.sleep(10);
  }
  await Promise.all(calls);
});
display(table([{ ...recsBulkhead.stats, "/home p99 (ms)": home.percentile(99) }]));
/*$0*/recsBulkhead
