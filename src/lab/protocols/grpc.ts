/**
 * gRPC over a simulated HTTP/2 connection.
 *
 * A client keeps one connection to a server and runs every call on it as its own HTTP/2
 * stream (odd ids 1, 3, 5…): a call is a HEADERS frame (`:path /package.Service/Method`,
 * `content-type: application/grpc`, `grpc-timeout`), DATA frames each holding one
 * length-prefixed Protobuf message, and the server's trailers (`grpc-status`,
 * `grpc-message`). Streams are independent: a slow call does not hold up the others, which
 * is the head-of-line blocking HTTP/1.1 has between requests on one connection. The one
 * that remains is TCP's: a lost segment stalls every stream until it is resent.
 *
 * The four kinds of RPC follow from which side sends a stream of messages: unary, server
 * streaming, client streaming and bidirectional. A deadline travels as `grpc-timeout`;
 * both sides enforce it and the call ends `DEADLINE_EXCEEDED`. Errors are status codes in
 * the trailers, as in every gRPC implementation; {@link GrpcError} mirrors grpc-js's
 * `ServiceError` (`code`, `details`, message `12 UNIMPLEMENTED: …`).
 *
 * Simplifications: HPACK is estimated (a header pair already sent on the connection costs
 * one byte, no Huffman coding), no flow control windows, no compression, no TLS.
 */
import { ConfigError, nonNegative, positive } from "../errors";
import { DISPLAY, table, type MimeBundle } from "../display";
import { CallError } from "../sim/call-errors";
import type { Simulation } from "../sim/simulation";
import { AsyncQueue } from "./async-queue";
import { utf8Length } from "./encoding";
import { grpcFrame, ProtoSchema, ProtoSchemaError, readGrpcFrame, type ProtoMethodInfo, type ProtoServiceInfo, type ProtoValue, type RpcKind } from "./protobuf";
import { wireOf, type Connection, type Frame } from "./transport";

/** gRPC status codes (the numbers every implementation uses). */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** A status code's name. */
export type GrpcStatusName = keyof typeof GrpcStatus;

/** The name of a status code number (`12` → `UNIMPLEMENTED`). */
export function grpcStatusName(code: number): GrpcStatusName | "UNKNOWN" {
  return (Object.keys(GrpcStatus) as GrpcStatusName[]).find((k) => GrpcStatus[k] === code) ?? "UNKNOWN";
}

/** A call ended with a status other than OK. */
export class GrpcError extends CallError {
  override name = "GrpcError";
  /**
   * @param code - the status code number
   * @param details - the status message (`grpc-message`)
   */
  constructor(
    readonly code: number,
    readonly details: string,
    readonly metadata: Record<string, string> = {},
  ) {
    // As in grpc-js. A call that never reached the server (UNAVAILABLE before sending) did
    // nothing; most others may have had effects.
    super(`${code} ${grpcStatusName(code)}: ${details}`, code === GrpcStatus.INVALID_ARGUMENT || code === GrpcStatus.UNIMPLEMENTED || code === GrpcStatus.NOT_FOUND ? "fail" : "info");
  }
}

/** One HTTP/2 frame as this simulation carries it. */
export type H2Frame =
  | { type: "HEADERS"; stream: number; headers: Record<string, string>; end: boolean }
  | { type: "DATA"; stream: number; message?: Uint8Array; end: boolean }
  | { type: "RST_STREAM"; stream: number; errorCode: number }
  | { type: "SETTINGS" }
  | { type: "GOAWAY"; lastStream: number; errorCode: number };

const FRAME_HEADER = 9;
/** The client's connection preface (24 bytes) plus an empty SETTINGS frame. */
const PREFACE_BYTES = 24 + FRAME_HEADER;

// HPACK static table entries that are whole pairs (index only), and names (literal value).
const STATIC_PAIRS = new Set([":method\u0000GET", ":method\u0000POST", ":path\u0000/", ":scheme\u0000http", ":scheme\u0000https", ":status\u0000200", ":status\u0000204", ":status\u0000206", ":status\u0000304", ":status\u0000400", ":status\u0000404", ":status\u0000500", "accept-encoding\u0000gzip, deflate"]);
const STATIC_NAMES = new Set([":authority", ":method", ":path", ":scheme", ":status", "accept", "accept-encoding", "content-length", "content-type", "user-agent", "cache-control", "date", "etag", "if-none-match", "location", "server", "te"]);

/** Estimates HPACK sizes for one direction of one connection (a dynamic table of pairs already sent). */
class HpackEstimator {
  private readonly seen = new Set<string>();
  size(headers: Record<string, string>): number {
    let n = 0;
    const str = (s: string) => {
      const len = utf8Length(s);
      return (len < 127 ? 1 : len < 255 ? 2 : 3) + len;
    };
    for (const [name, value] of Object.entries(headers)) {
      const pair = `${name}\u0000${value}`;
      if (STATIC_PAIRS.has(pair) || this.seen.has(pair)) {
        n += 1;
        continue;
      }
      this.seen.add(pair);
      n += 1 + (STATIC_NAMES.has(name) ? 0 : str(name)) + str(value);
    }
    return n;
  }
}

function frameBytes(frame: H2Frame, hpack: HpackEstimator): number {
  switch (frame.type) {
    case "HEADERS":
      return FRAME_HEADER + hpack.size(frame.headers);
    case "DATA":
      return FRAME_HEADER + (frame.message?.length ?? 0);
    case "RST_STREAM":
      return FRAME_HEADER + 4;
    case "SETTINGS":
      return FRAME_HEADER;
    case "GOAWAY":
      return FRAME_HEADER + 8;
  }
}

/** `grpc-timeout` value for a number of ms (at most 8 digits, as the spec requires). */
export function grpcTimeoutHeader(ms: number): string {
  const whole = Math.ceil(ms);
  if (whole < 100_000_000) return `${whole}m`;
  const seconds = Math.ceil(ms / 1000);
  return seconds < 100_000_000 ? `${seconds}S` : `${Math.ceil(seconds / 3600)}H`;
}

/** Parses a `grpc-timeout` value into ms; undefined when malformed. */
export function parseGrpcTimeout(value: string | undefined): number | undefined {
  const m = value === undefined ? null : /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!m) return undefined;
  const scale = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 }[m[2] as "H"];
  return Number(m[1]) * scale;
}

/** The H2 side of a connection: frame accounting shared by client and server. */
class H2Session {
  private readonly hpack = { client: new HpackEstimator(), server: new HpackEstimator() };
  /** The server sent GOAWAY: no new calls on this connection; it closes once its calls end. */
  draining = false;
  constructor(readonly connection: Connection) {}

  send(from: "client" | "server", frames: H2Frame[], label?: string): number {
    const bytes = frames.reduce((n, f) => n + frameBytes(f, this.hpack[from]), 0);
    const frame: Frame = { bytes, data: frames, ...(label ? { label } : {}) };
    this.connection.send(from, frame);
    return bytes;
  }
}

/** What a server handler gets. */
export interface ServerCall {
  readonly sim: Simulation;
  /** Method name, e.g. `GetUser`. */
  readonly method: string;
  readonly kind: RpcKind;
  /** The request (unary and server streaming); undefined for client and bidi streaming. */
  readonly request: ProtoValue | undefined;
  /** Request headers that are not HTTP/2 or gRPC protocol headers (custom metadata). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Virtual time by which the call must end (`Infinity` without a deadline). Pass what is left to calls you make. */
  readonly deadline: number;
  /** True once the client cancelled or the deadline passed: stop working. */
  readonly cancelled: boolean;
  /** Sends one message (server and bidi streaming). */
  write(message: ProtoValue): void;
  /** The client's messages (client and bidi streaming), until it half-closes. */
  messages(): AsyncIterable<ProtoValue>;
}

/**
 * A method's implementation. Unary and client streaming return the response; server and
 * bidi streaming write messages and return nothing. Throw a {@link GrpcError} to end with
 * a status; any other error ends the call `UNKNOWN` with its message, as grpc-js does.
 */
export type GrpcHandler = (call: ServerCall) => Promise<ProtoValue | void> | ProtoValue | void;

/** Options of a {@link GrpcServer}. Defaults are in {@link GRPC_SERVER_DEFAULTS}. */
export interface GrpcServerOptions {
  /** Server node (created if missing). */
  name?: string;
  /** The `.proto` (text or parsed). */
  proto: ProtoSchema | string;
  /** Service name, e.g. `social.v1.PostService`. */
  service: string;
  /** Implementations by method name; a method without one answers `UNIMPLEMENTED`. */
  handlers: Record<string, GrpcHandler>;
  /** Processing time per call at the server before the handler runs, ms. */
  serviceTimeMs?: number;
  /**
   * Age after which the server sends GOAWAY on a connection, ms, with ±10 % jitter so that
   * connections opened together do not all go at once (gRPC's `MAX_CONNECTION_AGE`). The
   * client finishes its calls on it and opens a new connection for the next ones, which lets a
   * layer-4 load balancer place it again. `Infinity` (gRPC's default): never.
   */
  maxConnectionAgeMs?: number;
  /** After GOAWAY, how long calls still running may take before the server closes the connection, ms (`MAX_CONNECTION_AGE_GRACE`; default `Infinity`). */
  maxConnectionAgeGraceMs?: number;
}

/** Defaults: node `grpc-api`, 1 ms per call, connections of any age (as gRPC). */
export const GRPC_SERVER_DEFAULTS = { name: "grpc-api", serviceTimeMs: 1, maxConnectionAgeMs: Infinity, maxConnectionAgeGraceMs: Infinity } as const;

/** Counts of a {@link GrpcServer}. */
export interface GrpcServerStats {
  /** Calls started (streams opened). */
  calls: number;
  /** Calls ended, by status name. */
  byStatus: Partial<Record<GrpcStatusName, number>>;
  /** Most streams open at once on any connection. */
  peakConcurrentStreams: number;
  /** Connections accepted. */
  connections: number;
  /** GOAWAY frames sent because a connection reached its maximum age. */
  goaways: number;
}

interface ServerStream {
  id: number;
  method?: ProtoMethodInfo;
  inbox: AsyncQueue<ProtoValue>;
  done: boolean;
  cancelled: boolean;
  headersSent: boolean;
  deadlineTimer?: { cancel(): void };
}

/** A gRPC server on a node. */
export class GrpcServer {
  readonly name: string;
  readonly service: ProtoServiceInfo;
  readonly stats: GrpcServerStats = { calls: 0, byStatus: {}, peakConcurrentStreams: 0, connections: 0, goaways: 0 };
  private readonly handlers: Record<string, GrpcHandler>;
  private readonly serviceTimeMs: number;
  private readonly maxConnectionAgeMs: number;
  private readonly maxConnectionAgeGraceMs: number;

  constructor(
    readonly sim: Simulation,
    options: GrpcServerOptions,
  ) {
    this.name = options.name ?? GRPC_SERVER_DEFAULTS.name;
    const proto = typeof options.proto === "string" ? ProtoSchema.parse(options.proto) : options.proto;
    if (!(proto instanceof ProtoSchema)) throw new ConfigError("GrpcServer", "proto", options.proto, ".proto text or a ProtoSchema");
    this.service = proto.service(options.service);
    this.handlers = { ...options.handlers };
    for (const name of Object.keys(this.handlers)) {
      if (!this.service.methods.has(name)) throw new ConfigError("GrpcServer", `handlers.${name}`, name, `a method of ${this.service.fullName} (${[...this.service.methods.keys()].join(", ")})`);
    }
    this.serviceTimeMs = nonNegative("GrpcServer", "serviceTimeMs", options.serviceTimeMs ?? GRPC_SERVER_DEFAULTS.serviceTimeMs);
    const age = options.maxConnectionAgeMs ?? GRPC_SERVER_DEFAULTS.maxConnectionAgeMs;
    this.maxConnectionAgeMs = age === Infinity ? Infinity : positive("GrpcServer", "maxConnectionAgeMs", age);
    const grace = options.maxConnectionAgeGraceMs ?? GRPC_SERVER_DEFAULTS.maxConnectionAgeGraceMs;
    this.maxConnectionAgeGraceMs = grace === Infinity ? Infinity : nonNegative("GrpcServer", "maxConnectionAgeGraceMs", grace);
    if (!sim.hasNode(this.name)) sim.service(this.name, () => ({ status: 400, headers: {}, body: { error: `${this.name} speaks gRPC; call it with GrpcClient` } }));
    wireOf(sim).listen(this.name, "h2", (c) => this.accept(c));
  }

  private accept(connection: Connection): void {
    const session = new H2Session(connection);
    const streams = new Map<number, ServerStream>();
    this.stats.connections++;
    session.send("server", [{ type: "SETTINGS" }]);
    if (this.maxConnectionAgeMs !== Infinity) {
      let lastStream = 0;
      const aged = this.sim.schedule(this.maxConnectionAgeMs * this.sim.random.uniform(0.9, 1.1), () => {
        if (!connection.open) return;
        for (const id of streams.keys()) lastStream = Math.max(lastStream, id);
        this.stats.goaways++;
        // NO_ERROR: the client finishes what runs here and opens a new connection for what comes next.
        session.send("server", [{ type: "GOAWAY", lastStream, errorCode: 0 }], "GOAWAY (max connection age)");
        if (this.maxConnectionAgeGraceMs !== Infinity) this.sim.schedule(this.maxConnectionAgeGraceMs, () => connection.close("server"));
      });
      connection.onServerClose = () => aged.cancel();
    }
    const end = (stream: ServerStream, code: number, details: string, data?: Uint8Array, label?: string) => {
      if (stream.done) return;
      stream.done = true;
      stream.deadlineTimer?.cancel();
      streams.delete(stream.id);
      const name = grpcStatusName(code);
      this.stats.byStatus[name] = (this.stats.byStatus[name] ?? 0) + 1;
      if (!connection.open || stream.cancelled) return;
      const frames: H2Frame[] = [];
      if (!stream.headersSent) frames.push({ type: "HEADERS", stream: stream.id, headers: { ":status": "200", "content-type": "application/grpc" }, end: false });
      stream.headersSent = true;
      if (data) frames.push({ type: "DATA", stream: stream.id, message: data, end: false });
      frames.push({ type: "HEADERS", stream: stream.id, headers: { "grpc-status": String(code), ...(details ? { "grpc-message": details } : {}) }, end: true });
      session.send("server", frames, `${label ? `${label} + ` : ""}grpc-status ${code} ${name} (stream ${stream.id})`);
    };
    connection.onServerFrame = (frame) => {
      for (const f of frame.data as H2Frame[]) {
        if (f.type === "SETTINGS" || f.type === "GOAWAY") continue;
        let stream = streams.get(f.stream);
        if (f.type === "HEADERS") {
          stream = { id: f.stream, inbox: new AsyncQueue(), done: false, cancelled: false, headersSent: false };
          streams.set(f.stream, stream);
          this.stats.calls++;
          this.stats.peakConcurrentStreams = Math.max(this.stats.peakConcurrentStreams, streams.size);
          this.start(stream, f.headers, end, session);
        } else if (!stream) continue;
        else if (f.type === "DATA") {
          if (f.message && stream.method) {
            try {
              stream.inbox.push(stream.method.requestType.decode(readGrpcFrame(f.message).message));
            } catch (error) {
              end(stream, GrpcStatus.INTERNAL, `Request message parsing failed: ${error instanceof Error ? error.message : String(error)}`);
            }
          }
          if (f.end) stream.inbox.close();
        } else if (f.type === "RST_STREAM") {
          stream.cancelled = true;
          stream.inbox.fail(new GrpcError(GrpcStatus.CANCELLED, "Cancelled by client"));
          end(stream, GrpcStatus.CANCELLED, "Cancelled by client");
        }
      }
    };
    const closeAged = connection.onServerClose;
    connection.onServerClose = (reason) => {
      closeAged(reason);
      for (const s of streams.values()) {
        s.cancelled = true;
        s.inbox.fail(new GrpcError(GrpcStatus.UNAVAILABLE, "Connection dropped"));
        s.done = true;
      }
      streams.clear();
    };
  }

  private start(stream: ServerStream, headers: Record<string, string>, end: (s: ServerStream, code: number, details: string, data?: Uint8Array, label?: string) => void, session: H2Session): void {
    const path = headers[":path"] ?? "";
    const [service, methodName] = path.slice(1).split("/");
    const method = service === this.service.fullName && methodName ? this.service.methods.get(methodName) : undefined;
    const handler = method ? this.handlers[method.name] : undefined;
    if (!method || !handler) {
      // Trailers-Only: the whole answer is one HEADERS frame.
      end(stream, GrpcStatus.UNIMPLEMENTED, `The server does not implement the method ${path}`);
      return;
    }
    stream.method = method;
    const timeout = parseGrpcTimeout(headers["grpc-timeout"]);
    const deadline = timeout === undefined ? Infinity : this.sim.now + timeout;
    if (deadline !== Infinity) {
      stream.deadlineTimer = this.sim.wakeAt(deadline, () => {
        stream.cancelled = true;
        stream.inbox.fail(new GrpcError(GrpcStatus.DEADLINE_EXCEEDED, "Deadline exceeded"));
        end(stream, GrpcStatus.DEADLINE_EXCEEDED, "Deadline exceeded");
      });
    }
    const metadata = Object.fromEntries(Object.entries(headers).filter(([k]) => !k.startsWith(":") && !k.startsWith("grpc-") && k !== "content-type" && k !== "te" && k !== "user-agent"));
    void (async () => {
      try {
        if (this.serviceTimeMs > 0) await this.sim.sleep(this.serviceTimeMs);
        let request: ProtoValue | undefined;
        if (!method.requestStream) {
          for await (const m of stream.inbox) {
            request ??= m;
          }
          request ??= method.requestType.decode(new Uint8Array(0));
        }
        const call: ServerCall = {
          sim: this.sim,
          method: method.name,
          kind: method.kind,
          request,
          metadata,
          deadline,
          get cancelled() {
            return stream.cancelled;
          },
          write: (message) => {
            if (!method.responseStream) throw new ConfigError(`${method.name} handler`, "write", message, `not used: ${method.name} is ${method.kind}; return the response instead`);
            if (stream.done || stream.cancelled) return;
            const bytes = grpcFrame(method.responseType.encode(message));
            const frames: H2Frame[] = [];
            if (!stream.headersSent) frames.push({ type: "HEADERS", stream: stream.id, headers: { ":status": "200", "content-type": "application/grpc" }, end: false });
            stream.headersSent = true;
            frames.push({ type: "DATA", stream: stream.id, message: bytes, end: false });
            session.send("server", frames, `DATA ${method.responseType.fullName.split(".").pop()} ${bytes.length} B (stream ${stream.id})`);
          },
          messages: () => {
            if (!method.requestStream) throw new ConfigError(`${method.name} handler`, "messages", method.kind, "a streaming request; use call.request");
            return stream.inbox;
          },
        };
        const result = await handler(call);
        if (stream.done) return;
        if (method.responseStream) return end(stream, GrpcStatus.OK, "");
        let bytes: Uint8Array;
        try {
          bytes = grpcFrame(method.responseType.encode((result ?? {}) as ProtoValue));
        } catch (error) {
          return end(stream, GrpcStatus.INTERNAL, `Response message serialization failure: ${error instanceof Error ? error.message : String(error)}`);
        }
        end(stream, GrpcStatus.OK, "", bytes, `DATA ${method.responseType.fullName.split(".").pop()} ${bytes.length} B`);
      } catch (error) {
        if (error instanceof GrpcError) end(stream, error.code, error.details);
        else if (error instanceof ProtoSchemaError) end(stream, GrpcStatus.INTERNAL, `Response message serialization failure: ${error.message}`);
        else end(stream, GrpcStatus.UNKNOWN, error instanceof Error ? error.message : String(error));
      }
    })();
  }

  /** Its counts as a one-row table. */
  [DISPLAY](): MimeBundle {
    return table([{ server: this.name, service: this.service.fullName, calls: this.stats.calls, statuses: JSON.stringify(this.stats.byStatus) }])[DISPLAY]();
  }
}

/** Options of one call. */
export interface GrpcCallOptions {
  /** How long the call may take, ms from now; sent as `grpc-timeout`. Default: the client's. */
  deadlineMs?: number;
  /** Custom metadata (request headers). */
  metadata?: Record<string, string>;
}

/** Options of a {@link GrpcClient}. Defaults are in {@link GRPC_CLIENT_DEFAULTS}. */
export interface GrpcClientOptions {
  /** Calling node (created if missing). */
  from?: string;
  /** Server node. */
  to?: string;
  /**
   * Picks the server node each time a connection opens, as a layer-4 load balancer in front of
   * several servers does (it sees connections, not calls); `to` then only names the target in
   * the `:authority` header. Default: always `to`.
   */
  connectTo?: () => string;
  /** The `.proto` (text or parsed); the client encodes with it. */
  proto: ProtoSchema | string;
  /** Service name, e.g. `social.v1.PostService`. */
  service: string;
  /** Deadline of every call unless the call sets its own, ms. gRPC has none by default: `Infinity`. */
  deadlineMs?: number;
}

/** Defaults: node `app` calling `grpc-api`, no deadline (gRPC's default). */
export const GRPC_CLIENT_DEFAULTS = { from: "app", to: "grpc-api", deadlineMs: Infinity } as const;

/** Counts of a {@link GrpcClient}. */
export interface GrpcClientStats {
  /** Calls started (each is one HTTP/2 stream). */
  calls: number;
  /** Connections opened (one, unless it broke). */
  connections: number;
  /** Bytes sent, HTTP/2 framing and headers included. */
  bytesUp: number;
  /** Bytes received, HTTP/2 framing and headers included. */
  bytesDown: number;
  /** Protobuf bytes of the messages received (without the 5-byte prefixes). */
  payloadBytes: number;
  /** Calls that ended with a status other than OK, by status name. */
  errors: Partial<Record<GrpcStatusName, number>>;
}

/** A server-streaming call: iterate it for the messages; it throws the status if not OK. */
export interface ClientReadableCall extends AsyncIterable<ProtoValue> {
  /** Cancels the call (`CANCELLED`). */
  cancel(): void;
}

/** A client-streaming call: write messages, then `end()` for the response. */
export interface ClientWritableCall {
  write(message: ProtoValue): void;
  /** Half-closes and resolves with the response. */
  end(): Promise<ProtoValue>;
  cancel(): void;
}

/** A bidirectional call: write messages and iterate the server's. */
export interface ClientDuplexCall extends AsyncIterable<ProtoValue> {
  write(message: ProtoValue): void;
  /** Half-closes: no more messages from the client. */
  end(): void;
  cancel(): void;
}

interface ClientStream {
  id: number;
  /** The connection the call runs on. */
  session: H2Session;
  method?: ProtoMethodInfo;
  inbox: AsyncQueue<ProtoValue>;
  status: Promise<void>;
  finish(code: number, details: string): void;
  done: boolean;
}

/**
 * A gRPC client on a node: one HTTP/2 connection to the server (opened on the first call,
 * again after it breaks), every call a stream on it.
 */
export class GrpcClient {
  readonly from: string;
  readonly to: string;
  readonly service: ProtoServiceInfo;
  readonly stats: GrpcClientStats = { calls: 0, connections: 0, bytesUp: 0, bytesDown: 0, payloadBytes: 0, errors: {} };
  private readonly deadlineMs: number;
  private readonly connectTo?: () => string;
  private session?: Promise<H2Session>;
  private nextStream = 1;
  private readonly streams = new Map<number, ClientStream>();

  constructor(
    readonly sim: Simulation,
    options: GrpcClientOptions,
  ) {
    this.from = options.from ?? GRPC_CLIENT_DEFAULTS.from;
    this.to = options.to ?? GRPC_CLIENT_DEFAULTS.to;
    if (!sim.hasNode(this.from)) sim.client(this.from);
    if (options.connectTo !== undefined && typeof options.connectTo !== "function") throw new ConfigError("GrpcClient", "connectTo", options.connectTo, "a function that returns a server node's name");
    if (options.connectTo) this.connectTo = options.connectTo;
    else if (!sim.hasNode(this.to)) throw new ConfigError("GrpcClient", "to", this.to, "the name of an existing server node (create the GrpcServer first)");
    const proto = typeof options.proto === "string" ? ProtoSchema.parse(options.proto) : options.proto;
    if (!(proto instanceof ProtoSchema)) throw new ConfigError("GrpcClient", "proto", options.proto, ".proto text or a ProtoSchema");
    this.service = proto.service(options.service);
    const deadlineMs = options.deadlineMs ?? GRPC_CLIENT_DEFAULTS.deadlineMs;
    this.deadlineMs = deadlineMs === Infinity ? Infinity : nonNegative("GrpcClient", "deadlineMs", deadlineMs, Number.MIN_VALUE);
  }

  /** Calls a unary method. @throws {@link GrpcError} with the call's status */
  async unary(method: string, request: ProtoValue, options: GrpcCallOptions = {}): Promise<ProtoValue> {
    const stream = await this.open(method, options, request, true);
    let response: ProtoValue | undefined;
    for await (const m of stream.inbox) response ??= m;
    await stream.status;
    return response ?? {};
  }

  /** Calls a server-streaming method: iterate the result for its messages. */
  serverStream(method: string, request: ProtoValue, options: GrpcCallOptions = {}): ClientReadableCall {
    const opened = this.open(method, options, request, true);
    return {
      [Symbol.asyncIterator]: () => {
        let iterator: AsyncIterator<ProtoValue> | undefined;
        return {
          next: async () => {
            const stream = await opened;
            iterator ??= stream.inbox[Symbol.asyncIterator]();
            const r = await iterator.next();
            if (r.done) await stream.status;
            return r;
          },
        };
      },
      cancel: () => void opened.then((s) => this.cancel(s), () => {}),
    };
  }

  /** Calls a client-streaming method: write, then `end()` for the response. */
  clientStream(method: string, options: GrpcCallOptions = {}): ClientWritableCall {
    const opened = this.open(method, options, undefined, false);
    opened.catch(() => {});
    return {
      write: (message) => void opened.then((s) => this.write(s, message), () => {}),
      end: async () => {
        const stream = await opened;
        this.halfClose(stream);
        let response: ProtoValue | undefined;
        for await (const m of stream.inbox) response ??= m;
        await stream.status;
        return response ?? {};
      },
      cancel: () => void opened.then((s) => this.cancel(s), () => {}),
    };
  }

  /** Calls a bidirectional-streaming method. */
  bidiStream(method: string, options: GrpcCallOptions = {}): ClientDuplexCall {
    const opened = this.open(method, options, undefined, false);
    opened.catch(() => {});
    return {
      write: (message) => void opened.then((s) => this.write(s, message), () => {}),
      end: () => void opened.then((s) => this.halfClose(s), () => {}),
      cancel: () => void opened.then((s) => this.cancel(s), () => {}),
      [Symbol.asyncIterator]: () => {
        let iterator: AsyncIterator<ProtoValue> | undefined;
        return {
          next: async () => {
            const stream = await opened;
            iterator ??= stream.inbox[Symbol.asyncIterator]();
            const r = await iterator.next();
            if (r.done) await stream.status;
            return r;
          },
        };
      },
    };
  }

  /** Closes the connection; calls in flight end `UNAVAILABLE`. */
  close(): void {
    void this.session?.then((s) => s.connection.close("client"), () => {});
    this.session = undefined;
  }

  private connect(): Promise<H2Session> {
    if (this.session) return this.session;
    const to = this.connectTo ? this.connectTo() : this.to;
    if (!this.sim.hasNode(to)) return Promise.reject(new ConfigError("GrpcClient", "connectTo", to, "a function that returns the name of an existing server node"));
    const opening = wireOf(this.sim)
      .connect(this.from, to, "h2")
      .then((connection) => {
        this.stats.connections++;
        const session = new H2Session(connection);
        connection.onClientFrame = (frame) => this.receive(frame, session, opening);
        connection.onClientClose = (reason) => {
          if (this.session === opening) this.session = undefined;
          for (const s of [...this.streams.values()]) if (s.session === session) s.finish(GrpcStatus.UNAVAILABLE, reason === "reset" ? "Connection dropped" : "Connection closed");
        };
        this.stats.bytesUp += PREFACE_BYTES;
        connection.send("client", { bytes: PREFACE_BYTES, data: [{ type: "SETTINGS" }] satisfies H2Frame[] });
        return session;
      });
    this.session = opening;
    opening.catch(() => {
      if (this.session === opening) this.session = undefined;
    });
    return opening;
  }

  private async open(methodName: string, options: GrpcCallOptions, request: ProtoValue | undefined, halfClose: boolean): Promise<ClientStream> {
    const method = this.service.methods.get(methodName);
    const path = method?.path ?? `/${this.service.fullName}/${methodName}`;
    this.stats.calls++;
    // Encode before anything is sent: a message that fails its schema never leaves the client.
    let body: Uint8Array | undefined;
    if (request !== undefined) {
      if (method) {
        const problem = method.requestType.verify(request);
        if (problem) throw this.failed(new GrpcError(GrpcStatus.INVALID_ARGUMENT, `Request message does not match ${method.requestType.fullName}: ${problem}`));
        body = grpcFrame(method.requestType.encode(request));
      } else body = grpcFrame(new Uint8Array(0));
    }
    const deadlineMs = options.deadlineMs ?? this.deadlineMs;
    if (deadlineMs !== Infinity) nonNegative("GrpcClient call", "deadlineMs", deadlineMs);
    const start = this.sim.now;
    let session: H2Session;
    try {
      // The deadline covers connecting too, as in grpc-js: a slow handshake ends the call at its deadline.
      const connecting = this.connect();
      session =
        deadlineMs === Infinity
          ? await connecting
          : await new Promise<H2Session>((resolve, reject) => {
              const timer = this.sim.wakeAt(start + deadlineMs, () => reject(new GrpcError(GrpcStatus.DEADLINE_EXCEEDED, `Deadline exceeded after ${deadlineMs} ms (still connecting to ${this.to})`)));
              connecting.then(
                (s) => {
                  timer.cancel();
                  resolve(s);
                },
                (error: unknown) => {
                  timer.cancel();
                  reject(error as Error);
                },
              );
            });
    } catch (error) {
      if (error instanceof GrpcError) throw this.failed(error);
      throw this.failed(new GrpcError(GrpcStatus.UNAVAILABLE, `No connection to ${this.to}: ${error instanceof Error ? error.message : String(error)}`));
    }
    const id = this.nextStream;
    this.nextStream += 2;
    let settle!: { resolve: () => void; reject: (e: GrpcError) => void };
    const status = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    status.catch(() => {});
    const stream: ClientStream = {
      id,
      session,
      ...(method ? { method } : {}),
      inbox: new AsyncQueue(),
      status,
      done: false,
      finish: (code, details) => {
        if (stream.done) return;
        stream.done = true;
        timer?.cancel();
        this.streams.delete(id);
        this.closeIfDrained(session);
        if (code === GrpcStatus.OK) {
          stream.inbox.close();
          settle.resolve();
        } else {
          const error = this.failed(new GrpcError(code, details));
          stream.inbox.fail(error);
          settle.reject(error);
        }
      },
    };
    this.streams.set(id, stream);
    const remaining = deadlineMs - (this.sim.now - start);
    const timer =
      deadlineMs === Infinity
        ? undefined
        : this.sim.wakeAt(start + deadlineMs, () => {
            if (stream.done) return;
            this.send(session, [{ type: "RST_STREAM", stream: id, errorCode: 8 }], `RST_STREAM CANCEL (stream ${id})`);
            stream.finish(GrpcStatus.DEADLINE_EXCEEDED, `Deadline exceeded after ${deadlineMs} ms`);
          });
    const headers: Record<string, string> = {
      ":method": "POST",
      ":scheme": "http",
      ":path": path,
      ":authority": this.to,
      "content-type": "application/grpc",
      te: "trailers",
      "user-agent": "grpc-sde-lab/1.0",
      ...(deadlineMs !== Infinity ? { "grpc-timeout": grpcTimeoutHeader(Math.max(0, remaining)) } : {}),
      ...(options.metadata ?? {}),
    };
    const frames: H2Frame[] = [{ type: "HEADERS", stream: id, headers, end: false }];
    if (body) frames.push({ type: "DATA", stream: id, message: body, end: halfClose });
    else if (halfClose) frames.push({ type: "DATA", stream: id, end: true });
    this.send(session, frames, `${methodName}${body && method ? ` ${body.length} B` : ""} (stream ${id})`);
    return stream;
  }

  private write(stream: ClientStream, message: ProtoValue): void {
    if (stream.done) return;
    const method = stream.method;
    if (!method) return;
    const problem = method.requestType.verify(message);
    if (problem) {
      this.send(stream.session, [{ type: "RST_STREAM", stream: stream.id, errorCode: 8 }]);
      stream.finish(GrpcStatus.INVALID_ARGUMENT, `Request message does not match ${method.requestType.fullName}: ${problem}`);
      return;
    }
    const body = grpcFrame(method.requestType.encode(message));
    this.send(stream.session, [{ type: "DATA", stream: stream.id, message: body, end: false }], `DATA ${method.requestType.fullName.split(".").pop()} ${body.length} B (stream ${stream.id})`);
  }

  private halfClose(stream: ClientStream): void {
    if (stream.done) return;
    this.send(stream.session, [{ type: "DATA", stream: stream.id, end: true }], `END_STREAM (stream ${stream.id})`);
  }

  private cancel(stream: ClientStream): void {
    if (stream.done) return;
    this.send(stream.session, [{ type: "RST_STREAM", stream: stream.id, errorCode: 8 }], `RST_STREAM CANCEL (stream ${stream.id})`);
    stream.finish(GrpcStatus.CANCELLED, "Cancelled on client");
  }

  private send(session: H2Session, frames: H2Frame[], label?: string): void {
    this.stats.bytesUp += session.send("client", frames, label);
  }

  /** A connection the server sent GOAWAY on closes once its last call ends. */
  private closeIfDrained(session: H2Session): void {
    if (session.draining && ![...this.streams.values()].some((s) => s.session === session)) session.connection.close("client");
  }

  private receive(frame: Frame, session: H2Session, opening: Promise<H2Session>): void {
    this.stats.bytesDown += frame.bytes;
    for (const f of frame.data as H2Frame[]) {
      if (f.type === "SETTINGS") continue;
      if (f.type === "GOAWAY") {
        // New calls go to a new connection (placed afresh by whatever balances connections).
        session.draining = true;
        if (this.session === opening) this.session = undefined;
        this.closeIfDrained(session);
        continue;
      }
      const stream = this.streams.get(f.stream);
      if (!stream) continue;
      if (f.type === "DATA" && f.message) {
        try {
          const { message } = readGrpcFrame(f.message);
          this.stats.payloadBytes += message.length;
          if (stream.method) stream.inbox.push(stream.method.responseType.decode(message));
        } catch (error) {
          stream.finish(GrpcStatus.INTERNAL, `Response message parsing failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      } else if (f.type === "HEADERS" && f.end) {
        const code = Number(f.headers["grpc-status"] ?? GrpcStatus.UNKNOWN);
        stream.finish(code, f.headers["grpc-message"] ?? "");
      } else if (f.type === "RST_STREAM") stream.finish(GrpcStatus.CANCELLED, "Stream reset by server");
    }
  }

  private failed(error: GrpcError): GrpcError {
    const name = grpcStatusName(error.code);
    this.stats.errors[name] = (this.stats.errors[name] ?? 0) + 1;
    return error;
  }

  /** Its counts as a one-row table. */
  [DISPLAY](): MimeBundle {
    const { errors, ...rest } = this.stats;
    return table([{ client: this.from, server: this.to, ...rest, errors: Object.keys(errors).length ? JSON.stringify(errors) : "none" }])[DISPLAY]();
  }
}
