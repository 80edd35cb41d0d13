/**
 * The same workloads over every protocol, measured: the posts screen (20 posts with their
 * authors' names) over REST, GraphQL and gRPC; a tick feed over WebSocket, SSE and long
 * polling, optionally across a network drop; and head-of-line blocking on HTTP/1.1 against
 * HTTP/2. Each run builds its own seeded simulation, so rows do not disturb each other and a
 * re-run gives the same numbers.
 */
import { DISPLAY, table, type MimeBundle } from "../display";
import { ConfigError, fraction, nonNegative, positive, wholeNumber } from "../errors";
import { Histogram } from "../sim/metrics";
import { Simulation } from "../sim/simulation";
import { jsonLength } from "./encoding";
import { SocialDb, createSocialData, type Post, type User } from "./domain";
import { TickFeed, type FeedEvent } from "./feed";
import { GraphQLClient, GraphQLServer } from "./graphql";
import { GrpcClient, GrpcServer } from "./grpc";
import { HttpClient, httpServer, jsonResponse, queryOf } from "./http1";
import { LongPollClient, LongPollServer } from "./long-polling";
import { ProtoSchema } from "./protobuf";
import { RestApi, RestClient, type PostWithAuthor } from "./rest";
import { createSocialGrpcServer, socialProto } from "./social-grpc";
import { SimEventSource, SseServer } from "./sse";
import { networkDrop, wireOf } from "./transport";
import { ReconnectingWebSocket, WebSocketServer } from "./websocket";

/** Options of {@link protocolLab}. Defaults are in {@link PROTOCOL_LAB_DEFAULTS}. */
export interface ProtocolLabOptions {
  /** Seed of the simulation (and of the data). */
  seed?: number;
  /** One-way latency between the client (`app`) and the servers, ms. */
  clientLatencyMs?: number;
  /** One-way latency between the servers and the database, ms. */
  dbLatencyMs?: number;
  /** Chance that a segment between client and servers is lost (TCP resends it). */
  loss?: number;
  /** Link speed client ↔ servers in bytes per ms (`Infinity`: size costs no time). */
  bandwidth?: number;
}

/** Defaults: 25 ms one-way to the client (a 50 ms round trip), 1 ms to the database, no loss. */
export const PROTOCOL_LAB_DEFAULTS = { seed: 1, clientLatencyMs: 25, dbLatencyMs: 1, loss: 0, bandwidth: Infinity } as const;

/** Everything the posts-screen examples need, wired on one simulation. */
export interface ProtocolLab {
  sim: Simulation;
  db: SocialDb;
  /** REST and GraphQL (`/graphql` plain, `/graphql-batched` with DataLoader) on node `api`. */
  restApi: RestApi;
  graphqlServer: GraphQLServer;
  graphqlBatchedServer: GraphQLServer;
  /** gRPC on node `grpc-api`. */
  grpcServer: GrpcServer;
  /** Clients on node `app`. */
  rest: RestClient;
  graphql: GraphQLClient;
  graphqlBatched: GraphQLClient;
  grpc: GrpcClient;
  /** Round-trip time between the client and the servers (twice `clientLatencyMs`), ms. */
  rttMs: number;
}

/**
 * Builds the example domain served three ways: a database node `db`, node `api` with REST
 * and GraphQL, node `grpc-api` with gRPC, and clients for each on node `app`.
 */
export function protocolLab(options: ProtocolLabOptions = {}): ProtocolLab {
  const o = { ...PROTOCOL_LAB_DEFAULTS, ...options };
  nonNegative("protocolLab", "clientLatencyMs", o.clientLatencyMs);
  nonNegative("protocolLab", "dbLatencyMs", o.dbLatencyMs);
  fraction("protocolLab", "loss", o.loss);
  if (o.bandwidth !== Infinity) positive("protocolLab", "bandwidth", o.bandwidth);
  const sim = new Simulation({ seed: o.seed });
  wireOf(sim, { bandwidth: o.bandwidth });
  const db = new SocialDb(sim, { data: createSocialData({ seed: o.seed }) });
  const restApi = new RestApi(sim);
  const graphqlServer = new GraphQLServer(sim);
  const graphqlBatchedServer = new GraphQLServer(sim, { dataLoader: true, path: "/graphql-batched" });
  const grpcServer = createSocialGrpcServer(sim);
  for (const server of ["api", "grpc-api"]) {
    sim.network.setLink("app", server, { latency: o.clientLatencyMs, loss: o.loss }, false);
    sim.network.setLink(server, "db", { latency: o.dbLatencyMs });
  }
  return {
    sim,
    db,
    restApi,
    graphqlServer,
    graphqlBatchedServer,
    grpcServer,
    rest: new RestClient(sim, { cache: false }),
    graphql: new GraphQLClient(sim),
    graphqlBatched: new GraphQLClient(sim, { path: "/graphql-batched" }),
    grpc: new GrpcClient(sim, { proto: socialProto(), service: "social.v1.PostService" }),
    rttMs: 2 * o.clientLatencyMs,
  };
}

/** The ways {@link loadPostsScreen} can fetch the screen. */
export const SCREEN_APPROACHES = ["REST (N+1)", "REST (embed)", "GraphQL", "GraphQL + DataLoader", "gRPC"] as const;
/** One way to fetch the posts screen. */
export type ScreenApproach = (typeof SCREEN_APPROACHES)[number];

/** The GraphQL query of the posts screen: exactly the three fields it shows. */
export const POSTS_SCREEN_QUERY = "query PostsScreen($n: Int!) { posts(first: $n) { id title author { name } } }";

/** What one load of the posts screen cost. */
export interface ScreenLoad {
  approach: ScreenApproach;
  /** Requests (or RPCs) the client made. */
  requests: number;
  /**
   * The load's latency in round-trip times (latency ÷ RTT, one decimal): how many network round
   * trips the user waited for. Not the request count: requests that run in parallel on several
   * connections share round trips, and opening a connection costs one.
   */
  roundTrips: number;
  /** Bytes of the response bodies (JSON) or messages (Protobuf) the client received. */
  payloadBytes: number;
  /** Bytes both ways with headers and framing. */
  wireBytes: number;
  /** Connections opened during this load. */
  connections: number;
  /** Queries the servers made to the database. */
  dbQueries: number;
  /** From the first request to the last answer, ms of virtual time. */
  latencyMs: number;
  /** What the screen shows. */
  cards: { id: number; title: string; authorName: string }[];
}

/** Loads the posts screen once with `approach`; run it inside `lab.sim.run(...)`. */
export async function loadPostsScreen(lab: ProtocolLab, approach: ScreenApproach, posts = 20): Promise<ScreenLoad> {
  wholeNumber("loadPostsScreen", "posts", posts);
  if (!SCREEN_APPROACHES.includes(approach)) throw new ConfigError("loadPostsScreen", "approach", approach, `one of ${SCREEN_APPROACHES.map((a) => JSON.stringify(a)).join(", ")}`);
  const { sim } = lab;
  const httpOf = (a: ScreenApproach) => (a.startsWith("REST") ? lab.rest.http : a === "GraphQL" ? lab.graphql.http : lab.graphqlBatched.http);
  const before = approach === "gRPC" ? { ...lab.grpc.stats } : { ...httpOf(approach).stats };
  const queries = lab.db.stats.queries;
  const start = sim.now;
  let cards: ScreenLoad["cards"];
  switch (approach) {
    case "REST (N+1)": {
      const list = await lab.rest.get<Post[]>(`/posts?limit=${posts}`);
      const authors = await Promise.all(list.body.map((p) => lab.rest.get<User>(`/users/${p.authorId}`)));
      cards = list.body.map((p, i) => ({ id: p.id, title: p.title, authorName: authors[i]!.body.name }));
      break;
    }
    case "REST (embed)": {
      const list = await lab.rest.get<PostWithAuthor[]>(`/posts?limit=${posts}&embed=author`);
      cards = list.body.map((p) => ({ id: p.id, title: p.title, authorName: p.author.name }));
      break;
    }
    case "GraphQL":
    case "GraphQL + DataLoader": {
      const client = approach === "GraphQL" ? lab.graphql : lab.graphqlBatched;
      const res = await client.query<{ posts: { id: string; title: string; author: { name: string } }[] }>(POSTS_SCREEN_QUERY, { n: posts });
      if (res.errors) throw new ConfigError("loadPostsScreen", "GraphQL answer", res.errors, "no errors");
      cards = res.data!.posts.map((p) => ({ id: Number(p.id), title: p.title, authorName: p.author.name }));
      break;
    }
    case "gRPC": {
      const res = await lab.grpc.unary("ListPostCards", { pageSize: posts });
      cards = (res.posts as { id: number; title: string; authorName: string }[]).map((p) => ({ id: p.id, title: p.title, authorName: p.authorName }));
      break;
    }
  }
  const latencyMs = sim.now - start;
  const roundTrips = inRoundTrips(lab, latencyMs);
  const dbQueries = lab.db.stats.queries - queries;
  if (approach === "gRPC") {
    const s = lab.grpc.stats;
    const b = before as typeof s;
    return { approach, requests: s.calls - b.calls, roundTrips, payloadBytes: s.payloadBytes - b.payloadBytes, wireBytes: s.bytesUp + s.bytesDown - b.bytesUp - b.bytesDown, connections: s.connections - b.connections, dbQueries, latencyMs, cards };
  }
  const s = httpOf(approach).stats;
  const b = before as typeof s;
  return { approach, requests: s.requests - b.requests, roundTrips, payloadBytes: s.bodyBytes - b.bodyBytes, wireBytes: s.bytesUp + s.bytesDown - b.bytesUp - b.bytesDown, connections: s.connections - b.connections, dbQueries, latencyMs, cards };
}

/** A latency in round-trip times of the lab's client link, one decimal (0 when the link has no latency). */
function inRoundTrips(lab: ProtocolLab, ms: number): number {
  return lab.rttMs > 0 ? Math.round((10 * ms) / lab.rttMs) / 10 : 0;
}

/** Options of {@link comparePostsScreen}. */
export interface ScreenComparisonOptions extends ProtocolLabOptions {
  /** Posts on the screen. Default 20. */
  posts?: number;
  /** Loads of the screen per approach (the first one opens the connections). Default 5. */
  loads?: number;
  /** Approaches to run. Default: all of {@link SCREEN_APPROACHES}. */
  approaches?: readonly ScreenApproach[];
}

/** One approach's row of a {@link ScreenComparison}. */
export interface ScreenRow {
  approach: ScreenApproach;
  /** Requests (or RPCs) per load. */
  requests: number;
  /** Median load latency in round-trip times. */
  roundTrips: number;
  payloadBytes: number;
  wireBytes: number;
  dbQueries: number;
  /** Connections opened over all loads. */
  connections: number;
  p50Ms: number;
  p95Ms: number;
}

/** The result of {@link comparePostsScreen}: a row per approach. */
export class ScreenComparison {
  constructor(
    readonly rows: readonly ScreenRow[],
    /** Every load, in order, per approach. */
    readonly loads: Readonly<Record<string, readonly ScreenLoad[]>>,
    /** The lab each approach ran on (for traces). */
    readonly labs: Readonly<Record<string, ProtocolLab>>,
  ) {}

  /** The row of one approach. */
  row(approach: ScreenApproach): ScreenRow {
    const r = this.rows.find((x) => x.approach === approach);
    if (!r) throw new ConfigError("ScreenComparison.row", "approach", approach, `one of ${this.rows.map((x) => JSON.stringify(x.approach)).join(", ")}`);
    return r;
  }

  [DISPLAY](): MimeBundle {
    return table(this.rows.map((r) => ({ approach: r.approach, requests: r.requests, "round trips (p50 ÷ RTT)": r.roundTrips, "payload bytes": r.payloadBytes, "wire bytes": r.wireBytes, "db queries": r.dbQueries, connections: r.connections, "p50 ms": round(r.p50Ms), "p95 ms": round(r.p95Ms) })))[DISPLAY]();
  }
}

/**
 * Loads the posts screen `loads` times with each approach, each approach on its own lab
 * (same seed), and tabulates round trips, bytes and database queries per load (from the
 * last load) and latency percentiles over the loads.
 */
export async function comparePostsScreen(options: ScreenComparisonOptions = {}): Promise<ScreenComparison> {
  const loads = wholeNumber("comparePostsScreen", "loads", options.loads ?? 5);
  const posts = wholeNumber("comparePostsScreen", "posts", options.posts ?? 20);
  const approaches = options.approaches ?? SCREEN_APPROACHES;
  const rows: ScreenRow[] = [];
  const all: Record<string, ScreenLoad[]> = {};
  const labs: Record<string, ProtocolLab> = {};
  for (const approach of approaches) {
    const lab = protocolLab(options);
    labs[approach] = lab;
    const list: ScreenLoad[] = [];
    await lab.sim.run(async () => {
      for (let i = 0; i < loads; i++) list.push(await loadPostsScreen(lab, approach, posts));
    });
    all[approach] = list;
    const h = new Histogram(approach);
    for (const l of list) h.record(l.latencyMs);
    const last = list.at(-1)!;
    const p50Ms = h.percentile(50);
    rows.push({ approach, requests: last.requests, roundTrips: inRoundTrips(lab, p50Ms), payloadBytes: last.payloadBytes, wireBytes: last.wireBytes, dbQueries: last.dbQueries, connections: list.reduce((n, l) => n + l.connections, 0), p50Ms, p95Ms: h.percentile(95) });
  }
  return new ScreenComparison(rows, all, labs);
}

/** The real-time protocols {@link compareFeeds} runs. */
export const FEED_PROTOCOLS = ["WebSocket", "SSE", "long polling"] as const;
/** One real-time protocol. */
export type FeedProtocol = (typeof FEED_PROTOCOLS)[number];

/** Options of {@link runFeed} and {@link compareFeeds}. */
export interface FeedRunOptions {
  seed?: number;
  /** Ticks published. Default 50. */
  ticks?: number;
  /** Time between ticks, ms. Default 100. */
  intervalMs?: number;
  /** One-way latency client ↔ server, ms. Default 25. */
  clientLatencyMs?: number;
  /** A network drop: connections break at `at` and the link is down for `durationMs`. */
  drop?: { at: number; durationMs: number };
  /** WebSocket app asks the server to replay from its last id after a reconnect. Default false (the browser API has no resume). */
  webSocketResume?: boolean;
  /** SSE client's reconnection time, ms. Default 3000 (Chromium). */
  sseReconnectMs?: number;
  /** How long the long-poll server holds a request, ms. Default 30 000. */
  pollHoldMs?: number;
  /** Protocols to run. Default all. */
  protocols?: readonly FeedProtocol[];
}

/** What one protocol did with the feed. */
export interface FeedRow {
  protocol: FeedProtocol;
  /** Ticks published. */
  published: number;
  /** Distinct ticks the client got. */
  delivered: number;
  /** Ticks it never got. */
  lost: number;
  /** Ticks it got more than once. */
  duplicates: number;
  /** Event → client latency, ms. */
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /** HTTP requests the client sent (handshakes, polls, stream requests). */
  requests: number;
  /** Connections opened. */
  connections: number;
  /** Bytes server → client and client → server, all framing included. */
  bytesDown: number;
  bytesUp: number;
}

/** The result of {@link compareFeeds}. */
export class FeedComparison {
  constructor(
    readonly rows: readonly FeedRow[],
    /** The simulation of each protocol (for traces). */
    readonly sims: Readonly<Record<string, Simulation>>,
  ) {}

  /** The row of one protocol. */
  row(protocol: FeedProtocol): FeedRow {
    const r = this.rows.find((x) => x.protocol === protocol);
    if (!r) throw new ConfigError("FeedComparison.row", "protocol", protocol, `one of ${this.rows.map((x) => JSON.stringify(x.protocol)).join(", ")}`);
    return r;
  }

  [DISPLAY](): MimeBundle {
    return table(
      this.rows.map((r) => ({ protocol: r.protocol, delivered: `${r.delivered}/${r.published}`, lost: r.lost, dup: r.duplicates, "p50 ms": round(r.p50Ms), "p95 ms": round(r.p95Ms), "max ms": round(r.maxMs), requests: r.requests, connections: r.connections, "bytes down": r.bytesDown, "bytes up": r.bytesUp })),
    )[DISPLAY]();
  }
}

/** Runs the tick feed over one protocol and measures it. */
export async function runFeed(protocol: FeedProtocol, options: FeedRunOptions = {}): Promise<{ row: FeedRow; sim: Simulation }> {
  if (!FEED_PROTOCOLS.includes(protocol)) throw new ConfigError("runFeed", "protocol", protocol, `one of ${FEED_PROTOCOLS.map((p) => JSON.stringify(p)).join(", ")}`);
  const sim = new Simulation({ seed: options.seed ?? 1 });
  const latency = nonNegative("runFeed", "clientLatencyMs", options.clientLatencyMs ?? 25);
  const feed = new TickFeed(sim, { count: options.ticks ?? 50, intervalMs: options.intervalMs ?? 100 });
  sim.client("app");
  sim.network.setLink("app", "api", { latency });
  const times = new Map<number, number[]>();
  const received = (id: number) => {
    const list = times.get(id) ?? [];
    list.push(sim.now);
    times.set(id, list);
  };
  let requests: () => number;
  let connections: () => number;
  let bytes: () => [number, number];
  let stop: () => void;
  if (protocol === "WebSocket") {
    const server = new WebSocketServer(sim, { heartbeatMs: 0 });
    server.onConnection((socket) => {
      // The app protocol: the client says where to start; the server replays, then streams.
      let unsubscribe = () => {};
      socket.onMessage((text) => {
        const { after } = JSON.parse(text) as { after: number };
        const send = (e: FeedEvent) => socket.send(JSON.stringify({ id: e.id, ...(JSON.parse(e.data) as object) }));
        for (const e of feed.after(after < 0 ? feed.lastId : after)) send(e);
        unsubscribe = feed.subscribe(send);
      });
      socket.onClose(() => unsubscribe());
    });
    let lastId = 0;
    let opened = false;
    const ws = new ReconnectingWebSocket(sim, {
      // First open: everything from the start. After a reconnect: only what is new, unless
      // the app resumes from the last id it has.
      onOpen: (socket) => {
        socket.send(JSON.stringify({ after: !opened || options.webSocketResume ? lastId : -1 }));
        opened = true;
      },
      onMessage: (data) => {
        const id = (JSON.parse(data) as { id: number }).id;
        lastId = Math.max(lastId, id);
        received(id);
      },
    });
    requests = () => ws.stats.connections;
    connections = () => ws.stats.connections;
    bytes = () => [ws.stats.bytesReceived, ws.stats.bytesSent];
    stop = () => ws.close();
  } else if (protocol === "SSE") {
    new SseServer(sim, { source: feed });
    const es = new SimEventSource(sim, options.sseReconnectMs === undefined ? {} : { reconnectionTimeMs: options.sseReconnectMs });
    es.addEventListener("tick", (e) => received(Number(e.lastEventId)));
    requests = () => es.stats.requests;
    connections = () => es.stats.connections;
    bytes = () => [es.stats.bytesReceived, es.stats.bytesSent];
    stop = () => es.close();
  } else {
    new LongPollServer(sim, { source: feed, ...(options.pollHoldMs !== undefined ? { holdMs: options.pollHoldMs } : {}) });
    const lp = new LongPollClient(sim, { onEvent: (e) => received(e.id) });
    lp.start();
    requests = () => lp.stats.requests;
    connections = () => lp.stats.connections;
    bytes = () => [lp.stats.bytesReceived, lp.stats.bytesSent];
    stop = () => lp.stop();
  }
  if (options.drop) networkDrop(sim, "app", "api", options.drop);
  // Run until the last tick, plus time for a reconnect and a replay to land.
  const settle = Math.max(5_000, (options.sseReconnectMs ?? 3_000) + 2_000);
  await sim.runUntil(feed.endsAt + settle + (options.drop ? options.drop.durationMs : 0));
  const h = new Histogram(protocol);
  let duplicates = 0;
  for (const [id, list] of times) {
    h.record(list[0]! - feed.events[id - 1]!.time);
    duplicates += list.length - 1;
  }
  const [down, up] = bytes();
  const row: FeedRow = {
    protocol,
    published: feed.events.length,
    delivered: times.size,
    lost: feed.events.length - times.size,
    duplicates,
    p50Ms: h.percentile(50),
    p95Ms: h.percentile(95),
    maxMs: h.summary().max,
    requests: requests(),
    connections: connections(),
    bytesDown: down,
    bytesUp: up,
  };
  stop();
  return { row, sim };
}

/** Runs the same tick feed over WebSocket, SSE and long polling and tabulates what each client got. */
export async function compareFeeds(options: FeedRunOptions = {}): Promise<FeedComparison> {
  const rows: FeedRow[] = [];
  const sims: Record<string, Simulation> = {};
  for (const protocol of options.protocols ?? FEED_PROTOCOLS) {
    const { row, sim } = await runFeed(protocol, options);
    rows.push(row);
    sims[protocol] = sim;
  }
  return new FeedComparison(rows, sims);
}

/** Options of {@link compareHeadOfLine}. */
export interface HeadOfLineOptions {
  seed?: number;
  /** Server time of the slow request, ms. Default 300. */
  slowMs?: number;
  /** Fast requests sent right after it. Default 5. */
  fastRequests?: number;
  /** Server time of each fast request, ms. Default 5. */
  fastMs?: number;
  /** One-way latency, ms. Default 25. */
  latencyMs?: number;
  /** Segment loss client ↔ server (TCP resends; every stream on the connection waits). Default 0. */
  loss?: number;
}

/** One transport's row of a {@link HeadOfLineComparison}. */
export interface HeadOfLineRow {
  transport: string;
  connections: number;
  /** When the slow answer arrived, ms after sending. */
  slowMs: number;
  /** When the fast answers arrived, ms after sending. */
  fastP50Ms: number;
  fastMaxMs: number;
  /** TCP segments resent. */
  retransmits: number;
}

/** The result of {@link compareHeadOfLine}. */
export class HeadOfLineComparison {
  constructor(readonly rows: readonly HeadOfLineRow[]) {}

  [DISPLAY](): MimeBundle {
    return table(this.rows.map((r) => ({ transport: r.transport, connections: r.connections, "slow ms": round(r.slowMs), "fast p50 ms": round(r.fastP50Ms), "fast max ms": round(r.fastMaxMs), retransmits: r.retransmits })))[DISPLAY]();
  }
}

const WORK_PROTO = `syntax = "proto3";
package lab.v1;
message WorkRequest { int32 ms = 1; }
message WorkReply { int32 ms = 1; }
service Work { rpc Do(WorkRequest) returns (WorkReply); }
`;

/**
 * One slow request and then several fast ones, sent at once: over HTTP/1.1 on one
 * connection (the fast ones wait behind the slow one), over HTTP/1.1 with a browser's 6
 * connections, and over one HTTP/2 connection (gRPC streams: they do not wait).
 */
export async function compareHeadOfLine(options: HeadOfLineOptions = {}): Promise<HeadOfLineComparison> {
  const slowMs = nonNegative("compareHeadOfLine", "slowMs", options.slowMs ?? 300);
  const fastMs = nonNegative("compareHeadOfLine", "fastMs", options.fastMs ?? 5);
  const n = wholeNumber("compareHeadOfLine", "fastRequests", options.fastRequests ?? 5);
  const latency = nonNegative("compareHeadOfLine", "latencyMs", options.latencyMs ?? 25);
  const loss = fraction("compareHeadOfLine", "loss", options.loss ?? 0);
  const rows: HeadOfLineRow[] = [];
  const setup = () => {
    const sim = new Simulation({ seed: options.seed ?? 1 });
    sim.client("app");
    httpServer(sim, "api").route("/work", (req) => req.path.startsWith("/work"), async (req) => {
      const ms = Number(queryOf(req.path).ms);
      await sim.sleep(ms);
      return jsonResponse(200, { ms });
    });
    new GrpcServer(sim, { name: "grpc-api", proto: ProtoSchema.parse(WORK_PROTO), service: "lab.v1.Work", serviceTimeMs: 0, handlers: { Do: async (call) => (await sim.sleep(Number(call.request!.ms)), { ms: call.request!.ms }) } });
    for (const s of ["api", "grpc-api"]) sim.network.setLink("app", s, { latency, loss });
    return sim;
  };
  const measure = async (transport: string, sim: Simulation, send: (ms: number) => Promise<unknown>, connections: () => number, warm: () => Promise<unknown>) => {
    await sim.run(async () => {
      await warm();
      const t0 = sim.now;
      const done: number[] = [];
      const slow = send(slowMs).then(() => sim.now - t0);
      const fast = Array.from({ length: n }, () => send(fastMs).then(() => done.push(sim.now - t0)));
      const slowAt = await slow;
      await Promise.all(fast);
      const h = new Histogram(transport);
      for (const d of done) h.record(d);
      rows.push({ transport, connections: connections(), slowMs: slowAt, fastP50Ms: h.percentile(50), fastMaxMs: h.summary().max, retransmits: wireOf(sim).connections.reduce((s, c) => s + c.stats.retransmits, 0) });
    });
  };
  for (const max of [1, 6]) {
    const sim = setup();
    const http = new HttpClient(sim, "app", "api", { maxConnections: max });
    // Open the connections first, so the comparison is about waiting, not handshakes.
    await measure(`HTTP/1.1, ${max} connection${max > 1 ? "s" : ""}`, sim, (ms) => http.request(`GET /work?ms=${ms}`), () => http.stats.connections, () => Promise.all(Array.from({ length: max }, () => http.request("GET /work?ms=0"))));
  }
  const sim = setup();
  const grpc = new GrpcClient(sim, { to: "grpc-api", proto: WORK_PROTO, service: "lab.v1.Work" });
  await measure("HTTP/2 (gRPC), 1 connection", sim, (ms) => grpc.unary("Do", { ms }), () => grpc.stats.connections, () => grpc.unary("Do", { ms: 0 }));
  return new HeadOfLineComparison(rows);
}

/** Payload of the posts screen in both encodings: the same cards as JSON and as Protobuf. */
export function postsScreenPayloads(cards: readonly { id: number; title: string; authorName: string }[]): { jsonBytes: number; protobufBytes: number; ratio: number } {
  const json = jsonLength({ posts: cards });
  const protobuf = socialProto().type("social.v1.ListPostCardsResponse").encode({ posts: cards.map((c) => ({ ...c })) }).length;
  return { jsonBytes: json, protobufBytes: protobuf, ratio: json / protobuf };
}

function round(v: number): number {
  return Number.isFinite(v) ? Math.round(v * 10) / 10 : v;
}
