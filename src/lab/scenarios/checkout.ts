/**
 * The checkout application for the sidecar lesson: three handlers (frontend → orders →
 * payments) written once, unaware of any proxy, and a load run that measures what users and
 * the payment ledger saw. The learner deploys the handlers in the cell, plainly with
 * `sim.service` or behind `new Sidecar(...)`.
 *
 * Idempotency: the user's browser mints one `idempotency-key` per checkout (the edge); the
 * frontend and orders pass it on unchanged. With `dedupe` on, payments remembers each key and
 * answers a repeat with the first result (waiting for it if the first charge is still
 * running) instead of charging again, so a retried charge cannot charge twice.
 */
import { DISPLAY, ok, response, table, type Displayable, type Handler, type Simulation } from "sde-lab";
import { nonNegative, wholeNumber } from "./checks";

/** Options of {@link checkoutApp}. Defaults are in {@link CHECKOUT_DEFAULTS}. */
export interface CheckoutOptions {
  /** Share of charges that fail with 503 before anything is charged. Default 0.3. */
  paymentFailureRate?: number;
  /** Time a charge takes, ms. Default 5. */
  paymentMs?: number;
  /** Payments deduplicates on the idempotency key. Default true. */
  dedupe?: boolean;
}

/** Defaults of {@link CheckoutOptions}. */
export const CHECKOUT_DEFAULTS = { paymentFailureRate: 0.3, paymentMs: 5, dedupe: true } as const;

/** The three handlers and the payment ledger they write. */
export interface CheckoutApp {
  readonly frontend: Handler<unknown>;
  readonly orders: Handler<unknown>;
  readonly payments: Handler<unknown>;
  /** Charges per idempotency key. */
  readonly ledger: ReadonlyMap<string, number>;
  /** Requests that reached the payments handler (retries included). */
  readonly paymentRequests: () => number;
}

/** Builds the three handlers. */
export function checkoutApp(options: CheckoutOptions = {}): CheckoutApp {
  const o = { ...CHECKOUT_DEFAULTS, ...options };
  nonNegative("checkoutApp", "paymentMs", o.paymentMs);
  const ledger = new Map<string, number>();
  const results = new Map<string, Promise<{ status: number }>>();
  let requests = 0;
  const charge = async (ctx: Parameters<Handler<unknown>>[1], key: string) => {
    await ctx.work(o.paymentMs);
    if (ctx.sim.random.chance(o.paymentFailureRate)) return { status: 503 };
    ledger.set(key, (ledger.get(key) ?? 0) + 1);
    return { status: 200 };
  };
  const payments: Handler<unknown> = async (req, ctx) => {
    requests++;
    const key = req.headers["idempotency-key"] ?? `no-key-${requests}`;
    if (!o.dedupe) {
      const r = await charge(ctx, key);
      return r.status === 200 ? ok({ charged: true }) : response(503, { error: "payment provider busy" });
    }
    let pending = results.get(key);
    if (!pending) {
      pending = charge(ctx, key);
      results.set(key, pending);
      // A failed charge charged nothing: forget it so a retry may try again.
      void pending.then((r) => r.status !== 200 && results.delete(key));
    }
    const r = await pending;
    return r.status === 200 ? ok({ charged: true }) : response(503, { error: "payment provider busy" });
  };
  const orders: Handler<unknown> = async (req, ctx) => {
    await ctx.work(2);
    const key = req.headers["idempotency-key"];
    const paid = await ctx.call("payments", { method: "POST", path: "/charge", headers: key ? { "idempotency-key": key } : {} });
    return paid.status === 200 ? ok({ order: "placed" }) : response(502, { error: "payment failed" });
  };
  const frontend: Handler<unknown> = async (req, ctx) => ctx.call("orders", { method: "POST", path: "/orders", headers: { ...req.headers } });
  return { frontend, orders, payments, ledger, paymentRequests: () => requests };
}

/** Options of {@link runCheckouts}. */
export interface CheckoutRunOptions {
  /** Name of the row in tables. Default `"run"`. */
  label?: string;
  /** Checkouts the user sends, one every 10 ms. Default 200. */
  requests?: number;
  /** How long the user waits for a checkout, ms. Default 5 000. */
  userTimeoutMs?: number;
}

/** What a checkout run measured. */
export interface CheckoutRun extends Displayable {
  readonly label: string;
  readonly requests: number;
  /** Checkouts answered 200. */
  readonly succeeded: number;
  /** Requests that reached the payments handler, retries included. */
  readonly paymentRequests: number;
  /** Orders charged, and orders charged more than once. */
  readonly charged: number;
  readonly doubleCharges: number;
  /** Status a caller without a mesh identity got calling orders directly (3 tries). */
  readonly rogueStatuses: readonly number[];
  /** p95 latency the user saw, ms. */
  readonly p95Ms: number;
  row(): Record<string, number | string>;
}

/**
 * Sends checkouts from a `user` node to `frontend` (deployed by you, with the handlers of
 * `app`), each with its own idempotency key, then three calls from a `rogue` node straight to
 * `orders`.
 */
export async function runCheckouts(sim: Simulation, app: CheckoutApp, options: CheckoutRunOptions = {}): Promise<CheckoutRun> {
  const requests = wholeNumber("runCheckouts", "requests", options.requests ?? 200);
  const userTimeoutMs = nonNegative("runCheckouts", "userTimeoutMs", options.userTimeoutMs ?? 5_000, 1);
  const user = sim.client("user");
  const rogue = sim.client("rogue");
  const latencies: number[] = [];
  const rogueStatuses: number[] = [];
  let succeeded = 0;
  await sim.run(async () => {
    for (let i = 1; i <= requests; i++) {
      const start = sim.now;
      const res = await user
        .call("frontend", { method: "POST", path: "/checkout", headers: { "idempotency-key": `checkout-${i}` } }, { timeoutMs: userTimeoutMs })
        .catch(() => undefined);
      latencies.push(sim.now - start);
      if (res?.status === 200) succeeded++;
      await sim.sleep(10);
    }
    for (let i = 0; i < 3; i++) rogueStatuses.push((await rogue.call("orders", "POST /orders")).status);
    await sim.sleep(1_000); // let abandoned charges finish, so the ledger is complete
  });
  latencies.sort((a, b) => a - b);
  const counts = [...app.ledger.values()];
  const run = {
    label: options.label ?? "run",
    requests,
    succeeded,
    paymentRequests: app.paymentRequests(),
    charged: counts.length,
    doubleCharges: counts.filter((n) => n > 1).length,
    rogueStatuses,
    p95Ms: latencies[Math.max(0, Math.ceil(0.95 * latencies.length) - 1)] ?? 0,
  };
  const row = () => ({
    setup: run.label,
    "checkouts ok": `${run.succeeded}/${run.requests}`,
    "calls to payments": run.paymentRequests,
    "orders charged": run.charged,
    "double charges": run.doubleCharges,
    "rogue caller got": run.rogueStatuses.join(", "),
    "p95 (ms)": Math.round(run.p95Ms),
  });
  return { ...run, row, [DISPLAY]: () => table([row()])[DISPLAY]() };
}
