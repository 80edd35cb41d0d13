/**
 * The request/response shape calls between simulated nodes use: HTTP-like, plain data.
 */

/** A request to a node. */
export interface Request {
  /** `GET`, `POST`, ... */
  method: string;
  /** Path with optional query, e.g. `/orders/42?fields=id`. */
  path: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** Any payload. */
  body?: unknown;
  /** Client identity, for gateways and sidecars (e.g. the calling node). */
  client?: string;
}

/** A node's answer. */
export interface Response {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

/** Builds a request; `GET /` by default. */
export function request(method = "GET", path = "/", init: { headers?: Record<string, string>; body?: unknown } = {}): Request {
  return { method, path, headers: lowerCaseKeys(init.headers ?? {}), body: init.body };
}

/** Builds a response. */
export function response(status: number, body?: unknown, headers?: Record<string, string>): Response {
  // Most answers carry no headers: one empty object, not a default and its lower-cased copy.
  return { status, headers: headers === undefined ? {} : lowerCaseKeys(headers), body };
}

/** A 200 response. */
export function ok(body?: unknown, headers?: Record<string, string>): Response {
  return response(200, body, headers);
}

/** Accepts `"GET /path"`, a path, or a full request. */
export function toRequest(input: Request | string): Request {
  if (typeof input !== "string") return { ...input, headers: lowerCaseKeys(input.headers ?? {}) };
  const m = /^([A-Z]+)\s+(\S+)$/.exec(input.trim());
  return m ? request(m[1], m[2]) : request("GET", input);
}

/** A one-line description: `GET /orders/1`. */
export function describeRequest(req: Request): string {
  return `${req.method} ${req.path}`;
}

/** True for a {@link Response}-shaped value (a status number and a headers object). */
export function isResponse(value: unknown): value is Response {
  return typeof value === "object" && value !== null && typeof (value as Response).status === "number" && typeof (value as Response).headers === "object";
}

/** True for 2xx. */
export function isSuccess(res: Response): boolean {
  return res.status >= 200 && res.status < 300;
}

function lowerCaseKeys(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  // for-in over own keys: the order of Object.entries, without an array of pairs per call.
  for (const k in h) if (Object.prototype.hasOwnProperty.call(h, k)) out[k.toLowerCase()] = h[k]!;
  return out;
}

/** Reason phrases (RFC 9110) of the status codes the lab answers with: one table for every section. */
export const STATUS_TEXT: Readonly<Record<number, string>> = {
  101: "Switching Protocols",
  200: "OK",
  201: "Created",
  204: "No Content",
  304: "Not Modified",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  409: "Conflict",
  412: "Precondition Failed",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};
