/**
 * Build challenge "graphql": the learner writes a batching loader of their own (DataLoader's
 * semantics: the loads of one tick become one batch call, each key once, an error fails only
 * its own key, a fresh loader per request) and the resolvers that use it. The checker attacks
 * the loader with fast-check schedules, then runs generated nested queries on a node `api`
 * with the real `graphql` package and compares every answer with an unbatched reference,
 * counts the calls to the `backend` node, and sends requests from two users at once with
 * failing keys, looking for one user's private field in the other's answer.
 */
import fc from "fast-check";
import { buildSchema, execute, parse, validate, type DocumentNode, type FieldNode, type GraphQLFieldResolver, type SelectionSetNode } from "graphql";
import { ConfigError, Random, Simulation, request, type SimNode } from "sde-lab";
import { defineBuildChallenge, type CaseOutcome, type CheckCase, type FaultSpec } from "../build";
import { seededCases } from "../seeded-cases";

/** An author as the backend returns it. `email` is set only when the author is the request's viewer. */
export interface AuthorRecord {
  readonly id: number;
  readonly name: string;
  readonly email: string | null;
  readonly followerIds: readonly number[];
}

/** A post as the backend returns it. */
export interface PostRecord {
  readonly id: number;
  readonly title: string;
  readonly authorId: number;
}

/** The backend, as seen by one request (it knows the request's viewer). Every call is one round trip. */
export interface BlogBackend {
  /** One answer per id, in order: the author, or an Error for that id alone. */
  authors(ids: readonly number[]): Promise<readonly (AuthorRecord | Error)[]>;
  /** One answer per author id, in order: that author's posts, or an Error for that id alone. */
  postsOf(authorIds: readonly number[]): Promise<readonly (readonly PostRecord[] | Error)[]>;
}

/** A batch function: gets each key once, answers in the same order; an Error in a slot fails only that key. */
export type BatchFn<K, V> = (keys: readonly K[]) => Promise<readonly (V | Error)[]>;

/** A loader: `load(key)` resolves with that key's value from a batch. */
export interface BatchLoader<K, V> {
  load(key: K): Promise<V>;
}

/** One request, as your `context` gets it. */
export interface BlogRequest {
  /** Id of the signed-in author who sent the request. */
  readonly viewer: number;
  /** The backend, bound to this request's viewer. */
  readonly backend: BlogBackend;
  /** Runs `fn` once every resolver of the current burst has asked (the same virtual time, after the pending promise jobs). */
  readonly tick: (fn: () => void) => void;
}

/** A resolver: parent object, field arguments, your context → the value or a Promise of it. */
export type BlogResolver<P> = (parent: P, args: Record<string, unknown>, ctx: never) => unknown;

/** The resolvers the schema needs (scalar fields resolve from the records' properties). */
export interface BlogResolvers {
  Query: { author: BlogResolver<undefined>; authors: BlogResolver<undefined> };
  Author: { posts: BlogResolver<AuthorRecord>; followers: BlogResolver<AuthorRecord> };
  Post: { author: BlogResolver<PostRecord> };
}

/** Your build: the loader, the per-request context that makes loaders, and the resolvers. */
export interface GraphQLBatchBuild {
  createLoader<K, V>(batch: BatchFn<K, V>, tick: (fn: () => void) => void): BatchLoader<K, V>;
  context(req: BlogRequest): unknown;
  resolvers: BlogResolvers;
}

/** The schema the lab serves, in SDL. */
export const BLOG_SCHEMA = `type Query {
  author(id: Int!): Author
  authors(ids: [Int!]!): [Author]!
}

type Author {
  id: Int!
  name: String!
  "The viewer's own address; null on everyone else."
  email: String
  posts: [Post!]
  followers: [Author]!
}

type Post {
  id: Int!
  title: String!
  author: Author
}
`;

const schema = buildSchema(BLOG_SCHEMA);

// ---- stage 1: the loader, under fast-check schedules ---------------------------------------

interface Schedule {
  /** Keys loaded in each tick, in order (duplicates on purpose). */
  readonly bursts: readonly (readonly number[])[];
  /** Keys whose slot is an Error. */
  readonly failing: readonly number[];
}

const value = (k: number) => `value of ${k}`;

async function loaderRun(solution: GraphQLBatchBuild, s: Schedule): Promise<string | undefined> {
  const calls: number[][] = [];
  const ticks: (() => void)[] = [];
  const failing = new Set(s.failing);
  const loader = solution.createLoader<number, string>(
    async (keys) => {
      calls.push([...keys]);
      return keys.map((k) => (failing.has(k) ? new Error(`key ${k} failed`) : value(k)));
    },
    (fn) => void ticks.push(fn),
  );
  if (typeof loader?.load !== "function") return `createLoader returned ${JSON.stringify(loader)}, not an object with load(key)`;
  const loadedBefore = new Set<number>();
  for (const [b, burst] of s.bursts.entries()) {
    const callsBefore = calls.length;
    const outcomes = new Map<number, { value?: unknown; error?: unknown }>();
    const pending = burst.map((k, i) =>
      loader.load(k).then(
        (v) => void outcomes.set(i, { value: v }),
        (e: unknown) => void outcomes.set(i, { error: e }),
      ),
    );
    if (calls.length > callsBefore) return `load(${burst[0]}) called the batch function at once, before the tick: the other loads of that tick (${JSON.stringify(burst)}) cannot join the batch`;
    // Run the ticks and the promise jobs they start, a bounded number of times.
    for (let turn = 0; turn < 200 && outcomes.size < burst.length; turn++) {
      while (ticks.length > 0) ticks.shift()!();
      await Promise.resolve();
    }
    await Promise.race([Promise.all(pending), Promise.resolve()]);
    if (outcomes.size < burst.length) return `loads ${JSON.stringify(burst)} in tick ${b + 1} never settled (${outcomes.size} of ${burst.length}): the batch has to be sent from the function given to tick`;
    const made = calls.slice(callsBefore);
    if (made.length > 1) return `loads ${JSON.stringify(burst)} in one tick made ${made.length} batch calls (${made.map((c) => JSON.stringify(c)).join(", ")}): one tick, one batch`;
    const keys = made[0] ?? [];
    if (new Set(keys).size !== keys.length) return `the batch for loads ${JSON.stringify(burst)} got ${JSON.stringify(keys)}: each key once`;
    const missing = [...new Set(burst)].filter((k) => !loadedBefore.has(k) && !keys.includes(k));
    if (missing.length > 0) return `loads ${JSON.stringify(burst)} in one tick: key ${missing[0]} was never sent to the batch function (it got ${JSON.stringify(keys)})`;
    const extra = keys.filter((k) => !burst.includes(k));
    if (extra.length > 0) return `the batch for loads ${JSON.stringify(burst)} asked for ${JSON.stringify(extra)} too, which nobody loaded in that tick`;
    for (const [i, k] of burst.entries()) {
      const o = outcomes.get(i)!;
      if (failing.has(k)) {
        if (!(o.error instanceof Error)) return `load(${k}) should reject with the Error the batch put in its slot, but ${o.error === undefined ? `resolved with ${JSON.stringify(o.value)}` : `rejected with ${String(o.error)}`}`;
      } else if (o.error !== undefined) {
        return `load(${k}) rejected (${o.error instanceof Error ? o.error.message : String(o.error)}) although only ${JSON.stringify(s.failing.filter((f) => burst.includes(f)))} failed in that batch: an error fails its own key only`;
      } else if (o.value !== value(k)) return `load(${k}) resolved with ${JSON.stringify(o.value)}, not the batch's answer for ${k} (${JSON.stringify(value(k))}): answers go back by position`;
    }
    for (const k of burst) loadedBefore.add(k);
  }
  return undefined;
}

const scheduleArb: fc.Arbitrary<Schedule> = fc.record({
  bursts: fc.array(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 }),
  failing: fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 2 }),
});

const LOADER_RUNS = 100;

async function loaderProperty(solution: GraphQLBatchBuild) {
  const test = (s: Schedule) => loaderRun(solution, s);
  const details = await fc.check(fc.asyncProperty(scheduleArb, async (s) => (await test(s)) === undefined), { seed: 20, numRuns: LOADER_RUNS });
  if (!details.failed) return { ok: true, runs: details.numRuns };
  const shrunk = details.counterexample?.[0] as Schedule | undefined;
  let why: string | undefined;
  try {
    why = shrunk ? await test(shrunk) : undefined;
  } catch (e) {
    why = `the solution threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  }
  const show = (s: Schedule) => `ticks ${s.bursts.map((b) => JSON.stringify(b)).join(" then ")}${s.failing.length ? `, failing keys ${JSON.stringify(s.failing)}` : ""}`;
  return { ok: false, runs: details.numRuns, invariant: why ?? `the solution threw ${String(details.errorInstance)}`, counterexample: shrunk ? show(shrunk) : undefined };
}

// ---- stages 2 and 3: generated queries on a running server ---------------------------------

interface BlogData {
  readonly authors: Map<number, { id: number; name: string; email: string; followerIds: number[] }>;
  readonly posts: Map<number, PostRecord[]>;
}

function blogData(seed: number): BlogData {
  const random = new Random(seed);
  const authors: BlogData["authors"] = new Map();
  const posts: BlogData["posts"] = new Map();
  let postId = 1;
  for (let id = 1; id <= 12; id++) {
    const followerIds = [...new Set(Array.from({ length: random.int(0, 4) }, () => random.int(1, 13)))].filter((f) => f !== id);
    authors.set(id, { id, name: `author ${id}`, email: `author${id}@example.com`, followerIds });
    posts.set(
      id,
      Array.from({ length: random.int(0, 3) }, () => ({ id: postId, title: `post ${postId++} by ${id}`, authorId: id })),
    );
  }
  return { authors, posts };
}

/** A query's loading fields: each occurrence of a field that reads the backend. */
const LOADING = new Set(["author", "authors", "posts", "followers"]);
function loadingFields(set: SelectionSetNode | undefined): number {
  let n = 0;
  for (const sel of set?.selections ?? []) {
    if (sel.kind !== "Field") continue;
    if (LOADING.has((sel as FieldNode).name.value)) n++;
    n += loadingFields((sel as FieldNode).selectionSet);
  }
  return n;
}

/** A random nested query: authors(ids) or author(id) at the top, lists inside, up to `depth` levels. */
function queryFor(random: Random, depth: number, ids: number[]): string {
  const author = (d: number): string => {
    const fields = ["id", "name"];
    if (random.chance(0.6)) fields.push("email");
    if (d > 1 && random.chance(0.7)) fields.push(`posts { id title${d > 2 && random.chance(0.6) ? ` author { ${author(d - 2)} }` : ""} }`);
    if (d > 1 && random.chance(0.6)) fields.push(`followers { ${author(d - 1)} }`);
    return fields.join(" ");
  };
  const top = random.chance(0.75) ? `authors(ids: [${ids.join(", ")}]) { ${author(depth)} }` : `author(id: ${ids[0]}) { ${author(depth)} }`;
  return `{ ${top}${random.chance(0.3) ? ` again: authors(ids: [${ids.slice(0, 2).join(", ")}]) { name ${depth > 1 ? "followers { name email }" : ""} }` : ""} }`;
}

interface Served {
  data: unknown;
  errorPaths: string[];
  calls: number[][];
  /** Bursts (between two simulation events) in which a loading resolver ran, per backend function: the most batches a tick-based loader may send. */
  bursts: number;
  threw?: string;
}

/** The reference: every resolver calls the backend for its own keys (N+1 on purpose, but right). */
const referenceResolvers = (backend: BlogBackend) => {
  const one = async <V>(call: Promise<readonly (V | Error)[]>) => {
    const [v] = await call;
    if (v instanceof Error) throw v;
    return v;
  };
  return {
    Query: { author: (_: unknown, a: { id: number }) => one(backend.authors([a.id])), authors: (_: unknown, a: { ids: number[] }) => a.ids.map((id) => one(backend.authors([id]))) },
    Author: { posts: (p: AuthorRecord) => one(backend.postsOf([p.id])), followers: (p: AuthorRecord) => p.followerIds.map((id) => one(backend.authors([id]))) },
    Post: { author: (p: PostRecord) => one(backend.authors([p.authorId])) },
  } as Record<string, Record<string, unknown>>;
};

interface Server {
  readonly sim: Simulation;
  readonly data: BlogData;
  serve(viewer: number, query: string): Promise<Served>;
}

/** The backend's answer for one id, from the data and the failing keys. */
function answerOf(data: BlogData, failing: { authors: Set<number>; posts: Set<number> }, path: string, viewer: number, id: number): unknown {
  if (path === "/authors") {
    const a = data.authors.get(id);
    if (!a) return { error: `no author ${id}` };
    if (failing.authors.has(id)) return { error: `author ${id}: the backend's shard is down` };
    return { id, name: a.name, email: viewer === id ? a.email : null, followerIds: a.followerIds };
  }
  return failing.posts.has(id) ? { error: `posts of ${id}: the backend timed out` } : (data.posts.get(id) ?? []);
}
const toValue = (v: unknown) => (typeof v === "object" && v !== null && "error" in v ? new Error((v as { error: string }).error) : v);

/** The unbatched reference, without the network: every resolver asks for its own key. */
async function referenceAnswer(data: BlogData, failing: { authors: Set<number>; posts: Set<number> }, viewer: number, document: DocumentNode): Promise<Served> {
  const backend: BlogBackend = {
    authors: async (ids) => ids.map((id) => toValue(answerOf(data, failing, "/authors", viewer, id))) as (AuthorRecord | Error)[],
    postsOf: async (ids) => ids.map((id) => toValue(answerOf(data, failing, "/posts", viewer, id))) as (PostRecord[] | Error)[],
  };
  const resolvers = referenceResolvers(backend);
  const fieldResolver: GraphQLFieldResolver<unknown, unknown> = (parent, args, ctx, info) => {
    const r = resolvers[info.parentType.name]?.[info.fieldName];
    if (typeof r === "function") return (r as (p: unknown, a: unknown, c: unknown) => unknown)(parent, args, ctx);
    return (parent as Record<string, unknown> | undefined)?.[info.fieldName];
  };
  const result = await execute({ schema, document, fieldResolver });
  return { data: result.data ?? null, errorPaths: (result.errors ?? []).map((e) => (e.path ?? []).join(".")).sort(), calls: [], bursts: 0 };
}

function startServer(solution: GraphQLBatchBuild, seed: number, failing: { authors: Set<number>; posts: Set<number> }): Server {
  const sim = new Simulation({ seed, traceLimit: 4_000 });
  // A fixed latency: the yardstick runs see the same timing, so their bursts split the same way.
  sim.network.setDefaults({ latency: 2 });
  const data = blogData(seed);
  sim.service("backend", async (req) => {
    const { viewer, ids } = req.body as { viewer: number; ids: number[] };
    return ids.map((id) => answerOf(data, failing, req.path, viewer, id));
  });
  const api: SimNode = sim.service("api", async (req) => {
    const { viewer, query } = req.body as { viewer: number; query: string };
    const calls: number[][] = [];
    const call = async (path: string, ids: readonly number[]) => {
      calls.push([...ids]);
      const res = await api.call("backend", request("POST", path, { headers: { "x-viewer": String(viewer) }, body: { viewer, ids: [...ids] } }), { timeoutMs: 10_000 });
      return (res.body as unknown[]).map(toValue);
    };
    const backend: BlogBackend = {
      authors: (ids) => call("/authors", ids) as Promise<(AuthorRecord | Error)[]>,
      postsOf: (ids) => call("/posts", ids) as Promise<(PostRecord[] | Error)[]>,
    };
    const document: DocumentNode = parse(query);
    const problems = validate(schema, document);
    if (problems.length > 0) throw new Error(`the checker's query did not validate: ${problems[0]!.message}`);
    const blogRequest: BlogRequest = { viewer, backend, tick: (fn) => void sim.wakeAt(sim.now, fn) };
    const resolvers = solution.resolvers as unknown as Record<string, Record<string, unknown>>;
    const contextValue = solution.context(blogRequest);
    const bursts = new Set<string>();
    const fieldResolver: GraphQLFieldResolver<unknown, unknown> = (parent, args, ctx, info) => {
      if (LOADING.has(info.fieldName)) bursts.add(`${info.fieldName === "posts" ? "postsOf" : "authors"}@${sim.eventsFired}`);
      const r = resolvers[info.parentType.name]?.[info.fieldName];
      if (typeof r === "function") return (r as (p: unknown, a: unknown, c: unknown) => unknown)(parent, args, ctx);
      return (parent as Record<string, unknown> | undefined)?.[info.fieldName];
    };
    const result = await execute({ schema, document, contextValue, fieldResolver });
    return { data: result.data ?? null, errorPaths: (result.errors ?? []).map((e) => (e.path ?? []).join(".")).sort(), calls, bursts: bursts.size };
  });
  return {
    sim,
    data,
    async serve(viewer, query) {
      const client = `viewer-${viewer}`;
      const node = sim.hasNode(client) ? sim.node(client) : sim.client(client);
      const res = await node.call("api", request("POST", "/graphql", { body: { viewer, query } }), { timeoutMs: 60_000 });
      if (res.status !== 200) return { data: null, errorPaths: [], calls: [], bursts: 0, threw: JSON.stringify(res.body) };
      return res.body as Served;
    },
  };
}

/** Compares one served answer with the reference's; returns the broken invariant's sentence. */
function judgeAnswer(got: Served, want: Served, viewer: number, query: string, fields: number): string | undefined {
  const q = query.length > 90 ? `${query.slice(0, 89)}…` : query;
  if (got.threw) return `the request from viewer ${viewer} failed: ${got.threw}`;
  const gotData = JSON.stringify(got.data);
  const wantData = JSON.stringify(want.data);
  const leak = /"email":"author(\d+)@example\.com"/g;
  for (const m of gotData.matchAll(leak)) {
    if (Number(m[1]) !== viewer) return `viewer ${viewer}'s answer contains author ${m[1]}'s private email: a loader (or its cache) was shared between requests`;
  }
  if (gotData !== wantData) return `viewer ${viewer}'s answer to ${q} differs from the unbatched reference: got ${gotData.slice(0, 120)}…, want ${wantData.slice(0, 120)}…`;
  if (got.errorPaths.join() !== want.errorPaths.join()) return `viewer ${viewer}'s answer to ${q} has errors at [${got.errorPaths.join(", ")}], the reference at [${want.errorPaths.join(", ")}]: a failing key must error its own field only`;
  for (const keys of got.calls) if (new Set(keys).size !== keys.length) return `a backend call for ${q} asked for ${JSON.stringify(keys)}: each key once per batch`;
  if (got.calls.length > got.bursts) return `viewer ${viewer}'s request made ${got.calls.length} backend calls for ${q} (${fields} loading fields), but its resolvers asked in only ${got.bursts} bursts: one batch per loader and tick, however long the lists`;
  return undefined;
}

/** One run of the query stages on one case (exported for the bench's baseline, not from the index). */
export async function judgeQueries(solution: GraphQLBatchBuild, c: CheckCase): Promise<CaseOutcome> {
  const failing = { authors: new Set<number>(), posts: new Set<number>() };
  for (const f of c.faults) if (f.kind === "fail-author") failing.authors.add(Number(f.target));
  for (const f of c.faults) if (f.kind === "fail-posts") failing.posts.add(Number(f.target));
  const server = startServer(solution, c.seed, failing);
  const random = new Random(c.seed);
  const concurrent = c.faults.some((f) => f.kind === "two-users");
  const broken = await server.sim.run(async () => {
    for (let i = 0; i < c.size; i++) {
      const ids = [...new Set(Array.from({ length: random.int(1, 5) }, () => random.int(1, 13)))];
      const query = queryFor(random, random.int(1, 4), ids);
      const document = parse(query);
      const fields = loadingFields((document.definitions[0] as { selectionSet: SelectionSetNode }).selectionSet);
      // One signed-in user per case in stage 2; in stage 3 two at once, both among the authors asked for.
      const viewers = concurrent ? [ids[0]!, ids[1] ?? ((ids[0]! % 12) + 1)] : [1 + (c.seed % 12)];
      const answers = await Promise.all(viewers.map((v) => server.serve(v, query)));
      for (const [j, v] of viewers.entries()) {
        const want = await referenceAnswer(server.data, failing, v, document);
        const why = judgeAnswer(answers[j]!, want, v, query, fields);
        if (why) return why;
      }
    }
    return undefined;
  });
  return broken ? { ok: false, invariant: broken, sim: server.sim, at: server.sim.now } : { ok: true, sim: server.sim };
}

const failAuthor = (id: number): FaultSpec => ({ kind: "fail-author", label: `the backend fails author ${id}`, target: String(id) });
const failPosts = (id: number): FaultSpec => ({ kind: "fail-posts", label: `the backend fails the posts of author ${id}`, target: String(id) });
const twoUsers: FaultSpec = { kind: "two-users", label: "two users send each query at once" };

export const graphqlBuild = defineBuildChallenge<GraphQLBatchBuild>({
  id: "graphql",
  title: "Build GraphQL resolvers on your own batching loader",
  statement: [
    "Write a batching loader like DataLoader, and the resolvers of a small blog schema that use it. The lab runs your resolvers with the real `graphql` package on node `api`; every backend call is a round trip to node `backend`.",
    "- **createLoader(batch, tick)** returns `{ load(key) }`. The `load` calls made before the tick fires go to `batch` as **one call**, each key **once**; `batch` answers in the same order, and an `Error` in a slot rejects that key's `load` only. Send nothing before the tick: `tick(fn)` runs `fn` once the current burst of resolvers has asked.",
    "- **context(req)** runs once per request: make that request's loaders here, over `req.backend` (bound to the request's viewer). A loader, or its cache, shared between requests would hand one user's answers to another.",
    "- **resolvers**: `Query.author(id)`, `Query.authors(ids)` (a list with a null where an author fails), `Author.posts`, `Author.followers` (from `followerIds`) and `Post.author`. Scalar fields come from the records.",
    "```graphql\n" + BLOG_SCHEMA.trim() + "\n```",
    "```ts\ninterface GraphQLBatchBuild {\n  createLoader<K, V>(batch: (keys: readonly K[]) => Promise<readonly (V | Error)[]>, tick: (fn: () => void) => void): { load(key: K): Promise<V> };\n  context(req: BlogRequest): unknown;   // { viewer, backend: { authors(ids), postsOf(authorIds) }, tick }\n  resolvers: BlogResolvers;              // (parent, args, ctx) => value | Promise\n}\n```",
    "The checker first drives your loader alone with fast-check schedules (repeated keys, failing keys, several ticks). Then it sends generated nested queries (authors, their posts and followers, those posts' authors…) and compares each answer with an unbatched reference: the same data, errors at the same paths, each key once per backend call, and **at most one backend call per loader and burst**: a burst is the resolvers that run between two events of the simulation, so a level of the query whose parents arrived together is one burst, however long its lists (the sentence also counts the query's loading fields `author`, `authors`, `posts`, `followers`). Last, two signed-in users send each query at once while some keys fail: neither may see the other's `email`.",
  ].join("\n\n"),
  validate(solution) {
    const where = `challenges["graphql"].check`;
    if (typeof solution?.createLoader !== "function") throw new ConfigError(where, "createLoader", solution?.createLoader, "a function (batch, tick) => { load(key) }");
    if (typeof solution?.context !== "function") throw new ConfigError(where, "context", solution?.context, "a function (req) => your per-request context");
    for (const [type, fields] of [["Query", ["author", "authors"]], ["Author", ["posts", "followers"]], ["Post", ["author"]]] as const) {
      for (const field of fields) {
        const r = (solution.resolvers as unknown as Record<string, Record<string, unknown>> | undefined)?.[type]?.[field];
        if (typeof r !== "function") throw new ConfigError(where, `resolvers.${type}.${field}`, r, "a resolver function (parent, args, ctx) => value");
      }
    }
  },
  stages: [
    {
      name: "batches like DataLoader",
      goal: `fast-check schedules (${LOADER_RUNS}): one batch per tick, each key once, answers by position, an error fails its own key`,
      property: loaderProperty,
    },
    {
      name: "no N+1",
      goal: "generated nested queries answer like the unbatched reference, with one backend call per loader and burst of resolvers",
      cases: seededCases(20, 1, () => ({ faults: [], size: 3 })),
      minSize: 1,
      run: judgeQueries,
    },
    {
      name: "per request, failures local",
      goal: "two users at once while keys fail: no private field crosses requests, a failing key errors only its own field",
      cases: seededCases(20, 100, (i) => {
        const faults: FaultSpec[] = [twoUsers];
        if (i % 2 === 0) faults.push(failAuthor(1 + (i % 12)));
        if (i % 3 !== 2) faults.push(failPosts(1 + ((i * 5) % 12)));
        return { faults, size: 3 };
      }),
      minSize: 1,
      run: judgeQueries,
    },
  ],
  hints: {
    nudge: "Run the check with the starter and read the schedule it prints: which loads happened in which tick, and how many batch calls they made. DataLoader's README describes the behaviour the first stage asks for.",
    approach: "A loader keeps a queue of waiting keys, each with the resolve and reject of its promise. The first load of a tick asks `tick` to flush the queue later; the flush sends the distinct keys to the batch function once and hands each slot of the answer back to the keys that asked for it. The resolvers then only call `load` on loaders they find in their context.",
    keyIdea: "What makes a loader safe is its lifetime: one per request, created in `context`, so its queue and any cache die with the request and the backend it calls is the one bound to that request's viewer. An Error in a slot is a value to reject one promise with, not a reason to fail the whole batch.",
  },
});
