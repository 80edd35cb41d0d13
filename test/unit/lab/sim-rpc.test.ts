// The one request/response primitive on the simulated network.
import { describe, expect, it } from "vitest";
import { Simulation } from "../../../src/lab/index";
import { roundTrip, send, type Exchange, type Silence } from "../../../src/lab/sim/rpc";

class Refused extends Error {
  override name = "Refused";
}
class GaveUp extends Error {
  override name = "GaveUp";
  constructor(readonly silence: Silence) {
    super(silence.stage);
  }
}

function setup(latency = 5) {
  const sim = new Simulation({ seed: 1 });
  sim.client("a");
  sim.client("b");
  sim.network.setDefaults({ latency });
  return sim;
}

const base = { from: "a", to: "b", timeoutMs: 100, refused: () => new Refused("b is down"), timedOut: (s: Silence) => new GaveUp(s) };

describe("roundTrip", () => {
  it("crosses the network twice: the answer arrives one round trip later, traced both ways", async () => {
    const sim = setup(5);
    const { value, at } = await sim.run(async () => {
      const value = await roundTrip<number>(sim, { ...base, label: "ask", describe: (n) => `answer ${n}`, serve: (x) => x.reply(42) });
      return { value, at: sim.now };
    });
    expect(value).toBe(42);
    expect(at).toBe(10);
    expect(sim.trace.events.map((e) => `${e.time} ${e.kind} ${e.from}->${e.to} ${e.summary}`)).toEqual(["0 request a->b ask", "10 response b->a answer 42"]);
  });

  it("sends the callee's error back as the caller's rejection, after the same round trip", async () => {
    const sim = setup(5);
    const out = await sim.run(async () => {
      const error = await roundTrip<number>(sim, { ...base, serve: (x) => x.fail(new RangeError("bad")) }).catch((e: unknown) => e);
      return { error, at: sim.now };
    });
    expect(out.error).toBeInstanceOf(RangeError);
    expect(out.at).toBe(10);
  });

  it("a crashed callee refuses: the refusal travels back; without refused() the request is just lost", async () => {
    const sim = setup(5);
    sim.faults.crash("b");
    const refused = await sim.run(async () => {
      const error = await roundTrip<number>(sim, { ...base, serve: (x) => x.reply(1) }).catch((e: unknown) => e);
      return { error, at: sim.now };
    });
    expect(refused.error).toBeInstanceOf(Refused);
    expect(refused.at).toBe(10);
    let served = 0;
    const silent = await sim.run(() => roundTrip<number>(sim, { ...base, refused: undefined, serve: (x) => (served++, x.reply(1)) }).catch((e: unknown) => e));
    // Without refused() the primitive leaves the decision to serve (here: it answers anyway).
    expect(served).toBe(1);
    expect(silent).toBe(1);
  });

  it("times out with what the caller can tell: request cut, answer lost, or no answer yet", async () => {
    const sim = setup(5);
    sim.network.partition("a", "b", true);
    const cut = await sim.run(() => roundTrip<number>(sim, { ...base, serve: (x) => x.reply(1) }).then(() => undefined, (e: GaveUp) => e));
    expect(cut?.silence).toEqual({ stage: "request", cause: "partition" });
    sim.network.heal();
    sim.network.partition("b", "a", true);
    const lost = await sim.run(() => roundTrip<number>(sim, { ...base, serve: (x) => x.reply(1) }).then(() => undefined, (e: GaveUp) => e));
    expect(lost?.silence).toEqual({ stage: "response", cause: "partition" });
    sim.network.heal();
    const slow = await sim.run(async () => {
      const error = await roundTrip<number>(sim, { ...base, serve: () => {} }).then(() => undefined, (e: GaveUp) => e);
      return { error, at: sim.now };
    });
    expect(slow.error?.silence).toEqual({ stage: "waiting" });
    expect(slow.at - 0).toBeGreaterThanOrEqual(100);
  });

  it("with timeoutMode lost-only, waits for a slow callee but still times out on a lost request", async () => {
    const sim = setup(5);
    const slow = await sim.run(async () => {
      const value = await roundTrip<number>(sim, { ...base, timeoutMode: "lost-only", serve: (x) => void sim.schedule(500, () => x.reply(9)) });
      return { value, at: sim.now };
    });
    expect(slow).toEqual({ value: 9, at: 510 });
    sim.network.partition("a", "b");
    const start = sim.now;
    const cut = await sim.run(async () => {
      const error = await roundTrip<number>(sim, { ...base, timeoutMode: "lost-only", serve: (x) => x.reply(1) }).catch((e: unknown) => e);
      return { error, after: sim.now - start };
    });
    expect(cut.error).toBeInstanceOf(GaveUp);
    expect(cut.after).toBe(100);
  });

  it("marks the exchange abandoned once the caller gave up, and reports the late answer", async () => {
    const sim = setup(5);
    let exchange: Exchange<number> | undefined;
    let late = 0;
    const error = await sim.run(() => roundTrip<number>(sim, { ...base, timeoutMs: 50, late: () => late++, serve: (x) => (exchange = x) }).catch((e: unknown) => e));
    expect(error).toBeInstanceOf(GaveUp);
    expect(exchange!.abandoned).toBe(true);
    exchange!.reply(7);
    await sim.run();
    expect(late).toBe(1);
  });

  it("rejects with callerDown() when the caller crashed before the answer landed", async () => {
    const sim = setup(5);
    const error = await sim.run(() => {
      const call = roundTrip<number>(sim, { ...base, callerDown: () => new Refused("a is down"), serve: (x) => x.reply(1) }).catch((e: unknown) => e);
      sim.schedule(7, () => sim.faults.crash("a"));
      return call;
    });
    expect(error).toMatchObject({ message: "a is down" });
  });
});

describe("trace text built only when kept", () => {
  // Node calls with loss, timeouts, a crash and late answers, with a trace that keeps
  // everything and with one that keeps nothing (traceLimit 0, nothing observing): the same run,
  // the same number of trace events counted, and the same pending events as it goes.
  async function scenario(traceLimit: number) {
    const sim = new Simulation({ seed: 9, traceLimit });
    sim.network.setDefaults({ latency: { kind: "uniform", min: 1, max: 20 }, loss: 0.1 });
    sim.service("svc", async (_req, ctx) => {
      await ctx.work({ kind: "exponential", mean: 30 });
      return { ok: true };
    });
    const app = sim.client("app");
    sim.faults.crash("svc", { at: 400 });
    sim.faults.restart("svc", { at: 500 });
    const pending: number[] = [];
    const results = await sim.run(() =>
      Promise.all(
        Array.from({ length: 300 }, async (_, i) => {
          await sim.sleep(i * 3);
          pending.push(sim.pendingEvents);
          return app.call("svc", "GET /x", { timeoutMs: 60 }).then(
            (r) => r.status,
            (e: Error) => e.name,
          );
        }),
      ),
    );
    return { results, count: sim.trace.count, kept: sim.trace.events.length, pending, now: sim.now, stats: app.stats };
  }

  it("counts the same events and gives the same run whether the trace keeps them or not", async () => {
    const full = await scenario(1_000_000);
    const off = await scenario(0);
    expect(off.kept).toBe(0);
    expect(full.kept).toBe(full.count);
    expect(full.count).toBeGreaterThan(600);
    expect(off.count).toBe(full.count);
    expect(off.results).toEqual(full.results);
    expect(off.pending).toEqual(full.pending);
    expect(off.now).toBe(full.now);
    expect(off.stats).toEqual(full.stats);
    // The run really had timeouts, late answers and lost messages to trace.
    expect(full.results.filter((r) => r === "TimeoutError").length).toBeGreaterThan(10);
    expect(full.stats.lateResponses).toBeGreaterThan(0);
  });
});

describe("send", () => {
  it("delivers after the link's delay or says why the message is lost", async () => {
    const sim = setup(3);
    const arrived: number[] = [];
    expect(send(sim, "a", "b", () => arrived.push(sim.now))).toBeUndefined();
    sim.network.partition("a", "b");
    expect(send(sim, "a", "b", () => arrived.push(-1))).toBe("partition");
    await sim.run();
    expect(arrived).toEqual([3]);
  });
});
