// The kernel runs cells in a process started from dist/kernel.js, so the tests build first.
import { execFileSync } from "node:child_process";
import { join } from "node:path";

export default function setup(): void {
  execFileSync(process.execPath, [join(__dirname, "../../scripts/build.mjs")], { stdio: "pipe" });
}
