// Build challenges of the protocols section (REST, GraphQL, gRPC): the reference passes every
// stage on every case within 3 s; the notebook's starter fails stage 1 with a useful first
// failure; known-wrong answers fail at the stage that targets their mistake.
import { describe, expect, it } from "vitest";
import { GrpcError, GrpcStatus, type HttpRequest, type HttpResponse, type ProtoValue, type ServerCall } from "sde-lab";
import { challenges } from "sde-lab/challenges";
import type { NoteFields, NoteStore, RestResourceBuild } from "../../../src/lab/challenges/build-protocols/rest";
import type { GrpcProfileBuild, UsersClient } from "../../../src/lab/challenges/build-protocols/grpc";
import type { AuthorRecord, BatchFn, BatchLoader, BlogRequest, BlogResolvers, GraphQLBatchBuild, PostRecord } from "../../../src/lab/challenges/build-protocols/graphql";

// CPU time, not wall time: 8 processes share the 2 cores of the check machine, and the wall
// clock measures the queue. Median of one run is enough for a gross-regression bound.
const timed = async <T>(f: () => Promise<T>) => {
  const start = process.cpuUsage();
  const wall = performance.now();
  const value = await f();
  const cpu = process.cpuUsage(start);
  return { value, ms: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - wall };
};

// ---- rest ----------------------------------------------------------------------------------

interface RestOptions {
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
function restResource(o: RestOptions = {}): RestResourceBuild {
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

describe("rest build challenge", () => {
  const c = challenges.rest;

  it("passes the reference on every stage and case, within 3 s", async () => {
    const { value: report, ms, wallMs } = await timed(() => c.check(restResource()));
    console.log(`rest full check: ${ms.toFixed(0)} ms CPU, ${wallMs.toFixed(0)} ms wall`);
    expect(report.headline, String(report.failedStage?.failure?.invariant)).toMatch(/^Challenge rest: PASSED \(3 of 3 stages, \d+ cases\)$/);
    expect(ms).toBeLessThan(3_000);
  });
});

// ---- graphql -------------------------------------------------------------------------------

interface LoaderOptions {
  /** No batching: every load calls the batch function with its own key at once. */
  perKey?: boolean;
  /** Sends duplicates: every load's key, repeated keys included. */
  noDedupe?: boolean;
  /** One failing key rejects every load of its batch. */
  failWholeBatch?: boolean;
  /** Dispatches on the next microtask instead of the tick. */
  microtask?: boolean;
}
function createLoader(o: LoaderOptions = {}): GraphQLBatchBuild["createLoader"] {
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
interface Ctx {
  authors: BatchLoader<number, AuthorRecord>;
  posts: BatchLoader<number, readonly PostRecord[]>;
}
const blogResolvers: BlogResolvers = {
  Query: { author: (_p, a, ctx: Ctx) => ctx.authors.load(a.id as number), authors: (_p, a, ctx: Ctx) => (a.ids as number[]).map((id) => ctx.authors.load(id)) },
  Author: { posts: (p, _a, ctx: Ctx) => ctx.posts.load(p.id), followers: (p, _a, ctx: Ctx) => p.followerIds.map((id) => ctx.authors.load(id)) },
  Post: { author: (p, _a, ctx: Ctx) => ctx.authors.load(p.authorId) },
};
function blog(o: LoaderOptions & { sharedCache?: boolean } = {}): GraphQLBatchBuild {
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

describe("graphql build challenge", () => {
  const c = challenges.graphql;

  it("passes the reference on every stage and case, within 3 s", async () => {
    const { value: report, ms, wallMs } = await timed(() => c.check(blog()));
    console.log(`graphql full check: ${ms.toFixed(0)} ms CPU, ${wallMs.toFixed(0)} ms wall`);
    expect(report.headline, String(report.failedStage?.failure?.invariant)).toMatch(/^Challenge graphql: PASSED \(3 of 3 stages, \d+ cases\)$/);
    expect(ms).toBeLessThan(3_000);
  });
});

// ---- grpc ----------------------------------------------------------------------------------

interface GrpcOptions {
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
function profile(o: GrpcOptions = {}): GrpcProfileBuild {
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

describe("grpc build challenge", () => {
  const c = challenges.grpc;

  it("passes the reference on every stage and case, within 3 s", async () => {
    const { value: report, ms, wallMs } = await timed(() => c.check(profile()));
    console.log(`grpc full check: ${ms.toFixed(0)} ms CPU, ${wallMs.toFixed(0)} ms wall`);
    expect(report.headline, String(report.failedStage?.failure?.invariant)).toMatch(/^Challenge grpc: PASSED \(3 of 3 stages, \d+ cases\)$/);
    expect(ms).toBeLessThan(3_000);
  });
});

// ---- wrong answers: each fails at the stage that targets its mistake -----------------------

const stageOf = (r: { headline: string }) => /FAILED at stage (\d)/.exec(r.headline)?.[1];

describe("rest: wrong answers fail where they should", () => {
  const c = challenges.rest;
  it("the notebook's starter (501 for everything) fails stage 1 naming the request and the status RFC 9110 gives", async () => {
    const r = await c.check({ handler: () => () => ({ status: 501, headers: {}, body: "not implemented" }) });
    expect(r.headline).toMatch(/^Challenge rest: FAILED at stage 1 of 3, works \(6 of 6 cases failed\)$/);
    expect(r.stages[0]!.failure!.invariant).toMatch(/^GET \/notes\/\d should get 200 \(no condition\) but got 501$/);
    expect(r.stages[0]!.failure!.case!.size).toBe(1);
  });
  it("a constant answer (200 {} for everything) fails stage 1", async () => {
    const r = await c.check({ handler: () => () => ({ status: 200, headers: { "content-type": "application/json", etag: '"x"' }, body: "{}" }) });
    expect(stageOf(r)).toBe("1");
  });
  it("ignoring If-None-Match (never 304) fails stage 1", async () => {
    const r = await c.check(restResource({ ignoreIfNoneMatch: true }));
    expect(stageOf(r)).toBe("1");
    expect(r.stages[0]!.failure!.invariant).toMatch(/should get 304 Not Modified/);
  });
  it("ignoring Content-Type (never 415) fails stage 1", async () => {
    const r = await c.check(restResource({ ignoreContentType: true }));
    expect(stageOf(r)).toBe("1");
    expect(r.stages[0]!.failure!.invariant).toMatch(/should get 415/);
  });
  it("weak ETags (Express's default) fail stage 1: If-Match needs a strong validator", async () => {
    const r = await c.check(restResource({ weakEtags: true }));
    expect(stageOf(r)).toBe("1");
    expect(r.stages[0]!.failure!.invariant).toMatch(/strong ETag/);
  });
  it("comparing If-None-Match as a plain string (a W/ tag or a list never matches) fails", async () => {
    const r = await c.check(restResource({ exactInm: true }));
    expect(["1", "2"]).toContain(stageOf(r));
    expect(r.failedStage!.failure!.invariant).toMatch(/should get 304 Not Modified .*(weak comparison|the list contains it)/);
  });
  it("check-then-act (compare the ETag, then a last-write-wins put) passes the sequences and loses updates under concurrency: stage 3", async () => {
    const r = await c.check(restResource({ lastWriteWins: true }));
    expect(r.headline).toMatch(/^Challenge rest: FAILED at stage 3 of 3, no lost update \(\d+ of 20 cases failed\)$/);
    expect(r.stages[2]!.failure!.invariant).toMatch(/concurrent PUTs to \/notes\/\d with the same If-Match: "v\d+" all succeeded, so \d+ overwrote a version they never saw \(a lost update\)/);
    expect(r.stages[2]!.failure!.sequence).toMatch(/^sequenceDiagram/);
  });
  it("answering 422 for a body that is not JSON fails (400 is for malformed syntax)", async () => {
    const r = await c.check(restResource({ malformedIs422: true }));
    expect(["1", "2"]).toContain(stageOf(r));
    expect(r.failedStage!.failure!.invariant).toMatch(/not valid JSON should get 400 but got 422/);
  });
});

describe("graphql: wrong answers fail where they should", () => {
  const c = challenges.graphql;
  const direct: GraphQLBatchBuild["createLoader"] = <K, V>(batch: BatchFn<K, V>) => ({
    load: (key: K) => batch([key]).then((r) => (r[0] instanceof Error ? Promise.reject(r[0]) : (r[0] as V))),
  });
  it("the notebook's starter (a loader that calls the batch at once, per key) fails stage 1 with the tick's loads", async () => {
    const r = await c.check({ ...blog(), createLoader: direct });
    expect(r.headline).toMatch(/^Challenge graphql: FAILED at stage 1 of 3, batches like DataLoader \(1 of \d+ cases failed\)$/);
    expect(r.stages[0]!.failure!.invariant).toMatch(/^load\(\d\) called the batch function at once, before the tick/);
    expect(r.stages[0]!.failure!.counterexample).toMatch(/^ticks \[/);
  });
  it("a constant loader (every key gets the same value) fails stage 1", async () => {
    const r = await c.check({ ...blog(), createLoader: <K, V>() => ({ load: (_k: K) => Promise.resolve("value of 1" as V) }) });
    expect(stageOf(r)).toBe("1");
  });
  it("a loader that sends repeated keys fails stage 1", async () => {
    const r = await c.check(blog({ noDedupe: true }));
    expect(stageOf(r)).toBe("1");
    expect(r.stages[0]!.failure!.invariant).toMatch(/each key once/);
  });
  it("a loader that fails the whole batch for one bad key fails stage 1", async () => {
    const r = await c.check(blog({ failWholeBatch: true }));
    expect(stageOf(r)).toBe("1");
    expect(r.stages[0]!.failure!.invariant).toMatch(/an error fails its own key only/);
  });
  it("a loader that dispatches on the next microtask batches alone but splits a level into many calls: stage 2", async () => {
    const r = await c.check(blog({ microtask: true }));
    expect(r.headline).toMatch(/^Challenge graphql: FAILED at stage 2 of 3, no N\+1/);
    expect(r.stages[1]!.failure!.invariant).toMatch(/made \d+ backend calls .* but its resolvers asked in only \d+ bursts/);
  });
  it("a cache shared between requests hands one user's email (or stale answers) to another: stage 2 or 3", async () => {
    const r = await c.check(blog({ sharedCache: true }));
    expect(["2", "3"]).toContain(stageOf(r));
    expect(r.failedStage!.failure!.invariant).toMatch(/^viewer \d+'s answer (contains author \d+'s private email|to .* differs from the unbatched reference)/);
  });
  it("resolvers that hide a failing key (null without an error) fail stage 3", async () => {
    const quiet = blog();
    const resolvers = { ...quiet.resolvers, Post: { author: (p: PostRecord, a: Record<string, unknown>, ctx: Ctx) => ctx.authors.load(p.authorId).catch(() => null) }, Author: { ...quiet.resolvers.Author, posts: (p: AuthorRecord, _a: Record<string, unknown>, ctx: Ctx) => ctx.posts.load(p.id).catch(() => null) } };
    const r = await c.check({ ...quiet, resolvers: resolvers as BlogResolvers });
    expect(stageOf(r)).toBe("3");
    expect(r.stages[2]!.failure!.invariant).toMatch(/a failing key must error its own field only/);
  });
});

describe("grpc: wrong answers fail where they should", () => {
  const c = challenges.grpc;
  it("the notebook's starter (GetUser without a deadline, views 0) fails stage 1", async () => {
    const starter: GrpcProfileBuild = {
      async getProfile(call, users) {
        const user = await users.unary("GetUser", { id: call.request!.userId });
        return { id: user.id, name: user.name, views: 0 };
      },
    };
    const r = await c.check(starter);
    expect(r.headline).toMatch(/^Challenge grpc: FAILED at stage 1 of 3, works \(6 of 6 cases failed\)$/);
    expect(r.stages[0]!.failure!.invariant).toMatch(/^GetProfile \{user_id: -?\d+, viewer: "\w*"\} at \d+ ms \(deadline \d+ ms\) /);
  });
  it("a constant answer (UNAVAILABLE for everything) fails stage 1", async () => {
    const r = await c.check({ getProfile: async () => Promise.reject(new GrpcError(GrpcStatus.UNAVAILABLE, "down")) });
    expect(stageOf(r)).toBe("1");
  });
  it("no validation (every request goes downstream) fails stage 1", async () => {
    const r = await c.check(profile({ noValidation: true }));
    expect(stageOf(r)).toBe("1");
    expect(r.stages[0]!.failure!.invariant).toMatch(/should end 3 INVALID_ARGUMENT|is invalid but the handler still called/);
  });
  it("dropping the deadline downstream fails stage 1", async () => {
    const r = await c.check(profile({ noDeadline: true }));
    expect(stageOf(r)).toBe("1");
    expect(r.stages[0]!.failure!.invariant).toMatch(/with no deadline though only \d+(\.\d+)? ms were left/);
  });
  it("every failure as INTERNAL fails stage 1 (NOT_FOUND is a status of its own)", async () => {
    const r = await c.check(profile({ allInternal: true }));
    expect(stageOf(r)).toBe("1");
    expect(r.stages[0]!.failure!.invariant).toMatch(/should end 5 NOT_FOUND .* but ended 13 INTERNAL/);
  });
  it("a fixed 100 ms downstream deadline passes a healthy run sometimes but not the budgets: it fails", async () => {
    const r = await c.check(profile({ fixedDeadline: true }));
    expect(r.passed).toBe(false);
    expect(r.failedStage!.failure!.invariant).toMatch(/with a 100 ms deadline though only .* ms were left/);
  });
  it("retrying RecordView after a timeout counts a view twice: stage 2 or 3", async () => {
    const r = await c.check(profile({ retryRecordView: true }));
    // A slow link already times RecordView out in stage 2; stage 3's late answer is the sure trap.
    expect(["2", "3"]).toContain(stageOf(r));
    expect(r.failedStage!.failure!.invariant).toMatch(/called RecordView \d+ times: it is not idempotent/);
  });
});
