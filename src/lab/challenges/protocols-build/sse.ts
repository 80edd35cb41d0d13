/**
 * Build challenge "sse": the learner writes the `text/event-stream` parser of the WHATWG HTML
 * standard (§9.2.6, "Parsing an event stream") and the EventSource's reconnect loop around it.
 * The parser is pure, so fast-check attacks it against the lab's own {@link EventStreamParser}
 * with random streams cut into random chunks (inside a CRLF, inside a field name, empty
 * chunks); then the client runs against a server that splits its writes anywhere and is cut
 * off by drops, restarts and a connection reset in the middle of an event.
 */
import fc from "fast-check";
import { ConfigError, EventStreamParser, Random, Simulation, TickFeed, networkDrop, type ServerSentEvent } from "sde-lab";
import { defineBuildChallenge, type CaseOutcome, type CheckCase, type FaultSpec } from "../build";
import { seededCases } from "../seeded-cases";
import { fcProperty } from "../data/property";
import { HttpClient, httpRequest, httpServer, emptyResponse, type ResponseStream } from "../../protocols/http1";
import { wireOf } from "../../protocols/transport";

/** One dispatched event, as the browser's MessageEvent carries it. */
export interface SseEvent {
  /** The `event:` field, or `message` when the event had none. */
  readonly type: string;
  readonly data: string;
  /** The last event ID string at dispatch (ids persist until an `id:` line changes them). */
  readonly lastEventId: string;
}

/** Your parser of one EventSource (it lives across reconnects). */
export interface SseParser {
  /** The next piece of the body, split anywhere (even inside a CRLF). */
  push(chunk: string): void;
  /** The stream ended or broke: forget a half-received event (its data, type and any `id:` line in it); a new stream may start with a BOM again. */
  reset(): void;
  /** The id of the last dispatched event: what a reconnect sends as `Last-Event-ID`. */
  readonly lastEventId: string;
}

/** A timer you can cancel. */
export interface SseTimer {
  cancel(): void;
}

/** What the lab gives your client. */
export interface SseClientKit {
  /**
   * Sends `GET /events` with these headers (add `last-event-id` to resume). Resolves when the
   * answer's head arrives; rejects when no connection could be made. For a 200, the body's
   * pieces go to `onChunk` and `onEnd` is called once when the stream ends or breaks.
   */
  open(headers: Record<string, string>, handlers: { onChunk(text: string): void; onEnd(): void }): Promise<{ status: number; close(): void }>;
  /** Hands a dispatched event to the app: every event exactly once, in order. */
  deliver(event: SseEvent): void;
  now(): number;
  setTimeout(fn: () => void, ms: number): SseTimer;
  /** The reconnection time before the server sets one with `retry:` (3 s, as in Chromium). */
  readonly reconnectionTimeMs: number;
}

/** What the challenge checks. */
export interface SseBuild {
  /** A new parser: `onEvent` for each dispatched event, `onRetry` for each valid `retry:` value. */
  parser(handlers: { onEvent(event: SseEvent): void; onRetry(ms: number): void }): SseParser;
  /** Your EventSource: started once, stopped once at the end. */
  client(kit: SseClientKit): { start(): void; stop(): void };
}

type Entry = { kind: "event"; type: string; data: string; lastEventId: string } | { kind: "retry"; ms: number };

const show = (s: string) => JSON.stringify(s);
const describeEntry = (e: Entry | undefined) => (e === undefined ? "nothing" : e.kind === "retry" ? `retry ${e.ms}` : `event {type ${show(e.type)}, data ${show(e.data)}, lastEventId ${show(e.lastEventId)}}`);

/** Runs a parser over `chunks` (then `reset()` when `thenReset`), returning what it dispatched and its lastEventId. */
function parseWith(make: (h: { onEvent(e: ServerSentEvent | SseEvent): void; onRetry(ms: number): void }) => { push(c: string): void; reset(): void; readonly lastEventId: string }, chunks: readonly string[], thenReset: readonly string[] = []) {
  const out: Entry[] = [];
  const p = make({ onEvent: (e) => out.push({ kind: "event", type: e.type, data: e.data, lastEventId: e.lastEventId }), onRetry: (ms) => out.push({ kind: "retry", ms }) });
  for (const c of chunks) p.push(c);
  const before = p.lastEventId;
  if (thenReset.length) {
    p.reset();
    for (const c of thenReset) p.push(c);
  }
  return { out, lastEventId: p.lastEventId, before };
}

function reference(chunks: readonly string[], thenReset: readonly string[] = []) {
  return parseWith((h) => new EventStreamParser((e) => h.onEvent(e), (ms) => h.onRetry(ms)), chunks, thenReset);
}

/** The first difference between the learner's parser and the standard's, in one sentence. */
function compare(solution: SseBuild, chunks: readonly string[], thenReset: readonly string[] = []): string | undefined {
  const want = reference(chunks, thenReset);
  const got = parseWith((h) => solution.parser(h), chunks, thenReset);
  const where = `for the chunks [${chunks.map(show).join(", ")}]${thenReset.length ? `, reset(), then [${thenReset.map(show).join(", ")}]` : ""}`;
  for (let i = 0; i < Math.max(want.out.length, got.out.length); i++) {
    const w = want.out[i];
    const g = got.out[i];
    if (describeEntry(w) !== describeEntry(g)) return `${where}: dispatch ${i + 1} should be ${describeEntry(w)}, the parser gave ${describeEntry(g)}`;
  }
  if (got.before !== want.before) return `${where}: lastEventId should be ${show(want.before)} at the end of the stream, the parser has ${show(got.before)}`;
  if (got.lastEventId !== want.lastEventId) return `${where}: lastEventId should be ${show(want.lastEventId)}, the parser has ${show(got.lastEventId)}`;
  return undefined;
}

/** Scripted streams, one rule each, fed whole: the "works" stage. */
const EXAMPLES: { rule: string; chunks: string[]; thenReset?: string[] }[] = [
  { rule: "one event", chunks: ["data: hello\n\n"] },
  { rule: "event type and id", chunks: ["event: tick\nid: 7\ndata: 101.5\n\n"] },
  { rule: "several data lines join with a newline", chunks: ["data: a\ndata: b\ndata:\ndata: c\n\n"] },
  { rule: "one leading space is removed, no more", chunks: ["data:  two spaces\ndata:none\n\n"] },
  { rule: "comments and unknown fields are ignored", chunks: [": keep-alive\nfoo: bar\ndata: x\n\n"] },
  { rule: "an event without data is not dispatched but its id counts", chunks: ["id: 3\n\ndata: after\n\n"] },
  { rule: "CRLF and CR end lines too", chunks: ["data: crlf\r\n\r\ndata: cr\r\r"] },
  { rule: "a leading byte order mark is skipped", chunks: ["\uFEFFdata: bom\n\n"] },
  { rule: "an id with NULL is ignored", chunks: ["id: 1\ndata: a\n\nid: 2\u00003\ndata: b\n\n"] },
  { rule: "retry takes only digits", chunks: ["retry: 250\nretry: 1.5\nretry: x\nretry:\n\n"] },
  { rule: "the event type resets after each event", chunks: ["event: tick\ndata: 1\n\ndata: 2\n\n"] },
  { rule: "no blank line, no event", chunks: ["data: never ends\n"] },
  { rule: "a field line without a colon is a field with an empty value", chunks: ["data\ndata\n\n"] },
  { rule: "a half event is forgotten on reset, its id too", chunks: ["id: 1\ndata: ok\n\nid: 2\ndata: cut"], thenReset: ["data: next\n\n"] },
  { rule: "chunks split anywhere, CRLF too", chunks: ["da", "ta: sp", "lit\r", "\n", "\r\n", "id: 9\n", "data: y\n", "\n"] },
];

/** A random stream of field lines, comments and blank lines with mixed line endings. */
const lineArb = fc.oneof(
  { arbitrary: fc.tuple(fc.constantFrom("data", "data", "event", "id", "retry", "foo", "dat", "ID", ""), fc.constantFrom(":", ": ", ":  ", ""), fc.string({ unit: fc.constantFrom("a", "b", " ", ":", "1", "0", "é", "中", "\u0000", "\uFEFF"), maxLength: 6 })).map(([f, sep, v]) => `${f}${sep}${v}`), weight: 6 },
  { arbitrary: fc.constantFrom("retry: 500", "retry: 0", "retry: 12a", "id: 5", "id", ": comment", ":", "data: x"), weight: 2 },
  { arbitrary: fc.constant(""), weight: 3 },
);
const streamArb = fc
  .record({
    bom: fc.boolean(),
    lines: fc.array(fc.tuple(lineArb, fc.constantFrom("\n", "\r\n", "\r")), { maxLength: 25 }),
    cuts: fc.array(fc.nat(), { maxLength: 12 }),
    resetAt: fc.option(fc.nat(), { nil: undefined }),
  })
  .map(({ bom, lines, cuts, resetAt }) => {
    const text = (bom ? "\uFEFF" : "") + lines.map(([l, end]) => l + end).join("");
    const points = [...new Set(cuts.map((c) => (text.length ? c % (text.length + 1) : 0)))].sort((a, b) => a - b);
    const pieces: string[] = [];
    let from = 0;
    for (const p of points) {
      pieces.push(text.slice(from, p));
      from = p;
    }
    pieces.push(text.slice(from));
    // Sometimes the stream breaks after some pieces, reset() runs, and a second stream follows.
    if (resetAt === undefined || pieces.length < 2) return { chunks: pieces, thenReset: [] as string[] };
    const k = 1 + (resetAt % (pieces.length - 1));
    return { chunks: pieces.slice(0, k), thenReset: pieces.slice(k) };
  });

// ---- the resuming client ------------------------------------------------------------------

interface ClientRun {
  sim: Simulation;
  violation?: { sentence: string; at: number };
}

const ms = (t: number) => `${Math.round(t).toLocaleString("en-US")} ms`;
const ENDINGS = ["\n", "\r\n", "\r"] as const;

/** One event as this server writes it: id, type (or none), one or two data lines. */
function eventText(id: number, type: string | undefined, data: string, end: string): string {
  return [`id: ${id}`, ...(type ? [`event: ${type}`] : []), ...data.split("\n").map((l) => `data: ${l}`), ""].join(end) + end;
}

async function runClient(solution: SseBuild, c: CheckCase): Promise<ClientRun> {
  const sim = new Simulation({ seed: c.seed });
  const random = new Random(c.seed * 13 + 5);
  const retryMs = random.int(2, 8) * 100;
  const feed = new TickFeed(sim, { count: 0 });
  const sent = new Map<number, { type: string; data: string }>();
  let t = 200;
  for (let i = 1; i <= c.size; i++) {
    t += random.int(40, 220);
    const type = random.chance(0.3) ? undefined : "tick";
    const data = random.chance(0.3) ? `line ${i}\nline ${i}b` : `${i}:${random.int(100, 999)}`;
    sent.set(i, { type: type ?? "message", data });
    sim.at(t, () => feed.publish(type ?? "", data));
  }
  const finishAt = t + 500;
  let finished = false;
  const run: ClientRun = { sim };
  const violate = (sentence: string, at = sim.now) => (run.violation ??= { sentence, at });
  const streams = new Set<{ stream: ResponseStream; cutNext: boolean; dying: boolean }>();

  httpServer(sim, "api").route("SSE /events", (req) => req.path.split("?")[0] === "/events", (req, ctx) => {
    const header = req.headers["last-event-id"];
    const after = header === undefined ? 0 : Number(header);
    // Once the feed is over, a client that has everything is told to stop.
    if (finished && after >= feed.lastId) return emptyResponse(204);
    const end = ENDINGS[random.int(0, 2)]!;
    const stream = ctx.stream(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const entry = { stream, cutNext: false, dying: false };
    streams.add(entry);
    stream.onClose(() => streams.delete(entry));
    // Writes split at random points, so a chunk may end anywhere: inside a field name, between CR and LF.
    const write = (text: string, label?: string) => {
      let from = 0;
      while (from < text.length) {
        const n = Math.min(text.length - from, random.int(1, 24));
        stream.write(text.slice(from, from + n), from + n >= text.length ? label : undefined);
        from += n;
      }
    };
    write(`${random.chance(0.5) ? "\uFEFF" : ""}: hello${end}retry: ${retryMs}${end}${end}`);
    const send = (e: { id: number; type: string; data: string }, replay: boolean) => {
      if (entry.dying) return;
      const text = eventText(e.id, e.type || undefined, e.data, end);
      if (entry.cutNext) {
        // The process dies in the middle of this event, after its id line: what it wrote still
        // arrives, then the reset.
        entry.dying = true;
        stream.write(text.slice(0, text.indexOf(end) + end.length + 3), `event ${e.id} cut off`);
        sim.schedule(60, () => ctx.connection.reset("server process killed mid-write"));
        return;
      }
      if (random.chance(0.2)) write(`: keep-alive${end}`);
      write(text, `event ${e.id}${replay ? " (replay)" : ""}`);
    };
    if (header !== undefined && !(Number.isInteger(after) && after >= 0)) violate(`the client sent Last-Event-ID ${show(header)}, which is not an id the server sent`);
    for (const e of feed.after(after)) send(e, true);
    if (finished) return void stream.end();
    const unsubscribe = feed.subscribe((e) => send(e, false));
    stream.onClose(unsubscribe);
  });
  sim.at(finishAt, () => {
    finished = true;
    for (const s of [...streams]) s.stream.end();
  });

  let lastEnd: number | undefined;
  let after204: number | undefined;
  let stopped = false;
  const delivered: { id: number; at: number }[] = [];
  const http = new HttpClient(sim, "app", "api", { timeoutMs: Infinity, headers: { accept: "text/event-stream" } });
  sim.network.setLink("app", "api", { latency: 25 });
  const kit: SseClientKit = {
    reconnectionTimeMs: 3_000,
    now: () => sim.now,
    setTimeout(fn, delay) {
      if (!(typeof delay === "number" && delay >= 0)) throw new ConfigError("kit.setTimeout", "ms", delay, "a number of ms ≥ 0");
      // A wake event: a promise the callback resolves continues before the clock moves on.
      return sim.wakeAt(sim.now + delay, fn);
    },
    async open(headers, handlers) {
      if (stopped) violate(`opened a stream at ${ms(sim.now)}, after stop()`);
      if (after204 !== undefined) violate(`asked again at ${ms(sim.now)} after the server answered 204 No Content at ${ms(after204)}: a 204 means stop reconnecting`);
      if (lastEnd !== undefined && sim.now < lastEnd + retryMs - 1) violate(`reconnected ${ms(sim.now - lastEnd)} after the stream broke at ${ms(lastEnd)}; the server asked for retry: ${retryMs}`);
      const lastId = delivered.at(-1)?.id;
      const h = Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
      if (lastId !== undefined && h["last-event-id"] !== String(lastId)) {
        violate(`reconnected at ${ms(sim.now)} with ${h["last-event-id"] === undefined ? "no Last-Event-ID" : `Last-Event-ID ${h["last-event-id"]}`}, but the last event delivered was ${lastId}`);
      }
      let ended = false;
      try {
        const s = await http.stream(httpRequest("GET", "/events", { headers: { "cache-control": "no-cache", ...h } }), {
          onChunk: (text) => handlers.onChunk(text),
          onEnd: () => {
            if (ended) return;
            ended = true;
            lastEnd = sim.now;
            handlers.onEnd();
          },
        });
        if (s.response.status !== 200) {
          ended = true;
          if (s.response.status === 204) after204 = sim.now;
        }
        return { status: s.response.status, close: () => s.close() };
      } catch (error) {
        lastEnd = sim.now;
        throw error;
      }
    },
    deliver(event) {
      const id = Number(event?.lastEventId);
      const last = delivered.at(-1)?.id ?? 0;
      const want = sent.get(id);
      if (!want) violate(`delivered ${JSON.stringify(event)}, whose lastEventId is not an id the server sent`);
      else if (id <= last) violate(`delivered event ${id} twice (first at ${ms(delivered.find((d) => d.id === id)?.at ?? 0)}, again at ${ms(sim.now)})`);
      else if (id > last + 1) violate(`delivered event ${id} right after ${last}: event ${last + 1} was lost`);
      else if (event.type !== want.type || event.data !== want.data) violate(`delivered event ${id} as {type ${show(event.type)}, data ${show(event.data)}}; the server sent {type ${show(want.type)}, data ${show(want.data)}}`);
      delivered.push({ id, at: sim.now });
    },
  };
  for (const f of c.faults) {
    const at = f.at!;
    const d = Number(f.params?.durationMs ?? 1_000);
    if (f.kind === "drop") networkDrop(sim, "app", "api", { at, durationMs: d });
    else if (f.kind === "restart") {
      sim.at(at, () => {
        for (const conn of wireOf(sim).connections) if (conn.server === "api") conn.reset("server restart");
      });
      sim.faults.crash("api", { at });
      sim.faults.restart("api", { at: at + d });
    } else if (f.kind === "cut") sim.at(at, () => [...streams].forEach((s) => (s.cutNext = true)));
    else throw new Error(`unknown fault ${f.kind}`);
  }
  const client = solution.client(kit);
  if (typeof client?.start !== "function" || typeof client.stop !== "function") throw new ConfigError(`challenges["sse"]: client(kit)`, "return value", client, "an object with start() and stop()");
  client.start();
  const endAt = finishAt + 8_000 + c.faults.reduce((n, f) => n + Number(f.params?.durationMs ?? 0), 0);
  // In steps, so a run that already broke an invariant stops early (a failing check stays fast).
  while (sim.now < endAt && !run.violation) await sim.runUntil(Math.min(endAt, sim.now + 1_000));
  if (run.violation) return run;
  stopped = true;
  client.stop();
  if (!run.violation && delivered.length < c.size) {
    const missing = (delivered.at(-1)?.id ?? 0) + 1;
    violate(`got ${delivered.length} of ${c.size} events by ${ms(endAt)}: event ${missing} never came`, endAt);
  }
  if (!run.violation && after204 === undefined) violate(`the server finished the feed at ${ms(finishAt)} and answers 204 since, but the client never asked again after the stream ended`, finishAt);
  return run;
}

const FAULTS: ((at: number, r: Random) => FaultSpec)[] = [
  (at, r) => {
    const d = r.int(300, 2_000);
    return { kind: "drop", label: `network drop at ${ms(at)} for ${ms(d)}`, at, params: { durationMs: d } };
  },
  (at) => ({ kind: "cut", label: `the server dies in the middle of the next event after ${ms(at)} (after its id line)`, at, params: { durationMs: 0 } }),
  (at, r) => {
    const d = r.int(500, 2_500);
    return { kind: "restart", label: `server restart at ${ms(at)}, down ${ms(d)}`, at, params: { durationMs: d } };
  },
];

const clientCases = seededCases(24, 500, (i, r) => {
  const faults = [FAULTS[i % 3]!(r.int(600, 2_000), r)];
  if (i % 3 === 1) faults.push(FAULTS[(i + 1) % 3]!(r.int(2_600, 3_500), r));
  return { faults, size: 25 };
});

export const sseBuild = defineBuildChallenge<SseBuild>({
  id: "sse",
  title: "Write the event-stream parser and a resuming EventSource",
  statement: [
    "Write the parser of `text/event-stream` as the HTML standard defines it (§9.2.6), and the browser's reconnect loop around it.",
    "**Parser.** Lines end with CRLF, LF or CR, and a chunk may end anywhere, even between the CR and the LF. One byte order mark at the start of a stream is skipped. A line starting with `:` is a comment. Otherwise the field is everything before the first colon, the value everything after it minus one leading space (no colon: the whole line is the field, the value is empty). `data` appends the value and a newline to the data buffer; `event` sets the type; `id` sets the id buffer unless the value contains NULL; `retry` with only ASCII digits calls `onRetry`; other fields are ignored. A blank line dispatches: the last event id becomes the id buffer (even when there is no data); with data, the event goes out with its last newline removed and type `message` unless set; then data and type are cleared (the id is not). `reset()` forgets a half-received event, including an `id:` line the stream broke off in.",
    "**Client.** `client(kit)` opens the stream with `kit.open(headers, { onChunk, onEnd })`, feeds chunks to your parser, delivers each event with `kit.deliver`, and when the stream ends or breaks (or cannot open) resets the parser, waits the reconnection time (the latest `retry:`) and opens again with `Last-Event-ID`. A `204 No Content` means stop for good.",
    "```ts\ninterface SseEvent { type: string; data: string; lastEventId: string }\ninterface SseParser { push(chunk: string): void; reset(): void; readonly lastEventId: string }\ninterface SseBuild {\n  parser(handlers: { onEvent(e: SseEvent): void; onRetry(ms: number): void }): SseParser;\n  client(kit: SseClientKit): { start(): void; stop(): void };\n}\ninterface SseClientKit {\n  open(headers: Record<string, string>, handlers: { onChunk(text: string): void; onEnd(): void }): Promise<{ status: number; close(): void }>;\n  deliver(event: SseEvent): void;\n  now(): number;\n  setTimeout(fn: () => void, ms: number): { cancel(): void };\n  readonly reconnectionTimeMs: number; // 3000 until the server sends retry:\n}\n```",
    "The checker first feeds one scripted stream per rule, then fast-check compares your parser with the standard's on hundreds of random streams (any field, mixed line endings, BOMs, NULs, comments) cut into random chunks, with a reset in the middle. Then your client reads 25 events from a server that splits its writes anywhere, over 24 seeds with network drops, restarts, and a server that dies in the middle of an event right after its `id:` line. It judges: every event exactly once and in order, `Last-Event-ID` equal to the last event delivered, each reconnect at least the `retry:` time after the break, nothing asked after a 204.",
  ].join("\n\n"),
  validate(solution) {
    for (const key of ["parser", "client"] as const) {
      if (typeof solution?.[key] !== "function") throw new ConfigError(`challenges["sse"].check`, key, solution?.[key], key === "parser" ? "a function (handlers) => { push, reset, lastEventId }" : "a function (kit) => { start(), stop() }");
    }
  },
  stages: [
    {
      name: "works",
      goal: "one scripted stream per rule of the standard, each fed whole: the same events, retries and lastEventId as the standard's parser",
      cases: EXAMPLES.map((_, i) => ({ seed: i, faults: [], size: 1 })),
      minSize: 1,
      run(solution, c): CaseOutcome {
        const ex = EXAMPLES[c.seed]!;
        const why = compare(solution, ex.chunks, ex.thenReset);
        return why ? { ok: false, invariant: `${ex.rule}: ${why}` } : { ok: true };
      },
    },
    {
      name: "any stream, any chunking",
      goal: "fast-check: random streams (mixed line endings, BOM, NUL, comments, bad retry values) split into random chunks, with a reset",
      property: (s) => fcProperty(streamArb, 400, ({ chunks, thenReset }) => compare(s, chunks, thenReset), ({ chunks, thenReset }) => `chunks [${chunks.map(show).join(", ")}]${thenReset.length ? ` then reset() and [${thenReset.map(show).join(", ")}]` : ""}`),
    },
    {
      name: "resumes",
      goal: "your EventSource over drops, restarts and a death mid-event: every event once, in order, Last-Event-ID right, retry: respected, stop on 204",
      cases: clientCases,
      minSize: 5,
      async run(solution, c) {
        const run = await runClient(solution, c);
        const faults = c.faults.map((f) => f.label).join(", ");
        return run.violation ? { ok: false, invariant: `${run.violation.sentence} (faults: ${faults})`, sim: run.sim, at: run.violation.at } : { ok: true, sim: run.sim };
      },
    },
  ],
  hints: {
    nudge: "Read the failing stream character by character, escapes included (\\r, \\n, \\u0000, \\uFEFF): the sentence names the dispatch that differs and what the standard's parser gave there.",
    approach: "Keep what a line has not finished yet between pushes, and split only complete lines; remember when a chunk ended in CR. Hold four buffers: data, type, the id being read, and the id of the last dispatched event; only the blank line moves the third into the fourth. The client is a loop: open with the last dispatched id, feed, and on any end reset, wait, open again.",
    keyIdea: "An event exists only once its blank line arrives: until then its id is a promise, not a fact. Resuming from an id whose event was cut off skips that event for good.",
  },
});

/** @internal One run of the client stage's case (the bench times it beside a full check). */
export { runClient as runSseClientCase };
