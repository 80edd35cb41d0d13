// The reference solution of the api-gateway build challenge, with switches that turn it into
// known-wrong answers. It lives with the tests (reference solutions never ship); the bench
// imports it to time a full check.
import { response, type Response } from "sde-lab";
import type { GatewayBuild, GatewayRequest, GatewayMiddleware } from "../../../src/lab/challenges/build-microservices/api-gateway";

export interface GatewayOptions {
  firstMatch?: boolean;
  globalLimit?: boolean;
  ignoreScopes?: boolean;
  forwardTimeoutMs?: number;
}
export function gateway(o: GatewayOptions = {}): GatewayBuild {
  return {
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
        const matches = kit.routes.filter((r) => req.path === r.prefix || req.path.startsWith(`${r.prefix}/`));
        const r = o.firstMatch ? matches[0] : [...matches].sort((a, b) => b.prefix.length - a.prefix.length)[0];
        if (!r) return response(404);
        if (!o.ignoreScopes && r.scope && !req.scopes!.includes(r.scope)) return response(403);
        req.route = r;
        return next(req);
      };
      const limit: GatewayMiddleware = async (req, next) => {
        const key = `${o.globalLimit ? "all" : req.client}@${Math.floor(kit.now() / 1000)}`;
        const n = (counts.get(key) ?? 0) + 1;
        counts.set(key, n);
        return n > kit.limitPerSecond ? response(429) : next(req);
      };
      const forward: GatewayMiddleware = async (req: GatewayRequest): Promise<Response> => {
        try {
          return await kit.call(req.route!.service, { method: req.method, path: req.path, headers: { "x-client": req.client! } }, { timeoutMs: o.forwardTimeoutMs ?? req.route!.timeoutMs });
        } catch {
          return response(504);
        }
      };
      return { auth, route, limit, forward };
    },
  };
}
