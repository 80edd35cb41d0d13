/**
 * The example domain every protocol of this section serves: users who write posts that get
 * comments, generated from a seed, and a simulated database node that answers queries for
 * them with a fixed cost per query. Protocol servers read through it, so the number of
 * queries a screen causes (the N+1 problem) is counted in one place.
 */
import { nonNegative, wholeNumber } from "../errors";
import { DISPLAY, table, type MimeBundle } from "../display";
import { Random } from "../sim/random";
import { ok, response, type Request } from "../sim/http";
import type { SimNode } from "../sim/node";
import type { Simulation } from "../sim/simulation";
import { pathOnly, queryOf } from "./http1";

/** A user, as the service stores it. */
export interface User {
  id: number;
  name: string;
  handle: string;
  email: string;
  avatarUrl: string;
  bio: string;
  location: string;
  followers: number;
  createdAt: string;
}

/** A post, as the service stores it. */
export interface Post {
  id: number;
  authorId: number;
  title: string;
  body: string;
  tags: string[];
  likes: number;
  createdAt: string;
}

/** A comment on a post. */
export interface Comment {
  id: number;
  postId: number;
  authorId: number;
  body: string;
  createdAt: string;
}

/** The whole data set. */
export interface SocialData {
  users: User[];
  posts: Post[];
  comments: Comment[];
}

/** Options of {@link createSocialData}. Defaults are in {@link SOCIAL_DATA_DEFAULTS}. */
export interface SocialDataOptions {
  /** Seed of the generator; the same seed gives the same data. */
  seed?: number;
  users?: number;
  posts?: number;
  /** Comments on each post. */
  commentsPerPost?: number;
}

/** Defaults: 12 users, 40 posts, 3 comments each. */
export const SOCIAL_DATA_DEFAULTS = { seed: 7, users: 12, posts: 40, commentsPerPost: 3 } as const;

const FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Radia", "Leslie", "Frances", "John", "Hedy", "Dennis", "Anita", "Tim"];
const LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Thompson", "Perlman", "Lamport", "Allen", "Backus", "Lamarr", "Ritchie", "Borg", "Berners-Lee"];
const CITIES = ["London", "Lisbon", "Berlin", "Nairobi", "Toronto", "Osaka", "Austin", "Krakow", "Pune", "Melbourne"];
const TOPICS = ["consistent hashing", "circuit breakers", "idempotency keys", "backpressure", "the outbox pattern", "leader election", "rate limiting", "cache stampedes", "schema evolution", "tail latency"];
const OPENERS = ["Notes on", "What I learned about", "A field guide to", "Debugging", "Rethinking", "Measuring"];
const WORDS = "the a service request queue retry latency client server cache shard replica lease token stream event log message partition timeout budget window load".split(" ");
const TAGS = ["distributed", "backend", "http", "grpc", "graphql", "reliability", "performance", "databases"];

/** Generates the example data set: deterministic for a seed. */
export function createSocialData(options: SocialDataOptions = {}): SocialData {
  const seed = options.seed ?? SOCIAL_DATA_DEFAULTS.seed;
  const nUsers = wholeNumber("createSocialData", "users", options.users ?? SOCIAL_DATA_DEFAULTS.users);
  const nPosts = wholeNumber("createSocialData", "posts", options.posts ?? SOCIAL_DATA_DEFAULTS.posts, 0);
  const perPost = wholeNumber("createSocialData", "commentsPerPost", options.commentsPerPost ?? SOCIAL_DATA_DEFAULTS.commentsPerPost, 0);
  const rnd = new Random(seed);
  const date = (day: number) => new Date(Date.UTC(2024, 0, 1) + day * 86_400_000).toISOString();
  const sentence = (n: number) => {
    const w = Array.from({ length: n }, () => rnd.pick(WORDS));
    return `${w[0]![0]!.toUpperCase()}${w.join(" ").slice(1)}.`;
  };
  const users: User[] = Array.from({ length: nUsers }, (_, i) => {
    const first = FIRST[i % FIRST.length]!;
    const last = LAST[(i * 7) % LAST.length]!;
    const handle = `${first}${last}`.toLowerCase().replace(/[^a-z]/g, "");
    return {
      id: i + 1,
      name: `${first} ${last}`,
      handle,
      email: `${handle}@example.com`,
      avatarUrl: `https://cdn.example.com/avatars/${handle}.png`,
      bio: `${sentence(8)} ${sentence(6)}`,
      location: rnd.pick(CITIES),
      followers: rnd.int(10, 5000),
      createdAt: date(rnd.int(0, 300)),
    };
  });
  const posts: Post[] = Array.from({ length: nPosts }, (_, i) => ({
    id: i + 1,
    authorId: rnd.int(1, nUsers),
    title: `${rnd.pick(OPENERS)} ${rnd.pick(TOPICS)}`,
    body: Array.from({ length: 4 }, () => sentence(rnd.int(8, 14))).join(" "),
    tags: [rnd.pick(TAGS), rnd.pick(TAGS)].filter((t, k, all) => all.indexOf(t) === k),
    likes: rnd.int(0, 900),
    createdAt: date(300 + i),
  }));
  const comments: Comment[] = posts.flatMap((p) =>
    Array.from({ length: perPost }, (_, k) => ({ id: (p.id - 1) * perPost + k + 1, postId: p.id, authorId: rnd.int(1, nUsers), body: sentence(rnd.int(5, 10)), createdAt: date(301 + p.id) })),
  );
  return { users, posts, comments };
}

/** Options of a {@link SocialDb}. Defaults are in {@link SOCIAL_DB_DEFAULTS}. */
export interface SocialDbOptions {
  /** Node name. */
  name?: string;
  /** The data; default {@link createSocialData}(). */
  data?: SocialData;
  /** Time one query takes at the database, ms (a batched query costs the same). */
  queryMs?: number;
  /** Queries run at once (a connection pool); more wait their turn. */
  concurrency?: number;
}

/** Defaults: node `db`, 2 ms per query, 10 at once (node-postgres's default pool size). */
export const SOCIAL_DB_DEFAULTS = { name: "db", queryMs: 2, concurrency: 10 } as const;

/** Query counts of a {@link SocialDb}. */
export interface SocialDbStats {
  /** Queries answered. */
  queries: number;
  /** Rows returned. */
  rows: number;
}

/**
 * The database node. Requests: `GET /users/7`, `GET /users?ids=1,2,3` (one batched query),
 * `GET /posts?limit=20` (`&offset=20` or `&after=<id>` for the next page), `GET /posts/3`, `GET /posts/3/comments`, `POST /posts`.
 */
export class SocialDb {
  readonly name: string;
  readonly node: SimNode<undefined>;
  readonly data: SocialData;
  readonly stats: SocialDbStats = { queries: 0, rows: 0 };

  constructor(
    readonly sim: Simulation,
    options: SocialDbOptions = {},
  ) {
    this.name = options.name ?? SOCIAL_DB_DEFAULTS.name;
    this.data = options.data ?? createSocialData();
    const queryMs = nonNegative("SocialDb", "queryMs", options.queryMs ?? SOCIAL_DB_DEFAULTS.queryMs);
    this.node = sim.service<undefined>(this.name, async (req, ctx) => {
      await ctx.work(queryMs);
      return this.answer(req);
    }, { concurrency: wholeNumber("SocialDb", "concurrency", options.concurrency ?? SOCIAL_DB_DEFAULTS.concurrency) });
  }

  /** Resets the counts (between runs of a comparison). */
  resetStats(): void {
    this.stats.queries = 0;
    this.stats.rows = 0;
  }

  private answer(req: Request): ReturnType<typeof ok> {
    this.stats.queries++;
    const path = pathOnly(req.path);
    const params = queryOf(req.path);
    const rows = <T>(value: T[]) => {
      this.stats.rows += value.length;
      return ok(value);
    };
    const one = <T>(value: T | undefined, what: string) => {
      if (value === undefined) return response(404, { error: `no ${what}` });
      this.stats.rows++;
      return ok(value);
    };
    let m: RegExpExecArray | null;
    if (req.method === "POST" && path === "/posts") {
      const input = req.body as Partial<Post>;
      // Max + 1, not length + 1: posts may have been deleted from the data.
      const post: Post = { id: this.data.posts.reduce((max, p) => Math.max(max, p.id), 0) + 1, authorId: Number(input.authorId), title: String(input.title ?? ""), body: String(input.body ?? ""), tags: input.tags ?? [], likes: 0, createdAt: new Date(Date.UTC(2025, 0, 1) + this.sim.now).toISOString() };
      this.data.posts.push(post);
      return rows([post]);
    }
    if (path === "/users") {
      const ids = (params.ids ?? "").split(",").filter(Boolean).map(Number);
      return rows(ids.map((id) => this.data.users.find((u) => u.id === id)).filter((u): u is User => u !== undefined));
    }
    if ((m = /^\/users\/(\d+)$/.exec(path))) return one(this.data.users.find((u) => u.id === Number(m![1])), `user ${m[1]}`);
    if (path === "/posts") {
      const limit = Number(params.limit ?? this.data.posts.length);
      const after = Number(params.after ?? 0);
      const offset = Number(params.offset ?? 0);
      return rows([...this.data.posts].reverse().filter((p) => after === 0 || p.id < after).slice(offset, offset + limit));
    }
    if ((m = /^\/posts\/(\d+)$/.exec(path))) return one(this.data.posts.find((p) => p.id === Number(m![1])), `post ${m[1]}`);
    if ((m = /^\/posts\/(\d+)\/comments$/.exec(path))) return rows(this.data.comments.filter((c) => c.postId === Number(m![1])));
    if (path === "/comments") {
      const ids = (params.posts ?? "").split(",").filter(Boolean).map(Number);
      return rows(this.data.comments.filter((c) => ids.includes(c.postId)));
    }
    return response(404, { error: `unknown query ${req.method} ${req.path}` });
  }

  [DISPLAY](): MimeBundle {
    return table([{ db: this.name, users: this.data.users.length, posts: this.data.posts.length, comments: this.data.comments.length, ...this.stats }])[DISPLAY]();
  }
}

/** Reads the domain through the database node on behalf of a server node. */
export class DbReader {
  constructor(
    private readonly sim: Simulation,
    /** The node making the queries (the API server). */
    private readonly from: string,
    /** The database node. */
    private readonly db: string,
  ) {}

  /**
   * Sends one query; resolves with its body, or throws on an error status.
   * @param timeoutMs - how long to wait (e.g. what is left of a gRPC deadline); default the node's 30 s
   */
  async query<T>(path: string, method = "GET", body?: unknown, timeoutMs?: number): Promise<T> {
    const res = await this.sim.node(this.from).call(this.db, { method, path, headers: {}, body }, timeoutMs === undefined ? {} : { timeoutMs: Math.max(0, timeoutMs) });
    if (res.status >= 400) throw new NotFoundError((res.body as { error?: string })?.error ?? `${method} ${path} failed with ${res.status}`);
    return res.body as T;
  }
}

/** A record the request names does not exist. */
export class NotFoundError extends Error {
  override name = "NotFoundError";
}
