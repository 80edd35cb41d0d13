// Client-side discovery: instances register with a Eureka-style registry; the client caches
// the list and picks an instance itself (one hop).
import { DiscoveryClient, EurekaInstance, EurekaRegistry, Simulation, table, display } from "sde-lab";

const sim = new Simulation({ seed: /*$1*/3 });
const registry = new EurekaRegistry(sim); // leases 90 s, renewals every 30 s, eviction every 60 s
for (let i = 1; i <= /*$2*/3; i++) new EurekaInstance(sim, { app: "orders", id: `orders-${i}` });
const web = new DiscoveryClient(sim, {
  name: "web",
  service: "orders",
  registry,
  strategy: /*$3*/"round-robin",
  refreshIntervalMs: /*$4*/30_000,
});

await sim.runUntil(35_000); // registrations, first renewals, a cache refresh
sim.faults.crash(/*$5*/"orders-2"); // dies without deregistering
const rows = [];
for (let t = 0; t < 6; t++) {
  const res = await sim.run(() => web.call("GET /orders").catch((e: Error) => ({ status: e.name })));
  rows.push({ "time (s)": Math.round(sim.now / 1000), status: res.status });
  await sim.runFor(/*$6*/30_000);
}
display(table(rows));
/*$0*/registry
