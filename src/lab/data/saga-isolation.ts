/**
 * The anomaly a saga allows, and a countermeasure. Orders are created by a saga
 * (create order → charge payment); a shipping service polls the orders and ships what it
 * sees as accepted. Every third customer's payment is declined, so those orders are
 * cancelled by the compensation — but without isolation, shipping may already have read
 * (and shipped) them: a dirty read. With a semantic lock the order is created `PENDING`,
 * shipping skips pending orders, and a last step approves the order once payment succeeded.
 */
import { DISPLAY, table, type MimeBundle } from "../display";
import { Simulation } from "../sim/simulation";
import { response } from "../sim/http";
import { SagaOrchestrator, type SagaStep } from "./saga";

/** Options of {@link sagaIsolationDemo}. */
export interface SagaIsolationOptions {
  /** Create orders PENDING and approve them at the end (the semantic lock). */
  semanticLock: boolean;
  /** Orders placed, one every 20 ms. Default 30. */
  orders?: number;
  /** Seed. Default 1. */
  seed?: number;
}

/** What {@link sagaIsolationDemo} measured. */
export class SagaIsolationResult {
  constructor(
    readonly semanticLock: boolean,
    readonly orders: number,
    readonly cancelled: number,
    /** Orders shipping shipped that the saga later cancelled. */
    readonly dirtyReads: number,
    /** Times shipping saw an order in PENDING and left it alone. */
    readonly pendingSkips: number,
    readonly shipped: number,
    /** Mean time from placing an order to it being visible as accepted, ms. */
    readonly meanTimeToAcceptedMs: number,
  ) {}

  row(): Record<string, string | number> {
    return { "semantic lock": this.semanticLock ? "yes" : "no", orders: this.orders, cancelled: this.cancelled, shipped: this.shipped, "shipped then cancelled (dirty reads)": this.dirtyReads, "pending skipped": this.pendingSkips, "ms to accepted (mean)": Math.round(this.meanTimeToAcceptedMs * 10) / 10 };
  }

  [DISPLAY](): MimeBundle {
    return table([this.row()])[DISPLAY]();
  }
}

/** Runs the order saga with or without a semantic lock and counts dirty reads. */
export async function sagaIsolationDemo(options: SagaIsolationOptions): Promise<SagaIsolationResult> {
  const sim = new Simulation({ seed: options.seed ?? 1 });
  const n = options.orders ?? 30;
  const orders = new Map<string, { status: string; placedAt: number; acceptedAt?: number }>();
  sim.service("orders", (req) => {
    const id = req.headers["saga-id"]!;
    const o = orders.get(id);
    if (req.path === "/orders/create") orders.set(id, { status: options.semanticLock ? "PENDING" : "ACCEPTED", placedAt: sim.now, acceptedAt: options.semanticLock ? undefined : sim.now });
    else if (req.path === "/orders/cancel" && o) o.status = "CANCELLED";
    else if (req.path === "/orders/approve" && o && o.status === "PENDING") {
      o.status = "ACCEPTED";
      o.acceptedAt = sim.now;
    }
    return { ok: true };
  });
  let charged = 0;
  sim.service("payments", async (req, ctx) => {
    await ctx.work(40); // a slow card network: the window in which others see the order
    const customer = Number((req.body as { data: number }).data);
    if (customer % 3 === 2) return response(402, { error: "card declined" });
    charged++;
    return { ok: true };
  });
  const steps: SagaStep[] = [
    { name: "create order", service: "orders", action: "POST /orders/create", compensation: "POST /orders/cancel" },
    { name: "charge card", service: "payments", action: "POST /payments/charge", kind: "pivot" },
  ];
  if (options.semanticLock) steps.push({ name: "approve order", service: "orders", action: "POST /orders/approve", kind: "retriable" });
  const saga = new SagaOrchestrator(sim, { name: "place-order", steps });
  const shipped = new Set<string>();
  let pendingSkips = 0;
  await sim.run(async () => {
    const poll = sim.every(10, () => {
      for (const [id, o] of orders) {
        if (o.status === "PENDING") pendingSkips++;
        if (o.status === "ACCEPTED") shipped.add(id);
      }
    });
    const runs: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      runs.push(saga.run({ id: `order-${i}`, data: i }));
      await sim.sleep(20);
    }
    await Promise.all(runs);
    await sim.sleep(50);
    poll.cancel();
  });
  void charged;
  const cancelled = [...orders.values()].filter((o) => o.status === "CANCELLED").length;
  const dirty = [...shipped].filter((id) => orders.get(id)!.status === "CANCELLED").length;
  const accepted = [...orders.values()].filter((o) => o.acceptedAt !== undefined && o.status === "ACCEPTED");
  const mean = accepted.reduce((a, o) => a + (o.acceptedAt! - o.placedAt), 0) / Math.max(1, accepted.length);
  return new SagaIsolationResult(options.semanticLock, n, cancelled, dirty, pendingSkips, shipped.size, mean);
}
