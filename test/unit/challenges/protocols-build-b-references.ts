// Reference solutions of the real-time build challenges (and the knobs that turn them into
// known-wrong answers), shared by the tests and the check-time bench. They never ship.
import type { LongPollBuild, PollReply } from "../../../src/lab/challenges/protocols-build/long-polling";
import type { SseBuild, SseEvent, SseParser } from "../../../src/lab/challenges/protocols-build/sse";
import type { WebSocketBuild, WsClientKit } from "../../../src/lab/challenges/protocols-build/websocket";

export interface WsOptions {
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
  /** A fixed (jittered) wait that never grows. */
  fixedMs?: number;
}
export function wsClient(o: WsOptions = {}): WebSocketBuild {
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
        const delay = o.noJitter ? base : kit.random() * base;
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

export interface SseOptions {
  /** Take the id at the id: line, not at dispatch (the hard case). */
  idOnLine?: boolean;
  /** Split lines on \n only. */
  lfOnly?: boolean;
  /** Keep no BOM handling. */
  keepBom?: boolean;
  /** Strip all leading spaces from values (unshipped). */
  trimAll?: boolean;
  /** Reconnect at once, ignoring retry:. */
  ignoreRetry?: boolean;
  /** Reconnect after a 204 too. */
  ignore204?: boolean;
  /** Resume without Last-Event-ID. */
  noResume?: boolean;
}
export function sseParser(o: SseOptions, handlers: { onEvent(e: SseEvent): void; onRetry(ms: number): void }): SseParser {
  let buffer = "";
  let data = "";
  let type = "";
  let idBuffer = "";
  let lastId = "";
  let sawCr = false;
  let atStart = true;
  const line = (l: string) => {
    if (l === "") {
      lastId = idBuffer;
      if (data !== "") handlers.onEvent({ type: type || "message", data: data.slice(0, -1), lastEventId: lastId });
      data = "";
      type = "";
      return;
    }
    if (l.startsWith(":")) return;
    const colon = l.indexOf(":");
    const field = colon < 0 ? l : l.slice(0, colon);
    let value = colon < 0 ? "" : l.slice(colon + 1);
    if (o.trimAll) value = value.replace(/^ +/, "");
    else if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data += `${value}\n`;
    else if (field === "event") type = value;
    else if (field === "id" && !value.includes("\u0000")) {
      idBuffer = value;
      if (o.idOnLine) lastId = value;
    } else if (field === "retry" && /^[0-9]+$/.test(value)) handlers.onRetry(Number(value));
  };
  return {
    push(chunk) {
      if (chunk === "") return;
      let text = chunk;
      if (atStart) {
        if (!o.keepBom && text.startsWith("\uFEFF")) text = text.slice(1);
        atStart = false;
      }
      if (o.lfOnly) {
        buffer += text;
        const parts = buffer.split("\n");
        buffer = parts.pop()!;
        parts.forEach(line);
        return;
      }
      if (sawCr && text.startsWith("\n")) text = text.slice(1);
      sawCr = text.endsWith("\r");
      buffer += text;
      const parts = buffer.split(/\r\n|\r|\n/);
      buffer = parts.pop()!;
      parts.forEach(line);
    },
    reset() {
      buffer = "";
      data = "";
      type = "";
      idBuffer = lastId;
      sawCr = false;
      atStart = true;
    },
    get lastEventId() {
      return lastId;
    },
  };
}
export function sse(o: SseOptions = {}): SseBuild {
  const build: SseBuild = {
    parser: (h) => sseParser(o, h),
    client(kit) {
      let retry = kit.reconnectionTimeMs;
      let stopped = false;
      let current: { close(): void } | undefined;
      const parser = build.parser({ onEvent: (e) => kit.deliver(e), onRetry: (ms) => (retry = ms) });
      const again = () => {
        current = undefined;
        parser.reset();
        if (!stopped) kit.setTimeout(() => void open(), o.ignoreRetry ? 0 : retry);
      };
      const open = async () => {
        if (stopped) return;
        const headers: Record<string, string> = {};
        if (parser.lastEventId !== "" && !o.noResume) headers["last-event-id"] = parser.lastEventId;
        try {
          const res = await kit.open(headers, { onChunk: (t) => parser.push(t), onEnd: again });
          if (res.status === 200) current = res;
          else if (o.ignore204) again();
        } catch {
          again();
        }
      };
      return {
        start: () => void open(),
        stop() {
          stopped = true;
          current?.close();
        },
      };
    },
  };
  return build;
}

export interface LpOptions {
  /** Answer 204 at once when there is nothing (no hold). */
  noHold?: boolean;
  /** Never unsubscribe. */
  leak?: boolean;
  /** Only check at the end of the hold. */
  noWake?: boolean;
  /** Retry at once after an error. */
  noBackoff?: boolean;
  /** Cursor = first id of the answer (ignores the rest). */
  firstIdCursor?: boolean;
  /** Sleep after every answer. */
  pauseMs?: number;
}
export function lp(o: LpOptions = {}): LongPollBuild {
  return {
    handle(after, kit) {
      const waiting = kit.after(after);
      if (waiting.length > 0) return { status: 200, events: waiting };
      if (o.noHold) return { status: 204 };
      return new Promise<PollReply>((resolve) => {
        let unsubscribe = () => {};
        const timer = kit.setTimeout(() => {
          if (!o.leak) unsubscribe();
          const late = kit.after(after);
          resolve(late.length ? { status: 200, events: late } : { status: 204 });
        }, kit.holdMs);
        if (o.noWake) return;
        unsubscribe = kit.subscribe(() => {
          timer.cancel();
          if (!o.leak) unsubscribe();
          resolve({ status: 200, events: kit.after(after) });
        });
      });
    },
    client(kit) {
      let running = false;
      let cursor = 0;
      const loop = async () => {
        let wait = kit.backoff.initialMs;
        while (running) {
          try {
            const res = await kit.poll(cursor);
            if (res.status === 200) {
              wait = kit.backoff.initialMs;
              for (const e of res.events ?? []) {
                if (e.id <= cursor) continue;
                kit.deliver(e);
                if (!o.firstIdCursor) cursor = e.id;
              }
              if (o.firstIdCursor && res.events?.length) cursor = res.events[0]!.id;
              if (o.pauseMs) await kit.sleep(o.pauseMs);
              continue;
            }
            if (res.status === 204) continue;
          } catch {
            // fall through to the wait
          }
          if (!running) break;
          if (!o.noBackoff) {
            await kit.sleep(kit.random() * wait);
            wait = Math.min(wait * 2, kit.backoff.maxMs);
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
}
