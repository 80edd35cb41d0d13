import { describe, expect, it } from "vitest";
import { Simulation } from "../../../src/lab/index";
import { RabbitMQ, AmqpChannelError, IllegalOperationError, topicMatches, type AmqpMessage, type Channel, type XDeath } from "../../../src/lab/messaging/index";

async function setup() {
  const sim = new Simulation({ seed: 3 });
  const rabbit = new RabbitMQ(sim);
  const { conn, ch } = await sim.run(async () => {
    const conn = await rabbit.connect();
    return { conn, ch: await conn.createChannel() };
  });
  return { sim, rabbit, conn, ch };
}

const body = (m: AmqpMessage) => String(m.content);

describe("RabbitMQ topic exchange", () => {
  const keys = ["orders", "orders.created", "orders.eu.created", "orders.eu.x.created", "orders.us.created", "orders.eu.updated", "shipping.eu.created", "orders.eu"];

  it("routes `orders.*.created` and `orders.#` exactly as RabbitMQ", async () => {
    const { sim, ch, rabbit } = await setup();
    await sim.run(async () => {
      await ch.assertExchange("orders", "topic");
      await ch.assertQueue("one-region", { durable: false });
      await ch.assertQueue("everything", { durable: false });
      await ch.bindQueue("one-region", "orders", "orders.*.created");
      await ch.bindQueue("everything", "orders", "orders.#");
      for (const k of keys) ch.publish("orders", k, Buffer.from(k));
      await sim.sleep(10);
    });
    const got = (q: string) => rabbit.peek(q).map((m) => String(m.content));
    expect(got("one-region")).toEqual(["orders.eu.created", "orders.us.created"]);
    expect(got("everything")).toEqual(["orders", "orders.created", "orders.eu.created", "orders.eu.x.created", "orders.us.created", "orders.eu.updated", "orders.eu"]);
  });

  it("matches the edge cases of * and #", () => {
    const table: [string, string, boolean][] = [
      ["orders.*.created", "orders", false],
      ["orders.*.created", "orders.created", false],
      ["orders.*.created", "orders.eu.created", true],
      ["orders.*.created", "orders.eu.x.created", false],
      ["orders.#", "orders", true],
      ["orders.#", "orders.created", true],
      ["orders.#", "orders.eu.x.created", true],
      ["orders.#", "ordersx", false],
      ["#", "", true],
      ["#", "a.b.c", true],
      ["*", "a", true],
      ["*", "a.b", false],
      ["#.created", "created", true],
      ["#.created", "orders.eu.created", true],
      ["orders.#.created", "orders.created", true],
      ["orders.#.created", "orders.eu.x.created", true],
      ["orders.#.created", "orders.eu.updated", false],
      // The empty key has no words (checked against RabbitMQ 3.10: test/rabbitmq).
      ["*.#", "", false],
      ["*", "", false],
      ["#.#", "", true],
      ["a.#.#.b", "a.b", true],
    ];
    for (const [pattern, key, expected] of table) expect([pattern, key, topicMatches(pattern, key)]).toEqual([pattern, key, expected]);
  });
});

describe("RabbitMQ direct, fanout, headers and default exchanges", () => {
  it("routes by exact key, to every queue, and by header values with x-match all/any", async () => {
    const { sim, ch, rabbit } = await setup();
    await sim.run(async () => {
      await ch.assertExchange("d", "direct");
      await ch.assertExchange("f", "fanout");
      await ch.assertExchange("h", "headers");
      for (const q of ["d-eu", "d-us", "f1", "f2", "h-all", "h-any"]) await ch.assertQueue(q);
      await ch.bindQueue("d-eu", "d", "eu");
      await ch.bindQueue("d-us", "d", "us");
      await ch.bindQueue("f1", "f", "ignored");
      await ch.bindQueue("f2", "f", "");
      await ch.bindQueue("h-all", "h", "", { "x-match": "all", format: "pdf", type: "report" });
      await ch.bindQueue("h-any", "h", "", { "x-match": "any", format: "pdf", type: "report" });
      ch.publish("d", "eu", Buffer.from("d1"));
      ch.publish("d", "eu.x", Buffer.from("d2"));
      ch.publish("f", "whatever", Buffer.from("f1"));
      ch.publish("h", "", Buffer.from("both"), { headers: { format: "pdf", type: "report" } });
      ch.publish("h", "", Buffer.from("format only"), { headers: { format: "pdf" } });
      ch.publish("h", "", Buffer.from("neither"), { headers: { format: "zip" } });
      ch.sendToQueue("d-us", Buffer.from("via default exchange"));
      await sim.sleep(10);
    });
    const got = (q: string) => rabbit.peek(q).map((m) => String(m.content));
    expect(got("d-eu")).toEqual(["d1"]);
    expect(got("d-us")).toEqual(["via default exchange"]);
    expect(got("f1")).toEqual(["f1"]);
    expect(got("f2")).toEqual(["f1"]);
    expect(got("h-all")).toEqual(["both"]);
    expect(got("h-any")).toEqual(["both", "format only"]);
  });

  it("returns an unroutable mandatory message to the publisher and drops an unroutable plain one", async () => {
    const { sim, ch } = await setup();
    const returned: string[] = [];
    ch.on("return", (m: AmqpMessage) => returned.push(body(m)));
    await sim.run(async () => {
      await ch.assertExchange("d", "direct");
      ch.publish("d", "nobody", Buffer.from("lost"));
      ch.publish("d", "nobody", Buffer.from("back"), { mandatory: true });
      await sim.sleep(10);
    });
    expect(returned).toEqual(["back"]);
    expect(sim.metrics.counter("rabbitmq unroutable").value).toBe(2);
  });
});

describe("RabbitMQ delivery", () => {
  it("pushes round robin to competing consumers and removes a message only when acked", async () => {
    const { sim, ch, rabbit } = await setup();
    const got: string[] = [];
    await sim.run(async () => {
      await ch.assertQueue("tasks");
      const ch2 = await ch.connection.createChannel();
      await ch.consume("tasks", (m) => got.push(`A:${body(m!)}`));
      await ch2.consume("tasks", (m) => got.push(`B:${body(m!)}`));
      for (let i = 1; i <= 6; i++) ch.sendToQueue("tasks", Buffer.from(`t${i}`));
      await sim.sleep(10);
    });
    expect(got).toEqual(["A:t1", "B:t2", "A:t3", "B:t4", "A:t5", "B:t6"]);
    // Nobody acked: the queue still holds them as unacked.
    expect(rabbit.queueInfo("tasks")).toMatchObject({ messages: 0, unacked: 6, consumers: 2 });
  });

  it("honours prefetch: at most N unacked per consumer; an ack lets the next one through", async () => {
    const { sim, ch, rabbit } = await setup();
    const held: AmqpMessage[] = [];
    await sim.run(async () => {
      await ch.assertQueue("tasks");
      for (let i = 1; i <= 10; i++) ch.sendToQueue("tasks", Buffer.from(`t${i}`));
      await ch.prefetch(3);
      await ch.consume("tasks", (m) => held.push(m!));
      await sim.sleep(10);
    });
    expect(held.map(body)).toEqual(["t1", "t2", "t3"]);
    expect(rabbit.queueInfo("tasks")).toMatchObject({ messages: 7, unacked: 3 });
    await sim.run(async () => {
      ch.ack(held[0]!);
      await sim.sleep(10);
    });
    expect(held.map(body)).toEqual(["t1", "t2", "t3", "t4"]);
    expect(rabbit.queueInfo("tasks")).toMatchObject({ messages: 6, unacked: 3, stats: { acked: 1 } });
  });

  it("requeues a nacked message with redelivered = true, and the unacked messages of a closed channel", async () => {
    const { sim, ch, conn, rabbit } = await setup();
    const first: AmqpMessage[] = [];
    await sim.run(async () => {
      await ch.assertQueue("tasks");
      for (let i = 1; i <= 3; i++) ch.sendToQueue("tasks", Buffer.from(`t${i}`));
      await ch.consume("tasks", (m) => first.push(m!));
      await sim.sleep(10);
      ch.nack(first[0]!, false, true);
      await sim.sleep(10);
    });
    // t1 came back and was delivered again, flagged.
    expect(first.map((m) => `${body(m)}${m.fields.redelivered ? "*" : ""}`)).toEqual(["t1", "t2", "t3", "t1*"]);
    await sim.run(() => ch.close());
    expect(rabbit.queueInfo("tasks")).toMatchObject({ messages: 3, unacked: 0 });
    const again: AmqpMessage[] = [];
    await sim.run(async () => {
      const ch2 = await conn.createChannel();
      await ch2.consume("tasks", (m) => {
        again.push(m!);
        ch2.ack(m!);
      });
      await sim.sleep(10);
    });
    // Requeued messages keep their original order and are all flagged redelivered.
    expect(again.map((m) => `${body(m)}${m.fields.redelivered ? "*" : ""}`)).toEqual(["t1*", "t2*", "t3*"]);
    expect(rabbit.queueInfo("tasks")).toMatchObject({ messages: 0, unacked: 0 });
  });

  it("loses ordering when one of two consumers requeues", async () => {
    const { sim, ch } = await setup();
    const processed: string[] = [];
    await sim.run(async () => {
      await ch.assertQueue("q");
      await ch.prefetch(1);
      const ch2 = await ch.connection.createChannel();
      await ch2.prefetch(1);
      let failedOnce = false;
      await ch.consume("q", (m) => {
        if (body(m!) === "m1" && !failedOnce) {
          failedOnce = true;
          ch.nack(m!, false, true);
          return;
        }
        void sim.sleep(5).then(() => {
          processed.push(body(m!));
          ch.ack(m!);
        });
      });
      await ch2.consume("q", (m) =>
        void sim.sleep(5).then(() => {
          processed.push(body(m!));
          ch2.ack(m!);
        }),
      );
      for (let i = 1; i <= 4; i++) ch.sendToQueue("q", Buffer.from(`m${i}`));
      await sim.sleep(100);
    });
    expect(processed).toHaveLength(4);
    expect(processed).not.toEqual(["m1", "m2", "m3", "m4"]);
    expect(processed.indexOf("m1")).toBeGreaterThan(processed.indexOf("m2"));
  });

  it("get pulls one message with the remaining count, or false", async () => {
    const { sim, ch } = await setup();
    const out = await sim.run(async () => {
      await ch.assertQueue("q");
      ch.sendToQueue("q", Buffer.from("a"));
      ch.sendToQueue("q", Buffer.from("b"));
      await sim.sleep(5);
      const first = await ch.get("q");
      const second = await ch.get("q", { noAck: true });
      const third = await ch.get("q");
      return { first, second, third };
    });
    expect(out.first && [body(out.first), out.first.fields.messageCount]).toEqual(["a", 1]);
    expect(out.second && [body(out.second), out.second.fields.messageCount]).toEqual(["b", 0]);
    expect(out.third).toBe(false);
  });
});

describe("RabbitMQ dead-lettering", () => {
  async function withDlx(args: Parameters<Channel["assertQueue"]>[1]) {
    const s = await setup();
    await s.sim.run(async () => {
      await s.ch.assertExchange("dlx", "fanout");
      await s.ch.assertQueue("dead");
      await s.ch.bindQueue("dead", "dlx", "");
      await s.ch.assertQueue("work", { deadLetterExchange: "dlx", ...args });
    });
    return s;
  }

  it("dead-letters a rejected message (requeue false) with an x-death entry; reject with requeue keeps it", async () => {
    const { sim, ch, rabbit } = await withDlx({});
    await sim.run(async () => {
      ch.publish("", "work", Buffer.from("bad"), { headers: { id: 7 } });
      await sim.sleep(5);
      const m = await ch.get("work");
      if (m) ch.reject(m, false);
      await sim.sleep(5);
    });
    const [dead] = rabbit.peek("dead");
    expect(String(dead!.content)).toBe("bad");
    expect(dead!.headers["id"]).toBe(7);
    expect(dead!.headers["x-death"]).toEqual([{ count: 1, reason: "rejected", queue: "work", time: { "!": "timestamp", value: 0 }, exchange: "", "routing-keys": ["work"] }]);
    expect(dead!.headers["x-first-death-reason"]).toBe("rejected");
    expect(rabbit.queueInfo("work").stats.deadLettered).toEqual({ rejected: 1, expired: 0, maxlen: 0 });
  });

  it("expires messages after x-message-ttl and dead-letters them as expired", async () => {
    const { sim, ch, rabbit } = await withDlx({ messageTtl: 1_000 });
    await sim.run(async () => {
      ch.sendToQueue("work", Buffer.from("old"));
      await sim.sleep(500);
      ch.sendToQueue("work", Buffer.from("young"));
      await sim.sleep(600);
    });
    // t=1 101: the first (sent at 1 ms) expired at 1 001; the second expires at 1 501.
    expect(rabbit.peek("work").map((m) => String(m.content))).toEqual(["young"]);
    expect(rabbit.peek("dead").map((m) => String(m.content))).toEqual(["old"]);
    expect((rabbit.peek("dead")[0]!.headers["x-death"] as XDeath[])[0]).toMatchObject({ reason: "expired", queue: "work", count: 1 });
    await sim.runFor(500);
    expect(rabbit.peek("dead").map((m) => String(m.content))).toEqual(["old", "young"]);
  });

  it("expires a per-message expiration only at the head of the queue, and records original-expiration", async () => {
    const { sim, ch, rabbit } = await withDlx({});
    await sim.run(async () => {
      ch.sendToQueue("work", Buffer.from("long"), { expiration: 10_000 });
      ch.sendToQueue("work", Buffer.from("short"), { expiration: 100 });
      await sim.sleep(500);
    });
    // "short" is past its TTL but waits behind "long".
    expect(rabbit.peek("work").map((m) => String(m.content))).toEqual(["long", "short"]);
    await sim.runFor(10_000);
    expect(rabbit.peek("dead").map((m) => String(m.content))).toEqual(["long", "short"]);
    expect((rabbit.peek("dead")[1]!.headers["x-death"] as XDeath[])[0]).toMatchObject({ reason: "expired", "original-expiration": "100" });
  });

  it("drops the oldest ready message past x-max-length (drop-head) to the DLX as maxlen", async () => {
    const { sim, ch, rabbit } = await withDlx({ maxLength: 2 });
    await sim.run(async () => {
      for (const m of ["a", "b", "c", "d"]) ch.sendToQueue("work", Buffer.from(m));
      await sim.sleep(5);
    });
    expect(rabbit.peek("work").map((m) => String(m.content))).toEqual(["c", "d"]);
    expect(rabbit.peek("dead").map((m) => String(m.content))).toEqual(["a", "b"]);
    expect((rabbit.peek("dead")[0]!.headers["x-death"] as XDeath[])[0]).toMatchObject({ reason: "maxlen", queue: "work" });
  });

  it("refuses new messages with reject-publish, nacking them on a confirm channel", async () => {
    const { sim, conn, rabbit } = await withDlx({ maxLength: 2, overflow: "reject-publish" });
    const results: string[] = [];
    await sim.run(async () => {
      const cc = await conn.createConfirmChannel();
      for (const m of ["a", "b", "c"]) cc.sendToQueue("work", Buffer.from(m), {}, (err) => results.push(`${m}:${err ? "nack" : "ack"}`));
      await cc.waitForConfirms().catch(() => undefined);
    });
    expect(results).toEqual(["a:ack", "b:ack", "c:nack"]);
    expect(rabbit.peek("work").map((m) => String(m.content))).toEqual(["a", "b"]);
    expect(rabbit.peek("dead")).toEqual([]);
  });

  it("counts repeated dead-lettering through the same queue in one x-death entry", async () => {
    const { sim, ch, rabbit } = await setup();
    await sim.run(async () => {
      // work → (reject) → retry (ttl 100) → (expired) → work again: a retry loop.
      await ch.assertExchange("retry-x", "direct");
      await ch.assertExchange("work-x", "direct");
      await ch.assertQueue("work", { deadLetterExchange: "retry-x" });
      await ch.assertQueue("retry", { messageTtl: 100, deadLetterExchange: "work-x" });
      await ch.bindQueue("retry", "retry-x", "work");
      await ch.bindQueue("work", "work-x", "work");
      ch.sendToQueue("work", Buffer.from("job"));
      for (let i = 0; i < 3; i++) {
        await sim.sleep(5);
        const m = await ch.get("work");
        if (m) ch.reject(m, false);
        await sim.sleep(150);
      }
    });
    const [m] = rabbit.peek("work");
    const deaths = m!.headers["x-death"] as XDeath[];
    expect(deaths.map((d) => [d.queue, d.reason, d.count])).toEqual([
      ["retry", "expired", 3],
      ["work", "rejected", 3],
    ]);
  });
});

describe("RabbitMQ channel errors", () => {
  it("closes the channel with 404 when publishing to a missing exchange; later calls are IllegalOperationError", async () => {
    const { sim, ch } = await setup();
    const errors: AmqpChannelError[] = [];
    ch.on("error", (e: AmqpChannelError) => errors.push(e));
    let closed = false;
    ch.on("close", () => (closed = true));
    await sim.run(async () => {
      expect(ch.publish("nope", "k", Buffer.from("x"))).toBe(true);
      await sim.sleep(5);
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(AmqpChannelError);
    expect(errors[0]).toMatchObject({ code: 404, replyText: "NOT_FOUND - no exchange 'nope' in vhost '/'" });
    expect(errors[0]!.message).toBe(`Channel closed by server: 404 (NOT-FOUND) with message "NOT_FOUND - no exchange 'nope' in vhost '/'"`);
    expect(closed).toBe(true);
    expect(() => ch.publish("", "q", Buffer.from("x"))).toThrow(IllegalOperationError);
    await expect(sim.run(() => ch.assertQueue("q"))).rejects.toBeInstanceOf(IllegalOperationError);
  });

  it("refuses a string or a plain Uint8Array body with amqplib's TypeError, saying what to write", async () => {
    const { ch } = await setup();
    const publish = (content: unknown) => () => ch.sendToQueue("q", content as Buffer);
    expect(publish("text")).toThrow(TypeError);
    expect(publish("text")).toThrow(/content is not a buffer.*got a string.*Buffer\.from\(text\)/);
    expect(publish(new Uint8Array([1]))).toThrow(/not a Buffer/);
    expect(publish(Buffer.from("text"))).not.toThrow();
  });

  it("closes the channel with 406 on an unknown delivery tag (a double ack)", async () => {
    const { sim, ch, rabbit } = await setup();
    const errors: AmqpChannelError[] = [];
    ch.on("error", (e: AmqpChannelError) => errors.push(e));
    await sim.run(async () => {
      await ch.assertQueue("q");
      ch.sendToQueue("q", Buffer.from("a"));
      ch.sendToQueue("q", Buffer.from("b"));
      await sim.sleep(5);
      const m = await ch.get("q");
      const m2 = await ch.get("q");
      ch.ack(m as AmqpMessage);
      ch.ack(m as AmqpMessage);
      void m2;
      await sim.sleep(5);
    });
    expect(errors.map((e) => [e.code, e.replyText])).toEqual([[406, "PRECONDITION_FAILED - unknown delivery tag 1"]]);
    // b was unacked on the closed channel: back in the queue.
    expect(rabbit.queueInfo("q")).toMatchObject({ messages: 1, unacked: 0 });
  });

  it("rejects a redeclaration with other arguments with 406 naming the argument", async () => {
    const { sim, ch } = await setup();
    const error = await sim.run(async () => {
      await ch.assertQueue("q", { messageTtl: 1_000 });
      return ch.assertQueue("q", { messageTtl: 2_000 }).catch((e: unknown) => e);
    });
    expect(error).toBeInstanceOf(AmqpChannelError);
    expect(error).toMatchObject({ code: 406, operation: "QueueDeclare" });
    expect((error as Error).message).toContain("inequivalent arg 'x-message-ttl' for queue 'q'");
    expect(ch.isClosed).toBe(true);
  });

  it("fails consume on a missing queue with 404, and touching another connection's exclusive queue with 405", async () => {
    const { sim, rabbit, ch } = await setup();
    const e404 = await sim.run(() => ch.consume("missing", () => undefined).catch((e: unknown) => e));
    expect(e404).toMatchObject({ code: 404, replyText: "NOT_FOUND - no queue 'missing' in vhost '/'" });
    const e405 = await sim.run(async () => {
      const a = await (await rabbit.connect()).createChannel();
      const { queue } = await a.assertQueue("", { exclusive: true });
      expect(queue).toMatch(/^amq\.gen-/);
      const b = await (await rabbit.connect()).createChannel();
      return b.consume(queue, () => undefined).catch((e: unknown) => e);
    });
    expect(e405).toMatchObject({ code: 405 });
  });
});

describe("RabbitMQ crashes", () => {
  it("requeues what a crashed consumer had unacked, for the other consumer", async () => {
    const sim = new Simulation({ seed: 1 });
    const rabbit = new RabbitMQ(sim);
    const byB: string[] = [];
    const a = await sim.run(async () => {
      const ca = await rabbit.connect({ name: "worker-a" });
      const cb = await rabbit.connect({ name: "worker-b" });
      const chA = await ca.createChannel();
      const chB = await cb.createChannel();
      await chA.assertQueue("jobs");
      await chA.prefetch(2);
      await chB.prefetch(2);
      await chA.consume("jobs", () => undefined);
      await chB.consume("jobs", (m) => {
        byB.push(`${body(m!)}${m!.fields.redelivered ? "*" : ""}`);
        chB.ack(m!);
      });
      for (let i = 1; i <= 4; i++) chA.sendToQueue("jobs", Buffer.from(`j${i}`));
      await sim.sleep(10);
      return ca;
    });
    expect(byB).toEqual(["j2", "j4"]);
    sim.faults.crash(a.node.name);
    await sim.runFor(10);
    expect(byB).toEqual(["j2", "j4", "j1*", "j3*"]);
    expect(rabbit.queueInfo("jobs")).toMatchObject({ messages: 0, unacked: 0 });
  });

  it("keeps persistent messages in durable queues across a broker restart and loses the rest", async () => {
    const { sim, ch, rabbit } = await setup();
    await sim.run(async () => {
      await ch.assertQueue("durable-q", { durable: true });
      await ch.assertQueue("transient-q", { durable: false });
      ch.sendToQueue("durable-q", Buffer.from("kept"), { persistent: true });
      ch.sendToQueue("durable-q", Buffer.from("lost"), { persistent: false });
      ch.sendToQueue("transient-q", Buffer.from("gone"), { persistent: true });
      await sim.sleep(5);
    });
    sim.faults.crash(rabbit.node.name);
    sim.faults.restart(rabbit.node.name);
    await sim.runFor(1);
    expect(rabbit.peek("durable-q").map((m) => String(m.content))).toEqual(["kept"]);
    expect(() => rabbit.queueInfo("transient-q")).toThrow(/existing queue/);
    expect(ch.isClosed).toBe(true);
  });
});
