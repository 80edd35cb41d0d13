// A build challenge's full check (every stage, every case, shrinking on failure) beside one
// plain run of the same scenario, so learners get the verdict at once. Target (issue 20): a
// full check ≤ 3 s headless on the 2-core machine; the ratio says what the checker costs.
import { response, type Response } from "../src/lab/index";
import { challenges } from "../src/lab/challenges/index";
import { judge, type GatewayBuild, type GatewayMiddleware } from "../src/lab/challenges/build-microservices/api-gateway";
import { report, time } from "./harness";

/** The reference gateway of the tests, inlined (reference solutions do not ship). */
const reference: GatewayBuild = {
  middlewares(kit) {
    const counts = new Map<string, number>();
    const auth: GatewayMiddleware = async (req, next) => {
      const id = kit.keys.get(req.headers["x-api-key"] ?? "");
      if (!id) return response(401);
      req.client = id.client;
      req.scopes = id.scopes;
      return next(req);
    };
    const route: GatewayMiddleware = async (req, next) => {
      const r = kit.routes.filter((x) => req.path === x.prefix || req.path.startsWith(`${x.prefix}/`)).sort((a, b) => b.prefix.length - a.prefix.length)[0];
      if (!r) return response(404);
      if (r.scope && !req.scopes!.includes(r.scope)) return response(403);
      req.route = r;
      return next(req);
    };
    const limit: GatewayMiddleware = async (req, next) => {
      const key = `${req.client}@${Math.floor(kit.now() / 1000)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      return counts.get(key)! > kit.limitPerSecond ? response(429) : next(req);
    };
    const forward: GatewayMiddleware = async (req): Promise<Response> =>
      kit.call(req.route!.service, { method: req.method, path: req.path, headers: { "x-client": req.client! } }, { timeoutMs: req.route!.timeoutMs }).catch(() => response(504));
    return { auth, route, limit, forward };
  },
};
const starter: GatewayBuild = { middlewares: () => ({ auth: (r, n) => n(r), route: (r, n) => n(r), limit: (r, n) => n(r), forward: async () => response(501) }) };

const RUNS = 7;
const plain = await time("one plain run of the scenario (seed 1, 30 requests, no faults)", async () => {
  if (!(await judge(reference, { seed: 1, size: 30, faults: [] })).ok) throw new Error("the reference failed its plain run");
}, 30, 5);
const full = await time("api-gateway full check of the reference (3 stages, 46 cases)", async () => {
  if (!(await challenges["api-gateway"].check(reference)).passed) throw new Error("the reference did not pass");
}, RUNS, 1);
const failing = await time("api-gateway check of the starter (fails stage 1, shrinks, draws the trace)", async () => {
  if ((await challenges["api-gateway"].check(starter)).passed) throw new Error("the starter passed");
}, RUNS, 1);
report("Build challenge check vs one plain run", plain, [full, failing]);
const verdict = full.p50 <= 3_000 ? "OK" : "OVER TARGET";
console.log(`\nfull check p50 ${full.p50.toFixed(0)} ms (target ≤ 3000 ms) ${verdict}; ${(full.p50 / plain.p50).toFixed(1)}× one plain run`);

// The protocols section's build challenges (REST, GraphQL, gRPC), each beside one plain run of
// its scenario (stage 1's first case).
{
  const { restResource, blog, profile } = await import("../test/unit/challenges/protocols-references");
  const { judgeScripted } = await import("../src/lab/challenges/build-protocols/rest");
  const { judgeQueries } = await import("../src/lab/challenges/build-protocols/graphql");
  const { judge: judgeGrpc } = await import("../src/lab/challenges/build-protocols/grpc");
  const rows = [
    { id: "rest" as const, solution: restResource(), plain: () => judgeScripted(restResource(), { seed: 1, size: 32, faults: [] }) },
    { id: "graphql" as const, solution: blog(), plain: () => judgeQueries(blog(), { seed: 1, size: 3, faults: [] }) },
    { id: "grpc" as const, solution: profile(), plain: () => judgeGrpc(profile(), { seed: 1, size: 12, faults: [] }) },
  ];
  for (const row of rows) {
    const one = await time(`${row.id}: one plain run of the scenario (stage 1, seed 1)`, async () => {
      if (!(await row.plain()).ok) throw new Error(`the ${row.id} reference failed its plain run`);
    }, 10, 2);
    const check = await time(`${row.id} full check of the reference (all stages, all cases)`, async () => {
      if (!(await challenges[row.id].check(row.solution as never)).passed) throw new Error(`the ${row.id} reference did not pass`);
    }, 3, 1);
    report(`Build challenge check vs one plain run: ${row.id}`, one, [check]);
    console.log(`\n${row.id} full check p50 ${check.p50.toFixed(0)} ms (target ≤ 3000 ms) ${check.p50 <= 3_000 ? "OK" : "OVER TARGET"}; ${(check.p50 / one.p50).toFixed(1)}× one plain run`);
  }
}
