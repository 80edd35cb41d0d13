/**
 * HTTP/1.1 over the simulated {@link Connection}s: messages counted byte for byte as they
 * would be written (request line, headers, blank line, body; chunked bodies for streams), a
 * server per node that routes requests to handlers, and a client with a browser-like pool of
 * keep-alive connections.
 *
 * HTTP/1.1 carries one request at a time per connection: the next request on that
 * connection waits until the response is complete (pipelining exists in the RFC but
 * browsers never shipped it). Browsers open up to 6 connections per origin, so a seventh
 * request waits for one to free up: head-of-line blocking.
 *
 * Simplifications: requests carry only a few headers (real browsers add cookies, user agent
 * hints and more, often 500+ bytes), nothing is compressed, no TLS.
 */
import { ConfigError, nonNegative, wholeNumber } from "../errors";
import { CallError } from "../sim/call-errors";
import type { Simulation } from "../sim/simulation";
import { utf8Length } from "./encoding";
import { ConnectionError, wireOf, type CloseReason, type Connection, type Frame } from "./transport";

/** An HTTP request. Header names are lower case. */
export interface HttpRequest {
  method: string;
  /** Path and query, e.g. `/posts?limit=20`. */
  path: string;
  headers: Record<string, string>;
  /** The body as text (JSON is sent as its text). */
  body?: string;
}

/** An HTTP response. Header names are lower case. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body?: string;
}

import { STATUS_TEXT } from "../sim/http";
export { STATUS_TEXT };

const headerLines = (headers: Record<string, string>) => Object.entries(headers).reduce((n, [k, v]) => n + utf8Length(k) + 2 + utf8Length(v) + 2, 0);

/** Bytes of a request as written on the wire: request line, headers, blank line, body. */
export function requestBytes(req: HttpRequest): number {
  return utf8Length(`${req.method} ${req.path} HTTP/1.1\r\n`) + headerLines(req.headers) + 2 + (req.body === undefined ? 0 : utf8Length(req.body));
}

/** Bytes of a response head: status line, headers, blank line. */
export function responseHeadBytes(res: Pick<HttpResponse, "status" | "headers">): number {
  return utf8Length(`HTTP/1.1 ${res.status} ${STATUS_TEXT[res.status] ?? ""}\r\n`) + headerLines(res.headers) + 2;
}

/** Bytes of a whole response with a `content-length` body. */
export function responseBytes(res: HttpResponse): number {
  return responseHeadBytes(res) + (res.body === undefined ? 0 : utf8Length(res.body));
}

/** Bytes of one chunk of a chunked body: size in hex, CRLF, data, CRLF. */
export function chunkBytes(text: string): number {
  const n = utf8Length(text);
  return n.toString(16).length + 2 + n + 2;
}

/** Builds a request; header names are lower-cased. A non-string body is sent as JSON. */
export function httpRequest(method: string, path: string, init: { headers?: Record<string, string>; body?: unknown } = {}): HttpRequest {
  const headers = lower(init.headers ?? {});
  let body: string | undefined;
  if (init.body !== undefined) {
    body = typeof init.body === "string" ? init.body : JSON.stringify(init.body);
    if (typeof init.body !== "string") headers["content-type"] ??= "application/json";
  }
  return { method: method.toUpperCase(), path, headers, ...(body !== undefined ? { body } : {}) };
}

/** A JSON response with `content-type` and `content-length` set. */
export function jsonResponse(status: number, value: unknown, headers: Record<string, string> = {}): HttpResponse {
  const body = JSON.stringify(value);
  return { status, headers: { "content-type": "application/json", "content-length": String(utf8Length(body)), ...lower(headers) }, body };
}

/** A response without a body (`204`, `304`). */
export function emptyResponse(status: number, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: lower(headers) };
}

/** Parses a JSON body; undefined when there is none or it is not JSON. */
export function parseJson(body: string | undefined): unknown {
  if (body === undefined || body === "") return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

function lower(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}

/** What HTTP/1.1 frames carry on a {@link Connection}. */
export type Http1Message =
  | { kind: "request"; request: HttpRequest }
  | { kind: "response"; response: HttpResponse }
  | { kind: "head"; response: HttpResponse }
  | { kind: "chunk"; text: string }
  | { kind: "end" };

const describeSize = (n: number) => (n < 1000 ? `${n} B` : `${(n / 1000).toFixed(1)} KB`);

/** A response body written piece by piece (chunked transfer encoding), e.g. an event stream. */
export interface ResponseStream {
  /** Sends a piece of the body now. Ignored once the connection is gone. */
  write(text: string, label?: string): void;
  /** Ends the body (the terminating zero-size chunk). */
  end(): void;
  /** False once the client went away or the stream ended. */
  readonly open: boolean;
  /** Called once when the connection closes or breaks. */
  onClose(listener: (reason: CloseReason) => void): void;
}

/** What a handler gets besides the request. */
export interface HttpContext {
  readonly sim: Simulation;
  /** The server node's name. */
  readonly node: string;
  /** The connection the request came on. */
  readonly connection: Connection;
  /** Starts a streamed response (chunked); the handler then returns nothing. */
  stream(status: number, headers: Record<string, string>): ResponseStream;
  /** Answers `101 Switching Protocols` and hands the connection over; the handler then returns nothing. */
  upgrade(headers: Record<string, string>): Connection;
}

/** Answers a request: a response, or nothing when it streamed or upgraded. */
export type HttpHandler = (req: HttpRequest, ctx: HttpContext) => Promise<HttpResponse | void> | HttpResponse | void;

/** Counts of an {@link HttpServer}. */
export interface HttpServerStats {
  requests: number;
  /** Bytes received, requests only. */
  bytesIn: number;
  /** Bytes sent, responses and streamed chunks. */
  bytesOut: number;
}

interface Route {
  name: string;
  match: (req: HttpRequest) => boolean;
  handler: HttpHandler;
}

/**
 * The HTTP/1.1 server of one node. Several APIs can share it (REST, GraphQL, SSE, long
 * polling, WebSocket upgrades): each adds a route; the first route that matches answers.
 */
export class HttpServer {
  readonly stats: HttpServerStats = { requests: 0, bytesIn: 0, bytesOut: 0 };
  private readonly routes: Route[] = [];

  constructor(
    readonly sim: Simulation,
    readonly node: string,
  ) {
    if (!sim.hasNode(node)) sim.service(node, () => ({ status: 400, headers: {}, body: { error: `${node} speaks HTTP over sde-lab connections; call it with HttpClient` } }));
    wireOf(sim).listen(node, "http/1.1", (c) => this.accept(c));
  }

  /** Adds a route; `name` shows in 404 answers. */
  route(name: string, match: (req: HttpRequest) => boolean, handler: HttpHandler): void {
    this.routes.push({ name, match, handler });
  }

  private accept(connection: Connection): void {
    connection.onServerFrame = (frame) => {
      const message = frame.data as Http1Message;
      if (message.kind !== "request") return;
      this.stats.requests++;
      this.stats.bytesIn += frame.bytes;
      void this.answer(message.request, connection);
    };
  }

  private async answer(req: HttpRequest, connection: Connection): Promise<void> {
    const send = (frame: Frame) => {
      this.stats.bytesOut += frame.bytes;
      connection.send("server", frame);
    };
    let streamed = false;
    const closeListeners: ((reason: CloseReason) => void)[] = [];
    const previousClose = connection.onServerClose;
    connection.onServerClose = (reason) => {
      previousClose(reason);
      for (const l of closeListeners) l(reason);
    };
    const ctx: HttpContext = {
      sim: this.sim,
      node: this.node,
      connection,
      stream: (status, headers) => {
        streamed = true;
        const head: HttpResponse = { status, headers: { ...lower(headers), "transfer-encoding": "chunked" } };
        send({ bytes: responseHeadBytes(head), label: `${status} ${head.headers["content-type"] ?? ""} (stream)`.replace("  ", " "), data: { kind: "head", response: head } satisfies Http1Message });
        let ended = false;
        return {
          write: (text, label) => {
            if (ended || !connection.open) return;
            send({ bytes: chunkBytes(text), ...(label ? { label } : {}), data: { kind: "chunk", text } satisfies Http1Message });
          },
          end: () => {
            if (ended || !connection.open) return;
            ended = true;
            send({ bytes: 5, label: "end of stream", data: { kind: "end" } satisfies Http1Message });
          },
          get open() {
            return !ended && connection.open;
          },
          onClose: (listener) => void closeListeners.push(listener),
        };
      },
      upgrade: (headers) => {
        streamed = true;
        const head: HttpResponse = { status: 101, headers: lower(headers) };
        send({ bytes: responseHeadBytes(head), label: "101 Switching Protocols", data: { kind: "head", response: head } satisfies Http1Message });
        return connection;
      },
    };
    let res: HttpResponse | void;
    const route = this.routes.find((r) => r.match(req));
    try {
      res = route ? await route.handler(req, ctx) : jsonResponse(404, { error: `no route for ${req.method} ${pathOnly(req.path)} on ${this.node}`, routes: this.routes.map((r) => r.name) });
    } catch (error) {
      res = jsonResponse(500, { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    }
    if (streamed || !res || !connection.open) return;
    if (!this.sim.node(this.node).up) return;
    const bytes = responseBytes(res);
    send({ bytes, label: `${res.status} ${STATUS_TEXT[res.status] ?? ""}${res.body !== undefined ? ` (${describeSize(utf8Length(res.body))})` : ""}`, data: { kind: "response", response: res } satisfies Http1Message });
  }
}

const servers = new WeakMap<Simulation, Map<string, HttpServer>>();

/** The HTTP/1.1 server of `node` (created, with its node, on first use). */
export function httpServer(sim: Simulation, node: string): HttpServer {
  let map = servers.get(sim);
  if (!map) servers.set(sim, (map = new Map()));
  let server = map.get(node);
  if (!server) map.set(node, (server = new HttpServer(sim, node)));
  return server;
}

/** The path without its query string. */
export function pathOnly(path: string): string {
  return path.split("?")[0]!;
}

/** The query parameters of a path. */
export function queryOf(path: string): Record<string, string> {
  const q = path.split("?")[1];
  const out: Record<string, string> = {};
  if (!q) return out;
  for (const part of q.split("&")) {
    const [k, v = ""] = part.split("=");
    if (k) out[decodeURIComponent(k)] = decodeURIComponent(v);
  }
  return out;
}

/** The request waited longer than its timeout; the connection it used is closed. */
export class HttpTimeoutError extends CallError {
  override name = "HttpTimeoutError";
  constructor(
    readonly request: string,
    readonly timeoutMs: number,
  ) {
    super(`${request}: no response within ${timeoutMs} ms (the server may still have acted on it)`, "info");
  }
}

/** Options of an {@link HttpClient}. Defaults are in {@link HTTP_CLIENT_DEFAULTS}. */
export interface HttpClientOptions {
  /** Keep-alive connections per server at most (browsers: 6 per origin). */
  maxConnections?: number;
  /** How long a request waits for its response, ms (`Infinity`: forever). */
  timeoutMs?: number;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
}

/** Defaults: 6 connections per origin as in Chrome and Firefox, 30 s timeout, a small header set. */
export const HTTP_CLIENT_DEFAULTS = {
  maxConnections: 6,
  timeoutMs: 30_000,
  headers: { "user-agent": "sde-lab/1.0", accept: "application/json" } as Readonly<Record<string, string>>,
} as const;

/** Counts of an {@link HttpClient}. */
export interface HttpClientStats {
  /** Requests sent (each one is a round trip). */
  requests: number;
  /** Connections opened (each costs a round trip before its first request). */
  connections: number;
  /** Bytes sent, framing and headers included. */
  bytesUp: number;
  /** Bytes received, framing and headers included. */
  bytesDown: number;
  /** Bytes of response bodies only. */
  bodyBytes: number;
  /** Requests that had to wait for a free connection. */
  queued: number;
}

interface Slot {
  connection: Connection;
  busy: boolean;
  /** Resolves the request in flight on this connection. */
  waiting?: (frame: Frame | CloseReason) => void;
}

/** A streamed response being received. */
export interface HttpStream {
  /** The response head (status and headers). */
  readonly response: HttpResponse;
  /** The connection it arrives on (closing it ends the stream). */
  readonly connection: Connection;
  /** Stops receiving: closes the connection. */
  close(): void;
}

/** Handlers of {@link HttpClient.stream}. */
export interface HttpStreamHandlers {
  /** A piece of the body. */
  onChunk(text: string): void;
  /** The stream ended: `end` (the server finished it), `closed` or `reset`. */
  onEnd(reason: "end" | CloseReason): void;
}

/**
 * An HTTP/1.1 client on a node, talking to one server node over a pool of keep-alive
 * connections (at most {@link HttpClientOptions.maxConnections}; further requests queue).
 */
export class HttpClient {
  readonly stats: HttpClientStats = { requests: 0, connections: 0, bytesUp: 0, bytesDown: 0, bodyBytes: 0, queued: 0 };
  private readonly maxConnections: number;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;
  private readonly slots: Slot[] = [];
  private opening = 0;
  private readonly queue: { resolve: (slot: Slot) => void; reject: (error: unknown) => void }[] = [];

  constructor(
    readonly sim: Simulation,
    /** The calling node (created as a client node if missing). */
    readonly from: string,
    /** The server node. */
    readonly to: string,
    options: HttpClientOptions = {},
  ) {
    if (!sim.hasNode(from)) sim.client(from);
    if (!sim.hasNode(to)) throw new ConfigError("HttpClient", "to", to, "the name of an existing server node (create the server first)");
    this.maxConnections = wholeNumber("HttpClient", "maxConnections", options.maxConnections ?? HTTP_CLIENT_DEFAULTS.maxConnections);
    const timeoutMs = options.timeoutMs ?? HTTP_CLIENT_DEFAULTS.timeoutMs;
    this.timeoutMs = timeoutMs === Infinity ? Infinity : nonNegative("HttpClient", "timeoutMs", timeoutMs, Number.MIN_VALUE);
    this.headers = { host: to, ...HTTP_CLIENT_DEFAULTS.headers, ...lower(options.headers ?? {}) };
  }

  /** Open connections in the pool. */
  get openConnections(): number {
    return this.slots.filter((s) => s.connection.open).length;
  }

  /**
   * Sends a request and resolves with the whole response.
   * @throws {@link HttpTimeoutError} after the timeout; {@link ConnectionError} when the connection fails or breaks
   */
  async request(req: HttpRequest | string, options: { timeoutMs?: number } = {}): Promise<HttpResponse> {
    const request = typeof req === "string" ? toHttpRequest(req) : req;
    const full: HttpRequest = { ...request, headers: { ...this.headers, ...lower(request.headers) } };
    if (full.body !== undefined) full.headers["content-length"] = String(utf8Length(full.body));
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const slot = await this.acquire();
    const label = describe(full);
    const bytes = requestBytes(full);
    this.stats.requests++;
    this.stats.bytesUp += bytes;
    return new Promise<HttpResponse>((resolve, reject) => {
      const timer =
        timeoutMs === Infinity
          ? undefined
          : this.sim.wakeAt(this.sim.now + timeoutMs, () => {
              slot.waiting = undefined;
              // An HTTP/1.1 connection with an unfinished response cannot carry another request.
              slot.connection.reset("request timed out");
              reject(new HttpTimeoutError(label, timeoutMs));
            });
      slot.waiting = (got) => {
        slot.waiting = undefined;
        timer?.cancel();
        if (typeof got === "string") {
          reject(new ConnectionError(`${label}: the connection to ${this.to} was ${got === "reset" ? "reset" : "closed"} before the response came`, "ECONNRESET"));
          return;
        }
        const message = got.data as Http1Message;
        if (message.kind !== "response") return;
        this.stats.bytesDown += got.bytes;
        this.stats.bodyBytes += message.response.body === undefined ? 0 : utf8Length(message.response.body);
        this.release(slot);
        resolve(message.response);
      };
      slot.connection.send("client", { bytes, label, data: { kind: "request", request: full } satisfies Http1Message });
    });
  }

  /**
   * Sends a request whose response is streamed (an event stream). The stream holds one of the
   * pool's connections for as long as it lasts, as in a browser over HTTP/1.1: with
   * {@link HttpClientOptions.maxConnections} streams open, every further request and stream
   * waits for one to end. Resolves once the response head arrives.
   */
  async stream(req: HttpRequest | string, handlers: HttpStreamHandlers): Promise<HttpStream> {
    const request = typeof req === "string" ? toHttpRequest(req) : req;
    const full: HttpRequest = { ...request, headers: { ...this.headers, ...lower(request.headers) } };
    const slot = await this.acquire();
    const connection = slot.connection;
    const label = describe(full);
    const bytes = requestBytes(full);
    this.stats.requests++;
    this.stats.bytesUp += bytes;
    return new Promise<HttpStream>((resolve, reject) => {
      let started = false;
      const finish = (reason: "end" | CloseReason) => {
        slot.waiting = undefined;
        // A finished response leaves a reusable keep-alive connection; a closed one left the pool.
        if (reason === "end") this.release(slot);
        handlers.onEnd(reason);
      };
      slot.waiting = (got) => {
        if (typeof got === "string") {
          if (!started) {
            slot.waiting = undefined;
            reject(new ConnectionError(`${label}: the connection to ${this.to} was ${got} before the response came`, "ECONNRESET"));
          } else finish(got);
          return;
        }
        this.stats.bytesDown += got.bytes;
        const message = got.data as Http1Message;
        if (message.kind === "head" || message.kind === "response") {
          started = true;
          if (message.kind === "response") this.stats.bodyBytes += message.response.body === undefined ? 0 : utf8Length(message.response.body);
          resolve({ response: message.response, connection, close: () => connection.close("client") });
          if (message.kind === "response") {
            // A whole response: hand over its body after the caller has seen the head.
            const body = message.response.body;
            slot.waiting = undefined;
            this.sim.wake(() => {
              if (body) handlers.onChunk(body);
              finish("end");
            }, undefined);
          }
        } else if (message.kind === "chunk") {
          this.stats.bodyBytes += utf8Length(message.text);
          handlers.onChunk(message.text);
        } else if (message.kind === "end") finish("end");
      };
      connection.send("client", { bytes, label, data: { kind: "request", request: full } satisfies Http1Message });
    });
  }

  /** Closes every pooled connection. */
  close(): void {
    for (const s of this.slots) s.connection.close("client");
  }

  private acquire(): Promise<Slot> {
    const idle = this.slots.find((s) => !s.busy && s.connection.open);
    if (idle) {
      idle.busy = true;
      return Promise.resolve(idle);
    }
    const live = this.slots.filter((s) => s.connection.open).length + this.opening;
    if (live < this.maxConnections) {
      this.opening++;
      return wireOf(this.sim)
        .connect(this.from, this.to, "http/1.1")
        .then(
          (connection) => {
            this.opening--;
            this.stats.connections++;
            const slot: Slot = { connection, busy: true };
            connection.onClientFrame = (frame) => slot.waiting?.(frame);
            connection.onClientClose = (reason) => {
              this.slots.splice(this.slots.indexOf(slot), 1);
              slot.waiting?.(reason);
              // A queued request may now open a connection of its own.
              this.retryQueued();
            };
            this.slots.push(slot);
            return slot;
          },
          (error: unknown) => {
            this.opening--;
            // The next queued request tries a connection of its own (and fails the same way if the server is unreachable).
            this.retryQueued();
            throw error;
          },
        );
    }
    this.stats.queued++;
    return new Promise((resolve, reject) => this.queue.push({ resolve, reject }));
  }

  private retryQueued(): void {
    const next = this.queue.shift();
    if (next) this.acquire().then(next.resolve, next.reject);
  }

  private release(slot: Slot): void {
    const next = this.queue.shift();
    if (next) next.resolve(slot);
    else slot.busy = false;
  }
}

/** A request as the trace shows it: method, path, and the conditional headers that change the answer. */
function describe(req: HttpRequest): string {
  const extra = ["if-none-match", "last-event-id"].filter((h) => req.headers[h] !== undefined).map((h) => `${h === "if-none-match" ? "If-None-Match" : "Last-Event-ID"}: ${req.headers[h]}`);
  return `${req.method} ${req.path}${extra.length ? ` (${extra.join(", ")})` : ""}`;
}

/** `"GET /posts"` or a path → a request. */
export function toHttpRequest(input: string): HttpRequest {
  const m = /^([A-Za-z]+)\s+(\S+)$/.exec(input.trim());
  return m ? httpRequest(m[1]!, m[2]!) : httpRequest("GET", input.trim());
}
