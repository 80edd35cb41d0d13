// Lab benchmarks measure the simulation where cells run it: in a process with the kernel's V8
// flags (src/kernel/host/v8-flags.ts). A bench that imports this module re-runs itself under
// them unless it already has them, or SDE_BENCH_DEFAULT_V8=1 asks for Node's defaults (to show
// what the flags change).
import { spawnSync } from "node:child_process";
import { KERNEL_V8_FLAGS } from "../src/kernel/host/v8-flags";

const missing = KERNEL_V8_FLAGS.filter((flag) => !process.execArgv.includes(flag));
if (missing.length > 0 && process.env.SDE_BENCH_DEFAULT_V8 !== "1") {
  const child = spawnSync(process.execPath, [...process.execArgv, ...missing, process.argv[1]!, ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(child.status ?? 1);
}

/** The V8 flags this process runs with, for the report's header. */
export const v8Flags = (): string => (process.env.SDE_BENCH_DEFAULT_V8 === "1" ? "Node's defaults" : `the kernel's, ${KERNEL_V8_FLAGS.join(" ")}`);
