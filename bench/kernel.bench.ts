// Kernel speed, side by side with baselines in the same run:
// - warm per-cell overhead through the process boundary, vs a worker_threads kernel (what
//   SDE Lab used before the kernel got its own process) and vs an in-process pipeline;
// - cold start: new session to the first output, process vs worker;
// - output: 100,000 console.log lines from a cell, batched vs one message per write;
// - memory watchdog: time from crossing the limit to the kernel ended;
// - interrupt: a busy loop broken by SIGINT (state kept) and one that needs a restart;
// - Run All of 1,000 trivial cells through the headless runner (the e2e suite times the same
//   file in the real VS Code).
// Targets: warm p50 ≤ 1 ms; cold p50 ≤ 300 ms; watchdog ≤ 500 ms; restart-interrupt ≤ 1 s.
import { join } from "node:path";
import * as vm from "node:vm";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { Worker } from "node:worker_threads";
import ts from "typescript";
import { KernelSession } from "../src/kernel/host/session";
import { transformCell } from "../src/kernel/process/transform";
// @ts-expect-error: plain ES module shared with the e2e suite
import { thousandCellsNotebook } from "../test/e2e/thousand.mjs";
import { report, summarize, time } from "./harness";

// bench/run.mjs runs bundles from bench/results/, always with the project root as cwd.
const root = process.cwd();
const paths = { kernelPath: join(root, "dist/kernel.js"), labPath: join(root, "dist/lab/index.js") };
const cell = "const answer: number = 40 + 2;\nanswer";

// Baseline 1: what a simple notebook kernel does in-process (no isolation at all).
const context = vm.createContext({ console });
const baselineRun = (source: string) => {
  const js = ts.transpileModule(source.replace("const ", "var "), { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.None } }).outputText;
  return vm.runInContext(js, context);
};
const inProcess = await time("baseline: transpileModule + vm.runInContext, in-process", () => baselineRun(cell), 2000, 200);

// Baseline 2: a worker_threads kernel, as SDE Lab had before (transform in the worker, one
// message each way per cell). Source inline, so the bench needs no second bundle.
const workerSource = `
const { parentPort } = require("node:worker_threads");
const { runInThisContext } = require("node:vm");
const { transformCell } = require(${JSON.stringify(join(root, "bench/results/bundles/transform.cjs"))});
const cache = new Map();
parentPort.on("message", ({ id, code }) => {
  let t = cache.get(code); if (!t) cache.set(code, (t = transformCell(code)));
  Promise.resolve(runInThisContext(t.code)).then((value) => parentPort.postMessage({ id, value: String(value) }));
});
parentPort.postMessage({ ready: true });`;
const { buildSync } = await import("esbuild");
buildSync({ entryPoints: [join(root, "src/kernel/process/transform.ts")], bundle: true, platform: "node", format: "cjs", outfile: join(root, "bench/results/bundles/transform.cjs"), logLevel: "warning" });
function startWorker(): Promise<{ run: (code: string) => Promise<void>; firstOutput: () => Promise<void>; stop: () => Promise<number> }> {
  const worker = new Worker(workerSource, { eval: true });
  let next = 0;
  const waiting = new Map<number, () => void>();
  worker.on("message", (m: { id?: number; ready?: boolean }) => m.id !== undefined && waiting.get(m.id)?.());
  const run = (code: string) => new Promise<void>((resolve) => {
    const id = next++;
    waiting.set(id, () => (waiting.delete(id), resolve()));
    worker.postMessage({ id, code });
  });
  return Promise.resolve({ run, firstOutput: () => run('"first"'), stop: () => worker.terminate() });
}
const worker = await startWorker();
await worker.run(cell);
const workerWarm = await time("baseline: worker_threads kernel (previous SDE Lab design)", () => worker.run(cell), 2000, 200);
await worker.stop();

const session = new KernelSession({ cwd: root, ...paths });
await session.start();
const check = await session.execute(cell);
if (check.status !== "ok") throw new Error(`the kernel cannot run the bench cell: ${JSON.stringify(check)}`);
const warm = await time("SDE Lab kernel process: execute() of the same cell", () => session.execute(cell), 2000, 200);
let n = 0;
const fresh = await time("SDE Lab kernel process: execute() of a new cell each time", () => session.execute(`${cell} + ${n++}`), 2000, 200);
const transformOnly = await time("SDE Lab transform only (sucrase + rewrite)", () => transformCell(cell), 2000, 200);
report("Warm per-cell overhead, trivial cell", workerWarm, [warm, fresh, inProcess, transformOnly]);
console.log(`\nprocess kernel warm p50 ${warm.p50.toFixed(3)} ms (target ≤ 1 ms), ${(warm.p50 / workerWarm.p50).toFixed(2)}× the worker's p50`);

// Cold: a new session until the first output of the first cell arrives.
const cold: number[] = [];
const coldWorker: number[] = [];
for (let i = 0; i < 15; i++) {
  let t0 = performance.now();
  const s = new KernelSession({ cwd: root, ...paths });
  await new Promise<void>((resolve) => void s.execute('console.log("first")', { onOutput: () => resolve() }));
  cold.push(performance.now() - t0);
  await s.dispose();
  t0 = performance.now();
  const w = await startWorker();
  await w.firstOutput();
  coldWorker.push(performance.now() - t0);
  await w.stop();
}
// What any new process costs on this machine right now: the floor under the process kernel.
const bare: number[] = [];
for (let i = 0; i < 15; i++) {
  const t0 = performance.now();
  spawnSync(process.execPath, ["-e", "0"]);
  bare.push(performance.now() - t0);
}
report("Cold start to first output", summarize("baseline: new worker_threads kernel", coldWorker), [
  summarize("SDE Lab: new kernel process", cold),
  summarize("floor: a bare `node -e 0` process, start to exit", bare),
]);
console.log(`\ncold first output through a new process: p50 ${summarize("", cold).p50.toFixed(1)} ms (target ≤ 300 ms)`);

// Output: 100,000 lines, every line delivered (cap raised), batched vs one message per write.
const LOUD = "for (let i = 0; i < 100000; i++) console.log(`line ${i}`);";
console.log("\nOutput: 100,000 console.log lines from one cell to the front end");
console.log("| case | messages | lines delivered | time to cell end |");
console.log("| --- | ---: | ---: | ---: |");
for (const [name, options] of [
  ["one message per write (unbatched)", { outputBatchMs: 0, outputLimitKb: 1_000_000 }],
  ["batched (30 ms / 64 KB)", { outputLimitKb: 1_000_000 }],
  ["batched, default 1 MB cap", {}],
] as const) {
  const s = new KernelSession({ cwd: root, ...paths, ...options });
  await s.start();
  let messages = 0;
  let text = "";
  const t0 = performance.now();
  await s.execute(LOUD, { onOutput: (o) => (messages++, o.type === "stream" && (text += o.text)) });
  const took = performance.now() - t0;
  const lines = text.split("\n").filter((l) => l.startsWith("line ")).length;
  console.log(`| ${name} | ${messages.toLocaleString("en-US")} | ${lines.toLocaleString("en-US")} | ${took.toFixed(0)} ms |`);
  await s.dispose();
}

// Memory watchdog: allocate in a busy loop; the kernel says when it crossed the limit.
const watchdog: number[] = [];
for (let i = 0; i < 5; i++) {
  const s = new KernelSession({ cwd: root, ...paths, memoryLimitMb: 256 });
  await s.start();
  let crossed = 0;
  // The cell reports its size after each block past 256 MB; the watchdog may strike between
  // crossing and that report, so the first report seen is a conservative crossing time.
  const code = 'const blocks = [];\nwhile (true) { blocks.push(new Uint8Array(8e6).fill(1));\n  if (process.memoryUsage.rss() > 240 * 1024 * 1024) require("node:fs").writeSync(1, "crossed\\n"); }';
  // Timed to the cell's result: sampling delay + kill + the kernel's pipes closing.
  const r = await s.execute(code, { onOutput: (o) => o.type === "stream" && o.text.includes("crossed") && !crossed && (crossed = performance.now()) });
  const end = performance.now();
  if (!crossed) throw new Error(`the watchdog bench never saw the kernel cross its limit: ${JSON.stringify(r)}`);
  watchdog.push(end - crossed);
  await s.dispose();
}
const wd = summarize("watchdog", watchdog);
console.log(`\nmemory watchdog, resident memory over the limit to the cell's KernelDied result: p50 ${wd.p50.toFixed(0)} ms, max ${Math.max(...watchdog).toFixed(0)} ms (target ≤ 500 ms)`);

// Interrupts, until the next cell has run.
for (const [name, code] of [
  ["while(true){} at the top (SIGINT, state kept)", "while (true) {}"],
  ["while(true){} after an await (restart)", "await null;\nwhile (true) {}"],
] as const) {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const pending = session.execute(code);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    await session.interrupt();
    await pending;
    await session.execute("1");
    samples.push(performance.now() - t0);
  }
  const t = summarize(name, samples);
  console.log(`interrupt of ${name}, until the next cell ran: p50 ${t.p50.toFixed(0)} ms, max ${Math.max(...samples).toFixed(0)} ms (target ≤ 1000 ms)`);
}
await session.dispose();

// Run All of 1,000 trivial cells through the headless runner: the same file the e2e suite
// runs in the real VS Code.
const dir = mkdtempSync(join(tmpdir(), "sde-bench-"));
const file = join(dir, "thousand.sdenb");
writeFileSync(file, thousandCellsNotebook());
const runs: number[] = [];
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(root, "dist/cli.js"), "run", file], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`sde-lab run failed: ${r.stdout}${r.stderr}`);
  runs.push(performance.now() - t0);
}
console.log(`\nRun All of 1,000 trivial cells, headless (sde-lab run, new process each time): p50 ${(summarize("", runs).p50 / 1000).toFixed(2)} s`);
