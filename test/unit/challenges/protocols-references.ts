// Reference solutions of the protocols build challenges (REST, GraphQL, gRPC) and the wrong
// answers the tests and the bench feed them. References live only here, never in the lab.
import { GrpcError, GrpcStatus, type HttpRequest, type HttpResponse, type ProtoValue, type ServerCall } from "../../../src/lab/index";
import type { NoteFields, NoteStore, RestResourceBuild } from "../../../src/lab/challenges/build-protocols/rest";
import type { GrpcProfileBuild, UsersClient } from "../../../src/lab/challenges/build-protocols/grpc";
import type { AuthorRecord, BatchFn, BatchLoader, BlogRequest, BlogResolvers, GraphQLBatchBuild, PostRecord } from "../../../src/lab/challenges/build-protocols/graphql";

// ---- rest ----------------------------------------------------------------------------------

export interface RestOptions {
  /** Check-then-act: compare the ETag, then write whatever the version is by then. */
  lastWriteWins?: boolean;
  /** Never answer 304. */
  ignoreIfNoneMatch?: boolean;
  /** Weak ETags (W/"…"), as Express sends by default. */
  weakEtags?: boolean;
  /** 422 for a body that is not JSON (instead of 400). */
  malformedIs422?: boolean;
  /** Plain string equality for If-None-Match (a W/ tag or a list never matches). */
  exactInm?: boolean;
  /** No content-type check (415 never sent). */
  ignoreContentType?: boolean;
}
export function restResource(o: RestOptions = {}): RestResourceBuild {
  return {
    handler(store: NoteStore) {
      const json = (status: number, value: unknown, headers: Record<string, string> = {}): HttpResponse => ({ status, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(value) });
      const tagOf = (version: number) => (o.weakEtags ? `W/"v${version}"` : `"v${version}"`);
      const strip = (t: string) => t.trim().replace(/^W\//, "");
      const fields = (req: HttpRequest): NoteFields | HttpResponse => {
        if (!o.ignoreContentType && !/^application\/json\s*(;|$)/i.test(req.headers["content-type"] ?? "")) return json(415, { error: "send application/json" });
        let input: unknown;
        try {
          input = JSON.parse(req.body ?? "");
        } catch {
          return json(o.malformedIs422 ? 422 : 400, { error: "not JSON" });
        }
        const v = input as Record<string, unknown>;
        if (typeof v !== "object" || v === null || Array.isArray(v)) return json(422, { error: "an object, please" });
        if (typeof v.text !== "string" || v.text.length < 1 || v.text.length > 280) return json(422, { error: "text" });
        if (v.pinned !== undefined && typeof v.pinned !== "boolean") return json(422, { error: "pinned" });
        return { text: v.text, pinned: v.pinned === true };
      };
      return async (req) => {
        if (req.path === "/notes") {
          if (req.method !== "POST") return json(405, { error: "no" }, { allow: "POST" });
          const f = fields(req);
          if ("status" in f) return f;
          const note = await store.create(f);
          return json(201, { id: note.id, text: note.text, pinned: note.pinned }, { location: `/notes/${note.id}`, etag: tagOf(note.version) });
        }
        const m = /^\/notes\/(\d+)$/.exec(req.path);
        if (!m) return json(404, { error: "no route" });
        const id = Number(m[1]);
        if (req.method !== "GET" && req.method !== "PUT") return json(405, { error: "no" }, { allow: "GET, PUT" });
        const note = await store.get(id);
        if (!note) return json(404, { error: "no note" });
        if (req.method === "GET") {
          const etag = tagOf(note.version);
          const inm = req.headers["if-none-match"];
          const match = inm !== undefined && !o.ignoreIfNoneMatch && (o.exactInm ? inm === etag : inm.split(",").some((t) => t.trim() === "*" || strip(t) === strip(etag)));
          if (match) return { status: 304, headers: { etag } };
          return json(200, { id: note.id, text: note.text, pinned: note.pinned }, { etag });
        }
        const ifMatch = req.headers["if-match"];
        if (ifMatch === undefined) return json(428, { error: "send If-Match" });
        const version = ifMatch.split(",").map((t) => /^"v(\d+)"$/.exec(t.trim())).find((x) => x)?.[1];
        if (version === undefined || Number(version) !== note.version) return json(412, { error: "stale" });
        const f = fields(req);
        if ("status" in f) return f;
        const written = o.lastWriteWins ? await store.put(id, f) : await store.replaceIf(id, f, Number(version));
        if (!written) return json(412, { error: "changed meanwhile" });
        return json(200, { id, text: written.text, pinned: written.pinned }, { etag: tagOf(written.version) });
      };
    },
  };
}

// ---- graphql -------------------------------------------------------------------------------

export interface LoaderOptions {
  /** No batching: every load calls the batch function with its own key at once. */
  perKey?: boolean;
  /** Sends duplicates: every load's key, repeated keys included. */
  noDedupe?: boolean;
  /** One failing key rejects every load of its batch. */
  failWholeBatch?: boolean;
  /** Dispatches on the next microtask instead of the tick. */
  microtask?: boolean;
}
export function createLoader(o: LoaderOptions = {}): GraphQLBatchBuild["createLoader"] {
  return <K, V>(batch: BatchFn<K, V>, tick: (fn: () => void) => void): BatchLoader<K, V> => {
    let queue: { key: K; resolve: (v: V) => void; reject: (e: unknown) => void }[] = [];
    const cache = new Map<K, Promise<V>>();
    const flush = async () => {
      const waiting = queue;
      queue = [];
      const keys = o.noDedupe ? waiting.map((w) => w.key) : [...new Set(waiting.map((w) => w.key))];
      try {
        const values = await batch(keys);
        const failed = values.find((v) => v instanceof Error);
        for (const w of waiting) {
          const v = values[keys.indexOf(w.key)];
          if (o.failWholeBatch && failed) w.reject(failed);
          else if (v instanceof Error) w.reject(v);
          else w.resolve(v as V);
        }
      } catch (e) {
        for (const w of waiting) w.reject(e);
      }
    };
    return {
      load(key: K): Promise<V> {
        if (o.perKey) return batch([key]).then((r) => (r[0] instanceof Error ? Promise.reject(r[0]) : (r[0] as V)));
        const hit = cache.get(key);
        if (hit && !o.noDedupe) return hit;
        const p = new Promise<V>((resolve, reject) => {
          if (queue.length === 0) {
            if (o.microtask) void Promise.resolve().then(flush);
            else tick(() => void flush());
          }
          queue.push({ key, resolve, reject });
        });
        p.catch(() => {});
        cache.set(key, p);
        return p;
      },
    };
  };
}
export interface Ctx {
  authors: BatchLoader<number, AuthorRecord>;
  posts: BatchLoader<number, readonly PostRecord[]>;
}
export const blogResolvers: BlogResolvers = {
  Query: { author: (_p, a, ctx: Ctx) => ctx.authors.load(a.id as number), authors: (_p, a, ctx: Ctx) => (a.ids as number[]).map((id) => ctx.authors.load(id)) },
  Author: { posts: (p, _a, ctx: Ctx) => ctx.posts.load(p.id), followers: (p, _a, ctx: Ctx) => p.followerIds.map((id) => ctx.authors.load(id)) },
  Post: { author: (p, _a, ctx: Ctx) => ctx.authors.load(p.authorId) },
};
export function blog(o: LoaderOptions & { sharedCache?: boolean } = {}): GraphQLBatchBuild {
  const make = createLoader(o);
  // A cache that outlives the request (module-level, as if it were a performance fix).
  const global = new Map<string, Promise<unknown>>();
  const cached = <V>(name: string, l: BatchLoader<number, V>): BatchLoader<number, V> => ({
    load(k) {
      const key = `${name}:${k}`;
      if (!global.has(key)) global.set(key, l.load(k));
      return global.get(key) as Promise<V>;
    },
  });
  return {
    createLoader: make,
    context(req: BlogRequest): Ctx {
      const fresh = { authors: make<number, AuthorRecord>((ids) => req.backend.authors(ids), req.tick), posts: make<number, readonly PostRecord[]>((ids) => req.backend.postsOf(ids), req.tick) };
      return o.sharedCache ? { authors: cached("authors", fresh.authors), posts: cached("posts", fresh.posts) } : fresh;
    },
    resolvers: blogResolvers,
  };
}

// ---- grpc ----------------------------------------------------------------------------------

export interface GrpcOptions {
  /** Calls downstream without a deadline (drops the budget). */
  noDeadline?: boolean;
  /** Retries RecordView on DEADLINE_EXCEEDED or UNAVAILABLE, like GetUser. */
  retryRecordView?: boolean;
  /** Every downstream failure becomes INTERNAL. */
  allInternal?: boolean;
  /** No validation: every request goes downstream. */
  noValidation?: boolean;
  /** Gives downstream a fixed 100 ms, whatever is left. */
  fixedDeadline?: boolean;
}
export function profile(o: GrpcOptions = {}): GrpcProfileBuild {
  const left = (call: ServerCall) => call.deadline - call.sim.now;
  const callWithin = async (call: ServerCall, users: UsersClient, method: "GetUser" | "RecordView", req: ProtoValue, retry: boolean) => {
    for (;;) {
      const budget = left(call);
      if (budget <= 0) throw new GrpcError(GrpcStatus.DEADLINE_EXCEEDED, "no time left");
      try {
        return await users.unary(method, req, o.noDeadline ? {} : { deadlineMs: o.fixedDeadline ? 100 : budget });
      } catch (error) {
        const code = error instanceof GrpcError ? error.code : GrpcStatus.UNKNOWN;
        if (retry && (code === GrpcStatus.UNAVAILABLE || (o.retryRecordView && code === GrpcStatus.DEADLINE_EXCEEDED)) && left(call) > 20) {
          await call.sim.sleep(10);
          continue;
        }
        if (o.allInternal) throw new GrpcError(GrpcStatus.INTERNAL, "downstream failed");
        throw new GrpcError(code === GrpcStatus.NOT_FOUND || code === GrpcStatus.UNAVAILABLE || code === GrpcStatus.DEADLINE_EXCEEDED ? code : GrpcStatus.UNAVAILABLE, error instanceof Error ? error.message : String(error));
      }
    }
  };
  return {
    async getProfile(call, users) {
      const userId = Number(call.request!.userId);
      if (!o.noValidation && (!(userId >= 1) || !call.request!.viewer)) throw new GrpcError(GrpcStatus.INVALID_ARGUMENT, "user_id ≥ 1 and a viewer, please");
      const user = await callWithin(call, users, "GetUser", { id: userId }, true);
      const count = await callWithin(call, users, "RecordView", { userId, viewer: call.request!.viewer }, o.retryRecordView === true);
      return { id: user.id, name: user.name, views: count.views };
    },
  };
}
