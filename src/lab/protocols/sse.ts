/**
 * Server-Sent Events: one long HTTP response of type `text/event-stream`, server → client
 * only. Each event is lines of `field: value` ended by a blank line: `id:` (the client
 * remembers it), `event:` (the type; `message` when absent), `data:` (several lines join with
 * newlines), `retry:` (the client's reconnection time, ms); a line starting with `:` is a
 * comment, used as a keep-alive.
 *
 * When the stream breaks, the client ({@link SimEventSource}, shaped like the browser's
 * `EventSource`) waits its reconnection time and asks again with `Last-Event-ID`; the server
 * ({@link SseServer}) resumes after that id, so no event is lost or repeated — provided the
 * server still has them. The parser follows the WHATWG HTML "event stream" rules.
 */
import { ConfigError, nonNegative } from "../errors";
import { DISPLAY, table, type MimeBundle } from "../display";
import type { Simulation, Timer } from "../sim/simulation";
import type { FeedEvent, FeedSource } from "./feed";
import { HttpClient, httpRequest, httpServer, jsonResponse, type HttpStream } from "./http1";

/** One event as the parser dispatches it (the browser's `MessageEvent` fields that matter). */
export interface ServerSentEvent {
  /** `message` unless the stream set `event:`. */
  type: string;
  data: string;
  /** The last event id seen so far on the stream (ids persist until changed). */
  lastEventId: string;
}

/** The fields of one event to write. */
export interface EventFields {
  id?: string | number;
  event?: string;
  /** Text; newlines become several `data:` lines. */
  data?: string;
  /** Reconnection time for the client, ms. */
  retry?: number;
  /** A comment line (`: text`), e.g. a keep-alive. */
  comment?: string;
}

/** Writes one event in the `text/event-stream` format, ending with the blank line. */
export function formatEvent(fields: EventFields): string {
  let out = "";
  if (fields.comment !== undefined) out += `: ${fields.comment}\n`;
  if (fields.retry !== undefined) out += `retry: ${Math.round(fields.retry)}\n`;
  if (fields.id !== undefined) out += `id: ${fields.id}\n`;
  if (fields.event !== undefined) out += `event: ${fields.event}\n`;
  if (fields.data !== undefined) for (const line of fields.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** Incremental parser of a `text/event-stream` body (WHATWG HTML §9.2.6). */
export class EventStreamParser {
  private buffer = "";
  private data = "";
  private type = "";
  /** The spec's "last event ID string": becomes the id buffer's value only when an event is dispatched. */
  private lastId = "";
  /** The spec's "last event ID buffer": set by an `id:` line, taken over at dispatch. */
  private idBuffer = "";
  private sawCr = false;
  /** Nothing of this stream seen yet: a leading byte order mark is still to be skipped. */
  private atStart = true;

  constructor(
    /** Receives each dispatched event. */
    private readonly onEvent: (event: ServerSentEvent) => void,
    /** Receives a valid `retry:` value. */
    private readonly onRetry: (ms: number) => void = () => {},
  ) {}

  /** The id of the last dispatched event (what a reconnect sends as `Last-Event-ID`). An `id:` line of
   * an event the stream broke off before its blank line does not count: that event never arrived. */
  get lastEventId(): string {
    return this.lastId;
  }

  /** Feeds the next piece of the body; complete lines are processed at once. */
  push(chunk: string): void {
    // An empty chunk must not forget that the last one ended in CR (its LF may come next).
    if (chunk === "") return;
    let text = chunk;
    // The standard ignores one leading U+FEFF; without this the first line's field name would start
    // with it and the first event would be lost.
    if (this.atStart && text !== "") {
      if (text.startsWith("\uFEFF")) text = text.slice(1);
      this.atStart = false;
    }
    // A CR at the end of the previous chunk may be the first half of a CRLF.
    if (this.sawCr && text.startsWith("\n")) text = text.slice(1);
    this.sawCr = text.endsWith("\r");
    this.buffer += text;
    const lines = this.buffer.split(/\r\n|\r|\n/);
    this.buffer = lines.pop()!;
    for (const line of lines) this.line(line);
  }

  /** Forgets a half-received event (the stream broke); the last dispatched id is kept, and the next
   * stream may start with a byte order mark again. */
  reset(): void {
    this.idBuffer = this.lastId;
    this.atStart = true;
    this.buffer = "";
    this.data = "";
    this.type = "";
    this.sawCr = false;
  }

  private line(line: string): void {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.type = value;
        break;
      case "data":
        this.data += `${value}\n`;
        break;
      case "id":
        if (!value.includes("\u0000")) this.idBuffer = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.onRetry(Number(value));
        break;
      default:
      // Unknown fields are ignored, as the spec says.
    }
  }

  private dispatch(): void {
    // Per the standard the last event ID string is set at dispatch, also for an event with no data.
    this.lastId = this.idBuffer;
    if (this.data === "") {
      this.type = "";
      return;
    }
    const event: ServerSentEvent = { type: this.type || "message", data: this.data.slice(0, -1), lastEventId: this.lastId };
    this.data = "";
    this.type = "";
    this.onEvent(event);
  }
}

/** Options of an {@link SseServer}. Defaults are in {@link SSE_SERVER_DEFAULTS}. */
export interface SseServerOptions {
  /** Server node (shared with other HTTP APIs on it). */
  name?: string;
  /** Path of the stream. */
  path?: string;
  /** Where events come from. */
  source: FeedSource;
  /** Sent as `retry:` at the start of each stream, ms (omit to leave the client's default). */
  retryMs?: number;
  /** A comment line this often while idle, ms, so proxies keep the connection (`0`: none). */
  keepAliveMs?: number;
  /** Honour `Last-Event-ID` and replay what the client missed. */
  resume?: boolean;
}

/** Defaults: node `api`, `/events`, a keep-alive comment every 15 s, resume on. */
export const SSE_SERVER_DEFAULTS = { name: "api", path: "/events", keepAliveMs: 15_000, resume: true } as const;

/** Counts of an {@link SseServer}. */
export interface SseServerStats {
  /** Streams opened. */
  streams: number;
  /** Streams that came with `Last-Event-ID`. */
  resumed: number;
  /** Events written (replays included). */
  eventsSent: number;
  /** Of them, replayed after a `Last-Event-ID`. */
  replayed: number;
}

/** Streams a {@link FeedSource} as Server-Sent Events. */
export class SseServer {
  readonly name: string;
  readonly path: string;
  readonly stats: SseServerStats = { streams: 0, resumed: 0, eventsSent: 0, replayed: 0 };

  constructor(
    readonly sim: Simulation,
    options: SseServerOptions,
  ) {
    this.name = options.name ?? SSE_SERVER_DEFAULTS.name;
    this.path = options.path ?? SSE_SERVER_DEFAULTS.path;
    const source = options.source;
    if (!source || typeof source.after !== "function") throw new ConfigError("SseServer", "source", source, "a feed (e.g. new TickFeed(sim))");
    const keepAliveMs = nonNegative("SseServer", "keepAliveMs", options.keepAliveMs ?? SSE_SERVER_DEFAULTS.keepAliveMs);
    const retryMs = options.retryMs === undefined ? undefined : nonNegative("SseServer", "retryMs", options.retryMs);
    const resume = options.resume ?? SSE_SERVER_DEFAULTS.resume;
    httpServer(sim, this.name).route(`SSE ${this.path}`, (req) => req.path.split("?")[0] === this.path, (req, ctx) => {
      if (req.method !== "GET") return jsonResponse(405, { error: "an event stream is read with GET" }, { allow: "GET" });
      this.stats.streams++;
      const stream = ctx.stream(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
      const write = (e: FeedEvent, replay: boolean) => {
        this.stats.eventsSent++;
        if (replay) this.stats.replayed++;
        stream.write(formatEvent({ id: e.id, event: e.type, data: e.data }), `event ${e.id}${replay ? " (replay)" : ""}`);
      };
      if (retryMs !== undefined) stream.write(formatEvent({ retry: retryMs }));
      const lastId = Number(req.headers["last-event-id"]);
      if (resume && req.headers["last-event-id"] !== undefined && Number.isFinite(lastId)) {
        this.stats.resumed++;
        for (const e of source.after(lastId)) write(e, true);
      }
      // A keep-alive comment after each quiet spell. While a stream is open this keeps
      // scheduling events: run such a scenario with run(scenario) or runFor(ms).
      let keepAlive: Timer | undefined;
      const idle = () => {
        keepAlive?.cancel();
        if (keepAliveMs > 0) keepAlive = sim.schedule(keepAliveMs, () => {
          stream.write(formatEvent({ comment: "keep-alive" }));
          idle();
        });
      };
      const unsubscribe = source.subscribe((e) => {
        write(e, false);
        idle();
      });
      idle();
      stream.onClose(() => {
        unsubscribe();
        keepAlive?.cancel();
      });
    });
  }
}

/** Options of a {@link SimEventSource}. Defaults are in {@link EVENT_SOURCE_DEFAULTS}. */
export interface SimEventSourceOptions {
  /** Calling node (created if missing). */
  from?: string;
  /** Server node. */
  to?: string;
  /** Path of the stream. */
  path?: string;
  /** Reconnection time until the server sends `retry:`, ms. */
  reconnectionTimeMs?: number;
  /**
   * The HTTP/1.1 client whose connection pool the stream uses (its `from` and `to` replace the
   * two options above). Share one client between several event sources and other requests to
   * model a browser's per-origin limit of 6 connections, shared by every tab of the site.
   * Default: a client of its own. With a shared client, {@link SimEventSource.stats} counts
   * connections, requests and bytes of the whole pool. There is no option for request headers: the browser's
   * `EventSource` cannot send any either (no `Authorization`).
   */
  http?: HttpClient;
}

/** Defaults: `app` → `api` `/events`; 3 s reconnection time, as in Chromium. */
export const EVENT_SOURCE_DEFAULTS = { from: "app", to: "api", path: "/events", reconnectionTimeMs: 3_000 } as const;

/** Counts of a {@link SimEventSource}. */
export interface EventSourceStats {
  /** Events dispatched. */
  events: number;
  /** Connections opened (1 + reconnects that reached the server). */
  connections: number;
  /** Requests sent. */
  requests: number;
  /** Times the stream broke and the client started to reconnect. */
  reconnects: number;
  /** Bytes received, response heads and chunk framing included. */
  bytesReceived: number;
  /** Bytes sent (requests). */
  bytesSent: number;
}

/** A browser-like `EventSource`: connects at once, reconnects on its own with `Last-Event-ID`. */
export class SimEventSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  readyState: number = SimEventSource.CONNECTING;
  onopen: (() => void) | null = null;
  onmessage: ((event: ServerSentEvent) => void) | null = null;
  onerror: ((event: { message: string }) => void) | null = null;
  /** Current reconnection time, ms (the server's `retry:` changes it). */
  reconnectionTimeMs: number;
  readonly url: string;
  private readonly http: HttpClient;
  private readonly parser: EventStreamParser;
  private readonly listeners = new Map<string, ((event: ServerSentEvent) => void)[]>();
  private current?: HttpStream;
  private statsEvents = 0;
  private statsReconnects = 0;

  constructor(
    readonly sim: Simulation,
    options: SimEventSourceOptions = {},
  ) {
    if (options.http !== undefined && !(options.http instanceof HttpClient)) throw new ConfigError("SimEventSource", "http", options.http, "an HttpClient (its connection pool carries the stream)");
    for (const key of ["from", "to"] as const) {
      const given = options[key];
      if (options.http && given !== undefined && given !== options.http[key]) throw new ConfigError("SimEventSource", key, given, `${options.http[key]} (the node of the HttpClient passed as http) or nothing`);
    }
    const from = options.http?.from ?? options.from ?? EVENT_SOURCE_DEFAULTS.from;
    const to = options.http?.to ?? options.to ?? EVENT_SOURCE_DEFAULTS.to;
    this.url = options.path ?? EVENT_SOURCE_DEFAULTS.path;
    this.reconnectionTimeMs = nonNegative("SimEventSource", "reconnectionTimeMs", options.reconnectionTimeMs ?? EVENT_SOURCE_DEFAULTS.reconnectionTimeMs);
    this.http = options.http ?? new HttpClient(sim, from, to, { timeoutMs: Infinity });
    this.parser = new EventStreamParser(
      (e) => {
        if (this.readyState !== SimEventSource.OPEN) return;
        this.statsEvents++;
        if (e.type === "message") this.onmessage?.(e);
        for (const l of this.listeners.get(e.type) ?? []) l(e);
      },
      (ms) => (this.reconnectionTimeMs = ms),
    );
    void this.connect();
  }

  /** The last event id received (sent as `Last-Event-ID` on reconnect). */
  get lastEventId(): string {
    return this.parser.lastEventId;
  }

  /** Counts so far. */
  get stats(): EventSourceStats {
    const s = this.http.stats;
    return { events: this.statsEvents, connections: s.connections, requests: s.requests, reconnects: this.statsReconnects, bytesReceived: s.bytesDown, bytesSent: s.bytesUp };
  }

  /** Listens for events of a type (`tick`); `message` is also `onmessage`. */
  addEventListener(type: string, listener: (event: ServerSentEvent) => void): void {
    const list = this.listeners.get(type) ?? [];
    list.push(listener);
    this.listeners.set(type, list);
  }

  /** Closes the stream for good: no more reconnects. */
  close(): void {
    this.readyState = SimEventSource.CLOSED;
    this.current?.close();
  }

  private async connect(): Promise<void> {
    const headers: Record<string, string> = { accept: "text/event-stream", "cache-control": "no-cache" };
    if (this.lastEventId !== "") headers["last-event-id"] = this.lastEventId;
    let stream: HttpStream;
    try {
      stream = await this.http.stream(httpRequest("GET", this.url, { headers }), {
        onChunk: (text) => this.parser.push(text),
        onEnd: () => this.reestablish("the stream ended"),
      });
    } catch (error) {
      this.reestablish(error instanceof Error ? error.message : String(error));
      return;
    }
    if (this.readyState === SimEventSource.CLOSED) {
      stream.close();
      return;
    }
    const res = stream.response;
    if (res.status === 204 || res.status !== 200 || !(res.headers["content-type"] ?? "").startsWith("text/event-stream")) {
      // "Fail the connection": no reconnect after a 204, an error status or the wrong type.
      this.readyState = SimEventSource.CLOSED;
      stream.close();
      this.onerror?.({ message: res.status === 204 ? "the server answered 204: stop reconnecting" : `the server answered ${res.status} ${res.headers["content-type"] ?? ""}: not an event stream` });
      return;
    }
    this.current = stream;
    this.readyState = SimEventSource.OPEN;
    this.onopen?.();
  }

  private reestablish(why: string): void {
    if (this.readyState === SimEventSource.CLOSED) return;
    this.current = undefined;
    this.parser.reset();
    this.statsReconnects++;
    this.readyState = SimEventSource.CONNECTING;
    this.onerror?.({ message: `${why}, reconnecting in ${this.reconnectionTimeMs} ms` });
    this.sim.trace.note(this.http.from, `EventSource: ${why}, retry in ${this.reconnectionTimeMs} ms with Last-Event-ID ${this.lastEventId || "(none)"}`);
    this.sim.schedule(this.reconnectionTimeMs, () => {
      if (this.readyState === SimEventSource.CONNECTING) void this.connect();
    });
  }

  /** State and counts as a one-row table. */
  [DISPLAY](): MimeBundle {
    return table([{ stream: `${this.http.from} → ${this.http.to}${this.url}`, state: ["CONNECTING", "OPEN", "CLOSED"][this.readyState], lastEventId: this.lastEventId, ...this.stats }])[DISPLAY]();
  }
}
