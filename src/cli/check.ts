/**
 * `sde-lab check <notebook.sdenb>...`: runs each notebook's code cells in order in a fresh
 * kernel, as `sde-lab run` does, up to its last `<id>-check` cell, and prints every
 * challenge's per-stage table read from the check cells' reports. A course can run it in CI.
 *
 * Exit codes: 0 every stage of every challenge passed; 1 a stage failed (or a check cell, or a
 * cell before it, failed to run); 2 bad usage or an unreadable notebook.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { NotebookFormatError, parseNotebookBytes, type SdeNotebook } from "../notebook/format";
import { KernelSession } from "../kernel/host/session";
import { challengeVerdicts } from "../content/challenge-line";

export const CHECK_USAGE = `Usage: sde-lab check [options] <notebook.sdenb>...

Runs each notebook's cells in order up to its last challenge check cell (id "<pattern>-check")
and prints each challenge's stages, passed or failed.

Options:
  --json            print { "patterns": [ { "id", "stages": [ { "name", "passed" } ] } ] }
  --timeout <ms>    interrupt a cell that runs longer than this (default 120000; 0 = no limit)
  -h, --help        show this help

Exit codes: 0 every stage passed, 1 a stage failed or a cell could not run, 2 bad usage or an
unreadable notebook.`;

/** One challenge's result, as printed with `--json`. */
export interface PatternCheck {
  /** Catalog id of the pattern (the check cell's id without "-check"). */
  id: string;
  /** Notebook file it came from. */
  file: string;
  stages: { name: string; passed: boolean }[];
  /** Set when the check cell (or a cell before it) failed instead of reporting. */
  error?: string;
}

/** Runs `sde-lab check`; resolves to the exit code. `argv` excludes the word "check". */
export async function check(argv: string[], out: (text: string) => void): Promise<number> {
  let values: { json?: boolean; timeout?: string; help?: boolean };
  let files: string[];
  try {
    const parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { json: { type: "boolean", default: false }, timeout: { type: "string" }, help: { type: "boolean", short: "h", default: false } },
    });
    values = parsed.values;
    files = parsed.positionals;
  } catch (error) {
    out(`sde-lab check: ${(error as Error).message}\n\n${CHECK_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    out(`${CHECK_USAGE}\n`);
    return 0;
  }
  if (files.length === 0) {
    out(`sde-lab check: name at least one .sdenb file to check\n\n${CHECK_USAGE}\n`);
    return 2;
  }
  let timeoutMs: number | undefined = 120_000;
  if (values.timeout !== undefined) {
    const t = Number(values.timeout);
    if (!Number.isInteger(t) || t < 0) {
      out(`sde-lab check: --timeout must be a whole number of milliseconds ≥ 0, got '${values.timeout}'\n`);
      return 2;
    }
    timeoutMs = t === 0 ? undefined : t;
  }
  const say = values.json ? () => {} : out;
  const patterns: PatternCheck[] = [];
  for (const file of files) {
    let notebook: SdeNotebook;
    try {
      notebook = parseNotebookBytes(readFileSync(resolve(file)));
    } catch (error) {
      const why = error instanceof NotebookFormatError ? `not a valid notebook: ${error.message}` : `cannot read the file: ${(error as Error).message}`;
      out(`sde-lab check: ${file}: ${why}\n`);
      return 2;
    }
    say(`── ${file}\n`);
    const found = await checkNotebook(file, notebook, timeoutMs);
    if (found.length === 0) say("  (no challenge check cells)\n");
    for (const p of found) say(formatPattern(p));
    patterns.push(...found);
  }
  const failed = patterns.filter((p) => p.error !== undefined || p.stages.length === 0 || p.stages.some((s) => !s.passed));
  if (values.json) out(`${JSON.stringify({ patterns }, null, 2)}\n`);
  else out(failed.length === 0 ? `✓ ${patterns.length} challenges, every stage passed\n` : `✗ ${failed.length} of ${patterns.length} challenges have a failing stage\n`);
  return failed.length === 0 ? 0 : 1;
}

/** Runs one notebook up to its last check cell; one entry per check cell. */
async function checkNotebook(file: string, notebook: SdeNotebook, timeoutMs: number | undefined): Promise<PatternCheck[]> {
  const isCheck = (id: string | undefined) => id !== undefined && /^[a-z0-9]+(-[a-z0-9]+)*-check$/.test(id);
  let last = -1;
  notebook.cells.forEach((c, i) => {
    if (c.kind === "code" && isCheck(c.id)) last = i;
  });
  if (last < 0) return [];
  const session = new KernelSession({ cwd: dirname(resolve(file)) });
  const patterns: PatternCheck[] = [];
  let broken: string | undefined;
  try {
    for (const [index, cell] of notebook.cells.slice(0, last + 1).entries()) {
      if (cell.kind !== "code") continue;
      const checking = isCheck(cell.id);
      const id = checking ? cell.id!.slice(0, -"-check".length) : "";
      if (broken) {
        if (checking) patterns.push({ id, file, stages: [], error: broken });
        continue;
      }
      const texts: string[] = [];
      const result = await session.execute(cell.source, {
        label: `Cell ${index + 1}`,
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        onOutput: (o) => void texts.push(o.type === "stream" ? o.text : (o.bundle["text/plain"] ?? "")),
      });
      const failed = result.status !== "ok" && cell.metadata.expectError !== true;
      if (!checking) {
        // A failing cell before a check leaves the kernel without what the check needs.
        if (failed) broken = `cell ${index + 1}${cell.id ? ` (${cell.id})` : ""} failed before the check could run: ${errorText(result)}`;
        continue;
      }
      if (result.status !== "ok") {
        patterns.push({ id, file, stages: [], error: `the check cell failed: ${errorText(result)}` });
        continue;
      }
      const verdict = challengeVerdicts(texts).find((v) => v.id === id) ?? challengeVerdicts(texts)[0];
      if (!verdict) patterns.push({ id, file, stages: [], error: "the check cell printed no challenge report" });
      // A knob challenge has no stage lines: its verdict is one stage.
      else patterns.push({ id, file, stages: verdict.stages.length > 0 ? verdict.stages.map((s) => ({ name: s.name, passed: s.passed })) : [{ name: "targets", passed: verdict.passed }] });
    }
  } finally {
    await session.dispose();
  }
  return patterns;
}

function errorText(result: { status: string; error?: { name: string; message: string } }): string {
  return result.error ? `${result.error.name}: ${result.error.message}` : result.status;
}

/** The per-stage table of one challenge, as text. */
export function formatPattern(p: PatternCheck): string {
  if (p.error) return `  ✗ ${p.id}: ${p.error}\n`;
  const passed = p.stages.filter((s) => s.passed).length;
  const head = `  ${passed === p.stages.length ? "✓" : "✗"} ${p.id}: ${passed} of ${p.stages.length} stages\n`;
  const width = Math.max(24, ...p.stages.map((s) => s.name.length));
  return head + p.stages.map((s, i) => `      ${i + 1}. ${s.name.padEnd(width)} ${s.passed ? "passed" : "failed"}\n`).join("");
}
