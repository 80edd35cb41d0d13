/**
 * "Run it on a real broker": replays a simulated broker's topology (exchanges, queues,
 * bindings) on a real RabbitMQ with the real amqplib client, publishes the same messages to
 * both, and shows what each queue received side by side. The code that declares, publishes
 * and reads is written once against amqplib's channel API and runs on both, which is the
 * point: what works here carries over unchanged.
 *
 * Never throws for a missing broker or client: without a URL, without the `amqplib` package,
 * or when the broker cannot be reached, it returns a note saying how to get one.
 */
import { markdown, table, type Displayable } from "../../display";
import { Simulation } from "../../sim/simulation";
import { toBuffer, type Content } from "../content";
import { RabbitMQ, type RabbitMQTopology } from "./broker";
import type { PublishOptions } from "./types";

/** The part of amqplib's channel API the comparison uses (the simulation's channels have it too). */
export interface TopologyChannel {
  assertExchange(exchange: string, type: string, options?: object): Promise<unknown>;
  assertQueue(queue: string, options?: object): Promise<{ queue: string }>;
  bindQueue(queue: string, source: string, pattern: string, args?: object): Promise<unknown>;
  bindExchange(destination: string, source: string, pattern: string, args?: object): Promise<unknown>;
  publish(exchange: string, routingKey: string, content: Uint8Array, options?: object): boolean;
  waitForConfirms(): Promise<unknown>;
  get(queue: string, options?: { noAck?: boolean }): Promise<{ content: { toString(): string } } | false>;
  deleteQueue(queue: string): Promise<unknown>;
  deleteExchange(exchange: string): Promise<unknown>;
  close(): Promise<unknown>;
}

/** What `require("amqplib")` returns (the part used here). */
export interface AmqplibLike {
  connect(url: string): Promise<{ createConfirmChannel(): Promise<TopologyChannel>; close(): Promise<unknown>; on(event: string, listener: (...args: never[]) => void): unknown }>;
}

/** One message to publish on both brokers. */
export interface ComparePublish {
  exchange: string;
  routingKey: string;
  /** A string is sent as UTF-8 (as a Buffer to the real broker). */
  content: Content;
  options?: PublishOptions;
}

/** Options of {@link compareOnRealBroker}. */
export interface RealBrokerOptions {
  /** The broker's URL, e.g. `process.env.AMQP_URL`; undefined: say how to start one and skip. */
  url: string | undefined;
  /** Loads amqplib, e.g. `() => require("amqplib")`; a failure (not installed) is explained, not thrown. */
  load: () => unknown;
  /** The messages to publish. */
  publish: readonly ComparePublish[];
  /** Prefix for the names declared on the real broker, so nothing of yours is touched; removed afterwards. Default `"sde-lab."`. */
  prefix?: string;
}

/** How to get a broker, in one command. */
export const START_A_BROKER = "docker run -d -p 5672:5672 rabbitmq:3.10";

/** Declares a topology on a channel, with names prefixed (predeclared `amq.*` exchanges keep theirs). */
async function declare(ch: TopologyChannel, t: RabbitMQTopology, prefix: string): Promise<void> {
  const ex = (n: string) => (n === "" || n.startsWith("amq.") ? n : prefix + n);
  for (const e of t.exchanges) {
    const ae = e.options.alternateExchange;
    await ch.assertExchange(ex(e.name), e.type, { ...e.options, alternateExchange: ae === undefined ? undefined : ex(ae) });
  }
  for (const q of t.queues) {
    const args = { ...q.options.arguments };
    if (typeof args["x-dead-letter-exchange"] === "string") args["x-dead-letter-exchange"] = ex(args["x-dead-letter-exchange"]);
    await ch.assertQueue(prefix + q.name, { durable: false, autoDelete: false, arguments: args });
  }
  for (const b of t.bindings) {
    if (b.kind === "queue") await ch.bindQueue(prefix + b.destination, ex(b.source), b.pattern, b.args);
    else await ch.bindExchange(ex(b.destination), ex(b.source), b.pattern, b.args);
  }
}

/** Publishes, waits for the broker's confirms, then reads every queue empty. */
async function publishAndRead(ch: TopologyChannel, t: RabbitMQTopology, publish: readonly ComparePublish[], prefix: string): Promise<Map<string, string[]>> {
  const ex = (n: string) => (n === "" || n.startsWith("amq.") ? n : prefix + n);
  for (const p of publish) ch.publish(ex(p.exchange), p.routingKey, toBuffer(p.content), p.options ?? {});
  // Confirms mean every message is in its queues: no sleeping on a wall clock.
  await ch.waitForConfirms();
  const out = new Map<string, string[]>();
  for (const q of t.queues) {
    const got: string[] = [];
    for (let m = await ch.get(prefix + q.name, { noAck: true }); m; m = await ch.get(prefix + q.name, { noAck: true })) got.push(m.content.toString());
    out.set(q.name, got);
  }
  return out;
}

/**
 * Runs `rabbit`'s topology and the given publishes on a fresh simulated broker and on the real
 * broker at `url` (with amqplib), and shows each queue's messages from both side by side.
 * Without a URL, the amqplib package or a reachable broker it returns a note and skips.
 *
 * @example
 * await compareOnRealBroker(rabbit, { url: process.env.AMQP_URL, load: () => require("amqplib"), publish: keys.map((k) => ({ exchange: "orders", routingKey: k, content: k })) });
 */
export async function compareOnRealBroker(rabbit: RabbitMQ, options: RealBrokerOptions): Promise<Displayable> {
  const topology = rabbit.topology();
  const prefix = options.prefix ?? "sde-lab.";
  if (!options.url) return markdown(`No real broker configured (\`AMQP_URL\` is not set), so this comparison is skipped. Start one with \`${START_A_BROKER}\` then set \`sdeLab.rabbitmq.url\` to \`amqp://localhost\` in VS Code's settings and restart the kernel (or set \`AMQP_URL\` where the CLI runs).`);
  let amqp: AmqplibLike;
  try {
    amqp = options.load() as AmqplibLike;
  } catch {
    return markdown("The `amqplib` package is not installed where this notebook can load it; skipped. Install it in the notebook's folder: `npm install amqplib`.");
  }
  // The simulation: a fresh broker with the same topology, so earlier cells' messages do not count.
  const sim = new Simulation({ seed: 1 });
  const twin = new RabbitMQ(sim);
  const simulated = await sim.run(async () => {
    const ch = await (await twin.connect()).createConfirmChannel();
    await declare(ch as unknown as TopologyChannel, topology, "");
    return publishAndRead(ch as unknown as TopologyChannel, topology, options.publish, "");
  });
  let real: Map<string, string[]>;
  let conn: Awaited<ReturnType<AmqplibLike["connect"]>> | undefined;
  try {
    conn = await amqp.connect(options.url);
    conn.on("error", () => undefined);
    const ch = await conn.createConfirmChannel();
    await declare(ch, topology, prefix);
    try {
      real = await publishAndRead(ch, topology, options.publish, prefix);
    } finally {
      for (const q of topology.queues) await ch.deleteQueue(prefix + q.name);
      for (const e of topology.exchanges) await ch.deleteExchange(prefix + e.name);
      await ch.close();
    }
  } catch (error) {
    return markdown(`Could not run on the broker at \`${options.url.replace(/\/\/[^@/]*@/, "//")}\`: ${error instanceof Error ? error.message : String(error)}. Skipped. Start one with \`${START_A_BROKER}\`.`);
  } finally {
    await conn?.close().catch(() => undefined);
  }
  return table(
    topology.queues.map((q) => {
      const a = simulated.get(q.name) ?? [];
      const b = real.get(q.name) ?? [];
      return { queue: q.name, simulation: a.join(", ") || "(empty)", RabbitMQ: b.join(", ") || "(empty)", same: a.join("\u0000") === b.join("\u0000") ? "✔" : "✘" };
    }),
  );
}
