// Build challenges of the protocols section's real-time patterns (WebSocket, SSE, long polling):
// the reference passes every stage on every case; the notebook's starter fails stage 1 with a
// useful first failure; known-wrong answers fail at the stage that attacks their mistake.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseNotebook } from "../../../src/notebook/format";
import { challenges } from "sde-lab/challenges";
import { websocketBuild, type WebSocketBuild } from "../../../src/lab/challenges/protocols-build/websocket";
import { runSseClientCase, sseBuild, type SseBuild } from "../../../src/lab/challenges/protocols-build/sse";
import { longPollingBuild, type LongPollBuild } from "../../../src/lab/challenges/protocols-build/long-polling";
import { lp, sse, sseParser, wsClient } from "./protocols-build-b-references";
import { timed } from "./report-helpers";

// ---- websocket ------------------------------------------------------------------------------

describe("websocket build challenge", () => {
  it("the reference passes every stage", async () => {
    const { value: report, ms } = await timed(() => websocketBuild.check(wsClient()));
    expect(report.headline).toBe("Challenge websocket: PASSED (3 of 3 stages, 53 cases)");
    expect(report.stages.map((st) => st.cases)).toEqual([5, 28, 20]);
    // The budget is 3 s on an idle 2-core machine; fail only on a gross regression.
    expect(ms).toBeLessThan(20_000);
  });

  const starter: WebSocketBuild = {
    client(kit) {
      const open = () => {
        const ws = kit.connect();
        ws.onmessage = (e) => {
          const m = JSON.parse(e.data) as { type: string; id: number; data: string };
          if (m.type === "msg") kit.deliver({ id: m.id, data: m.data });
        };
      };
      return { start: open, stop() {} };
    },
  };

  it("fails the notebook's starter at stage 1, saying the server waits for a resume", async () => {
    const report = await websocketBuild.check(starter);
    expect(report.headline).toMatch(/FAILED at stage 1 of 3, works/);
    expect(report.failedStage!.failure!.invariant).toMatch(/got 0 of \d+ messages .* never got a \{"type":"resume","after":n\}/);
  });

  it.each([
    ["a client that does nothing (constant)", { client: () => ({ start() {}, stop() {} }) } as WebSocketBuild, 1, /got 0 of \d+ messages/],
    ["judging by quiet instead of a ping (unshipped)", wsClient({ idleTimeoutMs: 1_500 }), 1, /closed a healthy connection .* a quiet stream is not a dead one/],
    ["resuming from 0 (ignores the last id)", wsClient({ fromZero: true }), 2, /delivered message \d+ twice/],
    ["no heartbeat (the silent drop)", wsClient({ noHeartbeat: true }), 2, /went silent at .* (never noticed|noticed only at)/],
    ["reconnecting after 1000/1008", wsClient({ ignoreCodes: true }), 2, /reconnected at .* after the server closed it with 10(00|08)/],
    ["no jitter", wsClient({ noJitter: true }), 3, /clients made their first reconnect within 100 ms .* lockstep/],
    ["a jittered wait that never grows (unshipped)", wsClient({ fixedMs: 800 }), 3, /the wait must grow/],
  ] as const)("%s fails at the stage that attacks it", async (_name, solution, stage, why) => {
    const report = await websocketBuild.check(solution);
    expect(report.passed).toBe(false);
    expect(report.stagesPassed).toBe(stage - 1);
    expect(report.failedStage!.failure!.invariant).toMatch(why);
    if (stage > 1) expect(report.failedStage!.failure!.sequence).toMatch(/^sequenceDiagram/);
  });
});

// ---- sse ------------------------------------------------------------------------------------

describe("sse build challenge", () => {
  it("the reference passes every stage", async () => {
    const { value: report, ms } = await timed(() => sseBuild.check(sse()));
    expect(report.headline).toBe("Challenge sse: PASSED (3 of 3 stages, 439 cases)");
    expect(report.stages.map((st) => st.cases)).toEqual([15, 400, 24]);
    expect(ms).toBeLessThan(20_000);
  });

  const starter: SseBuild = {
    parser() {
      const pieces: string[] = [];
      return {
        push(chunk) {
          pieces.push(chunk);
        },
        reset() {
          pieces.length = 0;
        },
        get lastEventId() {
          return "";
        },
      };
    },
    client: () => ({ start() {}, stop() {} }),
  };

  it("fails the notebook's starter at stage 1 on the simplest stream", async () => {
    const report = await sseBuild.check(starter);
    expect(report.headline).toMatch(/FAILED at stage 1 of 3, works/);
    expect(report.failedStage!.failure!.invariant).toBe('one event: for the chunks ["data: hello\\n\\n"]: dispatch 1 should be event {type "message", data "hello", lastEventId ""}, the parser gave nothing');
  });

  it.each([
    ["a parser that dispatches every line as an event (constant)", { ...sse(), parser: (h) => ({ push: (c: string) => h.onEvent({ type: "message", data: c, lastEventId: "" }), reset() {}, lastEventId: "" }) } as SseBuild, 1, /dispatch 1 should be/],
    ["LF only (ignores CR and CRLF)", sse({ lfOnly: true }), 1, /^CRLF and CR end lines too/],
    ["a BOM kept", sse({ keepBom: true }), 1, /^a leading byte order mark is skipped/],
    ["every leading space stripped (unshipped)", sse({ trimAll: true }), 1, /^one leading space is removed/],
    ["the id taken at its line, not at dispatch (the hard case)", sse({ idOnLine: true }), 1, /^a half event is forgotten on reset, its id too: .*should be event \{type "message", data "next", lastEventId "1"\}, the parser gave .*lastEventId "2"/],
    ["a CR at a chunk's end forgotten (unshipped)", { ...sse(), parser: (h) => { const p = sseParser({}, h); return { push: (c: string) => { for (const part of c.split(/(?<=\r)/)) p.push(part.endsWith("\r") ? part.slice(0, -1) + "\n" : part); }, reset: () => p.reset(), get lastEventId() { return p.lastEventId; } }; } } as SseBuild, 2, /dispatch \d+ should be|lastEventId should be/],
    ["reconnecting at once (ignores retry:)", sse({ ignoreRetry: true }), 3, /reconnected \d+ ms after the stream broke .* retry: \d+/],
    ["reconnecting after a 204", sse({ ignore204: true }), 3, /after the server answered 204 No Content/],
    ["reconnecting without Last-Event-ID", sse({ noResume: true }), 3, /with no Last-Event-ID, but the last event delivered was \d+/],
  ] as const)("%s fails at the stage that attacks it", async (_name, solution, stage, why) => {
    const report = await sseBuild.check(solution);
    expect(report.passed).toBe(false);
    expect(report.stagesPassed).toBe(stage - 1);
    expect(report.failedStage!.failure!.invariant).toMatch(why);
  });
});

// ---- long-polling ---------------------------------------------------------------------------

describe("long-polling build challenge", () => {
  it("the reference passes every stage", async () => {
    const { value: report, ms } = await timed(() => longPollingBuild.check(lp()));
    expect(report.headline).toBe("Challenge long-polling: PASSED (2 of 2 stages, 30 cases)");
    expect(report.stages.map((st) => st.cases)).toEqual([6, 24]);
    expect(ms).toBeLessThan(20_000);
  });

  const starter: LongPollBuild = {
    handle(after, kit) {
      const waiting = kit.after(after);
      return waiting.length ? { status: 200, events: waiting } : { status: 204 };
    },
    client(kit) {
      let running = false;
      let cursor = 0;
      const loop = async () => {
        while (running) {
          const res = await kit.poll(cursor);
          for (const e of res.events ?? []) {
            kit.deliver(e);
            cursor = e.id;
          }
        }
      };
      return {
        start() {
          running = true;
          void loop();
        },
        stop() {
          running = false;
        },
      };
    },
  };

  it("fails the notebook's starter at stage 1 on its early 204", async () => {
    const report = await longPollingBuild.check(starter);
    expect(report.headline).toMatch(/FAILED at stage 1 of 2, works/);
    expect(report.failedStage!.failure!.invariant).toMatch(/^a poll with after=0 was answered 204 after only 0 ms with nothing new: hold it 2,000 ms/);
  });

  it.each([
    ["a server that always answers 204 (constant)", { ...lp(), handle: () => ({ status: 204 }) } as LongPollBuild, 1, /answered 204 after only 0 ms|answered 204 at .* although message/],
    ["a hold that never wakes on data", lp({ noWake: true }), 1, /answered \d[\d,]* ms after message \d+ arrived: answer as soon as data arrives/],
    ["a hold that keeps its listener", lp({ leak: true }), 1, /listeners were still subscribed/],
    ["a cursor at the batch's first id (ignores the rest of the batch)", lp({ firstIdCursor: true }), 2, /delivered message \d+ twice/],
    ["a pause after every answer (unshipped)", lp({ pauseMs: 300 }), 1, /waited 300 ms after an answer before polling again/],
    ["no backoff after errors", lp({ noBackoff: true }), 2, /polled \d+ times meanwhile .* back off/],
  ] as const)("%s fails at the stage that attacks it", async (_name, solution, stage, why) => {
    const report = await longPollingBuild.check(solution);
    expect(report.passed).toBe(false);
    expect(report.stagesPassed).toBe(stage - 1);
    expect(report.failedStage!.failure!.invariant).toMatch(why);
  });
});

describe("sse build challenge: the resuming stage on its own", () => {
  // Stage 1 already catches an id taken at its line; this proves the death mid-event catches it
  // too, on the wire: the client resumes after an event it never got.
  const cut = { seed: 501, size: 25, faults: [{ kind: "cut", label: "the server dies in the middle of the next event after 1,000 ms", at: 1_000, params: { durationMs: 0 } }] };

  it("an EventSource that takes the id at its line skips the event cut off after that line", async () => {
    const run = await runSseClientCase(sse({ idOnLine: true }), cut);
    expect(run.violation?.sentence).toMatch(/^reconnected at [\d,]+ ms with Last-Event-ID (\d+), but the last event delivered was (\d+)/);
    const [, sent, had] = /Last-Event-ID (\d+), but the last event delivered was (\d+)/.exec(run.violation!.sentence)!;
    expect(Number(sent)).toBe(Number(had) + 1);
  });

  it("the reference resumes from the last event it really got", async () => {
    expect((await runSseClientCase(sse(), cut)).violation).toBeUndefined();
  });
});

describe("real-time build challenges in notebook 03", () => {
  const nb = parseNotebook(readFileSync(join(__dirname, "../../../notebooks/03-protocols.sdenb"), "utf8"));

  it.each(["websocket", "sse", "long-polling"] as const)("%s: statement, starter, check and collapsed code-free hints in place; the knob challenge kept as a warm-up", (id) => {
    const c = challenges[id];
    const cell = (suffix: string) => nb.cells.find((x) => x.id === `${id}-${suffix}`)!;
    expect(cell("challenge").source).toContain(c.statement);
    for (const st of c.stages) expect(cell("challenge").source).toContain(`**${st.name}**: ${st.goal}`);
    expect(cell("starter").source).toMatch(/TODO/);
    expect(cell("check").source).toContain(`challenges["${id}"].check(`);
    for (const level of [1, 2, 3] as const) {
      expect(cell(`hint-${level}`).metadata).toMatchObject({ collapsed: true });
      expect(cell(`hint-${level}`).source).toBe(c.hint(level));
      expect(cell(`hint-${level}`).source).not.toContain("```");
    }
    expect(cell("warmup-check").source).toContain(`challenges["${id}-warmup"].check(`);
    expect(cell("warmup-hint").metadata).toMatchObject({ collapsed: true });
  });
});
