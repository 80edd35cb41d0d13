/** Challenges of the "Communication protocols" section, keyed by catalog id. */
import {
  ConfigError,
  GraphQLClient,
  GraphQLServer,
  Histogram,
  LongPollClient,
  LongPollServer,
  ReconnectingWebSocket,
  SimEventSource,
  Simulation,
  SocialDb,
  SseServer,
  TickFeed,
  WebSocketServer,
  createSocialData,
  createSocialGrpcServer,
  GrpcClient,
  networkDrop,
  protocolLab,
  socialProto,
  type FeedEvent,
  type RestClient,
  type ProtoValue,
  type SimWebSocket,
} from "sde-lab";
import { defineChallenge, expectFunction, type Challenge } from "./challenge";
import type { BuildChallenge } from "./build";
import { websocketBuild } from "./protocols-build/websocket";
import { sseBuild } from "./protocols-build/sse";
import { longPollingBuild } from "./protocols-build/long-polling";
import { restBuild } from "./build-protocols/rest";
import { graphqlBuild } from "./build-protocols/graphql";
import { grpcBuild } from "./build-protocols/grpc";

/** A card of the posts screen. */
export interface PostCard {
  id: number;
  title: string;
  authorName: string;
}

/** Solution of the REST challenge: load the 20 newest posts with their authors' names. */
export interface RestScreenSolution {
  load(rest: RestClient): Promise<readonly PostCard[]>;
}

/** Solution of the GraphQL challenge: the query, and whether the server batches with DataLoader. */
export interface GraphQLScreenSolution {
  query: string;
  dataLoader: boolean;
}

/** Solution of the gRPC challenge: how one `GetUser` call is made (deadline, retries). */
export interface GrpcDeadlineSolution {
  getUser(client: GrpcClient, id: number): Promise<ProtoValue>;
}

/** Solution of the WebSocket challenge: what the client sends each time the socket opens. */
export interface WebSocketResumeSolution {
  /** `lastId` is the id of the last tick received (0 before any). Send `{"after": n}` to get ticks after n (-1: only new ones). */
  onOpen(socket: SimWebSocket, lastId: number): void;
}

/** Solution of the SSE challenge: the server's settings. */
export interface SseSolution {
  /** `retry:` sent to clients, ms; undefined leaves the browser's 3 s. */
  retryMs: number | undefined;
  /** Honour `Last-Event-ID`. */
  resume: boolean;
}

/** Solution of the long-polling challenge: the client's pause between polls and the server's hold. */
export interface LongPollSolution {
  pollDelayMs: number;
  holdMs: number;
}

const DROP = { at: 2_050, durationMs: 1_000 };

function expectedCards(seed: number): PostCard[] {
  const data = createSocialData({ seed });
  return [...data.posts]
    .reverse()
    .slice(0, 20)
    .map((p) => ({ id: p.id, title: p.title, authorName: data.users.find((u) => u.id === p.authorId)!.name }));
}

function feedStats(feed: TickFeed, times: Map<number, number[]>) {
  const h = new Histogram("latency");
  let duplicates = 0;
  for (const [id, list] of times) {
    h.record(list[0]! - feed.events[id - 1]!.time);
    duplicates += list.length - 1;
  }
  return { lost: feed.events.length - times.size, duplicates, p95: h.percentile(95), max: h.count ? h.summary().max : Infinity };
}

const fn = expectFunction;

export const protocolsChallenges = {
  // Build challenges (issue 20): the learner writes the pattern; the knob challenge it replaces
  // stays as a warm-up under "<id>-warmup".
  rest: restBuild,
  "rest-warmup": defineChallenge<RestScreenSolution, "requests" | "kilobytes" | "wrongCards">({
    id: "rest-warmup",
    title: "Render the posts screen over REST in ≤ 2 requests and ≤ 4 KB",
    statement:
      "The posts screen shows the 20 newest posts: id, title and the author's name. Write `load(rest)` with the `RestClient` (`rest.get(path)`) so that it returns those 20 cards, newest first, with at most 2 requests and at most 4 KB of response bodies. The API supports `?limit=`, `&embed=author` and sparse fieldsets `&fields=id,title,author.name`.",
    targets: [
      { metric: "requests", label: "requests", op: "<=", value: 2, hint: "Fetch the authors with the list: `embed=author` puts each post's author in the answer." },
      { metric: "kilobytes", label: "response bodies", op: "<=", value: 4, unit: "KB", hint: "Ask only for the fields the screen shows: `fields=id,title,author.name`." },
      { metric: "wrongCards", label: "cards missing or wrong", op: "==", value: 0, hint: "Return `{ id, title, authorName }` for the 20 newest posts, newest first." },
    ],
    validate: (s) => fn("rest-warmup challenge", "load", s?.load),
    async run(solution, seed) {
      const lab = protocolLab({ seed });
      const cards = await lab.sim.run(() => solution.load(lab.rest));
      const expected = expectedCards(seed);
      const wrong = expected.filter((e, i) => cards?.[i]?.id !== e.id || cards[i]!.title !== e.title || cards[i]!.authorName !== e.authorName).length;
      return { requests: lab.rest.stats.requests, kilobytes: lab.rest.stats.bodyBytes / 1000, wrongCards: wrong };
    },
  }),

  graphql: graphqlBuild,
  "graphql-warmup": defineChallenge<GraphQLScreenSolution, "dbQueries" | "kilobytes" | "missing">({
    id: "graphql-warmup",
    title: "Posts with comments in ≤ 3 database queries and ≤ 3 KB",
    statement:
      "A screen shows the 10 newest posts, each with its title, its author's name and the bodies of its first 2 comments. Write the GraphQL `query` and choose whether the server uses DataLoader, so that one request costs at most 3 database queries and at most 3 KB of response.",
    targets: [
      { metric: "dbQueries", label: "database queries per request", op: "<=", value: 3, hint: "Every resolver of a list runs once per item: turn on `dataLoader` so the loads of one level become one batched query." },
      { metric: "kilobytes", label: "response size", op: "<=", value: 3, unit: "KB", hint: "Select only what the screen shows: `title`, `author { name }`, `comments(first: 2) { body }`." },
      { metric: "missing", label: "posts missing a field the screen needs", op: "==", value: 0, hint: "Ask for `posts(first: 10)` with `title`, `author { name }` and `comments(first: 2) { body }`." },
    ],
    validate: (s) => {
      if (typeof s?.query !== "string") throw new ConfigError("graphql-warmup challenge", "query", s?.query, "a GraphQL query string");
    },
    async run(solution, seed) {
      const sim = new Simulation({ seed });
      new SocialDb(sim, { data: createSocialData({ seed }) });
      const server = new GraphQLServer(sim, { dataLoader: solution.dataLoader === true });
      sim.network.setLink("app", "api", { latency: 25 });
      const client = new GraphQLClient(sim);
      const res = await sim.run(() => client.query<{ posts?: { title?: string; author?: { name?: string }; comments?: { body?: string }[] }[] }>(solution.query));
      const posts = res.data?.posts ?? [];
      const complete = posts.filter((p) => typeof p.title === "string" && typeof p.author?.name === "string" && p.comments?.length === 2 && p.comments.every((c) => typeof c.body === "string"));
      return { dbQueries: res.errors ? Infinity : server.stats.lastRequestDbQueries, kilobytes: client.stats.bodyBytes / 1000, missing: 10 - Math.min(10, complete.length) };
    },
  }),

  grpc: grpcBuild,
  "grpc-warmup": defineChallenge<GrpcDeadlineSolution, "p99Ms" | "failed" | "attempts">({
    id: "grpc-warmup",
    title: "Keep GetUser's p99 under 300 ms when 1 call in 10 stalls",
    statement:
      "`GetUser` usually answers in about 55 ms, but 1 call in 10 stalls for a second (a GC pause, a cold cache). Write `getUser(client, id)` so that 200 lookups (4 at a time) finish with a p99 of at most 300 ms and no failure, using at most 260 calls in all. `client.unary(method, request, { deadlineMs })` ends a call with `DEADLINE_EXCEEDED` (code 4) when the deadline passes.",
    targets: [
      { metric: "p99Ms", label: "p99 latency of a lookup", op: "<=", value: 300, unit: "ms", hint: "Give each call a deadline (about twice the normal latency) so a stalled call is abandoned early." },
      { metric: "failed", label: "lookups that failed", op: "==", value: 0, hint: "Retry a call that ended DEADLINE_EXCEEDED or UNAVAILABLE (code 4 or 14), a few times." },
      { metric: "attempts", label: "calls made", op: "<=", value: 260, hint: "Retry only on a timeout, and not too many times: retries are load too." },
    ],
    validate: (s) => fn("grpc-warmup challenge", "getUser", s?.getUser),
    async run(solution, seed) {
      const sim = new Simulation({ seed });
      new SocialDb(sim);
      createSocialGrpcServer(sim, {
        handlers: {
          GetUser: async (call) => {
            await sim.sleep(sim.random.chance(0.1) ? 1_000 : 5);
            return { id: call.request!.id, name: `user ${String(call.request!.id)}` };
          },
        },
      });
      sim.network.setLink("app", "grpc-api", { latency: 25 });
      const client = new GrpcClient(sim, { proto: socialProto(), service: "social.v1.PostService" });
      const h = new Histogram("lookup");
      let failed = 0;
      await sim.run(() =>
        Promise.all(
          Array.from({ length: 4 }, async (_, worker) => {
            for (let i = 0; i < 50; i++) {
              const start = sim.now;
              try {
                await solution.getUser(client, worker * 50 + i + 1);
              } catch {
                failed++;
              }
              h.record(sim.now - start);
            }
          }),
        ),
      );
      return { p99Ms: h.percentile(99), failed, attempts: client.stats.calls };
    },
  }),

  "websocket-warmup": defineChallenge<WebSocketResumeSolution, "lost" | "duplicates">({
    id: "websocket-warmup",
    title: "Lose no tick across a network drop over WebSocket",
    statement:
      "A server streams 50 ticks (one every 100 ms) to every socket, starting after the id the client sends in its first message: `{\"after\": n}` (ticks with id > n; `-1` means only new ones). At t = 2050 ms the network drops for 1 s; the socket reconnects on its own. Write `onOpen(socket, lastId)` so that the client gets every tick exactly once.",
    targets: [
      { metric: "lost", label: "ticks never received", op: "==", value: 0, hint: "The browser API does not resume: after a reconnect, ask for the ticks after the last id you have." },
      { metric: "duplicates", label: "ticks received twice", op: "==", value: 0, hint: "Do not ask for ticks you already have: send the last id you received, not 0." },
    ],
    validate: (s) => fn("websocket challenge", "onOpen", s?.onOpen),
    async run(solution, seed) {
      const sim = new Simulation({ seed });
      const feed = new TickFeed(sim, { count: 50 });
      const server = new WebSocketServer(sim, { heartbeatMs: 0 });
      server.onConnection((socket) => {
        let unsubscribe = () => {};
        socket.onMessage((text) => {
          const after = Number((JSON.parse(text) as { after?: unknown }).after);
          const send = (e: FeedEvent) => socket.send(JSON.stringify({ id: e.id, ...(JSON.parse(e.data) as object) }));
          unsubscribe();
          for (const e of feed.after(after < 0 ? feed.lastId : after)) send(e);
          unsubscribe = feed.subscribe(send);
        });
        socket.onClose(() => unsubscribe());
      });
      sim.network.setLink("app", "api", { latency: 25 });
      const times = new Map<number, number[]>();
      let lastId = 0;
      const ws = new ReconnectingWebSocket(sim, {
        onOpen: (socket) => solution.onOpen(socket, lastId),
        onMessage: (data) => {
          const id = (JSON.parse(data) as { id: number }).id;
          lastId = Math.max(lastId, id);
          times.set(id, [...(times.get(id) ?? []), sim.now]);
        },
      });
      networkDrop(sim, "app", "api", DROP);
      await sim.runUntil(feed.endsAt + 5_000);
      ws.close();
      const { lost, duplicates } = feedStats(feed, times);
      return { lost, duplicates };
    },
  }),

  "sse-warmup": defineChallenge<SseSolution, "lost" | "duplicates" | "maxDelayMs">({
    id: "sse-warmup",
    title: "Through a 1 s network drop over SSE: nothing lost, no tick later than 1.5 s",
    statement:
      "An `SseServer` streams 50 ticks (one every 100 ms); at t = 2050 ms the network drops for 1 s and the browser's `EventSource` reconnects on its own. Choose the server's `retryMs` (sent as `retry:`) and `resume` (honour `Last-Event-ID`) so that every tick arrives exactly once and none arrives more than 1.5 s after it happened.",
    targets: [
      { metric: "lost", label: "ticks never received", op: "==", value: 0, hint: "A reconnecting client sends Last-Event-ID: let the server replay what came after it (`resume: true`)." },
      { metric: "duplicates", label: "ticks received twice", op: "==", value: 0, hint: "Replay only what comes after the client's Last-Event-ID." },
      { metric: "maxDelayMs", label: "worst delay of a tick", op: "<=", value: 1500, unit: "ms", hint: "The browser waits its reconnection time (3 s by default) before reconnecting: send a shorter `retry:`." },
    ],
    validate: (s) => {
      if (s?.retryMs !== undefined && !(typeof s.retryMs === "number" && s.retryMs >= 0)) throw new ConfigError("sse challenge", "retryMs", s.retryMs, "a number of ms ≥ 0 or undefined");
    },
    async run(solution, seed) {
      const sim = new Simulation({ seed });
      const feed = new TickFeed(sim, { count: 50 });
      new SseServer(sim, { source: feed, resume: solution.resume, ...(solution.retryMs !== undefined ? { retryMs: solution.retryMs } : {}) });
      sim.network.setLink("app", "api", { latency: 25 });
      const es = new SimEventSource(sim);
      const times = new Map<number, number[]>();
      es.addEventListener("tick", (e) => times.set(Number(e.lastEventId), [...(times.get(Number(e.lastEventId)) ?? []), sim.now]));
      networkDrop(sim, "app", "api", DROP);
      await sim.runUntil(feed.endsAt + 5_000);
      es.close();
      const { lost, duplicates, max } = feedStats(feed, times);
      return { lost, duplicates, maxDelayMs: max };
    },
  }),

  "long-polling-warmup": defineChallenge<LongPollSolution, "requests" | "p95Ms" | "lost">({
    id: "long-polling-warmup",
    title: "Long-poll 50 ticks with ≤ 20 requests and a p95 delay ≤ 600 ms",
    statement:
      "50 ticks arrive one every 100 ms. A long-poll client asks again as soon as an answer comes, so each answer carries about one tick: one request per tick. Choose the client's `pollDelayMs` (pause after an answer, so ticks pile up on the server) and the server's `holdMs` so that all 50 ticks arrive with at most 20 requests and a p95 delay of at most 600 ms.",
    targets: [
      { metric: "requests", label: "poll requests", op: "<=", value: 20, hint: "Pause a little after each answer (`pollDelayMs`): the next answer then carries several ticks." },
      { metric: "p95Ms", label: "p95 delay of a tick", op: "<=", value: 600, unit: "ms", hint: "A tick waits at most the pause plus a round trip: keep `pollDelayMs` well under 600 ms." },
      { metric: "lost", label: "ticks never received", op: "==", value: 0, hint: "Keep polling until the end; the server keeps every tick for the next poll." },
    ],
    validate: (s) => {
      if (!(typeof s?.pollDelayMs === "number" && s.pollDelayMs >= 0)) throw new ConfigError("long-polling challenge", "pollDelayMs", s?.pollDelayMs, "a number of ms ≥ 0");
      if (!(typeof s?.holdMs === "number" && s.holdMs > 0)) throw new ConfigError("long-polling challenge", "holdMs", s?.holdMs, "a number of ms > 0");
    },
    async run(solution, seed) {
      const sim = new Simulation({ seed });
      const feed = new TickFeed(sim, { count: 50 });
      new LongPollServer(sim, { source: feed, holdMs: solution.holdMs });
      sim.network.setLink("app", "api", { latency: 25 });
      const times = new Map<number, number[]>();
      const client = new LongPollClient(sim, { pollDelayMs: solution.pollDelayMs, onEvent: (e) => times.set(e.id, [...(times.get(e.id) ?? []), sim.now]) });
      client.start();
      // Count the polls up to the last tick's delivery, not the idle ones after it.
      await sim.runUntil(feed.endsAt + 1_000);
      client.stop();
      const { lost, p95 } = feedStats(feed, times);
      return { requests: client.stats.requests, p95Ms: p95, lost };
    },
  }),
  // Build challenges (issue 20): the learner writes the pattern; the knob challenge it replaces
  // stays as a warm-up under "<id>-warmup".
  websocket: websocketBuild,
  sse: sseBuild,
  "long-polling": longPollingBuild,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each challenge has its own solution type; the index keeps them apart.
} satisfies Record<string, Challenge<any> | BuildChallenge<any>>;
