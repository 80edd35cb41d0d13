/**
 * Build challenge "api-gateway": the learner writes the gateway's pipeline as four middlewares
 * (auth → route → limit → forward); the checker hosts it on a simulated `gateway` node in front
 * of `orders` and `users` and attacks it with callers without keys or scopes, floods from one
 * client, slow and crashed upstreams.
 */
import { ConfigError, Random, Simulation, response, type Response } from "sde-lab";
import { defineBuildChallenge, type CaseOutcome, type CheckCase, type FaultSpec } from "../build";
import { seededCases } from "../seeded-cases";

/** A request as it passes through the gateway's middlewares. */
export interface GatewayRequest {
  readonly method: string;
  readonly path: string;
  /** Header names in lower case; the caller's key is in `x-api-key`. */
  readonly headers: Readonly<Record<string, string>>;
  /** Set by your `auth` middleware: the client the key belongs to. */
  client?: string;
  /** Its scopes, set by `auth` too. */
  scopes?: readonly string[];
  /** Set by your `route` middleware: the route that matched. */
  route?: GatewayRoute;
}

/** One route: requests whose path starts with `prefix` go to `service`. */
export interface GatewayRoute {
  readonly prefix: string;
  readonly service: string;
  /** Scope the client needs, when the route has one. */
  readonly scope?: string;
  /** How long the gateway waits for the service, in ms. */
  readonly timeoutMs: number;
}

/** Hands the request to the rest of the pipeline. */
export type GatewayNext = (req: GatewayRequest) => Promise<Response>;
/** One stage of the pipeline: answer the request itself, or call `next`. */
export type GatewayMiddleware = (req: GatewayRequest, next: GatewayNext) => Promise<Response>;

/** What the lab gives your middlewares. */
export interface GatewayKit {
  /** API key → its client and scopes. */
  readonly keys: ReadonlyMap<string, { readonly client: string; readonly scopes: readonly string[] }>;
  readonly routes: readonly GatewayRoute[];
  /** Requests each client may make per second (fixed windows [0, 1000), [1000, 2000), … ms). */
  readonly limitPerSecond: number;
  /** Virtual time, ms. */
  now(): number;
  /** Calls a service; rejects (a `TimeoutError`) when it has not answered within `timeoutMs`. */
  call(service: string, req: { method: string; path: string; headers: Record<string, string> }, options: { timeoutMs: number }): Promise<Response>;
}

/** Your gateway: the four middlewares, which the lab runs in the order auth → route → limit → forward. */
export interface GatewayBuild {
  middlewares(kit: GatewayKit): { auth: GatewayMiddleware; route: GatewayMiddleware; limit: GatewayMiddleware; forward: GatewayMiddleware };
}

const LIMIT = 5;
// Listed shortest first on purpose: the first match is not the right one for /orders/admin.
const ROUTES: readonly GatewayRoute[] = [
  { prefix: "/orders", service: "orders", scope: "orders:read", timeoutMs: 100 },
  { prefix: "/orders/admin", service: "orders", scope: "orders:admin", timeoutMs: 100 },
  { prefix: "/users", service: "users", timeoutMs: 80 },
];
const KEYS = new Map<string, { client: string; scopes: string[] }>([
  ["key-alice", { client: "alice", scopes: ["orders:read"] }],
  ["key-bob", { client: "bob", scopes: [] }],
  ["key-root", { client: "root", scopes: ["orders:read", "orders:admin"] }],
]);

interface Sent {
  readonly at: number;
  readonly from: string;
  readonly key?: string;
  readonly path: string;
}

/** What the spec says a request must get, given what the gateway saw before it. */
function expectedStatus(s: Sent, forwardedThisSecond: Map<string, number>, at: number): { status: number; client?: string; route?: GatewayRoute } {
  const id = s.key === undefined ? undefined : KEYS.get(s.key);
  if (!id) return { status: 401 };
  const route = ROUTES.filter((r) => s.path === r.prefix || s.path.startsWith(`${r.prefix}/`)).sort((a, b) => b.prefix.length - a.prefix.length)[0];
  if (!route) return { status: 404, client: id.client };
  if (route.scope && !id.scopes.includes(route.scope)) return { status: 403, client: id.client };
  const window = `${id.client}@${Math.floor(at / 1000)}`;
  const n = (forwardedThisSecond.get(window) ?? 0) + 1;
  forwardedThisSecond.set(window, n);
  if (n > LIMIT) return { status: 429, client: id.client };
  return { status: 200, client: id.client, route };
}

function workload(c: CheckCase): Sent[] {
  const random = new Random(c.seed);
  const sent: Sent[] = [];
  const flood = c.faults.find((f) => f.kind === "flood");
  const paths = ["/orders/1", "/users/7", "/orders/admin/stats", "/nope", "/orders", "/users", "/ordersx/1"];
  const callers: [string, string | undefined][] = [
    ["alice", "key-alice"],
    ["bob", "key-bob"],
    ["root", "key-root"],
    ["anonymous", undefined],
    ["mallory", "key-guess"],
  ];
  for (let i = 0; i < c.size; i++) {
    const [from, key] = callers[random.int(0, callers.length - 1)]!;
    sent.push({ at: Math.round(random.uniform(0, 2_400)), from, key, path: paths[random.int(0, paths.length - 1)]! });
  }
  if (flood) {
    // One client floods: 3× the limit within 300 ms; the others must not feel it.
    const at = flood.at ?? 0;
    for (let i = 0; i < 3 * LIMIT; i++) sent.push({ at: at + i * 20, from: "root", key: "key-root", path: "/users/1" });
  }
  return sent.sort((a, b) => a.at - b.at);
}

/** One run of the scenario on one case (exported for the bench's baseline, not from the index). */
export async function judge(solution: GatewayBuild, c: CheckCase): Promise<CaseOutcome> {
  const sim = new Simulation({ seed: c.seed, traceLimit: 5_000 });
  sim.network.setDefaults({ latency: 1 });
  const seenUpstream: { service: string; path: string; client?: string }[] = [];
  for (const service of ["orders", "users"]) {
    sim.service(service, async (req, ctx) => {
      seenUpstream.push({ service, path: req.path, client: req.headers["x-client"] });
      await ctx.work({ kind: "uniform", min: 10, max: 20 });
      return { service, path: req.path };
    });
  }
  const inGateway: { at: number; sent: Sent; status: number; answeredAfter: number }[] = [];
  // The gateway node exists before the pipeline (the kit calls through it), so it reads the pipeline late.
  const late: { pipeline?: (req: GatewayRequest) => Promise<Response> } = {};
  const gateway = sim.service("gateway", async (req) => {
    const at = sim.now;
    const res = await late.pipeline!({ method: req.method, path: req.path, headers: { ...req.headers } });
    const sent = req.body as Sent;
    inGateway.push({ at, sent, status: res.status, answeredAfter: sim.now - at });
    return res;
  });
  const kit: GatewayKit = {
    keys: KEYS,
    routes: ROUTES,
    limitPerSecond: LIMIT,
    now: () => sim.now,
    call: (service, req, options) => gateway.call(service, { method: req.method, path: req.path, headers: { ...req.headers }, body: undefined }, options),
  };
  const m = solution.middlewares(kit);
  for (const name of ["auth", "route", "limit", "forward"] as const) {
    if (typeof m?.[name] !== "function") throw new ConfigError("api-gateway middlewares()", name, m?.[name], "a middleware function (req, next) => Promise<Response>");
  }
  const end: GatewayNext = async () => response(500, { error: "forward called next: nothing is after forward" });
  const chain = [m.auth, m.route, m.limit, m.forward];
  late.pipeline = (req) => {
    const step = (i: number): GatewayNext => (r) => (i < chain.length ? chain[i]!(r, step(i + 1)) : end(r));
    return step(0)(req);
  };
  for (const f of c.faults) {
    if (f.kind === "slow") sim.faults.slow(f.target!, Number(f.params?.factor ?? 20), { at: f.at ?? 0 });
    if (f.kind === "crash") sim.faults.crash(f.target!, { at: f.at ?? 0 });
  }
  const sent = workload(c);
  const statuses: number[] = [];
  await sim.run(async () => {
    await Promise.all(
      sent.map(async (s, i) => {
        await sim.sleep(s.at);
        const caller = sim.hasNode(s.from) ? sim.node(s.from) : sim.client(s.from);
        const r = await caller.call("gateway", { method: "GET", path: s.path, headers: s.key ? { "x-api-key": s.key } : {}, body: s }, { timeoutMs: 2_000 }).catch(() => response(0));
        statuses[i] = r.status;
      }),
    );
  });
  // Judge in the order the gateway saw the requests: that order decides the limiter's counts.
  const counts = new Map<string, number>();
  for (const g of inGateway.sort((a, b) => a.at - b.at)) {
    const want = expectedStatus(g.sent, counts, g.at);
    const who = `${g.sent.from}${g.sent.key ? ` (key ${g.sent.key})` : " (no key)"}`;
    const what = `GET ${g.sent.path} from ${who} at ${g.at} ms`;
    if (want.status === 200) {
      const bad = g.status !== 200 && g.status !== 504;
      if (bad) return fail(sim, `${what} should have been forwarded to ${want.route!.service} but got ${g.status}`, g.at);
      if (g.answeredAfter > want.route!.timeoutMs + 10) return fail(sim, `${what} held its caller ${Math.round(g.answeredAfter)} ms, more than the route's ${want.route!.timeoutMs} ms timeout (answer 504 when it passes)`, g.at);
    } else if (g.status !== want.status) {
      return fail(sim, `${what} should get ${want.status} (${reason(want.status)}) but got ${g.status}`, g.at);
    }
  }
  const allowed = inGateway.filter((g) => g.status === 200 || g.status === 504).length;
  const leaked = seenUpstream.filter((u) => !u.client);
  if (leaked.length > 0) return fail(sim, `${leaked[0]!.service} got ${leaked[0]!.path} without an x-client header naming the caller`);
  if (seenUpstream.length > allowed + 0) {
    return fail(sim, `the services got ${seenUpstream.length} requests but only ${allowed} should have passed auth, routing and the limit`);
  }
  if (inGateway.length !== sent.length) return fail(sim, `${sent.length - inGateway.length} of ${sent.length} requests never got an answer from the gateway`);
  return { ok: true, sim };
}

function reason(status: number): string {
  return status === 401 ? "no key, or a key the gateway does not know" : status === 403 ? "the client lacks the route's scope" : status === 404 ? "no route matches the path" : status === 429 ? `more than ${LIMIT} requests from this client in this second` : "";
}

function fail(sim: Simulation, invariant: string, at?: number): CaseOutcome {
  return { ok: false, invariant, sim, ...(at !== undefined ? { at } : {}) };
}

const slowOrders = (at: number): FaultSpec => ({ kind: "slow", label: `orders 20× slower from ${at} ms`, at, target: "orders", params: { factor: 20 } });
const crashUsers = (at: number): FaultSpec => ({ kind: "crash", label: `users crashes at ${at} ms`, at, target: "users" });
const flood = (at: number): FaultSpec => ({ kind: "flood", label: `root floods /users with ${3 * LIMIT} requests from ${at} ms`, at });

export const apiGatewayBuild = defineBuildChallenge<GatewayBuild>({
  id: "api-gateway",
  title: "Build the gateway's pipeline: auth → route → limit → forward",
  statement: [
    "Write the four middlewares of an API gateway. Each is `(req, next) => Promise<Response>`: answer the request yourself, or pass it on with `next(req)`. The lab runs them as auth → route → limit → forward on a node `gateway` in front of `orders` and `users`.",
    "- **auth**: the key is in `x-api-key`; `kit.keys` maps it to a client and its scopes. No key, or one not in the map: **401**. Otherwise set `req.client` and `req.scopes`.",
    "- **route**: the route whose `prefix` matches the path (the path equals the prefix or continues with `/`; the longest prefix wins). None: **404**. A route with a `scope` the client lacks: **403**. Otherwise set `req.route`.",
    `- **limit**: at most \`kit.limitPerSecond\` (${LIMIT}) requests per client in each second of virtual time ([0, 1000) ms, [1000, 2000) ms, …): **429** beyond it. Only requests that got this far count.`,
    "- **forward**: call `req.route.service` with the request's method and path and a header `x-client` naming the client, waiting at most `req.route.timeoutMs`; if it does not answer in time: **504**. Pass the service's answer back.",
    "```ts\ninterface GatewayBuild {\n  middlewares(kit: GatewayKit): { auth: GatewayMiddleware; route: GatewayMiddleware; limit: GatewayMiddleware; forward: GatewayMiddleware };\n}\ntype GatewayMiddleware = (req: GatewayRequest, next: (req: GatewayRequest) => Promise<Response>) => Promise<Response>;\n```",
    "The checker sends a random mix of callers (with and without keys and scopes) and paths, then slows or crashes a service and lets one client flood the gateway. It checks every answer against these rules, that no request the rules refuse reaches a service, and that every forwarded request carries `x-client`.",
  ].join("\n\n"),
  validate(solution) {
    if (typeof solution?.middlewares !== "function") throw new ConfigError(`challenges["api-gateway"].check`, "middlewares", solution?.middlewares, "a function (kit) => { auth, route, limit, forward }");
  },
  stages: [
    {
      name: "works",
      goal: "every request gets the status the rules give, and only allowed ones reach a service",
      cases: seededCases(6, 1, () => ({ faults: [], size: 30 })),
      minSize: 1,
      run: judge,
    },
    {
      name: "survives faults",
      goal: "a slow or crashed service costs at most the route timeout (504); a flooding client gets 429, the others do not",
      cases: seededCases(20, 100, (i) => {
        const faults = [slowOrders(200 + 40 * i), crashUsers(900 + 50 * i), flood(100 + 90 * i)].filter((_, j) => (i >> j) % 2 === 1 || j === i % 3);
        return { faults, size: 30 };
      }),
      minSize: 1,
      run: judge,
    },
    {
      name: "holds the edges",
      goal: "the longest prefix wins, /ordersx is not /orders, and the limit restarts each second",
      cases: seededCases(20, 500, (i) => ({ faults: [flood(960 + i * 4)], size: 40 })),
      minSize: 1,
      run: judge,
    },
  ],
  hints: {
    nudge: "Run the check with the starter and read the first failure: it names the request, who sent it and the status the rules give it. Each middleware only has to decide one thing and either answer or call `next`.",
    approach: "auth and route only read the request and the kit, and write what they found onto `req` for the middlewares after them. limit needs memory that outlives one request: a count per client and per second, kept in the closure that `middlewares(kit)` returns. forward is the only one that calls a service, and the only one that can wait.",
    keyIdea: "The second's number is `Math.floor(kit.now() / 1000)`; key the counter by client and that number. For the timeout, `kit.call` already gives up after `timeoutMs` by rejecting: turn that rejection into a 504 answer instead of letting it escape.",
  },
});
