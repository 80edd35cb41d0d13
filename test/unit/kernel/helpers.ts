import { join } from "node:path";
import { KernelSession, type CellOutput, type ExecutionResult, type KernelOptions } from "../../../src/kernel/host/session";

export const root = join(__dirname, "../../..");
export const workspace = join(root, "test/fixtures/workspace");

/** A session over the built kernel process, resolving imports from the fixture workspace. */
export function newSession(options: Partial<KernelOptions> = {}): KernelSession {
  return new KernelSession({
    cwd: workspace,
    kernelPath: join(root, "dist/kernel.js"),
    labPath: join(root, "dist/lab/index.js"),
    ...options,
  });
}

export interface Run {
  result: ExecutionResult;
  outputs: CellOutput[];
  /** stdout text. */
  stdout: string;
  stderr: string;
  /** `text/plain` of every display, in order. */
  shown: string[];
  bundles: Record<string, string>[];
}

export async function run(session: KernelSession, code: string, label = "Cell 1"): Promise<Run> {
  const outputs: CellOutput[] = [];
  const result = await session.execute(code, { label, onOutput: (o) => outputs.push(o) });
  const streams = (name: string) =>
    outputs
      .filter((o) => o.type === "stream" && o.name === name)
      .map((o) => (o as { text: string }).text)
      .join("");
  const bundles = outputs.filter((o) => o.type === "display").map((o) => (o as { bundle: Record<string, string> }).bundle);
  return { result, outputs, stdout: streams("stdout"), stderr: streams("stderr"), bundles, shown: bundles.map((b) => b["text/plain"] ?? "") };
}

/** The value of the cell's final expression as text, failing the test on error. */
export async function value(session: KernelSession, code: string): Promise<string> {
  const r = await run(session, code);
  if (r.result.status !== "ok") throw new Error(`cell failed: ${JSON.stringify(r.result)}`);
  return r.shown.at(-1) ?? "<nothing>";
}
