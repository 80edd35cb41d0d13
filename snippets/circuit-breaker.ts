// Circuit breaker (resilience4j semantics): opens on the failure or slow-call rate, fails
// fast while open, probes in half-open.
import { CircuitBreaker, Simulation, ok, table, display } from "sde-lab";

const sim = new Simulation({ seed: /*$1*/1 });
sim.service("recommendations", async (_req, ctx) => {
  await ctx.work(20);
  return ok(["book-1", "book-2"]);
}, { concurrency: 4 });
const api = sim.client("api");
const breaker = new CircuitBreaker(sim, {
  failureRateThreshold: /*$2*/50,
  slowCallRateThreshold: /*$3*/50,
  slowCallDurationThreshold: /*$4*/200, // ms
  slidingWindowSize: /*$5*/20,
  minimumNumberOfCalls: /*$6*/10,
  waitDurationInOpenState: /*$7*/2_000,
});
breaker.onStateChange((t) => display.markdown(`t = ${t.time} ms: **${t.from} → ${t.to}**`));

sim.faults.slow("recommendations", /*$8*/50, { at: 1_000 });
sim.faults.slow("recommendations", 1, { at: 6_000 }); // recovers
const outcomes = { ok: 0, failedFast: 0, failed: 0 };
await sim.run(async () => {
  for (let i = 0; i < 200; i++) {
    await breaker
      .execute(() => api.call("recommendations", "GET /recs", { timeoutMs: 500 }))
      .then(() => outcomes.ok++, (e: Error) => (e.name === "BreakerOpenError" ? outcomes.failedFast++ : outcomes.failed++));
    await sim.sleep(50);
  }
});
display(table([outcomes]));
/*$0*/breaker
