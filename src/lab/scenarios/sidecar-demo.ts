/**
 * The same three services with and without sidecars, for the notebook: a user calls
 * `frontend` → `orders` → `payments`, and payments fails 30 % of the time with a 503. The
 * services' handlers are the same functions in both runs; only the deployment differs.
 */
import { DISPLAY, Sidecar, Simulation, ok, request, response, table, type Handler, type MimeBundle, type SidecarOptions } from "sde-lab";

/** Options of {@link sidecarDemo}. */
export interface SidecarDemoOptions {
  /** Deploy every service with a sidecar. */
  withSidecars: boolean;
  /** Seed of the run. Default 1. */
  seed?: number;
  /** Requests the user sends. Default 200. */
  requests?: number;
  /** Share of payment calls that fail with 503. Default 0.3. */
  paymentFailureRate?: number;
  /** Extra processing time of every payment, in ms (make payments slow). Default 0. */
  paymentDelayMs?: number;
  /** Settings of every sidecar (retries, timeouts); mTLS is set by the demo. */
  sidecar?: Omit<SidecarOptions, "mtls">;
}

/** What the run measured. */
export interface SidecarDemoResult {
  /** User requests answered 200. */
  succeeded: number;
  requests: number;
  /** Requests that reached the payments application (retries included). */
  paymentAttempts: number;
  /** Payments charged. */
  charges: number;
  /** Orders charged more than once (a retried charge without an idempotency key would do this). */
  doubleCharges: number;
  /** Status codes the rogue caller (no mesh identity, calling orders directly) got. */
  rogueStatuses: number[];
  /** Access-log lines written by all sidecars (0 without). */
  accessLogLines: number;
  /** p95 latency seen by the user, ms. */
  p95Ms: number;
  sim: Simulation;
  sidecars: Sidecar[];
  /** A one-row table of the numbers. */
  [DISPLAY](): MimeBundle;
}

/** Runs the scenario and returns its numbers. */
export async function sidecarDemo(options: SidecarDemoOptions): Promise<SidecarDemoResult> {
  const sim = new Simulation({ seed: options.seed ?? 1 });
  const failureRate = options.paymentFailureRate ?? 0.3;
  const requests = options.requests ?? 200;
  sim.network.setDefaults({ latency: 1 });

  // The applications: written once, unaware of any proxy. Orders tags each charge with a key
  // and payments only counts charges per key (no deduplication), so doubleCharges shows what
  // retries would do to a non-idempotent charge; checkoutApp({ dedupe: true }) is the fix.
  const charged = new Map<string, number>();
  const payments: Handler<unknown> = async (req, ctx) => {
    await ctx.work(5 + (options.paymentDelayMs ?? 0));
    if (ctx.sim.random.chance(failureRate)) return response(503, { error: "payment provider busy" });
    const key = req.headers["idempotency-key"] ?? `anonymous-${ctx.sim.now}`;
    charged.set(key, (charged.get(key) ?? 0) + 1);
    return ok({ charged: true });
  };
  let orderNumber = 0;
  const orders: Handler<unknown> = async (_req, ctx) => {
    await ctx.work(2);
    const key = `order-${++orderNumber}`;
    const paid = await ctx.call("payments", request("POST", "/charge", { headers: { "idempotency-key": key } }));
    return paid.status === 200 ? ok({ order: "placed" }) : response(502, { error: "payment failed" });
  };
  const frontend: Handler<unknown> = async (_req, ctx) => ctx.call("orders", "POST /orders");

  const sidecars: Sidecar[] = [];
  let paymentsApp: string;
  if (options.withSidecars) {
    const extra = options.sidecar ?? {};
    sidecars.push(new Sidecar(sim, "payments", payments, { ...extra, mtls: { mode: "strict", allow: ["orders"] } }));
    sidecars.push(new Sidecar(sim, "orders", orders, { ...extra, mtls: { mode: "strict", allow: ["frontend"] } }));
    sidecars.push(new Sidecar(sim, "frontend", frontend, extra));
    paymentsApp = "payments/app";
  } else {
    sim.service("payments", payments);
    sim.service("orders", orders);
    sim.service("frontend", frontend);
    paymentsApp = "payments";
  }
  const user = sim.client("user");
  const rogue = sim.client("rogue");
  const rogueStatuses: number[] = [];
  let succeeded = 0;
  await sim.run(async () => {
    for (let i = 0; i < requests; i++) {
      const res = await user.call("frontend", "POST /checkout", { timeoutMs: 5_000 });
      if (res.status === 200) succeeded++;
      await sim.sleep(10);
    }
    for (let i = 0; i < 3; i++) rogueStatuses.push((await rogue.call("orders", "POST /orders")).status);
  });
  return {
    succeeded,
    requests,
    paymentAttempts: sim.node(paymentsApp).stats.received,
    charges: charged.size,
    doubleCharges: [...charged.values()].filter((n) => n > 1).length,
    rogueStatuses,
    accessLogLines: sidecars.reduce((n, s) => n + s.accessLog.length, 0),
    p95Ms: sim.metrics.histogram("latency user → frontend").percentile(95),
    sim,
    sidecars,
    [DISPLAY](this: SidecarDemoResult): MimeBundle {
      return table([
        {
          setup: options.withSidecars ? "with sidecars" : "no sidecars",
          "checkouts ok": `${this.succeeded}/${this.requests}`,
          "calls to payments": this.paymentAttempts,
          "double charges": this.doubleCharges,
          "rogue caller got": this.rogueStatuses.join(", "),
          "access-log lines": this.accessLogLines,
          "p95 (ms)": Math.round(this.p95Ms),
        },
      ])[DISPLAY]();
    },
  };
}
