/**
 * Authentication at the gateway: who is calling? Accepts an API key (in `x-api-key`, as AWS
 * API Gateway does) or a bearer token (`Authorization: Bearer <HS256 JWT>`, see
 * {@link verifyToken}). The result is an {@link Identity}: a subject and the grants (scopes
 * and roles) that authorisation checks routes against.
 */
import { ConfigError } from "../errors";
import type { Request } from "../sim/http";
import { verifyToken, type TokenProblem } from "./token";

/** What an API key stands for. */
export interface ApiKeyGrant {
  /** The client the key belongs to (the rate-limit key, the `x-client-id` sent upstream). */
  client: string;
  /** Scopes or roles the key carries. */
  scopes?: string[];
}

/** How the gateway authenticates. Defaults are in {@link GATEWAY_AUTH_DEFAULTS}. */
export interface GatewayAuthOptions {
  /** Valid API keys and whom they identify. */
  apiKeys?: Record<string, ApiKeyGrant>;
  /** Secret that HS256 bearer tokens must be signed with; without it tokens are refused. */
  jwtSecret?: string;
  /** Header carrying the API key (lower case). */
  apiKeyHeader?: string;
}

/** Defaults: the API key header AWS API Gateway uses. */
export const GATEWAY_AUTH_DEFAULTS = { apiKeyHeader: "x-api-key" } as const;

/** An authenticated caller. */
export interface Identity {
  /** The client or user: the JWT `sub`, or the API key's client. */
  readonly subject: string;
  /** Scopes and roles: JWT `scope` (split on spaces) plus `roles`, or the key's scopes. */
  readonly grants: readonly string[];
  /** How the caller proved who it is. */
  readonly via: "api key" | "jwt" | "none";
  /** The token's expiry in ms of virtual time, when it has one. */
  readonly expiresAtMs?: number;
}

/** The outcome of {@link GatewayAuthenticator.authenticate}. */
export type AuthOutcome =
  | { readonly ok: true; readonly identity: Identity }
  | { readonly ok: false; readonly reason: "missing credentials" | "unknown api key" | "bearer tokens not accepted" | `invalid token: ${TokenProblem}` };

/** Checks credentials on requests. */
export class GatewayAuthenticator {
  private readonly apiKeys: ReadonlyMap<string, ApiKeyGrant>;
  private readonly jwtSecret: string | undefined;
  readonly apiKeyHeader: string;

  constructor(options: GatewayAuthOptions = {}) {
    this.apiKeys = new Map(Object.entries(options.apiKeys ?? {}));
    for (const [key, grant] of this.apiKeys) {
      if (typeof grant?.client !== "string" || grant.client === "") throw new ConfigError("GatewayAuth", `apiKeys["${key}"].client`, grant?.client, "a non-empty string");
    }
    if (options.jwtSecret !== undefined && (typeof options.jwtSecret !== "string" || options.jwtSecret === "")) {
      throw new ConfigError("GatewayAuth", "jwtSecret", options.jwtSecret, "a non-empty string");
    }
    this.jwtSecret = options.jwtSecret;
    this.apiKeyHeader = (options.apiKeyHeader ?? GATEWAY_AUTH_DEFAULTS.apiKeyHeader).toLowerCase();
  }

  /** False when neither keys nor a token secret are configured: every caller is let in as itself. */
  get enabled(): boolean {
    return this.apiKeys.size > 0 || this.jwtSecret !== undefined;
  }

  /** True when bearer tokens are accepted (a token secret is configured). */
  get acceptsTokens(): boolean {
    return this.jwtSecret !== undefined;
  }

  /** Who sent `req`, checked at virtual time `nowMs`. A bearer token wins over an API key. */
  authenticate(req: Request, nowMs: number): AuthOutcome {
    if (!this.enabled) return { ok: true, identity: { subject: req.client ?? "anonymous", grants: [], via: "none" } };
    const authorization = req.headers["authorization"];
    const bearer = authorization ? /^Bearer\s+(\S+)$/i.exec(authorization.trim())?.[1] : undefined;
    if (bearer !== undefined) {
      if (this.jwtSecret === undefined) return { ok: false, reason: "bearer tokens not accepted" };
      const check = verifyToken(bearer, this.jwtSecret, nowMs);
      if (!check.valid) return { ok: false, reason: `invalid token: ${check.problem}` };
      const { sub, scope, roles, exp } = check.claims;
      const grants = [...(typeof scope === "string" ? scope.split(/\s+/).filter(Boolean) : []), ...(Array.isArray(roles) ? roles.map(String) : [])];
      return { ok: true, identity: { subject: sub, grants, via: "jwt", ...(typeof exp === "number" ? { expiresAtMs: exp * 1000 } : {}) } };
    }
    const key = req.headers[this.apiKeyHeader];
    if (key !== undefined) {
      const grant = this.apiKeys.get(key);
      if (!grant) return { ok: false, reason: "unknown api key" };
      return { ok: true, identity: { subject: grant.client, grants: [...(grant.scopes ?? [])], via: "api key" } };
    }
    return { ok: false, reason: "missing credentials" };
  }
}
