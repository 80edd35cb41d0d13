// Sidecar: a proxy beside each service adds mTLS identity checks, retries, a timeout and an
// access log, without a line of it in the application's handler.
import { Sidecar, Simulation, display, ok, response } from "sde-lab";

const sim = new Simulation({ seed: /*$1*/1 });
sim.network.setDefaults({ latency: 2 });
let tries = 0;
// payments fails its first two tries with a 503 (a restarting instance).
new Sidecar(sim, "payments", () => (++tries <= /*$2*/2 ? response(503, { error: "warming up" }) : ok({ charged: true })), {
  mtls: { mode: /*$3*/"strict", allow: ["orders"] },
});
const orders = new Sidecar(sim, "orders", async (_req, ctx) => ctx.call("payments", "POST /charge"), {
  retry: { maxAttempts: /*$4*/3, baseMs: 25 },
  timeoutMs: /*$5*/1_000,
});
new Sidecar(sim, "reports", async (_req, ctx) => ctx.call("payments", "POST /charge"));
const web = sim.client("web");

const [order, report] = await sim.run(async () => [await web.call("orders", "POST /orders"), await web.call("reports", "GET /daily")]);
display.markdown(`orders → payments: **${order.status}** after ${tries} tries · reports → payments: **${report.status}** (not on the allow list)`);
/*$0*/orders
