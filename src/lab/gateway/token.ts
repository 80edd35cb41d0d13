/**
 * Signed bearer tokens in the JWT compact form (RFC 7519) with the HS256 algorithm:
 * `base64url(header).base64url(claims).base64url(HMAC-SHA-256(secret, header.claims))`.
 * Real tokens, byte for byte: one made here verifies with any JWT library given the same
 * secret. Only HS256 is accepted; a token naming another algorithm (including `none`) is
 * refused, as it must be.
 *
 * Times: `exp` and `iat` are NumericDates (seconds), counted on the simulation's virtual
 * clock from t = 0, not from 1970.
 */
import { ConfigError, nonNegative } from "../errors";
import { base64url, equalBytes, fromBase64url, fromUtf8, hmacSha256 } from "./hmac";

/** The claims the gateway reads. Other claims are kept and passed along. */
export interface TokenClaims {
  /** Subject: the client or user the token was issued to. */
  sub: string;
  /** OAuth scopes, space-separated, e.g. `orders:read orders:write`. */
  scope?: string;
  /** Roles, e.g. `["admin"]`. */
  roles?: string[];
  /** Expiry, seconds of virtual time: the token is refused from this second on. */
  exp?: number;
  /** Issued at, seconds of virtual time. */
  iat?: number;
  [claim: string]: unknown;
}

/** Why a token was refused. */
export type TokenProblem = "malformed" | "unsupported algorithm" | "bad signature" | "expired";

/** The result of {@link verifyToken}. */
export type TokenCheck = { readonly valid: true; readonly claims: TokenClaims } | { readonly valid: false; readonly problem: TokenProblem };

/** Options of {@link signToken}. */
export interface SignOptions {
  /** Virtual time of issue, ms (becomes `iat`, in seconds). Default 0. */
  nowMs?: number;
  /** Lifetime in seconds from `nowMs` (sets `exp`). Default: no expiry unless `claims.exp`. */
  expiresInSec?: number;
}

/** Makes an HS256 token for `claims`, signed with `secret`. */
export function signToken(claims: TokenClaims, secret: string, options: SignOptions = {}): string {
  if (typeof secret !== "string" || secret.length === 0) throw new ConfigError("signToken", "secret", secret, "a non-empty string");
  if (typeof claims?.sub !== "string" || claims.sub.length === 0) throw new ConfigError("signToken", "claims.sub", claims?.sub, "a non-empty string");
  const nowMs = nonNegative("signToken", "nowMs", options.nowMs ?? 0);
  const body: TokenClaims = { ...claims, iat: claims.iat ?? Math.floor(nowMs / 1000) };
  if (options.expiresInSec !== undefined) body.exp = Math.floor(nowMs / 1000) + nonNegative("signToken", "expiresInSec", options.expiresInSec);
  const signingInput = `${base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${base64url(JSON.stringify(body))}`;
  return `${signingInput}.${base64url(hmacSha256(secret, signingInput))}`;
}

/**
 * Checks a token's form, algorithm, signature and expiry at virtual time `nowMs`. Expired
 * means `now ≥ exp` (RFC 7519 §4.1.4: it must not be accepted on or after that time).
 */
export function verifyToken(token: string, secret: string, nowMs: number): TokenCheck {
  const parts = typeof token === "string" ? token.split(".") : [];
  if (parts.length !== 3) return { valid: false, problem: "malformed" };
  const [head, payload, signature] = parts as [string, string, string];
  const header = parseJson(head);
  const claims = parseJson(payload);
  const sig = fromBase64url(signature);
  if (!header || !claims || !sig) return { valid: false, problem: "malformed" };
  if (header.alg !== "HS256") return { valid: false, problem: "unsupported algorithm" };
  if (!equalBytes(sig, hmacSha256(secret, `${head}.${payload}`))) return { valid: false, problem: "bad signature" };
  if (typeof claims.sub !== "string") return { valid: false, problem: "malformed" };
  if (claims.exp !== undefined && (typeof claims.exp !== "number" || nowMs / 1000 >= claims.exp)) return { valid: false, problem: "expired" };
  return { valid: true, claims: claims as TokenClaims };
}

/** The claims of a token without checking anything (for display only). */
export function decodeToken(token: string): Record<string, unknown> | undefined {
  return parseJson(token.split(".")[1] ?? "");
}

function parseJson(part: string): Record<string, unknown> | undefined {
  const bytes = fromBase64url(part);
  if (!bytes) return undefined;
  try {
    const value: unknown = JSON.parse(fromUtf8(bytes));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
