import type { LongPollBuild } from "sde-lab/challenges";

const longPoll: LongPollBuild = {
  handle(after, kit) {
    const waiting = kit.after(after);
    if (waiting.length) return { status: 200, events: waiting };
    return new Promise((resolve) => {
      const timer = kit.setTimeout(() => { unsubscribe(); resolve({ status: 204 }); }, kit.holdMs);
      const unsubscribe = kit.subscribe(() => { timer.cancel(); unsubscribe(); resolve({ status: 200, events: kit.after(after) }); });
    });
  },
  client(kit) {
    let running = false;
    let cursor = 0;
    let wait = 0;
    const loop = async () => {
      while (running) {
        try {
          const res = await kit.poll(cursor);
          if (res.status !== 200 && res.status !== 204) throw new Error(`status ${res.status}`);
          for (const e of res.events ?? []) { if (e.id > cursor) { kit.deliver(e); cursor = e.id; } }
          wait = 0;
        } catch {
          wait = Math.min(kit.backoff.maxMs, wait === 0 ? kit.backoff.initialMs : wait * 2);
          await kit.sleep(kit.random() * wait);
        }
      }
    };
    return { start() { running = true; void loop(); }, stop() { running = false; } };
  },
};
