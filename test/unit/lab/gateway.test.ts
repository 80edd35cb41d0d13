import { describe, expect, it } from "vitest";
import { ConfigError, DISPLAY, Simulation, ok, request, type Request, type Response } from "../../../src/lab/index";
import { ApiGateway, LeakyBucket, TokenBucket, signToken, type ApiGatewayOptions, type AggregateBody } from "../../../src/lab/gateway/index";

const SECRET = "gw-secret";
const KEY = { headers: { "x-api-key": "alice-key" } };

/** Services that echo what they saw, a gateway in front, and a client. */
function setup(options: Partial<ApiGatewayOptions> = {}, catchAll = false) {
  const sim = new Simulation();
  const echo = (name: string) => (req: Request) => ok({ from: name, path: req.path, client: req.headers["x-client-id"] });
  for (const name of ["orders", "archive", "admin", "web", "users"]) sim.service(name, echo(name));
  const gw = new ApiGateway(sim, {
    routes: [
      { prefix: "/orders", upstream: "orders", methods: ["GET"], requires: ["orders:read"] },
      { prefix: "/orders/archive", upstream: "archive" },
      { prefix: "/admin", upstream: "admin", requires: ["admin"] },
      { prefix: "/", host: "admin.example.com", upstream: "admin" },
      { prefix: "/api", upstream: "users", stripPrefix: true },
      ...(catchAll ? [{ prefix: "/", upstream: "web" }] : []),
    ],
    auth: { apiKeys: { "alice-key": { client: "alice", scopes: ["orders:read"] } }, jwtSecret: SECRET },
    ...options,
  });
  const app = sim.client("app");
  const send = (method: string, path: string, init: { headers?: Record<string, string> } = KEY) => app.call("gateway", request(method, path, init));
  return { sim, gw, app, send };
}

const statusOf = (r: Response) => r.status;

describe("order of checks", () => {
  it("401 before 403 before 429 before 404", async () => {
    const limiter = new TokenBucket({ capacity: 2, refillPerSecond: 0.5 });
    const { sim, gw, send } = setup({ rateLimiter: limiter });
    const results = await sim.run(async () => {
      const out: Response[] = [];
      out.push(await send("GET", "/admin/users", {})); // no credentials, admin-only, unknown upstream path: 401
      out.push(await send("GET", "/admin/users")); // alice lacks "admin": 403, and no token spent
      out.push(await send("GET", "/nope/1")); // 404 (token 1)
      out.push(await send("GET", "/nope/2")); // 404 (token 2)
      out.push(await send("GET", "/admin/users", {})); // still 401 first
      out.push(await send("GET", "/admin/users")); // still 403: authorisation comes before the limiter
      out.push(await send("GET", "/nope/3")); // over the limit: 429 before 404
      return out;
    });
    expect(results.map(statusOf)).toEqual([401, 403, 404, 404, 401, 403, 429]);
    expect(results[0]!.headers["www-authenticate"]).toBe('Bearer realm="gateway"');
    expect(results[1]!.body).toEqual({ error: "forbidden", missing: ["admin"] });
    // Only the three requests that passed authorisation reached the limiter.
    expect(limiter.totals("alice")).toEqual({ allowed: 2, rejected: 1 });
    // Tokens were taken at 5 and 7 ms (0.001 left); the 429 comes at 13 ms with 0.004 tokens,
    // and the missing 0.996 token takes 1992 ms at 0.5/s: Retry-After "2".
    expect(results[6]!.headers["retry-after"]).toBe("2");
    expect(results[6]!.body).toEqual({ error: "too many requests", retryAfterMs: 1992 });
    expect(gw.statusCounts).toEqual({ 401: 2, 403: 2, 404: 2, 429: 1 });
    expect(sim.metrics.counter("gateway 429").value).toBe(1);
    const notes = sim.trace.events.filter((e) => e.kind === "note").map((e) => e.summary);
    expect(notes.slice(0, 3)).toEqual(["authenticate: 401 missing credentials", "authenticate: alice (api key)", "authorise: 403 alice lacks admin"]);
    expect(notes).toContain("rate limit: 429 alice: retry in 2 s");
    expect(notes).toContain("route: 404 no route for GET /nope/1");
  });

  it("Retry-After rounds the limiter's wait up to whole seconds", async () => {
    const { sim, send } = setup({ rateLimiter: new TokenBucket({ capacity: 1, refillPerSecond: 0.25 }) });
    const [first, second] = await sim.run(async () => [await send("GET", "/orders/1"), await send("GET", "/orders/1")]);
    expect(first!.status).toBe(200);
    // The first took the token at 1 ms and came back at 4 ms (via orders); the second reaches
    // the gateway at 5 ms, 4 ms of refill later: 4000 − 4 = 3996 ms.
    expect(second!.status).toBe(429);
    expect(second!.body).toMatchObject({ retryAfterMs: 3996 });
    expect(second!.headers["retry-after"]).toBe("4");
  });

  it("limits each client separately", async () => {
    const { sim, send } = setup({
      auth: { apiKeys: { a: { client: "alice", scopes: ["orders:read"] }, b: { client: "bob", scopes: ["orders:read"] } } },
      rateLimiter: new TokenBucket({ capacity: 1, refillPerSecond: 1 }),
    });
    const statuses = await sim.run(async () => {
      const as = (key: string) => send("GET", "/orders/1", { headers: { "x-api-key": key } }).then(statusOf);
      return [await as("a"), await as("a"), await as("b"), await as("b")];
    });
    expect(statuses).toEqual([200, 429, 200, 429]);
  });

  it("a leaky bucket in queue mode delays requests instead of refusing them", async () => {
    const { sim, send } = setup({ rateLimiter: new LeakyBucket({ leakPerSecond: 10, queueSize: 1 }) });
    const done = await sim.run(() => Promise.all([1, 2, 3].map((i) => send("GET", `/orders/${i}`).then((r) => `${r.status}@${sim.now}`))));
    // Client → gateway → orders → gateway → client is 4 ms; the second waits 100 ms in the queue; the third finds it full.
    expect(done).toEqual(["200@4", "200@104", "429@2"]);
    expect(sim.trace.events.some((e) => e.summary === "rate limit: alice queued 100 ms")).toBe(true);
  });
});

describe("authentication and authorisation with tokens", () => {
  it("accepts a token until its expiry on virtual time, then answers 401 invalid_token", async () => {
    const { sim, send } = setup();
    const token = signToken({ sub: "carol", scope: "orders:read" }, SECRET, { expiresInSec: 10 });
    const bearer = { headers: { authorization: `Bearer ${token}` } };
    const at = (ms: number) => sim.sleep(ms).then(() => send("GET", "/orders/7", bearer));
    // Sent at 9 998 ms and 9 999 ms, they reach the gateway at 9 999 ms and at 10 000 ms = exp.
    const results = await sim.run(() => Promise.all([at(9_998), at(9_999)]));
    expect(results[0]!.status).toBe(200);
    expect(results[0]!.body).toEqual({ from: "orders", path: "/orders/7", client: "carol" });
    expect(results[1]!.status).toBe(401);
    expect(results[1]!.headers["www-authenticate"]).toBe('Bearer realm="gateway", error="invalid_token", error_description="expired"');
  });

  it("checks scopes and roles from the token", async () => {
    const { sim, send } = setup();
    const as = (claims: { sub: string; scope?: string; roles?: string[] }) => ({ headers: { authorization: `Bearer ${signToken(claims, SECRET)}` } });
    const results = await sim.run(async () => [
      await send("GET", "/orders/1", as({ sub: "dan", scope: "profile" })),
      await send("GET", "/admin/x", as({ sub: "dan", roles: ["admin"] })),
      await send("GET", "/orders/1", { headers: { authorization: `Bearer ${signToken({ sub: "eve", scope: "orders:read" }, "wrong")}` } }),
    ]);
    expect(results.map(statusOf)).toEqual([403, 200, 401]);
    expect(results[0]!.headers["www-authenticate"]).toBe('Bearer error="insufficient_scope", scope="orders:read"');
    expect(results[2]!.body).toEqual({ error: "unauthorized", reason: "invalid token: bad signature" });
  });
});

describe("routing", () => {
  it("routes by path prefix (whole segments, longest first), method and host", async () => {
    const { sim, send } = setup({}, true);
    const results = await sim.run(async () => {
      const hit = async (method: string, path: string, headers: Record<string, string> = {}) => {
        const r = await send(method, path, { headers: { "x-api-key": "alice-key", ...headers } });
        return r.status === 200 ? `${(r.body as { from: string }).from} ${(r.body as { path: string }).path}` : r.status;
      };
      return [
        await hit("GET", "/orders/1"),
        await hit("GET", "/orders"),
        await hit("GET", "/orders/archive/2020"),
        await hit("GET", "/orders-old"), // not a whole-segment match: falls to "/"
        await hit("POST", "/orders/1"), // /orders is GET only; "/" catches everything else
        await hit("GET", "/anything", { host: "Admin.Example.com:8443" }),
        await hit("GET", "/api/users/7?fields=name"),
        await hit("GET", "/api"),
      ];
    });
    expect(results).toEqual([
      "orders /orders/1",
      "orders /orders",
      "archive /orders/archive/2020",
      "web /orders-old",
      "web /orders/1",
      "admin /anything",
      "users /users/7?fields=name",
      "users /",
    ]);
  });

  it("answers 404 when no route matches the method", async () => {
    const sim = new Simulation();
    sim.service("orders", () => "x");
    new ApiGateway(sim, { routes: [{ prefix: "/orders", upstream: "orders", methods: ["GET"] }] });
    const app = sim.client("app");
    const res = await sim.run(() => app.call("gateway", "POST /orders"));
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: "no route matched", request: "POST /orders" });
  });

  it("balances round robin over healthy targets", async () => {
    const sim = new Simulation();
    for (const n of ["a", "b"]) sim.service(`orders-${n}`, () => n);
    new ApiGateway(sim, { routes: [{ prefix: "/", upstream: ["orders-a", "orders-b"] }] });
    const app = sim.client("app");
    const bodies = await sim.run(async () => {
      const out: unknown[] = [];
      for (let i = 0; i < 4; i++) out.push((await app.call("gateway", "GET /")).body);
      sim.faults.crash("orders-a");
      for (let i = 0; i < 2; i++) out.push((await app.call("gateway", "GET /")).body);
      return out;
    });
    expect(bodies).toEqual(["a", "b", "a", "b", "b", "b"]);
  });

  it("rejects routes to unknown services and other bad settings, naming the parameter", () => {
    const sim = new Simulation();
    sim.service("orders", () => "x");
    expect(() => new ApiGateway(sim, { routes: [{ prefix: "/x", upstream: "nope" }] })).toThrow(
      'ApiGateway: routes[0].upstream must be the name of an existing service node (create services before the gateway), got "nope"',
    );
    expect(() => new ApiGateway(sim, { routes: [{ prefix: "x", upstream: "orders" }] })).toThrow('ApiGateway: routes[0].prefix must be a path starting with /, got "x"');
    expect(() => new ApiGateway(sim, { routes: [{ prefix: "/", upstream: "orders", timeoutMs: -5 }] })).toThrow(ConfigError);
    expect(() => new ApiGateway(sim, { routes: [], timeoutMs: 0 })).toThrow("ApiGateway: timeoutMs must be a finite number ≥ 5e-324, got 0");
    expect(() => new ApiGateway(sim, { routes: [{ prefix: "/", aggregate: [{ name: "p", upstream: "ghost", request: "GET /" }] }] })).toThrow(
      'ApiGateway: routes[0].aggregate[0].upstream must be the name of an existing service node (create services before the gateway), got "ghost"',
    );
  });
});

describe("upstream failures", () => {
  function failing(options: Partial<ApiGatewayOptions> = {}) {
    const sim = new Simulation();
    sim.service("slow", async (_r, ctx) => {
      await ctx.work(500);
      return "late";
    });
    sim.service("down", () => "x");
    sim.service("busy", async (_r, ctx) => {
      await ctx.work(100);
      return "ok";
    }, { concurrency: 1, queueLimit: 0 });
    const gw = new ApiGateway(sim, {
      routes: [
        { prefix: "/slow", upstream: "slow", timeoutMs: 100 },
        { prefix: "/down", upstream: "down", timeoutMs: 300 },
        { prefix: "/busy", upstream: "busy" },
      ],
      ...options,
    });
    return { sim, gw, app: sim.client("app") };
  }

  it("504 when the upstream does not answer within the route's timeout", async () => {
    const { sim, app } = failing();
    const res = await sim.run(() => app.call("gateway", "GET /slow"));
    expect(res.status).toBe(504);
    expect(res.body).toEqual({ error: "gateway timeout: no answer from slow within 100 ms", upstream: "slow" });
    expect(sim.now).toBe(102); // 1 ms in, 100 ms waiting, 1 ms back
    expect(sim.trace.events.some((e) => e.kind === "note" && e.summary === "upstream: 504 timeout (slow)")).toBe(true);
  });

  it("with health checks: a down or cut-off upstream is 503 no healthy upstream, at once", async () => {
    const { sim, app } = failing();
    sim.faults.crash("down");
    const res = await sim.run(() => app.call("gateway", "GET /down"));
    expect([res.status, res.body, sim.now]).toEqual([503, { error: "no healthy upstream", route: "/down" }, 2]);
    sim.faults.restart("down");
    sim.faults.partition("gateway", "down", { oneWay: true });
    expect((await sim.run(() => app.call("gateway", "GET /down"))).status).toBe(503);
  });

  it("without health checks: a down upstream refuses the connection (502), a cut-off one times out (504)", async () => {
    const { sim, app, gw } = failing({ healthChecks: false });
    sim.faults.crash("down");
    const refused = await sim.run(() => app.call("gateway", "GET /down"));
    expect([refused.status, refused.body]).toEqual([502, { error: "bad gateway: connection refused", upstream: "down" }]);
    sim.faults.restart("down");
    sim.faults.partition("gateway", "down");
    const start = sim.now;
    const blackholed = await sim.run(() => app.call("gateway", "GET /down"));
    expect([blackholed.status, sim.now - start]).toEqual([504, 302]);
    expect(gw.statusCounts).toEqual({ 502: 1, 504: 1 });
  });

  it("an upstream's own 503 passes through unchanged, Retry-After included", async () => {
    const { sim, app } = failing();
    const res = await sim.run(() => Promise.all([app.call("gateway", "GET /busy"), app.call("gateway", "GET /busy")]));
    expect(res.map(statusOf)).toEqual([200, 503]);
    expect(res[1]!.headers["retry-after"]).toBe("1");
    expect(res[1]!.body).toEqual({ error: "busy is overloaded" });
  });
});

describe("request aggregation", () => {
  function dashboard() {
    const sim = new Simulation();
    const svc = (name: string, ms: number, body: unknown) =>
      sim.service(name, async (req, ctx) => {
        await ctx.work(ms);
        return ok({ ...(body as object), asked: req.path, by: req.headers["x-client-id"] });
      });
    svc("users", 10, { name: "Ada" });
    svc("orders", 30, { count: 3 });
    svc("recs", 200, { items: ["x"] });
    const gw = new ApiGateway(sim, {
      routes: [
        {
          prefix: "/dashboard",
          methods: ["GET"],
          timeoutMs: 1000,
          aggregate: [
            { name: "profile", upstream: "users", request: (req) => `GET /users/${req.path.split("/")[2]}` },
            { name: "orders", upstream: "orders", request: "GET /orders?recent=3", transform: (b) => (b as { count: number }).count },
            { name: "recs", upstream: "recs", request: "GET /recs", optional: true, timeoutMs: 50 },
          ],
        },
      ],
    });
    return { sim, gw, app: sim.client("app") };
  }

  it("fans out in parallel; a failed optional part becomes null plus an error, not a failure", async () => {
    const { sim, app, gw } = dashboard();
    const res = await sim.run(() => app.call("gateway", "GET /dashboard/7"));
    expect(res.status).toBe(200);
    expect(res.headers["x-partial-response"]).toBe("true");
    expect(res.body as AggregateBody).toEqual({
      data: { profile: { name: "Ada", asked: "/users/7", by: "app" }, orders: 3, recs: null },
      errors: [{ part: "recs", status: 504, message: "timeout (recs)" }],
      partial: true,
    });
    // Parallel: the answer waits for the slowest part (recs gives up at 50 ms), not the sum.
    expect(sim.now).toBe(1 + 50 + 1);
    expect(gw.statusCounts).toEqual({ 200: 1 });
  });

  it("a failed required part fails the whole request", async () => {
    const { sim, app } = dashboard();
    sim.faults.crash("users");
    const res = await sim.run(() => app.call("gateway", "GET /dashboard/7"));
    expect(res.status).toBe(502);
    expect(res.body).toEqual({ error: 'required part "profile" failed: no healthy upstream (users)', part: "profile" });
  });

  it("a required part that times out gives 504; with every part in time the answer is whole", async () => {
    const slowUsers = dashboard();
    slowUsers.sim.faults.slow("users", 200); // 10 ms becomes 2 s, past the route's 1 s
    const timedOut = await slowUsers.sim.run(() => slowUsers.app.call("gateway", "GET /dashboard/7"));
    expect([timedOut.status, timedOut.body]).toEqual([504, { error: 'required part "profile" failed: timeout (users)', part: "profile" }]);

    const fast = dashboard();
    fast.sim.faults.slow("recs", 0.1); // 200 ms becomes 20 ms, inside its 50 ms
    const res = await fast.sim.run(() => fast.app.call("gateway", "GET /dashboard/1"));
    expect((res.body as AggregateBody).data.recs).toEqual({ items: ["x"], asked: "/recs", by: "app" });
    expect([(res.body as AggregateBody).partial, (res.body as AggregateBody).errors, res.headers["x-partial-response"]]).toEqual([false, [], undefined]);
    // The slowest part, orders, takes 1 + 30 + 1 ms; plus 1 ms each way to the client.
    expect(fast.sim.now).toBe(34);
  });
});

describe("display", () => {
  it("shows answers by status with the step that produced them", async () => {
    const { sim, gw, send } = setup({ rateLimiter: new TokenBucket({ capacity: 1, refillPerSecond: 1 }) });
    await sim.run(async () => {
      await send("GET", "/orders/1");
      await send("GET", "/orders/1");
      await send("GET", "/orders/1", {});
    });
    expect(gw[DISPLAY]()["text/markdown"]).toBe(
      ["| status | meaning | step | count |", "| ---: | --- | --- | ---: |", "| 200 | OK | upstream | 1 |", "| 401 | Unauthorized | authenticate | 1 |", "| 429 | Too Many Requests | rate limit | 1 |"].join("\n"),
    );
    expect(sim.trace.diagram()).toContain("Note over p1: [1 ms] authenticate: alice (api key)");
  });
});
