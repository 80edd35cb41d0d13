// Build challenges of the protocols section's real-time patterns (WebSocket, SSE, long polling):
// the reference passes every stage on every case; the notebook's starter fails stage 1 with a
// useful first failure; known-wrong answers fail at the stage that attacks their mistake.
import { describe, expect, it } from "vitest";
import { websocketBuild, type WebSocketBuild, type WsClientKit } from "../../../src/lab/challenges/protocols-build/websocket";

const timed = async <T>(f: () => Promise<T>) => {
  const start = performance.now();
  const value = await f();
  return { value, ms: performance.now() - start };
};

// ---- websocket ------------------------------------------------------------------------------

interface WsOptions {
  /** Resume from 0 every time (ignores the last id). */
  fromZero?: boolean;
  /** No heartbeat at all. */
  noHeartbeat?: boolean;
  /** "Dead" when nothing arrived for this long, instead of a ping (unshipped wrong answer). */
  idleTimeoutMs?: number;
  /** Reconnect on every close code. */
  ignoreCodes?: boolean;
  /** No jitter: wait exactly the backoff. */
  noJitter?: boolean;
  /** A fixed wait, no growth. */
  fixedMs?: number;
}
function wsClient(o: WsOptions = {}): WebSocketBuild {
  return {
    client(kit: WsClientKit) {
      let lastId = 0;
      let wait = kit.backoff.initialMs;
      let stopped = false;
      let current: ReturnType<WsClientKit["connect"]> | undefined;
      let timers: { cancel(): void }[] = [];
      const clear = () => {
        for (const t of timers) t.cancel();
        timers = [];
      };
      const reconnect = () => {
        clear();
        current = undefined;
        if (stopped) return;
        const base = o.fixedMs ?? wait;
        const delay = o.noJitter || o.fixedMs !== undefined ? base : kit.random() * base;
        wait = Math.min(wait * 2, kit.backoff.maxMs);
        kit.setTimeout(open, delay);
      };
      const open = () => {
        if (stopped) return;
        const ws = kit.connect();
        current = ws;
        let lastSeen = kit.now();
        let pongDue: { cancel(): void } | undefined;
        ws.onopen = () => {
          if (ws !== current) return;
          ws.send(JSON.stringify({ type: "resume", after: o.fromZero ? 0 : lastId }));
          if (o.idleTimeoutMs !== undefined) {
            const idle = () => {
              if (ws !== current) return;
              if (kit.now() - lastSeen >= o.idleTimeoutMs!) {
                ws.close();
                reconnect();
              } else timers.push(kit.setTimeout(idle, 100));
            };
            timers.push(kit.setTimeout(idle, 100));
          } else if (!o.noHeartbeat) {
            const ping = () => {
              if (ws !== current) return;
              ws.send(JSON.stringify({ type: "ping" }));
              pongDue = kit.setTimeout(() => {
                if (ws !== current) return;
                ws.close(4000, "heartbeat timeout");
                reconnect();
              }, kit.heartbeat.timeoutMs);
              timers.push(pongDue, kit.setTimeout(ping, kit.heartbeat.intervalMs));
            };
            ping();
          }
        };
        ws.onmessage = (e) => {
          if (ws !== current) return;
          lastSeen = kit.now();
          wait = kit.backoff.initialMs;
          const m = JSON.parse(e.data) as { type: string; id?: number; data?: string };
          if (m.type === "pong") pongDue?.cancel();
          else if (m.type === "msg" && (o.fromZero || m.id! > lastId)) {
            lastId = Math.max(lastId, m.id!);
            kit.deliver({ id: m.id!, data: m.data! });
          }
        };
        ws.onclose = (e) => {
          if (ws !== current) return;
          if (!o.ignoreCodes && (e.code === 1000 || e.code === 1008)) {
            clear();
            current = undefined;
            return;
          }
          reconnect();
        };
      };
      return {
        start: open,
        stop() {
          stopped = true;
          clear();
          current?.close();
          current = undefined;
        },
      };
    },
  };
}

describe("websocket build challenge", () => {
  it("the reference passes every stage", async () => {
    const { value: report, ms } = await timed(() => websocketBuild.check(wsClient()));
    console.log(report.headline, report.stageLines.join("\n"), report.failedStage?.failure?.invariant, ms);
    expect(report.passed).toBe(true);
  });
});
