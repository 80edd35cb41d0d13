/**
 * An API gateway as a simulated node. Every request goes through the same steps, in this
 * order, and the first step that refuses answers:
 *
 * 1. authenticate — no or bad credentials → 401 (with `WWW-Authenticate`, RFC 6750)
 * 2. authorise — valid caller without the route's required grants → 403
 * 3. rate limit — the caller's limiter refuses → 429 with `Retry-After` in whole seconds
 * 4. route — no route matches → 404
 * 5. upstream — forward (or fan out); timeout → 504, no healthy target → 503, refused
 *    connection → 502; the upstream's own answer, 503 included, passes through unchanged
 *
 * TLS termination, the step before these in a real gateway, is not modelled: a request
 * arrives already decrypted, and the client's identity comes from its credentials.
 *
 * The route is looked up before step 2 (authorisation needs its required grants), but a
 * missing route is only reported at step 4: callers who are unauthenticated or over their
 * limit learn nothing about which paths exist.
 *
 * Each step is traced as a note on the gateway, so the sequence diagram shows where a
 * request stopped; each answer is counted per status (metric `<name> <status>`).
 */
import { DISPLAY, markdown, table, type Displayable, type MimeBundle } from "../display";
import { ConfigError, nonNegative } from "../errors";
import { STATUS_TEXT, describeRequest, response, type Request, type Response } from "../sim/http";
import type { NodeOptions, ServiceContext, SimNode } from "../sim/node";
import type { Simulation } from "../sim/simulation";
import type { Counter } from "../sim/metrics";
import { composeParts, fanOut } from "./aggregate";
import { GatewayAuthenticator, type GatewayAuthOptions, type Identity } from "./auth";
import { retryAfterSeconds, type RateLimiter } from "./rate-limiter";
import { compileRoutes, isAggregateRoute, matchRoute, upstreamPath, type CompiledRoute, type GatewayRoute } from "./routes";
import { callUpstream, isHealthy, pickTarget } from "./upstream";

/** Options of an {@link ApiGateway}. Defaults are in {@link API_GATEWAY_DEFAULTS}. */
export interface ApiGatewayOptions {
  /** Node name. */
  name?: string;
  /** Routes to upstream services (which must exist already). */
  routes: GatewayRoute[];
  /** Credentials accepted. Without keys or a token secret, everyone is let in as their node name. */
  auth?: GatewayAuthOptions;
  /** Limiter applied per client to every route without its own. Default: none. */
  rateLimiter?: RateLimiter;
  /** The key a request is limited under. Default: the authenticated subject (client id). */
  rateLimitKey?: (identity: Identity, req: Request) => string;
  /** Upstream timeout for routes without their own, ms. */
  timeoutMs?: number;
  /** Skip targets that are down or cut off (503 when none is left); off: try them (502/504). */
  healthChecks?: boolean;
  /** Capacity of the gateway node itself (workers, queue, per-request processing time). */
  node?: Pick<NodeOptions<undefined>, "concurrency" | "queueLimit" | "serviceTime">;
}

/** Defaults: Kong's 60 s upstream read timeout; health checks on. */
export const API_GATEWAY_DEFAULTS = { name: "gateway", timeoutMs: 60_000, healthChecks: true } as const;

/** The step that produced an answer. */
export type GatewayStep = "authenticate" | "authorise" | "rate limit" | "route" | "upstream";

/** One answered request, as reported to listeners. */
export interface GatewayEvent {
  readonly request: Request;
  readonly status: number;
  /** The step that answered (`upstream` for everything forwarded). */
  readonly step: GatewayStep;
  /** Why, in a few words: `missing credentials`, `retry in 1 s`, `orders answered 200`. */
  readonly detail: string;
  /** The caller, once authenticated. */
  readonly subject?: string;
  /** The route, once matched. */
  readonly route?: string;
  readonly time: number;
}

/** A simulated API gateway (see the module comment for the order of checks). */
export class ApiGateway implements Displayable {
  readonly name: string;
  /** The gateway's node: clients call it by {@link name}. */
  readonly node: SimNode<undefined>;
  readonly routes: readonly CompiledRoute[];
  readonly healthChecks: boolean;
  private readonly auth: GatewayAuthenticator;
  private readonly rateLimiter: RateLimiter | undefined;
  private readonly rateLimitKey: (identity: Identity, req: Request) => string;
  private readonly counts = new Map<number, { count: number; steps: Set<GatewayStep>; counter?: Counter }>();
  private readonly roundRobin = new Map<number, number>();
  private readonly listeners = new Set<(event: GatewayEvent) => void>();

  constructor(
    readonly sim: Simulation,
    options: ApiGatewayOptions,
  ) {
    if (typeof options !== "object" || options === null) throw new ConfigError("ApiGateway", "options", options, "an object with routes");
    this.name = options.name ?? API_GATEWAY_DEFAULTS.name;
    const timeoutMs = nonNegative("ApiGateway", "timeoutMs", options.timeoutMs ?? API_GATEWAY_DEFAULTS.timeoutMs, Number.MIN_VALUE);
    this.routes = compileRoutes("ApiGateway", sim, options.routes, timeoutMs);
    this.healthChecks = options.healthChecks ?? API_GATEWAY_DEFAULTS.healthChecks;
    this.auth = new GatewayAuthenticator(options.auth);
    this.rateLimiter = options.rateLimiter;
    this.rateLimitKey = options.rateLimitKey ?? ((identity) => identity.subject);
    this.node = sim.service<undefined>(this.name, (req, ctx) => this.handle(req, ctx), options.node ?? {});
  }

  /** Calls `listener` for every answered request; returns a function that stops the calls. */
  onResponse(listener: (event: GatewayEvent) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Answers so far by status code. */
  get statusCounts(): Record<number, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a - b).map(([s, c]) => [s, c.count]));
  }

  /**
   * Counts, traces and reports one answer. A `detail` of null stands for "`answeredBy`
   * answered `<status>`", built only when the trace keeps the note or a listener is told: the
   * gateway forwards most requests, and nothing is built that nobody reads.
   */
  private finish(req: Request, res: Response, step: GatewayStep, detail: string | null, subject?: string, route?: string, answeredBy?: string): Response {
    const sim = this.sim;
    const trace = sim.trace;
    let entry = this.counts.get(res.status);
    if (!entry) this.counts.set(res.status, (entry = { count: 0, steps: new Set() }));
    entry.count++;
    entry.steps.add(step);
    // The counter is created on the first answer of each status, as before; looked up once.
    (entry.counter ??= sim.metrics.counter(`${this.name} ${res.status}`)).inc();
    const noted = step !== "upstream" || res.status >= 500;
    if (noted && !trace.recording) trace.skip();
    if ((noted && trace.recording) || this.listeners.size > 0) {
      const text = detail ?? `${answeredBy} answered ${res.status}`;
      if (noted && trace.recording) trace.note(this.name, `${step}: ${res.status} ${text}`);
      if (this.listeners.size > 0) {
        const event: { -readonly [K in keyof GatewayEvent]: GatewayEvent[K] } = { request: req, status: res.status, step, detail: text, time: sim.now };
        if (subject !== undefined) event.subject = subject;
        if (route !== undefined) event.route = route;
        for (const listener of [...this.listeners]) listener(event);
      }
    }
    return res;
  }

  private async handle(req: Request, ctx: ServiceContext<undefined>): Promise<Response> {
    const sim = this.sim;
    const trace = sim.trace;

    // 1. authenticate
    const auth = this.auth.authenticate(req, sim.now);
    if (!auth.ok) {
      const challenge = this.challenge(auth.reason);
      return this.finish(req, response(401, { error: "unauthorized", reason: auth.reason }, { "www-authenticate": challenge }), "authenticate", auth.reason);
    }
    const identity = auth.identity;
    const subject = identity.subject;
    if (identity.via !== "none") {
      if (trace.recording) trace.note(this.name, `authenticate: ${subject} (${identity.via})`);
      else trace.skip();
    }

    // 2. authorise (the route is looked up now, but a missing one is reported at step 4)
    const route = matchRoute(this.routes, req);
    if (route && route.requires.length > 0) {
      const missing = route.requires.filter((g) => !identity.grants.includes(g));
      if (missing.length > 0) {
        const headers: Record<string, string> = identity.via === "jwt" ? { "www-authenticate": `Bearer error="insufficient_scope", scope="${route.requires.join(" ")}"` } : {};
        return this.finish(req, response(403, { error: "forbidden", missing }, headers), "authorise", `${subject} lacks ${missing.join(", ")}`, subject, route.name);
      }
    }

    // 3. rate limit
    const limiter = route?.spec.rateLimiter ?? this.rateLimiter;
    if (limiter) {
      const key = this.rateLimitKey(identity, req);
      const decision = limiter.tryAcquire(key, sim.now);
      if (!decision.allowed) {
        const seconds = retryAfterSeconds(decision.retryAfterMs);
        return this.finish(
          req,
          response(429, { error: "too many requests", retryAfterMs: decision.retryAfterMs }, { "retry-after": String(seconds) }),
          "rate limit",
          `${key}: retry in ${seconds} s`,
          subject,
          route?.name,
        );
      }
      if (decision.delayMs > 0) {
        sim.trace.note(this.name, `rate limit: ${key} queued ${round(decision.delayMs)} ms`);
        await sim.sleep(decision.delayMs);
      }
    }

    // 4. route
    if (!route) {
      const what = describeRequest(req);
      return this.finish(req, response(404, { error: "no route matched", request: what }), "route", `no route for ${what}`, subject);
    }

    // 5. upstream
    const spec = route.spec;
    if (isAggregateRoute(spec)) {
      sim.trace.note(this.name, `route ${route.name}: fan out to ${spec.aggregate.map((p) => p.upstream).join(", ")}`);
      const parts = await fanOut(ctx, spec.aggregate, req, { timeoutMs: route.timeoutMs, healthChecks: this.healthChecks, headers: { "x-client-id": subject } });
      const res = composeParts(parts);
      const failed = parts.filter((p) => !p.ok).map((p) => p.name);
      return this.finish(req, res, "upstream", failed.length ? `aggregate, failed: ${failed.join(", ")}` : "aggregate complete", subject, route.name);
    }
    const turn = this.roundRobin.get(route.index) ?? 0;
    this.roundRobin.set(route.index, turn + 1);
    // One upstream needs no list (the spec is read per request: a cell may change it).
    const upstream = spec.upstream;
    const target =
      typeof upstream === "string" ? (!this.healthChecks || isHealthy(ctx, ctx.node.name, upstream) ? upstream : undefined) : pickTarget(ctx, upstream, turn, this.healthChecks);
    if (target === undefined) {
      return this.finish(req, response(503, { error: "no healthy upstream", route: route.name }), "upstream", `no healthy upstream for ${route.name}`, subject, route.name);
    }
    const forwarded: Request = { ...req, path: upstreamPath(route, req.path), headers: { ...req.headers, "x-client-id": subject }, client: ctx.node.name };
    const result = await callUpstream(ctx, target, forwarded, route.timeoutMs, this.healthChecks);
    return this.finish(req, result.response, "upstream", result.kind === "answered" ? null : `${result.kind} (${target})`, subject, route.name, target);
  }

  private challenge(reason: string): string {
    const realm = `realm="${this.name}"`;
    const invalid = "invalid token: ";
    if (reason.startsWith(invalid)) return `Bearer ${realm}, error="invalid_token", error_description="${reason.slice(invalid.length)}"`;
    return this.auth.acceptsTokens ? `Bearer ${realm}` : `ApiKey ${realm}`;
  }

  /** Answers by status: count, meaning and the step that produced them. */
  statsTable(): Displayable {
    if (this.counts.size === 0) return markdown(`**${this.name}**: no requests yet`);
    return table(
      [...this.counts]
        .sort(([a], [b]) => a - b)
        .map(([status, c]) => ({ status, meaning: STATUS_TEXT[status] ?? "", step: [...c.steps].join(", "), count: c.count })),
    );
  }

  [DISPLAY](): MimeBundle {
    return this.statsTable()[DISPLAY]();
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
