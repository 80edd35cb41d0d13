// Scheduler throughput in virtual time (target ≥ 1,000,000 timer events/s), side by side with
// the obvious implementation: a time-sorted array with binary-search insertion.
// Workload: 1,000 timers that each reschedule themselves after a seeded random delay, until
// 1,000,000 events have fired. A second row measures async code (`await sim.sleep`), which
// must let each awakened coroutine run before time moves on.
import { Random, Simulation } from "../src/lab/index";

const TIMERS = 1_000;
const EVENTS = 1_000_000;

async function ours(): Promise<number> {
  const sim = new Simulation({ seed: 1, maxEvents: EVENTS * 2 });
  const random = new Random(7);
  let fired = 0;
  const tick = () => {
    if (++fired < EVENTS) sim.schedule(random.uniform(0, 100), tick);
  };
  for (let i = 0; i < TIMERS; i++) sim.schedule(random.uniform(0, 100), tick);
  const t0 = performance.now();
  await sim.run();
  const seconds = (performance.now() - t0) / 1000;
  if (sim.eventsFired < EVENTS) throw new Error(`only ${sim.eventsFired} events fired`);
  return sim.eventsFired / seconds;
}

function baseline(): number {
  // Sorted by time descending so the next event pops off the end.
  type Ev = { time: number; seq: number; fn: () => void };
  const queue: Ev[] = [];
  let seq = 0;
  let now = 0;
  const schedule = (delay: number, fn: () => void) => {
    const ev = { time: now + delay, seq: seq++, fn };
    let lo = 0;
    let hi = queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = queue[mid]!;
      if (m.time > ev.time || (m.time === ev.time && m.seq > ev.seq)) lo = mid + 1;
      else hi = mid;
    }
    queue.splice(lo, 0, ev);
  };
  const random = new Random(7);
  let fired = 0;
  const tick = () => {
    if (++fired < EVENTS) schedule(random.uniform(0, 100), tick);
  };
  for (let i = 0; i < TIMERS; i++) schedule(random.uniform(0, 100), tick);
  const t0 = performance.now();
  let count = 0;
  while (queue.length > 0) {
    const ev = queue.pop()!;
    now = ev.time;
    count++;
    ev.fn();
  }
  return count / ((performance.now() - t0) / 1000);
}

async function asyncSleepers(): Promise<number> {
  const sim = new Simulation({ seed: 1 });
  const random = sim.random;
  const perTask = 200;
  const t0 = performance.now();
  await sim.run(() =>
    Promise.all(
      Array.from({ length: TIMERS }, async () => {
        for (let i = 0; i < perTask; i++) await sim.sleep(random.uniform(0, 100));
      }),
    ),
  );
  return sim.eventsFired / ((performance.now() - t0) / 1000);
}

const fmt = (n: number) => `${(n / 1e6).toFixed(2)} M events/s`;
// Warm both once, then measure the best of three (throughput is what the machine can do).
await ours();
baseline();
const oursRate = Math.max(await ours(), await ours(), await ours());
const baseRate = Math.max(baseline(), baseline(), baseline());
const sleepRate = Math.max(await asyncSleepers(), await asyncSleepers());
console.log("\n| case | throughput | vs baseline |\n| --- | ---: | ---: |");
console.log(`| baseline: sorted array, binary-search insert | ${fmt(baseRate)} | baseline |`);
console.log(`| Simulation: timer events (heap) | ${fmt(oursRate)} | ${(oursRate / baseRate).toFixed(2)}× |`);
console.log(`| Simulation: async \`await sim.sleep\` wake-ups | ${fmt(sleepRate)} | ${(sleepRate / baseRate).toFixed(2)}× |`);
console.log(`\ntimer events: ${fmt(oursRate)} (target ≥ 1.00 M events/s)`);
