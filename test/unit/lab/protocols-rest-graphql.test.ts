import { describe, expect, it } from "vitest";
import {
  ConfigError,
  GraphQLClient,
  GraphQLServer,
  RestApi,
  RestClient,
  Simulation,
  SocialDb,
  createSocialData,
  etagOf,
  protocolLab,
  type Post,
  type User,
} from "../../../src/lab/index";
import { HttpClient, httpRequest, requestBytes, responseBytes, jsonResponse } from "../../../src/lab/protocols/http1";
import { etagMatches } from "../../../src/lab/protocols/rest";

function rest(options: { maxConnections?: number } = {}) {
  const sim = new Simulation();
  const db = new SocialDb(sim);
  const api = new RestApi(sim);
  sim.network.setLink("app", "api", { latency: 25 });
  sim.network.setLink("api", "db", { latency: 1 });
  const client = new RestClient(sim, options);
  return { sim, db, api, client };
}

describe("HTTP/1.1 bytes", () => {
  it("counts a request and a response as they are written on the wire", () => {
    // "GET /users/7 HTTP/1.1\r\n" 23 + "host: api\r\n" 11 + blank line 2
    expect(requestBytes(httpRequest("GET", "/users/7", { headers: { Host: "api" } }))).toBe(36);
    // 19 for "POST /posts HTTP/1.1" + CRLF minus... computed: request line 22, content-type 32, blank 2, body 9
    expect(requestBytes(httpRequest("POST", "/posts", { body: { a: "é" } }))).toBe(22 + 32 + 2 + 10);
    // "HTTP/1.1 200 OK\r\n" 17 + content-type 32 + "content-length: 2\r\n" 19 + 2 + "{}" 2
    expect(responseBytes(jsonResponse(200, {}))).toBe(17 + 32 + 19 + 2 + 2);
  });
});

describe("REST", () => {
  it("answers with status codes and headers real APIs use", async () => {
    const { sim, client } = rest();
    await sim.run(async () => {
      const post = await client.get<Post>("/posts/3");
      expect(post.status).toBe(200);
      expect(post.headers["content-type"]).toBe("application/json");
      expect(post.headers["cache-control"]).toBe("no-cache");
      expect(post.headers.etag).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]{8}"$/);
      expect(Object.keys(post.body).sort()).toEqual(["authorId", "body", "createdAt", "id", "likes", "tags", "title"]);
      expect((await client.get("/users/999")).status).toBe(404);
      expect((await client.get("/nothing")).status).toBe(404);
      const put = await client.send("PUT", "/posts/3", { title: "x" });
      expect(put.status).toBe(405);
      expect(put.headers.allow).toBe("GET, HEAD");
      expect((await client.get("/posts?limit=500")).status).toBe(400);
      const created = await client.send<Post>("POST", "/posts", { title: "Hello", body: "World", authorId: 2 });
      expect(created.status).toBe(201);
      expect(created.headers.location).toBe(`/posts/${created.body.id}`);
      expect(created.body.id).toBe(41);
      expect((await client.send("POST", "/posts", { title: "Hello" })).status).toBe(422);
      expect((await client.send("POST", "/posts", { title: "Hello", body: "x", authorId: 999 })).status).toBe(404);
      const notJson = await client.http.request(httpRequest("POST", "/posts", { body: "title=Hello", headers: { "content-type": "application/x-www-form-urlencoded" } }));
      expect(notJson.status).toBe(415);
      const badJson = await client.http.request(httpRequest("POST", "/posts", { body: "{oops", headers: { "content-type": "application/json" } }));
      expect(badJson.status).toBe(400);
    });
  });

  it("revalidates with If-None-Match: 304 without a body, and 200 again after a change", async () => {
    const { sim, client, db } = rest();
    await sim.run(async () => {
      const first = await client.get<Post[]>("/posts?limit=5");
      const bytesAfterFirst = client.stats.bodyBytes;
      const second = await client.get<Post[]>("/posts?limit=5");
      expect(second.status).toBe(304);
      expect(second.fromCache).toBe(true);
      expect(second.body).toEqual(first.body);
      expect(client.stats.bodyBytes).toBe(bytesAfterFirst); // nothing more downloaded
      expect(client.stats.notModified).toBe(1);
      db.data.posts.push({ ...db.data.posts[0]!, id: 41, title: "New" });
      const third = await client.get<Post[]>("/posts?limit=5");
      expect(third.status).toBe(200);
      expect(third.body[0]!.id).toBe(41);
    });
    expect(etagMatches('W/"a-1", "b-2"', '"b-2"')).toBe(true);
    expect(etagMatches("*", etagOf("x"))).toBe(true);
    expect(etagMatches(undefined, etagOf("x"))).toBe(false);
  });

  it("under-fetches: 20 posts and their authors take 21 round trips, 6 connections at most", async () => {
    const { sim, client, db } = rest();
    const start = await sim.run(async () => {
      const list = await client.get<Post[]>("/posts?limit=20");
      await Promise.all(list.body.map((p) => client.get<User>(`/users/${p.authorId}`)));
      return sim.now;
    });
    expect(client.stats.requests).toBe(21);
    expect(client.stats.connections).toBe(6);
    expect(client.stats.queued).toBe(14); // 20 author requests, 6 at a time
    expect(db.stats.queries).toBe(21);
    // One round trip to connect + the list, then 20 requests in ⌈20/6⌉ = 4 waves of a 50 ms round trip.
    expect(start).toBeGreaterThanOrEqual(50 + 50 + 4 * 50);
  });

  it("over-fetches: the screen needs 3 fields of each post, the API sends them all", async () => {
    const { sim, client } = rest();
    const full = await sim.run(() => client.get<Post[]>("/posts?limit=20&embed=author"));
    const needed = full.body.map((p) => ({ id: p.id, title: p.title, authorName: (p as Post & { author: User }).author.name }));
    expect(client.stats.requests).toBe(1);
    expect(client.stats.bodyBytes).toBe(JSON.stringify(full.body).length);
    expect(client.stats.bodyBytes / JSON.stringify(needed).length).toBeGreaterThan(8);
  });

  it("queues requests beyond the connection limit: head-of-line blocking on one connection", async () => {
    const { sim, client } = rest({ maxConnections: 1 });
    const done: number[] = [];
    await sim.run(() => Promise.all([1, 2, 3].map((id) => client.get(`/users/${id}`).then(() => done.push(sim.now)))));
    expect(client.stats.connections).toBe(1);
    // Each waits for the previous one's full round trip (50 ms + 1 ms of server time + 2 ms of query + 2 ms to the db and back).
    expect(done[1]! - done[0]!).toBe(55);
    expect(done[2]! - done[1]!).toBe(55);
  });

  it("rejects bad options with ConfigError naming the value", () => {
    const sim = new Simulation();
    expect(() => new RestApi(sim, { db: "nope" })).toThrow(ConfigError);
    expect(() => new RestApi(sim, { db: "nope" })).toThrow(/db must be the name of an existing database node.*"nope"/);
    new SocialDb(sim);
    new RestApi(sim);
    expect(() => new HttpClient(sim, "app", "api", { maxConnections: 0 })).toThrow(/maxConnections must be a whole number ≥ 1, got 0/);
  });
});

describe("GraphQL", () => {
  function gql(dataLoader: boolean) {
    const sim = new Simulation();
    const db = new SocialDb(sim);
    const server = new GraphQLServer(sim, { dataLoader });
    sim.network.setLink("app", "api", { latency: 25 });
    const client = new GraphQLClient(sim);
    return { sim, db, server, client };
  }

  it("returns exactly the fields asked for", async () => {
    const { sim, client } = gql(false);
    const res = await sim.run(() => client.query<{ user: Record<string, unknown> }>("{ user(id: 7) { name email } }"));
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ user: { name: createSocialData().users[6]!.name, email: createSocialData().users[6]!.email } });
    expect(Object.keys(res.data!.user)).toEqual(["name", "email"]);
  });

  it("runs the posts screen in one round trip; N+1 database queries until DataLoader batches them", async () => {
    const plain = gql(false);
    const batched = gql(true);
    const query = "{ posts(first: 20) { id title author { name } } }";
    const a = await plain.sim.run(() => plain.client.query<{ posts: { author: { name: string } }[] }>(query));
    const b = await batched.sim.run(() => batched.client.query<{ posts: { author: { name: string } }[] }>(query));
    expect(a.data).toEqual(b.data);
    expect(a.data!.posts).toHaveLength(20);
    expect(plain.client.stats.requests).toBe(1);
    expect(batched.client.stats.requests).toBe(1);
    expect(plain.server.stats.lastRequestDbQueries).toBe(21); // 1 list + 20 authors
    expect(batched.server.stats.lastRequestDbQueries).toBe(2); // 1 list + 1 batch
    expect(plain.db.stats.queries).toBe(21);
    expect(batched.db.stats.queries).toBe(2);
  });

  it("batches every level: comments and their authors too", async () => {
    const { sim, server } = gql(true);
    const res = await sim.run(() => server.execute<{ posts: { comments: { author: { name: string } }[] }[] }>("{ posts(first: 10) { title comments { body author { name } } author { name } } }"));
    expect(res.data!.posts.flatMap((p) => p.comments)).toHaveLength(30);
    // posts, then one batch of comments and one of post authors, then one of comment authors (cached users are not asked again).
    expect(server.stats.lastRequestDbQueries).toBe(4);
    const plain = gql(false);
    await plain.sim.run(() => plain.server.execute("{ posts(first: 10) { title comments { body author { name } } author { name } } }"));
    expect(plain.server.stats.lastRequestDbQueries).toBe(1 + 10 + 10 + 30);
  });

  it("answers a query that does not parse with errors and a location, no data: 200 for application/json, 400 for the GraphQL response type", async () => {
    const { sim, client, db } = gql(false);
    const res = await sim.run(() => client.query("{ posts(first: 2) { title "));
    // GraphQL-over-HTTP: a client accepting only application/json reads the body whatever the
    // status, so the spec asks for 200; the newer media type carries the real status.
    expect(res.status).toBe(200);
    const strict = await sim.run(() => client.http.request(httpRequest("POST", "/graphql", { body: { query: "{ posts(first: 2) { title " }, headers: { accept: "application/graphql-response+json, application/json;q=0.9" } })));
    expect(strict.status).toBe(400);
    expect(strict.headers["content-type"]).toBe("application/graphql-response+json");
    expect(JSON.parse(strict.body!)).not.toHaveProperty("data");
    expect(res.data).toBeUndefined();
    expect(res.errors).toEqual([{ message: "Syntax Error: Expected Name, found <EOF>.", locations: [{ line: 1, column: 27 }], extensions: { code: "GRAPHQL_PARSE_FAILED" } }]);
    expect(db.stats.queries).toBe(0);
  });

  it("answers an unknown field with a validation error naming it", async () => {
    const { sim, client } = gql(false);
    const res = await sim.run(() => client.query("{ posts { title password } }"));
    expect(res.status).toBe(200);
    expect(res.data).toBeUndefined();
    expect(res.errors![0]!.message).toBe('Cannot query field "password" on type "Post".');
    expect(res.errors![0]!.extensions!.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("reports a resolver error with its path next to partial data", async () => {
    const { sim, client } = gql(false);
    const res = await sim.run(() => client.query<{ user: { name: string } | null; post: unknown }>('{ user(id: 1) { name } post(id: "abc") { title } missing: post(id: 999) { title } }'));
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ user: { name: createSocialData().users[0]!.name }, post: null, missing: null });
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0]).toMatchObject({ message: 'post ids are numbers, got "abc"', path: ["post"], locations: [{ line: 1, column: 24 }], extensions: { code: "BAD_USER_INPUT" } });
  });

  it("nulls the nearest nullable parent when a non-null field fails", async () => {
    const { sim, client } = gql(false);
    // posts is [Post!]!: its error cannot stop at posts, so the whole data becomes null.
    const res = await sim.run(() => client.query("{ user(id: 1) { name } posts(first: 500) { id } }"));
    expect(res.data).toBeNull();
    expect(res.errors![0]).toMatchObject({ message: "first must be from 1 to 100, got 500", path: ["posts"] });
  });

  it("takes queries over GET (cacheable by URL) and refuses a mutation over GET with 405, changing nothing", async () => {
    const { sim, client, db } = gql(false);
    const viaGet = await sim.run(() => client.query<{ user: { name: string } }>("query One($id: ID!) { user(id: $id) { name } }", { id: 2 }, { method: "GET" }));
    expect(viaGet.status).toBe(200);
    expect(viaGet.data!.user.name).toBe(db.data.users[1]!.name);
    const posts = db.data.posts.length;
    const mutation = await sim.run(() => client.query('mutation { createPost(title: "x", body: "y", authorId: 1) { id } }', undefined, { method: "GET" }));
    expect(mutation.status).toBe(405);
    expect(db.data.posts).toHaveLength(posts);
    const raw = await sim.run(() => client.http.request(httpRequest("GET", `/graphql?query=${encodeURIComponent("mutation { createPost(title: \"x\", body: \"y\", authorId: 1) { id } }")}`)));
    expect(raw.headers.allow).toBe("POST");
    await expect(client.query("{ user(id: 1) { name } }", undefined, { method: "PUT" as "GET" })).rejects.toThrow(/method must be "GET" or "POST", got "PUT"/);
  });

  it("pages by offset and by cursor (a Relay connection): cursors are opaque, keyset positions that writes before them do not move", async () => {
    const { sim, client, db } = gql(false);
    type Conn = { postsConnection: { edges: { cursor: string; node: { id: string } }[]; pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null } } };
    const conn = (after: string | null, first = 15) => client.query<Conn>("query($first: Int, $after: String) { postsConnection(first: $first, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }", { first, after });
    const page1 = (await sim.run(() => conn(null))).data!.postsConnection;
    expect(page1.edges.map((e) => e.node.id)).toEqual(Array.from({ length: 15 }, (_, i) => String(40 - i)));
    expect(page1.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false, startCursor: page1.edges[0]!.cursor, endCursor: page1.edges[14]!.cursor });
    expect(page1.pageInfo.endCursor).not.toContain("26"); // opaque, not the bare id
    await sim.run(() => client.query('mutation { createPost(title: "x", body: "y", authorId: 1) { id } }'));
    const page2 = (await sim.run(() => conn(page1.pageInfo.endCursor, 25))).data!.postsConnection;
    expect(page2.edges.map((e) => e.node.id)).toEqual(Array.from({ length: 25 }, (_, i) => String(25 - i)));
    expect(page2.pageInfo.hasNextPage).toBe(false);
    const offset = await sim.run(() => client.query<{ posts: { id: string }[] }>("{ posts(first: 3, offset: 15) { id } }"));
    expect(offset.data!.posts.map((p) => p.id)).toEqual(["26", "25", "24"]); // the write moved the offset page back by one
    const bad = await sim.run(() => client.query("{ postsConnection(after: \"nope\") { edges { cursor } } }"));
    expect(bad.errors![0]!.message).toMatch(/after must be a cursor this API returned, got "nope"/);
    const negative = await sim.run(() => client.query("{ posts(offset: -1) { id } }"));
    expect(negative.errors![0]!.message).toMatch(/offset must be 0 or more, got -1/);
    db.data.posts.splice(0, 1); // a deleted post does not make the next id collide
    const next = await sim.run(() => client.query<{ createPost: { id: string } }>('mutation { createPost(title: "x", body: "y", authorId: 1) { id } }'));
    expect(next.data!.createPost.id).toBe("42");
  });

  it("runs mutations and rejects a body that is not JSON", async () => {
    const { sim, client, db } = gql(true);
    const res = await sim.run(() => client.query<{ createPost: { id: string; author: { name: string } } }>('mutation { createPost(title: "Hi", body: "There", authorId: 3) { id author { name } } }'));
    expect(res.data!.createPost).toEqual({ id: "41", author: { name: db.data.users[2]!.name } });
    const raw = await sim.run(() => client.http.request(httpRequest("POST", "/graphql", { body: "{not json", headers: { "content-type": "application/json" } })));
    expect(raw.status).toBe(400);
    expect(JSON.parse(raw.body!)).toEqual({ errors: [{ message: "POST body sent invalid JSON.", extensions: { code: "BAD_REQUEST" } }] });
  });
});

describe("protocol lab", () => {
  it("puts REST, GraphQL and gRPC on the same data", () => {
    const lab = protocolLab();
    expect(lab.db.data.posts).toHaveLength(40);
    expect(() => protocolLab({ loss: 2 })).toThrow(/loss must be a number from 0 to 1, got 2/);
  });
});

describe("HTTP client across a partition", () => {
  it("fails every request, queued ones too, when no connection can be opened", async () => {
    const { sim, client } = rest();
    sim.faults.partition("app", "api");
    const results = await sim.run(() => Promise.allSettled(Array.from({ length: 10 }, (_, i) => client.get(`/users/${i + 1}`))));
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    expect(results.map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(Array(10).fill("ETIMEDOUT"));
    // SYN resent after 1, 2, 4, 8 s; the connect gives up at 20 s; queued requests then try their own.
    expect(sim.now).toBe(40_000);
  });
});
