// Delivery guarantees under the same seeded crashes, and the measured Kafka vs RabbitMQ comparison.
import { describe, expect, it } from "vitest";
import { DISPLAY, ConfigError } from "../../../src/lab/index";
import { compareDeliveryGuarantees, compareKafkaRabbitMQ } from "../../../src/lab/messaging/index";

describe("compareDeliveryGuarantees", () => {
  it("loses with at-most-once, duplicates with at-least-once, and neither with dedup or transactions, under the same crashes", async () => {
    const result = await compareDeliveryGuarantees({ messages: 300, crashes: 3, seed: 42 });
    expect(result.crashAfter).toEqual([52, 87, 171]);
    const row = (g: Parameters<typeof result.run>[0]) => {
      const r = result.run(g);
      return { sent: r.sent, processed: r.processed, lost: r.lost, duplicated: r.duplicated, redelivered: r.redelivered, crashes: r.crashes };
    };
    expect(row("at-most-once")).toEqual({ sent: 300, processed: 282, lost: 18, duplicated: 0, redelivered: 0, crashes: 3 });
    expect(row("at-least-once")).toEqual({ sent: 300, processed: 312, lost: 0, duplicated: 12, redelivered: 12, crashes: 3 });
    expect(row("at-least-once + idempotent consumer")).toEqual({ sent: 300, processed: 300, lost: 0, duplicated: 0, redelivered: 12, crashes: 3 });
    expect(row("exactly-once")).toEqual({ sent: 300, processed: 300, lost: 0, duplicated: 0, redelivered: 12, crashes: 3 });
    const md = result[DISPLAY]()["text/markdown"]!;
    expect(md).toContain("| at-most-once | commit, then process | 300 | 282 | 18 | 0 | 0 | 3 |");
    expect(md.length).toBeLessThan(2_000);
  });

  it("holds the relations for other seeds and sizes", async () => {
    let lost = 0;
    let duplicated = 0;
    for (const seed of [1, 2, 3]) {
      const r = await compareDeliveryGuarantees({ messages: 120, crashes: 2, seed });
      // A crash that lands right after a batch's last message loses nothing even at-most-once.
      lost += r.run("at-most-once").lost;
      duplicated += r.run("at-least-once").duplicated;
      expect(r.run("at-most-once").duplicated).toBe(0);
      expect(r.run("at-least-once").lost).toBe(0);
      expect(r.run("at-least-once").duplicated).toBeGreaterThan(0);
      for (const g of ["at-least-once + idempotent consumer", "exactly-once"] as const) expect([g, r.run(g).lost, r.run(g).duplicated]).toEqual([g, 0, 0]);
    }
    expect(lost).toBe(15);
    expect(duplicated).toBe(47);
  });

  it("with no crashes every guarantee delivers each payment once", async () => {
    const r = await compareDeliveryGuarantees({ messages: 60, crashes: 0 });
    for (const run of r.runs) expect([run.guarantee, run.lost, run.duplicated, run.processed]).toEqual([run.guarantee, 0, 0, 60]);
  });

  it("names bad options", async () => {
    await expect(compareDeliveryGuarantees({ messages: 0 })).rejects.toThrow(ConfigError);
    await expect(compareDeliveryGuarantees({ messages: 5, crashes: 5 })).rejects.toThrow(/crashes must be fewer than messages \(5\), got 5/);
    await expect(compareDeliveryGuarantees({ guarantees: ["twice" as never] })).rejects.toThrow(/guarantees must be one of/);
  });
});

describe("compareKafkaRabbitMQ", () => {
  it("measures pull vs push, log vs queue, replay, ordering, routing and frames per message", async () => {
    const c = await compareKafkaRabbitMQ({ messages: 300 });
    // Kafka: consumers pull in batches; RabbitMQ: the broker pushes every message (one is redelivered).
    expect(c.kafka.consumerRequests).toBeGreaterThan(0);
    expect(c.kafka.consumerRequests).toBeLessThan(30);
    expect(c.kafka.pushedDeliveries).toBe(0);
    expect(c.rabbitmq.consumerRequests).toBe(0);
    expect(c.rabbitmq.pushedDeliveries).toBe(301);
    // Storage: the log keeps everything, the queue deletes what was acked.
    expect(c.kafka.storedAfterConsumption).toBe(300);
    expect(c.rabbitmq.storedAfterConsumption).toBe(0);
    expect(c.kafka.replayedByNewReader).toBe(300);
    expect(c.rabbitmq.replayedByNewReader).toBe(0);
    // Order per key holds with Kafka partitions; one requeue with two consumers breaks it on RabbitMQ.
    expect(c.kafka.orderViolations).toBe(0);
    expect(c.rabbitmq.orderViolations).toBeGreaterThan(0);
    // Routing: RabbitMQ delivers only the EU third; a Kafka reader reads everything and filters.
    expect(c.rabbitmq.receivedForEuSubset).toBe(100);
    expect(c.kafka.receivedForEuSubset).toBe(300);
    expect(c.kafka.euEvents).toBe(100);
    // Batching: Kafka needs a fraction of a request per message, RabbitMQ about three frames.
    expect(c.kafka.framesPerMessage).toBeLessThan(0.5);
    expect(c.rabbitmq.framesPerMessage).toBeGreaterThanOrEqual(3);
    const md = c[DISPLAY]()["text/markdown"]!;
    expect(md).toContain("| stored after every consumer is done | 300 of 300 (a log) | 0 of 300 (acked = deleted) |");
  });
});
