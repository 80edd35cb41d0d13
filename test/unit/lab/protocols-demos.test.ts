import { describe, expect, it } from "vitest";
import protobufjs from "protobufjs";
import {
  DISPLAY,
  compareFeeds,
  comparePostsScreen,
  loadPostsScreen,
  postsScreenPayloads,
  protocolLab,
  runFeed,
} from "../../../src/lab/index";
import { SOCIAL_PROTO } from "../../../src/lab/protocols/social-grpc";

describe("demo: the posts screen over REST, GraphQL and gRPC", () => {
  it("takes 21 requests over REST (about 7 round trips on 6 connections), 1 over GraphQL and gRPC, and gRPC's payload is the smallest", async () => {
    const lab = protocolLab();
    const [rest, embed, graphql, batched, grpc] = await lab.sim.run(async () => [
      await loadPostsScreen(lab, "REST (N+1)"),
      await loadPostsScreen(lab, "REST (embed)"),
      await loadPostsScreen(lab, "GraphQL"),
      await loadPostsScreen(lab, "GraphQL + DataLoader"),
      await loadPostsScreen(lab, "gRPC"),
    ]);
    expect(rest!.requests).toBe(21);
    expect(embed!.requests).toBe(1);
    expect(graphql!.requests).toBe(1);
    expect(grpc!.requests).toBe(1);
    // Round trips are time, not requests: 21 requests in waves over 6 connections, plus the set-ups.
    expect(rest!.roundTrips).toBeGreaterThan(5);
    expect(rest!.roundTrips).toBeLessThan(9);
    expect(rest!.roundTrips).toBe(Math.round((10 * rest!.latencyMs) / lab.rttMs) / 10);
    // The embed reuses a connection N+1 opened: about one round trip.
    expect(embed!.connections).toBe(0);
    expect(embed!.roundTrips).toBeLessThan(1.5);
    // GraphQL's and gRPC's first requests also open their client's connection: one round trip more.
    for (const r of [graphql, grpc]) {
      expect(r!.connections).toBe(1);
      expect(r!.roundTrips).toBeGreaterThan(1.5);
      expect(r!.roundTrips).toBeLessThan(2.5);
    }
    // The same 20 cards every way.
    for (const r of [embed, graphql, batched, grpc]) expect(r!.cards).toEqual(rest!.cards);
    expect(rest!.cards).toHaveLength(20);
    // N+1 moves to the server with GraphQL until DataLoader batches it.
    expect(rest!.dbQueries).toBe(21);
    expect(graphql!.dbQueries).toBe(21);
    expect(batched!.dbQueries).toBe(2);
    expect(grpc!.dbQueries).toBe(2);

    // The bytes come from the real encoders: JSON.stringify of the GraphQL answer, protobufjs for gRPC.
    const expectedJson = JSON.stringify({ data: { posts: rest!.cards.map((c) => ({ id: String(c.id), title: c.title, author: { name: c.authorName } })) } });
    expect(graphql!.payloadBytes).toBe(expectedJson.length);
    const Cards = protobufjs.parse(SOCIAL_PROTO).root.lookupType("social.v1.ListPostCardsResponse");
    const expectedProto = Cards.encode(Cards.fromObject({ posts: rest!.cards })).finish().length;
    expect(grpc!.payloadBytes).toBe(expectedProto);
    const factor = graphql!.payloadBytes / grpc!.payloadBytes;
    expect(factor).toBeGreaterThan(1.5);
    expect(factor).toBeLessThan(2);
    // Over-fetching: REST sends whole posts and users for a screen of three fields.
    expect(embed!.payloadBytes / graphql!.payloadBytes).toBeGreaterThan(8);
    // The same cards in both encodings, without GraphQL's envelope: JSON is still larger.
    const same = postsScreenPayloads(rest!.cards);
    expect(same.protobufBytes).toBe(expectedProto);
    expect(same.ratio).toBeGreaterThan(1.4);
  });

  it("tabulates the comparison, latency included, and REST's N+1 is the slowest", async () => {
    const result = await comparePostsScreen({ loads: 5 });
    expect(result.rows.map((r) => r.approach)).toEqual(["REST (N+1)", "REST (embed)", "GraphQL", "GraphQL + DataLoader", "gRPC"]);
    const rest = result.row("REST (N+1)");
    const grpc = result.row("gRPC");
    // 1 + ⌈20/6⌉ = 5 sequential round trips of 50 ms against 1.
    expect(rest.p50Ms).toBeGreaterThanOrEqual(4 * grpc.p50Ms);
    expect(rest.connections).toBe(6);
    expect(grpc.connections).toBe(1);
    expect(result.row("GraphQL + DataLoader").dbQueries).toBeLessThan(result.row("GraphQL").dbQueries / 10);
    const md = result[DISPLAY]()["text/markdown"]!;
    expect(md.split("\n")).toHaveLength(2 + 5);
    expect(md).toContain("| REST (N+1) | 21 |");
    expect(() => result.row("SOAP" as never)).toThrow(/approach must be one of/);
  });

  it("under 5 % loss REST's 21 requests meet more retransmission stalls than one gRPC call", async () => {
    const lossy = await comparePostsScreen({ loss: 0.05, loads: 10, approaches: ["REST (N+1)", "gRPC"] });
    const clean = await comparePostsScreen({ loads: 10, approaches: ["REST (N+1)", "gRPC"] });
    expect(lossy.row("REST (N+1)").p95Ms).toBeGreaterThan(clean.row("REST (N+1)").p95Ms);
    expect(lossy.row("REST (N+1)").p95Ms).toBeGreaterThan(lossy.row("gRPC").p95Ms);
  });

  it("gives the same numbers for the same seed", async () => {
    const a = await comparePostsScreen({ loss: 0.05, seed: 3, loads: 3 });
    const b = await comparePostsScreen({ loss: 0.05, seed: 3, loads: 3 });
    expect(a.rows).toEqual(b.rows);
    expect(a.labs["REST (N+1)"]!.sim.trace.text()).toBe(b.labs["REST (N+1)"]!.sim.trace.text());
  });
});

describe("demo: one feed over WebSocket, SSE and long polling", () => {
  it("SSE resumes from the last event id after a drop: none lost, none duplicated; long polling gets them all with many more requests", async () => {
    const drop = { at: 2_050, durationMs: 1_000 };
    const result = await compareFeeds({ ticks: 50, intervalMs: 100, drop });
    const ws = result.row("WebSocket");
    const sse = result.row("SSE");
    const poll = result.row("long polling");
    expect(sse).toMatchObject({ published: 50, delivered: 50, lost: 0, duplicates: 0, connections: 2, requests: 2 });
    expect(poll).toMatchObject({ published: 50, delivered: 50, lost: 0, duplicates: 0 });
    expect(poll.requests).toBeGreaterThan(10 * sse.requests);
    expect(poll.bytesUp).toBeGreaterThan(10 * sse.bytesUp);
    // The browser WebSocket API has no resume: what was sent while it reconnected is gone.
    expect(ws.lost).toBeGreaterThan(5);
    expect(ws.connections).toBe(2);
    // The SSE client waited its 3 s reconnection time: the events of the gap arrive late, not never.
    expect(sse.maxMs).toBeGreaterThanOrEqual(3_000);
  });

  it("a WebSocket app that asks for a replay from its last id loses nothing either", async () => {
    const { row } = await runFeed("WebSocket", { drop: { at: 2_050, durationMs: 1_000 }, webSocketResume: true });
    expect(row).toMatchObject({ delivered: 50, lost: 0, duplicates: 0 });
  });

  it("without faults all three deliver every tick one one-way delay after it happened", async () => {
    const result = await compareFeeds({ ticks: 30 });
    for (const r of result.rows) {
      expect(r.delivered).toBe(30);
      expect(r.p50Ms).toBe(25);
    }
    expect(result.row("SSE").requests).toBe(1);
    expect(result.row("WebSocket").requests).toBe(1);
    // One poll per answer, plus the one still waiting at the end.
    expect(result.row("long polling").requests).toBe(31);
    const md = result[DISPLAY]()["text/markdown"]!;
    expect(md).toContain("| SSE | 30/30 | 0 | 0 |");
  });
});
