// Build challenges of the microservices section written for issue 20's second batch:
// server-side discovery, bulkhead and sidecar. The reference passes every stage on every
// case; the notebook's starter fails stage 1 with a useful first failure; known-wrong answers
// fail at the stage that attacks their mistake.
import { describe, expect, it } from "vitest";
import { challenges } from "sde-lab/challenges";
import type { LoadBalancerBuild } from "../../../src/lab/challenges/build-microservices/server-side-discovery";
import type { BulkheadBuild } from "../../../src/lab/challenges/build-microservices/bulkhead";
import type { SidecarBuild } from "../../../src/lab/challenges/build-microservices/sidecar";
import { response } from "sde-lab";
import { balancer, bulkheads, sidecar } from "./infra-references";
import { timed } from "./report-helpers";

// ---- server-side-discovery -----------------------------------------------------------------

describe("server-side-discovery build challenge", () => {
  const c = challenges["server-side-discovery"];

  it("passes the reference on every stage and case (3 s target in the bench)", async () => {
    const { value: report, ms } = await timed(() => c.check(balancer()));
    expect(report.failedStage?.failure?.invariant).toBeUndefined();
    expect(report.headline).toBe("Challenge server-side-discovery: PASSED (3 of 3 stages, 50 cases)");
    // The 3 s target is measured in bench/challenges.bench.ts; here only a gross regression fails (the machine is shared).
    expect(ms).toBeLessThan(15_000);
  });
  it("fails the notebook's starter at stage 1: the first round probed nothing", async () => {
    const starter: LoadBalancerBuild = { balancer: () => ({ register() {}, deregister() {}, async healthCheck() {}, route: () => undefined }) };
    const report = await c.check(starter);
    expect(report.headline).toBe("Challenge server-side-discovery: FAILED at stage 1 of 3, works (6 of 6 cases failed)");
    expect(report.stages[0]!.failure!.invariant).toMatch(/^healthCheck\(\) at 0 ms did not probe orders-1, orders-2, orders-3/);
    // With probes written but no table, the route is next.
    const probing: LoadBalancerBuild = { balancer: (kit) => { const ids: string[] = []; return { register: (id) => void ids.push(id), deregister() {}, healthCheck: async () => void (await Promise.all(ids.map((id) => kit.probe(id)))), route: () => undefined }; } };
    expect((await c.check(probing)).stages[0]!.failure!.invariant).toMatch(/^route\(\) gave no instance at 25 ms, when none was healthy: an ALB fails open/);
  });

  it("fails a constant route, and a balancer that probes but ignores the results (routes to a crashed instance)", async () => {
    const constant = await c.check({ balancer: (kit) => ({ register() {}, deregister() {}, healthCheck: async () => void (await kit.probe("orders-1")), route: () => "orders-1" }) });
    expect(constant.headline).toMatch(/FAILED at stage 1 of 3/);
    const ignoring: LoadBalancerBuild = { balancer: (kit) => { const ids: string[] = []; let i = 0; return { register: (id) => void ids.push(id), deregister() {}, healthCheck: async () => void (await Promise.all(ids.map((id) => kit.probe(id)))), route: () => ids[i++ % ids.length] }; } };
    const report = await c.check(ignoring);
    expect(report.headline).toMatch(/FAILED at stage 2 of 3, survives faults \(24 of 24 cases failed\)/);
    expect(report.failedStage!.failure!.invariant).toMatch(/marked unhealthy at \d+ ms after 2 failed probes in a row \(it has been unreachable since \d+ ms\)/);
  });

  it("fails a balancer that keeps a deregistered instance, and one that brings an instance back after one passing probe", async () => {
    const kept = await c.check(balancer({ keepDeregistered: true }));
    expect(kept.headline).toMatch(/FAILED at stage 2 of 3/);
    expect(kept.failedStage!.failure!.invariant).toMatch(/which deregistered at \d+ ms/);
    expect(kept.failedStage!.failure!.case!.faults.map((f) => f.kind)).toEqual(["deregister"]);
    const eager = await c.check(balancer({ healthyAfter: 1 }));
    expect(eager.failedStage!.failure!.invariant).toMatch(/has passed only 1 probe in a row since it was marked unhealthy at \d+ ms \(healthy again after 3\)/);
  });

  it("fails a balancer that fails closed (the hard case: every instance down at once)", async () => {
    const report = await c.check(balancer({ failClosed: true }));
    expect(report.headline).toMatch(/^Challenge server-side-discovery: FAILED at stage 3 of 3, all unhealthy/);
    expect(report.failedStage!.failure!.invariant).toMatch(/gave no instance at \d+ ms, when none was healthy: an ALB fails open/);
  });

  it("fails one failed probe taking an instance out, an instance never coming back, and random choice (not shipped)", async () => {
    expect((await c.check(balancer({ unhealthyAfter: 1 }))).headline).toMatch(/FAILED at stage 2 of 3/);
    const never = await c.check(balancer({ neverRecovers: true }));
    expect(never.headline).toMatch(/FAILED at stage 2 of 3/);
    expect(never.failedStage!.failure!.invariant).toMatch(/was healthy but got none of the last \d+ requests/);
    expect((await c.check(balancer({ random: true }))).stages[0]!.failure!.invariant).toMatch(/was healthy but got none of the last|load spread/);
  });
});

// ---- bulkhead ------------------------------------------------------------------------------

describe("bulkhead build challenge", () => {
  const c = challenges["bulkhead"];

  it("passes the reference on every stage and case (3 s target in the bench)", async () => {
    const { value: report, ms } = await timed(() => c.check(bulkheads()));
    expect(report.failedStage?.failure?.invariant).toBeUndefined();
    expect(report.headline).toBe("Challenge bulkhead: PASSED (3 of 3 stages, 50 cases)");
    // The 3 s target is measured in bench/challenges.bench.ts; here only a gross regression fails (the machine is shared).
    expect(ms).toBeLessThan(15_000);
  });

  it("fails the notebook's starter at stage 1: it runs everything at once", async () => {
    const starter: BulkheadBuild = { bulkhead: () => ({ execute: (call) => call() }) };
    const report = await c.check(starter);
    expect(report.headline).toMatch(/^Challenge bulkhead: FAILED at stage 1 of 3, works \(\d of 6 cases failed\)$/);
    expect(report.stages[0]!.failure!.invariant).toMatch(/^5 calls to C were running at \d+ ms \(limit 4\)$/);
  });

  it("fails a constant rejection, and a queue without its bound (ignores maxQueue)", async () => {
    const constant = await c.check({ bulkhead: (_o, kit) => ({ execute: async () => { throw kit.fullError("full"); } }) });
    expect(constant.stages[0]!.failure!.invariant).toMatch(/was rejected at once although only 0 of 4 calls ran/);
    const unbounded = await c.check(bulkheads({ unboundedQueue: true }));
    expect(unbounded.headline).toMatch(/FAILED at stage 1 of 3/);
    expect(unbounded.failedStage!.failure!.invariant).toMatch(/was queued although 4 of 4 calls ran and 3 of 3 waited: it should be rejected at once/);
  });

  it("fails a permit given back only after a success (the hard case: a timeout leaks it)", async () => {
    const report = await c.check(bulkheads({ leakOnFailure: true }));
    expect(report.headline).toMatch(/^Challenge bulkhead: FAILED at stage 2 of 3, survives a failing dependency/);
    expect(report.failedStage!.failure!.invariant).toMatch(/a permit was not given back|was given back\?/);
    expect(report.failedStage!.failure!.invariant).toMatch(/failed with (TimeoutError|Error)/);
  });

  it("fails LIFO, no max wait, and one count of permits shared by both bulkheads (not shipped)", async () => {
    const lifo = await c.check(bulkheads({ lifo: true }));
    expect(lifo.headline).toMatch(/FAILED at stage 1 of 3/);
    expect(lifo.failedStage!.failure!.invariant).toMatch(/queued calls start first in, first out/);
    const noWait = await c.check(bulkheads({ noMaxWait: true }));
    expect(noWait.headline).toMatch(/FAILED at stage 2 of 3/);
    expect(noWait.failedStage!.failure!.invariant).toMatch(/was still waiting at \d+ ms, 151 ms after it queued \(max wait 150 ms\)/);
    const shared = await c.check(bulkheads({ shared: true }));
    expect(shared.headline).toMatch(/^Challenge bulkhead: FAILED at stage 3 of 3, isolates/);
    expect(shared.failedStage!.failure!.invariant).toMatch(/to D .*had to wait although only 0 of 2 permits were in use/);
  });
});

// ---- sidecar -------------------------------------------------------------------------------

describe("sidecar build challenge", () => {
  const c = challenges["sidecar"];

  it("passes the reference on every stage and case (3 s target in the bench)", async () => {
    const { value: report, ms } = await timed(() => c.check(sidecar()));
    expect(report.failedStage?.failure?.invariant).toBeUndefined();
    expect(report.headline).toBe("Challenge sidecar: PASSED (3 of 3 stages, 50 cases)");
    // The 3 s target is measured in bench/challenges.bench.ts; here only a gross regression fails (the machine is shared).
    expect(ms).toBeLessThan(15_000);
  });

  it("fails the notebook's starter at stage 1: no identity on the try", async () => {
    const starter: SidecarBuild = { proxy: (kit) => ({ outbound: (req) => kit.send(req, { timeoutMs: kit.perTryTimeoutMs }) }) };
    const report = await c.check(starter);
    expect(report.headline).toBe("Challenge sidecar: FAILED at stage 1 of 3, works (6 of 6 cases failed)");
    expect(report.stages[0]!.failure!.invariant).toMatch(/^a try of GET \/inventory\/sku-0 \(req-0\) at 0 ms went out without the identity \(x-client-identity: missing\), so the callee answered 403$/);
  });

  it("fails a constant answer, and a proxy that drops the app's headers", async () => {
    const constant = await c.check({ proxy: () => ({ outbound: async () => response(200) }) });
    expect(constant.stages[0]!.failure!.invariant).toMatch(/the proxy never sent it/);
    const fresh = await c.check(sidecar({ freshRequest: true }));
    expect(fresh.stages[0]!.failure!.invariant).toMatch(/lost the app's x-request-id header/);
  });

  it("fails retrying a POST, never retrying, and retrying a 500", async () => {
    const post = await c.check(sidecar({ retryAll: true }));
    expect(post.headline).toMatch(/FAILED at stage 2 of 3, survives errors/);
    expect(post.failedStage!.failure!.invariant).toMatch(/^POST \/payments \(req-\d+\) was sent 2 times: POST is not idempotent/);
    const none = await c.check(sidecar({ noRetry: true }));
    expect(none.failedStage!.failure!.invariant).toMatch(/got 503 on try 1 of 3 with \d+ ms of its deadline left, and was not retried/);
    const five = await c.check(sidecar({ retry500: true }));
    expect(five.failedStage!.failure!.invariant).toMatch(/got 500 on try 1 and was tried again/);
  });

  it("fails a full per-try timeout on the last try (the hard case: it outlives the deadline)", async () => {
    const report = await c.check(sidecar({ untrimmed: true }));
    expect(report.headline).toMatch(/^Challenge sidecar: FAILED at stage 3 of 3, holds the deadline/);
    expect(report.failedStage!.failure!.invariant).toMatch(/^the app waited \d+ ms for .* \(deadline 300 ms, 3 tries\)$/);
  });

  it("fails one long try bounded only by the deadline (not shipped)", async () => {
    const report = await c.check(sidecar({ noPerTry: true }));
    expect(report.headline).toMatch(/FAILED at stage 3 of 3/);
    expect(report.failedStage!.failure!.invariant).toMatch(/took \d+ ms \(per-try timeout 100 ms\)/);
  });
});
