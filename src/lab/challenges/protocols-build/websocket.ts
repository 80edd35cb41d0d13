/**
 * Build challenge "websocket": the learner writes a reconnecting, resuming WebSocket client
 * on top of the browser-like {@link SimWebSocket}: jittered exponential backoff, resume after
 * the last id received, an app-level heartbeat that notices a connection gone silent, and the
 * RFC 6455 close codes that mean "do not come back". The checker runs it against a feed server
 * and attacks it with network drops, silent drops ({@link silentDrop}: the connection stays
 * open but nothing arrives), partitions, server restarts and server closes with 1000, 1008 and
 * 1011, then with a fleet of clients cut off by a deploy.
 */
import { ConfigError, Random, Simulation, SimWebSocket, TickFeed, WebSocketServer, networkDrop, silentDrop, type ServerWebSocket } from "sde-lab";
import { defineBuildChallenge, type CaseOutcome, type CheckCase, type FaultSpec } from "../build";
import { seededCases } from "../seeded-cases";

/** One message of the feed, as the app gets it. */
export interface WsMessage {
  /** 1, 2, 3… in the order the server published them. */
  readonly id: number;
  readonly data: string;
}

/** A timer you can cancel. */
export interface WsTimer {
  cancel(): void;
}

/** What the lab gives your client. */
export interface WsClientKit {
  /** Opens a new browser-like WebSocket to the feed server (handshake starts at once). Set its onopen/onmessage/onclose. */
  connect(): SimWebSocket;
  /** Hands a message to the app: every message exactly once, in id order. */
  deliver(message: WsMessage): void;
  /** Virtual time, ms. */
  now(): number;
  /** Runs `fn` after `ms` of virtual time. */
  setTimeout(fn: () => void, ms: number): WsTimer;
  /** Seeded random number in [0, 1): use it for jitter. */
  random(): number;
  /** The heartbeat to keep: a ping at least every `intervalMs`; no pong within `timeoutMs` means the connection is dead. */
  readonly heartbeat: { readonly intervalMs: number; readonly timeoutMs: number };
  /** Suggested reconnect waits: start at `initialMs`, double per failed attempt, never above `maxMs` (then jitter them). */
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
}

/** Your client: started once, stopped once at the end. */
export interface ResumingClient {
  start(): void;
  /** Stop for good: no more connects. */
  stop(): void;
}

/** What the challenge checks: a factory of your client. */
export interface WebSocketBuild {
  client(kit: WsClientKit): ResumingClient;
}

const HEARTBEAT = { intervalMs: 1_000, timeoutMs: 500 } as const;
const BACKOFF = { initialMs: 500, maxMs: 8_000 } as const;
const LATENCY = 25;
/** Time after the last message (and the last fault) for a client to come back and catch up. */
const SETTLE_MS = 12_000;
/** The fleet's first reconnects after a deploy: at most this share of them in any 100 ms. */
const SPREAD_SHARE = 0.5;
/** Mean wait before the 3rd attempt against a dead server ÷ before the 2nd: at least this (backoff grows). */
const GROWTH = 1.4;

interface SocketRecord {
  readonly ws: SimWebSocket;
  readonly at: number;
  closedByClientAt?: number;
  silencedAt?: number;
}

interface ClientState {
  readonly node: string;
  readonly sockets: SocketRecord[];
  readonly attempts: number[];
  readonly delivered: { id: number; at: number }[];
  stopped: boolean;
  /** Resume requests the server got from this client. */
  resumes: number;
  /** The server closed this client with 1000 or 1008 at this time: it must not come back. */
  endedAt?: number;
  endedCode?: number;
  violation?: { sentence: string; at: number };
}

function violate(state: ClientState, sentence: string, at: number): void {
  state.violation ??= { sentence: `${state.node}: ${sentence}`, at };
}

const ms = (t: number) => `${Math.round(t).toLocaleString("en-US")} ms`;

/** Publication times: bursts with two quiet spells longer than the heartbeat's interval + timeout. */
function publishTimes(seed: number, size: number): number[] {
  const random = new Random(seed * 31 + 7);
  const times: number[] = [];
  let t = 300;
  for (let i = 0; i < size; i++) {
    const quiet = size >= 6 && (i === Math.floor(size / 3) || i === Math.floor((2 * size) / 3));
    t += quiet ? random.int(2_500, 3_500) : random.int(20, 250);
    times.push(t);
  }
  return times;
}

/** The feed server: `{"type":"resume","after":n}` replays ids > n then streams; `{"type":"ping"}` gets `{"type":"pong"}`. */
function feedServer(sim: Simulation, feed: TickFeed, onBadMessage: (client: string, why: string) => void, onResume: (client: string) => void): WebSocketServer {
  const server = new WebSocketServer(sim, { heartbeatMs: 0 });
  server.onConnection((socket: ServerWebSocket) => {
    let unsubscribe = () => {};
    const send = (text: string) => {
      if (socket.readyState === 1) socket.send(text);
    };
    socket.onMessage((text) => {
      let m: { type?: unknown; after?: unknown };
      try {
        m = JSON.parse(text) as typeof m;
      } catch {
        onBadMessage(socket.client, `sent ${JSON.stringify(text.slice(0, 40))}, which is not JSON`);
        return;
      }
      if (m?.type === "ping") return send(JSON.stringify({ type: "pong" }));
      if (m?.type !== "resume") return onBadMessage(socket.client, `sent ${text.slice(0, 60)}: the server understands {"type":"resume","after":n} and {"type":"ping"}`);
      const after = m.after;
      if (typeof after !== "number" || !Number.isInteger(after) || after < 0) return onBadMessage(socket.client, `sent ${text.slice(0, 60)}: "after" must be a whole number ≥ 0 (the last id received, 0 before any)`);
      onResume(socket.client);
      unsubscribe();
      for (const e of feed.after(after)) send(JSON.stringify({ type: "msg", id: e.id, data: e.data }));
      unsubscribe = feed.subscribe((e) => send(JSON.stringify({ type: "msg", id: e.id, data: e.data })));
    });
    socket.onClose(() => unsubscribe());
  });
  return server;
}

function makeKit(sim: Simulation, state: ClientState, feed: TickFeed): WsClientKit {
  const random = sim.random.fork();
  return {
    heartbeat: HEARTBEAT,
    backoff: BACKOFF,
    now: () => sim.now,
    random: () => random.next(),
    setTimeout(fn, delay) {
      if (typeof fn !== "function") throw new ConfigError("kit.setTimeout", "fn", fn, "a function");
      if (!(typeof delay === "number" && delay >= 0)) throw new ConfigError("kit.setTimeout", "ms", delay, "a number of ms ≥ 0");
      // A wake event: a promise the callback resolves continues before the clock moves on.
      return sim.wakeAt(sim.now + delay, fn);
    },
    connect() {
      if (state.stopped) violate(state, `opened a connection at ${ms(sim.now)}, after stop()`, sim.now);
      else if (state.endedAt !== undefined) violate(state, `reconnected at ${ms(sim.now)} after the server closed it with ${state.endedCode} at ${ms(state.endedAt)}: that code means do not come back`, sim.now);
      state.attempts.push(sim.now);
      if (state.attempts.length > 400) throw new Error(`${state.node} opened more than 400 connections: a reconnect loop without a wait?`);
      const ws = new SimWebSocket(sim, { from: state.node, to: "api", path: "/ws" });
      const record: SocketRecord = { ws, at: sim.now };
      state.sockets.push(record);
      const close = ws.close.bind(ws);
      ws.close = (code?: number, reason?: string) => {
        record.closedByClientAt ??= sim.now;
        close(code, reason);
      };
      return ws;
    },
    deliver(message) {
      const id = message?.id;
      const last = state.delivered.at(-1)?.id ?? 0;
      const sent = feed.events[(id ?? 0) - 1];
      if (typeof id !== "number" || !sent) violate(state, `delivered ${JSON.stringify(message)}, which is not a message the server sent`, sim.now);
      else if (id <= last) {
        const first = state.delivered.find((d) => d.id === id);
        violate(state, `delivered message ${id} twice (at ${ms(first?.at ?? 0)} and again at ${ms(sim.now)})`, sim.now);
      } else if (id > last + 1) violate(state, `delivered message ${id} right after ${last}: message ${last + 1} was skipped`, sim.now);
      else if (message.data !== sent.data) violate(state, `delivered message ${id} with data ${JSON.stringify(message.data)}; the server sent ${JSON.stringify(sent.data)}`, sim.now);
      state.delivered.push({ id: typeof id === "number" ? id : -1, at: sim.now });
    },
  };
}

interface Run {
  sim: Simulation;
  states: ClientState[];
  faultTimes: number[];
  silentChecks: { state: ClientState; at: number }[];
  feed: TickFeed;
  endAt: number;
}

/** Builds the world for a case and runs it to the end. `clients` > 1 is the fleet. */
async function runCase(solution: WebSocketBuild, c: CheckCase, clients: number, messages: number): Promise<Run> {
  const sim = new Simulation({ seed: c.seed });
  const feed = new TickFeed(sim, { count: 0 });
  const states: ClientState[] = [];
  const byNode = new Map<string, ClientState>();
  const server = feedServer(
    sim,
    feed,
    (node, why) => {
      const s = byNode.get(node);
      if (s) violate(s, why, sim.now);
    },
    (node) => {
      const s = byNode.get(node);
      if (s) s.resumes++;
    },
  );
  const times = publishTimes(c.seed, messages);
  times.forEach((t, i) => sim.at(t, () => feed.publish("msg", `m${i + 1}-${(c.seed * 7 + i) % 97}`)));
  const faultTimes: number[] = [];
  const silentChecks: { state: ClientState; at: number }[] = [];
  let lastFaultEnd = 0;
  for (let i = 0; i < clients; i++) {
    const node = clients === 1 ? "app" : `user-${i + 1}`;
    sim.client(node);
    sim.network.setLink(node, "api", { latency: LATENCY });
    const state: ClientState = { node, sockets: [], attempts: [], delivered: [], stopped: false, resumes: 0 };
    states.push(state);
    byNode.set(node, state);
  }
  for (const f of c.faults) {
    const at = f.at ?? 1_000;
    const d = Number(f.params?.durationMs ?? 2_000);
    faultTimes.push(at);
    lastFaultEnd = Math.max(lastFaultEnd, at + d);
    if (f.kind === "drop") for (const s of states) networkDrop(sim, s.node, "api", { at, durationMs: d });
    else if (f.kind === "partition") {
      for (const s of states) {
        sim.faults.partition(s.node, "api", { at });
        sim.faults.heal(s.node, "api", { at: at + d });
      }
    } else if (f.kind === "restart") {
      sim.at(at, () => server.shutdown());
      sim.faults.crash("api", { at: at + 1 });
      sim.faults.restart("api", { at: at + d });
    } else if (f.kind === "silent") {
      // Strike when the client has an open socket and no handshake in flight (a silenced handshake would never end).
      for (const s of states) {
        const strike = () => {
          const live = s.sockets.filter((r) => r.ws.readyState !== 3 && r.closedByClientAt === undefined);
          if (s.endedAt !== undefined || s.stopped) return;
          if (live.length === 0 || live.some((r) => r.ws.readyState === 0)) return void sim.schedule(50, strike);
          silentDrop(sim, s.node, "api");
          for (const r of live) r.silencedAt = sim.now;
          silentChecks.push({ state: s, at: sim.now });
          faultTimes.push(sim.now);
        };
        sim.at(at, strike);
      }
    } else if (f.kind === "close") {
      const code = Number(f.params?.code ?? 1008);
      sim.at(at, () => {
        for (const sock of server.clients) {
          const s = byNode.get(sock.client);
          if (!s || s.endedAt !== undefined) continue;
          if (code === 1000 || code === 1008) {
            s.endedAt = sim.now;
            s.endedCode = code;
          }
          sim.trace.note("api", `closes ${sock.client} with ${code}`);
          sock.close(code, code === 1008 ? "token revoked" : code === 1000 ? "done" : "internal error");
        }
      });
    } else throw new Error(`unknown fault ${f.kind}`);
  }
  const builds = states.map((s) => {
    const client = solution.client(makeKit(sim, s, feed));
    if (typeof client?.start !== "function" || typeof client.stop !== "function") throw new ConfigError(`challenges["websocket"]: client(kit)`, "return value", client, "an object with start() and stop()");
    return client;
  });
  for (const b of builds) b.start();
  // The fleet only has to come back once the server is: the longest wait plus a round trip or two.
  const endAt = clients > 1 ? lastFaultEnd + BACKOFF.maxMs + 2_000 : Math.max(times.at(-1) ?? 0, lastFaultEnd) + SETTLE_MS;
  // In steps, so a run that already broke an invariant stops early (a failing check stays fast).
  while (sim.now < endAt && !states.some((s) => s.violation)) await sim.runUntil(Math.min(endAt, sim.now + 1_000));
  if (states.some((s) => s.violation)) return { sim, states, faultTimes, silentChecks, feed, endAt };
  for (const [i, b] of builds.entries()) {
    states[i]!.stopped = true;
    b.stop();
  }
  await sim.runUntil(endAt + 2_000);
  return { sim, states, faultTimes, silentChecks, feed, endAt };
}

/** The invariants every run must keep, for each client. */
function judge(run: Run): { sentence: string; at: number } | undefined {
  const { states, feed, silentChecks, faultTimes, endAt } = run;
  for (const s of states) if (s.violation) return s.violation;
  const bound = HEARTBEAT.intervalMs + HEARTBEAT.timeoutMs;
  for (const { state, at } of silentChecks) {
    const closed = state.sockets.filter((r) => r.silencedAt === at).map((r) => r.closedByClientAt ?? Infinity);
    const next = state.attempts.find((t) => t > at) ?? Infinity;
    const noticed = Math.min(next, ...closed);
    if (noticed > at + bound + 1) {
      return { sentence: `${state.node}: the connection went silent at ${ms(at)} and ${noticed === Infinity ? "the client never noticed" : `the client noticed only at ${ms(noticed)}`}: it must notice within the heartbeat's interval + timeout (${ms(bound)})`, at: at + bound };
    }
  }
  for (const s of states) {
    for (const r of s.sockets) {
      const t = r.closedByClientAt;
      if (t === undefined || t >= endAt || r.silencedAt !== undefined || s.endedAt !== undefined) continue;
      if (faultTimes.some((f) => f >= r.at && f <= t)) continue;
      const lastIn = s.delivered.filter((d) => d.at <= t).at(-1)?.at;
      return { sentence: `${s.node}: the client closed a healthy connection at ${ms(t)} (no fault had struck it${lastIn !== undefined ? `; the last message had come at ${ms(lastIn)}` : ""}): a quiet stream is not a dead one`, at: t };
    }
  }
  for (const s of states) {
    if (s.endedAt !== undefined) continue;
    const got = s.delivered.length;
    if (got < feed.events.length) {
      const missing = (s.delivered.at(-1)?.id ?? 0) + 1;
      const open = s.sockets.some((r) => r.ws.readyState === 1 && r.silencedAt === undefined);
      const why = s.resumes === 0 ? `the server never got a {"type":"resume","after":n}, and it streams only after one` : open ? "the client had an open connection" : "the client had no open connection at the end";
      return { sentence: `${s.node}: got ${got} of ${feed.events.length} messages by ${ms(endAt)}; message ${missing} never came (${why})`, at: feed.events[missing - 1]?.time ?? endAt };
    }
  }
  return undefined;
}

function describeRun(c: CheckCase): string {
  return c.faults.map((f) => f.label).join(", ");
}

const FAULT_KINDS: ((at: number, random: Random) => FaultSpec)[] = [
  (at, r) => {
    const d = r.int(500, 3_000);
    return { kind: "drop", label: `network drop at ${ms(at)} for ${ms(d)}`, at, params: { durationMs: d } };
  },
  (at) => ({ kind: "silent", label: `silent drop at ${ms(at)} (connection stays open, nothing arrives)`, at, params: { durationMs: 0 } }),
  (at, r) => {
    const d = r.int(1_000, 4_000);
    return { kind: "restart", label: `server restart at ${ms(at)} (1001, down ${ms(d)})`, at, params: { durationMs: d } };
  },
  (at, r) => {
    const d = r.int(2_000, 4_000);
    return { kind: "partition", label: `partition at ${ms(at)} for ${ms(d)} (TCP keeps resending)`, at, params: { durationMs: d } };
  },
  (at) => ({ kind: "close", label: `server closes with 1008 Policy Violation at ${ms(at)}`, at, params: { code: 1008, durationMs: 0 } }),
  (at) => ({ kind: "close", label: `server closes with 1011 Internal Error at ${ms(at)}`, at, params: { code: 1011, durationMs: 0 } }),
  (at) => ({ kind: "close", label: `server closes with 1000 Normal Closure at ${ms(at)}`, at, params: { code: 1000, durationMs: 0 } }),
];

const faultCases = seededCases(28, 100, (i, random) => {
  const first = FAULT_KINDS[i % FAULT_KINDS.length]!(random.int(800, 4_000), random);
  // Every fourth case adds a second fault later on: a silent drop after a drop, a restart after a silent drop…
  const faults = i % 4 === 3 && first.kind !== "close" ? [first, FAULT_KINDS[(i + 1) % 4]!(random.int(7_000, 9_000), random)] : [first];
  return { faults, size: 30 };
});

const fleetCases = seededCases(20, 300, (i) => {
  const at = 1_000 + (i % 5) * 137;
  return { faults: [{ kind: "restart", label: `deploy at ${ms(at)}: the server closes every socket with 1001 and is down for 6 s`, at, params: { durationMs: 6_000 } }], size: 20 };
});

function outcome(run: Run, broken: { sentence: string; at: number } | undefined, c: CheckCase): CaseOutcome {
  if (!broken) return { ok: true, sim: run.sim };
  return { ok: false, invariant: c.faults.length ? `${broken.sentence} (faults: ${describeRun(c)})` : broken.sentence, sim: run.sim, at: broken.at };
}

/** The fleet's reconnects after a deploy: spread out, and backing off while the server is down. */
function judgeFleet(run: Run, deployAt: number): { sentence: string; at: number } | undefined {
  const firsts = run.states.map((s) => s.attempts.find((t) => t > deployAt)).filter((t): t is number => t !== undefined).sort((a, b) => a - b);
  let busiest = 0;
  let from = 0;
  for (let i = 0, j = 0; i < firsts.length; i++) {
    while (firsts[i]! - firsts[j]! >= 100) j++;
    if (i - j + 1 > busiest) {
      busiest = i - j + 1;
      from = firsts[j]!;
    }
  }
  const n = run.states.length;
  if (busiest > SPREAD_SHARE * n) return { sentence: `after the deploy at ${ms(deployAt)}, ${busiest} of ${n} clients made their first reconnect within 100 ms (from ${ms(from)}): the fleet hits the server in lockstep; at most ${Math.floor(SPREAD_SHARE * n)} may`, at: from };
  const gaps = (k: number) => {
    const g = run.states.map((s) => s.attempts.filter((t) => t > deployAt)).filter((a) => a.length > k).map((a) => a[k]! - a[k - 1]!);
    return g.length >= n / 2 ? g.reduce((x, y) => x + y, 0) / g.length : undefined;
  };
  const g1 = gaps(1);
  const g2 = gaps(2);
  if (g1 !== undefined && g2 !== undefined && g2 < GROWTH * g1) {
    return { sentence: `while the server was down, the fleet waited ${ms(g1)} on average before its 2nd attempt and ${ms(g2)} before its 3rd: the wait must grow (at least ${GROWTH}× here), or a dead server is hammered at a steady rate`, at: deployAt };
  }
  return undefined;
}

export const websocketBuild = defineBuildChallenge<WebSocketBuild>({
  id: "websocket",
  title: "Write a reconnecting WebSocket client that resumes and notices a silent drop",
  statement: [
    "The browser's `WebSocket` neither reconnects nor resumes: write the client that does. `client(kit)` returns `{ start(), stop() }`; `kit.connect()` opens a new `SimWebSocket` (the browser API: `onopen`, `onmessage`, `onclose` with `code`, `send`, `close`) to a feed server that speaks JSON:",
    '- you send `{"type":"resume","after":n}` once per connection: the server sends every message with id > n (0 before any), then each new one as `{"type":"msg","id":7,"data":"…"}`;\n- you send `{"type":"ping"}`: it answers `{"type":"pong"}` (browsers cannot send WebSocket ping frames, so heartbeats are app-level);\n- the server may close with 1001 Going Away (a deploy), 1011 Internal Error, 1000 Normal Closure or 1008 Policy Violation (RFC 6455 §7.4.1). After 1000 or 1008 the server is done with you: do not reconnect. After 1001, 1011 or an abnormal close (1006) reconnect.',
    "Call `kit.deliver({ id, data })` for every message exactly once, in id order. Reconnect with exponential backoff (`kit.backoff`: from 500 ms, doubling, at most 8 s) and jitter from `kit.random()`. Ping at least every `kit.heartbeat.intervalMs` (1 s); when no pong came within `timeoutMs` (500 ms), the connection is dead: `close()` it and reconnect — its `onclose` may never fire, so do not wait for it.",
    "```ts\ninterface WsClientKit {\n  connect(): SimWebSocket;\n  deliver(message: { id: number; data: string }): void;\n  now(): number;\n  setTimeout(fn: () => void, ms: number): { cancel(): void };\n  random(): number; // [0, 1), seeded\n  readonly heartbeat: { intervalMs: number; timeoutMs: number };\n  readonly backoff: { initialMs: number; maxMs: number };\n}\ninterface WebSocketBuild { client(kit: WsClientKit): { start(): void; stop(): void } }\n```",
    "The checker publishes 30 messages in bursts with quiet spells of 2.5–3.5 s (quiet is not dead), then attacks over 28 seeds: network drops (both ends see 1006), **silent drops** (the connection stays open at both ends and nothing arrives — a NAT or load balancer forgot it), partitions (TCP keeps resending), server restarts, and closes with 1000, 1008 and 1011. It judges: every message exactly once and in order, a silent drop noticed within interval + timeout (1.5 s), no healthy connection closed, no reconnect after 1000 or 1008. Then a fleet of 20 clients is cut off by a deploy (1001, server down for 6 s), 20 times: their first reconnects must not come in lockstep (at most half in any 100 ms) and their waits must grow while the server is down.",
  ].join("\n\n"),
  validate(solution) {
    if (typeof solution?.client !== "function") throw new ConfigError(`challenges["websocket"].check`, "client", solution?.client, "a function (kit) => { start(), stop() }");
  },
  stages: [
    {
      name: "works",
      goal: "no faults: every message delivered once, in order, through the quiet spells, on one connection",
      cases: seededCases(5, 1, () => ({ faults: [], size: 30 })),
      minSize: 1,
      async run(solution, c) {
        const run = await runCase(solution, c, 1, c.size);
        const broken = judge(run);
        if (broken) return outcome(run, broken, c);
        const extra = run.states[0]!.attempts.length;
        if (extra > 1) return outcome(run, { sentence: `app opened ${extra} connections on a healthy network (at ${run.states[0]!.attempts.map(ms).join(", ")}): one is enough`, at: run.states[0]!.attempts[1]! }, c);
        return outcome(run, undefined, c);
      },
    },
    {
      name: "survives faults",
      goal: "drops, silent drops, partitions, restarts, closes 1000/1008/1011: exactly once, in order, silent drop noticed in 1.5 s, no reconnect after 1000/1008",
      cases: faultCases,
      minSize: 6,
      async run(solution, c) {
        const run = await runCase(solution, c, 1, c.size);
        return outcome(run, judge(run), c);
      },
    },
    {
      name: "fleet after a deploy",
      goal: "20 clients cut off by a deploy: reconnects spread (≤ half in any 100 ms), waits growing while the server is down, every client caught up",
      cases: fleetCases,
      minSize: 10,
      async run(solution, c) {
        const run = await runCase(solution, c, c.size, 10);
        // The shrinker may drop the deploy: then only the per-client invariants apply.
        const deployAt = c.faults[0]?.at;
        return outcome(run, judge(run) ?? (deployAt === undefined ? undefined : judgeFleet(run, deployAt)), c);
      },
    },
  ],
  hints: {
    nudge: "Read the first failure: it names the client, the time and the message or connection involved. The trace under it shows what was on the wire just before.",
    approach: "Keep three things outside any one socket: the last id delivered, the current wait before the next attempt, and which socket is current. Every open starts with a resume from that id; every close decides, from its code, whether to come back; every message from a socket that is no longer current is ignored. Alongside, one timer pings and another gives up on a pong that is late.",
    keyIdea: "A dead connection can look exactly like a quiet one: only a question the server must answer (a ping) tells them apart, and only a deadline on the answer turns silence into a decision. Randomness is what keeps a thousand clients cut off together from coming back together.",
  },
});

/** @internal One run of a case (the bench times it beside a full check). */
export { runCase as runWebSocketCase, judge as judgeWebSocketRun };
