// Notebook 03 runs headlessly, and the relations its prose claims hold in the run it shows.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { protocols } from "../../../src/catalog/sections/protocols";
import { parseNotebook } from "../../../src/notebook/format";
import { cellsOf, root, runJson } from "./run";

const FILE = "notebooks/03-protocols.sdenb";
const report = runJson(FILE);
const { cells, item, status } = cellsOf(report);

/** Rows of the markdown table in the cell's output at `index`. */
function rows(id: string, index = -1): Record<string, string>[] {
  const md = item(id, "text/markdown", index);
  if (!md) throw new Error(`no markdown output ${index} in ${id}`);
  const lines = md.split("\n").filter((l) => l.startsWith("|"));
  const cellsOfLine = (l: string) => l.slice(1, -1).split(" | ").map((c) => c.trim());
  const head = cellsOfLine(lines[0]!);
  return lines.slice(2).map((l) => Object.fromEntries(cellsOfLine(l).map((c, i) => [head[i]!, c])));
}
const num = (s: string | undefined) => Number(String(s).replace(/,/g, "").replace(/ .*$/, ""));
/** The range of a "median (lowest–highest)" cell, or [v, v] for a plain number (every seed equal). */
const spread = (s: string | undefined): [number, number] => {
  const m = /\(([\d.,]+)–([\d.,]+)\)/.exec(String(s));
  return m ? [num(m[1]), num(m[2])] : [num(s), num(s)];
};
const row = (table: Record<string, string>[], key: string, value: string) => {
  const found = table.find((r) => r[key] === value);
  if (!found) throw new Error(`no row ${key}=${value} in ${JSON.stringify(table)}`);
  return found;
};

describe("03-protocols notebook", () => {
  it("runs to the end with every code cell passing and no output over 20 KB (charts and replays 200 KB)", () => {
    expect(report.ok).toBe(true);
    expect(cells).toHaveLength(50);
    expect(cells.filter((c) => c.status !== "ok").map((c) => c.id)).toEqual([]);
    for (const c of cells) for (const o of c.outputs ?? []) for (const i of o.items) expect(i.data.length, `${c.id} output`).toBeLessThan(i.mime.startsWith("application/vnd.sde-lab.") ? 200_000 : 20_000); // charts and replays may carry up to ~200 KB
  });

  it("REST: 200, 304 from the cache, 404, 405 with Allow, 201 with Location, 422", () => {
    const t = rows("rest-resources");
    expect(t.map((r) => r.status)).toEqual(["200", "304", "404", "405", "201", "422"]);
    expect(t[1]!.fromCache).toBe("true");
    expect(t[3]!.allow).toBe("GET, HEAD");
    expect(t[4]!.location).toMatch(/^\/posts\/\d+$/);
  });

  it("REST: the screen takes 21 requests but only about 7.5 round trips (6 connections), over-fetches ~10×, and N+1 is several times slower than one request", () => {
    const t = rows("rest-screen", 0);
    const n1 = row(t, "approach", "REST (N+1)");
    const embed = row(t, "approach", "REST (embed)");
    expect(num(n1.requests)).toBe(21);
    expect(num(embed.requests)).toBe(1);
    // Waves of at most 6 requests plus connection set-ups: far fewer round trips than requests.
    expect(num(n1.roundTrips)).toBeGreaterThan(5);
    expect(num(n1.roundTrips)).toBeLessThan(9);
    expect(num(n1.roundTrips)).toBeCloseTo(num(n1.latencyMs) / 50, 1);
    expect(num(embed.roundTrips)).toBeLessThan(1.5);
    expect(num(n1.connections)).toBe(6);
    expect(num(n1.payloadBytes) / num(n1["bytes the screen uses"])).toBeGreaterThan(9);
    expect(num(embed.payloadBytes)).toBeGreaterThan(num(n1.payloadBytes));
    expect(num(n1.latencyMs)).toBeGreaterThan(4 * num(embed.latencyMs));
    expect(item("rest-screen", "text/markdown")).toMatch(/^```mermaid\nsequenceDiagram/);
  });

  it("REST under 5 % loss, over seeds 1–8: N+1 gets slower in every seed, and slower than the single request", () => {
    const t = rows("rest-fault");
    const n1 = row(t, "approach", "REST (N+1)");
    const embed = row(t, "approach", "REST (embed)");
    // Lossy cells read "median (lowest–highest)" over the seeds.
    expect(n1["p50 with 5% loss"]).toMatch(/^[\d.]+ \(\d+–\d+\)$/);
    expect(num(n1["p50 with 5% loss"])).toBeGreaterThan(num(n1["p50 clean"]));
    expect(spread(n1["p50 with 5% loss"])[0]).toBeGreaterThan(num(n1["p50 clean"])); // every seed
    expect(num(n1["slowest with 5% loss"])).toBeGreaterThan(num(n1["slowest clean"]) + 200);
    expect(spread(n1["slowest with 5% loss"])[0]).toBeGreaterThan(num(n1["slowest clean"]));
    expect(num(n1["slowest with 5% loss"])).toBeGreaterThan(num(embed["slowest with 5% loss"]));
    expect(num(n1["p50 with 5% loss"])).toBeGreaterThan(num(embed["p50 with 5% loss"]));
    // The single request's median did not move in any seed; its slowest load did, by resends of 200 ms or more.
    expect(spread(embed["p50 with 5% loss"])).toEqual([num(embed["p50 clean"]), num(embed["p50 clean"])]);
    expect(spread(embed["slowest with 5% loss"])[1]).toBeGreaterThanOrEqual(num(embed["slowest clean"]) + 200);
  });

  it("GraphQL: two fields asked, two returned; errors in the spec's shape", () => {
    const md = item("graphql-select", "text/markdown")!;
    const blocks = [...md.matchAll(/```json\n(.*)\n```/g)].map((m) => JSON.parse(m[1]!) as { data?: Record<string, Record<string, unknown> | null>; errors?: { path?: string[] }[]; status: number });
    expect(Object.keys(blocks[0]!.data!.user!)).toEqual(["name", "email"]);
    // Request errors over application/json: 200 (GraphQL-over-HTTP), errors and no data.
    expect(blocks[1]).toMatchObject({ status: 200 });
    expect(blocks[1]!.data).toBeUndefined();
    expect(blocks[2]!.status).toBe(200);
    expect(blocks[2]!.data).toBeUndefined();
    expect(blocks[3]!.status).toBe(200);
    expect(blocks[3]!.data!.post).toBeNull();
    expect(blocks[3]!.data!.user).not.toBeNull();
    expect(blocks[3]!.errors![0]!.path).toEqual(["post"]);
    // A failing non-null field nulls its way up to data, taking the unrelated user with it.
    expect(blocks[4]!.data).toBeNull();
    expect(blocks[4]!.errors![0]!.path).toEqual(["posts", 0, "author"]);
    expect(blocks[5]).toMatchObject({ status: 200, data: { user: { name: expect.any(String) } } });
    expect(blocks[6]!.status).toBe(405);
  });

  it("GraphQL: one request either way; DataLoader cuts the database queries from 21 to 2, and under load the latency", () => {
    const t = rows("graphql-n-plus-one", 0);
    const plain = row(t, "approach", "GraphQL");
    const batched = row(t, "approach", "GraphQL + DataLoader");
    expect(num(plain.requests)).toBe(1);
    expect(num(batched.requests)).toBe(1);
    expect(num(plain.payloadBytes)).toBe(num(batched.payloadBytes));
    expect(num(plain.dbQueries)).toBe(21);
    expect(num(batched.dbQueries)).toBe(2);
    const busy = rows("graphql-fault");
    const busyPlain = row(busy, "server", "GraphQL");
    const busyBatched = row(busy, "server", "GraphQL + DataLoader");
    expect(num(busyBatched["db queries"]) * 10).toBeLessThanOrEqual(num(busyPlain["db queries"]));
    expect(num(busyPlain["p50 ms"])).toBeGreaterThan(2 * num(busyBatched["p50 ms"]));
    expect(num(busyPlain["max ms"])).toBeGreaterThan(2 * num(busyBatched["max ms"]));
  });

  it("GraphQL pagination: writes between pages make offsets repeat posts and deletes make them skip; cursors do neither", () => {
    const t = rows("graphql-pagination");
    const at = (change: string, how: string) => t.find((r) => r["after pages 1–3"] === change && r.pagination === how)!;
    expect(num(at("a new post", "offset")["shown twice"])).toBeGreaterThanOrEqual(1);
    expect(num(at("a new post", "offset")["posts shown"])).toBeGreaterThan(40);
    expect(num(at("the newest post deleted", "offset")["never shown"])).toBeGreaterThanOrEqual(1);
    for (const change of ["a new post", "the newest post deleted"]) {
      expect(at(change, "cursor")).toMatchObject({ "posts shown": "40", "shown twice": "0", "never shown": "0" });
    }
  });

  it("gRPC: the spec's 12 bytes against 39 of JSON, 17 framed", () => {
    const t = rows("grpc-wire", 0);
    expect(row(t, "encoding", "Protobuf")).toMatchObject({ bytes: "12", content: "08 96 01 12 05 61 6c 69 63 65 18 01" });
    expect(num(row(t, "encoding", "JSON").bytes)).toBe(39);
    expect(item("grpc-wire", "text/markdown")).toContain("`00 00 00 00 0c 08 96 01 12 05 61 6c 69 63 65 18 01` (17 bytes)");
  });

  it("gRPC: four kinds of call, and the status codes the prose names", () => {
    expect(rows("grpc-kinds", 0).map((r) => r.kind)).toEqual(["unary", "server streaming", "client streaming", "bidirectional"]);
    const statuses = rows("grpc-kinds").map((r) => r.status!.split(":")[0]);
    expect(statuses).toEqual(["12 UNIMPLEMENTED", "3 INVALID_ARGUMENT", "5 NOT_FOUND", "4 DEADLINE_EXCEEDED"]);
  });

  it("gRPC: explicit presence writes a zero that a plain field leaves out", () => {
    const md = item("grpc-wire", "text/markdown")!;
    expect(md).toMatch(/`\{id: 0, name: "", active: false\}` encodes to 0 bytes/);
    expect(md).toMatch(/`\{plain: 0, tracked: 0\}` encodes to `10 00` \(2 bytes\) and decodes to `\{"plain":0,"tracked":0\}`/);
    expect(md).toMatch(/`\{\}` encodes to 0 bytes and decodes to `\{"plain":0\}`/);
  });

  it("gRPC: a deadline reaches the next hop only when the handler passes it on, and then the wasted work stops", () => {
    const [dropped, passed] = rows("grpc-deadline");
    expect(dropped!["front passes the deadline on"]).toBe("false");
    for (const r of [dropped!, passed!]) expect(r["app saw"]).toBe("4 DEADLINE_EXCEEDED");
    expect(num(dropped!["back steps done"])).toBe(10);
    expect(num(dropped!["back steps after the app gave up"])).toBeGreaterThanOrEqual(5);
    expect(num(passed!["back steps after the app gave up"])).toBeLessThanOrEqual(1);
    expect(num(passed!["back steps done"]) * 3).toBeLessThanOrEqual(num(dropped!["back steps done"]));
  });

  it("gRPC: the smallest payload for the screen; JSON of the same cards is larger by the quoted factor", () => {
    const t = rows("grpc-screen", 0);
    const payload = (a: string) => num(row(t, "approach", a)["payload bytes"]);
    expect(payload("gRPC")).toBeLessThan(payload("GraphQL"));
    expect(payload("GraphQL")).toBeLessThan(payload("REST (embed)") / 8);
    const n1 = row(t, "approach", "REST (N+1)");
    expect(num(n1.requests)).toBe(21);
    expect(num(n1["round trips (p50 ÷ RTT)"])).toBeGreaterThan(4);
    for (const a of ["REST (embed)", "GraphQL", "GraphQL + DataLoader", "gRPC"]) {
      expect(num(row(t, "approach", a).requests)).toBe(1);
      expect(num(row(t, "approach", a)["round trips (p50 ÷ RTT)"])).toBeLessThan(1.5);
    }
    const sentence = item("grpc-screen", "text/markdown", 1)!;
    const ratio = Number(/JSON is ([\d.]+)× larger/.exec(sentence)![1]);
    expect(ratio).toBeGreaterThan(1.4);
    // Gzip removes most of JSON's advantage in size: both compressed sizes within 10 % of each other, far below raw JSON.
    const [, gzJson, gzProto] = /Gzipped, the JSON is \*\*(\d+) bytes\*\* and the Protobuf \*\*(\d+) bytes\*\*/.exec(sentence)!.map(Number);
    expect(Math.abs(gzJson! - gzProto!) / gzProto!).toBeLessThan(0.1);
    expect(gzJson! * 3).toBeLessThan(payload("gRPC") * ratio);
    // Over the data sets of seeds 1–8: Protobuf smaller than JSON by ≥ 1.4× in every one, gzip JSON under gzip Protobuf in every one.
    const sweep = rows("grpc-screen")[0]!;
    expect(sweep["data sets"]).toBe("1–8");
    expect(spread(sweep["JSON ÷ Protobuf"])[0]).toBeGreaterThan(1.4);
    expect(spread(sweep["Protobuf bytes"])[0]).toBeLessThanOrEqual(payload("gRPC"));
    expect(spread(sweep["Protobuf bytes"])[1]).toBeGreaterThanOrEqual(payload("gRPC"));
    expect(sweep["gzipped JSON smaller"]).toBe("8 of 8");
    expect(num(sweep["gzipped JSON"])).toBeLessThan(num(sweep["gzipped Protobuf"]));
    expect(spread(sweep["gzipped Protobuf"])[1] * 3).toBeLessThan(spread(sweep["JSON bytes"])[0]);
  });

  it("head-of-line: fast requests wait behind a slow one on one HTTP/1.1 connection, not on HTTP/2; loss stalls every HTTP/2 stream", () => {
    const clean = rows("grpc-hol", 0);
    const one = row(clean, "transport", "HTTP/1.1, 1 connection");
    const h2 = row(clean, "transport", "HTTP/2 (gRPC), 1 connection");
    expect(num(one["fast p50 ms"])).toBeGreaterThan(num(one["slow ms"]));
    expect(num(h2["fast max ms"]) * 3).toBeLessThan(num(h2["slow ms"]));
    expect(num(row(clean, "transport", "HTTP/1.1, 6 connections")["fast max ms"])).toBe(num(h2["fast max ms"]));
    // The sweep: 6 HTTP/1.1 connections match HTTP/2 only while requests fit on them.
    const sweep = rows("grpc-hol");
    const at = (fast: number, loss: string, transport: string) => sweep.find((r) => r.fast === String(fast) && r.loss === loss && r.transport === transport)!;
    for (const fast of [5, 10, 20]) expect(num(at(fast, "0 %", "HTTP/2 (gRPC), 1 connection")["fast p50 ms (median)"])).toBe(num(h2["fast p50 ms"]));
    expect(num(at(20, "0 %", "HTTP/1.1, 6 connections")["fast p50 ms (median)"])).toBeGreaterThanOrEqual(2 * num(h2["fast p50 ms"]));
    // Under loss the HTTP/2 numbers depend on the seed: a range, and a lost segment stalls every stream by its 200 ms resend.
    const lossy = at(20, "5 %", "HTTP/2 (gRPC), 1 connection")["range over seeds"]!.split("–").map(Number);
    expect(lossy[1]! - lossy[0]!).toBeGreaterThanOrEqual(200);
    for (const fast of [5, 10, 20]) {
      expect(at(fast, "5 %", "HTTP/2 (gRPC), 1 connection").seeds).toBe("1–8");
      expect(num(at(fast, "5 %", "HTTP/2 (gRPC), 1 connection")["fast p50 ms (median)"])).toBeGreaterThanOrEqual(num(h2["fast p50 ms"]) + 200);
    }
    // Separate connections: with 5 requests a lost segment never moved their median, in any seed.
    expect(at(5, "5 %", "HTTP/1.1, 6 connections")["range over seeds"]).toBe(`${num(h2["fast p50 ms"])}–${num(h2["fast p50 ms"])}`);
  });

  it("gRPC balancing: L4 skews and starves a new backend until a max connection age recycles connections; L7 spreads calls", () => {
    const t = rows("grpc-balancing");
    const at = (mode: string) => row(t, "balancing", mode);
    const median = (s: string | undefined) => num(s);
    const range = (s: string) => /\((\d+)–(\d+)\)/.exec(s)!.slice(1).map(Number);
    expect(at("L4")["b4, joined at 10 s (fair: 17 %)"]).toBe("0 % (0–0)");
    expect(median(at("L4")["busiest of b1–b3 (fair: 28 %)"])).toBeGreaterThanOrEqual(40);
    const aged = at("L4 + max connection age 5 s")["b4, joined at 10 s (fair: 17 %)"]!;
    expect(median(aged)).toBeGreaterThan(0);
    expect(range(aged)[1]).toBeGreaterThan(10);
    expect(median(at("L4 + max connection age 5 s")["busiest of b1–b3 (fair: 28 %)"])).toBeLessThan(median(at("L4")["busiest of b1–b3 (fair: 28 %)"]));
    expect(median(at("L7")["busiest of b1–b3 (fair: 28 %)"])).toBeLessThanOrEqual(31);
    expect(median(at("L7")["b4, joined at 10 s (fair: 17 %)"])).toBeGreaterThanOrEqual(15);
  });

  it("WebSocket: upgrade, echo, pings answered; wrong use throws InvalidStateError; without resume a drop loses ticks", () => {
    const healthy = rows("websocket-healthy", 0)[0]!;
    expect(healthy.received).toBe("echo: hello");
    expect(num(healthy.pingsReceived)).toBeGreaterThanOrEqual(2);
    expect(item("websocket-healthy", "text/markdown")).toContain("101 Switching Protocols");
    const errors = rows("websocket-errors");
    expect(errors[0]!.result).toMatch(/^InvalidStateError: /);
    expect(errors[1]!.result).toMatch(/^InvalidAccessError: /);
    expect(errors[3]!.result).toMatch(/^InvalidStateError: .*CLOSED/);
    // The client built in the cell resumes: every tick once, over the 2 connections the drop needs.
    const built = rows("websocket-drop", 0)[0]!;
    expect([built.received, built.distinct, built.connections]).toEqual([built.published, built.published, "2"]);
    const [plain, resumed] = rows("websocket-drop", 1);
    expect(num(plain!.lost)).toBeGreaterThan(5);
    expect(num(resumed!.lost)).toBe(0);
    expect(num(resumed!.duplicates)).toBe(0);
  });

  it("WebSocket: after a silent drop only the heartbeat notices, within one interval + the timeout; without it the socket stays OPEN", () => {
    const [without, withHeartbeat] = rows("websocket-silent");
    expect([without!.heartbeat, without!["readyState at the end"], without!["drop noticed at"]]).toEqual(["false", "OPEN", "never"]);
    expect(num(without!["ticks received"])).toBeLessThan(50);
    expect(withHeartbeat!["ticks received"]).toBe(without!["ticks received"]);
    const noticed = num(withHeartbeat!["drop noticed at"]);
    expect(noticed).toBeGreaterThan(2_050);
    expect(noticed).toBeLessThanOrEqual(2_050 + 1_000 + 500);
  });

  it("WebSocket: after a deploy, full jitter spreads the reconnects that would otherwise hit the server in one instant, in every seed", () => {
    const [none, full] = rows("websocket-storm");
    expect([none!.jitter, none!.seeds, full!.jitter, full!.seeds]).toEqual(["none", "1", "full", "1–8"]);
    for (const r of [none!, full!]) expect(spread(r["open at 12 s"])).toEqual([100, 100]);
    expect(num(none!["peak handshakes / 100 ms"])).toBe(100);
    // The worst seed of full jitter still has a busiest 100 ms under a quarter of the clients.
    expect(spread(full!["peak handshakes / 100 ms"])[1] * 4).toBeLessThan(num(none!["peak handshakes / 100 ms"]));
    expect(spread(full!["all back by ms"])[1] - num(none!["all back by ms"])).toBeLessThanOrEqual(1_000);
  });

  it("WebSocket fan-out: without pub/sub only the sender's server delivers; with a fanout exchange every socket gets it, a hop later", () => {
    const [local, pubsub] = rows("websocket-fanout");
    expect(local!.pubsub).toBe("false");
    expect(local!["users who got it"]).toBe("10 of 30");
    expect(local!["per server"]).toBe("ws-a 10/10, ws-b 0/10, ws-c 0/10");
    expect(pubsub!["users who got it"]).toBe("30 of 30");
    expect(pubsub!["per server"]).toBe("ws-a 10/10, ws-b 10/10, ws-c 10/10");
    expect(num(pubsub!["last arrival, ms after the send"]) - num(local!["last arrival, ms after the send"])).toBe(2);
  });

  it("SSE: the parser reads what formatEvent writes; after the drop nothing is lost or repeated", () => {
    const parsed = rows("sse-format", 1);
    expect(parsed.map((r) => r.lastEventId)).toEqual(["41", "42"]);
    const drop = rows("sse-drop", 0)[0]!;
    expect(drop).toMatchObject({ published: "50", received: "50", distinct: "50", missing: "0", resumed: "1", reconnects: "1" });
    expect(num(drop.replayed)).toBeGreaterThan(0);
    expect(item("sse-drop", "text/markdown")).toMatch(/GET \/events \(Last-Event-ID: \d+\)/);
  });

  it("SSE across tabs: over HTTP/1.1 six streams take the pool and the seventh tab and an ordinary request wait; over HTTP/2 all streams and the call share one connection", () => {
    const [h1, h2] = rows("sse-tabs");
    expect(h1).toMatchObject({ "streams answering": "6 of 7", "7th stream": "CONNECTING, 0 ticks", "call at 1 s answered after": "never (still queued)", connections: "6" });
    expect(h2).toMatchObject({ "streams answering": "7 of 7", "7th stream": "answering", connections: "1" });
    expect(num(h2!["call at 1 s answered after"])).toBeLessThan(100);
  });

  it("feeds: long polling needs ≥ 10× the requests of SSE; across the drop SSE and long polling lose nothing, WebSocket does", () => {
    const run = rows("long-polling-run", 0)[0]!;
    expect(num(run.received)).toBe(50);
    // One tick per answer except the one after the drop: answers + failed + the poll still open = requests.
    expect(num(run.answers) + num(run.failures) + 1).toBe(num(run.requests));
    expect(num(run.woken)).toBe(num(run.answers) - 1);
    expect(num(run.immediate)).toBe(1);
    expect(num(run.events) - (num(run.answers) - 1)).toBe(11);
    const healthy = rows("long-polling-compare", 0);
    expect(num(row(healthy, "protocol", "long polling").requests)).toBeGreaterThanOrEqual(10 * num(row(healthy, "protocol", "SSE").requests));
    for (const r of healthy) expect(r.delivered).toBe("50/50");
    const dropped = rows("long-polling-compare");
    expect(row(dropped, "protocol", "SSE")).toMatchObject({ delivered: "50/50", lost: "0", dup: "0" });
    expect(row(dropped, "protocol", "long polling")).toMatchObject({ delivered: "50/50", lost: "0", dup: "0" });
    expect(num(row(dropped, "protocol", "WebSocket").lost)).toBeGreaterThan(0);
    expect(num(row(dropped, "protocol", "SSE")["max ms"])).toBeGreaterThan(num(row(dropped, "protocol", "long polling")["max ms"]));
  });

  it("WebSocket storm replay: without jitter all 100 reconnect handshakes reach api within one 100 ms window after it is back", () => {
    const data = JSON.parse(item("websocket-storm-replay", "application/vnd.sde-lab.replay+json")!) as { nodes: string[]; kinds: string[]; strings: string[]; dt: number[]; k: number[]; b: number[]; s: number[] };
    let t = 0;
    const handshakes: number[] = [];
    data.dt.forEach((dt, i) => {
      t += dt;
      if (data.kinds[data.k[i]!] === "request" && data.nodes[data.b[i]!] === "api" && /Upgrade: websocket/.test(data.strings[data.s[i]!]!) && t > 1_000) handshakes.push(t);
    });
    expect(handshakes.length).toBeGreaterThanOrEqual(100);
    const perWindow = new Map<number, number>();
    for (const h of handshakes) perWindow.set(Math.floor(h / 100), (perWindow.get(Math.floor(h / 100)) ?? 0) + 1);
    expect(Math.min(...handshakes)).toBeGreaterThanOrEqual(4_000); // nothing gets in while api is away
    expect(Math.max(...perWindow.values())).toBeGreaterThanOrEqual(100);
    expect(item("websocket-storm-replay", "application/vnd.sde-lab.replay+json")!.length).toBeLessThan(200_000);
  });

  it("a failing build check shows its smallest failing case's run as a replay above the report", () => {
    for (const id of ["websocket-check", "long-polling-check"]) {
      const outputs = cells.find((c) => c.id === id)!.outputs;
      const replay = outputs[0]!.items.find((i) => i.mime === "application/vnd.sde-lab.replay+json")!;
      const data = JSON.parse(replay.data) as { title: string; nodes: string[]; dt: number[] };
      expect(data.title).toMatch(/^Challenge [a-z-]+: the smallest failing case, seed \d+/);
      expect(data.nodes).toEqual(expect.arrayContaining(["app", "api"]));
      expect(data.dt.length).toBeGreaterThan(0);
      expect(replay.data.length).toBeLessThan(200_000);
      expect(item(id, "text/plain")).toMatch(/^Challenge [a-z-]+: FAILED/); // the report is still the last output
    }
  });

  it("SSE vs long polling chart: long polling keeps paying a request per tick; SSE goes quiet for 3 s after the drop, then gets the gap at once", () => {
    type Data = { series: { name: string; x: number[]; y: (number | null)[] }[]; annotations: { at: number; until?: number; label: string }[] };
    const data = JSON.parse(item("long-polling-drop-chart", "application/vnd.sde-lab.chart+json")!) as Data;
    const s = (name: string) => data.series.find((x) => x.name === name)!;
    const sum = (name: string, from = 0, to = Infinity) => s(name).x.reduce((n, x, i) => n + (x >= from && x < to ? (s(name).y[i] ?? 0) : 0), 0);
    const drop = data.annotations.find((a) => a.label.startsWith("partition"))!;
    expect([drop.at, drop.until]).toEqual([2_050, 3_050]);
    expect(sum("long polling: requests")).toBeGreaterThanOrEqual(20 * sum("SSE: requests"));
    expect(sum("SSE: requests")).toBe(2); // the first one and the reconnect
    expect(sum("long polling: requests", 2_250, 3_000)).toBe(0); // nothing gets through the drop
    // SSE: no tick from the drop until 3 s after it; then the missed ones arrive together.
    expect(sum("SSE: ticks received", 2_250, 5_000)).toBe(0);
    expect(Math.max(...s("SSE: ticks received").y.map((v) => v ?? 0))).toBeGreaterThanOrEqual(20);
    expect(sum("SSE: ticks received")).toBe(50);
  });

  it("every challenge's starter fails its check", () => {
    for (const p of protocols) {
      expect(status(`${p.id}-check`)).not.toBe("error");
      expect(item(`${p.id}-check`, "text/plain")).toMatch(new RegExp(`^Challenge ${p.id}: FAILED`));
    }
  });

  it("has each pattern's cells in the conventional order, its diagram equal to the .mmd and its interview answer verbatim", () => {
    const nb = parseNotebook(readFileSync(join(root, FILE), "utf8"));
    const ids = nb.cells.map((c) => c.id);
    for (const p of protocols) {
      const at = (suffix: string) => ids.indexOf(suffix ? `${p.id}-${suffix}` : p.id);
      // A build challenge has three hints (hint-1..3); a knob challenge one.
      const hint = ids.includes(`${p.id}-hint-1`) ? "hint-1" : "hint";
      const order = ["", "diagram", "tradeoffs", "differs", "interview", "challenge", "starter", "check", hint].map(at);
      expect(order.every((i) => i >= 0), `${p.id}: ${JSON.stringify(order)}`).toBe(true);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      const source = (id: string) => nb.cells.find((c) => c.id === id)!.source;
      expect(source(`${p.id}-diagram`)).toBe("```mermaid\n" + readFileSync(join(root, p.diagram), "utf8").trim() + "\n```");
      expect(source(`${p.id}-interview`)).toContain(p.interview.answer);
      expect(source(p.id)).toContain(`command:sdeLab.previewDiagram?%5B%22${p.id}%22%5D`);
      expect(nb.cells.find((c) => c.id === `${p.id}-${hint}`)!.metadata).toMatchObject({ collapsed: true });
    }
  });
});
