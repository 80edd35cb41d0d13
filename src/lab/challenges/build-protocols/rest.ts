/**
 * Build challenge "rest": the learner writes the request handler of one REST resource (notes)
 * with the status codes and headers RFC 9110 gives: strong ETags and `If-None-Match` → 304,
 * `POST` → 201 + `Location`, 405 + `Allow`, 415, 400 / 422, and conditional `PUT` with
 * `If-Match` → 412 on a stale ETag (428 without one), so concurrent writers cannot lose each
 * other's updates. The checker hosts the handler on a node `api` and attacks it with scripted
 * and fast-check-generated request sequences, then with concurrent clients racing their PUTs
 * while the store and the network slow down.
 *
 * The handler speaks the lab's HTTP message types (`HttpRequest` → `HttpResponse`, bodies as
 * text); the node answers over the simulation's request/response network, not over counted
 * HTTP/1.1 connections (the REST section's `RestApi` shows those).
 */
import fc from "fast-check";
import { ConfigError, Random, Simulation, request, response, type HttpRequest, type HttpResponse } from "sde-lab";
import { defineBuildChallenge, type CaseOutcome, type CheckCase, type FaultSpec } from "../build";
import { seededCases } from "../seeded-cases";

/** A note as the store keeps it. `version` starts at 1 and grows by one with every write. */
export interface NoteRecord {
  readonly id: number;
  readonly text: string;
  readonly pinned: boolean;
  readonly version: number;
}

/** The fields a client may set. */
export interface NoteFields {
  text: string;
  pinned: boolean;
}

/** The notes database. Every call takes a few ms of virtual time (more when it is slow). */
export interface NoteStore {
  /** The note, or undefined when there is none with that id. */
  get(id: number): Promise<NoteRecord | undefined>;
  /** Stores a new note (version 1) and returns it with its id. */
  create(fields: NoteFields): Promise<NoteRecord>;
  /** Overwrites the note whatever its version is now (last write wins); undefined when there is none. */
  put(id: number, fields: NoteFields): Promise<NoteRecord | undefined>;
  /** Overwrites the note only if its version is still `ifVersion`, in one step; undefined (nothing written) when it changed meanwhile or there is none. */
  replaceIf(id: number, fields: NoteFields, ifVersion: number): Promise<NoteRecord | undefined>;
}

/** Your resource: a handler made once per run around the store. */
export interface RestResourceBuild {
  handler(store: NoteStore): (req: HttpRequest) => Promise<HttpResponse> | HttpResponse;
}

const MAX_TEXT = 280;

/** The store the checker gives the handler; it remembers every text ever written, for the judge. */
class CheckedStore implements NoteStore {
  readonly notes = new Map<number, NoteRecord>();
  /** Every text written (create, put, replaceIf), with the note it went to. */
  readonly written = new Map<string, number>();
  /** Writes per note. */
  readonly writes = new Map<number, number>();
  slowUntil = -1;
  private nextId = 1;

  constructor(
    private readonly sim: Simulation,
    seedNotes: number,
  ) {
    for (let i = 0; i < seedNotes; i++) this.insert({ text: `seed note ${i + 1}`, pinned: i % 2 === 0 });
  }

  private insert(fields: NoteFields): NoteRecord {
    const note: NoteRecord = { id: this.nextId++, text: fields.text, pinned: fields.pinned, version: 1 };
    this.notes.set(note.id, note);
    return note;
  }

  private async delay(): Promise<void> {
    const slow = this.sim.now < this.slowUntil;
    await this.sim.sleep(this.sim.random.int(1, 4) * (slow ? 15 : 1));
  }

  private write(id: number, fields: NoteFields): NoteRecord {
    const before = this.notes.get(id)!;
    const note: NoteRecord = { id, text: String(fields?.text), pinned: fields?.pinned === true, version: before.version + 1 };
    this.notes.set(id, note);
    this.written.set(note.text, id);
    this.writes.set(id, (this.writes.get(id) ?? 0) + 1);
    return note;
  }

  async get(id: number): Promise<NoteRecord | undefined> {
    await this.delay();
    return this.notes.get(Number(id));
  }

  async create(fields: NoteFields): Promise<NoteRecord> {
    await this.delay();
    const note = this.insert({ text: String(fields?.text), pinned: fields?.pinned === true });
    this.written.set(note.text, note.id);
    return note;
  }

  async put(id: number, fields: NoteFields): Promise<NoteRecord | undefined> {
    await this.delay();
    return this.notes.has(Number(id)) ? this.write(Number(id), fields) : undefined;
  }

  async replaceIf(id: number, fields: NoteFields, ifVersion: number): Promise<NoteRecord | undefined> {
    await this.delay();
    const now = this.notes.get(Number(id));
    return now && now.version === ifVersion ? this.write(now.id, fields) : undefined;
  }
}

/** The representation a GET must return: exactly these fields. */
const repOf = (n: NoteRecord) => JSON.stringify({ id: n.id, text: n.text, pinned: n.pinned });
const STRONG_ETAG = /^"[\x21\x23-\x7e\x80-\xff]*"$/;

// ---- requests the checker sends ------------------------------------------------------------

type PostDefect = "ct-text" | "ct-none" | "ct-form" | "malformed" | "no-text" | "empty-text" | "long-text" | "bad-pinned" | "array";
type Inm = "none" | "known" | "weak-known" | "list-known" | "bogus";
type IfMatch = "known" | "none" | "weak-known" | "bogus";

/** One request of a sequence, in terms of the client's knowledge (which note, which ETag form). */
type Op =
  | { readonly kind: "get"; readonly note: number; readonly inm: Inm }
  | { readonly kind: "get-missing" }
  | { readonly kind: "post"; readonly defect?: PostDefect; readonly pinned: boolean }
  | { readonly kind: "put"; readonly note: number; readonly ifMatch: IfMatch; readonly defect?: PostDefect }
  | { readonly kind: "put-missing" }
  | { readonly kind: "method"; readonly target: "item" | "collection"; readonly method: string };

const DEFECTS: readonly PostDefect[] = ["ct-text", "ct-none", "ct-form", "malformed", "no-text", "empty-text", "long-text", "bad-pinned", "array"];
const STATUS_OF_DEFECT: Record<PostDefect, number> = { "ct-text": 415, "ct-none": 415, "ct-form": 415, malformed: 400, "no-text": 422, "empty-text": 422, "long-text": 422, "bad-pinned": 422, array: 422 };
const DEFECT_WORDS: Record<PostDefect, string> = {
  "ct-text": "a body sent as text/plain",
  "ct-none": "a body without a Content-Type",
  "ct-form": "a body sent as application/x-www-form-urlencoded",
  malformed: "a body that is not valid JSON",
  "no-text": "JSON without `text`",
  "empty-text": 'JSON with `text: ""`',
  "long-text": `JSON with a text of ${MAX_TEXT + 20} characters`,
  "bad-pinned": 'JSON with `pinned: "yes"`',
  array: "a JSON array instead of an object",
};

function bodyFor(defect: PostDefect | undefined, text: string, pinned: boolean): { headers: Record<string, string>; body: string } {
  const json = { "content-type": "application/json; charset=utf-8" };
  switch (defect) {
    case undefined:
      return { headers: json, body: JSON.stringify({ text, pinned }) };
    case "ct-text":
      return { headers: { "content-type": "text/plain" }, body: text };
    case "ct-none":
      return { headers: {}, body: JSON.stringify({ text, pinned }) };
    case "ct-form":
      return { headers: { "content-type": "application/x-www-form-urlencoded" }, body: `text=${encodeURIComponent(text)}` };
    case "malformed":
      return { headers: json, body: `{"text": "${text}"` };
    case "no-text":
      return { headers: json, body: JSON.stringify({ pinned }) };
    case "empty-text":
      return { headers: json, body: JSON.stringify({ text: "", pinned }) };
    case "long-text":
      return { headers: json, body: JSON.stringify({ text: "x".repeat(MAX_TEXT + 20), pinned }) };
    case "bad-pinned":
      return { headers: json, body: JSON.stringify({ text, pinned: "yes" }) };
    case "array":
      return { headers: json, body: JSON.stringify([text]) };
  }
}

/** What a client knows: its notes and the last ETag it saw for each, with the version it belonged to. */
interface ClientState {
  readonly name: string;
  readonly notes: number[];
  readonly known: Map<number, { etag: string; version: number }>;
  counter: number;
}

/** ETags seen per note: etag → representation, and representation → etag (strong validators). */
class EtagLedger {
  private readonly byEtag = new Map<string, string>();
  private readonly byRep = new Map<string, string>();
  record(id: number, etag: string, rep: string): string | undefined {
    const key = `${id} ${etag}`;
    const had = this.byEtag.get(key);
    if (had !== undefined && had !== rep) return `note ${id} had ETag ${etag} for two different representations (${had} and ${rep}): a strong ETag must change when the representation does`;
    const tagged = this.byRep.get(rep);
    if (tagged !== undefined && tagged !== etag) return `note ${id}'s unchanged representation ${rep} came with ETag ${tagged}, then ${etag}: an ETag that changes without a write makes every revalidation miss`;
    this.byEtag.set(key, rep);
    this.byRep.set(rep, etag);
    return undefined;
  }
}

interface Run {
  readonly sim: Simulation;
  readonly store: CheckedStore;
  readonly ledger: EtagLedger;
  send(client: string, req: { method: string; path: string; headers?: Record<string, string>; body?: string }): Promise<HttpResponse>;
}

function setUp(solution: RestResourceBuild, seed: number, seedNotes: number): Run {
  const sim = new Simulation({ seed, traceLimit: 4_000 });
  sim.network.setDefaults({ latency: { kind: "uniform", min: 1, max: 3 } });
  const store = new CheckedStore(sim, seedNotes);
  const handler = solution.handler(store);
  if (typeof handler !== "function") throw new ConfigError("rest handler(store)", "returned value", handler, "a function (req: HttpRequest) => HttpResponse or a Promise of one");
  sim.service("api", async (req) => {
    const httpReq: HttpRequest = { method: req.method, path: req.path, headers: { ...req.headers }, ...(typeof req.body === "string" ? { body: req.body } : {}) };
    const res = await handler(httpReq);
    if (typeof res !== "object" || res === null || typeof res.status !== "number") return response(500, `the handler returned ${JSON.stringify(res)}, not an HttpResponse`);
    return response(res.status, res.body, res.headers ?? {});
  });
  return {
    sim,
    store,
    ledger: new EtagLedger(),
    async send(client, r) {
      const node = sim.hasNode(client) ? sim.node(client) : sim.client(client);
      const res = await node.call("api", request(r.method, r.path, { headers: r.headers ?? {}, ...(r.body !== undefined ? { body: r.body } : {}) }), { timeoutMs: 60_000 });
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers ?? {})) headers[k.toLowerCase()] = String(v);
      return { status: res.status, headers, ...(res.body !== undefined && res.body !== null && res.body !== "" ? { body: typeof res.body === "string" ? res.body : JSON.stringify(res.body) } : {}) };
    },
  };
}

const allowSet = (v: string | undefined) => new Set((v ?? "").split(",").map((m) => m.trim().toUpperCase()).filter(Boolean));
const sameSet = (a: Set<string>, b: readonly string[]) => b.every((m) => a.has(m)) && [...a].every((m) => b.includes(m) || m === "HEAD" || m === "OPTIONS");

/** Runs one op for one client, judges the answer; returns the broken invariant's sentence, if any. */
async function step(run: Run, c: ClientState, op: Op): Promise<string | undefined> {
  const { store, ledger } = run;
  const uniq = () => `${c.name} text ${++c.counter}`;
  const noteOf = (i: number) => c.notes[i % Math.max(1, c.notes.length)];
  switch (op.kind) {
    case "method": {
      const path = op.target === "item" ? `/notes/${noteOf(0) ?? 1}` : "/notes";
      const res = await run.send(c.name, { method: op.method, path });
      const allowed = op.target === "item" ? ["GET", "PUT"] : ["POST"];
      const what = `${op.method} ${path}`;
      if (res.status !== 405) return `${what} should get 405 Method Not Allowed but got ${res.status}`;
      if (!sameSet(allowSet(res.headers.allow), allowed)) return `${what} got 405 with Allow: ${JSON.stringify(res.headers.allow ?? null)}, but RFC 9110 §15.5.6 wants the methods the resource supports: ${allowed.join(", ")}`;
      return undefined;
    }
    case "get-missing": {
      const res = await run.send(c.name, { method: "GET", path: "/notes/9999" });
      return res.status === 404 ? undefined : `GET /notes/9999 (no such note) should get 404 but got ${res.status}`;
    }
    case "post": {
      const text = uniq();
      const { headers, body } = bodyFor(op.defect, text, op.pinned);
      const res = await run.send(c.name, { method: "POST", path: "/notes", headers, body });
      if (op.defect) {
        const want = STATUS_OF_DEFECT[op.defect];
        if (res.status !== want) return `POST /notes with ${DEFECT_WORDS[op.defect]} should get ${want} but got ${res.status}`;
        if (store.written.has(text)) return `POST /notes with ${DEFECT_WORDS[op.defect]} got ${res.status} but the note was stored anyway`;
        return undefined;
      }
      if (res.status !== 201) return `POST /notes with a valid JSON note should get 201 Created but got ${res.status}`;
      const id = store.written.get(text);
      if (id === undefined) return `POST /notes answered 201 but never stored the note`;
      if (res.headers.location !== `/notes/${id}`) return `POST /notes created note ${id} but its Location header is ${JSON.stringify(res.headers.location ?? null)}, not "/notes/${id}"`;
      c.notes.push(id);
      return undefined;
    }
    case "get": {
      const id = noteOf(op.note)!;
      const known = c.known.get(id);
      const current = store.notes.get(id)!;
      const headers: Record<string, string> = {};
      const inm = known ? op.inm : "none";
      if (inm === "known") headers["if-none-match"] = known!.etag;
      if (inm === "weak-known") headers["if-none-match"] = `W/${known!.etag}`;
      if (inm === "list-known") headers["if-none-match"] = `"not-this-one", ${known!.etag}`;
      if (inm === "bogus") headers["if-none-match"] = '"bogus"';
      const res = await run.send(c.name, { method: "GET", path: `/notes/${id}`, headers });
      const after = store.notes.get(id)!;
      const what = `GET /notes/${id}${headers["if-none-match"] ? ` with If-None-Match: ${headers["if-none-match"]}` : ""}`;
      const fresh = known !== undefined && known.version === after.version && known.version === current.version;
      if (inm !== "none" && inm !== "bogus" && fresh) {
        if (res.status !== 304) return `${what} should get 304 Not Modified (the note has not changed since that ETag${inm === "weak-known" ? "; If-None-Match uses the weak comparison, RFC 9110 §13.1.2" : inm === "list-known" ? "; the list contains it" : ""}) but got ${res.status}`;
        if (res.body !== undefined) return `${what} got 304 with a body of ${res.body.length} characters: a 304 has no content (RFC 9110 §15.4.5)`;
        if (res.headers.etag !== known!.etag) return `${what} got 304 with ETag ${JSON.stringify(res.headers.etag ?? null)}: a 304 must carry the ETag a 200 would (${known!.etag})`;
        return undefined;
      }
      if (res.status !== 200) return `${what} should get 200 (${inm === "none" ? "no condition" : inm === "bogus" ? "no tag matches" : "the note changed since that ETag"}) but got ${res.status}`;
      const etag = res.headers.etag;
      if (etag === undefined || !STRONG_ETAG.test(etag)) return `${what} got 200 with ETag ${JSON.stringify(etag ?? null)}: it needs a strong ETag, a quoted string without W/ (RFC 9110 §8.8.3)`;
      if (!/^application\/json/i.test(res.headers["content-type"] ?? "")) return `${what} got 200 with Content-Type ${JSON.stringify(res.headers["content-type"] ?? null)}, not application/json`;
      let got: unknown;
      try {
        got = JSON.parse(res.body ?? "");
      } catch {
        return `${what} got 200 whose body is not JSON: ${JSON.stringify((res.body ?? "").slice(0, 60))}`;
      }
      const g = got as Record<string, unknown>;
      const rep = JSON.stringify({ id: g?.id, text: g?.text, pinned: g?.pinned });
      if (current.version === after.version && rep !== repOf(after)) return `${what} returned ${rep} but the note is ${repOf(after)}`;
      const broken = ledger.record(id, etag, rep);
      if (broken) return broken;
      c.known.set(id, { etag, version: after.version });
      return undefined;
    }
    case "put-missing": {
      const text = uniq();
      const res = await run.send(c.name, { method: "PUT", path: "/notes/9999", headers: { "if-match": '"1"', ...bodyFor(undefined, text, false).headers }, body: bodyFor(undefined, text, false).body });
      if (res.status !== 404 && res.status !== 412) return `PUT /notes/9999 (no such note) should get 404 but got ${res.status}`;
      return store.written.has(text) ? `PUT /notes/9999 got ${res.status} but something was written` : undefined;
    }
    case "put": {
      const id = noteOf(op.note)!;
      if (op.defect && c.known.get(id)?.version !== store.notes.get(id)!.version) {
        // A defective body is judged with a current If-Match, so only the body is wrong: refresh first.
        const refreshed = await step(run, c, { kind: "get", note: op.note, inm: "none" });
        if (refreshed) return refreshed;
      }
      const known = c.known.get(id);
      const ifMatch = known ? op.ifMatch : op.ifMatch === "none" ? "none" : "bogus";
      const text = uniq();
      const { headers, body } = bodyFor(op.defect, text, c.counter % 2 === 0);
      if (ifMatch === "known") headers["if-match"] = known!.etag;
      if (ifMatch === "weak-known") headers["if-match"] = `W/${known!.etag}`;
      if (ifMatch === "bogus") headers["if-match"] = '"bogus"';
      const before = store.notes.get(id)!;
      const res = await run.send(c.name, { method: "PUT", path: `/notes/${id}`, headers, body });
      const what = `PUT /notes/${id}${headers["if-match"] ? ` with If-Match: ${headers["if-match"]}` : " without If-Match"}${op.defect ? ` and ${DEFECT_WORDS[op.defect]}` : ""}`;
      const wrote = store.written.has(text);
      if (ifMatch === "none") {
        if (res.status !== 428) return `${what} should get 428 Precondition Required (a PUT must be conditional, RFC 6585 §3, or it can overwrite a change it never saw) but got ${res.status}`;
      } else if (ifMatch !== "known" || known!.version !== before.version) {
        const why = ifMatch === "weak-known" ? "If-Match uses the strong comparison, and a weak tag never matches (RFC 9110 §13.1.1)" : ifMatch === "bogus" ? "no tag matches" : `the note changed (version ${known!.version} → ${before.version}) since that ETag`;
        if (res.status !== 412) return `${what} should get 412 Precondition Failed (${why}) but got ${res.status}`;
      } else if (op.defect) {
        const want = STATUS_OF_DEFECT[op.defect];
        if (res.status !== want) return `${what} should get ${want} but got ${res.status}`;
      } else {
        if (res.status !== 200 && res.status !== 204) return `${what} should succeed (200 or 204: the ETag is current) but got ${res.status}`;
        if (!wrote) return `${what} answered ${res.status} but the note was never written`;
        const now = store.notes.get(id)!;
        if (res.headers.etag !== undefined) {
          if (!STRONG_ETAG.test(res.headers.etag)) return `${what} answered with ETag ${res.headers.etag}: it must be strong (a quoted string without W/)`;
          const broken = ledger.record(id, res.headers.etag, repOf(now));
          if (broken) return broken;
          if (now.text === text) c.known.set(id, { etag: res.headers.etag, version: now.version });
        }
        return undefined;
      }
      return wrote ? `${what} got ${res.status} but the note was written anyway` : undefined;
    }
  }
}

// ---- stage 1: a scripted sequence per seed, every kind of request --------------------------

const KINDS = ["get", "get-known", "post", "post-bad", "put", "get-known", "method-item", "put-stale", "get-weak", "post-bad", "put-none", "get-missing", "method-collection", "put-defect", "get-list", "put-missing"] as const;

function opFor(kind: (typeof KINDS)[number], random: Random): Op {
  const note = random.int(0, 7);
  switch (kind) {
    case "get":
      return { kind: "get", note, inm: "none" };
    case "get-known":
      return { kind: "get", note, inm: "known" };
    case "get-weak":
      return { kind: "get", note, inm: "weak-known" };
    case "get-list":
      return { kind: "get", note, inm: "list-known" };
    case "get-missing":
      return { kind: "get-missing" };
    case "post":
      return { kind: "post", pinned: random.chance(0.5) };
    case "post-bad":
      return { kind: "post", defect: DEFECTS[random.int(0, DEFECTS.length - 1)]!, pinned: false };
    case "put":
      return { kind: "put", note, ifMatch: "known" };
    case "put-stale":
      return { kind: "put", note, ifMatch: random.chance(0.5) ? "bogus" : "weak-known" };
    case "put-none":
      return { kind: "put", note, ifMatch: "none" };
    case "put-defect":
      return { kind: "put", note, ifMatch: "known", defect: DEFECTS[random.int(0, DEFECTS.length - 1)]! };
    case "put-missing":
      return { kind: "put-missing" };
    case "method-item":
      return { kind: "method", target: "item", method: random.chance(0.5) ? "DELETE" : "PATCH" };
    case "method-collection":
      return { kind: "method", target: "collection", method: ["GET", "PUT", "DELETE"][random.int(0, 2)]! };
  }
}

async function runSequence(solution: RestResourceBuild, seed: number, ops: readonly Op[]): Promise<{ invariant?: string; sim: Simulation; at?: number }> {
  const run = setUp(solution, seed, 3);
  const c: ClientState = { name: "client", notes: [1, 2, 3], known: new Map(), counter: 0 };
  const invariant = await run.sim.run(async () => {
    for (const op of ops) {
      const broken = await step(run, c, op);
      if (broken) return broken;
    }
    return undefined;
  });
  return { ...(invariant ? { invariant, at: run.sim.now } : {}), sim: run.sim };
}

/** One run of stage 1 on one case (exported for the bench's baseline, not from the index). */
export async function judgeScripted(solution: RestResourceBuild, c: CheckCase): Promise<CaseOutcome> {
  const random = new Random(c.seed);
  const ops = Array.from({ length: c.size }, (_, i) => opFor(KINDS[i % KINDS.length]!, random));
  const r = await runSequence(solution, c.seed, ops);
  return r.invariant ? { ok: false, invariant: r.invariant, sim: r.sim, ...(r.at !== undefined ? { at: r.at } : {}) } : { ok: true, sim: r.sim };
}

// ---- stage 2: fast-check sequences ---------------------------------------------------------

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("get" as const), note: fc.nat(7), inm: fc.constantFrom<Inm>("none", "known", "weak-known", "list-known", "bogus") }) },
  { weight: 1, arbitrary: fc.constant({ kind: "get-missing" as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("post" as const), pinned: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("post" as const), pinned: fc.boolean(), defect: fc.constantFrom(...DEFECTS) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("put" as const), note: fc.nat(7), ifMatch: fc.constantFrom<IfMatch>("known", "known", "none", "weak-known", "bogus") }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("put" as const), note: fc.nat(7), ifMatch: fc.constant("known" as const), defect: fc.constantFrom(...DEFECTS) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "put-missing" as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("method" as const), target: fc.constantFrom("item" as const, "collection" as const), method: fc.constantFrom("DELETE", "PATCH", "TRACE") }) },
);

function describeOp(op: Op): string {
  switch (op.kind) {
    case "get":
      return `GET note #${op.note} (If-None-Match: ${op.inm})`;
    case "get-missing":
      return "GET a missing note";
    case "post":
      return `POST ${op.defect ? DEFECT_WORDS[op.defect] : "a valid note"}`;
    case "put":
      return `PUT note #${op.note} (If-Match: ${op.ifMatch})${op.defect ? ` with ${DEFECT_WORDS[op.defect]}` : ""}`;
    case "put-missing":
      return "PUT a missing note";
    case "method":
      return `${op.method} on the ${op.target}`;
  }
}

/** Runs of the fast-check stage (each a fresh simulation and sequence). */
const PROPERTY_RUNS = 60;

async function sequenceProperty(solution: RestResourceBuild) {
  const test = async (ops: Op[]) => (await runSequence(solution, 7, ops)).invariant;
  const details = await fc.check(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 20 }), async (ops) => (await test(ops)) === undefined),
    { seed: 20, numRuns: PROPERTY_RUNS },
  );
  if (!details.failed) return { ok: true, runs: details.numRuns };
  const shrunk = details.counterexample?.[0] as Op[] | undefined;
  let why: string | undefined;
  try {
    why = shrunk ? await test(shrunk) : undefined;
  } catch (e) {
    why = `the solution threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  }
  return { ok: false, runs: details.numRuns, invariant: why ?? `the solution threw ${String(details.errorInstance)}`, counterexample: shrunk ? shrunk.map(describeOp).join("; ") : undefined };
}

// ---- stage 3: concurrent clients racing their PUTs -----------------------------------------

async function judgeConcurrent(solution: RestResourceBuild, c: CheckCase): Promise<CaseOutcome> {
  const run = setUp(solution, c.seed, 3);
  const { sim, store } = run;
  for (let i = 1; i <= 3; i++) sim.client(`client-${i}`);
  for (const f of c.faults) {
    if (f.kind === "slow-store") sim.at(f.at ?? 0, () => (store.slowUntil = (f.at ?? 0) + Number(f.params?.forMs ?? 300)));
    if (f.kind === "latency") sim.faults.latency(f.target!, "api", { kind: "uniform", min: 20, max: 80 }, { at: f.at ?? 0 });
  }
  const racers = c.faults.filter((f) => f.kind === "race");
  const random = new Random(c.seed * 31 + 7);
  let broken: string | undefined;
  let brokeAt: number | undefined;
  const fail = (s: string | undefined) => {
    if (s && !broken) {
      broken = s;
      brokeAt = sim.now;
    }
  };
  await sim.run(async () => {
    // Background clients, each on notes it created itself: their answers are exact.
    const background = Array.from({ length: 3 }, async (_, i) => {
      const cl: ClientState = { name: `client-${i + 1}`, notes: [], known: new Map(), counter: 0 };
      fail(await step(run, cl, { kind: "post", pinned: false }));
      for (let k = 0; k < c.size && !broken; k++) fail(await step(run, cl, opFor(KINDS[random.int(0, KINDS.length - 1)]!, random)));
    });
    // Racers: k writers read note 1, then all PUT with the same If-Match at once.
    // Each race has a seed note of its own, so one race's winner never makes the next one stale.
    const races = racers.map(async (f, r) => {
      await sim.sleep(f.at ?? 0);
      const k = Number(f.params?.writers ?? 3);
      const note = r + 1;
      const path = `/notes/${note}`;
      const writers: ClientState[] = Array.from({ length: k }, (_, j) => ({ name: `writer-${r + 1}-${j + 1}`, notes: [note], known: new Map(), counter: 0 }));
      for (const w of writers) fail(await step(run, w, { kind: "get", note: 0, inm: "none" }));
      const tags = new Set(writers.map((w) => w.known.get(note)?.etag));
      if (tags.size !== 1) return;
      const etag = [...tags][0]!;
      const writesBefore = store.writes.get(note) ?? 0;
      const results = await Promise.all(
        writers.map(async (w) => {
          const text = `${w.name} wins race ${r + 1}`;
          const res = await run.send(w.name, { method: "PUT", path, headers: { "content-type": "application/json", "if-match": etag }, body: JSON.stringify({ text, pinned: false }) });
          return { status: res.status, wrote: store.written.has(text) };
        }),
      );
      const won = results.filter((r) => r.status === 200 || r.status === 204).length;
      const writes = (store.writes.get(note) ?? 0) - writesBefore;
      if (won > 1) fail(`${won} of ${k} concurrent PUTs to ${path} with the same If-Match: ${etag} all succeeded, so ${won - 1} overwrote a version they never saw (a lost update): only one may win, the others get 412`);
      else if (writes > 1) fail(`${writes} of ${k} concurrent PUTs to ${path} with If-Match: ${etag} were written (${won} answered 2xx): the check of the ETag and the write must be one step`);
      else if (results.some((r) => !(r.status === 200 || r.status === 204) && r.wrote)) fail(`a PUT to ${path} was refused but its text was written anyway`);
      else if (won === 0) fail(`none of ${k} concurrent PUTs to ${path} with the current If-Match: ${etag} succeeded (${results.map((r) => r.status).join(", ")}): exactly one should win`);
      else if (results.some((r) => r.status !== 200 && r.status !== 204 && r.status !== 412)) fail(`concurrent PUTs to ${path} with a stale If-Match should get 412 but got ${results.map((r) => r.status).join(", ")}`);
    });
    await Promise.all([...background, ...races]);
  });
  return broken ? { ok: false, invariant: broken, sim, ...(brokeAt !== undefined ? { at: brokeAt } : {}) } : { ok: true, sim };
}

const race = (at: number, writers: number, note: number): FaultSpec => ({ kind: "race", label: `${writers} writers PUT /notes/${note} with the same If-Match at ${at} ms`, at, params: { writers } });
const slowStore = (at: number): FaultSpec => ({ kind: "slow-store", label: `the store is 15× slower from ${at} ms for 300 ms`, at, params: { forMs: 300 } });
const latency = (at: number, target: string): FaultSpec => ({ kind: "latency", label: `${target} ↔ api latency 20–80 ms from ${at} ms`, at, target });

export const restBuild = defineBuildChallenge<RestResourceBuild>({
  id: "rest",
  title: "Build a REST resource: ETags, 304, 201, 405, 415, 422 and conditional PUT",
  statement: [
    "Write the handler of the resource `/notes` (create) and `/notes/{id}` (read, replace). A note's representation is the JSON object `{ id, text, pinned }`. `handler(store)` returns `(req: HttpRequest) => HttpResponse` (header names in lower case, bodies as text); the lab hosts it on node `api`.",
    "- **GET /notes/{id}**: `404` when there is none. Otherwise `200` with the JSON, `content-type: application/json` and a **strong ETag** (a quoted string, no `W/`) that changes whenever the representation does. When `If-None-Match` lists the current ETag (weak comparison: `W/\"x\"` matches `\"x\"`; it may be a comma-separated list): `304` with the ETag and **no body**.",
    `- **POST /notes**: a body that is not \`application/json\` (by its \`content-type\`, parameters allowed): \`415\`. Not valid JSON: \`400\`. Valid JSON but not an object with \`text\` (a string of 1–${MAX_TEXT} characters) and an optional boolean \`pinned\` (default false): \`422\`. Otherwise store it: \`201\` with \`Location: /notes/{id}\`.`,
    "- **PUT /notes/{id}** (same body rules, replaces the note): `404` when there is none; `428` without `If-Match`; `412` when `If-Match` is not the current ETag (strong comparison: a `W/` tag never matches). Otherwise `200` (with the new representation and ETag) or `204`. The check and the write must not let two writers with the same `If-Match` both win.",
    "- Any other method: `405` with an `Allow` header naming what the path supports (`GET, PUT` on a note, `POST` on `/notes`).",
    "```ts\ninterface RestResourceBuild {\n  handler(store: NoteStore): (req: HttpRequest) => Promise<HttpResponse> | HttpResponse;\n}\ninterface NoteStore {\n  get(id: number): Promise<NoteRecord | undefined>;          // { id, text, pinned, version }\n  create(fields: NoteFields): Promise<NoteRecord>;           // { text, pinned }\n  put(id: number, fields: NoteFields): Promise<NoteRecord | undefined>;                      // last write wins\n  replaceIf(id: number, fields: NoteFields, ifVersion: number): Promise<NoteRecord | undefined>; // only if still at ifVersion\n}\n```",
    "Each request has at most one thing wrong with it. The checker plays a scripted sequence of every kind of request, then fast-check-generated sequences (weak and listed ETags included), then three clients at once while groups of writers race conditional PUTs on the same note and the store and network slow down. It judges every status and header, that a 304 has no body, that ETags differ exactly when representations do, and that no update is lost.",
  ].join("\n\n"),
  validate(solution) {
    if (typeof solution?.handler !== "function") throw new ConfigError(`challenges["rest"].check`, "handler", solution?.handler, "a function (store) => (req: HttpRequest) => HttpResponse");
  },
  stages: [
    {
      name: "works",
      goal: "every kind of request, one client: the status codes and headers RFC 9110 gives, 304 without a body",
      cases: seededCases(6, 1, () => ({ faults: [], size: 2 * KINDS.length })),
      minSize: 1,
      run: judgeScripted,
    },
    {
      name: "generated sequences",
      goal: `fast-check sequences (${PROPERTY_RUNS} of up to 20 requests): weak and listed ETags, stale If-Match, every bad body`,
      property: sequenceProperty,
    },
    {
      name: "no lost update",
      goal: "three clients at once while writers race conditional PUTs, the store and network slow down: exactly one writer wins each race",
      cases: seededCases(20, 300, (i) => {
        const faults: FaultSpec[] = [race(20 + 10 * (i % 5), 2 + (i % 3), 1), race(150 + 7 * i, 3, 2)];
        if (i % 2 === 0) faults.push(slowStore(100 + 5 * i));
        if (i % 3 === 0) faults.push(latency(40 * (i % 4), `client-${1 + (i % 3)}`));
        return { faults, size: 10 };
      }),
      minSize: 1,
      run: judgeConcurrent,
    },
  ],
  hints: {
    nudge: "Run the check with the starter and read the sentence: it names the request, the headers it carried and the status RFC 9110 gives it. Work through the statuses in the order a server decides them: does the path support the method, does the note exist, do the preconditions hold, is the body acceptable.",
    approach: "Derive the ETag from something that changes with every write of the note (its version, or a hash of the JSON you send) and wrap it in double quotes. Compare tags after stripping a `W/` prefix for If-None-Match, but never let a `W/` tag pass If-Match. Keep the parsing of a body in one place so POST and PUT give the same 415, 400 and 422.",
    keyIdea: "Between reading the note to compare its ETag and writing it, another request may write it. If the write itself carries the version the client's ETag stood for, the store can refuse it when that version is gone, and the refusal is your 412. A write that does not know which version it replaces is how updates get lost.",
  },
});
