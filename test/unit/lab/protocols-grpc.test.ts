import { describe, expect, it } from "vitest";
import {
  ConfigError,
  GrpcClient,
  GrpcError,
  GrpcStatus,
  Simulation,
  SocialDb,
  compareHeadOfLine,
  createSocialGrpcServer,
  networkDrop,
  socialProto,
  type ProtoValue,
  type SocialGrpcServerOptions,
} from "../../../src/lab/index";
import { GrpcServer, grpcTimeoutHeader, parseGrpcTimeout } from "../../../src/lab/protocols/grpc";

function setup(handlers?: SocialGrpcServerOptions["handlers"]) {
  const sim = new Simulation();
  const db = new SocialDb(sim);
  const server = createSocialGrpcServer(sim, handlers ? { handlers } : {});
  sim.network.setLink("app", "grpc-api", { latency: 25 });
  sim.network.setLink("grpc-api", "db", { latency: 1 });
  const client = new GrpcClient(sim, { proto: socialProto(), service: "social.v1.PostService" });
  return { sim, db, server, client };
}

const caught = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (error) {
    return error as GrpcError;
  }
  throw new Error("expected the call to fail");
};

describe("gRPC: the four kinds of RPC", () => {
  it("unary: one request, one response, on one connection", async () => {
    const { sim, client, db } = setup();
    const user = await sim.run(() => client.unary("GetUser", { id: 7 }));
    expect(user).toMatchObject({ id: 7, name: db.data.users[6]!.name, avatarUrl: db.data.users[6]!.avatarUrl });
    expect(client.stats.calls).toBe(1);
    expect(client.stats.connections).toBe(1);
    // Protobuf bytes of the User, checked against the real encoder.
    expect(client.stats.payloadBytes).toBe(socialProto().type("social.v1.User").encode(db.data.users[6]! as unknown as ProtoValue).length);
    // Connect (1 round trip) + the call (1 round trip) + server 1 ms + db round trip 2 ms + query 2 ms.
    expect(sim.now).toBe(50 + 50 + 1 + 2 + 2);
  });

  it("server streaming, client streaming and bidirectional", async () => {
    const { sim, client } = setup();
    await sim.run(async () => {
      const ids: number[] = [];
      for await (const post of client.serverStream("StreamPosts", { pageSize: 4 })) ids.push(post.id as number);
      expect(ids).toEqual([40, 39, 38, 37]);

      const upload = client.clientStream("UploadPosts");
      for (const likes of [3, 4, 5]) upload.write({ id: likes, title: "t", likes });
      expect(await upload.end()).toEqual({ received: 3, totalLikes: 12 });

      const chat = client.bidiStream("Chat");
      chat.write({ seq: 1, text: "hello" });
      chat.write({ seq: 2, text: "world" });
      chat.end();
      const replies: ProtoValue[] = [];
      for await (const m of chat) replies.push(m);
      expect(replies).toEqual([
        { seq: 1, from: "grpc-api", text: "HELLO" },
        { seq: 2, from: "grpc-api", text: "WORLD" },
      ]);
    });
    expect(client.stats.connections).toBe(1);
    expect(client.stats.calls).toBe(3);
  });

  it("multiplexes calls as streams 1, 3, 5… on one connection; a slow call does not hold up the others", async () => {
    const { sim, client, server } = setup({
      GetUser: async (call) => {
        await call.sim.sleep(call.request!.id === 1 ? 300 : 5);
        return { id: call.request!.id, name: `user ${String(call.request!.id)}` };
      },
    });
    const done: Record<number, number> = {};
    await sim.run(async () => {
      await client.unary("GetUser", { id: 9 }); // open the connection first
      const t0 = sim.now;
      await Promise.all([1, 2, 3, 4].map((id) => client.unary("GetUser", { id }).then(() => (done[id] = sim.now - t0))));
    });
    expect(done[2]).toBe(56);
    expect(done[4]).toBe(56);
    expect(done[1]).toBe(351);
    expect(server.stats.peakConcurrentStreams).toBe(4);
    const streams = sim.trace.events.filter((e) => e.kind === "request").map((e) => /stream (\d+)/.exec(e.summary)?.[1]);
    expect(streams).toEqual(["1", "3", "5", "7", "9"]);
  });
});

describe("gRPC status codes", () => {
  it("answers an unknown method UNIMPLEMENTED (12), as grpc-js does", async () => {
    const { sim, client } = setup();
    const error = await caught(sim.run(() => client.unary("DeletePost", { id: 1 })));
    expect(error).toBeInstanceOf(GrpcError);
    expect(error.code).toBe(GrpcStatus.UNIMPLEMENTED);
    expect(error.code).toBe(12);
    expect(error.message).toBe("12 UNIMPLEMENTED: The server does not implement the method /social.v1.PostService/DeletePost");
  });

  it("answers a method the server has in its .proto but no handler for UNIMPLEMENTED too", async () => {
    const { sim, client } = setup({ Chat: undefined as never });
    const chat = client.bidiStream("Chat");
    chat.write({ seq: 1, text: "hi" });
    chat.end();
    const error = await caught(sim.run(async () => {
      for await (const _ of chat) void _;
    }));
    expect(error.code).toBe(12);
  });

  it("refuses a message that does not match its .proto: INVALID_ARGUMENT (3) with protobufjs's reason, nothing sent", async () => {
    const { sim, client } = setup();
    const error = await caught(sim.run(() => client.unary("GetUser", { id: "seven" })));
    expect(error.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(error.details).toBe("Request message does not match social.v1.GetUserRequest: id: integer expected");
    expect(client.stats.bytesUp).toBe(0);
    expect(sim.trace.count).toBe(0);
  });

  it("returns NOT_FOUND (5) from a handler, and INTERNAL (13) when the response does not match its type", async () => {
    const { sim, client } = setup({ ListPostCards: () => ({ posts: [{ id: "x" }] }) });
    expect((await caught(sim.run(() => client.unary("GetUser", { id: 999 })))).message).toBe("5 NOT_FOUND: no user 999");
    const internal = await caught(sim.run(() => client.unary("ListPostCards", { pageSize: 2 })));
    expect(internal.code).toBe(GrpcStatus.INTERNAL);
    expect(internal.details).toMatch(/^Response message serialization failure: .*posts\.id: integer expected/);
  });

  it("ends a call at its deadline with DEADLINE_EXCEEDED (4) on both sides, and sends the deadline as grpc-timeout", async () => {
    let serverSaw: { deadline: number; cancelled: () => boolean } | undefined;
    const { sim, client, server } = setup({
      GetUser: async (call) => {
        serverSaw = { deadline: call.deadline, cancelled: () => call.cancelled };
        await call.sim.sleep(500);
        return { id: 1 };
      },
    });
    const error = await caught(sim.run(() => client.unary("GetUser", { id: 1 }, { deadlineMs: 200 })));
    expect(error.code).toBe(4);
    expect(error.message).toBe("4 DEADLINE_EXCEEDED: Deadline exceeded after 200 ms");
    expect(sim.now).toBe(200);
    await sim.run(() => sim.sleep(1000));
    // Sent at t=50 (after connecting) with 150 ms left; it arrives at 75: the server's deadline is 225.
    expect(serverSaw!.deadline).toBe(225);
    expect(serverSaw!.cancelled()).toBe(true);
    expect(server.stats.byStatus.DEADLINE_EXCEEDED).toBe(1);
    const headers = sim.trace.events.find((e) => e.summary.startsWith("GetUser"));
    expect(headers).toBeDefined();
    expect(grpcTimeoutHeader(150)).toBe("150m");
    expect(grpcTimeoutHeader(2e9)).toBe("2000000S");
    expect(parseGrpcTimeout("5S")).toBe(5000);
    expect(parseGrpcTimeout("123456789m")).toBeUndefined(); // at most 8 digits
  });

  it("fails calls in flight UNAVAILABLE (14) when the connection drops, and reconnects for the next call", async () => {
    const { sim, client } = setup({
      GetUser: async (call) => {
        await call.sim.sleep(200);
        return { id: call.request!.id };
      },
    });
    networkDrop(sim, "app", "grpc-api", { at: 150, durationMs: 300 });
    const error = await caught(sim.run(() => client.unary("GetUser", { id: 1 })));
    expect(error.code).toBe(GrpcStatus.UNAVAILABLE);
    expect(error.details).toBe("Connection dropped");
    await sim.run(() => sim.sleep(400));
    expect(await sim.run(() => client.unary("GetUser", { id: 2 }))).toEqual({ id: 2, name: "", handle: "", email: "", avatarUrl: "", bio: "", location: "", followers: 0, createdAt: "" });
    expect(client.stats.connections).toBe(2);
    expect(client.stats.errors).toEqual({ UNAVAILABLE: 1 });
  });

  it("cancels a server stream: the server sees it and stops", async () => {
    const { sim, client, server } = setup();
    const got: number[] = [];
    await sim.run(async () => {
      const stream = client.serverStream("StreamPosts", { pageSize: 20 });
      try {
        for await (const p of stream) {
          got.push(p.id as number);
          if (got.length === 3) stream.cancel();
        }
      } catch (error) {
        expect((error as GrpcError).code).toBe(GrpcStatus.CANCELLED);
      }
      await sim.sleep(200);
    });
    expect(got).toEqual([40, 39, 38]);
    expect(server.stats.byStatus.CANCELLED).toBe(1);
  });
});

describe("gRPC configuration", () => {
  it("names the bad parameter", () => {
    const sim = new Simulation();
    expect(() => new GrpcServer(sim, { proto: socialProto(), service: "social.v1.PostService", handlers: { Nope: () => ({}) } })).toThrow(ConfigError);
    expect(() => new GrpcServer(sim, { proto: socialProto(), service: "social.v1.PostService", handlers: { Nope: () => ({}) } })).toThrow(/handlers\.Nope must be a method of social\.v1\.PostService/);
    expect(() => new GrpcServer(sim, { proto: socialProto(), service: "Missing", handlers: {} })).toThrow(/no service "Missing"/);
    expect(() => new GrpcClient(sim, { to: "nowhere", proto: socialProto(), service: "social.v1.PostService" })).toThrow(/to must be the name of an existing server node/);
  });

  it("sends a unary call as one HEADERS + DATA write; header compression makes repeat calls cheaper", async () => {
    const { sim, client } = setup();
    await sim.run(() => client.unary("GetUser", { id: 1 }));
    const first = client.stats.bytesUp;
    await sim.run(() => client.unary("GetUser", { id: 1 }));
    const second = client.stats.bytesUp - first;
    expect(sim.trace.events.filter((e) => e.from === "app").map((e) => e.summary)).toEqual(["GetUser 7 B (stream 1)", "GetUser 7 B (stream 3)"]);
    // Repeat: 9-byte HEADERS frame header + 7 indexed header fields of 1 byte, DATA 9 + 7.
    expect(second).toBe(9 + 7 + 9 + 7);
    expect(first).toBeGreaterThan(second + 24 + 9 + 60); // preface, SETTINGS, literal headers
  });
});

describe("head-of-line blocking", () => {
  it("HTTP/1.1 on one connection makes fast requests wait behind a slow one; HTTP/2 streams do not", async () => {
    const result = await compareHeadOfLine({ slowMs: 300, fastRequests: 5, latencyMs: 25 });
    const [one, six, h2] = result.rows;
    expect(one!.transport).toBe("HTTP/1.1, 1 connection");
    // Behind the slow one (350 ms), then one round trip (+5 ms) each.
    expect(one!.fastP50Ms).toBe(350 + 3 * 55);
    expect(one!.fastMaxMs).toBe(350 + 5 * 55);
    expect(six!.fastMaxMs).toBe(55);
    expect(h2!.fastMaxMs).toBe(55);
    expect(h2!.connections).toBe(1);
    expect(h2!.slowMs).toBe(350);
  });

  it("under loss, TCP's in-order delivery stalls every HTTP/2 stream behind a lost segment", async () => {
    const clean = await compareHeadOfLine({ loss: 0 });
    const lossy = await compareHeadOfLine({ loss: 0.05, seed: 1 });
    const h2 = lossy.rows[2]!;
    expect(h2.retransmits).toBeGreaterThan(0);
    expect(h2.fastMaxMs).toBeGreaterThanOrEqual(clean.rows[2]!.fastMaxMs + 200); // one RTO
  });
});

describe("deadline propagation", () => {
  it("passes what is left of the deadline to the database call, which gives up with the caller", async () => {
    const { sim, client, db } = setup();
    sim.faults.slow("db", 100); // a 2 ms query now takes 200 ms
    const error = await caught(sim.run(() => client.unary("GetUser", { id: 1 }, { deadlineMs: 150 })));
    expect(error.code).toBe(GrpcStatus.DEADLINE_EXCEEDED);
    await sim.run(() => sim.sleep(500));
    // Sent at 50 (after connecting) with 100 ms left as grpc-timeout, received at 75: the
    // server's deadline is 175. After 1 ms of server time the database call gets the 99 ms
    // left and times out at 175, instead of holding on for the default 30 s.
    expect(sim.node("grpc-api").stats.timeouts).toBe(1);
    expect(sim.trace.events.find((e) => e.kind === "timeout")?.time).toBe(175);
    expect(db.stats.queries).toBe(1);
  });
});

describe("gRPC: maximum connection age and per-connection placement", () => {
  const proto = socialProto();
  const service = "social.v1.PostService";
  const backend = (sim: Simulation, name: string, maxConnectionAgeMs = Infinity) =>
    new GrpcServer(sim, { name, proto, service, maxConnectionAgeMs, handlers: { GetUser: (c) => ({ id: c.request!.id }), Chat: async (c) => { for await (const m of c.messages()) c.write(m); } } });

  it("without an age a connection and all its calls stay on the backend picked when it opened", async () => {
    const sim = new Simulation();
    const [a, b] = [backend(sim, "a"), backend(sim, "b")];
    const picks: string[] = [];
    const client = new GrpcClient(sim, { from: "app", connectTo: () => (picks.push(picks.length % 2 ? "b" : "a"), picks.at(-1)!), proto, service });
    await sim.run(async () => {
      for (let i = 0; i < 10; i++) {
        await client.unary("GetUser", { id: i });
        await sim.sleep(1_000);
      }
    });
    expect([a.stats.calls, b.stats.calls, client.stats.connections, picks.length]).toEqual([10, 0, 1, 1]);
  });

  it("sends GOAWAY after the age (±10 %); calls in flight finish, the next ones open a new connection placed afresh", async () => {
    const sim = new Simulation({ seed: 3 });
    const [a, b] = [backend(sim, "a", 5_000), backend(sim, "b", 5_000)];
    const picks: string[] = [];
    const client = new GrpcClient(sim, { from: "app", connectTo: () => (picks.push(picks.length % 2 ? "b" : "a"), picks.at(-1)!), proto, service });
    const echoed: number[] = [];
    await sim.run(async () => {
      const chat = client.bidiStream("Chat"); // a long call that spans the GOAWAY
      chat.write({ seq: 1, text: "x" });
      for (let i = 0; i < 12; i++) {
        await client.unary("GetUser", { id: i });
        await sim.sleep(1_000);
      }
      chat.write({ seq: 2, text: "y" });
      chat.end();
      for await (const m of chat) echoed.push(m.seq as number);
    });
    expect(echoed).toEqual([1, 2]); // the stream on the old connection was not cut
    expect(a.stats.goaways).toBeGreaterThanOrEqual(1);
    expect(picks.slice(0, 2)).toEqual(["a", "b"]);
    expect(a.stats.calls).toBeGreaterThan(1);
    expect(b.stats.calls).toBeGreaterThan(0);
    expect(client.stats.connections).toBe(picks.length);
    expect(client.stats.errors).toEqual({});
    const goaway = sim.trace.events.find((e) => e.summary === "GOAWAY (max connection age)")!;
    expect(goaway.time).toBeGreaterThanOrEqual(4_500);
    expect(goaway.time).toBeLessThanOrEqual(5_500 + 25);
  });

  it("closes a connection still busy after GOAWAY once the grace period ends", async () => {
    const sim = new Simulation();
    new GrpcServer(sim, { name: "a", proto, service, maxConnectionAgeMs: 1_000, maxConnectionAgeGraceMs: 500, handlers: { Chat: async (c) => { for await (const m of c.messages()) c.write(m); } } });
    const client = new GrpcClient(sim, { from: "app", to: "a", proto, service });
    const error = await sim.run(async () => {
      const chat = client.bidiStream("Chat");
      chat.write({ seq: 1, text: "x" });
      try {
        for await (const _ of chat) void _;
      } catch (e) {
        return [e, sim.now] as const;
      }
      return [undefined, sim.now] as const;
    });
    expect((error[0] as GrpcError).code).toBe(GrpcStatus.UNAVAILABLE);
    expect(error[1]).toBeGreaterThan(1_300);
    expect(error[1]).toBeLessThan(1_700);
  });

  it("names a bad age, grace or connectTo", () => {
    const sim = new Simulation();
    expect(() => backend(sim, "a", 0)).toThrow(/maxConnectionAgeMs must be a finite number > 0, got 0/);
    expect(() => new GrpcServer(sim, { name: "b", proto, service, handlers: {}, maxConnectionAgeGraceMs: -1 })).toThrow(ConfigError);
    expect(() => new GrpcClient(sim, { connectTo: "a" as unknown as () => string, proto, service })).toThrow(/connectTo must be a function/);
  });
});
