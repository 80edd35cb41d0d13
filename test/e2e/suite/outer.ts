/**
 * Talking to the runner outside VS Code (test/e2e/run.mjs), which drives the browser: a line
 * on the console announces a request, and the runner answers by writing a file into
 * SDE_E2E_RESULTS (same machine), which the test waits for. Without a runner (desktop VS
 * Code) there is nobody to ask, and the requests report that.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const resultsDir = process.env.SDE_E2E_RESULTS;
let counter = 0;

/** True when a browser-driving runner is listening. */
export const hasOuterRunner = resultsDir !== undefined && resultsDir !== "";

/** Sends one event line to the runner. */
export function report(event: Record<string, unknown>): void {
  console.log(`[sde-e2e] ${JSON.stringify(event)}`);
}

/**
 * Asks the runner for something only the browser can do (a screenshot, a DOM check) and
 * waits for its answer.
 */
export async function ask<T>(request: Record<string, unknown>, timeoutMs = 30_000): Promise<T> {
  if (!hasOuterRunner) throw new Error("no browser-driving runner (set SDE_E2E_RESULTS)");
  const id = `${Date.now()}-${counter++}`;
  const answer = join(resultsDir!, "answers", `${id}.json`);
  report({ ...request, id });
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(answer)) {
    if (Date.now() > deadline) throw new Error(`the runner did not answer ${JSON.stringify(request)} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // The runner writes to a temporary name and renames, so the file is complete here.
  return JSON.parse(readFileSync(answer, "utf8")) as T;
}

/** Saves a screenshot of the workbench under test-results/ (no-op without a runner). */
export async function screenshot(name: string): Promise<void> {
  if (hasOuterRunner) await ask({ event: "screenshot", name });
}
