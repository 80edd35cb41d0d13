// Scheduler throughput in virtual time, beside plain-Node baselines, the lab of the commit
// before the microtask loop (issue 24) and the lab before the calendar queue, in the same run. Targets: timer events ≥ 10 M/s, async wake-ups (`await sim.sleep`) ≥ 2 M/s.
// - timer events: 1,000 timers that each reschedule themselves after a seeded random delay,
//   until 1,000,000 events have fired; baseline: a time-sorted array, binary-search insert.
// - skewed timers: the same, plus a 30 s timeout timer per event (9 in 10 cancelled, as answered
//   calls cancel theirs) and 5 timers 10^12 ms ahead: a calendar queue must not degrade.
// - async wake-ups: 1,000 coroutines that each `await sim.sleep(random)` 200 times; every
//   wake-up must let the coroutine run before time moves on. Baseline: a bare
//   `await Promise.resolve()` loop, what V8 does per await with no scheduler at all.
// Rates are per second of wall time and per second of this process's CPU time: on a shared
// machine (load average printed) the CPU-time rate is the steadier one. Each case runs once to
// warm up, then TRIES times, the cases taking turns (so load swings hit all of them alike).
// The whole measurement runs in PROCESSES fresh processes one after another: on this VM one
// process can run promise-heavy code ~1.5× slower than the next (a bare `await` loop measured
// 14–27 M/s from process to process, in the same minute), so one process is a draw. The table
// shows, per case, the median process's median try and the range over processes.
import { v8Flags } from "./kernel-flags";
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { BASELINE_COMMIT, BEFORE_COMMIT, loadLabs, type Lab } from "./e2e/labs";
import { median } from "./harness";

const TIMERS = 1_000;
const EVENTS = 1_000_000;

interface Rate {
  wall: number;
  cpu: number;
}
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
async function measure(count: () => Promise<number> | number): Promise<Rate> {
  const w0 = performance.now();
  const c0 = cpuMs();
  const n = await count();
  return { wall: n / ((performance.now() - w0) / 1000), cpu: n / ((cpuMs() - c0) / 1000) };
}
const TRIES = Number(process.env.SDE_BENCH_TRIES ?? 5);

/** Median rate of each case over TRIES turns, after one warm-up each; the cases take turns. */
async function medians(cases: [string, () => Promise<number> | number][]): Promise<[string, Rate][]> {
  for (const [, count] of cases) await measure(count);
  const tries = cases.map((): Rate[] => []);
  for (let t = 0; t < TRIES; t++) for (let i = 0; i < cases.length; i++) tries[i]!.push(await measure(cases[i]![1]));
  return cases.map(([name], i) => [name, { wall: median(tries[i]!.map((r) => r.wall)), cpu: median(tries[i]!.map((r) => r.cpu)) }]);
}

/**
 * A copy of `workload` with its own type feedback. The labs' classes differ: one shared copy
 * would see all of them at each call site (polymorphic, so less inlined), which no real run
 * does — a process holds one lab. Workloads take everything as arguments (no outer names).
 */
function ownCopy<A extends unknown[], R>(workload: (...args: A) => R): (...args: A) => R {
  return new Function(`return ${workload.toString()}`)() as (...args: A) => R;
}

async function timers(L: Lab, skewed: boolean, EVENTS: number, TIMERS: number): Promise<number> {
  const sim = new L.Simulation({ seed: 1, maxEvents: EVENTS * 2 });
  let fired = 0;
  const random = sim.random;
  const timeout = () => {};
  const tick = skewed
    ? () => {
        if (++fired >= EVENTS) return;
        sim.schedule(random.uniform(0, 100), tick);
        const t = sim.schedule(30_000, timeout);
        if (random.next() < 0.9) t.cancel();
      }
    : () => {
        if (++fired < EVENTS) sim.schedule(random.uniform(0, 100), tick);
      };
  for (let i = 0; i < TIMERS; i++) sim.schedule(random.uniform(0, 100), tick);
  if (skewed) for (let i = 0; i < 5; i++) sim.schedule(1e12 + i, timeout);
  await sim.run();
  if (sim.eventsFired < EVENTS) throw new Error(`only ${sim.eventsFired} events fired`);
  return sim.eventsFired;
}

async function sleepers(L: Lab, loop: "macrotask" | undefined, TIMERS: number): Promise<number> {
  const sim = new L.Simulation({ seed: 1, ...(loop ? { loop } : {}) });
  const random = sim.random;
  await sim.run(() =>
    Promise.all(
      Array.from({ length: TIMERS }, async () => {
        for (let i = 0; i < 200; i++) await sim.sleep(random.uniform(0, 100));
      }),
    ),
  );
  return sim.eventsFired;
}

function sortedArray(): number {
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
  let state = 7;
  const random = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296) * 100;
  let fired = 0;
  const tick = () => {
    if (++fired < EVENTS) schedule(random(), tick);
  };
  for (let i = 0; i < TIMERS; i++) schedule(random(), tick);
  let count = 0;
  while (queue.length > 0) {
    const ev = queue.pop()!;
    now = ev.time;
    count++;
    ev.fn();
  }
  return count;
}

async function bareAwaits(): Promise<number> {
  const n = 2_000_000;
  for (let i = 0; i < n; i++) await Promise.resolve();
  return n;
}

const load = () => loadavg().map((x) => x.toFixed(2)).join(" ");
const PROCESSES = Number(process.env.SDE_BENCH_PROCESSES ?? 3);
const CHILD = process.env.SDE_BENCH_CHILD === "1";
type Row = [string, Rate];

if (!CHILD) {
  console.log(`load average at start: ${load()} (2 cores shared with other work); ${PROCESSES} processes × median of ${TRIES} tries; V8 flags: ${v8Flags()}`);
  const runs: Row[][] = [];
  for (let k = 0; k < PROCESSES; k++) {
    const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!], { env: { ...process.env, SDE_BENCH_CHILD: "1" }, encoding: "utf8", maxBuffer: 1 << 24 });
    const line = (child.stdout ?? "").split("\n").find((l) => l.startsWith("ROWS "));
    if (!line) throw new Error(`bench process ${k + 1} failed: ${(child.stderr ?? "").slice(-1000)}`);
    runs.push(JSON.parse(line.slice(5)) as Row[]);
  }
  report(runs);
  console.log(`load average at end: ${load()}`);
  process.exit(0);
}

const { current, baseline, before } = await loadLabs();
/** Each lab's own copies of the workloads (see {@link ownCopy}). */
const own = (L: Lab) => {
  const t = ownCopy(timers);
  const s = ownCopy(sleepers);
  return { timers: (skewed = false) => t(L, skewed, EVENTS, TIMERS), sleepers: (loop?: "macrotask") => s(L, loop, TIMERS) };
};
const now = own(current);
const prev = before && own(before);
const base = baseline && own(baseline);
const cases: [string, () => Promise<number> | number][] = [
  ["plain Node: bare `await Promise.resolve()` loop", bareAwaits],
  ["plain Node: sorted array, binary-search insert (timer events)", sortedArray],
  ["Simulation: timer events", () => now.timers()],
  ["Simulation: async `await sim.sleep` wake-ups", () => now.sleepers()],
  ["Simulation: skewed timer events (+ 30 s timeouts, 90 % cancelled, 5 at 10^12 ms)", () => now.timers(true)],
];
if (prev) {
  cases.push(
    [`before ${BEFORE_COMMIT} (binary heap): timer events`, () => prev.timers()],
    [`before ${BEFORE_COMMIT} (binary heap): async wake-ups`, () => prev.sleepers()],
    [`before ${BEFORE_COMMIT} (binary heap): skewed timer events`, () => prev.timers(true)],
  );
}
if (base) cases.push([`baseline ${BASELINE_COMMIT}: timer events`, () => base.timers()]);
const rows = await medians(cases);
// The macrotask loops are slow: one try each.
const slow: [string, () => Promise<number>][] = [["Simulation, reference loop (macrotask per wake-up): wake-ups", () => now.sleepers("macrotask")]];
if (base) slow.push([`baseline ${BASELINE_COMMIT}: async wake-ups`, () => base.sleepers()]);
for (const [name, count] of slow) rows.push([name, await measure(count)]);
console.log(`ROWS ${JSON.stringify(rows)}`);

/** The table and the verdicts, per case the median process (by CPU rate) and the range over processes. */
function report(runs: Row[][]): void {
  const names = runs[0]!.map(([name]) => name);
  const pick = (name: string): { median: Rate; all: Rate[] } | undefined => {
    const all = runs.map((rows) => rows.find(([n]) => n === name)?.[1]).filter((r): r is Rate => r !== undefined);
    if (all.length === 0) return undefined;
    const sorted = [...all].sort((a, b) => a.cpu - b.cpu);
    return { median: sorted[sorted.length >> 1]!, all };
  };
  const rate = (name: string) => pick(name)?.median;
  const bare = rate(names[0]!)!;
  const sorted = rate(names[1]!)!;
  const m = (n: number) => `${(n / 1e6).toFixed(2)} M/s`;
  const span = (xs: number[]) => `${(Math.min(...xs) / 1e6).toFixed(2)}–${(Math.max(...xs) / 1e6).toFixed(2)}`;
  console.log("\n| case | per wall second | per CPU second | CPU rate over processes | CPU rate vs bare await | CPU rate vs sorted array |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const name of names) {
    const { median: r, all } = pick(name)!;
    console.log(`| ${name} | ${m(r.wall)} | ${m(r.cpu)} | ${span(all.map((x) => x.cpu))} | ${(r.cpu / bare.cpu).toFixed(3)}× | ${(r.cpu / sorted.cpu).toFixed(2)}× |`);
  }
  // A target is met when the wall or the CPU rate reaches it: wall is what a learner waits for,
  // CPU is steadier on a shared machine (and counts GC helper threads, so it can be the lower).
  const verdict = (r: Rate, target: number) => (Math.max(r.wall, r.cpu) >= target ? "OK" : "UNDER TARGET");
  const vs = (r: Rate, other: Rate | undefined, label: string) => (other ? `; ${(r.cpu / other.cpu).toFixed(2)}× ${label}` : "");
  const timerNow = rate("Simulation: timer events")!;
  const wakeNow = rate("Simulation: async `await sim.sleep` wake-ups")!;
  console.log(
    `\ntimer events: ${m(timerNow.wall)} wall, ${m(timerNow.cpu)} CPU (target ≥ 10 M/s: ${verdict(timerNow, 10e6)})` +
      vs(timerNow, rate(`before ${BEFORE_COMMIT} (binary heap): timer events`), `before ${BEFORE_COMMIT}`) +
      vs(timerNow, rate(`baseline ${BASELINE_COMMIT}: timer events`), `baseline ${BASELINE_COMMIT}`),
  );
  console.log(
    `async wake-ups: ${m(wakeNow.wall)} wall, ${m(wakeNow.cpu)} CPU (target ≥ 2 M/s: ${verdict(wakeNow, 2e6)})` +
      vs(wakeNow, rate(`before ${BEFORE_COMMIT} (binary heap): async wake-ups`), `before ${BEFORE_COMMIT}`) +
      vs(wakeNow, rate(`baseline ${BASELINE_COMMIT}: async wake-ups`), `baseline ${BASELINE_COMMIT}`) +
      vs(wakeNow, rate("Simulation, reference loop (macrotask per wake-up): wake-ups"), "the reference loop"),
  );
  const skewNow = rate("Simulation: skewed timer events (+ 30 s timeouts, 90 % cancelled, 5 at 10^12 ms)")!;
  console.log(`skewed timer events: ${m(skewNow.wall)} wall, ${m(skewNow.cpu)} CPU` + vs(skewNow, rate(`before ${BEFORE_COMMIT} (binary heap): skewed timer events`), `before ${BEFORE_COMMIT}`));
  // Per process: does one process meet both targets? (A slow draw of the VM shows here.)
  runs.forEach((rows, k) => {
    const get = (n: string) => rows.find(([x]) => x === n)?.[1];
    const t = get("Simulation: timer events")!;
    const w = get("Simulation: async `await sim.sleep` wake-ups")!;
    const b = get(names[0]!)!;
    const both = (r: Rate) => `${m(r.wall)} wall / ${m(r.cpu)} CPU`;
    console.log(`process ${k + 1}: bare await ${both(b)}; timer events ${both(t)} (${verdict(t, 10e6)}), wake-ups ${both(w)} (${verdict(w, 2e6)})`);
  });
}
