/**
 * Long polling: the client asks `GET /poll?after=<last id>`; the server answers at once if
 * it has newer events, otherwise holds the request until one arrives or a timeout passes
 * (then `204 No Content`). The client asks again as soon as an answer arrives. Events that
 * arrive while no request is waiting stay in the server's buffer and go out with the next
 * poll, so nothing is lost across a network drop, at the cost of a request (headers and
 * all) per answer.
 */
import { ConfigError, nonNegative, positive } from "../errors";
import { DISPLAY, table, type MimeBundle } from "../display";
import type { Simulation, Timer } from "../sim/simulation";
import type { FeedEvent, FeedSource } from "./feed";
import { emptyResponse, HttpClient, httpServer, jsonResponse, parseJson, queryOf, type HttpResponse } from "./http1";

/** Options of a {@link LongPollServer}. Defaults are in {@link LONG_POLL_SERVER_DEFAULTS}. */
export interface LongPollServerOptions {
  /** Server node (shared with other HTTP APIs on it). */
  name?: string;
  /** Path of the poll endpoint. */
  path?: string;
  /** Where events come from. */
  source: FeedSource;
  /** How long a request is held without news before `204`, ms. */
  holdMs?: number;
  /** Most events in one answer. */
  maxBatch?: number;
}

/** Defaults: node `api`, `/poll`, held up to 30 s, at most 100 events per answer. */
export const LONG_POLL_SERVER_DEFAULTS = { name: "api", path: "/poll", holdMs: 30_000, maxBatch: 100 } as const;

/** Counts of a {@link LongPollServer}. */
export interface LongPollServerStats {
  polls: number;
  /** Answered at once (news was waiting). */
  immediate: number;
  /** Answered when an event arrived during the hold. */
  woken: number;
  /** Answered `204` after the hold. */
  timedOut: number;
}

/** The answer body of a poll. */
export interface PollAnswer {
  events: { id: number; type: string; data: unknown }[];
  /** The id to send as `after` next time. */
  last: number;
}

/** A long-poll endpoint over a {@link FeedSource}. */
export class LongPollServer {
  readonly name: string;
  readonly path: string;
  readonly stats: LongPollServerStats = { polls: 0, immediate: 0, woken: 0, timedOut: 0 };

  constructor(
    readonly sim: Simulation,
    options: LongPollServerOptions,
  ) {
    this.name = options.name ?? LONG_POLL_SERVER_DEFAULTS.name;
    this.path = options.path ?? LONG_POLL_SERVER_DEFAULTS.path;
    const source = options.source;
    if (!source || typeof source.after !== "function") throw new ConfigError("LongPollServer", "source", source, "a feed (e.g. new TickFeed(sim))");
    const holdMs = positive("LongPollServer", "holdMs", options.holdMs ?? LONG_POLL_SERVER_DEFAULTS.holdMs);
    const maxBatch = positive("LongPollServer", "maxBatch", options.maxBatch ?? LONG_POLL_SERVER_DEFAULTS.maxBatch);
    const answer = (events: readonly FeedEvent[]): HttpResponse => {
      const batch = events.slice(0, maxBatch);
      const body: PollAnswer = { events: batch.map((e) => ({ id: e.id, type: e.type, data: parseJson(e.data) ?? e.data })), last: batch.at(-1)!.id };
      return jsonResponse(200, body, { "cache-control": "no-store" });
    };
    httpServer(sim, this.name).route(`long poll ${this.path}`, (req) => req.path.split("?")[0] === this.path, (req, ctx) => {
      this.stats.polls++;
      const after = Number(queryOf(req.path).after ?? 0);
      if (!Number.isInteger(after) || after < 0) return jsonResponse(400, { error: `after must be a whole number ≥ 0 (the last id you have), got ${JSON.stringify(queryOf(req.path).after)}` });
      const waiting = source.after(after);
      if (waiting.length > 0) {
        this.stats.immediate++;
        return answer(waiting);
      }
      return new Promise<HttpResponse | void>((resolve) => {
        let timer: Timer | undefined = undefined;
        const unsubscribe = source.subscribe(() => {
          unsubscribe();
          timer?.cancel();
          this.stats.woken++;
          sim.wake(resolve, ctx.connection.open ? answer(source.after(after)) : undefined);
        });
        timer = sim.schedule(holdMs, () => {
          unsubscribe();
          this.stats.timedOut++;
          sim.wake(resolve, ctx.connection.open ? emptyResponse(204, { "cache-control": "no-store" }) : undefined);
        });
      });
    });
  }
}

/** Options of a {@link LongPollClient}. Defaults are in {@link LONG_POLL_CLIENT_DEFAULTS}. */
export interface LongPollClientOptions {
  /** Calling node (created if missing). */
  from?: string;
  /** Server node. */
  to?: string;
  /** Path of the poll endpoint. */
  path?: string;
  /** Wait after a failed poll before the next, ms. */
  retryDelayMs?: number;
  /** Wait after an answer before the next poll, ms: events pile up meanwhile and come in one answer (fewer requests, more delay). */
  pollDelayMs?: number;
  /** How long one poll may take before the client gives up on it, ms (longer than the server's hold). */
  timeoutMs?: number;
  /** Called with each event, in order. */
  onEvent?: (event: { id: number; type: string; data: unknown }) => void;
}

/** Defaults: `app` → `api` `/poll`, 1 s after an error, poll again at once, 35 s per poll. */
export const LONG_POLL_CLIENT_DEFAULTS = { from: "app", to: "api", path: "/poll", retryDelayMs: 1_000, pollDelayMs: 0, timeoutMs: 35_000 } as const;

/** Counts of a {@link LongPollClient}. */
export interface LongPollClientStats {
  /** Polls sent. */
  requests: number;
  /** Answers with events. */
  answers: number;
  /** Empty answers (`204`). */
  empty: number;
  /** Polls that failed (connection lost, timeout). */
  failures: number;
  events: number;
  connections: number;
  bytesSent: number;
  bytesReceived: number;
}

/** Polls in a loop until stopped, keeping the last id as its cursor. */
export class LongPollClient {
  private readonly http: HttpClient;
  private readonly options: Required<Omit<LongPollClientOptions, "onEvent">> & Pick<LongPollClientOptions, "onEvent">;
  private running = false;
  private cursor = 0;
  private readonly counts = { answers: 0, empty: 0, failures: 0, events: 0 };

  constructor(
    readonly sim: Simulation,
    options: LongPollClientOptions = {},
  ) {
    this.options = { ...LONG_POLL_CLIENT_DEFAULTS, ...options };
    nonNegative("LongPollClient", "retryDelayMs", this.options.retryDelayMs);
    nonNegative("LongPollClient", "pollDelayMs", this.options.pollDelayMs);
    positive("LongPollClient", "timeoutMs", this.options.timeoutMs);
    this.http = new HttpClient(sim, this.options.from, this.options.to, { maxConnections: 1, timeoutMs: this.options.timeoutMs });
  }

  /** The id of the last event received. */
  get lastId(): number {
    return this.cursor;
  }

  /** Counts so far. */
  get stats(): LongPollClientStats {
    const s = this.http.stats;
    return { requests: s.requests, ...this.counts, connections: s.connections, bytesSent: s.bytesUp, bytesReceived: s.bytesDown };
  }

  /** Starts polling (returns at once; the loop runs on the simulation). */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.loop();
  }

  /** Stops after the poll in flight (its answer is still handled). */
  stop(): void {
    this.running = false;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        const res = await this.http.request(`GET ${this.options.path}?after=${this.cursor}`);
        if (res.status === 200) {
          const body = parseJson(res.body) as PollAnswer;
          this.counts.answers++;
          for (const e of body.events) {
            if (e.id <= this.cursor) continue;
            this.cursor = e.id;
            this.counts.events++;
            this.options.onEvent?.(e);
          }
          if (this.options.pollDelayMs > 0 && this.running) await this.sim.sleep(this.options.pollDelayMs);
        } else if (res.status === 204) this.counts.empty++;
        else {
          this.counts.failures++;
          await this.sim.sleep(this.options.retryDelayMs);
        }
      } catch {
        this.counts.failures++;
        if (this.running) await this.sim.sleep(this.options.retryDelayMs);
      }
    }
  }

  /** Counts as a one-row table. */
  [DISPLAY](): MimeBundle {
    return table([{ poller: `${this.options.from} → ${this.options.to}${this.options.path}`, lastId: this.cursor, ...this.stats }])[DISPLAY]();
  }
}
