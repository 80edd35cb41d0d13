// Per-call overhead of the lab's circuit breaker in the CLOSED state (successful calls that
// resolve at once) against cockatiel's breaker, in the same run. Target: ≤ 1.5× cockatiel.
// The lab breaker reads time from a Simulation that is never run: time stays 0, which is all
// a closed breaker needs.
import { ConsecutiveBreaker as CockatielConsecutive, circuitBreaker, handleAll } from "cockatiel";
import { CircuitBreaker, ConsecutiveBreaker } from "../src/lab/resilience/index";
import { Simulation } from "../src/lab/sim/simulation";
import { report, time } from "./harness";

const CALLS = 10_000;
const RUNS = 300;
const call = () => Promise.resolve(1);

async function loop(execute: (fn: () => Promise<number>) => Promise<number>): Promise<void> {
  let sum = 0;
  for (let i = 0; i < CALLS; i++) sum += await execute(call);
  if (sum !== CALLS) throw new Error(`expected ${CALLS}, got ${sum}`);
}

const cockatiel = circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new CockatielConsecutive(5) });
const sim = new Simulation();
const labDefault = new CircuitBreaker(sim);
const labConsecutive = new CircuitBreaker(sim, { strategy: new ConsecutiveBreaker(5) });
const labTimeBased = new CircuitBreaker(sim, { slidingWindowType: "TIME_BASED", slidingWindowSize: 60 });

const bare = await time(`no breaker: await fn() × ${CALLS}`, () => loop((fn) => fn()), RUNS);
const base = await time(`cockatiel circuitBreaker(handleAll, ConsecutiveBreaker(5)) × ${CALLS}`, () => loop((fn) => cockatiel.execute(fn)), RUNS);
const ours = await time(`lab CircuitBreaker, resilience4j defaults (COUNT_BASED 100) × ${CALLS}`, () => loop((fn) => labDefault.execute(fn)), RUNS);
const oursConsecutive = await time(`lab CircuitBreaker + ConsecutiveBreaker(5) × ${CALLS}`, () => loop((fn) => labConsecutive.execute(fn)), RUNS);
const oursTime = await time(`lab CircuitBreaker, TIME_BASED 60 s × ${CALLS}`, () => loop((fn) => labTimeBased.execute(fn)), RUNS);

report(`Closed-state breaker, ${CALLS} successful calls per run`, base, [ours, oursConsecutive, oursTime, bare]);
const perCall = (t: { p50: number }) => ((t.p50 - bare.p50) / CALLS) * 1e6;
console.log(`\nper-call overhead over a bare await (p50): cockatiel ${perCall(base).toFixed(0)} ns; lab default ${perCall(ours).toFixed(0)} ns; lab consecutive ${perCall(oursConsecutive).toFixed(0)} ns; lab time-based ${perCall(oursTime).toFixed(0)} ns`);
for (const t of [ours, oursConsecutive, oursTime]) {
  const ratio = t.p50 / base.p50;
  console.log(`${t.name}: ${ratio.toFixed(2)}× cockatiel at p50 (target ≤ 1.5×) ${ratio <= 1.5 ? "OK" : "OVER TARGET"}`);
}
if (labDefault.stats.calls === 0 || labDefault.state !== "CLOSED") throw new Error("the lab breaker did not run closed");
