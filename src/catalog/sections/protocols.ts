/** Catalog entries of the "Communication protocols" section, in the order its notebook teaches them. */
import type { PatternEntry } from "../types";

const notebook = (cell: string) => ({ file: "03-protocols.sdenb", cell });

export const protocols: readonly PatternEntry[] = [
  {
    id: "rest",
    section: "protocols",
    title: "REST",
    summary: "Resources at URLs, HTTP methods and status codes, JSON bodies, caching with ETags.",
    whenToUse: [
      "Public APIs that many unknown clients call with plain HTTP tools.",
      "CRUD over resources where HTTP caching (ETag, Cache-Control, CDNs) pays off.",
      "When browsers, proxies and curl must all be able to speak to it with no code generation.",
    ],
    whenNotToUse: [
      "Screens that need data from many resources at once: they pay a round trip per resource or a bloated embed.",
      "Chatty service-to-service calls where payload size and latency matter more than openness.",
    ],
    explanation: [
      "REST models the API as **resources** (`/posts/3`, `/users/7`) that clients read and change with HTTP's methods: `GET` reads and is safe to repeat, `PUT` and `DELETE` are idempotent, `POST` creates. Status codes carry the outcome (`201 Created` with a `Location`, `404`, `405` with `Allow`, `422` for invalid input) and headers carry the rest: content type, caching, conditions.",
      "Caching is built in: a response's `ETag` names its version, and a client that asks again with `If-None-Match` gets `304 Not Modified` without a body when nothing changed.",
      "The cost is the shape: a resource returns all its fields (**over-fetching**) and rarely contains the related resources a screen needs (**under-fetching**), so a list of 20 posts with their authors is 1 + 20 requests. Embeds (`?embed=author`) and sparse fieldsets (`?fields=id,title`) are the usual fixes.",
    ].join("\n\n"),
    interview: {
      answer:
        "REST exposes resources at URLs and uses HTTP as designed: GET to read, POST to create, PUT and DELETE for idempotent changes, status codes for outcomes and headers for metadata such as caching. Its strengths are reach and caching: any HTTP client can call it, and ETags with If-None-Match let clients and CDNs skip bodies that did not change. Its weakness is fixed response shapes. A resource returns every field, so a screen that shows two of them over-fetches, and related data lives at other URLs, so a list of 20 posts with author names costs 21 requests, which a browser's six connections turn into about seven round trips of waiting. In the lab that was 21 requests and almost 16 KB of JSON, against one request and under 2 KB once I added an embed and sparse fieldsets. I pick REST for public APIs and simple CRUD, add embeds or fieldsets for hot screens, and move to GraphQL or a BFF when screens keep needing new combinations.",
      followUps: [
        { question: "What makes PUT idempotent and POST not?", answer: "PUT replaces the resource at a known URL, so sending it twice leaves the same state; POST asks the server to create something new, so a retry can create a second one unless the API takes an idempotency key." },
        { question: "How does an ETag save bandwidth?", answer: "The client keeps the body and its ETag and sends If-None-Match on the next GET; if the version is unchanged the server answers 304 with no body, so only headers cross the network." },
        { question: "How would you fix N+1 requests without leaving REST?", answer: "Offer an embed or include parameter for the related resource, sparse fieldsets to cut fields, or a screen-specific endpoint in a backend for frontend that aggregates the calls server-side." },
      ],
    },
    notebook: notebook("rest"),
    snippet: "snippets/rest.ts",
    diagram: "media/diagrams/rest.mmd",
    exports: ["protocolLab", "loadPostsScreen", "RestClient", "RestApi", "etagOf"],
    related: ["graphql", "grpc"],
    challenge: "rest",
  },
  {
    id: "graphql",
    section: "protocols",
    title: "GraphQL",
    summary: "One endpoint; the client's query picks the fields; resolvers per field, batched with DataLoader.",
    whenToUse: [
      "Many clients with different screens over the same data graph.",
      "Screens that combine several related entities in one view.",
      "When the schema doubles as a typed, introspectable contract for front-end teams.",
    ],
    whenNotToUse: [
      "Simple CRUD where HTTP caching by URL matters: most clients POST every query to one URL, and GET needs persisted queries to stay cacheable.",
      "Public APIs where you cannot bound what arbitrary queries cost without depth and complexity limits.",
    ],
    explanation: [
      "A GraphQL server publishes a **schema** (types, fields, arguments) at a single endpoint. The client sends a query naming exactly the fields it wants, nested across relations, and the response mirrors that selection: no over-fetching, and one round trip for a whole screen.",
      "Each field has a **resolver**. Resolving `author` for 20 posts calls the author resolver 20 times, and if each one queries the database that is 1 + 20 queries: the N+1 problem moves from the client to the server. **DataLoader** collects the loads made while one level resolves and sends them as one batched query, and caches them for the rest of the request.",
      "Errors are data: a query that does not parse or validate gets an `errors` array and no `data`; a failing resolver gives `null` for its field (or its nearest nullable parent) plus an error with the field's `path`, next to the rest of the data.",
      "Queries can also travel as `GET` (the URL carries the query, so HTTP caches and CDNs can key on it; persisted queries keep those URLs short), while a mutation over `GET` must be refused with 405. Lists are paginated with cursors (`first`/`after`, the Relay connection shape) rather than offsets, which skip or repeat items when rows are inserted between pages. A failing non-null field sends its `null` up to the nearest nullable parent, up to `data` itself.",
      "In the notebook a reader pages through 40 posts, 10 at a time, while someone writes a post after each of the first three pages: by offset 3 posts come twice, by cursor none; deleting the newest post instead hides 3 posts from the offset reader and none from the cursor reader. A cursor is an opaque keyset position (`postsConnection(first, after)` returning `edges { cursor node }` and `pageInfo { hasNextPage endCursor }`), so rows added or removed before it do not move it; the price is no jumping to page N.",
    ].join("\n\n"),
    interview: {
      answer:
        "GraphQL puts one endpoint in front of a typed schema, and the client asks for exactly the fields it needs, following relations in one query. That removes both over-fetching and the round trip per related resource: in the lab the posts screen went from 21 REST requests to one request of under 2 KB. The cost moves to the server. Every field has a resolver, so resolving the author of 20 posts naively makes 20 database queries, the N+1 problem. DataLoader fixes it by batching the keys requested during one tick into a single query and caching per request, which took that screen from 21 queries to 2. Errors arrive in an errors array with a path, next to partial data, so clients must check them. I also plan for costs REST does not have: URL-based caching no longer works, and arbitrary queries need depth and complexity limits.",
      followUps: [
        { question: "Why does DataLoader cache only per request?", answer: "A per-request cache keeps one query's view consistent and avoids serving stale or another user's data across requests; cross-request caching belongs in a shared cache with its own invalidation." },
        { question: "How do you stop an expensive query?", answer: "Limit depth and page sizes, compute a cost from the query before executing it, use persisted queries so only known operations run, and rate-limit by cost rather than by request." },
        { question: "What HTTP status does a GraphQL error get?", answer: "Parse and validation errors are request errors, usually 400 with no data; resolver errors come back with 200, a null field and an entry in errors, because the rest of the data is still valid." },
      ],
    },
    notebook: notebook("graphql"),
    snippet: "snippets/graphql.ts",
    diagram: "media/diagrams/graphql.mmd",
    exports: ["protocolLab", "GraphQLServer", "GraphQLClient", "SocialDb", "Simulation", "POSTS_SCREEN_QUERY"],
    related: ["rest", "grpc"],
    challenge: "graphql",
  },
  {
    id: "grpc",
    section: "protocols",
    title: "gRPC",
    summary: "Protobuf contracts over HTTP/2: compact binary messages, multiplexed streams, deadlines and status codes.",
    whenToUse: [
      "Internal service-to-service calls where latency, payload size and strict contracts matter.",
      "Streaming in either or both directions over one connection.",
      "Polyglot systems that want generated clients from one .proto file.",
    ],
    whenNotToUse: [
      "Browser clients without a proxy (gRPC-Web or Connect are needed).",
      "Public APIs where humans debug with curl and readable payloads.",
    ],
    explanation: [
      "A `.proto` file defines messages and services; Protobuf encodes a message as field tags and values with no field names on the wire, so `{id: 150, name: \"alice\", active: true}` is 12 bytes (`08 96 01 12 05 61 6c 69 63 65 18 01`) against 39 of JSON.",
      "Calls run over **HTTP/2**: one connection carries many streams, each call its own stream, so a slow call does not block the others the way requests queue on an HTTP/1.1 connection. Each message is framed with a 5-byte prefix; the outcome is a status code in the trailers (`OK 0`, `DEADLINE_EXCEEDED 4`, `NOT_FOUND 5`, `UNIMPLEMENTED 12`, `UNAVAILABLE 14`).",
      "There are four kinds of call: unary, server streaming, client streaming and bidirectional. A **deadline** travels with each call (`grpc-timeout`) and both sides stop when it passes; gRPC has no default deadline, so setting one is on you.",
      "A deadline reaches the next service only if the handler passes what is left of it to its own calls; a handler that starts a fresh call drops it, and downstream work goes on for a caller that already gave up. Clients keep one HTTP/2 connection for long, so a layer-4 load balancer pins all of a client's calls to one backend: balance per call (an HTTP/2-aware proxy or client-side balancing), with keepalive pings and a maximum connection age. Gzip narrows the size gap with JSON a lot; the schema and cheap parsing remain.",
      "In the notebook 4 clients on 3 backends behind a layer-4 balancer put 50 % of the calls on one backend (median of 6 seeds; a fair share is 28 %) and none on a fourth backend added later. A 5 s maximum connection age (the server sends GOAWAY, the client drains and reconnects) gives the new backend a share, and an HTTP/2-aware proxy that balances per call spreads them evenly. Keepalive pings find connections that died silently; they do not rebalance anything.",
    ].join("\n\n"),
    interview: {
      answer:
        "gRPC is RPC with a contract: services and messages are defined in a .proto file, clients and servers are generated from it, and messages travel as Protobuf, a binary format that writes field numbers instead of names and skips fields left at their default unless they track presence. The example user is 12 bytes instead of 39 of JSON; in the lab the posts screen's 20 cards were 1.6 times smaller than the same cards as JSON. Calls run over HTTP/2, so one connection multiplexes many calls as independent streams and a slow call does not hold up the rest, though a lost TCP segment still stalls them all. It supports unary, server, client and bidirectional streaming, and every call should carry a deadline, which ends it with DEADLINE_EXCEEDED and reaches downstream services only when each handler passes what is left on. I use it between internal services; for browsers I need gRPC-Web or a REST or GraphQL edge, and binary payloads make debugging harder.",
      followUps: [
        { question: "How do you evolve a .proto without breaking clients?", answer: "Never reuse or renumber a field; add new fields with new numbers, mark removed ones reserved, and remember old readers skip unknown fields while new readers see defaults for missing ones." },
        { question: "Why propagate deadlines?", answer: "If the caller gives up after 200 ms, work downstream after that is wasted; passing the remaining time lets every hop stop early instead of piling up load." },
        { question: "When does HTTP/2 multiplexing not help?", answer: "Under packet loss: all streams share one TCP connection, and TCP delivers in order, so one lost segment stalls every stream until it is resent; HTTP/3 over QUIC orders each stream on its own, so a loss stalls only the streams it carried." },
      ],
    },
    notebook: notebook("grpc"),
    snippet: "snippets/grpc.ts",
    diagram: "media/diagrams/grpc.mmd",
    exports: ["ProtoSchema", "EXAMPLE_PROTO", "GrpcClient", "GrpcError", "GrpcStatus", "compareHeadOfLine", "protocolLab", "socialProto"],
    related: ["rest", "graphql"],
    challenge: "grpc",
  },
  {
    id: "websocket",
    section: "protocols",
    title: "WebSocket",
    summary: "An HTTP Upgrade to a persistent full-duplex connection of small frames, with ping/pong and close codes.",
    whenToUse: [
      "Both sides send often: chat, multiplayer games, collaborative editing.",
      "Low per-message overhead matters (2 to 14 bytes of framing per message).",
    ],
    whenNotToUse: [
      "Server-to-client only feeds, where SSE gives reconnect and resume for free.",
      "Infrastructure that cannot keep long-lived connections (some proxies, serverless).",
    ],
    explanation: [
      "The client sends an HTTP `GET` with `Upgrade: websocket` and a random `Sec-WebSocket-Key`; the server answers `101 Switching Protocols` with `Sec-WebSocket-Accept` = base64(SHA-1(key + a fixed GUID)), and from then on the TCP connection carries frames in both directions at any time.",
      "Frames are small: a 2-byte header (more for long payloads), plus a 4-byte mask on frames from the client. Ping and pong frames check the connection is alive; a close handshake ends it with a code (1000 normal, 1001 going away, 1011 server error). 1006 is never sent: it is what a side reports when the connection died without a close frame.",
      "The browser API has no reconnect and no resume. A drop loses whatever the server sent meanwhile unless the application reconnects and asks for what it missed.",
      "At scale, every open socket holds memory on the server, an event must reach sockets held by other servers (a pub/sub layer between them), and a deploy drops every client at once: reconnects with jittered backoff spread the returning wave that would otherwise arrive in the same instant. A silent drop (no FIN, no RST) is noticed only through heartbeats, and each side notices on its own schedule: the server when a ping goes unanswered, the client when nothing has arrived for its own timeout.",
      "In the notebook 30 users are spread over 3 WebSocket servers: a message posted on one of them reaches the 10 users it holds without pub/sub, and all 30, 2 ms later, once every server consumes a fanout exchange. Without it nothing fails visibly; two thirds of the room just never see the message.",
    ].join("\n\n"),
    interview: {
      answer:
        "A WebSocket starts as an HTTP request with an Upgrade header; the server proves it understood by hashing the client's key into Sec-WebSocket-Accept and answers 101, and the same TCP connection then carries small frames in both directions. That makes it the fit for chat, games and collaborative editing, where both sides talk often: a message costs 2 to 14 bytes of framing instead of a request with headers. Ping and pong frames detect dead connections, and a close handshake with codes like 1000 or 1001 ends it cleanly; 1006 means it died without one. What it does not give you is recovery. In the lab a one-second drop lost about a dozen ticks because the browser API neither reconnects nor resumes; the app has to reconnect with backoff and ask the server for everything after its last id. Long-lived connections also complicate load balancing and deploys.",
      followUps: [
        { question: "Why does the client mask its frames?", answer: "Masking with a random key stops a malicious page from making bytes that a broken intermediary proxy would misread as an HTTP request, which could poison its cache." },
        { question: "How do you scale WebSocket servers?", answer: "Keep connections spread with a load balancer that supports upgrades, move fan-out to a pub/sub layer so any server can reach any client, and drain connections with close 1001 during deploys." },
        { question: "How does a client notice a dead connection?", answer: "TCP alone may take minutes; servers send pings and drop clients that miss pongs, and clients that cannot ping from the browser use an application heartbeat with a timeout." },
      ],
    },
    notebook: notebook("websocket"),
    snippet: "snippets/websocket.ts",
    diagram: "media/diagrams/websocket.mmd",
    exports: ["Simulation", "WebSocketServer", "SimWebSocket", "ReconnectingWebSocket", "networkDrop", "compareFeeds", "websocketAccept"],
    related: ["sse", "long-polling"],
    challenge: "websocket",
  },
  {
    id: "sse",
    section: "protocols",
    title: "Server-Sent Events",
    summary: "One long text/event-stream response, server to client, with automatic reconnect and Last-Event-ID resume.",
    whenToUse: [
      "Server-to-client feeds: prices, notifications, progress, news.",
      "When automatic reconnect with resume should come for free, over plain HTTP.",
    ],
    whenNotToUse: [
      "The client also sends a stream of messages (use WebSocket).",
      "Binary payloads: the stream is UTF-8 text.",
    ],
    explanation: [
      "The client (`EventSource` in browsers) makes a `GET`; the server answers `200` with `Content-Type: text/event-stream` and keeps the response open, writing events as lines: `id:`, `event:`, `data:` (several join with newlines), `retry:`; a blank line ends an event and a line starting with `:` is a comment used as a keep-alive.",
      "When the stream breaks, the browser waits its reconnection time (3 s in Chromium, or what the server sent in `retry:`) and asks again with a `Last-Event-ID` header. A server that keeps recent events replays everything after that id, so nothing is lost or repeated.",
      "It is one-way: the client talks back with ordinary requests. Over HTTP/1.1 each stream holds one of the browser's 6 connections per origin; HTTP/2 removes that limit.",
      "Over HTTP/1.1 each stream holds one of the browser's 6 connections per origin, a limit shared by every tab of the site; HTTP/2 carries them all on one connection. `EventSource` cannot set headers, so authentication uses a cookie or a token in the URL.",
      "In the notebook 7 tabs share one pool: 6 streams take all 6 connections, and the seventh tab's stream and an ordinary `GET` wait with no error until a tab closes; over HTTP/2 the 7 streams and the call share one connection.",
    ].join("\n\n"),
    interview: {
      answer:
        "Server-Sent Events is a long-lived HTTP response with the text/event-stream content type: the server writes events as id, event and data lines separated by blank lines, and the browser's EventSource parses them. Its strength is that recovery is built in. When the connection drops the client waits its reconnection time, three seconds in Chrome unless the server sent a retry field, then reconnects with a Last-Event-ID header, and a server that keeps recent events replays what came after it. In the lab a one-second network drop cost no event and no duplicate; the events of the gap just arrived up to three seconds late. It is one-way and text only, so I use it for feeds like prices, notifications or build logs, and switch to WebSocket when the client streams too. On HTTP/1.1 each stream uses one of the six connections a browser allows per origin, which HTTP/2 fixes.",
      followUps: [
        { question: "What does the server need to support resume?", answer: "Monotonic event ids and a buffer of recent events, in memory or a log, long enough to cover a typical disconnection; beyond it the server should tell the client to reload." },
        { question: "Why send comment lines?", answer: "Proxies and load balancers close connections that are idle too long; a comment every 15 to 30 seconds keeps the stream alive without dispatching an event." },
        { question: "How does a server stop the client from reconnecting?", answer: "Answer the reconnect with 204 No Content; the browser then closes the EventSource for good." },
      ],
    },
    notebook: notebook("sse"),
    snippet: "snippets/sse.ts",
    diagram: "media/diagrams/sse.mmd",
    exports: ["Simulation", "TickFeed", "SseServer", "SimEventSource", "networkDrop", "formatEvent"],
    related: ["websocket", "long-polling"],
    challenge: "sse",
  },
  {
    id: "long-polling",
    section: "protocols",
    title: "Long polling",
    summary: "The server holds each request until data or a timeout; the client asks again at once.",
    whenToUse: [
      "A fallback where streaming connections are blocked by proxies or firewalls.",
      "Infrequent events, where an open request costs less than a stream.",
    ],
    whenNotToUse: [
      "High-frequency feeds: a request with full headers per answer adds bytes and server work.",
      "When SSE or WebSocket are available end to end.",
    ],
    explanation: [
      "The client asks `GET /poll?after=17`, 17 being the last id it has. If the server has newer events it answers at once; otherwise it **holds** the request until an event arrives or a timeout passes (then `204`). The client sends the next poll as soon as an answer arrives.",
      "Events that arrive while no poll is waiting stay in the server's buffer and go out with the next poll, so a network drop loses nothing as long as the client keeps its cursor. The price is a full request and response per answer, and up to a round trip of extra delay for events that land between polls.",
      "It works through any HTTP infrastructure, which is why it was the fallback in Comet-era libraries and still is in Socket.IO's transport negotiation.",
    ].join("\n\n"),
    interview: {
      answer:
        "Long polling makes ordinary HTTP behave like a push channel. The client sends a request with the last event id it has, and the server does not answer until it has something newer or a timeout of around 30 seconds passes; the client then immediately sends the next request. Events that arrive between polls wait in the server's buffer, so with a cursor nothing is lost across a network drop: in the lab all 50 ticks arrived, but it took 42 requests where SSE needed 2, and every request carried full HTTP headers. Latency is usually one network delay, plus up to a round trip when an event lands between polls. I use it as a fallback when proxies block streaming, or for rare events; otherwise SSE is cheaper for server-to-client feeds and WebSocket for two-way traffic. Pausing briefly between polls batches events and cuts requests at the cost of latency.",
      followUps: [
        { question: "What timeout should the server use?", answer: "Shorter than any proxy or load balancer idle timeout on the path, commonly 20 to 30 seconds, so the server answers before an intermediary cuts the connection." },
        { question: "How do you avoid duplicates after a retry?", answer: "The client sends the id of the last event it processed; the server returns only newer ones, and the client ignores any id it has already seen." },
        { question: "Why can long polling overload a server after an outage?", answer: "Every client reconnects at once and each poll is a full request; jittered retry delays and batching answers smooth the spike." },
      ],
    },
    notebook: notebook("long-polling"),
    snippet: "snippets/long-polling.ts",
    diagram: "media/diagrams/long-polling.mmd",
    exports: ["Simulation", "TickFeed", "LongPollServer", "LongPollClient", "networkDrop", "compareFeeds"],
    related: ["sse", "websocket"],
    challenge: "long-polling",
  },
];
