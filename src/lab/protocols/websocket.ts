/**
 * WebSocket (RFC 6455) over the simulated connections: the HTTP/1.1 Upgrade handshake
 * (`Sec-WebSocket-Key` → `101 Switching Protocols` with `Sec-WebSocket-Accept`), then
 * full-duplex frames on the same connection, each with a 2-byte header (more for long
 * payloads) and, from the client, a 4-byte mask. Ping/pong, the close handshake and its
 * codes (1000 normal, 1001 going away, 1011 server error; 1006 is never sent, it is what a
 * side reports when the connection died without a close frame).
 *
 * {@link SimWebSocket} behaves like the browser's `WebSocket` (readyState, onopen,
 * onmessage, onclose with code/reason/wasClean, onerror). The browser API has no reconnect
 * and no resume: {@link ReconnectingWebSocket} adds the reconnect with backoff that apps
 * and libraries write; anything sent while the connection was down is lost unless the app
 * asks the server to replay it.
 */
import { ConfigError, nonNegative, positive } from "../errors";
import { DISPLAY, table, type MimeBundle } from "../display";
import type { Simulation, Timer } from "../sim/simulation";
import { base64, fromBase64, sha1, utf8Length } from "./encoding";
import { httpServer, jsonResponse, requestBytes, type Http1Message, type HttpRequest } from "./http1";
import { wireOf, type CloseReason, type Connection } from "./transport";

/** The GUID RFC 6455 appends to the key. */
export const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: base64(SHA-1(key + GUID)). */
export function websocketAccept(key: string): string {
  return base64(sha1(key + WEBSOCKET_GUID));
}

/** Close codes of RFC 6455 §7.4.1 used here. */
export const CloseCode = { NORMAL: 1000, GOING_AWAY: 1001, PROTOCOL_ERROR: 1002, NO_STATUS: 1005, ABNORMAL: 1006, POLICY_VIOLATION: 1008, SERVER_ERROR: 1011 } as const;

/** Bytes of one frame: 2-byte header, +2 or +8 for long payloads, +4 mask from a client. */
export function websocketFrameBytes(payloadBytes: number, masked: boolean): number {
  const extended = payloadBytes < 126 ? 0 : payloadBytes < 65_536 ? 2 : 8;
  return 2 + extended + (masked ? 4 : 0) + payloadBytes;
}

/** `send()` or another call at the wrong time: the DOMException name browsers use. */
export class InvalidStateError extends Error {
  override name = "InvalidStateError";
}

/** `close()` with a code a client may not send: the DOMException name browsers use. */
export class InvalidAccessError extends Error {
  override name = "InvalidAccessError";
}

type WsFrame = { op: "text"; text: string } | { op: "close"; code?: number; reason: string } | { op: "ping" } | { op: "pong" };

const describeFrame = (f: WsFrame) => (f.op === "text" ? `text ${utf8Length(f.text)} B` : f.op === "close" ? `close ${f.code ?? ""}${f.reason ? ` ${f.reason}` : ""}`.trim() : f.op);

function framePayload(f: WsFrame): number {
  switch (f.op) {
    case "text":
      return utf8Length(f.text);
    case "close":
      return f.code === undefined ? 0 : 2 + utf8Length(f.reason);
    default:
      return 0;
  }
}

/** The four ready states, with the browser's numbers. */
export const ReadyState = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;
const STATE_NAMES = ["CONNECTING", "OPEN", "CLOSING", "CLOSED"] as const;

/** What `onclose` receives. */
export interface WebSocketCloseEvent {
  code: number;
  reason: string;
  /** True when both sides exchanged close frames. */
  wasClean: boolean;
}

/** Counts of one socket (either side). */
export interface WebSocketStats {
  messagesSent: number;
  messagesReceived: number;
  /** Bytes sent, handshake and frame headers included. */
  bytesSent: number;
  /** Bytes received, handshake and frame headers included. */
  bytesReceived: number;
  pingsReceived: number;
}

/** One end of an open WebSocket connection (shared logic). */
abstract class WebSocketEnd {
  readyState: number = ReadyState.CONNECTING;
  readonly stats: WebSocketStats = { messagesSent: 0, messagesReceived: 0, bytesSent: 0, bytesReceived: 0, pingsReceived: 0 };
  protected connection?: Connection;
  private closeSent = false;
  private closeCode?: number;
  private closeReason = "";

  protected abstract readonly side: "client" | "server";
  protected abstract readonly sim: Simulation;
  protected abstract opened(): void;
  protected abstract delivered(text: string): void;
  protected abstract closed(event: WebSocketCloseEvent): void;

  protected attach(connection: Connection): void {
    this.connection = connection;
    const onFrame = (data: unknown, bytes: number) => {
      this.stats.bytesReceived += bytes;
      const f = data as WsFrame;
      if (f.op === "text") {
        if (this.readyState !== ReadyState.OPEN) return;
        this.stats.messagesReceived++;
        this.delivered(f.text);
      } else if (f.op === "ping") {
        this.stats.pingsReceived++;
        this.frame({ op: "pong" });
      } else if (f.op === "pong") {
        this.ponged();
      } else if (f.op === "close") {
        this.closeCode ??= f.code ?? CloseCode.NO_STATUS;
        if (!this.closeSent) {
          this.closeReason = f.reason;
          this.readyState = ReadyState.CLOSING;
          // Echo the close; the server then closes the TCP connection (RFC 6455 §7.1.1).
          this.frame({ op: "close", code: f.code ?? CloseCode.NORMAL, reason: "" });
          this.closeSent = true;
        }
        if (this.side === "server") connection.close("server");
      }
    };
    if (this.side === "client") {
      connection.onClientFrame = (frame) => onFrame(frame.data, frame.bytes);
      connection.onClientClose = (reason) => this.ended(reason);
    } else {
      connection.onServerFrame = (frame) => onFrame(frame.data, frame.bytes);
      connection.onServerClose = (reason) => this.ended(reason);
    }
  }

  protected ponged(): void {}

  private ended(reason: CloseReason): void {
    if (this.readyState === ReadyState.CLOSED) return;
    const clean = reason === "closed" && this.closeSent && this.closeCode !== undefined;
    this.readyState = ReadyState.CLOSED;
    this.closed({ code: clean ? this.closeCode! : CloseCode.ABNORMAL, reason: clean ? this.closeReason : "", wasClean: clean });
  }

  protected frame(f: WsFrame): void {
    if (!this.connection?.open) return;
    const bytes = websocketFrameBytes(framePayload(f), this.side === "client");
    this.stats.bytesSent += bytes;
    // Control frames stay out of the trace unless they matter (close).
    this.connection.send(this.side, { bytes, data: f, ...(f.op === "text" || f.op === "close" ? { label: `WS ${describeFrame(f)}` } : {}) });
  }

  protected sendText(data: string, callback?: (error?: Error) => void): void {
    if (this.readyState !== ReadyState.OPEN) {
      const error = new InvalidStateError(`WebSocket is not open: readyState ${this.readyState} (${STATE_NAMES[this.readyState]})${this.readyState === ReadyState.CONNECTING ? " — wait for onopen before sending" : " — the message was not sent; reconnect first"}`);
      if (callback) {
        this.sim.wake(callback, error);
        return;
      }
      throw error;
    }
    if (typeof data !== "string") throw new ConfigError("WebSocket.send", "data", data, "a string (this simulation carries text frames)");
    this.stats.messagesSent++;
    this.frame({ op: "text", text: data });
    if (callback) this.sim.wake(callback, undefined);
  }

  protected startClose(code: number, reason: string): void {
    if (this.readyState === ReadyState.CLOSING || this.readyState === ReadyState.CLOSED) return;
    if (utf8Length(reason) > 123) throw new SyntaxError(`WebSocket close reason must be at most 123 bytes of UTF-8, got ${utf8Length(reason)}`);
    this.readyState = ReadyState.CLOSING;
    this.closeSent = true;
    this.closeCode = code;
    this.closeReason = reason;
    this.frame({ op: "close", code, reason });
  }

  /** Breaks the connection without a close handshake (both sides report 1006; only this side when the path went silent). */
  terminate(): void {
    this.connection?.reset("terminated", this.side);
  }
}

/** Options of a {@link SimWebSocket}. */
export interface SimWebSocketOptions {
  /** Calling node (created if missing). Default `app`. */
  from?: string;
  /** Server node. Default `api`. */
  to?: string;
  /** Path of the WebSocket endpoint. Default `/ws`. */
  path?: string;
}

/** A browser-like WebSocket client. The handshake starts at once. */
export class SimWebSocket extends WebSocketEnd {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: WebSocketCloseEvent) => void) | null = null;
  onerror: ((event: { message: string }) => void) | null = null;
  protected readonly side = "client";
  readonly from: string;
  readonly to: string;
  readonly path: string;
  /** The key sent in the handshake. */
  readonly key: string;

  constructor(
    protected readonly sim: Simulation,
    options: SimWebSocketOptions = {},
  ) {
    super();
    this.from = options.from ?? "app";
    this.to = options.to ?? "api";
    this.path = options.path ?? "/ws";
    if (!sim.hasNode(this.from)) sim.client(this.from);
    if (!sim.hasNode(this.to)) throw new ConfigError("SimWebSocket", "to", this.to, "the name of an existing server node (create the WebSocketServer first)");
    // 16 random bytes, base64: what browsers send.
    this.key = base64(Uint8Array.from({ length: 16 }, () => sim.random.int(0, 255)));
    void this.handshake();
  }

  private async handshake(): Promise<void> {
    let connection: Connection;
    try {
      connection = await wireOf(this.sim).connect(this.from, this.to, "http/1.1");
    } catch (error) {
      this.fail(error instanceof Error ? error.message : String(error));
      return;
    }
    if (this.readyState === ReadyState.CLOSED) {
      connection.close("client");
      return;
    }
    const req: HttpRequest = {
      method: "GET",
      path: this.path,
      headers: { host: this.to, upgrade: "websocket", connection: "Upgrade", "sec-websocket-key": this.key, "sec-websocket-version": "13" },
    };
    const bytes = requestBytes(req);
    this.stats.bytesSent += bytes;
    connection.onClientClose = () => this.fail("the connection closed during the handshake");
    connection.onClientFrame = (frame) => {
      this.stats.bytesReceived += frame.bytes;
      const message = frame.data as Http1Message;
      const res = message.kind === "head" || message.kind === "response" ? message.response : undefined;
      if (!res || res.status !== 101) {
        connection.close("client");
        this.fail(`the server answered ${res?.status ?? "?"} instead of 101 Switching Protocols`);
        return;
      }
      if (res.headers["sec-websocket-accept"] !== websocketAccept(this.key)) {
        connection.close("client");
        this.fail("Sec-WebSocket-Accept does not match the key: not a WebSocket server");
        return;
      }
      this.attach(connection);
      this.readyState = ReadyState.OPEN;
      this.opened();
    };
    connection.send("client", { bytes, label: `GET ${this.path} (Upgrade: websocket)`, data: { kind: "request", request: req } satisfies Http1Message });
  }

  private fail(message: string): void {
    if (this.readyState === ReadyState.CLOSED) return;
    this.readyState = ReadyState.CLOSED;
    this.onerror?.({ message });
    this.onclose?.({ code: CloseCode.ABNORMAL, reason: "", wasClean: false });
  }

  /**
   * Sends a text message.
   * @throws {@link InvalidStateError} unless OPEN. Browsers throw it only while CONNECTING and
   * silently drop data after close; the lab throws in both cases (or passes the error to
   * `callback`, as the `ws` package does) so a lost message never goes unnoticed.
   */
  send(data: string, callback?: (error?: Error) => void): void {
    this.sendText(data, callback);
  }

  /**
   * Starts the close handshake.
   * @throws {@link InvalidAccessError} for a code other than 1000 or 3000–4999 (as browsers do)
   */
  close(code: number = CloseCode.NORMAL, reason = ""): void {
    if (code !== CloseCode.NORMAL && !(Number.isInteger(code) && code >= 3000 && code <= 4999)) {
      throw new InvalidAccessError(`WebSocket close code must be 1000 or 3000–4999, got ${code}`);
    }
    if (this.readyState === ReadyState.CONNECTING) {
      this.fail("closed before the connection was established");
      return;
    }
    this.startClose(code, reason);
  }

  protected opened(): void {
    this.onopen?.();
  }

  protected delivered(text: string): void {
    this.onmessage?.({ data: text });
  }

  protected closed(event: WebSocketCloseEvent): void {
    if (!event.wasClean) this.onerror?.({ message: "the connection was lost" });
    this.onclose?.(event);
  }

  /** Its state and counts as a one-row table. */
  [DISPLAY](): MimeBundle {
    return table([{ socket: `${this.from} → ${this.to}${this.path}`, state: STATE_NAMES[this.readyState], ...this.stats }])[DISPLAY]();
  }
}

/** The server side of one WebSocket connection. */
export class ServerWebSocket extends WebSocketEnd {
  protected readonly side = "server";
  private readonly messageListeners: ((text: string) => void)[] = [];
  private readonly closeListeners: ((event: WebSocketCloseEvent) => void)[] = [];
  /** False after a ping went unanswered (the heartbeat then terminates). */
  alive = true;

  /** @internal */
  constructor(
    protected readonly sim: Simulation,
    connection: Connection,
    /** The client node. */
    readonly client: string,
  ) {
    super();
    this.attach(connection);
    this.readyState = ReadyState.OPEN;
  }

  /** Calls `listener` with each text message. */
  onMessage(listener: (text: string) => void): void {
    this.messageListeners.push(listener);
  }

  /** Calls `listener` when the connection ends. */
  onClose(listener: (event: WebSocketCloseEvent) => void): void {
    this.closeListeners.push(listener);
  }

  /** Sends a text message (throws {@link InvalidStateError} unless OPEN, like the client). */
  send(data: string, callback?: (error?: Error) => void): void {
    this.sendText(data, callback);
  }

  /** Starts the close handshake: 1000 normal, 1001 going away, 1011 server error, or 3000–4999. */
  close(code: number = CloseCode.NORMAL, reason = ""): void {
    this.startClose(code, reason);
  }

  /** Sends a ping; a pong marks the socket alive. */
  ping(): void {
    this.alive = false;
    this.frame({ op: "ping" });
  }

  protected override ponged(): void {
    this.alive = true;
  }

  protected opened(): void {}

  protected delivered(text: string): void {
    for (const l of this.messageListeners) l(text);
  }

  protected closed(event: WebSocketCloseEvent): void {
    for (const l of this.closeListeners) l(event);
  }
}

/** Options of a {@link WebSocketServer}. Defaults are in {@link WEBSOCKET_SERVER_DEFAULTS}. */
export interface WebSocketServerOptions {
  /** Server node (shared with other HTTP APIs on it). */
  name?: string;
  /** Path of the endpoint. */
  path?: string;
  /** Ping every client this often, ms, and terminate one that did not answer the last ping (`0`: no heartbeat). */
  heartbeatMs?: number;
  /** Called for each new connection. */
  onConnection?: (socket: ServerWebSocket) => void;
}

/** Defaults: node `api`, path `/ws`, a 30 s heartbeat (the `ws` package's documented pattern). */
export const WEBSOCKET_SERVER_DEFAULTS = { name: "api", path: "/ws", heartbeatMs: 30_000 } as const;

/** A WebSocket endpoint on an HTTP/1.1 server node. */
export class WebSocketServer {
  readonly name: string;
  readonly path: string;
  /** Open sockets. */
  readonly clients = new Set<ServerWebSocket>();
  /** Handshakes accepted so far. */
  accepted = 0;
  private readonly listeners: ((socket: ServerWebSocket) => void)[] = [];
  private heartbeat?: Timer;

  constructor(
    readonly sim: Simulation,
    options: WebSocketServerOptions = {},
  ) {
    this.name = options.name ?? WEBSOCKET_SERVER_DEFAULTS.name;
    this.path = options.path ?? WEBSOCKET_SERVER_DEFAULTS.path;
    const heartbeatMs = nonNegative("WebSocketServer", "heartbeatMs", options.heartbeatMs ?? WEBSOCKET_SERVER_DEFAULTS.heartbeatMs);
    if (options.onConnection) this.listeners.push(options.onConnection);
    httpServer(sim, this.name).route(`WebSocket ${this.path}`, (req) => req.path.split("?")[0] === this.path, (req, ctx) => {
      const key = req.headers["sec-websocket-key"] ?? "";
      if (req.method !== "GET" || (req.headers.upgrade ?? "").toLowerCase() !== "websocket" || !/upgrade/i.test(req.headers.connection ?? "")) {
        return jsonResponse(426, { error: "this endpoint needs a WebSocket upgrade (Upgrade: websocket, Connection: Upgrade)" }, { upgrade: "websocket" });
      }
      if (req.headers["sec-websocket-version"] !== "13") return jsonResponse(426, { error: "unsupported WebSocket version" }, { "sec-websocket-version": "13" });
      if (fromBase64(key)?.length !== 16) return jsonResponse(400, { error: "Sec-WebSocket-Key must be 16 bytes in base64" });
      const connection = ctx.upgrade({ upgrade: "websocket", connection: "Upgrade", "sec-websocket-accept": websocketAccept(key) });
      const socket = new ServerWebSocket(sim, connection, connection.client);
      this.accepted++;
      this.clients.add(socket);
      socket.onClose(() => this.clients.delete(socket));
      for (const l of this.listeners) l(socket);
    });
    if (heartbeatMs > 0) this.startHeartbeat(positive("WebSocketServer", "heartbeatMs", heartbeatMs));
  }

  /** Calls `listener` for each new connection. */
  onConnection(listener: (socket: ServerWebSocket) => void): void {
    this.listeners.push(listener);
  }

  /** Sends `data` to every open socket. */
  broadcast(data: string): void {
    for (const c of this.clients) if (c.readyState === ReadyState.OPEN) c.send(data);
  }

  /** Stops the heartbeat and closes every socket with 1001 Going Away. */
  shutdown(): void {
    this.heartbeat?.cancel();
    for (const c of this.clients) c.close(CloseCode.GOING_AWAY, "server shutting down");
  }

  private startHeartbeat(ms: number): void {
    // Only while someone is connected, so a finished scenario's run() can end.
    const tick = () => {
      for (const c of [...this.clients]) {
        if (!c.alive) c.terminate();
        else c.ping();
      }
      this.heartbeat = this.clients.size > 0 ? this.sim.schedule(ms, tick) : undefined;
    };
    this.onConnection(() => {
      this.heartbeat ??= this.sim.schedule(ms, tick);
    });
  }
}

/** Options of a {@link ReconnectingWebSocket}. Defaults are in {@link RECONNECT_DEFAULTS}. */
export interface ReconnectOptions extends SimWebSocketOptions {
  /** Wait before the first reconnect, ms. */
  initialDelayMs?: number;
  /** Longest wait, ms. */
  maxDelayMs?: number;
  /** Each failed attempt multiplies the wait by this. */
  factor?: number;
  /**
   * How long to wait before each reconnect: `"none"` waits exactly the backoff delay (1 s, 2 s,
   * 4 s…); `"full"` waits a random time from 0 to that delay (full jitter), so clients cut off
   * together do not all come back at the same instant. Libraries randomise too: socket.io's
   * client by ±50 % by default.
   */
  jitter?: ReconnectJitter;
  /** Called on every (re)open with the socket, e.g. to subscribe or ask for a replay. */
  onOpen?: (socket: SimWebSocket) => void;
  /** Called with each message. */
  onMessage?: (data: string) => void;
}

/** How a {@link ReconnectingWebSocket} spreads its reconnects. */
export type ReconnectJitter = "none" | "full";

/** Defaults: 1 s, doubling, at most 30 s, no jitter. */
export const RECONNECT_DEFAULTS = { initialDelayMs: 1_000, maxDelayMs: 30_000, factor: 2, jitter: "none" } as const;

/**
 * A WebSocket that opens a new connection after an abnormal close or a 1001 Going Away,
 * waiting 1 s, 2 s, 4 s… between attempts (optionally jittered) — what apps and libraries add on top of the browser API. It does not
 * resend or replay anything on its own.
 */
export class ReconnectingWebSocket {
  /** The current socket. */
  socket: SimWebSocket;
  /** Opens so far (1 + reconnects). */
  opens = 0;
  /** Close events seen. */
  readonly closes: WebSocketCloseEvent[] = [];
  private stopped = false;
  private delay: number;
  private readonly options: ReconnectOptions & { initialDelayMs: number; maxDelayMs: number; factor: number; jitter: ReconnectJitter };
  /** Counts of all the sockets so far. */
  readonly stats: WebSocketStats & { connections: number } = { messagesSent: 0, messagesReceived: 0, bytesSent: 0, bytesReceived: 0, pingsReceived: 0, connections: 0 };

  constructor(
    readonly sim: Simulation,
    options: ReconnectOptions = {},
  ) {
    this.options = { ...RECONNECT_DEFAULTS, ...options };
    positive("ReconnectingWebSocket", "initialDelayMs", this.options.initialDelayMs);
    positive("ReconnectingWebSocket", "maxDelayMs", this.options.maxDelayMs);
    nonNegative("ReconnectingWebSocket", "factor", this.options.factor, 1);
    if (this.options.jitter !== "none" && this.options.jitter !== "full") throw new ConfigError("ReconnectingWebSocket", "jitter", this.options.jitter, '"none" or "full"');
    this.delay = this.options.initialDelayMs;
    this.socket = this.open();
  }

  /** Sends on the current socket (throws {@link InvalidStateError} while it is down). */
  send(data: string, callback?: (error?: Error) => void): void {
    this.socket.send(data, callback);
  }

  /** Closes for good (no more reconnects). */
  close(): void {
    this.stopped = true;
    if (this.socket.readyState === ReadyState.OPEN) this.socket.close();
  }

  private open(): SimWebSocket {
    const socket = new SimWebSocket(this.sim, this.options);
    this.stats.connections++;
    let counted = { ...socket.stats };
    const add = () => {
      for (const k of ["messagesSent", "messagesReceived", "bytesSent", "bytesReceived", "pingsReceived"] as const) this.stats[k] += socket.stats[k] - counted[k];
      counted = { ...socket.stats };
    };
    socket.onopen = () => {
      this.opens++;
      this.delay = this.options.initialDelayMs;
      this.options.onOpen?.(socket);
    };
    socket.onmessage = (e) => {
      add();
      this.options.onMessage?.(e.data);
    };
    socket.onclose = (e) => {
      add();
      this.closes.push(e);
      // 1001 Going Away is a clean close, but it is the server leaving (a deploy): come back.
      if (this.stopped || (e.wasClean && e.code !== CloseCode.GOING_AWAY)) return;
      const wait = this.options.jitter === "full" ? Math.round(this.sim.random.uniform(0, this.delay)) : this.delay;
      this.delay = Math.min(this.delay * this.options.factor, this.options.maxDelayMs);
      this.sim.trace.note(this.options.from ?? "app", `WebSocket closed ${e.code}, reconnecting in ${wait} ms`);
      this.sim.schedule(wait, () => {
        if (!this.stopped) this.socket = this.open();
      });
    };
    return socket;
  }
}
