/**
 * REST over HTTP/1.1: the example domain as resources (`/posts`, `/posts/3`, `/users/7`,
 * `/posts/3/comments`), with the methods, status codes and headers real APIs use, and
 * conditional GETs: each answer carries an `ETag` and `Cache-Control: no-cache`, so a client
 * that kept it asks again with `If-None-Match` and gets `304 Not Modified` without a body.
 *
 * A resource returns all its fields: a screen that shows two of them downloads the rest
 * (over-fetching). A list does not contain the related resources a screen needs, so the
 * client asks for each one (under-fetching, N+1 round trips), unless the API offers an
 * embed (`?embed=author`) that returns the full related objects, over-fetching again.
 */
import { ConfigError, nonNegative } from "../errors";
import { DISPLAY, table, type MimeBundle } from "../display";
import type { Simulation } from "../sim/simulation";
import { utf8Length } from "./encoding";
import { DbReader, NotFoundError, type Post, type User } from "./domain";
import { emptyResponse, httpRequest, httpServer, jsonResponse, parseJson, pathOnly, queryOf, HttpClient, type HttpClientOptions, type HttpClientStats, type HttpRequest, type HttpResponse } from "./http1";

/** Options of a {@link RestApi}. Defaults are in {@link REST_API_DEFAULTS}. */
export interface RestApiOptions {
  /** Server node (shared with other APIs on the same node). */
  name?: string;
  /** The database node to read from. */
  db?: string;
  /** Processing time per request at the server, ms. */
  serviceTimeMs?: number;
}

/** Defaults: node `api`, database `db`, 1 ms per request. */
export const REST_API_DEFAULTS = { name: "api", db: "db", serviceTimeMs: 1 } as const;

/** Counts of a {@link RestApi}. */
export interface RestApiStats {
  requests: number;
  /** Answers by status code. */
  byStatus: Record<number, number>;
}

/** Post with its author embedded (`?embed=author`). */
export type PostWithAuthor = Post & { author: User };

/** A weak ETag of a body, in the format Express uses: `W/"<length hex>-<hash>"`. */
export function etagOf(body: string): string {
  let h = 0x811c9dc5; // FNV-1a, 32 bits
  for (let i = 0; i < body.length; i++) h = Math.imul(h ^ body.charCodeAt(i), 0x01000193) >>> 0;
  return `W/"${utf8Length(body).toString(16)}-${h.toString(16).padStart(8, "0")}"`;
}

/** True when an `If-None-Match` value matches `etag` (weak comparison, `*` matches anything). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const strip = (t: string) => t.trim().replace(/^W\//, "");
  return ifNoneMatch.split(",").some((t) => t.trim() === "*" || strip(t) === strip(etag));
}

/**
 * The REST API of the example domain on an HTTP/1.1 server node.
 *
 * | request | answer |
 * | --- | --- |
 * | `GET /posts?limit=20` | newest posts, full objects (`&embed=author` adds each author) |
 * | `…?fields=id,title,author.name` | sparse fieldsets (as JSON:API and Google APIs offer): only those fields |
 * | `GET /posts/3`, `GET /users/7`, `GET /posts/3/comments` | one resource or list, `404` if missing |
 * | `POST /posts` with JSON `{title, body, authorId}` | `201 Created` + `Location`; `400` bad JSON, `415` not JSON, `422` missing fields |
 * | other methods on these paths | `405 Method Not Allowed` + `Allow` |
 */
export class RestApi {
  readonly name: string;
  readonly stats: RestApiStats = { requests: 0, byStatus: {} };
  private readonly reader: DbReader;
  private readonly serviceTimeMs: number;

  constructor(
    readonly sim: Simulation,
    options: RestApiOptions = {},
  ) {
    this.name = options.name ?? REST_API_DEFAULTS.name;
    const db = options.db ?? REST_API_DEFAULTS.db;
    if (!sim.hasNode(db)) throw new ConfigError("RestApi", "db", db, "the name of an existing database node (create a SocialDb first)");
    this.serviceTimeMs = nonNegative("RestApi", "serviceTimeMs", options.serviceTimeMs ?? REST_API_DEFAULTS.serviceTimeMs);
    const server = httpServer(sim, this.name);
    this.reader = new DbReader(sim, this.name, db);
    server.route("REST /posts, /users", (req) => /^\/(posts|users)(\/|$|\?)/.test(req.path), async (req) => {
      if (this.serviceTimeMs > 0) await sim.sleep(this.serviceTimeMs);
      const res = await this.handle(req);
      this.stats.requests++;
      this.stats.byStatus[res.status] = (this.stats.byStatus[res.status] ?? 0) + 1;
      return res;
    });
  }

  private async handle(req: HttpRequest): Promise<HttpResponse> {
    const path = pathOnly(req.path);
    const q = queryOf(req.path);
    const fields = q.fields ? q.fields.split(",").filter(Boolean) : undefined;
    const shaped = (load: () => Promise<unknown>) => async () => (fields ? sparse(await load(), fields) : load());
    const get = (load: () => Promise<unknown>) => (req.method === "GET" || req.method === "HEAD" ? this.conditional(req, shaped(load)) : undefined);
    const notAllowed = (allow: string) => jsonResponse(405, { error: `${req.method} is not allowed on ${path}`, allow }, { allow });
    let m: RegExpExecArray | null;
    try {
      if (path === "/posts") {
        if (req.method === "POST") return await this.create(req);
        const limit = q.limit === undefined ? 20 : Number(q.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 100) return jsonResponse(400, { error: `limit must be a whole number from 1 to 100, got ${JSON.stringify(q.limit)}` });
        return (
          (await get(async () => {
            const posts = await this.reader.query<Post[]>(`/posts?limit=${limit}`);
            if (q.embed !== "author") return posts;
            const ids = [...new Set(posts.map((p) => p.authorId))];
            const users = await this.reader.query<User[]>(`/users?ids=${ids.join(",")}`);
            return posts.map((p) => ({ ...p, author: users.find((u) => u.id === p.authorId) }));
          })) ?? notAllowed("GET, HEAD, POST")
        );
      }
      if ((m = /^\/posts\/(\d+)$/.exec(path))) return (await get(() => this.reader.query(`/posts/${m![1]}`))) ?? notAllowed("GET, HEAD");
      if ((m = /^\/posts\/(\d+)\/comments$/.exec(path))) return (await get(() => this.reader.query(`/posts/${m![1]}/comments`))) ?? notAllowed("GET, HEAD");
      if ((m = /^\/users\/(\d+)$/.exec(path))) return (await get(() => this.reader.query(`/users/${m![1]}`))) ?? notAllowed("GET, HEAD");
      return jsonResponse(404, { error: `no resource at ${path}` });
    } catch (error) {
      if (error instanceof NotFoundError) return jsonResponse(404, { error: error.message });
      throw error;
    }
  }

  private async conditional(req: HttpRequest, load: () => Promise<unknown>): Promise<HttpResponse> {
    const body = JSON.stringify(await load());
    const etag = etagOf(body);
    const headers = { etag, "cache-control": "no-cache" };
    if (etagMatches(req.headers["if-none-match"], etag)) return emptyResponse(304, headers);
    const res: HttpResponse = { status: 200, headers: { "content-type": "application/json", "content-length": String(utf8Length(body)), ...headers }, body };
    return req.method === "HEAD" ? { ...res, body: undefined } : res;
  }

  private async create(req: HttpRequest): Promise<HttpResponse> {
    if (!(req.headers["content-type"] ?? "").startsWith("application/json")) {
      return jsonResponse(415, { error: `send the post as JSON (content-type: application/json), got ${JSON.stringify(req.headers["content-type"] ?? "none")}` });
    }
    const input = parseJson(req.body);
    if (input === undefined || typeof input !== "object" || input === null) return jsonResponse(400, { error: "the body is not valid JSON" });
    const { title, body, authorId } = input as Record<string, unknown>;
    const missing = [typeof title !== "string" || title === "" ? "title" : "", typeof body !== "string" ? "body" : "", typeof authorId !== "number" ? "authorId" : ""].filter(Boolean);
    if (missing.length > 0) return jsonResponse(422, { error: `missing or invalid fields: ${missing.join(", ")}` });
    await this.reader.query(`/users/${String(authorId)}`).catch(() => {
      throw new NotFoundError(`no user ${String(authorId)}`);
    });
    const [post] = await this.reader.query<Post[]>("/posts", "POST", { title, body, authorId });
    return jsonResponse(201, post, { location: `/posts/${post!.id}` });
  }
}

/**
 * Keeps only the listed fields of an object or of each object in a list; `author.name` keeps
 * `name` inside `author`.
 */
export function sparse(value: unknown, fields: readonly string[]): unknown {
  if (Array.isArray(value)) return value.map((v) => sparse(v, fields));
  if (typeof value !== "object" || value === null) return value;
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const [head, ...rest] = field.split(".");
    if (!(head! in source)) continue;
    if (rest.length === 0) out[head!] = source[head!];
    else {
      const inner = sparse(source[head!], [rest.join(".")]);
      out[head!] = typeof out[head!] === "object" && out[head!] !== null ? { ...(out[head!] as object), ...(inner as object) } : inner;
    }
  }
  return out;
}

/** Options of a {@link RestClient}. Defaults are in {@link REST_CLIENT_DEFAULTS}. */
export interface RestClientOptions extends HttpClientOptions {
  /** Calling node (created if missing). */
  from?: string;
  /** Server node. */
  to?: string;
  /** Keep `ETag`s and answers, and revalidate with `If-None-Match`, as a browser's HTTP cache does for `no-cache` responses. */
  cache?: boolean;
}

/** Defaults: node `app` calling `api`, cache on. */
export const REST_CLIENT_DEFAULTS = { from: "app", to: "api", cache: true } as const;

/** An answer of a {@link RestClient}. */
export interface RestResult<T> {
  status: number;
  headers: Record<string, string>;
  /** The parsed body (from the cache after a `304`). */
  body: T;
  /** True when the server answered `304` and the body came from the cache. */
  fromCache: boolean;
}

/** Counts of a {@link RestClient}: its HTTP counts plus cache revalidations. */
export interface RestClientStats extends HttpClientStats {
  /** `304 Not Modified` answers served from the cache. */
  notModified: number;
}

/** A JSON REST client with an ETag cache, on a pool of HTTP/1.1 connections. */
export class RestClient {
  readonly http: HttpClient;
  private readonly cached = new Map<string, { etag: string; body: unknown }>();
  private readonly cache: boolean;
  private revalidated = 0;

  constructor(
    readonly sim: Simulation,
    options: RestClientOptions = {},
  ) {
    this.http = new HttpClient(sim, options.from ?? REST_CLIENT_DEFAULTS.from, options.to ?? REST_CLIENT_DEFAULTS.to, options);
    this.cache = options.cache ?? REST_CLIENT_DEFAULTS.cache;
  }

  /** HTTP counts plus cache revalidations. */
  get stats(): RestClientStats {
    return { ...this.http.stats, notModified: this.revalidated };
  }

  /** `GET path`; with the cache, a known ETag is sent as `If-None-Match`. */
  async get<T = unknown>(path: string): Promise<RestResult<T>> {
    const known = this.cache ? this.cached.get(path) : undefined;
    const res = await this.http.request(httpRequest("GET", path, { headers: known ? { "if-none-match": known.etag } : {} }));
    if (res.status === 304 && known) {
      this.revalidated++;
      return { status: 304, headers: res.headers, body: known.body as T, fromCache: true };
    }
    const body = parseJson(res.body) as T;
    if (this.cache && res.status === 200 && res.headers.etag) this.cached.set(path, { etag: res.headers.etag, body });
    return { status: res.status, headers: res.headers, body, fromCache: false };
  }

  /** Sends `method path` with a JSON body. */
  async send<T = unknown>(method: string, path: string, body?: unknown): Promise<RestResult<T>> {
    const res = await this.http.request(httpRequest(method, path, body === undefined ? {} : { body }));
    return { status: res.status, headers: res.headers, body: parseJson(res.body) as T, fromCache: false };
  }

  /** Its counts as a one-row table. */
  [DISPLAY](): MimeBundle {
    return table([{ client: this.http.from, server: this.http.to, ...this.stats }])[DISPLAY]();
  }
}
