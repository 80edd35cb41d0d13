/**
 * GraphQL over HTTP/1.1: one endpoint (`POST /graphql`), a schema over the example domain,
 * and the real `graphql` package parsing, validating and executing each query, so the
 * response mirrors the selection exactly: ask for two fields, get two fields.
 *
 * Every field has a resolver. `Post.author` on a list of 20 posts runs 20 times, and each
 * run queries the database: 1 query for the list + 20 for the authors (the N+1 problem).
 * With `dataLoader: true` each request gets `dataloader` instances that collect the loads
 * made while a level of the query resolves and send them as one batched query, and cache
 * per request: 1 + 1.
 *
 * Errors follow the GraphQL spec and the GraphQL-over-HTTP spec: a query that does not parse or
 * does not validate is a request error, answered with `{ errors }` and no `data` (with Apollo
 * Server's codes `GRAPHQL_PARSE_FAILED`, `GRAPHQL_VALIDATION_FAILED`) — HTTP 200 when the client
 * accepts `application/json` (what GraphQL-over-HTTP recommends for that media type) and 400
 * when it asks for `application/graphql-response+json`. A resolver that fails gives HTTP 200 with
 * its field `null` and an entry in `errors` with its `path`; when that field is non-null the
 * `null` moves up to the nearest nullable parent, up to `data` itself. Queries may come as GET
 * (cacheable by URL); a mutation over GET answers 405, so a link crawler cannot change data.
 */
import DataLoader from "dataloader";
import { buildSchema, execute, getOperationAST, GraphQLError, GraphQLObjectType, parse, validate, type DocumentNode, type GraphQLFieldResolver, type GraphQLSchema } from "graphql";
import { ConfigError, nonNegative } from "../errors";
import { DISPLAY, table, type MimeBundle } from "../display";
import { base64, fromBase64 } from "./encoding";
import type { Simulation } from "../sim/simulation";
import { DbReader, type Comment, type Post, type User } from "./domain";
import { httpRequest, httpServer, jsonResponse, parseJson, queryOf, HttpClient, type HttpClientOptions, type HttpClientStats, type HttpRequest, type HttpResponse } from "./http1";

/** The schema of the example domain, in SDL. */
export const SOCIAL_SCHEMA = `type User {
  id: ID!
  name: String!
  handle: String!
  email: String!
  avatarUrl: String!
  bio: String!
  location: String!
  followers: Int!
  createdAt: String!
}

type Comment {
  id: ID!
  body: String!
  createdAt: String!
  author: User!
}

type Post {
  id: ID!
  title: String!
  body: String!
  tags: [String!]!
  likes: Int!
  createdAt: String!
  author: User!
  comments(first: Int = 10): [Comment!]!
}

"A page of a connection (the GraphQL Cursor Connections spec)."
type PageInfo {
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
  endCursor: String
}

type PostEdge {
  "Opaque: pass it as after to get the posts that follow this one."
  cursor: String!
  node: Post!
}

type PostConnection {
  edges: [PostEdge!]!
  pageInfo: PageInfo!
}

type Query {
  "Newest posts first; offset skips that many from the head (offset pagination)."
  posts(first: Int = 20, offset: Int = 0): [Post!]!
  "Newest posts first as a connection: cursor pagination with first and after."
  postsConnection(first: Int = 10, after: String): PostConnection!
  post(id: ID!): Post
  user(id: ID!): User
}

type Mutation {
  createPost(title: String!, body: String!, authorId: ID!): Post!
}
`;

/** A GraphQL error as it appears in a response's `errors` list. */
export interface GraphQLErrorEntry {
  message: string;
  locations?: { line: number; column: number }[];
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

/** A GraphQL response body. */
export interface GraphQLResponse<T = Record<string, unknown>> {
  /** Absent when the request failed before execution (a syntax or validation error). */
  data?: T | null;
  errors?: GraphQLErrorEntry[];
}

/** Options of a {@link GraphQLServer}. Defaults are in {@link GRAPHQL_SERVER_DEFAULTS}. */
export interface GraphQLServerOptions {
  /** Server node (shared with other APIs on the same node). */
  name?: string;
  /** The database node. */
  db?: string;
  /** Batch and cache the loads of users and comments per request with `dataloader`. */
  dataLoader?: boolean;
  /** Endpoint path. */
  path?: string;
  /** Processing time per request at the server, ms. */
  serviceTimeMs?: number;
}

/** Defaults: node `api`, database `db`, no DataLoader, `/graphql`, 1 ms per request. */
export const GRAPHQL_SERVER_DEFAULTS = { name: "api", db: "db", dataLoader: false, path: "/graphql", serviceTimeMs: 1 } as const;

/** Counts of a {@link GraphQLServer}. */
export interface GraphQLServerStats {
  requests: number;
  /** Requests that failed before execution (parse or validation). */
  rejected: number;
  /** Resolver errors reported in `errors`. */
  fieldErrors: number;
  /** Database queries made by all requests. */
  dbQueries: number;
  /** Database queries made by the last request. */
  lastRequestDbQueries: number;
}

interface Context {
  reader: DbReader;
  queries: number;
  users?: DataLoader<number, User>;
  comments?: DataLoader<number, Comment[]>;
}

/** A GraphQL API of the example domain on an HTTP/1.1 server node. */
export class GraphQLServer {
  readonly name: string;
  readonly path: string;
  /** The executable schema (the `graphql` package's), kept private so the lab's types do not depend on it. */
  private readonly schema: GraphQLSchema;
  readonly stats: GraphQLServerStats = { requests: 0, rejected: 0, fieldErrors: 0, dbQueries: 0, lastRequestDbQueries: 0 };
  private readonly dataLoader: boolean;
  private readonly db: string;
  private readonly serviceTimeMs: number;

  constructor(
    readonly sim: Simulation,
    options: GraphQLServerOptions = {},
  ) {
    this.name = options.name ?? GRAPHQL_SERVER_DEFAULTS.name;
    this.path = options.path ?? GRAPHQL_SERVER_DEFAULTS.path;
    this.db = options.db ?? GRAPHQL_SERVER_DEFAULTS.db;
    if (!sim.hasNode(this.db)) throw new ConfigError("GraphQLServer", "db", this.db, "the name of an existing database node (create a SocialDb first)");
    this.dataLoader = options.dataLoader ?? GRAPHQL_SERVER_DEFAULTS.dataLoader;
    this.serviceTimeMs = nonNegative("GraphQLServer", "serviceTimeMs", options.serviceTimeMs ?? GRAPHQL_SERVER_DEFAULTS.serviceTimeMs);
    this.schema = socialSchema();
    httpServer(sim, this.name).route(`GraphQL ${this.path}`, (req) => req.path.split("?")[0] === this.path, (req) => this.handle(req));
  }

  /** Runs one query here, without the network: what the endpoint would answer. */
  async execute<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>> {
    const res = await this.handle(httpRequest("POST", this.path, { body: { query, variables } }));
    return parseJson(res.body) as GraphQLResponse<T>;
  }

  private async handle(req: HttpRequest): Promise<HttpResponse> {
    this.stats.requests++;
    const mediaType = responseMediaType(req.headers.accept);
    if (this.serviceTimeMs > 0) await this.sim.sleep(this.serviceTimeMs);
    let body: { query?: unknown; variables?: unknown; operationName?: unknown } | undefined;
    if (req.method === "POST") {
      const parsed = parseJson(req.body);
      if (typeof parsed !== "object" || parsed === null) return this.reject("POST body sent invalid JSON.", "BAD_REQUEST", GRAPHQL_RESPONSE_JSON);
      body = parsed as typeof body;
    } else if (req.method === "GET") {
      const q = queryOf(req.path);
      body = { query: q.query, variables: q.variables ? parseJson(q.variables) : undefined, operationName: q.operationName };
    } else {
      return jsonResponse(405, { errors: [{ message: "GraphQL only supports GET and POST requests." }] }, { allow: "GET, POST" });
    }
    if (typeof body!.query !== "string" || body!.query.trim() === "") return this.reject('GraphQL operations must contain a non-empty `query` string.', "BAD_REQUEST", GRAPHQL_RESPONSE_JSON);
    let document: DocumentNode;
    try {
      document = parse(body!.query);
    } catch (error) {
      if (error instanceof GraphQLError) return this.reject(error, "GRAPHQL_PARSE_FAILED", mediaType);
      throw error;
    }
    const problems = validate(this.schema, document);
    if (problems.length > 0) return this.reject(problems, "GRAPHQL_VALIDATION_FAILED", mediaType);
    const operationName = typeof body!.operationName === "string" ? body!.operationName : undefined;
    // GraphQL-over-HTTP: GET is for queries only, so following a link can never change data.
    if (req.method === "GET" && getOperationAST(document, operationName)?.operation === "mutation") {
      this.stats.rejected++;
      return jsonResponse(405, { errors: [{ message: "Mutations cannot be sent with GET; use POST." }] }, { allow: "POST" });
    }

    const context: Context = { reader: new DbReader(this.sim, this.name, this.db), queries: 0 };
    if (this.dataLoader) this.addLoaders(context);
    const result = await execute({
      schema: this.schema,
      document,
      contextValue: context,
      variableValues: (body!.variables as Record<string, unknown> | undefined) ?? undefined,
      operationName,
    });
    this.stats.dbQueries += context.queries;
    this.stats.lastRequestDbQueries = context.queries;
    const out: GraphQLResponse = {};
    if (result.errors?.length) {
      this.stats.fieldErrors += result.errors.length;
      out.errors = result.errors.map((e) => e.toJSON() as GraphQLErrorEntry);
    }
    out.data = (result.data as Record<string, unknown> | null | undefined) ?? null;
    // Errors first, as the spec recommends, so they are not missed.
    return jsonResponse(200, out.errors ? { errors: out.errors, data: out.data } : { data: out.data }, { "content-type": mediaType });
  }

  /**
   * A request error: `errors` and no `data`. With `application/json` the GraphQL-over-HTTP spec
   * asks for 200 (older clients read the body whatever the status); with
   * `application/graphql-response+json`, and for a body that is not a GraphQL request at all, 400.
   */
  private reject(error: string | GraphQLError | readonly GraphQLError[], code: string, mediaType: string): HttpResponse {
    this.stats.rejected++;
    const list = typeof error === "string" ? [{ message: error }] : (Array.isArray(error) ? error : [error]).map((e: GraphQLError) => e.toJSON() as GraphQLErrorEntry);
    const status = mediaType === GRAPHQL_RESPONSE_JSON ? 400 : 200;
    return jsonResponse(status, { errors: list.map((e) => ({ ...e, extensions: { ...e.extensions, code } })) }, { "content-type": mediaType });
  }

  private addLoaders(context: Context): void {
    // Batches are dispatched by a simulation event at the current virtual time: after every
    // resolver of this level has asked, and without a real timer. A waking event, because the
    // dispatch also resolves cache hits, whose awaiting resolvers must run before time moves.
    const batchScheduleFn = (callback: () => void) => void this.sim.wakeAt(this.sim.now, callback);
    context.users = new DataLoader<number, User>(
      async (ids) => {
        const users = await query<User[]>(context, `/users?ids=${ids.join(",")}`);
        return ids.map((id) => users.find((u) => u.id === id) ?? new Error(`no user ${id}`));
      },
      { batchScheduleFn },
    );
    context.comments = new DataLoader<number, Comment[]>(
      async (postIds) => {
        const comments = await query<Comment[]>(context, `/comments?posts=${postIds.join(",")}`);
        return postIds.map((id) => comments.filter((c) => c.postId === id));
      },
      { batchScheduleFn },
    );
  }

  /** Its counts as a one-row table. */
  [DISPLAY](): MimeBundle {
    return table([{ server: this.name, dataLoader: this.dataLoader, ...this.stats }])[DISPLAY]();
  }
}

/** The media type GraphQL-over-HTTP defines for responses; the legacy one is `application/json`. */
const GRAPHQL_RESPONSE_JSON = "application/graphql-response+json";

/** Picks the response media type from `Accept` (no header: the new type, as the spec says). */
function responseMediaType(accept: string | undefined): string {
  if (accept === undefined || accept.trim() === "") return GRAPHQL_RESPONSE_JSON;
  const ranked = accept
    .split(",")
    .map((part, order) => {
      const [type = "", ...params] = part.trim().split(";").map((x) => x.trim());
      const q = Number(params.find((p) => p.startsWith("q="))?.slice(2) ?? 1);
      return { type: type.toLowerCase(), q: Number.isFinite(q) ? q : 0, order };
    })
    .filter((m) => m.q > 0 && (m.type === GRAPHQL_RESPONSE_JSON || m.type === "application/json" || m.type === "*/*" || m.type === "application/*"))
    .sort((a, b) => b.q - a.q || a.order - b.order);
  const best = ranked[0]?.type;
  return best === "application/json" ? "application/json" : GRAPHQL_RESPONSE_JSON;
}

function query<T>(context: Context, path: string, method = "GET", body?: unknown): Promise<T> {
  context.queries++;
  return context.reader.query<T>(path, method, body);
}

function loadUser(context: Context, id: number): Promise<User> {
  return context.users ? context.users.load(id) : query<User>(context, `/users/${id}`);
}

/**
 * A post's cursor: opaque to clients (base64 of `post:<id>`), a keyset position to the server,
 * so rows inserted or deleted before it do not move it.
 */
function cursorOfPost(id: number): string {
  return base64(Uint8Array.from(`post:${id}`, (c) => c.charCodeAt(0)));
}

function postIdOfCursor(cursor: string): number {
  const m = /^post:(\d+)$/.exec(String.fromCharCode(...(fromBase64(cursor) ?? [])));
  if (!m) throw new GraphQLError(`after must be a cursor this API returned, got ${JSON.stringify(cursor)}`, { extensions: { code: "BAD_USER_INPUT" } });
  return Number(m[1]);
}

/** The executable schema: {@link SOCIAL_SCHEMA} with resolvers that read through the database node. */
function socialSchema(): GraphQLSchema {
  const schema = buildSchema(SOCIAL_SCHEMA);
  const resolvers: Record<string, Record<string, GraphQLFieldResolver<unknown, Context, Record<string, unknown>>>> = {
    Query: {
      posts: (_p, args, ctx) => {
        const first = args.first as number;
        if (first < 1 || first > 100) throw new GraphQLError(`first must be from 1 to 100, got ${first}`, { extensions: { code: "BAD_USER_INPUT" } });
        const offset = args.offset as number;
        if (offset < 0) throw new GraphQLError(`offset must be 0 or more, got ${offset}`, { extensions: { code: "BAD_USER_INPUT" } });
        return query<Post[]>(ctx, `/posts?limit=${first}${offset ? `&offset=${offset}` : ""}`);
      },
      postsConnection: async (_p, args, ctx) => {
        const first = args.first as number;
        if (first < 1 || first > 100) throw new GraphQLError(`first must be from 1 to 100, got ${first}`, { extensions: { code: "BAD_USER_INPUT" } });
        const after = args.after === null || args.after === undefined ? undefined : postIdOfCursor(String(args.after));
        // One row more than asked tells whether a next page exists, without a count query.
        const rows = await query<Post[]>(ctx, `/posts?limit=${first + 1}${after === undefined ? "" : `&after=${after}`}`);
        const edges = rows.slice(0, first).map((node) => ({ cursor: cursorOfPost(node.id), node }));
        return {
          edges,
          pageInfo: { hasNextPage: rows.length > first, hasPreviousPage: false, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
        };
      },
      post: (_p, args, ctx) => {
        if (!/^\d+$/.test(String(args.id))) throw new GraphQLError(`post ids are numbers, got ${JSON.stringify(args.id)}`, { extensions: { code: "BAD_USER_INPUT" } });
        // A missing post is null without an error, as most schemas do for lookups.
        return query<Post>(ctx, `/posts/${String(args.id)}`).catch(() => null);
      },
      user: (_p, args, ctx) => query<User>(ctx, `/users/${String(args.id)}`).catch(() => null),
    },
    Mutation: {
      createPost: async (_p, args, ctx) => {
        const authorId = Number(args.authorId);
        await loadUser(ctx, authorId).catch(() => {
          throw new GraphQLError(`no user ${String(args.authorId)}`, { extensions: { code: "BAD_USER_INPUT" } });
        });
        const [post] = await query<Post[]>(ctx, "/posts", "POST", { title: args.title, body: args.body, authorId });
        return post;
      },
    },
    Post: {
      author: (post, _args, ctx) => loadUser(ctx, (post as Post).authorId),
      comments: async (post, args, ctx) => {
        const list = ctx.comments ? await ctx.comments.load((post as Post).id) : await query<Comment[]>(ctx, `/posts/${(post as Post).id}/comments`);
        return list.slice(0, args.first as number);
      },
    },
    Comment: {
      author: (comment, _args, ctx) => loadUser(ctx, (comment as Comment).authorId),
    },
  };
  for (const [typeName, fields] of Object.entries(resolvers)) {
    const type = schema.getType(typeName);
    if (!(type instanceof GraphQLObjectType)) continue;
    const defined = type.getFields();
    for (const [field, resolve] of Object.entries(fields)) defined[field]!.resolve = resolve as GraphQLFieldResolver<unknown, unknown>;
  }
  return schema;
}

/** Options of a {@link GraphQLClient}. Defaults are in {@link GRAPHQL_CLIENT_DEFAULTS}. */
export interface GraphQLClientOptions extends HttpClientOptions {
  /** Calling node (created if missing). */
  from?: string;
  /** Server node. */
  to?: string;
  /** Endpoint path. */
  path?: string;
}

/** Defaults: node `app` calling `api` at `/graphql`. */
export const GRAPHQL_CLIENT_DEFAULTS = { from: "app", to: "api", path: "/graphql" } as const;

/** The answer to one query: the body, plus the HTTP status it came with. */
export type GraphQLResult<T> = GraphQLResponse<T> & { status: number };

/** How one query is sent. */
export interface GraphQLQueryOptions {
  /** `POST` (default) sends JSON `{ query, variables }`; `GET` puts them in the URL, which HTTP caches and CDNs can key on. */
  method?: "GET" | "POST";
}

/** A GraphQL client: each query is one `POST /graphql` with JSON `{ query, variables }`, or a `GET` when asked. */
export class GraphQLClient {
  readonly http: HttpClient;
  private readonly path: string;

  constructor(
    readonly sim: Simulation,
    options: GraphQLClientOptions = {},
  ) {
    this.http = new HttpClient(sim, options.from ?? GRAPHQL_CLIENT_DEFAULTS.from, options.to ?? GRAPHQL_CLIENT_DEFAULTS.to, options);
    this.path = options.path ?? GRAPHQL_CLIENT_DEFAULTS.path;
  }

  /** HTTP counts of this client. */
  get stats(): HttpClientStats {
    return this.http.stats;
  }

  /**
   * Sends a query (or mutation). Resolves with the response body whatever the outcome: check
   * `errors` (a GraphQL error is data, not an exception, in every real client too).
   */
  async query<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, options: GraphQLQueryOptions = {}): Promise<GraphQLResult<T>> {
    const method = options.method ?? "POST";
    if (method !== "GET" && method !== "POST") throw new ConfigError("GraphQLClient.query", "method", method, '"GET" or "POST"');
    const headers = { accept: "application/json" };
    const req =
      method === "GET"
        ? httpRequest("GET", `${this.path}?query=${encodeURIComponent(query)}${variables ? `&variables=${encodeURIComponent(JSON.stringify(variables))}` : ""}`, { headers })
        : httpRequest("POST", this.path, { body: variables ? { query, variables } : { query }, headers });
    const res = await this.http.request(req);
    const body = parseJson(res.body) as GraphQLResponse<T> | undefined;
    return { ...(body ?? { errors: [{ message: `the server answered ${res.status} without a GraphQL body` }] }), status: res.status };
  }

  /** Its counts as a one-row table. */
  [DISPLAY](): MimeBundle {
    return table([{ client: this.http.from, server: this.http.to, ...this.stats }])[DISPLAY]();
  }
}
