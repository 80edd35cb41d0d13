// Backend for frontend: a mobile BFF that fans out to three services and trims the answer.
import { BackendForFrontend, Simulation, ok, table, display } from "sde-lab";

const sim = new Simulation({ seed: /*$1*/1 });
const services = { users: 10, orders: 30, recs: 20 } as const; // work per request, ms
for (const [name, ms] of Object.entries(services)) {
  sim.service(name, async (_req, ctx) => {
    await ctx.work(ms);
    return ok(Array.from({ length: 20 }, (_, i) => ({ id: i, name: `${name} ${i}`, detail: "x".repeat(40) })));
  });
}
const mobile = new BackendForFrontend(sim, {
  name: /*$2*/"mobile-bff",
  screens: {
    home: {
      profile: { upstream: "users", request: "GET /users/7", fields: ["name"], limit: 1 },
      orders: { upstream: "orders", request: "GET /orders?user=7", fields: ["id", "name"], limit: /*$3*/3 },
      recs: { upstream: "recs", request: "GET /recs?user=7", fields: ["name"], limit: 3, optional: true },
    },
  },
});
const phone = sim.client("phone");
const home = await sim.run(() => phone.call("mobile-bff", `GET ${mobile.path("home")}`));
display(table([{ status: home.status, "bytes to the phone": JSON.stringify(home.body).length, "round trips": 1 }]));
/*$0*/mobile
