// Build challenges of the microservices section: the reference passes every stage on every
// case; the starter fails stage 1 with a useful first failure; known-wrong answers fail.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseNotebook } from "../../../src/notebook/format";
import { response } from "sde-lab";
import { challenges } from "sde-lab/challenges";
import type { GatewayBuild, GatewayMiddleware } from "../../../src/lab/challenges/build-microservices/api-gateway";
import type { BffBuild } from "../../../src/lab/challenges/build-microservices/bff";
import type { DiscoveryBuild } from "../../../src/lab/challenges/build-microservices/client-side-discovery";
import type { LimiterBuild } from "../../../src/lab/challenges/build-microservices/rate-limiting";
import { gateway } from "./gateway-references";
import { discovery, homeBff, limiters } from "./microservices-references";
import { timed } from "./report-helpers";

// ---- api-gateway ---------------------------------------------------------------------------

describe("api-gateway build challenge", () => {
  const c = challenges["api-gateway"];

  it("passes the reference on every stage and case, within 3 s", async () => {
    const { value: report, ms } = await timed(() => c.check(gateway()));
    expect(report.headline).toMatch(/^Challenge api-gateway: PASSED \(3 of 3 stages, 46 cases\)$/);
    expect(ms).toBeLessThan(3_000);
  });

  it("fails the notebook's starter at stage 1 naming the request and the status the rules give", async () => {
    const pass: GatewayMiddleware = (req, next) => next(req);
    const starter: GatewayBuild = { middlewares: () => ({ auth: pass, route: pass, limit: pass, forward: async () => response(501, "not implemented") }) };
    const report = await c.check(starter);
    expect(report.headline).toMatch(/^Challenge api-gateway: FAILED at stage 1 of 3, works \(6 of 6 cases failed\)$/);
    const f = report.stages[0]!.failure!;
    expect(f.invariant).toMatch(/^GET \/\S+ from \w+ \(.+\) at \d+ ms should (get \d{3}|have been forwarded)/);
    expect(f.case!.size).toBe(1);
    expect(f.sequence).toContain("gateway");
  });

  it("fails a constant answer", async () => {
    const ok: GatewayMiddleware = async () => response(200);
    expect((await c.check({ middlewares: () => ({ auth: ok, route: ok, limit: ok, forward: ok }) })).passed).toBe(false);
  });

  it("fails a gateway that ignores scopes, or counts all clients in one limit", async () => {
    const scopes = await c.check(gateway({ ignoreScopes: true }));
    expect(scopes.stages[0]!.failure!.invariant).toMatch(/should get 403/);
    const global = await c.check(gateway({ globalLimit: true }));
    expect(global.passed).toBe(false);
    expect(global.failedStage!.failure!.invariant).toMatch(/should have been forwarded .* but got 429/);
  });

  it("fails first-match routing (the hard case: /orders/admin listed after /orders)", async () => {
    const report = await c.check(gateway({ firstMatch: true }));
    expect(report.passed).toBe(false);
    expect(report.failedStage!.failure!.invariant).toMatch(/\/orders\/admin/);
  });

  it("fails a forward that waits longer than the route timeout when a service is slow (not shipped)", async () => {
    const report = await c.check(gateway({ forwardTimeoutMs: 1_000 }));
    expect(report.headline).toMatch(/FAILED at stage 2 of 3, survives faults/);
    expect(report.failedStage!.failure!.invariant).toMatch(/held its caller \d+ ms, more than the route's (100|80) ms timeout/);
    expect(report.failedStage!.failure!.case!.faults.length).toBe(1);
  });
});

describe("microservices build challenges in notebook 01", () => {
  const nb = parseNotebook(readFileSync(join(__dirname, "../../../notebooks/01-microservices.sdenb"), "utf8"));
  const built = Object.entries(challenges).filter(([id, c]) => "hint" in c && !id.endsWith("-warmup") && nb.cells.some((cell) => cell.id === `${id}-hint-1`));

  it.each(built.map(([id]) => id))("%s: hint cells are the challenge's hints, collapsed, with no code", (id) => {
    const c = (challenges as unknown as Record<string, { hint(level: 1 | 2 | 3): string }>)[id]!;
    for (const level of [1, 2, 3] as const) {
      const cell = nb.cells.find((x) => x.id === `${id}-hint-${level}`)!;
      expect(cell.metadata).toMatchObject({ collapsed: true });
      expect(cell.source).toBe(c.hint(level));
      expect(cell.source).not.toContain("```");
    }
    expect(nb.cells.find((x) => x.id === `${id}-check`)!.source).toContain(`challenges["${id}"].check(`);
  });
});

// ---- rate-limiting -------------------------------------------------------------------------

describe("rate-limiting build challenge", () => {
  const c = challenges["rate-limiting"];

  it("passes the reference on every stage, within 3 s", async () => {
    const { value: report, ms } = await timed(() => c.check(limiters()));
    expect(report.headline).toBe("Challenge rate-limiting: PASSED (3 of 3 stages, 612 cases)");
    expect(ms).toBeLessThan(3_000);
  });

  it("fails the notebook's starter at stage 1 naming the request and the tokens the rules count", async () => {
    const starter: LimiterBuild = { tokenBucket: () => ({ tryAcquire: () => true }), slidingWindow: () => ({ tryAcquire: () => true }) };
    const report = await c.check(starter);
    expect(report.headline).toMatch(/^Challenge rate-limiting: FAILED at stage 1 of 3, works \(12 of 12 cases failed\)$/);
    expect(report.stages[0]!.failure!.invariant).toMatch(/^token bucket \(capacity \d, \d\/s\): request \d+ at \d+ ms was let through with 0\.\d+ tokens/);
    expect(report.stages[0]!.failure!.sequence).toContain("tryAcquire (request 1)");
  });

  it("fails a constant refusal and a bucket that never refills (ignores time)", async () => {
    expect((await c.check({ tokenBucket: () => ({ tryAcquire: () => false }), slidingWindow: () => ({ tryAcquire: () => false }) })).passed).toBe(false);
    const noRefill = { ...limiters(), tokenBucket: ({ capacity }: { capacity: number }) => { let n = capacity; return { tryAcquire: () => (n > 0 ? (n--, true) : false) }; } };
    expect((await c.check(noRefill)).stages[0]!.failure!.invariant).toMatch(/was refused with \d+\.\d+ tokens/);
  });

  it("fails a bucket without the cap (the hard case: a long idle gap)", async () => {
    const report = await c.check(limiters({ noCap: true }));
    expect(report.passed).toBe(false);
    expect(report.failedStage!.failure!.invariant).toMatch(/let through with 0\.\d+ tokens|was let through/);
  });

  it("fails a closed window, a fixed window and a bucket that starts empty (not shipped)", async () => {
    for (const o of [{ closedWindow: true }, { fixedWindow: true }, { startEmpty: true }]) {
      const report = await c.check(limiters(o));
      expect(report.passed, JSON.stringify(o)).toBe(false);
    }
    const fixed = await c.check(limiters({ fixedWindow: true }));
    expect(fixed.failedStage!.failure!.invariant).toMatch(/let through although \d+ requests already passed|refused although/);
  });
});

// ---- bff -----------------------------------------------------------------------------------

describe("bff build challenge", () => {
  const c = challenges.bff;

  it("passes the reference on every stage and case, within 3 s", async () => {
    const { value: report, ms } = await timed(() => c.check(homeBff()));
    expect(report.headline).toBe("Challenge bff: PASSED (3 of 3 stages, 46 cases)");
    expect(ms).toBeLessThan(3_000);
  });

  it("fails the notebook's starter at stage 1 with a useful first failure", async () => {
    const starter: BffBuild = { home: async () => ({ missing: [] }) };
    const report = await c.check(starter);
    expect(report.headline).toBe("Challenge bff: FAILED at stage 1 of 3, works (6 of 6 cases failed)");
    expect(report.stages[0]!.failure!.invariant).toMatch(/^\/home for u1 \(sent at \d+ ms\) called profile 0 times; each service is called exactly once per screen$/);
    expect(report.stages[0]!.failure!.case!.size).toBe(1);
  });

  it("fails a constant screen, one that never calls recs, and sequential calls", async () => {
    expect((await c.check({ home: async () => ({ profile: 1, orders: 2, recs: 3, missing: [] }) })).passed).toBe(false);
    expect((await c.check(homeBff({ skipRecs: true }))).stages[0]!.failure!.invariant).toMatch(/called recs 0 times/);
    expect((await c.check(homeBff({ sequential: true }))).stages[0]!.failure!.invariant).toMatch(/took \d+ ms; with the three calls made at once/);
  });

  it("fails Promise.all (the hard case: one failure loses the whole screen)", async () => {
    const report = await c.check(homeBff({ failFast: true }));
    expect(report.headline).toMatch(/FAILED at stage 2 of 3, survives faults/);
    expect(report.failedStage!.failure!.invariant).toMatch(/threw .* instead of answering with the parts it had/);
  });

  it("fails calls without the timeout when a service is slow (not shipped)", async () => {
    const report = await c.check(homeBff({ noTimeout: true }));
    expect(report.headline).toMatch(/FAILED at stage 2 of 3/);
    expect(report.failedStage!.failure!.case!.faults.map((f) => f.kind)).toContain("slow");
  });
});

// ---- client-side-discovery -----------------------------------------------------------------

describe("client-side-discovery build challenge", () => {
  const c = challenges["client-side-discovery"];

  it("passes the reference on every stage and case, within 3 s", async () => {
    const { value: report, ms } = await timed(() => c.check(discovery()));
    expect(report.headline).toBe("Challenge client-side-discovery: PASSED (2 of 2 stages, 30 cases)");
    expect(ms).toBeLessThan(3_000);
  });

  it("fails the notebook's starter at stage 1 with a useful first failure", async () => {
    const starter: DiscoveryBuild = { client: () => ({ refresh: async () => {}, choose: () => undefined, report: () => {} }) };
    const report = await c.check(starter);
    expect(report.headline).toBe("Challenge client-side-discovery: FAILED at stage 1 of 2, works (6 of 6 cases failed)");
    expect(report.stages[0]!.failure!.invariant).toBe("refresh() at 0 ms did not ask the registry (kit.fetchInstances())");
    // With refresh written, choose() is next.
    const half: DiscoveryBuild = { client: (kit) => ({ refresh: async () => void (await kit.fetchInstances()), choose: () => undefined, report: () => {} }) };
    expect((await c.check(half)).stages[0]!.failure!.invariant).toMatch(/^choose\(\) gave no instance at \d+ ms although orders-1, orders-2.* were UP in the last registry answer and not ejected$/);
  });

  it("fails a constant choice, one that ignores the status, and one that never ejects", async () => {
    expect((await c.check({ client: () => ({ refresh: async () => {}, choose: () => "orders-1", report: () => {} }) })).passed).toBe(false);
    const status = await c.check(discovery({ ignoreStatus: true }));
    expect(status.failedStage!.failure!.invariant).toMatch(/lists as DOWN/);
    const eject = await c.check(discovery({ noEject: true }));
    expect(eject.failedStage!.failure!.invariant).toMatch(/ejected after 3 failed calls in a row/);
  });

  it("fails a client that empties its cache when the registry is down (the hard case)", async () => {
    const report = await c.check(discovery({ emptyOnFailure: true }));
    expect(report.headline).toMatch(/FAILED at stage 2 of 2, survives faults/);
    expect(report.failedStage!.failure!.invariant).toMatch(/gave no instance/);
    expect(report.failedStage!.failure!.case!.faults.map((f) => f.kind)).toEqual(["registry-down"]);
  });

  it("fails random choice instead of round robin (not shipped)", async () => {
    expect((await c.check(discovery({ random: true }))).stages[0]!.failure!.invariant).toMatch(/again before every usable instance had its turn/);
  });
});
