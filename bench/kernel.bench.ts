// Kernel speed, side by side with the obvious in-process pipeline (typescript@5
// transpileModule + node:vm), in the same run:
// - warm per-cell overhead: a trivial cell, request to completion, through the worker;
// - cold first cell: new session to the first output;
// - interrupt of a synchronous infinite loop, until the next cell has run.
// Targets: warm p50 ≤ 1 ms, p95 ≤ 3 ms, ≥ 3× faster than the baseline; cold ≤ 300 ms;
// interrupt ≤ 1 s.
import { join } from "node:path";
import * as vm from "node:vm";
import ts from "typescript";
import { KernelSession } from "../src/kernel/host/session";
import { transformCell } from "../src/kernel/process/transform";
import { report, summarize, time } from "./harness";

// bench/run.mjs runs bundles from bench/results/, always with the project root as cwd.
const root = process.cwd();
const paths = { kernelPath: join(root, "dist/kernel.js"), labPath: join(root, "dist/lab/index.js") };
const cell = "const answer: number = 40 + 2;\nanswer";

// Baseline: what a simple notebook kernel does in-process.
const context = vm.createContext({ console });
const baselineRun = (source: string) => {
  const js = ts.transpileModule(source.replace("const ", "var "), { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.None } }).outputText;
  return vm.runInContext(js, context);
};
const baseline = await time("baseline: transpileModule + vm.runInContext, in-process (same cell)", () => baselineRun(cell), 2000, 200);
let b = 0;
const baselineFresh = await time("baseline: transpileModule + vm.runInContext, in-process (new cell each time)", () => baselineRun(`${cell} + ${b++}`), 2000, 200);

const session = new KernelSession({ cwd: root, ...paths });
await session.start();
const check = await session.execute(cell);
if (check.status !== "ok") throw new Error(`the kernel cannot run the bench cell: ${JSON.stringify(check)}`);
const warm = await time("SDE Lab kernel: execute() through the worker (re-run, transform cached)", () => session.execute(cell), 2000, 200);
let n = 0;
const fresh = await time("SDE Lab kernel: execute() of a new cell each time", () => session.execute(`${cell} + ${n++}`), 2000, 200);
const transformOnly = await time("SDE Lab transform only (sucrase + rewrite)", () => transformCell(cell), 2000, 200);
report("Warm per-cell overhead, the same trivial cell re-run", baseline, [warm, transformOnly]);
report("Warm per-cell overhead, a new trivial cell each time", baselineFresh, [fresh]);
for (const [t, base] of [
  [warm, baseline],
  [fresh, baselineFresh],
] as const) {
  console.log(`${t.name}: p50 ${t.p50.toFixed(3)} ms (target ≤ 1), p95 ${t.p95.toFixed(3)} ms (target ≤ 3); ${(base.p50 / t.p50).toFixed(1)}× faster than the baseline at p50 (target ≥ 3×)`);
}

// Cold: a new session (new worker) until the first output of the first cell arrives.
const cold: number[] = [];
for (let i = 0; i < 15; i++) {
  const t0 = performance.now();
  const s = new KernelSession({ cwd: root, ...paths });
  await new Promise<void>((resolve) => {
    void s.execute('console.log("first")', { onOutput: () => resolve() });
  });
  cold.push(performance.now() - t0);
  await s.dispose();
}
const coldT = summarize("cold session to first output", cold);
console.log(`\ncold first cell: p50 ${coldT.p50.toFixed(1)} ms, p95 ${coldT.p95.toFixed(1)} ms (target ≤ 300 ms)`);

// Interrupt a busy synchronous loop; measured until the next cell has finished.
const interrupts: number[] = [];
for (let i = 0; i < 5; i++) {
  const pending = session.execute("while (true) {}");
  await new Promise((r) => setTimeout(r, 50));
  const t0 = performance.now();
  await session.interrupt();
  await pending;
  await session.execute("1");
  interrupts.push(performance.now() - t0);
}
const intT = summarize("interrupt", interrupts);
console.log(`interrupt of while(true) until the next cell ran: p50 ${intT.p50.toFixed(0)} ms, max ${Math.max(...interrupts).toFixed(0)} ms (target ≤ 1000 ms)`);
await session.dispose();
