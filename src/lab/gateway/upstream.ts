/**
 * One call from the gateway (or a BFF) to an upstream service, with the failures a proxy
 * turns into its own status codes:
 *
 * | what happens                                   | status | as in                               |
 * |------------------------------------------------|--------|-------------------------------------|
 * | no response within the route's timeout         | 504    | NGINX, Kong, Envoy                  |
 * | health checks on, no healthy target            | 503    | Envoy/Kong "no healthy upstream"    |
 * | health checks off, target down (conn. refused) | 502    | NGINX `connect() failed (111)`      |
 * | upstream answers (any status, 503 included)    | passed through unchanged, headers too |
 *
 * Simplifications: health is read straight from the simulation (node up, link not cut in
 * either direction) — an ideal active health check with no detection delay. A refused
 * connection fails at once; a real RST costs one round trip. A partitioned target with
 * health checks off black-holes the request, so the caller waits for its timeout (504), as
 * a real proxy does when packets vanish.
 */
import { TimeoutError } from "../sim/call-errors";
import { response, type Request, type Response } from "../sim/http";
import type { ServiceContext } from "../sim/node";
import { linked } from "../sim/rpc";

/** How an upstream call ended. */
export type UpstreamResult =
  | { readonly kind: "answered"; readonly response: Response }
  | { readonly kind: "timeout" | "no healthy upstream" | "connection refused"; readonly response: Response };

/** Whether `target` looks healthy from `from` (up, and reachable both ways). */
export function isHealthy<S>(ctx: ServiceContext<S>, from: string, target: string): boolean {
  const sim = ctx.sim;
  return sim.node(target).up && linked(sim, from, target);
}

/** Calls `target` with `req`, mapping failures to proxy statuses (see the table above). */
export async function callUpstream<S>(ctx: ServiceContext<S>, target: string, req: Request, timeoutMs: number, healthChecks: boolean): Promise<UpstreamResult> {
  const from = ctx.node.name;
  if (healthChecks && !isHealthy(ctx, from, target)) {
    return { kind: "no healthy upstream", response: response(503, { error: "no healthy upstream", upstream: target }) };
  }
  if (!healthChecks && !ctx.sim.node(target).up) {
    return { kind: "connection refused", response: response(502, { error: "bad gateway: connection refused", upstream: target }) };
  }
  try {
    // The gateway hands over a request it built for this call, already naming its client.
    return { kind: "answered", response: await ctx.call(target, req.client === from ? req : { ...req, client: from }, { timeoutMs }) };
  } catch (error) {
    if (error instanceof TimeoutError) {
      return { kind: "timeout", response: response(504, { error: `gateway timeout: no answer from ${target} within ${timeoutMs} ms`, upstream: target }) };
    }
    throw error;
  }
}

/** Picks the first healthy target of a list, in round-robin order from `start`. */
export function pickTarget<S>(ctx: ServiceContext<S>, targets: readonly string[], start: number, healthChecks: boolean): string | undefined {
  for (let i = 0; i < targets.length; i++) {
    const t = targets[(start + i) % targets.length]!;
    if (!healthChecks || isHealthy(ctx, ctx.node.name, t)) return t;
  }
  return undefined;
}
