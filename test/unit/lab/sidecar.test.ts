import { describe, expect, it } from "vitest";
import { ConfigError, Simulation, ok } from "../../../src/lab/index";
import { IDENTITY_HEADER, Sidecar, meshIdentity } from "../../../src/lab/sidecar/index";

describe("Sidecar", () => {
  it("takes the service's name, runs the app behind it over a local link, and logs both directions", async () => {
    const sim = new Simulation();
    sim.network.setDefaults({ latency: 3 });
    sim.service("inventory", () => ok({ stock: 4 }));
    const orders = new Sidecar(sim, "orders", async (_req, ctx) => {
      const stock = await ctx.call("inventory", "GET /stock/1");
      return ok({ stock: (stock.body as { stock: number }).stock });
    });
    const web = sim.client("web");
    const res = await sim.run(() => web.call("orders", "GET /orders/1"));
    expect(res.body).toEqual({ stock: 4 });
    // web→orders 3 ms, proxy→app 0, proxy→inventory 3 + 3, back to web 3.
    expect(sim.now).toBe(12);
    expect(orders.accessLogText()).toBe(['[3 ms] outbound inventory "GET /stock/1" 200 6 ms attempts=1', '[3 ms] inbound web "GET /orders/1" 200 6 ms attempts=1'].join("\n"));
    expect(orders.stats).toEqual({ inbound: 1, inboundDenied: 0, outbound: 1, outboundAttempts: 1, outboundFailures: 0 });
  });

  it("retries outbound 503s and gives the caller the last answer when every try failed", async () => {
    const sim = new Simulation();
    let calls = 0;
    sim.service("flaky", () => (++calls < 3 ? { status: 503, headers: {} } : ok("fine")));
    const svc = new Sidecar(sim, "svc", async (_r, ctx) => ctx.call("flaky", "GET /"), { retry: { maxAttempts: 2, baseMs: 10, jitter: "none" } });
    const c = sim.client("c");
    const first = await sim.run(() => c.call("svc"));
    expect([first.status, calls]).toEqual([503, 2]);
    const second = await sim.run(() => c.call("svc"));
    expect([second.status, calls]).toEqual([200, 3]);
    expect(svc.stats.outboundAttempts).toBe(3);
  });

  it("stops a slow outbound try at its timeout and answers 504", async () => {
    const sim = new Simulation();
    sim.service("slow", async (_r, ctx) => {
      await ctx.work(1_000);
      return ok();
    });
    new Sidecar(sim, "svc", async (_r, ctx) => ctx.call("slow"), { retry: false, timeoutMs: 50 });
    const c = sim.client("c");
    const res = await sim.run(() => c.call("svc"));
    expect(res.status).toBe(504);
    // c→svc 1 ms, the outbound try gives up at 1 + 50, the 504 reaches c 1 ms later.
    expect(sim.now).toBe(52);
  });

  it("enforces mutual TLS identities: strict mode, allow lists, permissive mode", async () => {
    const sim = new Simulation();
    new Sidecar(sim, "ledger", () => ok("secret"), { mtls: { mode: "strict", allow: ["billing"] } });
    new Sidecar(sim, "billing", async (_r, ctx) => ctx.call("ledger"));
    new Sidecar(sim, "reports", async (_r, ctx) => ctx.call("ledger"));
    new Sidecar(sim, "open", () => ok("hi"), { mtls: { mode: "permissive" } });
    const c = sim.client("c");
    const statuses = await sim.run(async () => [
      (await c.call("ledger")).status, // no sidecar, no identity
      (await c.call("billing")).status, // billing's sidecar presents its identity
      (await c.call("reports")).status, // a mesh identity, but not allowed
      (await c.call("open")).status, // permissive lets plain callers in
    ]);
    expect(statuses).toEqual([403, 200, 403, 200]);
    expect(meshIdentity("billing")).toBe("spiffe://cluster.local/ns/default/sa/billing");
    expect(IDENTITY_HEADER).toBe("x-sde-peer-identity");
  });

  it("follows Istio's default retry policy: 3 tries, only for 503 and failed tries", async () => {
    const sim = new Simulation();
    const seen: number[] = [];
    sim.service("five-hundred", () => {
      seen.push(500);
      return { status: 500, headers: {} };
    });
    let busy = 0;
    sim.service("busy", () => (++busy < 3 ? { status: 503, headers: {} } : ok("third time")));
    new Sidecar(sim, "svc", async (req, ctx) => ctx.call(req.path === "/a" ? "five-hundred" : "busy"), { retry: { baseMs: 1, jitter: "none" } });
    const c = sim.client("c");
    const [a, b] = await sim.run(async () => [await c.call("svc", "GET /a"), await c.call("svc", "GET /b")]);
    expect([a!.status, seen.length]).toEqual([500, 1]);
    expect([b!.status, busy]).toEqual([200, 3]);
  });

  it("retries a try that passed its per-try timeout, within the overall deadline", async () => {
    const sim = new Simulation();
    let tries = 0;
    sim.service("sometimes-slow", async (_r, ctx) => {
      if (++tries === 1) await ctx.work(500);
      return ok("fast");
    });
    const svc = new Sidecar(sim, "svc", async (_r, ctx) => ctx.call("sometimes-slow"), { perTryTimeoutMs: 50, retry: { baseMs: 10, jitter: "none" } });
    const c = sim.client("c");
    const res = await sim.run(() => c.call("svc"));
    expect([res.status, tries, svc.stats.outboundAttempts]).toEqual([200, 2, 2]);
  });

  it("works with no retries and no timeouts, and honours the app's own call timeout", async () => {
    const sim = new Simulation();
    sim.service("slow", async (_r, ctx) => {
      await ctx.work(1_000);
      return ok();
    });
    new Sidecar(sim, "plain", async (_r, ctx) => ctx.call("slow"), { retry: false, timeoutMs: Infinity });
    new Sidecar(sim, "impatient", async (_r, ctx) => ctx.call("slow", "GET /", { timeoutMs: 30 }), { retry: false });
    const c = sim.client("c");
    const [plain, impatient] = await sim.run(async () => [await c.call("plain"), await c.call("impatient")]);
    expect(plain!.status).toBe(200);
    expect(impatient!.status).toBe(504);
  });

  it("rejects bad options naming the parameter", () => {
    const sim = new Simulation();
    expect(() => new Sidecar(sim, "a", () => ok(), { timeoutMs: -5 })).toThrow(ConfigError);
    expect(() => new Sidecar(sim, "a2", () => ok(), { perTryTimeoutMs: Number.NaN })).toThrow("Sidecar a2: perTryTimeoutMs must be a finite number ≥ 0, got NaN");
    expect(() => new Sidecar(sim, "b", () => ok(), { mtls: { mode: "sometimes" as "strict" } })).toThrow('Sidecar b: mtls.mode must be one of "strict", "permissive", got "sometimes"');
  });
});
