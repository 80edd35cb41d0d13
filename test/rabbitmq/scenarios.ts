/**
 * The differential scenarios: each is written once against amqplib's promise API and runs
 * unchanged against the simulation and a real RabbitMQ (see harness.ts). They come from
 * RabbitMQ's documentation (exchanges, queues, TTL, max-length, dead-lettering, consumer
 * priority, single active consumer, confirms, validated user id, sender-selected
 * distribution, alternate exchanges, channel and connection errors) and the behaviours its
 * own test suites check; the expected outcomes are recorded from RabbitMQ 3.10 with amqplib
 * 2.3 in expected.json.
 */
import type { Channel, ChannelModel, ConfirmChannel } from "amqplib";
import { collector, msg, type Ctx, type Scenario } from "./harness";

const B = (s: string) => Buffer.from(s);

/** A connection and a watched channel. */
async function open(ctx: Ctx, confirm = false): Promise<{ conn: ChannelModel; ch: Channel }> {
  const conn = await ctx.connect();
  const ch = confirm ? await conn.createConfirmChannel() : await conn.createChannel();
  return { conn, ch };
}

/** A message without RabbitMQ 3.13's x-last-death-* headers (asserted on their own in a known-difference scenario). */
function dead(m: Parameters<typeof msg>[0]): unknown {
  const out = msg(m) as { properties?: { headers?: Record<string, unknown> } } | false | null;
  if (out && out.properties?.headers) for (const k of Object.keys(out.properties.headers)) if (k.startsWith("x-last-death-")) delete out.properties.headers[k];
  return out;
}

/** Drains a queue with basic.get (acking each), returning the bodies. */
async function drain(ch: Channel, queue: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const m = await ch.get(queue, { noAck: true });
    if (m === false) return out;
    out.push(m.content.toString());
  }
}

/** Declares transient queues and returns their names. */
async function queues(ctx: Ctx, ch: Channel, ...names: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const n of names) out.push((await ch.assertQueue(ctx.n(n), { durable: false })).queue);
  return out;
}

export const scenarios: Scenario[] = [
  // ---- exchanges and routing -----------------------------------------------------------
  {
    name: "direct exchange routes by exact key; unmatched keys are dropped",
    source: "tutorial 4 (routing); exchanges guide",
    async run(ctx) {
      const { ch } = await open(ctx);
      const ex = ctx.n("direct");
      await ch.assertExchange(ex, "direct", { durable: false });
      const [a, b] = await queues(ctx, ch, "a", "b");
      await ch.bindQueue(a!, ex, "red");
      await ch.bindQueue(a!, ex, "green");
      await ch.bindQueue(b!, ex, "red");
      for (const k of ["red", "green", "blue", "RED"]) ch.publish(ex, k, B(k));
      await ctx.settle();
      return { a: await drain(ch, a!), b: await drain(ch, b!) };
    },
  },
  {
    name: "fanout ignores the routing key; a queue bound twice gets one copy",
    source: "exchanges guide (fanout)",
    async run(ctx) {
      const { ch } = await open(ctx);
      const ex = ctx.n("fan");
      await ch.assertExchange(ex, "fanout", { durable: false });
      const [a, b] = await queues(ctx, ch, "a", "b");
      await ch.bindQueue(a!, ex, "x");
      await ch.bindQueue(a!, ex, "y");
      await ch.bindQueue(b!, ex, "");
      ch.publish(ex, "anything", B("m1"));
      await ctx.settle();
      return { a: await drain(ch, a!), b: await drain(ch, b!) };
    },
  },
  {
    name: "topic * and # against empty, one-word and many-word keys",
    source: "tutorial 5 (topics); rabbit_exchange_type_topic tests",
    async run(ctx) {
      const { ch } = await open(ctx);
      const ex = ctx.n("topic");
      await ch.assertExchange(ex, "topic", { durable: false });
      const patterns = ["*", "#", "a.*", "a.#", "#.b", "*.#", "#.#", "*.*", "a.#.b"];
      const names = await queues(ctx, ch, ...patterns.map((_, i) => `p${i}`));
      for (let i = 0; i < patterns.length; i++) await ch.bindQueue(names[i]!, ex, patterns[i]!);
      for (const k of ["", "a", "b", "a.b", "a.x.b", "a.b.c", ".", "a."]) ch.publish(ex, k, B(k === "" ? "<empty>" : k));
      await ctx.settle();
      const out: Record<string, string[]> = {};
      for (let i = 0; i < patterns.length; i++) out[patterns[i]!] = await drain(ch, names[i]!);
      return out;
    },
  },
  {
    name: "headers exchange: all and any, missing and void values",
    source: "exchanges guide (headers)",
    async run(ctx) {
      const { ch } = await open(ctx);
      const ex = ctx.n("hdr");
      await ch.assertExchange(ex, "headers", { durable: false });
      const [all, any, empty, anyEmpty] = await queues(ctx, ch, "all", "any", "empty", "anyEmpty");
      await ch.bindQueue(all!, ex, "", { "x-match": "all", format: "pdf", type: "report" });
      await ch.bindQueue(any!, ex, "", { "x-match": "any", format: "pdf", type: "report" });
      await ch.bindQueue(empty!, ex, "", {});
      await ch.bindQueue(anyEmpty!, ex, "", { "x-match": "any" });
      ch.publish(ex, "", B("both"), { headers: { format: "pdf", type: "report" } });
      ch.publish(ex, "", B("one"), { headers: { format: "pdf" } });
      ch.publish(ex, "", B("wrong"), { headers: { format: "zip", type: "log" } });
      ch.publish(ex, "", B("none"));
      await ctx.settle();
      return { all: await drain(ch, all!), any: await drain(ch, any!), empty: await drain(ch, empty!), anyEmpty: await drain(ch, anyEmpty!) };
    },
  },
  {
    name: "headers exchange: any-with-x and all-with-x compare x- headers",
    source: "exchanges guide (headers, x-match any-with-x / all-with-x, RabbitMQ ≥ 3.10)",
    async run(ctx) {
      const { ch } = await open(ctx);
      const ex = ctx.n("hdrx");
      await ch.assertExchange(ex, "headers", { durable: false });
      const [allX, anyX, all, any] = await queues(ctx, ch, "allX", "anyX", "all", "any");
      await ch.bindQueue(allX!, ex, "", { "x-match": "all-with-x", "x-tenant": "t1", kind: "a" });
      await ch.bindQueue(anyX!, ex, "", { "x-match": "any-with-x", "x-tenant": "t1" });
      await ch.bindQueue(all!, ex, "", { "x-match": "all", "x-tenant": "t1", kind: "a" });
      await ch.bindQueue(any!, ex, "", { "x-match": "any", "x-tenant": "t1" });
      ch.publish(ex, "", B("t1a"), { headers: { "x-tenant": "t1", kind: "a" } });
      ch.publish(ex, "", B("t2a"), { headers: { "x-tenant": "t2", kind: "a" } });
      ch.publish(ex, "", B("t1"), { headers: { "x-tenant": "t1" } });
      await ctx.settle();
      return { allX: await drain(ch, allX!), anyX: await drain(ch, anyX!), all: await drain(ch, all!), any: await drain(ch, any!) };
    },
  },
  {
    name: "default exchange routes to the queue named by the key and refuses bindings (403)",
    source: "AMQP 0-9-1 model (default exchange)",
    async run(ctx) {
      const { ch } = await open(ctx);
      const [q] = await queues(ctx, ch, "q");
      ch.sendToQueue(q!, B("via sendToQueue"));
      ch.publish("", q!, B("via publish"));
      ch.publish("", ctx.n("nope"), B("lost"));
      await ctx.settle();
      const got = await drain(ch, q!);
      const bind = await ctx.attempt(() => ch.bindQueue(q!, "", q!));
      return { got, bind };
    },
  },
  {
    name: "exchange-to-exchange bindings route through, and unbindExchange stops it",
    source: "exchange-to-exchange bindings guide",
    async run(ctx) {
      const { ch } = await open(ctx);
      const src = ctx.n("src");
      const dst = ctx.n("dst");
      await ch.assertExchange(src, "topic", { durable: false });
      await ch.assertExchange(dst, "fanout", { durable: false });
      const [q] = await queues(ctx, ch, "q");
      await ch.bindQueue(q!, dst, "");
      await ch.bindExchange(dst, src, "orders.#");
      ch.publish(src, "orders.eu", B("1"));
      ch.publish(src, "users.eu", B("2"));
      await ctx.settle();
      const before = await drain(ch, q!);
      await ch.unbindExchange(dst, src, "orders.#");
      ch.publish(src, "orders.eu", B("3"));
      await ctx.settle();
      return { before, after: await drain(ch, q!) };
    },
  },
  {
    name: "unbindQueue stops routing; unbinding what is not bound is fine",
    source: "AMQP 0-9-1 queue.unbind",
    async run(ctx) {
      const { ch } = await open(ctx);
      const ex = ctx.n("d");
      await ch.assertExchange(ex, "direct", { durable: false });
      const [q] = await queues(ctx, ch, "q");
      await ch.bindQueue(q!, ex, "k");
      ch.publish(ex, "k", B("1"));
      await ch.unbindQueue(q!, ex, "k");
      const again = await ctx.attempt(() => ch.unbindQueue(q!, ex, "k"));
      ch.publish(ex, "k", B("2"));
      await ctx.settle();
      return { got: await drain(ch, q!), again };
    },
  },
  {
    name: "publishing to an internal exchange is refused with 403; it still routes from another exchange",
    source: "exchanges guide (internal); AMQP access-refused",
    async run(ctx) {
      const { ch } = await open(ctx);
      const front = ctx.n("front");
      const inner = ctx.n("inner");
      await ch.assertExchange(front, "fanout", { durable: false });
      await ch.assertExchange(inner, "fanout", { durable: false, internal: true });
      const [q] = await queues(ctx, ch, "q");
      await ch.bindQueue(q!, inner, "");
      await ch.bindExchange(inner, front, "");
      ch.publish(front, "", B("via front"));
      await ctx.settle();
      ch.publish(inner, "", B("direct to internal"));
      await ctx.settle();
      const { ch: ch2 } = await open(ctx);
      return { got: await drain(ch2, q!) };
    },
  },
  {
    name: "alternate exchange takes what no binding matched",
    source: "alternate exchanges guide",
    async run(ctx) {
      const { ch } = await open(ctx);
      const ae = ctx.n("ae");
      const main = ctx.n("main");
      await ch.assertExchange(ae, "fanout", { durable: false });
      await ch.assertExchange(main, "direct", { durable: false, alternateExchange: ae });
      const [routed, unrouted] = await queues(ctx, ch, "routed", "unrouted");
      await ch.bindQueue(routed!, main, "ok");
      await ch.bindQueue(unrouted!, ae, "");
      ch.publish(main, "ok", B("1"));
      ch.publish(main, "other", B("2"));
      await ctx.settle();
      return { routed: await drain(ch, routed!), unrouted: await drain(ch, unrouted!) };
    },
  },
  {
    name: "mandatory unroutable message comes back with 312 NO_ROUTE",
    source: "publishers guide (unroutable messages); AMQP basic.return",
    async run(ctx) {
      const { ch } = await open(ctx);
      const ex = ctx.n("d");
      await ch.assertExchange(ex, "direct", { durable: false });
      const returned: unknown[] = [];
      ch.on("return", (m: Parameters<typeof msg>[0]) => returned.push(msg(m)));
      ch.publish(ex, "nowhere", B("back"), { mandatory: true, messageId: "m1" });
      ch.publish(ex, "nowhere", B("dropped"));
      ch.sendToQueue(ctx.n("missing-q"), B("back too"), { mandatory: true });
      await ctx.settle();
      return { returned };
    },
  },
  {
    name: "a mandatory message taken by the alternate exchange is not returned",
    source: "alternate exchanges guide",
    async run(ctx) {
      const { ch } = await open(ctx);
      const ae = ctx.n("ae");
      const main = ctx.n("main");
      await ch.assertExchange(ae, "fanout", { durable: false });
      await ch.assertExchange(main, "direct", { durable: false, alternateExchange: ae });
      const [q] = await queues(ctx, ch, "q");
      await ch.bindQueue(q!, ae, "");
      let returns = 0;
      ch.on("return", () => returns++);
      ch.publish(main, "x", B("1"), { mandatory: true });
      await ctx.settle();
      return { returns, got: await drain(ch, q!) };
    },
  },
  {
    name: "publishing to a missing exchange closes the channel with 404, the connection stays",
    source: "channels guide (channel-level exceptions)",
    async run(ctx) {
      const { conn, ch } = await open(ctx);
      ch.publish(ctx.n("missing"), "k", B("x"));
      await ctx.settle();
      const after = await ctx.attempt(() => ch.assertQueue(ctx.n("q"), { durable: false }));
      const ch2 = await conn.createChannel();
      const ok = await ch2.assertQueue(ctx.n("q2"), { durable: false });
      return { after, ok: ok.queue };
    },
  },
  {
    name: "CC adds routes and stays in the headers; BCC routes and is stripped",
    source: "sender-selected distribution guide",
    async run(ctx) {
      const { ch } = await open(ctx);
      const ex = ctx.n("d");
      await ch.assertExchange(ex, "direct", { durable: false });
      const [a, b, c] = await queues(ctx, ch, "a", "b", "c");
      await ch.bindQueue(a!, ex, "a");
      await ch.bindQueue(b!, ex, "b");
      await ch.bindQueue(c!, ex, "c");
      ch.publish(ex, "a", B("cc"), { CC: ["b"] });
      ch.publish(ex, "a", B("bcc"), { BCC: "c" } as object);
      await ctx.settle();
      const shapes: Record<string, unknown[]> = {};
      for (const q of [a!, b!, c!]) {
        shapes[q] = [];
        for (let m = await ch.get(q, { noAck: true }); m; m = await ch.get(q, { noAck: true })) shapes[q]!.push({ body: m.content.toString(), rk: m.fields.routingKey, headers: m.properties.headers });
      }
      return shapes;
    },
  },
  {
    name: "deleteExchange ifUnused refuses while bound (406); deleting removes its bindings",
    source: "AMQP exchange.delete",
    async run(ctx) {
      const { conn, ch } = await open(ctx);
      const ex = ctx.n("e");
      await ch.assertExchange(ex, "fanout", { durable: false });
      const [q] = await queues(ctx, ch, "q");
      await ch.bindQueue(q!, ex, "");
      const ifUnused = await ctx.attempt(() => ch.deleteExchange(ex, { ifUnused: true }));
      const ch2 = await conn.createChannel();
      await ch2.deleteExchange(ex);
      const check = await ctx.attempt(() => ch2.checkExchange(ex));
      return { ifUnused, check };
    },
  },
  {
    name: "declaring an amq.* exchange is refused with 403; the predeclared ones exist",
    source: "AMQP reserved names",
    async run(ctx) {
      const { conn, ch } = await open(ctx);
      const existing = [];
      for (const e of ["amq.direct", "amq.fanout", "amq.topic", "amq.headers", "amq.match"]) existing.push(await ch.checkExchange(e));
      const mine = await ctx.attempt(() => ch.assertExchange("amq.mine", "direct"));
      const ch2 = await conn.createChannel();
      const q = await ctx.attempt(() => ch2.assertQueue("amq.q"));
      return { existing, mine, q };
    },
  },
  {
    name: "an unknown exchange type is a 503 connection error",
    source: "AMQP command-invalid (connection exception)",
    async run(ctx) {
      const { ch } = await open(ctx);
      const r = await ctx.attempt(() => ch.assertExchange(ctx.n("weird"), "x-no-such-type"));
      await ctx.settle();
      return { r };
    },
  },
  {
    name: "exchange redeclare: type and durable must match (406)",
    source: "exchanges guide (equivalence)",
    async run(ctx) {
      const conn = await ctx.connect();
      const ex = ctx.n("e");
      const out: Record<string, unknown> = {};
      let ch = await conn.createChannel();
      await ch.assertExchange(ex, "direct", { durable: false });
      out.same = await ctx.attempt(() => ch.assertExchange(ex, "direct", { durable: false }));
      out.type = await ctx.attempt(() => ch.assertExchange(ex, "topic", { durable: false }));
      ch = await conn.createChannel();
      out.durable = await ctx.attempt(() => ch.assertExchange(ex, "direct", { durable: true }));
      return out;
    },
  },
  {
    name: "exchange redeclare: auto_delete, internal and alternate-exchange must match (406)",
    source: "exchanges guide (equivalence)",
    async run(ctx) {
      const conn = await ctx.connect();
      const ex = ctx.n("e");
      const out: Record<string, unknown> = {};
      let ch = await conn.createChannel();
      await ch.assertExchange(ex, "direct", { durable: false, alternateExchange: "ae1" });
      out.autoDelete = await ctx.attempt(() => ch.assertExchange(ex, "direct", { durable: false, alternateExchange: "ae1", autoDelete: true }));
      ch = await conn.createChannel();
      out.internal = await ctx.attempt(() => ch.assertExchange(ex, "direct", { durable: false, alternateExchange: "ae1", internal: true }));
      ch = await conn.createChannel();
      out.ae = await ctx.attempt(() => ch.assertExchange(ex, "direct", { durable: false, alternateExchange: "ae2" }));
      ch = await conn.createChannel();
      out.same = await ctx.attempt(() => ch.assertExchange(ex, "direct", { durable: false, alternateExchange: "ae1" }));
      return out;
    },
  },
  // ---- queues --------------------------------------------------------------------------
  {
    name: "queue redeclare: durable, auto_delete and known x- arguments must match; unknown x- arguments are not compared",
    source: "queues guide (declaration and property equivalence)",
    async run(ctx) {
      const conn = await ctx.connect();
      const q = ctx.n("q");
      const out: Record<string, unknown> = {};
      let ch = await conn.createChannel();
      await ch.assertQueue(q, { durable: false, messageTtl: 1000, arguments: { "x-custom": "a" } });
      const tries: [string, Parameters<Channel["assertQueue"]>[1]][] = [
        ["same", { durable: false, messageTtl: 1000, arguments: { "x-custom": "a" } }],
        ["unknownArgDiffers", { durable: false, messageTtl: 1000, arguments: { "x-custom": "b" } }],
        ["unknownArgMissing", { durable: false, messageTtl: 1000 }],
        ["ttl", { durable: false, messageTtl: 2000 }],
        ["ttlMissing", { durable: false }],
        ["durable", { durable: true, messageTtl: 1000 }],
        ["autoDelete", { durable: false, messageTtl: 1000, autoDelete: true }],
        ["maxLength", { durable: false, messageTtl: 1000, maxLength: 5 }],
      ];
      for (const [label, opts] of tries) {
        out[label] = await ctx.attempt(() => ch.assertQueue(q, opts));
        if ("error" in (out[label] as object)) ch = await conn.createChannel();
      }
      return out;
    },
  },
  {
    name: "checkQueue and checkExchange on missing names close the channel with 404",
    source: "AMQP passive declare",
    async run(ctx) {
      const conn = await ctx.connect();
      let ch = await conn.createChannel();
      const q = await ctx.attempt(() => ch.checkQueue(ctx.n("nope")));
      ch = await conn.createChannel();
      const e = await ctx.attempt(() => ch.checkExchange(ctx.n("nope")));
      ch = await conn.createChannel();
      const [real] = await queues(ctx, ch, "real");
      ch.sendToQueue(real!, B("1"));
      await ctx.settle();
      const ok = await ch.checkQueue(real!);
      return { q, e, ok };
    },
  },
  {
    name: "server-named queues start with amq.gen- and are exclusive to the connection",
    source: "queues guide (server-named queues)",
    async run(ctx) {
      const { ch } = await open(ctx);
      const a = await ch.assertQueue("", { exclusive: true });
      const b = await ch.assertQueue("", { exclusive: true });
      const other = await ctx.connect();
      const och = await other.createChannel();
      const r = await ctx.attempt(() => och.checkQueue(a.queue));
      return { prefix: a.queue.startsWith("amq.gen-"), distinct: a.queue !== b.queue, length: a.queue.length, r };
    },
  },
  {
    name: "purgeQueue and deleteQueue report counts; ifEmpty and ifUnused refuse (406)",
    source: "AMQP queue.purge / queue.delete",
    async run(ctx) {
      const conn = await ctx.connect();
      let ch = await conn.createChannel();
      const [q, r] = await queues(ctx, ch, "q", "r");
      for (let i = 0; i < 3; i++) ch.sendToQueue(q!, B(String(i)));
      ch.sendToQueue(r!, B("r"));
      await ctx.settle();
      const purged = await ch.purgeQueue(q!);
      const ifEmpty = await ctx.attempt(() => ch.deleteQueue(r!, { ifEmpty: true }));
      ch = await conn.createChannel();
      await ch.consume(r!, () => undefined);
      const ch2 = await conn.createChannel();
      const ifUnused = await ctx.attempt(() => ch2.deleteQueue(r!, { ifUnused: true }));
      const ch3 = await conn.createChannel();
      const deleted = await ch3.deleteQueue(q!);
      return { purged, ifEmpty, ifUnused, deleted };
    },
  },
  // ---- acknowledgements ------------------------------------------------------------------
  {
    name: "acking a delivery twice closes the channel with 406 unknown delivery tag",
    source: "confirms guide (consumer acknowledgements)",
    async run(ctx) {
      const { ch } = await open(ctx);
      const [q] = await queues(ctx, ch, "q");
      ch.sendToQueue(q!, B("1"));
      await ctx.settle();
      const m = await ch.get(q!);
      if (!m) return "empty";
      ch.ack(m);
      ch.ack(m);
      await ctx.settle();
      const { ch: ch2 } = await open(ctx);
      return { left: (await ch2.checkQueue(q!)).messageCount };
    },
  },
  {
    name: "nack with requeue puts the message back in its place, redelivered",
    source: "confirms guide (negative acknowledgement and requeuing)",
    async run(ctx) {
      const { ch } = await open(ctx);
      const [q] = await queues(ctx, ch, "q");
      for (const s of ["a", "b", "c"]) ch.sendToQueue(q!, B(s));
      await ctx.settle();
      const a = await ch.get(q!);
      const b = await ch.get(q!);
      if (!a || !b) return "empty";
      ch.nack(b);
      ch.nack(a);
      await ctx.settle();
      const out = [];
      for (let m = await ch.get(q!, { noAck: true }); m; m = await ch.get(q!, { noAck: true })) out.push([m.content.toString(), m.fields.redelivered]);
      return out;
    },
  },
  {
    name: "reject without requeue and no dead-letter exchange drops the message",
    source: "confirms guide",
    async run(ctx) {
      const { ch } = await open(ctx);
      const [q] = await queues(ctx, ch, "q");
      ch.sendToQueue(q!, B("1"));
      ch.sendToQueue(q!, B("2"));
      await ctx.settle();
      const m = await ch.get(q!);
      if (!m) return "empty";
      ch.reject(m, false);
      await ctx.settle();
      return { left: await drain(ch, q!) };
    },
  },
  {
    name: "nack multiple settles every earlier delivery; ackAll and nackAll",
    source: "confirms guide (multiple)",
    async run(ctx) {
      const { ch } = await open(ctx);
      const [q] = await queues(ctx, ch, "q");
      for (let i = 1; i <= 6; i++) ch.sendToQueue(q!, B(String(i)));
      await ctx.settle();
      const got = [];
      for (let i = 0; i < 3; i++) got.push(await ch.get(q!));
      ch.nack(got[1] as Parameters<Channel["nack"]>[0], true, false);
      await ctx.settle();
      const afterNack = (await ch.checkQueue(q!)).messageCount;
      await ch.get(q!);
      await ch.get(q!);
      ch.nackAll(true);
      await ctx.settle();
      const afterNackAll = (await ch.checkQueue(q!)).messageCount;
      await ch.get(q!);
      ch.ackAll();
      await ctx.settle();
      return { afterNack, afterNackAll, left: await drain(ch, q!) };
    },
  },
  {
    name: "closing a channel requeues its unacked messages as redelivered",
    source: "confirms guide (automatic requeuing)",
    async run(ctx) {
      const conn = await ctx.connect();
      const ch = await conn.createChannel();
      const [q] = await queues(ctx, ch, "q");
      ch.sendToQueue(q!, B("1"));
      ch.sendToQueue(q!, B("2"));
      await ctx.settle();
      const got: string[] = [];
      await ch.consume(q!, (m) => m && got.push(m.content.toString()));
      await ctx.settle();
      await ch.close();
      const ch2 = await conn.createChannel();
      const again = [];
      for (let m = await ch2.get(q!, { noAck: true }); m; m = await ch2.get(q!, { noAck: true })) again.push([m.content.toString(), m.fields.redelivered]);
      return { got, again };
    },
  },
  {
    name: "basic.get shows messageCount and returns false on an empty queue",
    source: "AMQP basic.get",
    async run(ctx) {
      const { ch } = await open(ctx);
      const [q] = await queues(ctx, ch, "q");
      ch.sendToQueue(q!, B("1"));
      ch.sendToQueue(q!, B("2"));
      await ctx.settle();
      const first = await ch.get(q!, { noAck: true });
      const second = await ch.get(q!, { noAck: true });
      const third = await ch.get(q!, { noAck: true });
      return { first: msg(first), second: second && second.fields.messageCount, third };
    },
  },
  {
    name: "noAck consumers get everything at once and nothing is requeued on close",
    source: "confirms guide (automatic acknowledgement)",
    async run(ctx) {
      const conn = await ctx.connect();
      const ch = await conn.createChannel();
      const [q] = await queues(ctx, ch, "q");
      for (let i = 0; i < 5; i++) ch.sendToQueue(q!, B(String(i)));
      await ctx.settle();
      const c = collector();
      await ch.prefetch(1);
      await ch.consume(q!, c.on, { noAck: true });
      await ctx.settle();
      await ch.close();
      const ch2 = await conn.createChannel();
      return { got: c.got, left: (await ch2.checkQueue(q!)).messageCount };
    },
  },
  {
    name: "recover requeues unacked deliveries",
    source: "AMQP basic.recover",
    async run(ctx) {
      const { ch } = await open(ctx);
      const [q] = await queues(ctx, ch, "q");
      ch.sendToQueue(q!, B("1"));
      await ctx.settle();
      await ch.get(q!);
      await ch.recover();
      await ctx.settle();
      const m = await ch.get(q!, { noAck: true });
      return m && [m.content.toString(), m.fields.redelivered];
    },
  },
  // ---- prefetch and consumers -------------------------------------------------------------
  {
    name: "per-consumer prefetch caps unacked deliveries",
    source: "consumer prefetch guide",
    async run(ctx) {
      const { ch } = await open(ctx);
      const [q] = await queues(ctx, ch, "q");
      for (let i = 0; i < 5; i++) ch.sendToQueue(q!, B(String(i)));
      await ch.prefetch(2);
      const held: Parameters<Channel["ack"]>[0][] = [];
      await ch.consume(q!, (m) => m && held.push(m));
      await ctx.settle();
      const first = held.length;
      ch.ack(held[0]!);
      await ctx.settle();
      return { first, afterOneAck: held.length, bodies: held.map((m) => m.content.toString()) };
    },
  },
  {
    name: "global prefetch is shared by the channel's consumers",
    source: "consumer prefetch guide (global)",
    async run(ctx) {
      const { ch } = await open(ctx);
      const [q1, q2] = await queues(ctx, ch, "q1", "q2");
      for (let i = 0; i < 4; i++) {
        ch.sendToQueue(q1!, B(`a${i}`));
        ch.sendToQueue(q2!, B(`b${i}`));
      }
      await ctx.settle();
      await ch.prefetch(3, true);
      const a = collector();
      const b = collector();
      await ch.consume(q1!, a.on);
      await ch.consume(q2!, b.on);
      await ctx.settle();
      return { total: a.got.length + b.got.length };
    },
  },
  {
    name: "per-consumer and global prefetch together",
    source: "consumer prefetch guide (independent consumers with shared limit)",
    async run(ctx) {
      const { ch } = await open(ctx);
      const [q1, q2] = await queues(ctx, ch, "q1", "q2");
      for (let i = 0; i < 10; i++) {
        ch.sendToQueue(q1!, B(`a${i}`));
        ch.sendToQueue(q2!, B(`b${i}`));
      }
      await ctx.settle();
      await ch.prefetch(2, false);
      await ch.prefetch(3, true);
      const a = collector();
      const b = collector();
      await ch.consume(q1!, a.on);
      await ch.consume(q2!, b.on);
      await ctx.settle();
      return { a: a.got.length, b: b.got.length };
    },
  },
  {
    name: "two consumers share a queue round robin",
    source: "tutorial 2 (work queues)",
    async run(ctx) {
      const { ch } = await open(ctx);
      const [q] = await queues(ctx, ch, "q");
      const a = collector();
      const b = collector();
      await ch.consume(q!, a.on, { noAck: true });
      await ch.consume(q!, b.on, { noAck: true });
      for (let i = 0; i < 6; i++) ch.sendToQueue(q!, B(String(i)));
      await ctx.settle();
      return { a: a.got, b: b.got };
    },
  },
  {
    name: "consumer priority: the higher-priority consumer gets messages while it has room",
    source: "consumer priorities guide",
    async run(ctx) {
      const conn = await ctx.connect();
      const low = await conn.createChannel();
      const high = await conn.createChannel();
      const [q] = await queues(ctx, low, "q");
      await low.prefetch(10);
      await high.prefetch(2);
      const l = collector();
      const h = collector();
      await low.consume(q!, l.on, { priority: 1 });
      await high.consume(q!, h.on, { priority: 10 });
      for (let i = 0; i < 6; i++) low.sendToQueue(q!, B(String(i)));
      await ctx.settle();
      return { high: h.got, low: l.got };
    },
  },
  {
    name: "single active consumer: one consumer gets everything until it goes",
    source: "consumers guide (single active consumer)",
    async run(ctx) {
      const conn = await ctx.connect();
      const ch1 = await conn.createChannel();
      const ch2 = await conn.createChannel();
      const q = (await ch1.assertQueue(ctx.n("sac"), { durable: false, arguments: { "x-single-active-consumer": true } })).queue;
      const a = collector();
      const b = collector();
      const { consumerTag } = await ch1.consume(q, a.on, { noAck: true });
      await ch2.consume(q, b.on, { noAck: true });
      for (let i = 0; i < 4; i++) ch1.sendToQueue(q, B(`x${i}`));
      await ctx.settle();
      await ch1.cancel(consumerTag);
      for (let i = 0; i < 2; i++) ch2.sendToQueue(q, B(`y${i}`));
      await ctx.settle();
      return { first: a.got, second: b.got, consumers: (await ch2.checkQueue(q)).consumerCount };
    },
  },
  {
    name: "an exclusive consumer locks the queue for others (403)",
    source: "AMQP basic.consume exclusive",
    async run(ctx) {
      const conn = await ctx.connect();
      const ch1 = await conn.createChannel();
      const [q] = await queues(ctx, ch1, "q");
      await ch1.consume(q!, () => undefined, { exclusive: true });
      const ch2 = await conn.createChannel();
      const second = await ctx.attempt(() => ch2.consume(q!, () => undefined));
      const ch3 = await conn.createChannel();
      await ch3.consume(q!, () => undefined).catch(() => undefined);
      return { second };
    },
  },
  {
    name: "deleting a queue cancels its consumers (callback with null); cancelling your own does not call back",
    source: "consumer cancel notification guide",
    async run(ctx) {
      const { ch } = await open(ctx);
      const [q1, q2] = await queues(ctx, ch, "q1", "q2");
      const a = collector();
      const b = collector();
      await ch.consume(q1!, a.on);
      const { consumerTag } = await ch.consume(q2!, b.on);
      await ch.cancel(consumerTag);
      const { ch: other } = await open(ctx);
      await other.deleteQueue(q1!);
      await ctx.settle();
      return { a: a.got, b: b.got };
    },
  },
  {
    name: "reusing a consumer tag on a channel is a 530 connection error",
    source: "AMQP not-allowed",
    async run(ctx) {
      const { ch } = await open(ctx);
      const [q] = await queues(ctx, ch, "q");
      await ch.consume(q!, () => undefined, { consumerTag: "tag-1" });
      const again = await ctx.attempt(() => ch.consume(q!, () => undefined, { consumerTag: "tag-1" }));
      await ctx.settle();
      return { again };
    },
  },
  // ---- TTL ------------------------------------------------------------------------------------
  {
    name: "queue message TTL expires messages into the dead-letter exchange as expired",
    source: "TTL guide; dead letter exchanges guide",
    async run(ctx) {
      const { ch } = await open(ctx);
      const dlx = ctx.n("dlx");
      await ch.assertExchange(dlx, "fanout", { durable: false });
      const [dead] = await queues(ctx, ch, "dead");
      await ch.bindQueue(dead!, dlx, "");
      const q = (await ch.assertQueue(ctx.n("ttl"), { durable: false, messageTtl: 100, deadLetterExchange: dlx })).queue;
      ch.sendToQueue(q, B("old"));
      await ctx.sleep(400);
      const m = await ch.get(dead!, { noAck: true });
      const d = m && (m.properties.headers?.["x-death"] as unknown);
      return { live: await drain(ch, q), dead: m && m.content.toString(), xdeath: d, first: m && m.properties.headers?.["x-first-death-reason"] };
    },
  },
  {
    name: "per-message expiration: the lower of message and queue TTL applies, only at the head",
    source: "TTL guide (per-message TTL; expiry at the head)",
    async run(ctx) {
      const { ch } = await open(ctx);
      const q = (await ch.assertQueue(ctx.n("q"), { durable: false, messageTtl: 300 })).queue;
      ch.sendToQueue(q, B("long"), { expiration: "5000" });
      ch.sendToQueue(q, B("short"), { expiration: "50" });
      ch.sendToQueue(q, B("queue-ttl"));
      await ctx.sleep(150);
      const mid = (await ch.checkQueue(q)).messageCount;
      await ctx.sleep(400);
      return { mid, end: (await ch.checkQueue(q)).messageCount };
    },
  },
  {
    name: "x-message-ttl 0 delivers to a ready consumer and drops otherwise",
    source: "TTL guide (TTL of 0)",
    async run(ctx) {
      const { ch } = await open(ctx);
      const q = (await ch.assertQueue(ctx.n("zero"), { durable: false, messageTtl: 0 })).queue;
      ch.sendToQueue(q, B("nobody"));
      await ctx.settle();
      const before = (await ch.checkQueue(q)).messageCount;
      const c = collector();
      await ch.consume(q, c.on, { noAck: true });
      ch.sendToQueue(q, B("seen"));
      await ctx.settle();
      return { before, got: c.got };
    },
  },
  {
    name: "x-expires deletes a queue left unused",
    source: "TTL guide (queue TTL)",
    async run(ctx) {
      const { conn, ch } = await open(ctx);
      const q = (await ch.assertQueue(ctx.n("temp"), { durable: false, expires: 200 })).queue;
      await ctx.sleep(100);
      const early = (await ch.checkQueue(q)).queue === q;
      await ctx.sleep(600);
      const late = await ctx.attempt(() => ch.checkQueue(q));
      void conn;
      return { early, late };
    },
  },
  // ---- max length ------------------------------------------------------------------------------
  {
    name: "max-length drop-head dead-letters the oldest as maxlen",
    source: "max length guide (drop-head)",
    async run(ctx) {
      const { ch } = await open(ctx);
      const dlx = ctx.n("dlx");
      await ch.assertExchange(dlx, "fanout", { durable: false });
      const [dead] = await queues(ctx, ch, "dead");
      await ch.bindQueue(dead!, dlx, "");
      const q = (await ch.assertQueue(ctx.n("q"), { durable: false, maxLength: 2, deadLetterExchange: dlx })).queue;
      for (let i = 1; i <= 5; i++) ch.sendToQueue(q, B(String(i)));
      await ctx.settle();
      const m = await ch.get(dead!);
      const reasons = m ? (m.properties.headers?.["x-death"] as { reason: string }[]).map((d) => d.reason) : [];
      return { live: await drain(ch, q), dead: [m && m.content.toString(), ...(await drain(ch, dead!))], reasons };
    },
  },
  {
    name: "max-length reject-publish nacks the publisher's confirm and keeps the queue",
    source: "max length guide (reject-publish)",
    async run(ctx) {
      const { ch } = await open(ctx, true);
      const cch = ch as ConfirmChannel;
      const q = (await ch.assertQueue(ctx.n("q"), { durable: false, maxLength: 2, overflow: "reject-publish" })).queue;
      const results: string[] = [];
      for (let i = 1; i <= 4; i++) cch.sendToQueue(q, B(String(i)), {}, (err) => results.push(`${i}:${err ? "nack" : "ack"}`));
      const waited = await ctx.attempt(() => cch.waitForConfirms());
      return { results: results.sort(), waited: "error" in waited ? "rejected" : "resolved", live: await drain(ch, q) };
    },
  },
  {
    name: "max-length reject-publish-dlx refuses and dead-letters the refused message",
    source: "max length guide (reject-publish-dlx)",
    async run(ctx) {
      const { ch } = await open(ctx, true);
      const cch = ch as ConfirmChannel;
      const dlx = ctx.n("dlx");
      await ch.assertExchange(dlx, "fanout", { durable: false });
      const [dead] = await queues(ctx, ch, "dead");
      await ch.bindQueue(dead!, dlx, "");
      const q = (await ch.assertQueue(ctx.n("q"), { durable: false, maxLength: 1, overflow: "reject-publish-dlx", deadLetterExchange: dlx })).queue;
      const results: string[] = [];
      for (let i = 1; i <= 3; i++) cch.sendToQueue(q, B(String(i)), {}, (err) => results.push(`${i}:${err ? "nack" : "ack"}`));
      await cch.waitForConfirms().catch(() => undefined);
      await ctx.settle();
      const d = await ch.get(dead!, { noAck: true });
      return { results: results.sort(), live: await drain(ch, q), dead: d && d.content.toString(), reason: d && (d.properties.headers?.["x-death"] as { reason: string }[])[0]!.reason, more: await drain(ch, dead!) };
    },
  },
  // ---- dead-lettering ----------------------------------------------------------------------------
  {
    name: "reject → dead-letter → TTL back: x-death counts the cycle per queue and reason",
    source: "dead letter exchanges guide (x-death, cycles with rejection)",
    async run(ctx) {
      const { ch } = await open(ctx);
      const work = ctx.n("work");
      const wait = ctx.n("wait");
      await ch.assertQueue(work, { durable: false, deadLetterExchange: "", deadLetterRoutingKey: wait });
      await ch.assertQueue(wait, { durable: false, messageTtl: 50, deadLetterExchange: "", deadLetterRoutingKey: work });
      ch.sendToQueue(work, B("job"), { headers: { tries: 0 } });
      const seen: unknown[] = [];
      for (let round = 0; round < 3; round++) {
        await ctx.sleep(300);
        const m = await ch.get(work);
        if (!m) break;
        const deaths = (m.properties.headers?.["x-death"] as { queue: string; reason: string; count: number; exchange: string; "routing-keys": string[] }[] | undefined) ?? [];
        seen.push(deaths.map((d) => [d.queue, d.reason, d.count, d.exchange, d["routing-keys"]]));
        ch.reject(m, false);
      }
      const last = await (async () => {
        await ctx.sleep(300);
        return ch.get(work, { noAck: true });
      })();
      return { seen, last: dead(last) };
    },
  },
  {
    name: "a dead-letter cycle with no rejection in it drops the message",
    source: "dead letter exchanges guide (cycle detection)",
    async run(ctx) {
      const { ch } = await open(ctx);
      const a = ctx.n("a");
      const b = ctx.n("b");
      await ch.assertQueue(a, { durable: false, messageTtl: 30, deadLetterExchange: "", deadLetterRoutingKey: b });
      await ch.assertQueue(b, { durable: false, messageTtl: 30, deadLetterExchange: "", deadLetterRoutingKey: a });
      ch.sendToQueue(a, B("loop"));
      await ctx.sleep(500);
      return { a: (await ch.checkQueue(a)).messageCount, b: (await ch.checkQueue(b)).messageCount };
    },
  },
  {
    name: "dead-letter routing key replaces the original; the original stays in x-death",
    source: "dead letter exchanges guide (routing)",
    async run(ctx) {
      const { ch } = await open(ctx);
      const dlx = ctx.n("dlx");
      await ch.assertExchange(dlx, "direct", { durable: false });
      const [deadQ] = await queues(ctx, ch, "dead");
      await ch.bindQueue(deadQ!, dlx, "failed");
      const q = (await ch.assertQueue(ctx.n("q"), { durable: false, deadLetterExchange: dlx, deadLetterRoutingKey: "failed" })).queue;
      ch.sendToQueue(q, B("x"), { persistent: true, correlationId: "c1" });
      await ctx.settle();
      const m = await ch.get(q);
      if (m) ch.nack(m, false, false);
      await ctx.settle();
      return dead(await ch.get(deadQ!, { noAck: true }));
    },
  },
  // ---- lifetimes -----------------------------------------------------------------------------------
  {
    name: "an exclusive queue is locked to its connection (405) and deleted when it closes",
    source: "queues guide (exclusive queues)",
    async run(ctx) {
      const owner = await ctx.connect();
      const och = await owner.createChannel();
      const q = (await och.assertQueue(ctx.n("excl"), { exclusive: true })).queue;
      const other = await ctx.connect();
      let ch = await other.createChannel();
      const locked = await ctx.attempt(() => ch.assertQueue(q, { exclusive: true }));
      await owner.close();
      await ctx.settle();
      ch = await other.createChannel();
      const gone = await ctx.attempt(() => ch.checkQueue(q));
      return { locked, gone };
    },
  },
  {
    name: "an auto-delete queue goes with its last consumer, not before it had one",
    source: "queues guide (auto-delete)",
    async run(ctx) {
      const conn = await ctx.connect();
      let ch = await conn.createChannel();
      const q = (await ch.assertQueue(ctx.n("ad"), { durable: false, autoDelete: true })).queue;
      await ctx.sleep(100);
      const stillThere = (await ch.checkQueue(q)).queue === q;
      const a = await ch.consume(q, () => undefined);
      const b = await ch.consume(q, () => undefined);
      await ch.cancel(a.consumerTag);
      const afterOne = await ctx.attempt(() => ch.checkQueue(q));
      await ch.cancel(b.consumerTag);
      await ctx.settle();
      ch = await conn.createChannel();
      const afterBoth = await ctx.attempt(() => ch.checkQueue(q));
      return { stillThere, afterOne: "ok" in afterOne, afterBoth };
    },
  },
  // ---- confirms and message shapes ------------------------------------------------------------------
  {
    name: "publisher confirms: callbacks with null and waitForConfirms resolves",
    source: "publishers guide (confirms)",
    async run(ctx) {
      const { ch } = await open(ctx, true);
      const cch = ch as ConfirmChannel;
      const [q] = await queues(ctx, ch, "q");
      const acks: unknown[] = [];
      const ex = ctx.n("nobody-bound");
      await ch.assertExchange(ex, "fanout", { durable: false });
      for (let i = 0; i < 3; i++) cch.sendToQueue(q!, B(String(i)), {}, (err) => acks.push(err));
      // Unroutable but accepted: confirmed too.
      cch.publish(ex, "k", B("x"), {}, (err) => acks.push(err));
      const waited = await ctx.attempt(() => cch.waitForConfirms());
      return { acks, waited, got: await drain(ch, q!) };
    },
  },
  {
    name: "waitForConfirms rejects when the channel closes with publishes unconfirmed",
    source: "amqplib ConfirmChannel#waitForConfirms",
    async run(ctx) {
      const { ch } = await open(ctx, true);
      const cch = ch as ConfirmChannel;
      const errs: unknown[] = [];
      cch.publish(ctx.n("missing"), "k", B("x"), {}, (err) => errs.push(err ? "err" : null));
      const waited = await ctx.attempt(() => cch.waitForConfirms());
      return { errs, waited: "error" in waited ? "rejected" : waited };
    },
  },
  {
    name: "messages carry all 14 properties, Buffer content and amqplib's fields",
    source: "amqplib Message shape",
    async run(ctx) {
      const { ch } = await open(ctx);
      const [q] = await queues(ctx, ch, "q");
      ch.sendToQueue(q!, B("plain"));
      ch.sendToQueue(q!, B("full"), { contentType: "text/plain", contentEncoding: "utf-8", headers: { a: 1, s: "x" }, persistent: true, priority: 3, correlationId: "c", replyTo: "r", expiration: "60000", messageId: "m", timestamp: 1_700_000_000, type: "t", appId: "app" });
      await ctx.settle();
      const out = [];
      const c = collector();
      void c;
      out.push(msg(await ch.get(q!, { noAck: true })));
      const got: unknown[] = [];
      await ch.consume(q!, (m) => got.push(msg(m)), { noAck: true });
      await ctx.settle();
      return { get: out, consume: got };
    },
  },
  {
    name: "a userId other than the connection's user is refused (406)",
    source: "validated user-id guide",
    async run(ctx) {
      const { ch } = await open(ctx);
      const [q] = await queues(ctx, ch, "q");
      ch.sendToQueue(q!, B("ok"), { userId: "guest" });
      await ctx.settle();
      ch.sendToQueue(q!, B("bad"), { userId: "mallory" });
      await ctx.settle();
      const { ch: ch2 } = await open(ctx);
      return { got: await drain(ch2, q!) };
    },
  },
  // ---- deliberate differences (docs/rabbitmq-differences.md) ---------------------------------------
  {
    name: "dead-lettered messages carry x-last-death-* headers",
    source: "dead letter exchanges guide (RabbitMQ 3.13 added x-last-death-*)",
    knownDifference: { why: "the simulation adds RabbitMQ 3.13's x-last-death-queue/-reason/-exchange headers; 3.10 sends only x-first-death-*" },
    async run(ctx) {
      const { ch } = await open(ctx);
      const [q] = await queues(ctx, ch, "q");
      const d = (await ch.assertQueue(ctx.n("d"), { durable: false, deadLetterExchange: "", deadLetterRoutingKey: q! })).queue;
      ch.sendToQueue(d, B("x"));
      await ctx.settle();
      const m = await ch.get(d);
      if (m) ch.reject(m, false);
      await ctx.settle();
      const got = await ch.get(q!, { noAck: true });
      return got && Object.keys(got.properties.headers ?? {}).filter((k) => k.startsWith("x-") && k !== "x-death").sort();
    },
  },
  {
    name: "a priority queue delivers higher message priorities first",
    source: "priority queue guide (x-max-priority)",
    knownDifference: { why: "message priority queues are not simulated: x-max-priority is accepted and messages stay in arrival order" },
    async run(ctx) {
      const { ch } = await open(ctx);
      const q = (await ch.assertQueue(ctx.n("prio"), { durable: false, arguments: { "x-max-priority": 10 } })).queue;
      for (const p of [1, 9, 5]) ch.sendToQueue(q, B(`p${p}`), { priority: p });
      await ctx.settle();
      return drain(ch, q);
    },
  },
  {
    name: "a string body is refused by amqplib",
    source: "amqplib Channel#publish (content is a Buffer)",
    async run(ctx) {
      const { ch } = await open(ctx);
      const [q] = await queues(ctx, ch, "q");
      let threw: unknown = "accepted";
      try {
        ch.sendToQueue(q!, "text" as unknown as Buffer);
      } catch (e) {
        threw = (e as Error).name;
      }
      await ctx.settle();
      return { threw };
    },
  },
  // ---- channel and connection lifecycle -------------------------------------------------------------
  {
    name: "a closed channel throws IllegalOperationError; the connection keeps working",
    source: "amqplib IllegalOperationError",
    async run(ctx) {
      const { conn, ch } = await open(ctx);
      await ch.close();
      let publish: unknown = "no throw";
      try {
        ch.publish("", "x", B("x"));
      } catch (e) {
        publish = (e as Error).name;
      }
      const declare = await ctx.attempt(() => ch.assertQueue(ctx.n("q")));
      const closeAgain = await ctx.attempt(() => ch.close());
      const ch2 = await conn.createChannel();
      return { publish, declare, closeAgain, ok: (await ch2.assertQueue(ctx.n("q2"), { durable: false })).queue };
    },
  },
  {
    name: "closing the connection requeues every channel's unacked messages",
    source: "confirms guide (automatic requeuing on connection loss)",
    async run(ctx) {
      const admin = await ctx.connect();
      const ach = await admin.createChannel();
      const [q] = await queues(ctx, ach, "q");
      for (let i = 0; i < 3; i++) ach.sendToQueue(q!, B(String(i)));
      await ctx.settle();
      const worker = await ctx.connect();
      const events: string[] = [];
      worker.on("close", () => events.push("close"));
      worker.on("error", () => events.push("error"));
      const w1 = await worker.createChannel();
      await w1.get(q!);
      await w1.get(q!);
      await worker.close();
      await ctx.settle();
      const again = [];
      for (let m = await ach.get(q!, { noAck: true }); m; m = await ach.get(q!, { noAck: true })) again.push([m.content.toString(), m.fields.redelivered]);
      return { events, again };
    },
  },
  {
    name: "quorum queues refuse non-durable, exclusive and auto-delete declarations",
    source: "quorum queues guide (feature matrix); rabbit_quorum_queue declare checks",
    async run(ctx) {
      const conn = await ctx.connect();
      const out: unknown[] = [];
      for (const options of [{ durable: false }, { exclusive: true }, { autoDelete: true }]) {
        const ch = await conn.createChannel();
        ch.on("error", () => {});
        const r = await ch.assertQueue(ctx.n("qq"), { ...options, arguments: { "x-queue-type": "quorum" } }).then(
          () => "declared",
          (e: Error & { code?: number }) => [e.code, /invalid property '[a-z-]+'/.exec(e.message)?.[0]],
        );
        out.push(r);
      }
      return out;
    },
  },
  {
    name: "quorum queue x-delivery-limit dead-letters a message returned too often as delivery_limit; a classic queue refuses the argument and loops",
    source: "quorum queues guide (poison message handling); dead letter exchanges guide",
    async run(ctx) {
      const { ch } = await open(ctx);
      const dlx = ctx.n("dlx");
      await ch.assertExchange(dlx, "fanout", { durable: false });
      const [dead] = await queues(ctx, ch, "dead");
      await ch.bindQueue(dead!, dlx, "");
      const qq = (await ch.assertQueue(ctx.n("qq"), { durable: true, deadLetterExchange: dlx, arguments: { "x-queue-type": "quorum", "x-delivery-limit": 2 } })).queue;
      const other = await (await ctx.connect()).createChannel();
      other.on("error", () => {});
      const refused = await other.assertQueue(ctx.n("limited"), { durable: false, arguments: { "x-delivery-limit": 2 } }).then(
        () => "declared",
        (e: Error & { code?: number }) => [e.code, /invalid arg '[a-z-]+'/.exec(e.message)?.[0]],
      );
      const classic = (await ch.assertQueue(ctx.n("classic"), { durable: false, deadLetterExchange: dlx })).queue;
      const loop = async (q: string) => {
        const seen: unknown[] = [];
        ch.sendToQueue(q, B("poison"));
        await ctx.settle();
        for (let i = 0; i < 6; i++) {
          const m = await ch.get(q);
          if (!m) break;
          seen.push([m.fields.redelivered, m.properties.headers?.["x-delivery-count"] ?? null]);
          ch.nack(m, false, true);
          await ctx.settle();
        }
        return seen;
      };
      const quorum = await loop(qq);
      const classicSeen = await loop(classic);
      const m = await ch.get(dead!, { noAck: true });
      const d = m && (m.properties.headers?.["x-death"] as { reason: string; count: number; queue: string }[] | undefined);
      const left = { quorum: (await ch.checkQueue(qq)).messageCount, classic: (await ch.purgeQueue(classic)).messageCount };
      await ch.deleteQueue(qq);
      return { refused, quorum, classic: classicSeen, left, dead: m && m.content.toString(), xdeath: d && d.map((x) => [x.reason, x.count, x.queue]), first: m && m.properties.headers?.["x-first-death-reason"], more: await drain(ch, dead!) };
    },
  },
];
