// 04-messaging: the notebook runs headlessly, and the relations its prose claims hold.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cellsOf, root, runJson } from "./run";
import { parseNotebook } from "../../../src/notebook/format";
import { partitionForKey } from "../../../src/lab/index";
import { messaging } from "../../../src/catalog/sections/messaging";

const report = runJson("notebooks/04-messaging.sdenb");
const nb = cellsOf(report);

/** Rows of the first markdown table in a markdown text, as objects keyed by header. */
function rows(md: string): Record<string, string>[] {
  const lines = md.split("\n").filter((l) => l.startsWith("|"));
  const cut = (l: string) => l.slice(1, -1).split(" | ").map((c) => c.trim());
  const head = cut(lines[0]!);
  return lines.slice(2).map((l) => Object.fromEntries(cut(l).map((c, i) => [head[i]!, c])));
}
const markdownOf = (id: string, index = -1) => nb.item(id, "text/markdown", index)!;
const num = (s: string | undefined) => Number(String(s).replace(/[^\d.-]/g, ""));

describe("04-messaging notebook", () => {
  it("runs every cell to the end, with no output over 20 KB", () => {
    expect(report.ok).toBe(true);
    for (const c of nb.cells) for (const o of c.outputs) for (const i of o.items) expect([c.id, i.data.length < (i.mime.startsWith("application/vnd.sde-lab.") ? 200_000 : 20_000)]).toEqual([c.id, true]); // charts and replays may carry ~200 KB
  });

  it("kafka: each key lands on one partition both rounds, the one murmur2 gives; nine keys spread unevenly", () => {
    const t = rows(markdownOf("kafka-partitions"));
    expect(t).toHaveLength(9);
    for (const r of t) {
      expect(r["round 1"]).toBe(r["round 2"]);
      expect(num(r["round 1"])).toBe(partitionForKey(r.key!, 3));
    }
    const perPartition = [0, 1, 2].map((p) => t.filter((r) => num(r["round 1"]) === p).length);
    expect(Math.max(...perPartition)).toBe(6);
  });

  it("kafka: 2 partitions each, then 3 each about 29 s after the crash; the survivors resume at the committed offset", () => {
    for (const r of rows(markdownOf("kafka-group"))) expect([r.partitions!.split(", ").length, r.processed]).toEqual([2, "20"]);
    expect(markdownOf("kafka-crash", 0)).toContain("own **2 and 2** partitions");
    const last = rows(markdownOf("kafka-crash")).at(-1)!;
    expect(last.reason).toBe("billing-3 session timed out");
    expect(num(last["at (s after crash)"])).toBeGreaterThan(27);
    expect(num(last["at (s after crash)"])).toBeLessThanOrEqual(30);
    expect(last.assignment).toBe("billing-1: 3, billing-2: 3");
    expect(num(last["partitions moved"])).toBe(4);
    const late = rows(markdownOf("kafka-resume", 0));
    expect(late.filter((r) => ["2", "5"].includes(r.partition!)).every((r) => r.offset === "10" && r["read by"] !== "billing-3")).toBe(true);
    expect(markdownOf("kafka-resume", 1)).toContain("**0** message(s) not yet committed");
    const seq = markdownOf("kafka-resume", 2);
    expect(seq).toContain("crash");
    expect(seq).toContain("rebalance");
    const replay = rows(markdownOf("kafka-replay"))[0]!;
    expect(replay["records in the log"]).toBe(replay["read again by group audit"]);
  });

  it("charts: billing-3's partitions pile up lag until the session times out and return to 0 after the rebalance; at-least-once charges twice only after the crash", () => {
    type Data = { series: { name: string; x: number[]; y: (number | null)[] }[]; annotations: { at: number; label: string }[] };
    const chartOf = (id: string) => JSON.parse(nb.item(id, "application/vnd.sde-lab.chart+json")!) as Data;
    const lag = chartOf("kafka-lag-chart");
    const crash = lag.annotations.find((a) => a.label === "billing-3 crash")!.at;
    const rebalance = lag.annotations.find((a) => /session timed out/.test(a.label))!.at;
    expect(rebalance - crash).toBeGreaterThan(5_000);
    const peakOf = (s: Data["series"][number]) => Math.max(...s.y.map((v) => v ?? 0));
    const byPeak = [...lag.series].sort((a, b) => peakOf(b) - peakOf(a));
    // Two of six partitions were billing-3's: their lag climbs for the whole wait, the others' stays small.
    for (const s of byPeak.slice(0, 2)) {
      expect(peakOf(s), s.name).toBeGreaterThanOrEqual(50);
      const peakAt = s.x[s.y.indexOf(peakOf(s))]!;
      expect(peakAt).toBeGreaterThan(crash);
      expect(peakAt).toBeLessThanOrEqual(rebalance + 1_000);
    }
    for (const s of byPeak.slice(2)) expect(peakOf(s), s.name).toBeLessThan(15);
    for (const s of lag.series) expect(s.y.at(-1), s.name).toBe(0);
    // The replay of the same run shows the records moving: fetches from the leaders to each consumer, and billing-3's partitions fetched by the others after the rebalance.
    const replay = JSON.parse(nb.item("kafka-lag-chart", "application/vnd.sde-lab.replay+json", 0)!) as { nodes: string[]; links: [number, number, number][] };
    const fetched = (to: string) => replay.links.filter(([a, b]) => /^kafka-\d$/.test(replay.nodes[a]!) && replay.nodes[b] === to).map(([, , n]) => n);
    for (const c of ["billing-1", "billing-2", "billing-3"]) expect(fetched(c).length, c).toBeGreaterThan(0);
    expect(fetched("billing-1").length).toBeGreaterThan(fetched("billing-3").length);
    const dup = chartOf("at-least-once-chart");
    const total = (name: string, from = -Infinity) => dup.series.find((s) => s.name === name)!.x.reduce((n, x, i) => n + (x >= from ? (dup.series.find((s) => s.name === name)!.y[i] ?? 0) : 0), 0);
    const crashed = dup.annotations.find((a) => a.label === "worker-1 crash")!.at;
    expect(total("first charge")).toBe(40);
    expect(total("charged again (duplicate)")).toBe(2); // the naive run's double charges
    // worker-1 crashed at once; both duplicates come later, from worker-2 (started at 1 s) re-reading from the last commit.
    expect(crashed).toBeLessThan(1_000);
    expect(total("charged again (duplicate)", 1_000)).toBe(2);
  });

  it("rabbitmq: the topic table, the redelivered tasks, the dead-letter reasons and the channel errors", () => {
    const route = Object.fromEntries(rows(markdownOf("rabbitmq-routing")).map((r) => [r["routing key"], [r["orders.*.created"], r["orders.#"]]]));
    expect(route).toEqual({
      orders: ["", "✔"],
      "orders.created": ["", "✔"],
      "orders.eu.created": ["✔", "✔"],
      "orders.eu.x.created": ["", "✔"],
      "orders.us.created": ["✔", "✔"],
      "orders.eu.updated": ["", "✔"],
      "shipping.eu.created": ["", ""],
    });
    const done = rows(markdownOf("rabbitmq-workers", 0));
    expect(done.filter((r) => r.redelivered === "true").map((r) => `${r.task} ${r.worker}`)).toEqual(["task-1 worker-b", "task-3 worker-b"]);
    expect(done.filter((r) => r.task === "task-1")).toHaveLength(2);
    expect(done.findIndex((r) => r.task === "task-4")).toBeLessThan(done.findIndex((r) => r.task === "task-3"));
    expect(rows(markdownOf("rabbitmq-workers", 1).split("\n\n")[1]!)[0]).toMatchObject({ ready: "0", unacked: "0", delivered: "10", acked: "8", requeued: "2" });
    expect(rows(markdownOf("rabbitmq-dlx")).map((r) => `${r.message}:${r.reason}`)).toEqual(["a:maxlen", "b:maxlen", "c:rejected", "d:expired", "e:expired"]);
    expect(rows(markdownOf("rabbitmq-errors")).map((r) => r.code)).toEqual(["404", "406"]);
  });

  it("rabbitmq on a real broker: every queue agrees with the simulation, or without AMQP_URL the cell says how to start one and skips", () => {
    const out = markdownOf("rabbitmq-real-broker-run");
    if (process.env.AMQP_URL) {
      const t = rows(out);
      expect(t.map((r) => r.queue)).toEqual(["created-one-region", "all-orders"]);
      expect(t.map((r) => r.same)).toEqual(["✔", "✔"]);
      expect(t[0]!.RabbitMQ).toBe("orders.eu.created, orders.us.created");
    } else {
      expect(out).toContain("skipped");
      expect(out).toContain("docker run -d -p 5672:5672 rabbitmq:3.10");
    }
  });

  it("kafka vs rabbitmq, built in the cell: both workers do every job; only the log gives a new reader the history", () => {
    const t = Object.fromEntries(rows(markdownOf("kafka-vs-rabbitmq-build")).map((r) => [r.broker, r]));
    expect(t.Kafka).toMatchObject({ "done by the worker": "30", "read by a new reader": "30", "still stored": "30" });
    expect(t.RabbitMQ).toMatchObject({ "done by the worker": "30", "read by a new reader": "0", "still stored": "0" });
  });

  it("kafka vs rabbitmq: the log keeps and replays, the queue forgets; order and routing as the prose says", () => {
    const t = Object.fromEntries(rows(markdownOf("kafka-vs-rabbitmq-run").split("\n\n")[1]!).map((r) => [r.aspect, r]));
    expect(t["stored after every consumer is done"]).toMatchObject({ Kafka: "300 of 300 (a log)", RabbitMQ: "0 of 300 (acked = deleted)" });
    expect(t["read by a reader that came later"]!.RabbitMQ).toBe("0 of 300");
    expect(t["per-key order violations (2 consumers, 1 retry)"]!.Kafka).toBe("0");
    expect(num(t["per-key order violations (2 consumers, 1 retry)"]!.RabbitMQ)).toBeGreaterThan(0);
    expect(t["model"]!.RabbitMQ).toContain("301 deliveries");
    expect(num(t["frames per message (publish + deliver + ack/commit)"]!.Kafka)).toBeLessThan(1);
    expect(num(t["frames per message (publish + deliver + ack/commit)"]!.RabbitMQ)).toBeGreaterThanOrEqual(3);
  });

  it("delivery guarantees: at-most-once loses, at-least-once duplicates, dedup and transactions do neither", () => {
    expect(rows(markdownOf("at-most-once-run", 0))[0]).toEqual({ sent: "40", applied: "30", lost: "10", "applied twice": "0" });
    expect(rows(markdownOf("at-most-once-rabbit"))[0]).toEqual({ sent: "20", handled: "5", lost: "15", "left in the queue": "0" });
    const alo = rows(markdownOf("at-least-once-run"));
    expect(alo.map((r) => [r.handler, r.deliveries, r["double charges"], r.lost])).toEqual([
      ["naive", "42", "2", "0"],
      ["skip seen ids", "42", "0", "0"],
    ]);
    const mail = rows(markdownOf("at-least-once-rabbit"));
    expect(mail[1]).toEqual({ message: "email-1", worker: "mailer-2", redelivered: "true", action: "skipped (already sent)" });
    const readers = rows(markdownOf("exactly-once-readers"));
    expect(readers.map((r) => [r.isolation, r["charges seen"], r.duplicates, r.lost])).toEqual([
      ["read_committed", "40", "0", "0"],
      ["read_uncommitted", "42", "2", "0"],
    ]);
    const cmp = Object.fromEntries(rows(markdownOf("exactly-once-compare", 0).split("\n\n")[1]!).map((r) => [r.guarantee, r]));
    expect(num(cmp["at-most-once"]!.lost)).toBeGreaterThan(0);
    expect(cmp["at-most-once"]!.duplicated).toBe("0");
    expect(cmp["at-least-once"]!.lost).toBe("0");
    expect(num(cmp["at-least-once"]!.duplicated)).toBeGreaterThan(0);
    for (const g of ["at-least-once + idempotent consumer", "exactly-once"]) expect([cmp[g]!.lost, cmp[g]!.duplicated]).toEqual(["0", "0"]);
    // The same relations in every seed of the sweep: "median (lowest–highest)", or one number when every seed agrees.
    const lowest = (cell: string) => num(/\((\d+)–/.exec(cell)?.[1] ?? cell);
    const sweep = Object.fromEntries(rows(markdownOf("exactly-once-compare")).map((r) => [r.guarantee, r]));
    expect(rows(markdownOf("exactly-once-compare")).map((r) => r.seeds)).toEqual(["1–8", "1–8", "1–8", "1–8"]);
    expect(lowest(sweep["at-most-once"]!.lost!)).toBeGreaterThan(0);
    expect(sweep["at-most-once"]!.duplicated).toBe("0");
    expect(sweep["at-least-once"]!.lost).toBe("0");
    expect(lowest(sweep["at-least-once"]!.duplicated!)).toBeGreaterThan(0);
    for (const g of ["at-least-once + idempotent consumer", "exactly-once"]) {
      expect([sweep[g]!.lost, sweep[g]!.duplicated]).toEqual(["0", "0"]);
      expect(sweep[g]!.redelivered).toBe(sweep["at-least-once"]!.redelivered); // the work was still redone
    }
  });

  it("every challenge check fails with the starter values", () => {
    for (const id of ["kafka", "kafka-warmup", "rabbitmq", "rabbitmq-warmup", "kafka-vs-rabbitmq", "kafka-vs-rabbitmq-warmup", "at-most-once", "at-most-once-warmup", "at-least-once", "at-least-once-warmup", "exactly-once", "exactly-once-warmup"]) {
      expect(nb.item(`${id}-check`, "text/plain")!.split("\n")[0]).toMatch(new RegExp(`^Challenge ${id}: FAILED`));
    }
    // The build challenges' starters fail stage 1 with a sentence that says what is missing.
    expect(nb.item("kafka-check", "text/plain")).toMatch(/FAILED at stage 1 of 3[\s\S]*committed offset there is 0/);
    expect(nb.item("at-least-once-check", "text/plain")).toMatch(/FAILED at stage 1 of 3[\s\S]*was never charged/);
    expect(nb.item("exactly-once-check", "text/plain")).toMatch(/FAILED at stage 1 of 3[\s\S]*never reached the read_committed ledger/);
    expect(nb.item("rabbitmq-check", "text/plain")).toMatch(/^Challenge rabbitmq: FAILED at stage 1 of 3[^]*what broke: job-\d+ is a poison job/);
    expect(nb.item("kafka-vs-rabbitmq-check", "text/plain")).toMatch(/^Challenge kafka-vs-rabbitmq: FAILED at stage 1 of 3[^]*what broke: RabbitMQ: (\d+) of \1 jobs were never done/);
    expect(nb.item("at-most-once-check", "text/plain")).toMatch(/^Challenge at-most-once: FAILED at stage 1 of 3[^]*what broke: with no fault at all/);
  });

  it("follows the section layout: heading, diagram equal to the .mmd, interview verbatim, hint collapsed", () => {
    const cells = parseNotebook(readFileSync(join(root, "notebooks/04-messaging.sdenb"), "utf8")).cells;
    const byId = new Map(cells.map((c) => [c.id, c]));
    const text = (id: string) => {
      const c = byId.get(id);
      if (!c) throw new Error(`no cell ${id}`);
      return Array.isArray(c.source) ? c.source.join("") : String(c.source);
    };
    for (const e of messaging) {
      expect(text(e.id)).toContain(`command:sdeLab.previewDiagram?%5B%22${e.id}%22%5D`);
      expect(text(`${e.id}-diagram`)).toBe("```mermaid\n" + readFileSync(join(root, e.diagram), "utf8").trim() + "\n```");
      expect(text(`${e.id}-interview`)).toContain(e.interview.answer);
      for (const suffix of ["tradeoffs", "differs", "challenge", "starter", "check"]) expect(byId.has(`${e.id}-${suffix}`)).toBe(true);
      // A knob challenge has one hint; a build challenge three (and its warm-up keeps one).
      for (const hint of [`${e.id}-hint`, `${e.id}-hint-1`, `${e.id}-hint-2`, `${e.id}-hint-3`, `${e.id}-warmup-hint`]) if (byId.has(hint)) expect(byId.get(hint)!.metadata).toMatchObject({ collapsed: true });
      expect(byId.has(`${e.id}-hint`) || byId.has(`${e.id}-hint-3`)).toBe(true);
    }
  });
  it("durability: acks=1 loses what it acknowledged before the leader crashed, acks=all nothing; min.insync refuses acks=all only", () => {
    const acks = Object.fromEntries(rows(markdownOf("durability-acks")).map((r) => [r.acks, r["acknowledged, then lost (seeds 1-3)"]!.split(", ").map(Number)]));
    expect(acks["1 (leader only)"]!.every((n: number) => n >= 10)).toBe(true);
    expect(acks["all (-1)"]).toEqual([0, 0, 0]);
    const insync = rows(markdownOf("durability-insync"));
    expect(insync.map((r) => [r["brokers up"], r["acks=all"], r["acks=1"]])).toEqual([["3", "written", "written"], ["1", "refused: NOT_ENOUGH_REPLICAS", "written"]]);
  });

  it("durability: a lost answer makes a plain producer write a payment twice, an idempotent one once", () => {
    const [plain, idem] = rows(markdownOf("durability-idempotent"));
    expect(num(plain!.duplicates)).toBeGreaterThanOrEqual(1);
    expect(num(plain!["records in the log"])).toBe(10 + num(plain!.duplicates));
    expect([idem!["records in the log"], idem!.duplicates]).toEqual(["10", "0"]);
  });

  it("durability: after a broker restart only persistent messages on a durable queue remain; the transient queue is gone", () => {
    const [orders, scratch] = rows(markdownOf("durability-restart"));
    expect(orders!["after the restart"]).toBe("5");
    expect(scratch!["after the restart"]).toBe("queue gone (404)");
  });

  it("rpc, exchanges and retry topics: replies matched by correlationId, direct and headers routing, a DLQ after 3 attempts", () => {
    const rpc = Object.fromEntries(rows(markdownOf("rpc-reply-to")).map((r) => [r.request, r.answer]));
    expect(rpc).toEqual({ "req-1 (sku-1)": "price of sku-1", "req-2 (sku-2)": "price of sku-2", "req-3 (sku-3)": "timed out after 500 ms", "late replies dropped": "req-3" });
    const ex = rows(markdownOf("exchanges-direct-headers")).map((r) => r.got);
    expect(ex).toEqual(["error", "info, error", "eu/pdf", "eu/pdf, eu/csv, us/pdf"]);
    const retry = rows(markdownOf("kafka-retry-topics"));
    const done = retry.filter((r) => r.order!.startsWith("order-"));
    expect(done.map((r) => r.order)).not.toContain("order-3");
    const five = done.find((r) => r.order === "order-5")!;
    expect([five.attempt, num(five["done at (ms)"]) >= 1_000]).toEqual(["2", true]);
    expect(done.filter((r) => r.order !== "order-5").every((r) => r.attempt === "1" && num(r["done at (ms)"]) < 100)).toBe(true);
    expect(done).toHaveLength(7);
    expect(retry.at(-1)!.attempt).toBe("1 record(s)");
  });

  const noteText = (id: string) => {
    const c = parseNotebook(readFileSync(join(root, "notebooks/04-messaging.sdenb"), "utf8")).cells.find((x) => x.id === id)!;
    return (Array.isArray(c.source) ? c.source.join("") : String(c.source)).replace(/\s+/g, " ");
  };

  it("durability: without unclean election the partition waits for its last in-sync replica and loses nothing; with it, writes resume at fencing and acked orders are lost", () => {
    const [clean, unclean] = rows(markdownOf("durability-unclean"));
    expect(clean!["unclean.leader.election.enable"]).toBe("false");
    expect(num(clean!["acknowledged, then lost"])).toBe(0);
    expect(num(clean!["no write taken for (s)"])).toBeGreaterThanOrEqual(60);
    expect(clean!["errors after the crash"]).toContain("LEADER_NOT_AVAILABLE");
    expect(num(unclean!["acknowledged, then lost"])).toBeGreaterThanOrEqual(90);
    expect(num(unclean!["no write taken for (s)"])).toBeGreaterThanOrEqual(9);
    expect(num(unclean!["no write taken for (s)"])).toBeLessThan(10);
    expect(unclean!["errors after the crash"]).not.toContain("LEADER_NOT_AVAILABLE");
    expect(num(unclean!["orders acknowledged"])).toBeGreaterThan(num(clean!["orders acknowledged"]));
    const note = noteText("durability-unclean-note");
    expect(note).toContain(`no write was taken for ${Math.round(num(clean!["no write taken for (s)"]))} s`);
    expect(note).toContain(`writes resumed after ${Math.round(num(unclean!["no write taken for (s)"]))} s`);
  });

  it("durability: with no in-flight limit retried moves land out of order; one in flight or idempotence keeps order, and only idempotence removes duplicates", () => {
    const median = (cell: string | undefined) => num(String(cell).split(" (")[0]);
    const range = (cell: string | undefined) => /\((\d+)–(\d+)\)/.exec(String(cell))!.slice(1).map(Number);
    const [open, one, idem] = rows(markdownOf("durability-inflight"));
    expect(open!.setup).toContain("no limit");
    expect(median(open!["moves landing behind a later one"])).toBeGreaterThanOrEqual(2);
    expect(range(open!["moves landing behind a later one"])[0]).toBeGreaterThan(0);
    expect(one!["moves landing behind a later one"]).toBe("0 (0–0)");
    expect(median(one!.duplicates)).toBeGreaterThan(0);
    expect([idem!["moves landing behind a later one"], idem!.duplicates]).toEqual(["0 (0–0)", "0 (0–0)"]);
    expect(median(one!["virtual s to finish"])).toBeGreaterThan(median(open!["virtual s to finish"]));
    const note = noteText("durability-inflight-note");
    expect(note).toContain(`a median of ${median(open!["moves landing behind a later one"])} moves landed behind`);
    expect(note).toContain(`a median of ${median(one!["virtual s to finish"])} virtual seconds against ${median(open!["virtual s to finish"])}`);
  });

  it("durability: a nacked poison message loops on a classic queue and is dead-lettered as delivery_limit by a quorum queue after limit + 1 deliveries", () => {
    const [classic, quorum] = rows(markdownOf("durability-quorum"));
    expect(num(classic!["deliveries in 1 s"])).toBeGreaterThan(100);
    expect(classic!["in jobs.parked"]).toBe("no");
    expect(classic!["declaring it wrong"]).toBe("406: invalid arg 'x-delivery-limit'");
    expect(num(quorum!["deliveries in 1 s"])).toBe(4);
    expect(quorum!["x-delivery-count"]).toBe("0, 1, 2, 3");
    expect(quorum!["in jobs.parked"]).toBe("yes (x-death reason delivery_limit)");
    expect(quorum!["declaring it wrong"]).toBe("406: invalid property 'non-durable'");
    expect(noteText("durability-quorum-note")).toContain(`delivered it ${num(classic!["deliveries in 1 s"])} times in one second`);
  });
});
