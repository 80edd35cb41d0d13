// API gateway: one front door that authenticates, authorises, rate-limits and routes.
import { ApiGateway, Simulation, TokenBucket, ok, request, table, display } from "sde-lab";

const sim = new Simulation({ seed: /*$1*/1 });
sim.service(/*$2*/"orders", async (_req, ctx) => {
  await ctx.work(/*$3*/15);
  return ok({ id: 42, status: "shipped" });
});
const gateway = new ApiGateway(sim, {
  routes: [{ prefix: /*$4*/"/orders", upstream: "orders", requires: ["orders:read"], timeoutMs: /*$5*/100 }],
  auth: { apiKeys: { "key-alice": { client: "alice", scopes: ["orders:read"] }, "key-bob": { client: "bob" } } },
  rateLimiter: new TokenBucket({ capacity: /*$6*/5, refillPerSecond: /*$7*/2 }),
});
const phone = sim.client("phone");
const send = (path: string, key?: string) => phone.call("gateway", request("GET", path, { headers: key ? { "x-api-key": key } : {} }));

const rows = await sim.run(async () => [
  { request: "alice GET /orders/42", status: (await send("/orders/42", "key-alice")).status },
  { request: "no key", status: (await send("/orders/42")).status },
  { request: "bob, no orders:read scope", status: (await send("/orders/42", "key-bob")).status },
  { request: "alice GET /nowhere", status: (await send("/nowhere", "key-alice")).status },
]);
display(table(rows));
/*$0*/gateway
