// End to end (issue 24): whole scenarios on the current lab beside the lab of the commit
// before the microtask loop and the lab before the calendar queue (bench/e2e/labs.ts
// builds both from git), in the same run.
// - a gateway scenario: 1,000 clients in a closed loop through an API gateway to a service,
//   10 k → 1 M requests (SDE_BENCH_FULL=1; else 10 k → 100 k): simulated requests per second
//   of wall and of CPU time; the per-request cost must not grow;
// - memory per in-flight request (10,000 requests held by the service at once), and the heap
//   a finished run keeps (its cancelled timeout timers) after 100 k requests;
// - Kafka produce + consume, 10 k → 1 M messages (as above) of 1 KB (6 partitions, 3 consumers);
// - the posts-screen comparison (comparePostsScreen(), five approaches);
// - the shipped notebooks headless through the CLI, fast loop against the reference loop;
// - first, lab against lab with each lab's run in its own process (gateway, Kafka, the posts
//   screen; SDE_BENCH_APART runs each, default 3), since one process is a draw on a shared VM.
// Run one scenario alone (for `node --cpu-prof`): node <bundle> gateway|kafka|screen current|before|baseline N
import { spawnSync } from "node:child_process";
import { v8Flags } from "./kernel-flags";
import { KERNEL_V8_FLAGS } from "../src/kernel/host/v8-flags";
import { loadavg } from "node:os";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { BASELINE_COMMIT, BEFORE_COMMIT, loadLabs, type Lab } from "./e2e/labs";
import { median } from "./harness";

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
/** The largest size of the scaling runs: 1 M with SDE_BENCH_FULL=1 (minutes on a loaded machine), else 100 k. */
const LARGEST = process.env.SDE_BENCH_FULL === "1" ? 1_000_000 : 100_000;
const SIZES = LARGEST === 1_000_000 ? [10_000, 100_000, 1_000_000] : [10_000, 30_000, 100_000];
const load = () => loadavg().map((x) => x.toFixed(2)).join(" ");
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const KEY = { headers: { "x-api-key": "bench-key" } };

function gatewayLab(L: Lab, workMs: number) {
  const sim = new L.Simulation({ seed: 1, traceLimit: 0 });
  sim.service("orders", async (_req, ctx) => {
    await ctx.work(workMs);
    return L.ok({ id: 1 });
  });
  new L.ApiGateway(sim, {
    routes: [{ prefix: "/orders", upstream: "orders" }],
    auth: { apiKeys: { "bench-key": { client: "bench", scopes: [] } } },
  });
  const app = sim.client("app");
  return { sim, send: () => app.call("gateway", L.request("GET", "/orders/1", KEY)) };
}

/** Requests per wall second and events fired, for `n` requests from `clients` closed-loop clients. */
async function gateway(L: Lab, n: number, clients = 1_000): Promise<{ ms: number; cpu: number; events: number; perSecond: number }> {
  const { sim, send } = gatewayLab(L, 2);
  let answered = 0;
  const c0 = cpuMs();
  const t0 = performance.now();
  await sim.run(() =>
    Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        for (let i = c; i < n; i += clients) if ((await send()).status === 200) answered++;
      }),
    ),
  );
  const ms = performance.now() - t0;
  if (answered !== n) throw new Error(`gateway answered ${answered} of ${n}`);
  return { ms, cpu: cpuMs() - c0, events: sim.eventsFired, perSecond: (n / ms) * 1000 };
}

/** Heap bytes per request in flight: `n` requests held by the service at once. */
async function inFlightBytes(L: Lab, n = 10_000): Promise<number> {
  const { sim, send } = gatewayLab(L, 1_000);
  gc();
  const before = process.memoryUsage().heapUsed;
  let during = 0;
  sim.schedule(500, () => {
    gc();
    during = process.memoryUsage().heapUsed;
  });
  await sim.run(() => Promise.all(Array.from({ length: n }, () => send())));
  return (during - before) / n;
}

/** Heap bytes per request a finished gateway run still holds while its simulation is alive. */
async function retainedBytes(L: Lab, n = 100_000): Promise<number> {
  gc();
  const before = process.memoryUsage().heapUsed;
  const { sim, send } = gatewayLab(L, 2);
  await sim.run(() => Promise.all(Array.from({ length: 1_000 }, async (_, c) => {
    for (let i = c; i < n; i += 1_000) await send();
  })));
  gc();
  const after = process.memoryUsage().heapUsed;
  if (sim.eventsFired === 0) throw new Error("nothing ran");
  return (after - before) / n;
}

async function kafka(L: Lab, n: number): Promise<{ ms: number; cpu: number; perSecond: number }> {
  const sim = new L.Simulation({ seed: 1, traceLimit: 0 });
  const k = new L.Kafka(sim, { brokers: 3 });
  const value = "x".repeat(1024);
  let consumed = 0;
  const c0 = cpuMs();
  const t0 = performance.now();
  await sim.run(async () => {
    await k.admin().createTopics({ topics: [{ topic: "bench", numPartitions: 6, replicationFactor: 3 }] });
    const producer = k.producer();
    await producer.connect();
    for (let i = 1; i <= 3; i++) {
      const c = k.consumer({ groupId: "bench", name: `c-${i}` });
      await c.connect();
      await c.subscribe({ topics: ["bench"], fromBeginning: true });
      await c.run({ eachMessage: async () => void consumed++ });
    }
    for (let i = 0; i < n; i += 1_000) {
      await producer.send({ topic: "bench", messages: Array.from({ length: Math.min(1_000, n - i) }, (_, j) => ({ key: `k${(i + j) % 1000}`, value })) });
    }
    while (consumed < n) await sim.sleep(10);
  });
  const ms = performance.now() - t0;
  if (consumed !== n) throw new Error(`kafka consumed ${consumed} of ${n}`);
  return { ms, cpu: cpuMs() - c0, perSecond: (n / ms) * 1000 };
}

async function screen(L: Lab): Promise<number> {
  const t0 = performance.now();
  await L.comparePostsScreen();
  return performance.now() - t0;
}

const int = (x: number) => Math.round(x).toLocaleString("en-US");

const [only, which, size] = process.argv.slice(2);
const labs = await loadLabs();
if (only) {
  // One scenario alone, for profiling.
  const L = (which === "baseline" ? labs.baseline : which === "before" ? labs.before : labs.current) ?? labs.current;
  const n = Number(size ?? 100_000);
  // Warm up, as the full run does.
  if (only === "gateway") await gateway(L, 10_000);
  else if (only === "kafka") await kafka(L, 20_000);
  else await screen(L);
  const result = only === "gateway" ? await gateway(L, n) : only === "kafka" ? await kafka(L, n) : { ms: await screen(L) };
  console.log(only, which ?? "current", n, JSON.stringify(result));
  process.exit(0);
}

console.log(`load average at start: ${load()}; V8 flags: ${v8Flags()}`);

// Lab against lab, each run in a fresh process, the labs taking turns: on this VM one process
// can run ~1.5× slower than the next, so labs timed one after another in one process compare
// draws, not code. Median of APART runs per lab.
const APART = Number(process.env.SDE_BENCH_APART ?? 3);
const apart = (which: string, scenario: string, n: number): { ms: number; cpu?: number } => {
  const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, scenario, which, String(n)], { env: process.env, encoding: "utf8" });
  const json = /\{.*\}/.exec(child.stdout ?? "")?.[0];
  if (!json) throw new Error(`${scenario} ${which} failed: ${(child.stderr ?? "").slice(-500)}`);
  return JSON.parse(json) as { ms: number; cpu?: number };
};
{
  const which = ["current", ...(labs.before ? ["before"] : []), ...(labs.baseline ? ["baseline"] : [])];
  const label = (w: string) => (w === "current" ? "current" : w === "before" ? `before ${BEFORE_COMMIT}` : `baseline ${BASELINE_COMMIT}`);
  const scenarios: [string, number, (r: { ms: number; cpu?: number }, n: number) => number, string][] = [
    ["gateway", 100_000, (r, n) => (n / r.cpu!) * 1000, "gateway, 100 k requests: requests per CPU second"],
    ["kafka", 100_000, (r, n) => (n / r.cpu!) * 1000, "Kafka, 100 k messages: messages per CPU second"],
    ["screen", 0, (r) => r.ms, "comparePostsScreen(): wall ms"],
  ];
  console.log(`\nLab against lab, each run in its own process, labs taking turns; median (range) of ${APART} runs each`);
  console.log(`| scenario | ${which.map(label).join(" | ")} | current vs ${which.slice(1).map(label).join(" / ") || "—"} |`);
  console.log(`| --- | ${which.map(() => "---:").join(" | ")} | ---: |`);
  for (const [scenario, n, value, title] of scenarios) {
    const got = which.map((): number[] => []);
    for (let k = 0; k < APART; k++) which.forEach((w, i) => got[i]!.push(value(apart(w, scenario, n), n)));
    const med = got.map(median);
    const cell = (i: number) => `${int(med[i]!)} (${int(Math.min(...got[i]!))}–${int(Math.max(...got[i]!))})`;
    // A time (ms) is better when lower; a rate when higher.
    const ratio = (i: number) => (scenario === "screen" ? med[i]! / med[0]! : med[0]! / med[i]!).toFixed(2) + "×";
    console.log(`| ${title} | ${which.map((_, i) => cell(i)).join(" | ")} | ${which.slice(1).map((_, i) => ratio(i + 1)).join(" / ") || "—"} |`);
  }
}
const base = labs.baseline;
const baseName = `baseline ${BASELINE_COMMIT}`;
const prev = labs.before;
const prevName = `before ${BEFORE_COMMIT}`;

// Warm each lab's code paths once.
await gateway(labs.current, 10_000);
if (prev) await gateway(prev, 10_000);
if (base) await gateway(base, 10_000);

console.log("\nGateway: 1,000 closed-loop clients → API gateway (API-key auth) → service (2 ms work); simulated requests per second of wall time and of CPU time");
console.log("| lab | requests | events | wall ms | CPU ms | requests/s (wall) | requests/s (CPU) | µs CPU per request | CPU rate vs baseline |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
const gwRow = (name: string, n: number, r: { ms: number; cpu: number; events: number }, vs: string) =>
  console.log(`| ${name} | ${int(n)} | ${int(r.events)} | ${int(r.ms)} | ${int(r.cpu)} | ${int((n / r.ms) * 1000)} | ${int((n / r.cpu) * 1000)} | ${((r.cpu * 1000) / n).toFixed(1)} | ${vs} |`);
const baseGw = base ? await gateway(base, 30_000) : undefined;
if (baseGw) gwRow(baseName, 30_000, baseGw, "baseline");
const gwVs = (n: number, r: { cpu: number }) => (baseGw ? `${((n / r.cpu) / (30_000 / baseGw.cpu)).toFixed(1)}×` : "—");
// The lab before this pass keeps every finished call alive until its timeout would fire: its
// largest size is 100 k (1 M needs gigabytes of heap).
if (prev) {
  for (const n of SIZES.filter((x) => x <= 100_000)) {
    const r = await gateway(prev, n);
    gwRow(prevName, n, r, gwVs(n, r));
  }
}
const scaling: number[] = [];
for (const n of SIZES) {
  const r = await gateway(labs.current, n);
  scaling.push(r.cpu / n);
  gwRow("current", n, r, gwVs(n, r));
}
console.log(`CPU per request, ${int(SIZES[2]!)} vs 10,000 requests: ${(scaling[2]! / scaling[0]!).toFixed(2)}× (1.00× = linear)`);
if (process.env.SDE_BENCH_DEFAULT_V8 !== "1") {
  // What the kernel's V8 flags change: the same 100 k run in a process with Node's defaults.
  const child = spawnSync(process.execPath, ["--expose-gc", process.argv[1]!, "gateway", "current", "100000"], { env: { ...process.env, SDE_BENCH_DEFAULT_V8: "1" }, encoding: "utf8" });
  const json = /\{.*\}/.exec(child.stdout ?? "")?.[0];
  if (json) {
    const r = JSON.parse(json) as { ms: number; cpu: number; events: number };
    gwRow("current, Node's default V8 flags", 100_000, r, gwVs(100_000, r));
    const flagged = scaling[SIZES.indexOf(100_000)];
    if (flagged !== undefined) console.log(`The kernel's V8 flags (${KERNEL_V8_FLAGS.join(" ")}): CPU per request ${((r.cpu / 100_000) / flagged).toFixed(2)}× lower than with Node's defaults`);
  } else console.log(`(run with Node's default V8 flags failed: ${(child.stderr ?? "").slice(-300)})`);
}

const memBase = base ? await inFlightBytes(base) : undefined;
const memPrev = prev ? await inFlightBytes(prev) : undefined;
const memNow = await inFlightBytes(labs.current);
console.log(`\nMemory per in-flight request (10,000 held by the service at once, heap after gc): current ${int(memNow)} B${memPrev ? `, ${prevName} ${int(memPrev)} B` : ""}${memBase ? `, ${baseName} ${int(memBase)} B` : ""}`);
const keptPrev = prev ? await retainedBytes(prev) : undefined;
const keptNow = await retainedBytes(labs.current);
console.log(`Heap a finished 100,000-request run keeps per request (its simulation alive, after gc): current ${int(keptNow)} B${keptPrev ? `, ${prevName} ${int(keptPrev)} B` : ""}`);

console.log("\nKafka: produce (batches of 1,000, acks=all, RF 3) + consume (6 partitions, 3 consumers), 1 KB messages");
console.log("| lab | messages | wall ms | CPU ms | messages/s (wall) | messages/s (CPU) | CPU rate vs baseline |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
const kRow = (name: string, n: number, r: { ms: number; cpu: number }, vs: string) =>
  console.log(`| ${name} | ${int(n)} | ${int(r.ms)} | ${int(r.cpu)} | ${int((n / r.ms) * 1000)} | ${int((n / r.cpu) * 1000)} | ${vs} |`);
await kafka(labs.current, 20_000);
const baseKafka = base ? (await kafka(base, 20_000), await kafka(base, 100_000)) : undefined;
if (baseKafka) kRow(baseName, 100_000, baseKafka, "baseline");
const kVs = (n: number, r: { cpu: number }) => (baseKafka ? `${((n / r.cpu) / (100_000 / baseKafka.cpu)).toFixed(1)}×` : "—");
if (prev) {
  await kafka(prev, 20_000);
  const r = await kafka(prev, 100_000);
  kRow(prevName, 100_000, r, kVs(100_000, r));
}
const kScaling: number[] = [];
for (const n of SIZES) {
  const r = await kafka(labs.current, n);
  kScaling.push(r.cpu / n);
  kRow("current", n, r, kVs(n, r));
}
console.log(`CPU per message, ${int(SIZES[2]!)} vs 10,000 messages: ${(kScaling[2]! / kScaling[0]!).toFixed(2)}×`);

await screen(labs.current);
if (prev) await screen(prev);
if (base) await screen(base);
const screenNow: number[] = [];
const screenPrev: number[] = [];
const screenBase: number[] = [];
for (let i = 0; i < 5; i++) {
  screenNow.push(await screen(labs.current));
  if (prev) screenPrev.push(await screen(prev));
  if (base) screenBase.push(await screen(base));
}
const faster = (xs: number[]) => `${median(xs).toFixed(1)} ms (${(median(xs) / median(screenNow)).toFixed(2)}× current's time)`;
console.log(`\ncomparePostsScreen() (5 approaches × 5 loads), median of 5: current ${median(screenNow).toFixed(1)} ms${prev ? `, ${prevName} ${faster(screenPrev)}` : ""}${base ? `, ${baseName} ${faster(screenBase)}` : ""}`);

// The notebooks run in the kernel process the CLI starts; the reference loop is the old loop.
const root = process.env.SDE_BENCH_ROOT ?? process.cwd();
const notebooks = readdirSync(join(root, "notebooks"))
  .filter((f) => f.endsWith(".sdenb"))
  .map((f) => join("notebooks", f));
const headless = (env: Record<string, string>) => {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(root, "dist/cli.js"), "run", ...notebooks], { cwd: root, env: { ...process.env, ...env }, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`notebooks failed: ${r.stdout.slice(-500)}${r.stderr.slice(-500)}`);
  return performance.now() - t0;
};
const nbFast = headless({});
const nbRef = headless({ SDE_LAB_SIM_LOOP: "macrotask" });
console.log(`\nAll ${notebooks.length} notebooks headless (node dist/cli.js run, kernel start included): fast loop ${int(nbFast)} ms, reference loop ${int(nbRef)} ms (${(nbRef / nbFast).toFixed(2)}×)`);
console.log(`\nload average at end: ${load()}`);
