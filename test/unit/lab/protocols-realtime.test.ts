import { describe, expect, it } from "vitest";
import {
  EventStreamParser,
  LongPollClient,
  LongPollServer,
  ReconnectingWebSocket,
  SimEventSource,
  SimWebSocket,
  Simulation,
  SseServer,
  TickFeed,
  WebSocketServer,
  formatEvent,
  networkDrop,
  silentDrop,
  websocketAccept,
  type ServerSentEvent,
  type ServerWebSocket,
  type WebSocketCloseEvent,
} from "../../../src/lab/index";
import { CloseCode, InvalidAccessError, InvalidStateError, websocketFrameBytes } from "../../../src/lab/protocols/websocket";
import { HttpClient, httpServer, jsonResponse } from "../../../src/lab/protocols/http1";

function wsSetup(options: { heartbeatMs?: number } = {}) {
  const sim = new Simulation();
  const sockets: ServerWebSocket[] = [];
  const server = new WebSocketServer(sim, { heartbeatMs: options.heartbeatMs ?? 0, onConnection: (s) => sockets.push(s) });
  sim.network.setLink("app", "api", { latency: 25 });
  return { sim, server, sockets };
}

describe("WebSocket", () => {
  it("upgrades with 101 and the RFC 6455 accept key, then carries messages both ways", async () => {
    const { sim, sockets } = wsSetup();
    const ws = new SimWebSocket(sim);
    const got: string[] = [];
    let openedAt = -1;
    ws.onopen = () => {
      openedAt = sim.now;
      ws.send("hello");
    };
    ws.onmessage = (e) => got.push(e.data);
    await sim.run(async () => {
      await sim.sleep(150);
      sockets[0]!.onMessage((text) => sockets[0]!.send(`echo: ${text}`));
      ws.send("again");
      await sim.sleep(100);
    });
    expect(openedAt).toBe(100); // TCP connect (50 ms) + Upgrade request and 101 (50 ms)
    const upgrade = sim.trace.events.find((e) => e.summary === "101 Switching Protocols");
    expect(upgrade?.time).toBe(100);
    expect(ws.key).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(got).toEqual(["echo: again"]);
    expect(ws.stats.messagesSent).toBe(2);
    expect(sockets[0]!.stats.messagesReceived).toBe(2);
    // "hello" from the client: 2-byte header + 4-byte mask + 5; "echo: again" from the server: 2 + 11.
    expect(sockets[0]!.stats.bytesReceived).toBe(11 + 2 + 4 + 5);
    expect(websocketAccept("dGhlIHNhbXBsZSBub25jZQ==")).toBe("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    expect(websocketFrameBytes(125, false)).toBe(127);
    expect(websocketFrameBytes(126, false)).toBe(130);
    expect(websocketFrameBytes(70_000, true)).toBe(2 + 8 + 4 + 70_000);
  });

  it("refuses to send before open and after close with InvalidStateError", async () => {
    const { sim } = wsSetup();
    const ws = new SimWebSocket(sim);
    expect(ws.readyState).toBe(SimWebSocket.CONNECTING);
    expect(() => ws.send("too early")).toThrow(InvalidStateError);
    expect(() => ws.send("too early")).toThrow("WebSocket is not open: readyState 0 (CONNECTING)");
    const closed: WebSocketCloseEvent[] = [];
    ws.onclose = (e) => closed.push(e);
    await sim.run(async () => {
      await sim.sleep(150);
      ws.close(1000, "bye");
      expect(ws.readyState).toBe(SimWebSocket.CLOSING);
      await sim.sleep(150);
    });
    expect(closed).toEqual([{ code: 1000, reason: "bye", wasClean: true }]);
    expect(ws.readyState).toBe(SimWebSocket.CLOSED);
    const error = (() => {
      try {
        ws.send("late");
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.name).toBe("InvalidStateError");
    expect(error?.message).toMatch(/^WebSocket is not open: readyState 3 \(CLOSED\)/);
    // With a callback, the error goes there (as in the ws package).
    let viaCallback: Error | undefined;
    await sim.run(async () => ws.send("late", (e) => (viaCallback = e)));
    await sim.run(() => sim.sleep(1));
    expect(viaCallback).toBeInstanceOf(InvalidStateError);
    expect(() => ws.close(1006)).toThrow(InvalidAccessError);
    expect(() => ws.close(1001)).toThrow("WebSocket close code must be 1000 or 3000–4999, got 1001");
  });

  it("closes 1001 when the server shuts down, and reports 1006 when the connection dies without a close frame", async () => {
    const { sim, server } = wsSetup();
    const a = new SimWebSocket(sim);
    const events: WebSocketCloseEvent[] = [];
    a.onclose = (e) => events.push(e);
    await sim.run(async () => {
      await sim.sleep(150);
      server.shutdown();
      await sim.sleep(150);
    });
    expect(events).toEqual([{ code: CloseCode.GOING_AWAY, reason: "server shutting down", wasClean: true }]);

    const b = new SimWebSocket(sim);
    const errors: string[] = [];
    b.onerror = (e) => errors.push(e.message);
    b.onclose = (e) => events.push(e);
    networkDrop(sim, "app", "api", { at: sim.now + 150, durationMs: 100 });
    await sim.run(() => sim.sleep(300));
    expect(events[1]).toEqual({ code: 1006, reason: "", wasClean: false });
    expect(errors).toEqual(["the connection was lost"]);
  });

  it("after a silent drop both ends stay OPEN and nothing arrives; the server's heartbeat terminates only its own end; a new connection works", async () => {
    const { sim, sockets } = wsSetup({ heartbeatMs: 1000 });
    const ws = new SimWebSocket(sim);
    const got: string[] = [];
    const closes: WebSocketCloseEvent[] = [];
    ws.onmessage = (e) => got.push(e.data);
    ws.onclose = (e) => closes.push(e);
    await sim.run(() => sim.sleep(500));
    silentDrop(sim, "app", "api");
    sockets[0]!.send("lost");
    ws.send("lost too");
    const serverCloses: WebSocketCloseEvent[] = [];
    sockets[0]!.onClose((e) => serverCloses.push(e));
    await sim.run(() => sim.sleep(3_000));
    expect(got).toEqual([]);
    expect(sockets[0]!.stats.messagesReceived).toBe(0);
    // The server's unanswered ping terminated its end (1006); its reset was lost like the rest.
    expect(serverCloses).toEqual([{ code: 1006, reason: "", wasClean: false }]);
    expect([ws.readyState, closes]).toEqual([SimWebSocket.OPEN, []]);
    expect(sim.trace.events.some((e) => e.kind === "fault" && /silent drop app ⇹ api: 1 connection open/.test(e.summary))).toBe(true);
    const fresh = new SimWebSocket(sim);
    await sim.run(() => sim.sleep(200));
    expect(fresh.readyState).toBe(SimWebSocket.OPEN);
  });

  it("pings every heartbeat; the browser side answers pong; a silent client is terminated", async () => {
    const { sim, sockets } = wsSetup({ heartbeatMs: 1000 });
    const ws = new SimWebSocket(sim);
    await sim.run(() => sim.sleep(3500));
    expect(ws.stats.pingsReceived).toBe(3);
    expect(sockets[0]!.alive).toBe(true);
    // A partition without a reset: pings and pongs are lost, so the server gives up on it.
    sim.faults.partition("app", "api");
    const closes: WebSocketCloseEvent[] = [];
    sockets[0]!.onClose((e) => closes.push(e));
    await sim.run(() => sim.sleep(2500));
    expect(closes).toEqual([{ code: 1006, reason: "", wasClean: false }]);
  });

  it("a handshake without the upgrade headers gets 426, with a bad key 400", async () => {
    const { sim } = wsSetup();
    httpServer(sim, "api").route("ping", (r) => r.path === "/ping", () => jsonResponse(200, {}));
    const bad = new SimWebSocket(sim, { path: "/ping" });
    const errors: string[] = [];
    bad.onerror = (e) => errors.push(e.message);
    await sim.run(() => sim.sleep(200));
    expect(errors).toEqual(["the server answered 200 instead of 101 Switching Protocols"]);
    expect(bad.readyState).toBe(SimWebSocket.CLOSED);
  });

  it("reconnects with backoff after an abnormal close; messages sent during the gap are lost", async () => {
    const { sim, server } = wsSetup();
    const got: string[] = [];
    const ws = new ReconnectingWebSocket(sim, { onMessage: (d) => got.push(d) });
    let n = 0;
    const timer = sim.every(100, () => server.broadcast(String(++n)));
    networkDrop(sim, "app", "api", { at: 1000, durationMs: 2500 });
    await sim.run(() => sim.sleep(6000));
    timer.cancel();
    ws.close();
    // The reconnect starts 1 s after the drop (t=2000) with a TCP SYN that the partition eats;
    // TCP resends it after 1 s (lost again) and 2 s more: at t=5000 it gets through.
    expect(ws.opens).toBe(2);
    expect(ws.closes.map((c) => c.code)).toEqual([1006]);
    expect(sim.trace.events.filter((e) => e.summary === "101 Switching Protocols").map((e) => e.time)).toEqual([100, 5100]);
    expect(got).toContain("9");
    expect(got).not.toContain("11"); // broadcast at t=1100, while the client was away
    expect(got).not.toContain("50");
    expect(got).toContain("52"); // t=5200, after the reconnect
  });
});

describe("ReconnectingWebSocket after a deploy", () => {
  const deploy = async (jitter: "none" | "full") => {
    const sim = new Simulation({ seed: 3 });
    const server = new WebSocketServer(sim, { heartbeatMs: 0 });
    const clients = Array.from({ length: 20 }, (_, i) => {
      sim.network.setLink(`u${i}`, "api", { latency: 25 });
      return new ReconnectingWebSocket(sim, { from: `u${i}`, jitter });
    });
    const opens: number[] = [];
    server.onConnection(() => opens.push(sim.now));
    sim.schedule(1_000, () => server.shutdown());
    await sim.runUntil(5_000);
    for (const c of clients) c.close();
    return { clients, reopens: opens.filter((t) => t > 1_000) };
  };

  it("comes back after 1001 Going Away, all at once without jitter and spread over the backoff delay with full jitter", async () => {
    const plain = await deploy("none");
    expect(plain.reopens).toHaveLength(20);
    expect(new Set(plain.reopens).size).toBe(1);
    const spread = await deploy("full");
    expect(spread.reopens).toHaveLength(20);
    expect(new Set(spread.reopens).size).toBeGreaterThan(10);
    // Full jitter: a random wait from 0 to the 1 s delay.
    expect(Math.max(...spread.reopens) - Math.min(...spread.reopens)).toBeLessThanOrEqual(1_000);
    expect(() => new ReconnectingWebSocket(new Simulation(), { jitter: "half" as "full" })).toThrow(/jitter must be "none" or "full", got "half"/);
  });
});

describe("Server-Sent Events format", () => {
  const parse = (...chunks: string[]) => {
    const events: ServerSentEvent[] = [];
    const retries: number[] = [];
    const p = new EventStreamParser((e) => events.push(e), (ms) => retries.push(ms));
    for (const c of chunks) p.push(c);
    return { events, retries, p };
  };

  it("dispatches on a blank line, joins data lines with newlines, keeps ids, ignores comments", () => {
    const { events, retries } = parse(": keep-alive\n\n", "retry: 2500\nid: 7\nevent: tick\ndata: a\ndata: b\n\n", "data: plain\n\n", "data:no-space\r\n\r\n", "retry: soon\n\n");
    expect(events).toEqual([
      { type: "tick", data: "a\nb", lastEventId: "7" },
      { type: "message", data: "plain", lastEventId: "7" },
      { type: "message", data: "no-space", lastEventId: "7" },
    ]);
    expect(retries).toEqual([2500]);
  });

  it("an empty chunk between a CR and its LF does not make them two line ends", () => {
    const { events } = parse("data: a\r", "", "\ndata: b\n\n");
    expect(events).toEqual([{ type: "message", data: "a\nb", lastEventId: "" }]);
  });

  it("handles lines split across chunks, CRLF split across chunks, and drops an unfinished event", () => {
    const { events } = parse("da", "ta: hel", "lo\r", "\n\r\n", "id: 9\ndata: cut off");
    expect(events).toEqual([{ type: "message", data: "hello", lastEventId: "" }]);
    const { events: noData } = parse("id: 3\nevent: x\n\n", "data\n\n");
    // An event with no data is not dispatched; `data` alone is an empty data line.
    expect(noData).toEqual([{ type: "message", data: "", lastEventId: "3" }]);
  });

  it("ignores one leading byte order mark, so the first event is not lost (HTML standard, event stream parsing)", () => {
    const { events } = parse("\uFEFFid: 1\ndata: first\n\n", "data: second\n\n");
    expect(events.map((e) => e.data)).toEqual(["first", "second"]);
    expect(events[0]!.lastEventId).toBe("1");
    // Only one: a second BOM is part of the field name, so that line is an unknown field.
    expect(parse("\uFEFF\uFEFFdata: x\n\n").events).toEqual([]);
    // Split across chunks: the BOM alone in the first chunk.
    expect(parse("\uFEFF", "data: y\n\n").events.map((e) => e.data)).toEqual(["y"]);
  });

  it("takes the last event id when the event is dispatched, not when its id line arrives", () => {
    const { events, p } = parse("id: 1\ndata: one\n\n", "id: 2\ndata: tw");
    expect(events.map((e) => e.lastEventId)).toEqual(["1"]);
    // The stream broke inside event 2: a reconnect must ask for what follows 1, not 2.
    expect(p.lastEventId).toBe("1");
    p.reset();
    p.push("\uFEFFid: 2\ndata: two\n\n");
    expect(p.lastEventId).toBe("2");
    expect(events.map((e) => e.data)).toEqual(["one", "two"]);
    // An id with no data still moves the last event id when its blank line arrives.
    p.push("id: 3\n\n");
    expect(p.lastEventId).toBe("3");
  });

  it("writes events the parser reads back", () => {
    const text = formatEvent({ id: 4, event: "tick", data: "line 1\nline 2", retry: 1000 });
    expect(text).toBe("retry: 1000\nid: 4\nevent: tick\ndata: line 1\ndata: line 2\n\n");
    expect(parse(text).events).toEqual([{ type: "tick", data: "line 1\nline 2", lastEventId: "4" }]);
  });
});

describe("SSE over the network", () => {
  it("streams one response of text/event-stream; after a drop it reconnects with Last-Event-ID and misses nothing", async () => {
    const sim = new Simulation();
    const feed = new TickFeed(sim, { count: 40, intervalMs: 100 });
    const server = new SseServer(sim, { source: feed });
    sim.network.setLink("app", "api", { latency: 25 });
    const es = new SimEventSource(sim);
    const ids: string[] = [];
    const errors: string[] = [];
    es.addEventListener("tick", (e) => ids.push(e.lastEventId));
    es.onerror = (e) => errors.push(e.message);
    networkDrop(sim, "app", "api", { at: 1_050, durationMs: 1_000 });
    await sim.runUntil(8_000);
    es.close();
    expect(ids).toEqual(Array.from({ length: 40 }, (_, i) => String(i + 1)));
    expect(es.stats).toMatchObject({ events: 40, connections: 2, requests: 2, reconnects: 1 });
    expect(server.stats).toEqual({ streams: 2, resumed: 1, eventsSent: 40, replayed: 30 }); // 10 live, then 11–40 replayed after id 10
    expect(errors).toEqual(["the stream ended, reconnecting in 3000 ms"]);
    // The second request carried the last id received before the drop.
    const requests = sim.trace.events.filter((e) => e.kind === "request").map((e) => e.time);
    expect(requests).toEqual([50 + 25, 1_050 + 3_000 + 50 + 25]);
    expect(sim.trace.events.some((e) => e.summary === "200 text/event-stream (stream)")).toBe(true);
  });

  it("obeys the server's retry: field and stops for good on 204", async () => {
    const sim = new Simulation();
    const feed = new TickFeed(sim, { count: 5 });
    new SseServer(sim, { source: feed, retryMs: 500 });
    sim.network.setLink("app", "api", { latency: 25 });
    const es = new SimEventSource(sim);
    await sim.runUntil(300);
    expect(es.reconnectionTimeMs).toBe(500);
    es.close();

    const sim2 = new Simulation();
    httpServer(sim2, "api").route("gone", (r) => r.path === "/events", () => ({ status: 204, headers: {} }));
    const es2 = new SimEventSource(sim2);
    const errors: string[] = [];
    es2.onerror = (e) => errors.push(e.message);
    await sim2.runUntil(10_000);
    expect(es2.readyState).toBe(SimEventSource.CLOSED);
    expect(es2.stats.requests).toBe(1);
    expect(errors).toEqual(["the server answered 204: stop reconnecting"]);
  });
});

describe("SSE streams in a shared HTTP/1.1 pool", () => {
  it("each stream holds one of the pool's connections: the 7th stream and a plain request wait until a stream closes, in order", async () => {
    const sim = new Simulation();
    const feed = new TickFeed(sim, { count: 30, intervalMs: 100 });
    new SseServer(sim, { source: feed });
    httpServer(sim, "api").route("me", (r) => r.path === "/me", () => ({ status: 200, headers: {}, body: "ada" }));
    sim.network.setLink("app", "api", { latency: 25 });
    const pool = new HttpClient(sim, "app", "api");
    const tabs = Array.from({ length: 7 }, () => new SimEventSource(sim, { http: pool }));
    const counts = tabs.map(() => 0);
    tabs.forEach((t, i) => t.addEventListener("tick", () => counts[i]!++));
    let answeredAt: number | undefined;
    sim.schedule(500, () => void pool.request("GET /me").then(() => (answeredAt = sim.now)));
    sim.schedule(1_000, () => tabs[0]!.close()); // the 7th tab gets this connection, not the request
    sim.schedule(2_000, () => tabs[1]!.close()); // and the request this one
    await sim.runUntil(4_000);
    expect(pool.stats.connections).toBe(8); // 6, then a new one for each waiter once a closed stream took its connection away
    expect(pool.stats.queued).toBe(2);
    expect(tabs[6]!.readyState).toBe(SimEventSource.OPEN);
    expect(counts[6]).toBeGreaterThan(0);
    expect(counts[6]).toBeLessThan(counts[2]!);
    expect(answeredAt).toBeGreaterThan(2_000);
    expect(answeredAt).toBeLessThan(2_200);
    for (const t of tabs) t.close();
  });

  it("refuses an http option that is not an HttpClient, or from/to that contradict it", () => {
    const sim = new Simulation();
    sim.client("app");
    sim.service("api", () => ({ status: 200, headers: {}, body: {} }));
    expect(() => new SimEventSource(sim, { http: {} as HttpClient })).toThrow(/http must be an HttpClient/);
    expect(() => new SimEventSource(sim, { http: new HttpClient(sim, "app", "api"), from: "tab-2" })).toThrow(/from must be app/);
  });
});

describe("long polling", () => {
  it("holds a request until an event or the timeout, then the client asks again", async () => {
    const sim = new Simulation();
    const feed = new TickFeed(sim, { count: 0 });
    const server = new LongPollServer(sim, { source: feed, holdMs: 1_000 });
    sim.network.setLink("app", "api", { latency: 25 });
    const got: { id: number; at: number }[] = [];
    const client = new LongPollClient(sim, { onEvent: (e) => got.push({ id: e.id, at: sim.now }) });
    client.start();
    sim.at(1_500, () => feed.publish("tick", '{"x":1}'));
    await sim.runUntil(3_000);
    client.stop();
    // First poll arrives at 75, held 1 s → 204 at 1075, back at 1100; the next arrives at 1125
    // and is woken by the event at 1500, which reaches the client at 1525.
    expect(got).toEqual([{ id: 1, at: 1_525 }]);
    // Then the next poll (at 1550) is held until 2550 and answered 204 again.
    expect(server.stats).toEqual({ polls: 4, immediate: 0, timedOut: 2, woken: 1 });
    expect(client.stats.empty).toBe(2);
    expect(client.stats.answers).toBe(1);
  });

  it("delivers events that arrive between polls with the next poll, none lost across a drop", async () => {
    const sim = new Simulation();
    const feed = new TickFeed(sim, { count: 40, intervalMs: 100 });
    new LongPollServer(sim, { source: feed });
    sim.network.setLink("app", "api", { latency: 25 });
    const ids: number[] = [];
    const client = new LongPollClient(sim, { onEvent: (e) => ids.push(e.id) });
    client.start();
    networkDrop(sim, "app", "api", { at: 1_050, durationMs: 1_000 });
    await sim.runUntil(8_000);
    client.stop();
    expect(ids).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(client.stats.failures).toBeGreaterThanOrEqual(1);
    expect(client.stats.requests).toBeGreaterThan(30);
    expect(client.stats.answers).toBeLessThan(40); // some answers carried several events
  });

  it("rejects a bad cursor with 400", async () => {
    const sim = new Simulation();
    new LongPollServer(sim, { source: new TickFeed(sim, { count: 0 }) });
    const { HttpClient } = await import("../../../src/lab/protocols/http1");
    const http = new HttpClient(sim, "app", "api");
    const res = await sim.run(() => http.request("GET /poll?after=-3"));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body!).error).toMatch(/after must be a whole number ≥ 0/);
  });
});
