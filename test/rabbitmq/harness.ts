/**
 * The differential harness: one scenario, written once against amqplib's promise API, runs
 * against the simulated broker (`new RabbitMQ(sim)`, virtual time) or a real RabbitMQ (the
 * `amqplib` package, wall-clock time), and produces an outcome that can be compared as JSON:
 * what the scenario returned plus a log of channel and connection events.
 */
import type { Channel, ChannelModel, ConsumeMessage, GetMessage } from "amqplib";
import { Simulation } from "../../src/lab/index";
import { RabbitMQ } from "../../src/lab/messaging/index";

/** What a scenario gets: connections, time, unique names and an event log. */
export interface Ctx {
  /** A new connection (amqplib's `amqp.connect(url)`). */
  connect(): Promise<ChannelModel>;
  /** Waits `ms` (virtual in the simulation, real against the broker). */
  sleep(ms: number): Promise<void>;
  /** Lets frames in flight arrive (a short sleep). */
  settle(): Promise<void>;
  /** A name unique to this run (the run prefix is stripped from outcomes). */
  n(name: string): string;
  /** Records an event. */
  log(...entry: unknown[]): void;
  /** Logs `error` (code, classId, methodId) and `close` events of a channel or connection under `label`. */
  watch(label: string, emitter: { on(event: string, listener: (...args: never[]) => void): unknown }): void;
  /** Awaits an operation: `{ ok: value }` or `{ error: { code, classId, methodId } }`. */
  attempt<T>(op: () => Promise<T> | T): Promise<{ ok: T } | { error: unknown }>;
}

/** One scenario. */
export interface Scenario {
  /** Unique, stable (the key in expected.json). */
  name: string;
  /** Where the behaviour is documented or tested upstream. */
  source: string;
  run(ctx: Ctx): Promise<unknown>;
  /**
   * A deliberate difference: the simulation's outcome is checked against `sim` (recorded
   * from the simulation) instead of the real broker's. Listed in docs/rabbitmq.md.
   */
  knownDifference?: { why: string };
}

/** A message as the outcome shows it: body, content type, fields (no consumer tag) and properties. */
export function msg(m: ConsumeMessage | GetMessage | false | null): unknown {
  if (m === false || m === null) return m;
  const { consumerTag: _tag, ...fields } = m.fields as unknown as Record<string, unknown>;
  void _tag;
  return { body: m.content.toString(), buffer: Buffer.isBuffer(m.content), fields, properties: m.properties };
}

/** The error part of an outcome: code and where it came from, not the text. */
export function errorShape(e: unknown): unknown {
  if (!(e instanceof Error)) return { thrown: String(e) };
  const x = e as Error & { code?: unknown; classId?: unknown; methodId?: unknown };
  if (x.code === undefined) return { name: x.name === "IllegalOperationError" ? x.name : "Error" };
  return { code: x.code, classId: x.classId, methodId: x.methodId };
}

/** Turns an outcome into comparable JSON: Buffers as text, run prefix stripped, times and generated names replaced. */
export function normalise(value: unknown, prefix: string): unknown {
  const text = JSON.stringify(value, (key, v: unknown) => {
    if (v === undefined) return "<undefined>";
    if (v && typeof v === "object" && (v as { type?: unknown }).type === "Buffer" && Array.isArray((v as { data?: unknown }).data)) return { buffer: Buffer.from((v as { data: number[] }).data).toString() };
    if (key === "time" && v && typeof v === "object" && "value" in v) return { ...(v as object), value: "<seconds>" };
    return v;
  });
  return JSON.parse(text.split(prefix).join("").replace(/amq\.gen-[A-Za-z0-9_-]+/g, "amq.gen-<random>")) as unknown;
}

function makeCtx(prefix: string, rawConnect: () => Promise<ChannelModel>, sleep: (ms: number) => Promise<void>, events: unknown[]): Ctx {
  let conns = 0;
  const watch = (label: string, emitter: { on(event: string, listener: (...args: never[]) => void): unknown }) => {
    emitter.on("error", ((e: unknown) => events.push([label, "error", errorShape(e)])) as (...args: never[]) => void);
    emitter.on("close", (() => events.push([label, "close"])) as (...args: never[]) => void);
  };
  // Every connection and channel is watched, so an error event is logged rather than thrown.
  const connect = async () => {
    const conn = await rawConnect();
    const c = ++conns;
    let chans = 0;
    watch(`conn${c}`, conn);
    for (const method of ["createChannel", "createConfirmChannel"] as const) {
      const original = conn[method].bind(conn) as () => Promise<Channel>;
      (conn as unknown as Record<string, unknown>)[method] = async () => {
        const ch = await original();
        watch(`conn${c}.ch${++chans}`, ch);
        return ch;
      };
    }
    return conn;
  };
  return {
    connect,
    sleep,
    settle: () => sleep(200),
    n: (name) => `${prefix}${name}`,
    log: (...entry) => void events.push(entry.length === 1 ? entry[0] : entry),
    watch,

    async attempt(op) {
      try {
        return { ok: await op() };
      } catch (e) {
        return { error: errorShape(e) };
      }
    },
  };
}

/** A scenario's outcome: what it returned and the events it logged, normalised. */
export interface Outcome {
  result: unknown;
  events: unknown[];
}

/** Runs a scenario against a fresh simulated broker. */
export async function runOnSim(s: Scenario, seed = 1): Promise<Outcome> {
  const sim = new Simulation({ seed });
  const rabbit = new RabbitMQ(sim);
  const events: unknown[] = [];
  const opened: ChannelModel[] = [];
  const ctx = makeCtx("sim-", async () => {
    const c = (await rabbit.connect()) as unknown as ChannelModel;
    opened.push(c);
    return c;
  }, (ms) => sim.sleep(ms), events);
  const result = await sim.run(async () => {
    try {
      return { value: await s.run(ctx) };
    } catch (e) {
      return { threw: errorShape(e) };
    }
  });
  return normalise({ result, events }, "sim-") as Outcome;
}

/** Runs a scenario against a real broker at `url` with amqplib. */
export async function runOnBroker(s: Scenario, url: string, runId: string, index: number): Promise<Outcome> {
  const amqp = await import("amqplib");
  const events: unknown[] = [];
  const opened: ChannelModel[] = [];
  const prefix = `sdl-${runId}-${index}-`;
  const ctx = makeCtx(prefix, async () => {
    const c = await amqp.connect(url);
    opened.push(c);
    return c;
  }, (ms) => new Promise((r) => setTimeout(r, ms)), events);
  let result: unknown;
  try {
    result = { value: await s.run(ctx) };
  } catch (e) {
    result = { threw: errorShape(e) };
  }
  const seen = [...events];
  for (const c of opened) await c.close().catch(() => undefined);
  return normalise({ result, events: seen }, prefix) as Outcome;
}

/** Collects deliveries of a consumer as outcome entries. */
export function collector(): { got: unknown[]; on: (m: ConsumeMessage | null) => void } {
  const got: unknown[] = [];
  return { got, on: (m) => void got.push(m === null ? null : m.content.toString()) };
}

export type { Channel, ChannelModel, ConsumeMessage };
