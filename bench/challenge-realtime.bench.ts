// The real-time build challenges of notebook 03 (WebSocket, SSE, long polling): each full
// check (every stage, every case) beside one plain run of the same scenario (seed 1, no
// faults), and the starter's check (fails stage 1, shrinks, draws the trace). Target (issue
// 20): a full check ≤ 3 s headless on the 2-core machine.
import { challenges } from "../src/lab/challenges/index";
import { judgeWebSocketRun, runWebSocketCase } from "../src/lab/challenges/protocols-build/websocket";
import { runSseClientCase } from "../src/lab/challenges/protocols-build/sse";
import { runLongPollCase } from "../src/lab/challenges/protocols-build/long-polling";
import { lp, sse, wsClient } from "../test/unit/challenges/protocols-build-b-references";
import { report, time } from "./harness";

const RUNS = 5;
const plain = { seed: 1, faults: [] };
const rows: string[] = [];
for (const [id, plainRun, reference] of [
  ["websocket", async () => judgeWebSocketRun(await runWebSocketCase(wsClient(), { ...plain, size: 30 }, 1, 30)) === undefined, wsClient()],
  ["sse", async () => (await runSseClientCase(sse(), { ...plain, size: 25 })).violation === undefined, sse()],
  ["long-polling", async () => (await runLongPollCase(lp(), { ...plain, size: 30 })).violation === undefined, lp()],
] as const) {
  const c = challenges[id] as { check(s: unknown): Promise<{ passed: boolean }> };
  const one = await time(`${id}: one plain run (seed 1, no faults)`, async () => {
    if (!(await plainRun())) throw new Error(`${id}: the reference failed its plain run`);
  }, 10, 2);
  const full = await time(`${id}: full check of the reference`, async () => {
    if (!(await c.check(reference)).passed) throw new Error(`${id}: the reference did not pass`);
  }, RUNS, 1);
  report(`${id}: build challenge check vs one plain run`, one, [full]);
  rows.push(`${id}: full check p50 ${full.p50.toFixed(0)} ms (target ≤ 3000 ms) ${full.p50 <= 3_000 ? "OK" : "OVER TARGET"}; ${(full.p50 / one.p50).toFixed(1)}× one plain run`);
}
console.log(`\n${rows.join("\n")}`);
