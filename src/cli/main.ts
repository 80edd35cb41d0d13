/**
 * `sde-lab run <notebook.sdenb>...`: runs every code cell of each notebook in order in a
 * fresh kernel, prints outputs as they come, and exits non-zero at the first failing cell.
 *
 * Exit codes: 0 all cells passed; 1 a cell failed (or an expected error did not happen);
 * 2 bad usage or a file that cannot be read as a notebook.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { NotebookFormatError, parseNotebookBytes, serializeNotebook, type SdeCell, type SdeNotebook } from "../notebook/format";
import { OutputCollector, type OutputItems } from "../kernel/outputs";
import { check } from "./check";
import { KERNEL_DEFAULTS, KernelSession, type CellError, type ExecutionResult } from "../kernel/host/session";

const USAGE = `Usage: sde-lab run [options] <notebook.sdenb>...
       sde-lab check [options] <notebook.sdenb>...   (challenge stages; sde-lab check --help)

Runs every code cell of each notebook, in order, in a fresh kernel.

Options:
  --json            print one JSON document with every result instead of text
  --write           save the outputs into each notebook file
  --timeout <ms>    interrupt a cell that runs longer than this (default 120000; 0 = no limit)
  --memory-limit <mb>  memory the kernel may hold, heap and buffers (default 2048)
  --output-limit <kb>  output one cell may print before the middle is left out (default 1024)
  -h, --help        show this help
  -v, --version     show the version

Each notebook runs in its own kernel process; the run stops at the first cell that fails.
A cell whose metadata has "expectError": true passes when it fails (a timeout counts as a
failure), and fails when it does not. An error raised after its cell finished (an unhandled
rejection from a timer) fails the notebook too.
Exit codes: 0 all passed, 1 a cell failed, 2 bad usage or an unreadable notebook.`;

/** The result of one code cell, as printed with `--json`. */
export interface CellReport {
  /** 1-based position of the cell among all cells of the notebook. */
  cell: number;
  /** Cell id, when the cell has one. */
  id?: string;
  status: "ok" | "error" | "interrupted" | "expected-error" | "missing-expected-error";
  durationMs: number;
  outputs: OutputItems[];
  error?: CellError;
}

/** The result of one notebook. */
export interface NotebookReport {
  file: string;
  ok: boolean;
  cells: CellReport[];
  /** Why the file could not be run at all. */
  problem?: string;
  /** Errors raised after their cell finished (unhandled rejections, throwing timers). */
  lateErrors?: CellError[];
}

interface Options {
  json: boolean;
  write: boolean;
  timeoutMs: number | undefined;
  memoryLimitMb: number;
  outputLimitKb: number;
  out: (text: string) => void;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[], out: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  if (argv[0] === "check") return check(argv.slice(1), out);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: "boolean", default: false },
        write: { type: "boolean", default: false },
        timeout: { type: "string" },
        "memory-limit": { type: "string" },
        "output-limit": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", short: "v", default: false },
      },
    });
  } catch (error) {
    out(`sde-lab: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(`${USAGE}\n`);
    return 0;
  }
  if (values.version) {
    out(`${readVersion()}\n`);
    return 0;
  }
  const [command, ...files] = positionals;
  if (command !== "run") {
    out(`sde-lab: ${command === undefined ? "missing command" : `unknown command '${command}'`}; the commands are 'run' and 'check' (sde-lab check --help)\n\n${USAGE}\n`);
    return 2;
  }
  if (files.length === 0) {
    out(`sde-lab: name at least one .sdenb file to run\n\n${USAGE}\n`);
    return 2;
  }
  let timeoutMs: number | undefined = 120_000;
  if (values.timeout !== undefined) {
    const t = Number(values.timeout);
    if (!Number.isInteger(t) || t < 0) {
      out(`sde-lab: --timeout must be a whole number of milliseconds ≥ 0, got '${values.timeout}'\n`);
      return 2;
    }
    timeoutMs = t === 0 ? undefined : t;
  }
  const limits: number[] = [];
  for (const [flag, fallback, min] of [
    ["memory-limit", KERNEL_DEFAULTS.memoryLimitMb, 16],
    ["output-limit", KERNEL_DEFAULTS.outputLimitKb, 1],
  ] as const) {
    const raw = values[flag];
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < min) {
      out(`sde-lab: --${flag} must be a whole number ≥ ${min}, got '${raw}'\n`);
      return 2;
    }
    limits.push(n);
  }
  const options: Options = {
    json: values.json,
    write: values.write,
    timeoutMs,
    memoryLimitMb: limits[0]!,
    outputLimitKb: limits[1]!,
    out: values.json ? () => {} : out,
  };
  const reports: NotebookReport[] = [];
  let exit = 0;
  for (const file of files) {
    const report = await runNotebook(file, options);
    reports.push(report);
    if (!report.ok) {
      exit = report.problem ? 2 : 1;
      break;
    }
  }
  if (values.json) out(`${JSON.stringify({ ok: exit === 0, notebooks: reports }, null, 2)}\n`);
  return exit;
}

async function runNotebook(file: string, options: Options): Promise<NotebookReport> {
  const path = resolve(file);
  const { out } = options;
  let notebook: SdeNotebook;
  try {
    notebook = parseNotebookBytes(readFileSync(path));
  } catch (error) {
    const problem =
      error instanceof NotebookFormatError
        ? `${file}: not a valid notebook: ${error.message}`
        : `${file}: cannot read the file: ${(error as Error).message}`;
    out(`${problem}\n`);
    return { file, ok: false, cells: [], problem };
  }
  out(`── ${file}\n`);
  const session = new KernelSession({
    cwd: dirname(path),
    memoryLimitMb: options.memoryLimitMb,
    memoryLimitName: "--memory-limit <mb>",
    outputLimitKb: options.outputLimitKb,
    outputLimitName: "--output-limit <kb>",
  });
  const cells: CellReport[] = [];
  const lateErrors: CellError[] = [];
  session.onEvent((event) => {
    if (event.type === "late-error") {
      lateErrors.push(event.error);
      out(`  ✗ error raised after its cell finished:\n${indent(event.error.stack)}`);
    } else if (event.type === "late-output") {
      const text = event.output.type === "stream" ? event.output.text : `${event.output.bundle["text/plain"] ?? ""}\n`;
      out(indent(`(after its cell finished) ${text}`));
    }
  });
  let ok = true;
  let order = 0;
  let ran = 0;
  try {
    for (const [index, cell] of notebook.cells.entries()) {
      if (cell.kind !== "code") continue;
      const label = `Cell ${index + 1}`;
      const collector = new OutputCollector();
      out(`[${index + 1}]${cell.id ? ` ${cell.id}` : ""}\n`);
      const result = await session.execute(cell.source, {
        label,
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        onOutput: (o) => {
          collector.add(o);
          if (o.type === "stream") out(indent(o.text));
          else out(indent(`${o.bundle["text/plain"] ?? Object.values(o.bundle)[0] ?? ""}\n`));
        },
      });
      const report = toReport(index + 1, cell, result, collector);
      cells.push(report);
      ran = index + 1;
      cell.outputs = collector.outputs.map((o) => ({ items: o.items.map((i) => ({ ...i, extra: {} })), metadata: {}, extra: {} }));
      cell.execution = { order: ++order, success: result.status === "ok" };
      out(summary(report));
      if (report.status !== "ok" && report.status !== "expected-error") {
        ok = false;
        break;
      }
    }
  } finally {
    await session.dispose();
  }
  if (options.write) {
    // Cells after the stop did not run: their old outputs would pass for this run's.
    for (const cell of notebook.cells.slice(ran)) {
      if (cell.kind !== "code") continue;
      delete cell.outputs;
      delete cell.execution;
    }
    writeAtomically(path, serializeNotebook(notebook));
  }
  if (lateErrors.length > 0 && ok) {
    ok = false;
    out(`✗ ${file}: ${lateErrors.length} error${lateErrors.length === 1 ? "" : "s"} raised after ${lateErrors.length === 1 ? "its cell" : "their cells"} finished\n`);
  } else out(ok ? `✓ ${file}: ${cells.length} code cells passed\n` : `✗ ${file}: stopped at cell ${cells.at(-1)?.cell}\n`);
  const report: NotebookReport = { file, ok, cells };
  if (lateErrors.length > 0) report.lateErrors = lateErrors;
  return report;
}

/** Writes a temporary file beside `path` and renames it over: readers see old or new, never half. */
function writeAtomically(path: string, text: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, text);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

function toReport(cellNumber: number, cell: SdeCell, result: ExecutionResult, collector: OutputCollector): CellReport {
  const expectError = cell.metadata.expectError === true;
  const report: CellReport = { cell: cellNumber, status: "ok", durationMs: Math.round(result.durationMs * 100) / 100, outputs: collector.outputs };
  if (cell.id !== undefined) report.id = cell.id;
  if (result.status === "ok") {
    if (expectError) report.status = "missing-expected-error";
    return report;
  }
  collector.addError(result.error);
  report.error = result.error;
  // A timeout is a failure like any other; a restart or a dead kernel is not what a cell expects.
  const failed = result.status === "error" ? result.error.name !== "KernelDied" : result.timedOut === true;
  report.status = failed && expectError ? "expected-error" : result.status;
  return report;
}

function summary(r: CellReport): string {
  const time = `${r.durationMs.toFixed(1)} ms`;
  switch (r.status) {
    case "ok":
      return `  ✓ ${time}\n`;
    case "expected-error":
      return `  ✓ failed as expected: ${r.error!.name}: ${r.error!.message}\n`;
    case "missing-expected-error":
      return `  ✗ cell ${r.cell} was expected to fail (metadata expectError) but succeeded\n`;
    default:
      return `  ✗ cell ${r.cell} ${r.status === "interrupted" ? "was stopped" : "failed"} after ${time}:\n${indent(r.error!.stack)}\n`;
  }
}

function indent(text: string): string {
  return text
    .replace(/\n$/, "")
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n")
    .concat("\n");
}

function readVersion(): string {
  try {
    return (JSON.parse(readFileSync(resolve(__dirname, "..", "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
