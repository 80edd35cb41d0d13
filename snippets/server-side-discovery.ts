// Server-side discovery: clients call a load balancer, which asks the registry and forwards.
import { EurekaInstance, EurekaRegistry, ServerSideLoadBalancer, Simulation, table, display } from "sde-lab";

const sim = new Simulation({ seed: /*$1*/3 });
const registry = new EurekaRegistry(sim);
for (let i = 1; i <= /*$2*/3; i++) new EurekaInstance(sim, { app: "orders", id: `orders-${i}` });
const lb = new ServerSideLoadBalancer(sim, {
  name: /*$3*/"orders-lb",
  service: "orders",
  registry,
  strategy: /*$4*/"least-outstanding",
});
const web = sim.client("web");

await sim.runUntil(35_000);
const statuses = await sim.run(() => Promise.all(Array.from({ length: /*$5*/9 }, () => web.call("orders-lb", "GET /orders").then((r) => r.status))));
display(table([{ requests: statuses.length, ok: statuses.filter((s) => s === 200).length, "hops per request": 2 }]));
/*$0*/lb
