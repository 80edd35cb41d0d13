/**
 * Challenges of the "Microservice patterns" section, keyed by catalog id. Each one builds its
 * scenario with the public `sde-lab` API (and the prepared topologies of `sde-lab/scenarios`),
 * plugs in the learner's solution, and measures the targets under several seeds.
 */
import {
  BackendForFrontend,
  ConfigError,
  Random,
  Simulation,
  jsonPayloadBytes,
  runLimiter,
  type ApiGateway,
  type BffScreen,
  type CancelSignal,
  type RateLimiter,
  type ResiliencePolicy,
  type Response,
} from "sde-lab";
import { defineChallenge, type Challenge } from "./challenge";
import type { BuildChallenge } from "./build";
import { apiGatewayBuild } from "./build-microservices/api-gateway";
import { rateLimitingBuild } from "./build-microservices/rate-limiting";
import { bffBuild } from "./build-microservices/bff";
import { clientSideDiscoveryBuild } from "./build-microservices/client-side-discovery";
import { serverSideDiscoveryBuild } from "./build-microservices/server-side-discovery";
import { bulkheadBuild } from "./build-microservices/bulkhead";
import { sidecarBuild } from "./build-microservices/sidecar";
import { circuitBreakerBuild } from "./build-microservices/circuit-breaker";
import { retryBackoffBuild } from "./build-microservices/retry-backoff";
import { timeoutBuild } from "./build-microservices/timeout";
import { runCascade, percentile, type CascadeProtect } from "../scenarios/cascade";
import { runRetryStorm } from "../scenarios/retry-storm";
import { checkoutApp, runCheckouts, type CheckoutApp } from "../scenarios/checkout";
import { runStaleCacheScenario } from "../scenarios/stale-cache-scenario";

function needFunction(challenge: string, solution: unknown, key: string): void {
  const value = typeof solution === "object" && solution !== null ? (solution as Record<string, unknown>)[key] : undefined;
  if (typeof value !== "function") throw new ConfigError(`challenges["${challenge}"].check`, key, value, "a function");
}

function needNumbers(challenge: string, solution: unknown, keys: readonly string[]): void {
  for (const key of keys) {
    const value = typeof solution === "object" && solution !== null ? (solution as Record<string, unknown>)[key] : undefined;
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) throw new ConfigError(`challenges["${challenge}"].check`, key, value, "a finite number > 0 (ms)");
  }
}

// ---- API gateway --------------------------------------------------------------------------

/** A solution of the API gateway challenge. */
export interface GatewaySolution {
  /** Builds the gateway (node name `gateway`) in front of the existing `orders` and `users` services. */
  gateway(sim: Simulation): ApiGateway;
}

const apiGateway = defineChallenge<GatewaySolution, "leaked" | "ordersP99" | "usersOk">({
  id: "api-gateway-warmup",
  title: "One front door: keys, scopes and a route timeout",
  statement: [
    "Build the `gateway` in front of two services. `orders` takes 10–20 ms a request, but from t = 5 s to t = 10 s it is 20× slower; `users` takes 5 ms.",
    "Callers send their key in `x-api-key`: `key-alice` belongs to client `alice` with scope `orders:read`, `key-bob` to client `bob` with no scopes.",
    "For 15 s alice reads `/orders/1` and `/users/7` every 50 ms each; bob and a caller without a key try `/orders/1` every 250 ms. Callers wait at most 5 s.",
  ].join("\n\n"),
  targets: [
    { metric: "leaked", label: "orders answered 200 to bob or to the caller without a key", op: "==", value: 0, unit: "requests", hint: "The route to orders must require the scope `orders:read` (`requires`), and the gateway must know the keys (`auth.apiKeys`)." },
    { metric: "ordersP99", label: "p99 of alice's /orders while orders is slow", op: "<=", value: 200, unit: "ms", hint: "Give the orders route a `timeoutMs` a little above its healthy latency: the gateway then answers 504 at once instead of holding the caller." },
    { metric: "usersOk", label: "alice's /users requests answered 200", op: ">=", value: 99, unit: "%", hint: "Keep a route to users that alice may use; do not let orders' trouble reach it." },
  ],
  validate: (s) => needFunction("api-gateway-warmup", s, "gateway"),
  async run(solution, seed) {
    const sim = new Simulation({ seed });
    sim.network.setDefaults({ latency: { kind: "uniform", min: 1, max: 3 } });
    sim.service("orders", async (_req, ctx) => {
      await ctx.work({ kind: "uniform", min: 10, max: 20 });
      return { id: 1, status: "shipped" };
    });
    sim.service("users", async (_req, ctx) => {
      await ctx.work(5);
      return { id: 7, name: "Ada" };
    });
    const gateway = solution.gateway(sim);
    if (gateway.name !== "gateway") throw new ConfigError("api-gateway solution", "name", gateway.name, `"gateway"`);
    sim.faults.slow("orders", 20, { at: 5_000 });
    sim.faults.slow("orders", 1, { at: 10_000 });
    const alice = sim.client("alice");
    const bob = sim.client("bob");
    const anon = sim.client("anonymous");
    const send = (from: typeof alice, path: string, key?: string) =>
      from.call("gateway", { method: "GET", path, headers: key ? { "x-api-key": key } : {} }, { timeoutMs: 5_000 }).then(
        (r) => r.status,
        () => 0,
      );
    const slowOrders: number[] = [];
    let usersOk = 0;
    let users = 0;
    let leaked = 0;
    await sim.run(async () => {
      const jobs: Promise<void>[] = [];
      for (let t = 0; t < 15_000; t += 50) {
        await sim.sleep(t - sim.now);
        const start = sim.now;
        jobs.push(
          send(alice, "/orders/1", "key-alice").then(() => {
            if (start >= 5_000 && start < 10_000) slowOrders.push(sim.now - start);
          }),
        );
        jobs.push(
          send(alice, "/users/7", "key-alice").then((s) => {
            users++;
            if (s === 200) usersOk++;
          }),
        );
        if (t % 250 === 0) {
          jobs.push(send(bob, "/orders/1", "key-bob").then((s) => void (s === 200 && leaked++)));
          jobs.push(send(anon, "/orders/1").then((s) => void (s === 200 && leaked++)));
        }
      }
      await Promise.all(jobs);
    });
    return { leaked, ordersP99: percentile(slowOrders, 99), usersOk: users === 0 ? 0 : (100 * usersOk) / users };
  },
});

// ---- Rate limiting ------------------------------------------------------------------------

/** A solution of the rate-limiting challenge. */
export interface RateLimitSolution {
  /** Builds the limiter (one per check run). */
  limiter(): RateLimiter;
}

const rateLimiting = defineChallenge<RateLimitSolution, "burstAdmitted" | "sustained" | "peak">({
  id: "rate-limiting-warmup",
  title: "Let a burst through, hold the long-run rate at 10 a second",
  statement: [
    "One client opens the app and fires 20 requests within 50 ms, then keeps sending 20 a second for a minute (a runaway loop).",
    "Pick and tune a limiter so the opening burst gets through whole, the client's long-run rate is held near 10 requests a second, and no 1-second span ever lets more than 30 through.",
  ].join("\n\n"),
  targets: [
    { metric: "burstAdmitted", label: "requests of the opening burst let through", op: ">=", value: 20, unit: "requests", hint: "The limiter must allow a burst of 20 at once: a token bucket's capacity, or a window's limit." },
    { metric: "sustained", label: "requests let through per second from t = 10 s to 60 s", op: "<=", value: 10.5, unit: "/s", hint: "The long-run rate is the refill rate (token bucket), the leak rate, or limit ÷ window." },
    { metric: "peak", label: "most requests let through in any 1-second span", op: "<=", value: 30, unit: "requests", hint: "A fixed window lets up to twice its limit through around a window boundary; a token bucket's worst second is capacity + refill." },
  ],
  validate: (s) => needFunction("rate-limiting-warmup", s, "limiter"),
  run(solution, seed) {
    const random = new Random(seed);
    const arrivals: number[] = [];
    for (let i = 0; i < 20; i++) arrivals.push(Math.round(random.uniform(0, 50) * 1000) / 1000);
    for (let t = 1_000; t <= 61_000; t += 50) arrivals.push(Math.round((t + random.uniform(0, 5)) * 1000) / 1000);
    arrivals.sort((a, b) => a - b);
    const allowed = runLimiter(solution.limiter(), arrivals).allowed;
    const times = arrivals.filter((_, i) => allowed[i]);
    let peak = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 1_000) j++;
      peak = Math.max(peak, i - j + 1);
    }
    return {
      burstAdmitted: allowed.slice(0, 20).filter(Boolean).length,
      sustained: times.filter((t) => t >= 10_000 && t < 60_000).length / 50,
      peak,
    };
  },
});

// ---- BFF ----------------------------------------------------------------------------------

/** A solution of the BFF challenge. */
export interface BffSolution {
  /** The mobile home screen: parts by name, from `users`, `orders` and `recs`. */
  screen: BffScreen;
}

const bff = defineChallenge<BffSolution, "bytes" | "latency" | "missing">({
  id: "bff-warmup",
  title: "A mobile home screen in one small answer",
  statement: [
    "The mobile app's home screen shows the user's `name` and `avatar`, and the `id` and `total` of their 3 latest orders. The phone is 100 ms from the edge and downloads 10 bytes per ms.",
    "Services: `users` (`GET /users/7`, 10 ms), `orders` (`GET /orders?user=7`, 30 ms, the 20 latest orders, newest first), `recs` (`GET /recs?user=7`, 20 ms). Write the screen of the `mobile-bff`: its parts, the fields each keeps, and how many list items.",
  ].join("\n\n"),
  targets: [
    { metric: "bytes", label: "bytes sent to the phone", op: "<=", value: 300, unit: "bytes", hint: "Keep only the fields the screen shows (`fields`) and only the 3 latest orders (`limit`); leave out parts the screen does not show." },
    { metric: "latency", label: "time until the screen has its data", op: "<=", value: 300, unit: "ms", hint: "Fewer bytes download faster over the slow link; the BFF already calls the services in parallel." },
    { metric: "missing", label: "values the screen needs but did not get", op: "==", value: 0, unit: "values", hint: "The screen needs name, avatar, and id and total of 3 orders: check the part names `profile` and `orders` are there." },
  ],
  validate: (s) => {
    if (typeof s !== "object" || s === null || typeof s.screen !== "object" || s.screen === null) throw new ConfigError(`challenges["bff-warmup"].check`, "screen", s?.screen, "an object of parts");
  },
  async run(solution, seed) {
    const sim = new Simulation({ seed });
    const user = { id: 7, name: "Ada Lovelace", email: "ada@example.com", avatar: "/img/ada.png", address: "12 St James's Square", phone: "+44 20 7946 0000" };
    const orders = Array.from({ length: 20 }, (_, i) => ({ id: 1000 + i, total: 10 + i, status: i % 3 ? "open" : "shipped", date: `2024-05-${10 + (i % 20)}`, lines: [{ sku: `SKU-${i}`, qty: 1 }] }));
    const recs = Array.from({ length: 10 }, (_, i) => ({ id: i, title: `Book ${i}`, image: `/img/b${i}.png`, reason: "you bought Book 0" }));
    for (const [name, ms, body] of [["users", 10, user], ["orders", 30, orders], ["recs", 20, recs]] as const) {
      sim.service(name, async (_req, ctx) => {
        await ctx.work({ kind: "uniform", min: ms * 0.8, max: ms * 1.2 });
        return body;
      });
    }
    const mobile = new BackendForFrontend(sim, { name: "mobile-bff", screens: { home: solution.screen } });
    const phone = sim.client("phone");
    sim.network.setLink("phone", "mobile-bff", { latency: 100 });
    const { res, ms, bytes } = await sim.run(async () => {
      const start = sim.now;
      const r: Response = await phone.call("mobile-bff", `GET ${mobile.path("home")}`);
      const size = jsonPayloadBytes(r.body);
      await sim.sleep(size / 10);
      return { res: r, ms: sim.now - start, bytes: size };
    });
    const data = ((res.body as { data?: Record<string, unknown> } | undefined)?.data ?? {}) as { profile?: Record<string, unknown>; orders?: Record<string, unknown>[] };
    let missing = 0;
    for (const key of ["name", "avatar"]) if (data.profile?.[key] === undefined) missing++;
    const list = Array.isArray(data.orders) ? data.orders : [];
    for (let i = 0; i < 3; i++) for (const key of ["id", "total"]) if (list[i]?.[key] === undefined) missing++;
    return { bytes, latency: ms, missing };
  },
});

// ---- Service discovery --------------------------------------------------------------------

/** Timer settings of the discovery challenges, ms (Eureka's names). */
export interface DiscoverySolution {
  /** How often callers (or the balancer) refresh their copy of the registry. Eureka: 30 000. */
  refreshIntervalMs: number;
  /** How often each instance renews its lease. Eureka: 30 000. */
  renewalIntervalMs: number;
  /** How long a lease lasts without renewal. Eureka: 90 000. */
  leaseDurationMs: number;
  /** How often the registry's eviction task runs. Eureka: 60 000. */
  evictionIntervalMs: number;
}

const DISCOVERY_KEYS = ["refreshIntervalMs", "renewalIntervalMs", "leaseDurationMs", "evictionIntervalMs"] as const;
const RUN_MINUTES = 700_000 / 60_000; // crash at 100 s, observed for 600 s

async function staleRun(solution: DiscoverySolution, seed: number, approach: "client-side" | "server-side") {
  const r = await runStaleCacheScenario({ seed, approach, clients: 3, ...Object.fromEntries(DISCOVERY_KEYS.map((k) => [k, solution[k]])) });
  return { stale: r.staleSeconds ?? Infinity, lost: r.timedOutRequests + r.failedRequests, renewals: r.renewalsPerMinute, fetches: r.registryFetches / RUN_MINUTES };
}

const clientSideDiscovery = defineChallenge<DiscoverySolution, "stale" | "lost" | "renewals">({
  id: "client-side-discovery-warmup",
  title: "Forget a dead instance within a minute",
  statement: [
    "Eight instances of `orders` register with a Eureka registry; three callers discover them client-side and each sends a request a second (1 s timeout). At t = 100 s one instance crashes without deregistering.",
    "Tune the four timers so every caller stops picking the dead instance within 60 s, without flooding the registry: at most 50 renewals a minute (Eureka's defaults give 16 for 8 instances).",
  ].join("\n\n"),
  targets: [
    { metric: "stale", label: "seconds until every caller has dropped the dead instance", op: "<=", value: 60, unit: "s", hint: "The stale window is roughly lease + eviction interval + the registry's 30 s response cache + the callers' refresh interval: shorten the lease, eviction and refresh." },
    { metric: "lost", label: "requests that timed out or failed", op: "<=", value: 30, unit: "requests", hint: "Each second of staleness costs each caller about one request in eight." },
    { metric: "renewals", label: "renewals the registry takes per minute", op: "<=", value: 50, unit: "/min", hint: "Every instance renews 60 000 / renewalIntervalMs times a minute; 8 instances at 10 s make 48." },
  ],
  validate: (s) => needNumbers("client-side-discovery-warmup", s, DISCOVERY_KEYS),
  run: (solution, seed) => staleRun(solution, seed, "client-side"),
});

const serverSideDiscovery = defineChallenge<DiscoverySolution, "stale" | "fetches" | "renewals">({
  id: "server-side-discovery-warmup",
  title: "One balancer, fresh enough, cheap for the registry",
  statement: [
    "The same eight `orders` instances and crash at t = 100 s, but the three callers now call one load balancer, which reads the Eureka registry for them.",
    "Tune the timers so the balancer stops forwarding to the dead instance within 60 s, while the registry serves at most 15 reads a minute and takes at most 50 renewals a minute.",
  ].join("\n\n"),
  targets: [
    { metric: "stale", label: "seconds until the balancer has dropped the dead instance", op: "<=", value: 60, unit: "s", hint: "Shorten the lease, the eviction interval and the balancer's refresh interval." },
    { metric: "fetches", label: "registry reads per minute", op: "<=", value: 15, unit: "/min", hint: "Only the balancer reads the registry now: one read every refreshIntervalMs. Every 5 s is 12 a minute." },
    { metric: "renewals", label: "renewals the registry takes per minute", op: "<=", value: 50, unit: "/min", hint: "8 instances renewing every 10 s make 48 a minute." },
  ],
  validate: (s) => needNumbers("server-side-discovery-warmup", s, DISCOVERY_KEYS),
  run: (solution, seed) => staleRun(solution, seed, "server-side"),
});

// ---- Circuit breaker and bulkhead ---------------------------------------------------------

/** A solution of the circuit breaker and bulkhead challenges. */
export interface ProtectSolution {
  /** Builds your pattern on `sim` and returns how B calls C through it, e.g. `(callC) => breaker.execute(callC)`. */
  protect(sim: Simulation): CascadeProtect;
}

const CASCADE_STATEMENT =
  "users → A → B → C. C has 4 workers and takes 10 ms, but from t = 2 s to t = 10 s it is 50× slower. B has 10 workers. Users send about 50 requests a second, half `GET /orders` (B asks C) and half `GET /home` (B answers alone), and give up after 2 s. When your `protect` throws, B answers 503 at once.";

const circuitBreaker = defineChallenge<ProtectSolution, "gaveUp" | "p99" | "ordersOk">({
  id: "circuit-breaker-warmup",
  title: "Stop waiting on a slow dependency, and notice when it is back",
  statement: [
    CASCADE_STATEMENT,
    "Build a circuit breaker on B's calls to C so no user has to give up while C is slow, and so orders are served again soon after C recovers.",
  ].join("\n\n"),
  targets: [
    { metric: "gaveUp", label: "users who gave up (waited 2 s)", op: "<=", value: 5, unit: "requests", hint: "C does not fail, it is slow: the breaker must count slow calls (`slowCallDurationThreshold` well under 500 ms, `slowCallRateThreshold`) and judge after a few calls (`slidingWindowSize`, `minimumNumberOfCalls`)." },
    { metric: "p99", label: "p99 latency users saw", op: "<=", value: 1_000, unit: "ms", hint: "Open sooner: a small window and minimum number of calls." },
    { metric: "ordersOk", label: "/orders answered 200", op: ">=", value: 90, unit: "requests", hint: "After C recovers at t = 10 s the breaker must close again: a `waitDurationInOpenState` of a second or two, and a few half-open trial calls." },
  ],
  validate: (s) => needFunction("circuit-breaker-warmup", s, "protect"),
  async run(solution, seed) {
    const sim = new Simulation({ seed });
    const r = await runCascade(sim, { protect: solution.protect(sim) });
    return { gaveUp: r.timedOut, p99: r.p99Ms, ordersOk: r.ordersOk };
  },
});

const bulkhead = defineChallenge<ProtectSolution, "homeP99" | "gaveUp" | "ordersOk">({
  id: "bulkhead-warmup",
  title: "Keep /home fast while C is slow",
  statement: [CASCADE_STATEMENT, "Build a bulkhead on B's calls to C so the requests waiting on C cannot take all of B's workers: `/home` stays fast, and C still gets all the work it can do."].join("\n\n"),
  targets: [
    { metric: "homeP99", label: "/home p99", op: "<=", value: 50, unit: "ms", hint: "Give the calls to C fewer slots than B has workers (`maxConcurrent` below 10), so some workers are always free for /home." },
    { metric: "gaveUp", label: "users who gave up (waited 2 s)", op: "<=", value: 5, unit: "requests", hint: "A long bulkhead queue (`maxQueue`) makes /orders wait instead of failing fast: keep it short or 0." },
    { metric: "ordersOk", label: "/orders answered 200", op: ">=", value: 140, unit: "requests", hint: "C has 4 workers: fewer than 4 slots leaves C idle and fails orders it could have served." },
  ],
  validate: (s) => needFunction("bulkhead-warmup", s, "protect"),
  async run(solution, seed) {
    const sim = new Simulation({ seed });
    const r = await runCascade(sim, { protect: solution.protect(sim) });
    return { homeP99: r.homeP99Ms, gaveUp: r.timedOut, ordersOk: r.ordersOk };
  },
});

// ---- Retry ---------------------------------------------------------------------------------

/** A solution of the retry challenge. */
export interface RetrySolution {
  /** Builds the retry policy every client uses. */
  retry(sim: Simulation): ResiliencePolicy;
}

const retryBackoff = defineChallenge<RetrySolution, "succeeded" | "peak" | "done">({
  id: "retry-backoff-warmup",
  title: "Recover from an outage without a retry storm",
  statement: [
    "1,000 clients each send one request during the first second to a server in an outage; at t = 1 s it fails them all with 503 at once. Afterwards it serves 50 requests at a time (20 ms each) and answers 503 beyond that.",
    "Build the retry policy the clients use so every client succeeds, the retries never hit the server in a wave, and all are done within 5 s.",
  ].join("\n\n"),
  targets: [
    { metric: "succeeded", label: "clients served", op: ">=", value: 1_000, unit: "clients", hint: "Enough attempts (`maxAttempts`) and waits long enough to get past the overload." },
    { metric: "peak", label: "most retries in one 100 ms (first tries excluded)", op: "<=", value: 150, unit: "retries", hint: "Without jitter every client retries at the same instant. Add jitter (`full` or `decorrelated`)." },
    { metric: "done", label: "when the last client finished", op: "<=", value: 5_000, unit: "ms", hint: "A cap (`maxDelayMs`) and a base of about a second keep the tail short." },
  ],
  validate: (s) => needFunction("retry-backoff-warmup", s, "retry"),
  async run(solution, seed) {
    const sim = new Simulation({ seed });
    const r = await runRetryStorm(sim, solution.retry(sim));
    return { succeeded: r.succeeded, peak: r.peakRetries, done: r.finishedAtMs };
  },
});

// ---- Timeout -------------------------------------------------------------------------------

/** A solution of the timeout challenge. */
export interface TimeoutSolution {
  /** Builds the timeout the caller puts around each report request. */
  timeout(sim: Simulation): ResiliencePolicy;
}

const timeout = defineChallenge<TimeoutSolution, "p99" | "ok" | "wasted">({
  id: "timeout-warmup",
  title: "Bound the wait, and stop the work nobody waits for",
  statement: [
    "A caller asks a report service for 400 reports, 20 a second. A report normally takes 20–60 ms, built in 10 ms steps, but 4 % of requests hit a stuck lock and would run for 5 s. The service checks the `CancelSignal` it is given between steps.",
    "Put a timeout around each request so the caller's p99 stays low, almost every healthy report still arrives, and the service does not keep working for callers who have left.",
  ].join("\n\n"),
  targets: [
    { metric: "p99", label: "caller p99", op: "<=", value: 150, unit: "ms", hint: "Without a timeout the stuck 4 % set the p99. A deadline a little above the healthy p99 (60 ms) bounds it." },
    { metric: "ok", label: "reports delivered", op: ">=", value: 94, unit: "%", hint: "A deadline below 60 ms cuts off healthy reports too." },
    { metric: "wasted", label: "work done after the caller left", op: "<=", value: 500, unit: "ms", hint: "An aggressive timeout frees the caller but the service keeps building the report; a `cooperative` one aborts the signal so it stops." },
  ],
  validate: (s) => needFunction("timeout-warmup", s, "timeout"),
  async run(solution, seed) {
    const sim = new Simulation({ seed });
    const policy = solution.timeout(sim);
    const latencies: number[] = [];
    let delivered = 0;
    let wasted = 0;
    const report = async (signal: CancelSignal, left: { at: number | undefined }) => {
      const total = sim.random.chance(0.04) ? 5_000 : sim.random.uniform(20, 60);
      for (let done = 0; done < total; done += 10) {
        signal.throwIfAborted();
        await sim.sleep(Math.min(10, total - done));
        if (left.at !== undefined) wasted += Math.min(10, total - done);
      }
      return "report";
    };
    await sim.run(async () => {
      const jobs: Promise<void>[] = [];
      for (let i = 0; i < 400; i++) {
        const start = sim.now;
        const left: { at: number | undefined } = { at: undefined };
        jobs.push(
          policy
            .execute((signal) => report(signal, left))
            .then(
              () => void delivered++,
              () => undefined, // a timeout (or the signal's reason): not delivered
            )
            .finally(() => {
              left.at = sim.now;
              latencies.push(sim.now - start);
            }),
        );
        await sim.sleep(50);
      }
      await Promise.all(jobs);
      await sim.sleep(6_000); // abandoned work runs out
    });
    return { p99: percentile(latencies, 99), ok: (100 * delivered) / 400, wasted };
  },
});

// ---- Sidecar -------------------------------------------------------------------------------

/** A solution of the sidecar challenge. */
export interface SidecarSolution {
  /** Deploys the three handlers of `app` as `frontend`, `orders` and `payments`. */
  deploy(sim: Simulation, app: CheckoutApp): void;
}

const sidecar = defineChallenge<SidecarSolution, "ok" | "rogue" | "doubleCharges">({
  id: "sidecar-warmup",
  title: "Retries and mTLS without touching the code",
  statement: [
    "The checkout app is three handlers you may not change: `frontend` → `orders` → `payments`. Payments fails 30 % of charges with 503 (before charging) and deduplicates on the `idempotency-key` the user's browser sends.",
    "Deploy them so at least 95 % of 200 checkouts succeed, a `rogue` caller without a mesh identity cannot place orders, and no order is charged twice.",
  ].join("\n\n"),
  targets: [
    { metric: "ok", label: "checkouts that succeeded", op: ">=", value: 95, unit: "%", hint: "A sidecar in front of orders retries its calls to payments (Istio's default: 3 tries on 503)." },
    { metric: "rogue", label: "orders the rogue caller placed", op: "==", value: 0, unit: "orders", hint: "Give orders a sidecar with `mtls: { mode: \"strict\", allow: [\"frontend\"] }`; frontend then needs a sidecar too, to have an identity." },
    { metric: "doubleCharges", label: "orders charged twice", op: "==", value: 0, unit: "orders", hint: "Retries are safe here because payments deduplicates on the key; do not mint new keys on the way." },
  ],
  validate: (s) => needFunction("sidecar-warmup", s, "deploy"),
  async run(solution, seed) {
    const sim = new Simulation({ seed });
    sim.network.setDefaults({ latency: 1 });
    const app = checkoutApp();
    solution.deploy(sim, app);
    const r = await runCheckouts(sim, app);
    return { ok: (100 * r.succeeded) / r.requests, rogue: r.rogueStatuses.filter((s) => s === 200).length, doubleCharges: r.doubleCharges };
  },
});

export const microservicesChallenges = {
  // Build challenges (issue 20): the learner writes the pattern; the knob challenge it replaces
  // stays as a warm-up under "<id>-warmup".
  "api-gateway": apiGatewayBuild,
  "api-gateway-warmup": apiGateway,
  "rate-limiting": rateLimitingBuild,
  "rate-limiting-warmup": rateLimiting,
  bff: bffBuild,
  "bff-warmup": bff,
  "client-side-discovery": clientSideDiscoveryBuild,
  "client-side-discovery-warmup": clientSideDiscovery,
  "server-side-discovery": serverSideDiscoveryBuild,
  "server-side-discovery-warmup": serverSideDiscovery,
  "circuit-breaker": circuitBreakerBuild,
  "circuit-breaker-warmup": circuitBreaker,
  "retry-backoff": retryBackoffBuild,
  "retry-backoff-warmup": retryBackoff,
  timeout: timeoutBuild,
  "timeout-warmup": timeout,
  bulkhead: bulkheadBuild,
  "bulkhead-warmup": bulkhead,
  sidecar: sidecarBuild,
  "sidecar-warmup": sidecar,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each challenge has its own solution type; the index keeps them apart.
} satisfies Record<string, Challenge<any> | BuildChallenge<any>>;
