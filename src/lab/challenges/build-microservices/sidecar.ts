/**
 * Build challenge "sidecar": the learner writes the outbound side of a sidecar proxy (an
 * Envoy beside the `orders` app): every call the app makes passes through it, and it adds a
 * workload identity header, a per-try timeout, an overall deadline and retries of idempotent
 * requests, without any change to the app.
 *
 * The app is the lab's and fixed: it reads stock (GET), releases holds (DELETE) and charges
 * cards (POST). The callees `inventory` and `payments` answer 403 to a caller without the
 * identity. The checker sees every try the proxy sends and every answer it gives the app, and
 * makes the callees fail with 503 or 500, slows them, loses messages and crashes them.
 */
import { ConfigError, Simulation, response, type Request, type Response } from "sde-lab";
import { defineBuildChallenge, type CaseOutcome, type CheckCase, type FaultSpec } from "../build";
import { seededCases } from "../seeded-cases";

/** What the lab gives your proxy. */
export interface SidecarKit {
  /** This workload's identity, as the mesh issued it. Every outbound try carries it. */
  readonly identity: string;
  /** The header the callees read it from (`x-client-identity`). */
  readonly identityHeader: string;
  /** Tries in all, the first included (3: Istio's default of 2 retries). */
  readonly maxAttempts: number;
  /** Longest one try may take, ms (100). */
  readonly perTryTimeoutMs: number;
  /** Longest the app may wait for one call, tries and pauses included, ms (300). */
  readonly deadlineMs: number;
  /**
   * One try over the network to the service the path names (`/inventory/...`, `/payments`).
   * Resolves with the callee's answer; rejects (a `TimeoutError`) when none came within
   * `timeoutMs`, which is also what a lost message or a crashed callee looks like.
   */
  send(request: Request, options: { timeoutMs: number }): Promise<Response>;
  /** Virtual time, ms. */
  now(): number;
  /** Resolves after `ms` of virtual time (for a pause between tries). */
  sleep(ms: number): Promise<void>;
}

/** Your proxy's outbound side: the app's every call comes here. */
export interface SidecarProxy {
  /** Sends the app's request on, and answers it: the last try's answer, or a 504 when no try got one. */
  outbound(request: Request): Promise<Response>;
}

export interface SidecarBuild {
  proxy(kit: SidecarKit): SidecarProxy;
}

const IDENTITY = "spiffe://cluster.local/ns/shop/sa/orders";
const HEADER = "x-client-identity";
const ATTEMPTS = 3;
const PER_TRY = 100;
const DEADLINE = 300;
/** With this much of the deadline left after a retryable failure, a retry is owed. */
const RETRY_OWED_MS = 120;
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

interface Try {
  start: number;
  end?: number;
  /** The callee's status, or undefined when no answer came (timeout, lost, crashed). */
  status?: number;
}
interface Op {
  id: string;
  label: string;
  original: Request;
  start: number;
  tries: Try[];
  done?: number;
}

const sameBody = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** One run of the scenario on one case (exported for tests and the bench; not in the index). */
export async function judgeSidecar(solution: SidecarBuild, c: CheckCase): Promise<CaseOutcome> {
  const sim = new Simulation({ seed: c.seed, traceLimit: 5_000 });
  sim.network.setDefaults({ latency: 1 });
  const rates = { inventory: { s503: 0, s500: 0 }, payments: { s503: 0, s500: 0 } };
  for (const name of ["inventory", "payments"] as const) {
    sim.service(name, async (req, ctx) => {
      if (req.headers[HEADER] !== IDENTITY) return response(403, { error: `no mesh identity in ${HEADER}` });
      await ctx.work({ kind: "uniform", min: 5, max: 15 });
      if (sim.random.chance(rates[name].s503)) return response(503, { error: `${name} unavailable` });
      if (sim.random.chance(rates[name].s500)) return response(500, { error: `${name} failed` });
      return { from: name, path: req.path };
    });
  }
  const app = sim.client("orders");
  const ops = new Map<string, Op>();
  let problem: { sentence: string; at: number } | undefined;
  const fail = (sentence: string) => (problem ??= { sentence, at: sim.now });
  const t = (x: number) => Math.round(x);

  const kit: SidecarKit = {
    identity: IDENTITY,
    identityHeader: HEADER,
    maxAttempts: ATTEMPTS,
    perTryTimeoutMs: PER_TRY,
    deadlineMs: DEADLINE,
    now: () => sim.now,
    sleep: (ms) => sim.sleep(Math.max(0, ms)),
    async send(request, options) {
      const headers = request?.headers ?? {};
      const op = ops.get(headers["x-request-id"] ?? "");
      if (!op) {
        fail(`a try (${request?.method} ${request?.path}) at ${t(sim.now)} ms lost the app's x-request-id header: the proxy must pass the app's request on unchanged, adding only ${HEADER}`);
        throw new Error("unknown request");
      }
      const o = op.original;
      if (request.method !== o.method || request.path !== o.path || !sameBody(request.body, o.body)) fail(`a try of ${op.label} went out as ${request.method} ${request.path}: the proxy changed the app's request`);
      const lost = Object.keys(o.headers).filter((h) => headers[h] !== o.headers[h]);
      if (lost.length > 0) fail(`a try of ${op.label} changed the app's header ${lost.join(", ")}`);
      if (headers[HEADER] !== IDENTITY) fail(`a try of ${op.label} at ${t(sim.now)} ms went out without the identity (${HEADER}: ${headers[HEADER] ?? "missing"}), so the callee answered 403`);
      if (op.done !== undefined) fail(`a try of ${op.label} went out at ${t(sim.now)} ms, after the app already had its answer`);
      const prev = op.tries[op.tries.length - 1];
      if (prev && prev.end === undefined) fail(`try ${op.tries.length + 1} of ${op.label} went out at ${t(sim.now)} ms while try ${op.tries.length} was still waiting`);
      else if (prev) {
        if (!IDEMPOTENT.has(o.method)) fail(`${op.label} was sent ${op.tries.length + 1} times: ${o.method} is not idempotent, and a retried charge may charge twice`);
        else if (prev.status !== undefined && prev.status !== 503) fail(`${op.label} got ${prev.status} on try ${op.tries.length} and was tried again (retry only a 503 or a try without an answer)`);
      }
      if (op.tries.length >= ATTEMPTS) fail(`${op.label} was tried ${op.tries.length + 1} times (at most ${ATTEMPTS} tries in all)`);
      const timeoutMs = options?.timeoutMs;
      if (typeof timeoutMs !== "number" || !(timeoutMs >= 0)) throw new ConfigError("kit.send", "options.timeoutMs", timeoutMs, "a number of ms ≥ 0 (the try's timeout)");
      const attempt: Try = { start: sim.now };
      op.tries.push(attempt);
      const target = o.path.startsWith("/payments") ? "payments" : "inventory";
      try {
        const res = await app.call(target, { method: request.method, path: request.path, headers: { ...headers }, body: request.body }, { timeoutMs });
        attempt.status = res.status;
        return res;
      } finally {
        attempt.end = sim.now;
        if (attempt.end - attempt.start > PER_TRY) fail(`try ${op.tries.indexOf(attempt) + 1} of ${op.label} took ${t(attempt.end - attempt.start)} ms (per-try timeout ${PER_TRY} ms)`);
      }
    },
  };
  const proxy = solution.proxy(kit);
  if (typeof proxy?.outbound !== "function") throw new ConfigError("proxy(kit)", "outbound", proxy?.outbound, "a function (request) => Promise<Response>");

  /** The app's code (fixed): what it sends for operation k. */
  const requestFor = (k: number): Request => {
    const id = `req-${k}`;
    const roll = sim.random.int(0, 9);
    if (roll < 5) return { method: "GET", path: `/inventory/sku-${k % 7}`, headers: { "x-request-id": id }, client: "orders" };
    if (roll < 7) return { method: "DELETE", path: `/inventory/holds/${k}`, headers: { "x-request-id": id }, client: "orders" };
    return { method: "POST", path: "/payments", headers: { "x-request-id": id, "content-type": "application/json" }, body: { order: `o-${k}`, amountCents: 1_000 + k }, client: "orders" };
  };
  const runOp = async (k: number) => {
    const req = requestFor(k);
    const op: Op = { id: req.headers["x-request-id"]!, label: `${req.method} ${req.path} (${req.headers["x-request-id"]})`, original: { ...req, headers: { ...req.headers } }, start: sim.now, tries: [] };
    ops.set(op.id, op);
    let res: Response | undefined;
    try {
      res = await proxy.outbound(req);
    } catch (error) {
      fail(`outbound(${op.label}) rejected with ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}; answer the app with a Response (504 when no try got an answer)`);
    }
    op.done = sim.now;
    if (problem || !res) return;
    const took = op.done - op.start;
    if (took > DEADLINE) return void fail(`the app waited ${t(took)} ms for ${op.label} (deadline ${DEADLINE} ms, ${op.tries.length} tr${op.tries.length === 1 ? "y" : "ies"})`);
    if (op.tries.length === 0) return void fail(`the app got ${res.status} for ${op.label} at ${t(sim.now)} ms, but the proxy never sent it`);
    const last = op.tries[op.tries.length - 1]!;
    const answered = last.end !== undefined && last.status !== undefined;
    const expected = answered ? last.status! : 504;
    if (res.status !== expected) return void fail(`the app got ${res.status} for ${op.label}, but ${answered ? `the last try got ${expected}` : "no try got an answer, so it should get 504"}`);
    const retryable = last.end !== undefined && (last.status === undefined || last.status === 503);
    const left = op.start + DEADLINE - (last.end ?? sim.now);
    if (IDEMPOTENT.has(req.method) && retryable && op.tries.length < ATTEMPTS && left >= RETRY_OWED_MS) {
      fail(`${op.label} ${last.status === 503 ? "got 503" : "got no answer"} on try ${op.tries.length} of ${ATTEMPTS} with ${t(left)} ms of its deadline left, and was not retried`);
    }
  };

  for (const f of c.faults) {
    const at = f.at ?? 0;
    const until = at + Number(f.params?.forMs ?? 0);
    const target = f.target as "inventory" | "payments";
    if (f.kind === "503" || f.kind === "500") {
      const key = f.kind === "503" ? "s503" : "s500";
      sim.at(at, () => (rates[target][key] = Number(f.params?.rate ?? 0.4)));
      sim.at(until, () => (rates[target][key] = 0));
    }
    if (f.kind === "slow") {
      sim.faults.slow(target, Number(f.params?.factor ?? 8), { at });
      sim.faults.slow(target, 1, { at: until });
    }
    if (f.kind === "loss") {
      sim.faults.loss("orders", target, Number(f.params?.rate ?? 0.3), { at });
      sim.faults.loss("orders", target, 0, { at: until });
    }
    if (f.kind === "crash") {
      sim.faults.crash(target, { at });
      sim.faults.restart(target, { at: until });
    }
  }

  await sim.run(async () => {
    const jobs: Promise<void>[] = [];
    for (let k = 0; k < c.size && !problem; k++) {
      jobs.push(runOp(k));
      await sim.sleep(20);
    }
    await Promise.all(jobs);
  });
  return problem ? { ok: false, invariant: problem.sentence, sim, at: problem.at } : { ok: true, sim };
}

function flakyFor(i: number): FaultSpec[] {
  const t = 100 + 20 * i;
  const all: FaultSpec[] = [
    { kind: "503", label: `inventory answers 40 % of requests with 503 from ${t} ms for 1 s`, at: t, target: "inventory", params: { forMs: 1_000, rate: 0.4 } },
    { kind: "503", label: `payments answers 40 % of charges with 503 from ${t} ms for 1 s`, at: t, target: "payments", params: { forMs: 1_000, rate: 0.4 } },
    { kind: "500", label: `inventory answers 30 % of requests with 500 from ${t + 100} ms for 800 ms`, at: t + 100, target: "inventory", params: { forMs: 800, rate: 0.3 } },
  ];
  return all.filter((_, j) => j === i % 3 || (i >= 9 && j === (i + 1) % 3) || (i >= 18 && j === (i + 2) % 3));
}

function slowFor(i: number): FaultSpec[] {
  const t = 100 + 25 * i;
  const all: FaultSpec[] = [
    { kind: "slow", label: `inventory is 8× slower (40–120 ms a request) from ${t} ms for 1 s`, at: t, target: "inventory", params: { forMs: 1_000, factor: 8 } },
    { kind: "loss", label: `30 % of messages between orders and inventory are lost from ${t} ms for 1 s`, at: t, target: "inventory", params: { forMs: 1_000, rate: 0.3 } },
    { kind: "crash", label: `inventory crashes at ${t + 200} ms and restarts 400 ms later`, at: t + 200, target: "inventory", params: { forMs: 400 } },
    { kind: "crash", label: `payments crashes at ${t + 100} ms and restarts 500 ms later`, at: t + 100, target: "payments", params: { forMs: 500 } },
  ];
  return all.filter((_, j) => j === i % 4 || (i >= 8 && j === (i + 1) % 4));
}

export const sidecarBuild = defineBuildChallenge<SidecarBuild>({
  id: "sidecar",
  title: "Build a sidecar's outbound proxy: identity, per-try timeout, deadline, safe retries",
  statement: [
    "Write the outbound side of the sidecar beside the `orders` app, the way Envoy sits beside each pod in Istio. The app is the lab's and you may not change it: it reads stock (`GET /inventory/...`), releases holds (`DELETE /inventory/holds/...`) and charges cards (`POST /payments`), and every one of its calls comes to your `outbound(request)`.",
    `- **Identity**: every try carries \`kit.identityHeader\` (\`${HEADER}\`) set to \`kit.identity\`; the callees answer 403 without it (in Istio this is the mTLS certificate). Everything else of the app's request goes out as it came.`,
    `- **Per-try timeout and deadline**: no try lasts more than \`kit.perTryTimeoutMs\` (${PER_TRY} ms), and the app gets its answer within \`kit.deadlineMs\` (${DEADLINE} ms) of asking, tries and pauses included.`,
    `- **Retries, idempotent requests only**: retry a try that got 503 or no answer, up to \`kit.maxAttempts\` (${ATTEMPTS}) tries in all, and only for idempotent methods (RFC 9110: GET, HEAD, OPTIONS, TRACE, PUT, DELETE). A POST goes out once: a charge that timed out may have happened. Any other answer (200, 403, 404, 500) goes straight back to the app. (Istio retries 503 and failed connections by default; a try cut off by its per-try timeout is retried only when \`retryOn\` adds \`5xx\` or \`gateway-error\`, as it does here.)`,
    "- **The answer**: the last try's answer, or a 504 when no try got one.",
    "```ts\ninterface SidecarBuild { proxy(kit: SidecarKit): SidecarProxy }\ninterface SidecarProxy { outbound(request: Request): Promise<Response> }\ninterface SidecarKit { identity: string; identityHeader: string; maxAttempts: number; perTryTimeoutMs: number; deadlineMs: number; send(request: Request, options: { timeoutMs: number }): Promise<Response>; now(): number; sleep(ms: number): Promise<void> }\n```",
    `The checker sees every try and every answer. It makes the callees answer 503 and 500, slows them past the per-try timeout, loses messages and crashes them, over 50 cases. A retry is owed when a GET or DELETE got 503 or no answer and ${RETRY_OWED_MS} ms or more of its deadline were left.`,
  ].join("\n\n"),
  validate(solution) {
    if (typeof solution?.proxy !== "function") throw new ConfigError(`challenges["sidecar"].check`, "proxy", solution?.proxy, "a function (kit) => SidecarProxy");
  },
  stages: [
    { name: "works", goal: "every try carries the identity; requests and answers pass through unchanged", cases: seededCases(6, 1, () => ({ faults: [], size: 30 })), minSize: 1, run: judgeSidecar },
    { name: "survives errors", goal: "503s retried for GET and DELETE within 3 tries; POST never retried; 500 never retried", cases: seededCases(24, 100, (i) => ({ faults: flakyFor(i), size: 60 })), minSize: 1, run: judgeSidecar },
    { name: "holds the deadline", goal: "slow, lossy and crashed callees: each try within 100 ms, each call within 300 ms", cases: seededCases(20, 300, (i) => ({ faults: slowFor(i), size: 60 })), minSize: 1, run: judgeSidecar },
  ],
  hints: {
    nudge: "Read the first failure: it names the request by its x-request-id and says what the try or the answer was missing. Build each try from the app's request rather than a new one.",
    approach: "outbound is a loop over tries. Before each try, work out how much of the deadline is left; stop when too little is. After each try decide: an answer that is not a 503 goes back to the app; a 503 or no answer is retried only if the method is idempotent and tries remain.",
    keyIdea: "The per-try timeout is a ceiling, not a fixed amount: the last try gets whatever is left of the deadline if that is less. And a POST's failure is final for the proxy, because the proxy cannot know whether the charge happened.",
  },
});
