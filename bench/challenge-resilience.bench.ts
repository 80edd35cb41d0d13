// The resilience build challenges (circuit breaker, retry, timeout): each full check (every
// stage, every case) beside one plain run of the same scenario. Target (issue 20): a full
// check ≤ 3 s headless on the 2-core machine; the ratio says what the checker costs.
import { challenges } from "../src/lab/challenges/index";
import { judgeBreaker } from "../src/lab/challenges/build-microservices/circuit-breaker";
import { judgeRetry } from "../src/lab/challenges/build-microservices/retry-backoff";
import { judgeTimeout } from "../src/lab/challenges/build-microservices/timeout";
import { breakers, deadlines, retries } from "../test/unit/challenges/resilience-references";
import { report, time, type Timing } from "./harness";

const RUNS = 5;
const verdicts: string[] = [];
async function pair(id: "circuit-breaker" | "retry-backoff" | "timeout", plainRun: () => Promise<boolean>, check: () => Promise<boolean>): Promise<void> {
  const plain = await time(`${id}: one plain run of the scenario (one stage-2 case)`, async () => {
    if (!(await plainRun())) throw new Error(`the ${id} reference failed its plain run`);
  }, 20, 3);
  const full: Timing = await time(`${id}: full check of the reference (all stages, all cases)`, async () => {
    if (!(await check())) throw new Error(`the ${id} reference did not pass`);
  }, RUNS, 1);
  report(`${id}: build challenge check vs one plain run`, plain, [full]);
  verdicts.push(`${id}: full check p50 ${full.p50.toFixed(0)} ms (target ≤ 3000 ms) ${full.p50 <= 3_000 ? "OK" : "OVER TARGET"}; ${(full.p50 / plain.p50).toFixed(1)}× one plain run`);
}

const fault = (kind: string, at: number, untilMs: number) => ({ kind, label: kind, at, params: { untilMs } });
await pair(
  "circuit-breaker",
  async () => (await judgeBreaker(breakers(), { seed: 100, size: 300, faults: [fault("outage", 150, 350)] }, 4, true)).ok,
  async () => (await challenges["circuit-breaker"].check(breakers())).passed,
);
await pair(
  "retry-backoff",
  async () => (await judgeRetry(retries(), { seed: 200, size: 30, faults: [fault("outage", 0, 150)] }, true)).ok,
  async () => (await challenges["retry-backoff"].check(retries())).passed,
);
await pair(
  "timeout",
  async () => (await judgeTimeout(deadlines(), { seed: 100, size: 16, faults: [] }, (r) => r.int(60, 250))).ok,
  async () => (await challenges.timeout.check(deadlines())).passed,
);
console.log(`\n${verdicts.join("\n")}`);
