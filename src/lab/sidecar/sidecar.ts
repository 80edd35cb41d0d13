/**
 * A sidecar proxy (Envoy in an Istio pod, simplified): it owns the service's address, so every
 * request in and every call out passes through it, and it adds mutual-TLS identity checks,
 * access logs, metrics, timeouts and retries without any change to the service's code.
 *
 * Layout on the simulation: the proxy node takes the service's name (`orders`) and the
 * application runs as `orders/app`, reached over a zero-latency local link. The application's
 * `ctx.call()` is routed through the proxy, which makes the network call.
 *
 * Simplifications (said here so nobody learns them as facts): identities are the SPIFFE-like
 * names the mesh gives each workload (`spiffe://cluster.local/ns/default/sa/<node>`) carried in
 * a header instead of certificates; a caller without a sidecar in STRICT mode gets a 403
 * instead of a failed TLS handshake; the proxy's own processing time is zero.
 */
import { DISPLAY, table, type Displayable, type MimeBundle } from "../display";
import { ConfigError, nonNegative, oneOf } from "../errors";
import type { Simulation } from "../sim/simulation";
import type { Handler, NodeOptions, ServiceContext, SimNode } from "../sim/node";
import { describeRequest, isResponse, response, toRequest, type Request, type Response } from "../sim/http";
import { TimeoutError } from "../sim/call-errors";
import { RetryPolicy, type RetryOptions } from "../resilience/retry";
import { TimeoutPolicy } from "../resilience/timeout";
import { wrap } from "../resilience/wrap";
import type { PolicyResult, ResiliencePolicy } from "../resilience/policy";

/** Header in which a sidecar carries the caller's workload identity. */
export const IDENTITY_HEADER = "x-sde-peer-identity";

/** Mutual-TLS settings of a sidecar's inbound side. */
export interface MtlsOptions {
  /**
   * - `"strict"`: only callers with a mesh identity (a sidecar of their own) get through.
   * - `"permissive"` (Istio's default during migration): plain callers are let in too.
   */
  mode: "strict" | "permissive";
  /** Workload names allowed to call (an authorization policy); absent = any mesh identity. */
  allow?: readonly string[];
}

/** Options of a {@link Sidecar}. Defaults are in {@link SIDECAR_DEFAULTS}. */
export interface SidecarOptions {
  /**
   * Retries of outbound calls; `false` for none. Default: Istio's default retry policy,
   * `attempts: 2` retries (3 tries in all), 25 ms base back-off (Envoy's), retrying only what
   * Istio retries by default: 503 answers and failed connections (here: a try that hit
   * {@link SidecarOptions.perTryTimeoutMs}). Other 5xx are not retried.
   */
  retry?: RetryOptions | false;
  /**
   * Deadline of a whole outbound call, retries included, in ms (Envoy's route timeout).
   * Default 15 000, Envoy's route default. (Istio leaves it off unless a VirtualService sets
   * one; a simulation keeps a bound so lost messages end.) `Infinity` for none.
   */
  timeoutMs?: number;
  /** Deadline of each try, in ms (Envoy's `per_try_timeout`). Default: none, only `timeoutMs`. */
  perTryTimeoutMs?: number;
  /** Inbound identity checks; absent = no mTLS. */
  mtls?: MtlsOptions;
  /** Keep access-log lines. Default true. */
  accessLog?: boolean;
}

/** What Istio's default retry policy retries: 503s and tries that failed to connect or answer. */
export function isRetryableBySidecar(result: PolicyResult): boolean {
  if (result.ok) return isResponse(result.value) && result.value.status === 503;
  return result.error instanceof TimeoutError;
}

/** Defaults of {@link SidecarOptions}. */
export const SIDECAR_DEFAULTS = {
  retry: { maxAttempts: 3, baseMs: 25, maxDelayMs: 250, jitter: "full", isRetryable: isRetryableBySidecar } as RetryOptions,
  timeoutMs: 15_000,
  perTryTimeoutMs: Infinity,
  accessLog: true,
} as const;

/** One access-log entry (what Envoy writes per request). */
export interface AccessLogEntry {
  time: number;
  direction: "inbound" | "outbound";
  peer: string;
  request: string;
  status: number | "timeout";
  durationMs: number;
  attempts: number;
}

/** Counts kept by a sidecar. */
export interface SidecarStats {
  inbound: number;
  inboundDenied: number;
  outbound: number;
  outboundAttempts: number;
  outboundFailures: number;
}

/** The workload identity the mesh gives a node. */
export function meshIdentity(node: string): string {
  return `spiffe://cluster.local/ns/default/sa/${node}`;
}

/** A service with its sidecar proxy. */
export class Sidecar implements Displayable {
  /** The proxy, which owns the service's name and address. */
  readonly proxy: SimNode<undefined>;
  /** The application behind it (`<name>/app`). */
  readonly app: SimNode<unknown>;
  readonly stats: SidecarStats = { inbound: 0, inboundDenied: 0, outbound: 0, outboundAttempts: 0, outboundFailures: 0 };
  private readonly log: AccessLogEntry[] = [];
  private readonly outboundPolicy: ResiliencePolicy | undefined;
  private readonly options: { timeoutMs: number; perTryTimeoutMs: number; accessLog: boolean; mtls: MtlsOptions | undefined };

  /**
   * @param sim - the simulation
   * @param name - the service's name (the proxy takes it)
   * @param handler - the application's handler, unchanged
   * @param options - sidecar settings, and `node` for the application's node options
   */
  constructor(
    readonly sim: Simulation,
    readonly name: string,
    handler: Handler<unknown>,
    options: SidecarOptions & { node?: NodeOptions<unknown> } = {},
  ) {
    const c = `Sidecar ${name}`;
    const timeoutMs = options.timeoutMs ?? SIDECAR_DEFAULTS.timeoutMs;
    const perTryTimeoutMs = options.perTryTimeoutMs ?? SIDECAR_DEFAULTS.perTryTimeoutMs;
    if (timeoutMs !== Infinity) nonNegative(c, "timeoutMs", timeoutMs);
    if (perTryTimeoutMs !== Infinity) nonNegative(c, "perTryTimeoutMs", perTryTimeoutMs);
    if (options.mtls) {
      oneOf(c, "mtls.mode", options.mtls.mode, ["strict", "permissive"] as const);
      if (options.mtls.allow !== undefined && !Array.isArray(options.mtls.allow)) throw new ConfigError(c, "mtls.allow", options.mtls.allow, "an array of node names");
    }
    this.options = { timeoutMs, perTryTimeoutMs, accessLog: options.accessLog ?? SIDECAR_DEFAULTS.accessLog, mtls: options.mtls };
    // Envoy's order: the route timeout covers every try; each try may have its own deadline.
    const policies: ResiliencePolicy[] = [];
    if (timeoutMs !== Infinity) policies.push(new TimeoutPolicy(sim, { name: `${name} sidecar timeout`, timeoutMs, trace: false }));
    const retry = options.retry === undefined ? SIDECAR_DEFAULTS.retry : options.retry;
    if (retry) policies.push(new RetryPolicy(sim, { name: `${name} sidecar retry`, isRetryable: isRetryableBySidecar, ...retry }));
    this.outboundPolicy = policies.length > 0 ? wrap(...policies) : undefined;

    const appName = `${name}/app`;
    this.app = sim.service<unknown>(appName, (req, ctx) => handler(req, this.appContext(ctx)), options.node ?? {});
    this.proxy = sim.service(name, (req, ctx) => this.inbound(req, ctx));
    // The app and its proxy share a pod: localhost, no delay.
    sim.network.setLink(name, appName, { latency: 0, loss: 0 });
  }

  /** Access-log lines so far. */
  get accessLog(): readonly AccessLogEntry[] {
    return this.log;
  }

  private async inbound(req: Request, ctx: ServiceContext<undefined>): Promise<Response> {
    const start = this.sim.now;
    this.stats.inbound++;
    const peer = req.headers[IDENTITY_HEADER];
    const caller = req.client ?? "?";
    const denied = this.checkMtls(peer);
    if (denied) {
      this.stats.inboundDenied++;
      this.sim.trace.note(this.name, `sidecar denied ${caller}: ${denied}`);
      this.record("inbound", caller, req, 403, start, 1);
      return response(403, { error: denied });
    }
    const res = await ctx.call(`${this.name}/app`, req, { timeoutMs: Infinity });
    this.sim.metrics.histogram(`${this.name} sidecar inbound ms`).record(this.sim.now - start);
    this.record("inbound", caller, req, res.status, start, 1);
    return res;
  }

  private checkMtls(peer: string | undefined): string | undefined {
    const mtls = this.options.mtls;
    if (!mtls) return undefined;
    if (peer === undefined) return mtls.mode === "strict" ? "mTLS required: the caller presented no mesh identity" : undefined;
    if (mtls.allow && !mtls.allow.some((n) => meshIdentity(n) === peer)) return `RBAC: access denied for ${peer}`;
    return undefined;
  }

  private appContext(ctx: ServiceContext<unknown>): ServiceContext<unknown> {
    return {
      sim: ctx.sim,
      node: ctx.node,
      get state() {
        return ctx.state;
      },
      work: (time) => ctx.work(time),
      call: (target, req, options) => this.outbound(target, req, options?.timeoutMs),
    };
  }

  /**
   * An outbound call of the application, made by the proxy with its retries and timeouts.
   * `appTimeoutMs` (the app's own call option) shortens the route timeout, never lengthens it.
   */
  private async outbound(target: string, input: Request | string = "GET /", appTimeoutMs?: number): Promise<Response> {
    const base = toRequest(input);
    const req: Request = { ...base, headers: { ...base.headers } };
    req.headers[IDENTITY_HEADER] = meshIdentity(this.name);
    const start = this.sim.now;
    this.stats.outbound++;
    let attempts = 0;
    // Every try ends by itself at the latest at the deadline, so no call is left hanging.
    const deadline = Math.min(this.options.timeoutMs, appTimeoutMs ?? Infinity);
    const perTry = Math.min(this.options.perTryTimeoutMs, deadline);
    const attempt = () => {
      attempts++;
      this.stats.outboundAttempts++;
      return this.proxy.call(target, req, { timeoutMs: perTry });
    };
    try {
      const res = this.outboundPolicy ? await this.outboundPolicy.execute(attempt) : await attempt();
      if (res.status >= 500) this.stats.outboundFailures++;
      this.record("outbound", target, req, res.status, start, attempts);
      return res;
    } catch (error) {
      this.stats.outboundFailures++;
      this.record("outbound", target, req, error instanceof TimeoutError ? "timeout" : 503, start, attempts);
      // Envoy answers the app itself when every try failed: 504 on timeout, 503 otherwise.
      return response(error instanceof TimeoutError ? 504 : 503, { error: error instanceof Error ? error.message : String(error) });
    }
  }

  private record(direction: AccessLogEntry["direction"], peer: string, req: Request, status: AccessLogEntry["status"], start: number, attempts: number): void {
    this.sim.metrics.counter(`${this.name} sidecar ${direction} ${status}`).inc();
    if (!this.options.accessLog) return;
    this.log.push({ time: start, direction, peer, request: describeRequest(req), status, durationMs: this.sim.now - start, attempts });
  }

  /** Access-log lines in an Envoy-like text format. */
  accessLogText(limit = 20): string {
    return this.log
      .slice(0, limit)
      .map((e) => `[${e.time} ms] ${e.direction} ${e.peer} "${e.request}" ${e.status} ${e.durationMs} ms attempts=${e.attempts}`)
      .join("\n");
  }

  [DISPLAY](): MimeBundle {
    return table([{ service: this.name, ...this.stats, "log lines": this.log.length }])[DISPLAY]();
  }
}
