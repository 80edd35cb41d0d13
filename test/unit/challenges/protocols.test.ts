// Each protocols challenge: the notebook's starter values fail, the reference solution passes.
import { describe, expect, it } from "vitest";
import { DISPLAY, GrpcError, GrpcStatus, type GrpcClient, type RestClient, type SimWebSocket } from "sde-lab";
import { challenges } from "sde-lab/challenges";

const plain = (report: { [DISPLAY](): { "text/plain"?: string } }) => report[DISPLAY]()["text/plain"]!;

describe("protocols challenges", () => {
  it("rest: N+1 fails; one request with embed and sparse fields passes", async () => {
    const starter = await challenges["rest-warmup"].check({
      async load(rest: RestClient) {
        const list = await rest.get<{ id: number; title: string; authorId: number }[]>("/posts?limit=20");
        const authors = await Promise.all(list.body.map((p) => rest.get<{ name: string }>(`/users/${p.authorId}`)));
        return list.body.map((p, i) => ({ id: p.id, title: p.title, authorName: authors[i]!.body.name }));
      },
    });
    expect(starter.passed).toBe(false);
    expect(plain(starter)).toMatch(/^Challenge rest-warmup: FAILED \(2 of 3 targets missed\)/);
    expect(starter.results.find((r) => r.target.metric === "requests")!.measured).toBe(21);
    expect(starter.results.find((r) => r.target.metric === "wrongCards")!.passed).toBe(true);
    const reference = await challenges["rest-warmup"].check({
      async load(rest: RestClient) {
        const list = await rest.get<{ id: number; title: string; author: { name: string } }[]>("/posts?limit=20&embed=author&fields=id,title,author.name");
        return list.body.map((p) => ({ id: p.id, title: p.title, authorName: p.author.name }));
      },
    });
    expect(plain(reference)).toMatch(/^Challenge rest-warmup: PASSED/);
    expect(reference.results.find((r) => r.target.metric === "kilobytes")!.measured).toBeLessThan(2);
  });

  it("graphql: everything without DataLoader fails; the screen's fields with DataLoader pass in 3 queries", async () => {
    const starter = await challenges["graphql-warmup"].check({
      query: "{ posts(first: 10) { id title body tags likes author { name bio followers } comments { body author { name } } } }",
      dataLoader: false,
    });
    expect(starter.passed).toBe(false);
    expect(starter.results.find((r) => r.target.metric === "dbQueries")!.measured).toBe(1 + 10 + 10 + 30);
    const reference = await challenges["graphql-warmup"].check({ query: "{ posts(first: 10) { title author { name } comments(first: 2) { body } } }", dataLoader: true });
    expect(plain(reference)).toMatch(/^Challenge graphql-warmup: PASSED/);
    expect(reference.results.find((r) => r.target.metric === "dbQueries")!.measured).toBe(3);
    const noLoader = await challenges["graphql-warmup"].check({ query: "{ posts(first: 10) { title author { name } comments(first: 2) { body } } }", dataLoader: false });
    expect(noLoader.results.find((r) => r.target.metric === "dbQueries")!.measured).toBe(21);
  });

  it("grpc: no deadline fails on p99; a deadline with bounded retries passes", async () => {
    const starter = await challenges["grpc-warmup"].check({ getUser: (client: GrpcClient, id: number) => client.unary("GetUser", { id }) });
    expect(starter.passed).toBe(false);
    expect(starter.results.find((r) => r.target.metric === "p99Ms")!.measured).toBeGreaterThan(1000);
    const tight = await challenges["grpc-warmup"].check({ getUser: (client: GrpcClient, id: number) => client.unary("GetUser", { id }, { deadlineMs: 100 }) });
    expect(tight.results.find((r) => r.target.metric === "failed")!.passed).toBe(false);
    const reference = await challenges["grpc-warmup"].check({
      async getUser(client: GrpcClient, id: number) {
        for (let attempt = 1; ; attempt++) {
          try {
            return await client.unary("GetUser", { id }, { deadlineMs: 120 });
          } catch (error) {
            const retryable = error instanceof GrpcError && (error.code === GrpcStatus.DEADLINE_EXCEEDED || error.code === GrpcStatus.UNAVAILABLE);
            if (!retryable || attempt === 4) throw error;
          }
        }
      },
    });
    expect(plain(reference)).toMatch(/^Challenge grpc-warmup: PASSED/);
  });

  it("websocket: subscribing to new ticks only loses the gap; resuming from the last id loses nothing", async () => {
    const starter = await challenges["websocket-warmup"].check({ onOpen: (socket: SimWebSocket) => socket.send(JSON.stringify({ after: -1 })) });
    expect(starter.passed).toBe(false);
    expect(starter.results.find((r) => r.target.metric === "lost")!.measured).toBeGreaterThan(5);
    const everything = await challenges["websocket-warmup"].check({ onOpen: (socket: SimWebSocket) => socket.send(JSON.stringify({ after: 0 })) });
    expect(everything.results.find((r) => r.target.metric === "duplicates")!.passed).toBe(false);
    const reference = await challenges["websocket-warmup"].check({ onOpen: (socket: SimWebSocket, lastId: number) => socket.send(JSON.stringify({ after: lastId })) });
    expect(plain(reference)).toMatch(/^Challenge websocket-warmup: PASSED/);
  });

  it("sse: no resume loses the gap, the default retry is too slow; resume with a short retry passes", async () => {
    const starter = await challenges["sse-warmup"].check({ retryMs: undefined, resume: false });
    expect(starter.passed).toBe(false);
    expect(starter.results.find((r) => r.target.metric === "lost")!.measured).toBeGreaterThan(20);
    const slow = await challenges["sse-warmup"].check({ retryMs: undefined, resume: true });
    expect(slow.results.map((r) => r.passed)).toEqual([true, true, false]);
    expect(slow.results.find((r) => r.target.metric === "maxDelayMs")!.measured).toBeGreaterThanOrEqual(3000);
    const reference = await challenges["sse-warmup"].check({ retryMs: 200, resume: true });
    expect(plain(reference)).toMatch(/^Challenge sse-warmup: PASSED/);
  });

  it("long-polling: polling at once costs a request per tick; a short pause passes", async () => {
    const starter = await challenges["long-polling-warmup"].check({ pollDelayMs: 0, holdMs: 30_000 });
    expect(starter.passed).toBe(false);
    expect(starter.results.find((r) => r.target.metric === "requests")!.measured).toBeGreaterThanOrEqual(50);
    const tooLong = await challenges["long-polling-warmup"].check({ pollDelayMs: 1_000, holdMs: 30_000 });
    expect(tooLong.results.find((r) => r.target.metric === "p95Ms")!.passed).toBe(false);
    const reference = await challenges["long-polling-warmup"].check({ pollDelayMs: 300, holdMs: 30_000 });
    expect(plain(reference)).toMatch(/^Challenge long-polling-warmup: PASSED/);
  });

  it("rejects a solution of the wrong shape with ConfigError", async () => {
    await expect(challenges["rest-warmup"].check({} as never)).rejects.toThrow(/load must be a function/);
    await expect(challenges["long-polling-warmup"].check({ pollDelayMs: -1, holdMs: 1 })).rejects.toThrow(/pollDelayMs must be a number of ms ≥ 0, got -1/);
  });
});
