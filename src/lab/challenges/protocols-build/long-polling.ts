/**
 * Build challenge "long-polling": the learner writes both halves. The server's `handle` holds
 * a poll until data arrives or the hold runs out (then 204) and answers from the client's
 * cursor; the client re-polls at once after an answer and backs off after errors. The checker
 * watches both ends on the wire: a held poll must be answered as soon as data arrives, never
 * answered 204 early (that is a busy loop), and every listener it took must be given back; the
 * client must deliver every message once, in order, within one hold + a round trip, and must
 * not hammer a failing server. Attacks: network drops, server restarts, 503 spells, bursts.
 */
import { ConfigError, Random, Simulation, TickFeed, networkDrop } from "sde-lab";
import { defineBuildChallenge, type CaseOutcome, type CheckCase, type FaultSpec } from "../build";
import { seededCases } from "../seeded-cases";
import { HttpClient, emptyResponse, httpServer, jsonResponse, parseJson, queryOf, type HttpResponse } from "../../protocols/http1";
import { wireOf } from "../../protocols/transport";

/** One message of the feed. */
export interface PollEvent {
  /** 1, 2, 3… in publication order. */
  readonly id: number;
  readonly data: string;
}

/** What `handle` answers: the events after the cursor, or 204 when the hold ran out. */
export type PollReply = { status: 200; events: readonly PollEvent[] } | { status: 204 };

/** A timer you can cancel. */
export interface PollTimer {
  cancel(): void;
}

/** What the lab gives your server for one poll. */
export interface LongPollServerKit {
  /** Events with an id greater than `id`, oldest first. */
  after(id: number): readonly PollEvent[];
  /** Calls `listener` for each new event; returns the function that stops it. */
  subscribe(listener: (event: PollEvent) => void): () => void;
  setTimeout(fn: () => void, ms: number): PollTimer;
  now(): number;
  /** How long to hold a poll without news before answering 204, ms. */
  readonly holdMs: number;
}

/** What the lab gives your client. */
export interface LongPollClientKit {
  /**
   * `GET /poll?after=<after>`: resolves with the answer (`200` with events, `204`, or an error
   * status such as `503`); rejects when the connection fails or breaks.
   */
  poll(after: number): Promise<{ status: number; events?: readonly PollEvent[] }>;
  /** Hands a message to the app: every message exactly once, in id order. */
  deliver(event: PollEvent): void;
  sleep(ms: number): Promise<void>;
  /** Seeded random number in [0, 1), for jitter. */
  random(): number;
  now(): number;
  /** Suggested waits after errors: from `initialMs`, doubling, at most `maxMs`. */
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
}

/** What the challenge checks. */
export interface LongPollBuild {
  /** Answers one poll with cursor `after` (the last id the client has; 0 before any). */
  handle(after: number, kit: LongPollServerKit): Promise<PollReply> | PollReply;
  /** Your client loop: started once, stopped once at the end (finish the poll in flight, send no more). */
  client(kit: LongPollClientKit): { start(): void; stop(): void };
}

const HOLD_MS = 2_000;
const LATENCY = 25;
const RTT = 2 * LATENCY;
const BACKOFF = { initialMs: 250, maxMs: 5_000 } as const;
/** A poll answered later than this after an answer reached the client is not "at once". */
const REPOLL_SLACK = 10;
/** Slack for "as soon as data arrives" at the server, ms. */
const WAKE_SLACK = 5;

const ms = (t: number) => `${Math.round(t).toLocaleString("en-US")} ms`;

interface Held {
  readonly after: number;
  readonly start: number;
  dataAt?: number;
  dataId?: number;
  done: boolean;
  readonly connectionOpen: () => boolean;
}

interface Run {
  sim: Simulation;
  violation?: { sentence: string; at: number };
}

/** Publication times: a steady trickle with one quiet spell of 4 holds in the middle; a burst fault adds 40 at once. */
function schedule(seed: number, size: number): { times: number[]; quietFrom: number; quietTo: number } {
  const random = new Random(seed * 17 + 3);
  const times: number[] = [];
  let t = 300;
  let quietFrom = 0;
  let quietTo = 0;
  for (let i = 0; i < size; i++) {
    if (i === Math.floor(size / 2)) {
      quietFrom = t;
      t += 4 * HOLD_MS + random.int(0, 1_000);
      quietTo = t;
    } else t += random.int(10, 400);
    times.push(t);
  }
  return { times, quietFrom, quietTo };
}

async function runCase(solution: LongPollBuild, c: CheckCase): Promise<Run> {
  const sim = new Simulation({ seed: c.seed });
  const feed = new TickFeed(sim, { count: 0 });
  // Both nodes first: the faults below name them.
  httpServer(sim, "api");
  sim.client("app");
  const run: Run = { sim };
  const violate = (sentence: string, at = sim.now) => (run.violation ??= { sentence, at });
  const { times, quietFrom, quietTo } = schedule(c.seed, c.size);
  const publish = (i: number) => feed.publish("msg", `m${i}-${(c.seed * 31 + i) % 89}`);
  let published = 0;
  for (const t of times) sim.at(t, () => publish(++published));
  let overloadedUntil = -1;
  const errorSpells: { from: number; to: number }[] = [];
  const faultSpells: { from: number; to: number }[] = [];
  for (const f of c.faults) {
    const at = f.at!;
    const d = Number(f.params?.durationMs ?? 0);
    if (f.kind === "burst") {
      sim.at(at, () => {
        for (let i = 0; i < 40; i++) publish(++published);
      });
      continue;
    }
    faultSpells.push({ from: at, to: at + d });
    if (f.kind === "drop") networkDrop(sim, "app", "api", { at, durationMs: d });
    else if (f.kind === "overload") {
      sim.at(at, () => {
        overloadedUntil = at + d;
        sim.trace.record("fault", "api", "api", `overloaded: answers 503 until ${ms(at + d)}`);
      });
      errorSpells.push({ from: at, to: at + d });
    } else if (f.kind === "restart") {
      sim.at(at, () => {
        for (const conn of wireOf(sim).connections) if (conn.server === "api") conn.reset("server restart");
      });
      sim.faults.crash("api", { at });
      sim.faults.restart("api", { at: at + d });
      errorSpells.push({ from: at, to: at + d });
    } else throw new Error(`unknown fault ${f.kind}`);
  }

  // ---- the server, wrapping the learner's handle ----
  const held = new Set<Held>();
  let listeners = 0;
  feed.subscribe((e) => {
    for (const h of held) {
      if (!h.done && h.dataAt === undefined && e.id > h.after) {
        h.dataAt = sim.now;
        h.dataId = e.id;
      }
    }
  });
  const toEvent = (e: { id: number; data: string }): PollEvent => ({ id: e.id, data: e.data });
  httpServer(sim, "api").route("long poll /poll", (req) => req.path.split("?")[0] === "/poll", async (req, ctx): Promise<HttpResponse | void> => {
    if (sim.now < overloadedUntil) return jsonResponse(503, { error: "overloaded, try later" }, { "retry-after": "1" });
    const after = Number(queryOf(req.path).after);
    if (!Number.isInteger(after) || after < 0) {
      violate(`the client polled ${req.path}: after must be the last id it has (a whole number ≥ 0)`);
      return jsonResponse(400, { error: "after must be a whole number ≥ 0" });
    }
    const h: Held = { after, start: sim.now, done: false, connectionOpen: () => ctx.connection.open };
    if (feed.after(after).length > 0) {
      h.dataAt = sim.now;
      h.dataId = after + 1;
    }
    held.add(h);
    const kit: LongPollServerKit = {
      holdMs: HOLD_MS,
      now: () => sim.now,
      after: (id) => feed.after(id).map(toEvent),
      subscribe(listener) {
        if (typeof listener !== "function") throw new ConfigError("kit.subscribe", "listener", listener, "a function (event) => void");
        listeners++;
        let on = true;
        // Called as a wake event, so a hold the listener resolves answers at this instant.
        const off = feed.subscribe((e) => sim.wake(() => on && listener(toEvent(e)), undefined));
        return () => {
          if (on) listeners--;
          on = false;
          off();
        };
      },
      setTimeout(fn, delay) {
        if (!(typeof delay === "number" && delay >= 0)) throw new ConfigError("kit.setTimeout", "ms", delay, "a number of ms ≥ 0");
        // A wake event: a promise the callback resolves continues before the clock moves on.
      return sim.wakeAt(sim.now + delay, fn);
      },
    };
    let reply: PollReply;
    try {
      reply = await solution.handle(after, kit);
    } finally {
      h.done = true;
      held.delete(h);
    }
    if (!ctx.connection.open) return;
    const waited = sim.now - h.start;
    if (reply?.status === 204) {
      if (h.dataAt !== undefined) violate(`a poll with after=${after} was answered 204 at ${ms(sim.now)} although message ${h.dataId} had arrived at ${ms(h.dataAt)}`);
      else if (waited < HOLD_MS - WAKE_SLACK) violate(`a poll with after=${after} was answered 204 after only ${ms(waited)} with nothing new: hold it ${ms(HOLD_MS)} (an early 204 makes the client poll in a loop)`);
      else if (waited > HOLD_MS + WAKE_SLACK) violate(`a poll was held ${ms(waited)}, longer than the hold of ${ms(HOLD_MS)}`);
      return emptyResponse(204, { "cache-control": "no-store" });
    }
    if (reply?.status !== 200 || !Array.isArray(reply.events)) {
      violate(`handle(${after}) returned ${JSON.stringify(reply)?.slice(0, 80)}: answer { status: 200, events } or { status: 204 }`);
      return jsonResponse(500, { error: "bad reply" });
    }
    const ids = reply.events.map((e) => e?.id);
    const want = feed.after(after).slice(0, Math.max(1, ids.length)).map((e) => e.id);
    if (ids.length === 0 || ids.some((id, i) => id !== want[i])) violate(`handle(${after}) answered 200 with ids [${ids.slice(0, 8).join(", ")}${ids.length > 8 ? ", …" : ""}]; the events after ${after} are [${feed.after(after).slice(0, 8).map((e) => e.id).join(", ")}${feed.after(after).length > 8 ? ", …" : ""}]: answer the next ones, in order, at least one`);
    else if (h.dataAt !== undefined && sim.now > h.dataAt + WAKE_SLACK) violate(`a poll with after=${after} was answered ${ms(sim.now - h.dataAt)} after message ${h.dataId} arrived: answer as soon as data arrives`);
    return jsonResponse(200, { events: reply.events.map(toEvent) }, { "cache-control": "no-store" });
  });

  // ---- the client side ----
  sim.network.setLink("app", "api", { latency: LATENCY });
  const http = new HttpClient(sim, "app", "api", { maxConnections: 1, timeoutMs: HOLD_MS + 5_000 });
  const random = sim.random.fork();
  const polls: number[] = [];
  let answeredAt: number | undefined;
  let inFlight = false;
  let stopped = false;
  const delivered: { id: number; at: number }[] = [];
  const kit: LongPollClientKit = {
    backoff: BACKOFF,
    now: () => sim.now,
    random: () => random.next(),
    sleep: (t) => {
      if (!(typeof t === "number" && t >= 0)) throw new ConfigError("kit.sleep", "ms", t, "a number of ms ≥ 0");
      return sim.sleep(t);
    },
    async poll(after) {
      if (stopped) violate(`polled at ${ms(sim.now)}, after stop()`);
      if (inFlight) violate(`polled at ${ms(sim.now)} while another poll was in flight: one at a time`);
      if (answeredAt !== undefined && sim.now > answeredAt + REPOLL_SLACK) violate(`waited ${ms(sim.now - answeredAt)} after an answer before polling again: poll again at once (a message arriving meanwhile waits too)`);
      answeredAt = undefined;
      polls.push(sim.now);
      if (polls.length > 3_000) {
        // A loop without a wait: park it (a throw here would surface as an unhandled rejection in the learner's loop).
        violate(`sent more than 3,000 polls by ${ms(sim.now)}: a loop without a wait?`);
        return new Promise<never>(() => {});
      }
      inFlight = true;
      try {
        const res = await http.request(`GET /poll?after=${after}`);
        if (res.status === 200 || res.status === 204) answeredAt = sim.now;
        const body = res.status === 200 ? (parseJson(res.body) as { events: PollEvent[] }) : undefined;
        return body ? { status: 200, events: body.events } : { status: res.status };
      } finally {
        inFlight = false;
      }
    },
    deliver(event) {
      const id = event?.id;
      const last = delivered.at(-1)?.id ?? 0;
      const want = feed.events[(id ?? 0) - 1];
      if (typeof id !== "number" || !want) violate(`delivered ${JSON.stringify(event)}, which is not a message the server sent`);
      else if (id <= last) violate(`delivered message ${id} twice (first at ${ms(delivered.find((d) => d.id === id)?.at ?? 0)}, again at ${ms(sim.now)})`);
      else if (id > last + 1) violate(`delivered message ${id} right after ${last}: message ${last + 1} was lost`);
      else if (event.data !== want.data) violate(`delivered message ${id} with data ${JSON.stringify(event.data)}; the server sent ${JSON.stringify(want.data)}`);
      else {
        const calm = !faultSpells.some((s) => want.time >= s.from - HOLD_MS && want.time <= s.to + BACKOFF.maxMs + HOLD_MS);
        if (calm && sim.now - want.time > HOLD_MS + RTT) violate(`message ${id} was published at ${ms(want.time)} and delivered at ${ms(sim.now)}, ${ms(sim.now - want.time)} later: more than one hold + a round trip (${ms(HOLD_MS + RTT)})`);
      }
      delivered.push({ id: typeof id === "number" ? id : -1, at: sim.now });
    },
  };
  const client = solution.client(kit);
  if (typeof client?.start !== "function" || typeof client.stop !== "function") throw new ConfigError(`challenges["long-polling"]: client(kit)`, "return value", client, "an object with start() and stop()");
  client.start();
  const endAt = Math.max(times.at(-1) ?? 0, ...c.faults.map((f) => f.at! + Number(f.params?.durationMs ?? 0))) + BACKOFF.maxMs + 2 * HOLD_MS;
  // In steps, so a run that already broke an invariant stops early (a failing check stays fast).
  while (sim.now < endAt && !run.violation) await sim.runUntil(Math.min(endAt, sim.now + 1_000));
  if (run.violation) return run;
  stopped = true;
  client.stop();
  await sim.runUntil(endAt + HOLD_MS + 1_000);
  if (run.violation) return run;
  if (delivered.length < feed.events.length) {
    const missing = (delivered.at(-1)?.id ?? 0) + 1;
    return { sim, violation: { sentence: `got ${delivered.length} of ${feed.events.length} messages by ${ms(endAt)}: message ${missing} never came`, at: feed.events[missing - 1]?.time ?? endAt } };
  }
  // Idle: from one hold into the quiet spell to its end, one poll per hold (+1) at most.
  const idle = polls.filter((t) => t >= quietFrom + HOLD_MS && t < quietTo).length;
  const allowed = Math.ceil((quietTo - quietFrom - HOLD_MS) / HOLD_MS) + 1;
  if (idle > allowed && !faultSpells.some((s) => s.from < quietTo && s.to > quietFrom)) {
    return { sim, violation: { sentence: `nothing happened from ${ms(quietFrom)} to ${ms(quietTo)}, yet the client sent ${idle} polls in that spell (${Math.round((idle * 60_000) / (quietTo - quietFrom - HOLD_MS))} a minute); with a ${ms(HOLD_MS)} hold, ${allowed} is the most`, at: quietFrom + HOLD_MS } };
  }
  for (const s of errorSpells) {
    const n = polls.filter((t) => t >= s.from && t < s.to).length;
    const cap = 4 + Math.floor((s.to - s.from) / 500);
    if (n > cap) return { sim, violation: { sentence: `the server failed from ${ms(s.from)} to ${ms(s.to)} and the client polled ${n} times meanwhile (at most ${cap}): back off after an error, longer after each`, at: s.from } };
  }
  if (listeners > 0) return { sim, violation: { sentence: `${listeners} listener${listeners === 1 ? " was" : "s were"} still subscribed to the feed after every poll was answered: each poll must give its listener back (a leak grows with every request)`, at: endAt } };
  return run;
}

const FAULTS: ((at: number, r: Random) => FaultSpec)[] = [
  (at, r) => {
    const d = r.int(500, 3_000);
    return { kind: "drop", label: `network drop at ${ms(at)} for ${ms(d)}`, at, params: { durationMs: d } };
  },
  (at, r) => {
    const d = r.int(1_000, 3_000);
    return { kind: "restart", label: `server restart at ${ms(at)}, down ${ms(d)}`, at, params: { durationMs: d } };
  },
  (at, r) => {
    const d = r.int(2_000, 4_000);
    return { kind: "overload", label: `the server answers 503 from ${ms(at)} for ${ms(d)}`, at, params: { durationMs: d } };
  },
  (at) => ({ kind: "burst", label: `a burst of 40 messages at ${ms(at)}`, at, params: { durationMs: 0 } }),
];

const faultCases = seededCases(24, 700, (i, r) => {
  const faults = [FAULTS[i % 4]!(r.int(500, 2_500), r)];
  if (i % 3 === 2) faults.push(FAULTS[(i + 1) % 4]!(r.int(11_000, 13_000), r));
  return { faults, size: 30 };
});

function outcome(run: Run, c: CheckCase): CaseOutcome {
  if (!run.violation) return { ok: true, sim: run.sim };
  const faults = c.faults.map((f) => f.label).join(", ");
  return { ok: false, invariant: faults ? `${run.violation.sentence} (faults: ${faults})` : run.violation.sentence, sim: run.sim, at: run.violation.at };
}

export const longPollingBuild = defineBuildChallenge<LongPollBuild>({
  id: "long-polling",
  title: "Write a long-poll server (hold, 204) and its client",
  statement: [
    "Write both halves of long polling.",
    "**Server.** `handle(after, kit)` answers one `GET /poll?after=n`. If there are events after `n` (`kit.after(n)`), answer `{ status: 200, events }` at once. Otherwise hold the request: answer as soon as one arrives (`kit.subscribe`), or `{ status: 204 }` when `kit.holdMs` (2 s) pass without news. Whichever happens first, give the other up: cancel the timer, unsubscribe.",
    "**Client.** `client(kit)` returns `{ start(), stop() }` and polls in a loop with its cursor, the last id it has: after a 200 deliver the new events in order and poll again at once; after a 204 poll again at once; after an error (a rejected poll or a status like 503) wait before the next poll, longer after each further error (`kit.backoff`: from 250 ms, doubling, at most 5 s, jittered with `kit.random()`).",
    "```ts\ntype PollEvent = { id: number; data: string };\ntype PollReply = { status: 200; events: PollEvent[] } | { status: 204 };\ninterface LongPollServerKit {\n  after(id: number): PollEvent[];\n  subscribe(listener: (e: PollEvent) => void): () => void; // returns unsubscribe\n  setTimeout(fn: () => void, ms: number): { cancel(): void };\n  now(): number;\n  readonly holdMs: number;\n}\ninterface LongPollClientKit {\n  poll(after: number): Promise<{ status: number; events?: PollEvent[] }>; // rejects on a network error\n  deliver(e: PollEvent): void;\n  sleep(ms: number): Promise<void>;\n  random(): number;\n  now(): number;\n  readonly backoff: { initialMs: number; maxMs: number };\n}\ninterface LongPollBuild {\n  handle(after: number, kit: LongPollServerKit): Promise<PollReply> | PollReply;\n  client(kit: LongPollClientKit): { start(): void; stop(): void };\n}\n```",
    "The checker publishes 30 messages with a quiet spell of 8–9 s in the middle, and watches both ends. It judges: every message delivered once, in order; a held poll answered within 5 ms of data arriving, never a 204 before the hold is up (that makes a busy loop) nor after it; no listener left subscribed; the next poll sent at once after an answer; a message delivered within one hold + one round trip (2,050 ms) when nothing is failing; while idle, one poll per hold; while the server fails, at most 4 polls plus 2 per second of the failure. Stage 2 attacks over 24 seeds with network drops, server restarts, 503 spells and bursts of 40 messages at once.",
  ].join("\n\n"),
  validate(solution) {
    for (const key of ["handle", "client"] as const) {
      if (typeof solution?.[key] !== "function") throw new ConfigError(`challenges["long-polling"].check`, key, solution?.[key], key === "handle" ? "a function (after, kit) => reply" : "a function (kit) => { start(), stop() }");
    }
  },
  stages: [
    {
      name: "works",
      goal: "healthy network: held polls answered when data arrives, 204 after the hold, every message once within a hold + RTT, no busy loop while idle",
      cases: seededCases(6, 1, () => ({ faults: [], size: 30 })),
      minSize: 2,
      run: async (solution, c) => outcome(await runCase(solution, c), c),
    },
    {
      name: "survives faults",
      goal: "drops, restarts, 503 spells, bursts: nothing lost or duplicated, errors backed off, no leaked listener",
      cases: faultCases,
      minSize: 4,
      run: async (solution, c) => outcome(await runCase(solution, c), c),
    },
  ],
  hints: {
    nudge: "Read the first failure: it says which side broke the rule (the server's answer or the client's next poll), at what time, and for which cursor.",
    approach: "The server's hold is a race between two things, a new event and a timer; whichever wins must also switch the other off. The client is a loop with one number kept across iterations (the cursor), and one more (the current wait) that only errors make grow and a success resets.",
    keyIdea: "An answer of any kind, data or 204, is the client's signal to ask again right away; only an error means wait. And an empty answer before the hold is over teaches the client nothing except to ask again, at full speed.",
  },
});

/** @internal One run of a case (the bench times it beside a full check). */
export { runCase as runLongPollCase };
