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
import { KERNEL_DEFAULTS, type CellError } from "../kernel/host/session";
import { RunEngine, type CellRun, type CellStatus, type RunCell } from "../kernel/run";

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
A cell whose metadata has "expectError": true passes when it fails, and fails when it does
not. Failing includes a timeout and ending the kernel (process.exit, process.abort(), a
signal, going past --memory-limit); the next cell then runs in a fresh kernel. An error
raised after its cell finished (an unhandled rejection from a timer) is printed under that
cell and fails the notebook, unless that cell is marked "expectError".
Exit codes: 0 all passed, 1 a cell failed, 2 bad usage or an unreadable notebook.`;

/** The result of one code cell, as printed with `--json`. */
export interface CellReport {
  /** 1-based position of the cell among all cells of the notebook. */
  cell: number;
  /** Cell id, when the cell has one. */
  id?: string;
  /** See {@link CellStatus}: `ok` and `expected-error` pass. */
  status: CellStatus;
  durationMs: number;
  /** True when the cell ran in a fresh kernel because an earlier cell's kernel ended. */
  freshKernel?: boolean;
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
  /**
   * Errors raised after their cell finished (unhandled rejections, throwing timers), except
   * those of cells marked `expectError`.
   */
  lateErrors?: LateCellError[];
}

/** An error raised after its cell finished, with the cell whose code raised it. */
export interface LateCellError extends CellError {
  /** 1-based position of that cell, when the kernel could tell. */
  cell?: number;
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

/** A notebook cell as the run engine sees it, with the file's cell to write outputs into. */
interface CliCell extends RunCell {
  readonly sde: SdeCell;
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
  const engine = new RunEngine<CliCell>({
    kernel: {
      cwd: dirname(path),
      memoryLimitMb: options.memoryLimitMb,
      memoryLimitName: "--memory-limit <mb>",
      outputLimitKb: options.outputLimitKb,
      outputLimitName: "--output-limit <kb>",
    },
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  const cells: CellReport[] = [];
  const lateErrors: LateCellError[] = [];
  // What a finished cell raises or prints later is printed under its own cell's name, once the
  // cell that runs at the time has printed its result, not in the middle of that cell's output.
  let held: string[] = [];
  const flushHeld = () => {
    for (const text of held) out(text);
    held = [];
  };
  engine.onLateError(({ cell, error, expected }) => {
    const who = cell ? `cell ${cell.index + 1}` : "a cell";
    if (expected) {
      held.push(`  ✓ ${who} (marked expectError) raised an error after it finished: ${error.name}: ${error.message}\n`);
      return;
    }
    lateErrors.push(cell ? { ...error, cell: cell.index + 1 } : error);
    held.push(`  ✗ ${who} raised an error after it finished:\n${indent(error.stack)}`);
  });
  engine.onLateOutput(({ cell, output }) => {
    const text = output.type === "stream" ? output.text : `${output.bundle["text/plain"] ?? ""}\n`;
    held.push(indent(`(${cell ? `cell ${cell.index + 1}` : "a cell"}, after it finished) ${text}`));
  });
  const collectors = new Map<CliCell, OutputCollector>();
  const runCells: CliCell[] = notebook.cells.map((sde, index) => ({ index, kind: sde.kind === "code" ? "code" : "markup", source: sde.source, expectError: sde.metadata.expectError === true, sde }));
  let summaryOfRun;
  try {
    summaryOfRun = await engine.run(runCells, {
      willRun: (cell, { freshKernel }) => {
        collectors.set(cell, new OutputCollector());
        const fresh = freshKernel && cells.length > 0 ? " (in a fresh kernel: the previous one ended)" : "";
        out(`[${cell.index + 1}]${cell.sde.id ? ` ${cell.sde.id}` : ""}${fresh}\n`);
      },
      onOutput: (cell, o) => {
        collectors.get(cell)!.add(o);
        if (o.type === "stream") out(indent(o.text));
        else out(indent(`${o.bundle["text/plain"] ?? Object.values(o.bundle)[0] ?? ""}\n`));
      },
      didRun: (run) => {
        const collector = collectors.get(run.cell)!;
        collectors.delete(run.cell);
        const report = toReport(run, collector);
        // The first cell always starts a kernel; a later one in a fresh kernel is news.
        if (run.freshKernel && cells.length > 0) report.freshKernel = true;
        cells.push(report);
        run.cell.sde.outputs = collector.outputs.map((o) => ({ items: o.items.map((i) => ({ ...i, extra: {} })), metadata: {}, extra: {} }));
        run.cell.sde.execution = { order: run.order, success: run.result.status === "ok" };
        out(summary(report));
        flushHeld();
      },
    });
  } finally {
    await engine.dispose();
  }
  flushHeld();
  let ok = summaryOfRun.ok;
  const ran = summaryOfRun.runs.at(-1)?.cell.index ?? -1;
  if (options.write) {
    // Cells after the stop did not run: their old outputs would pass for this run's.
    for (const cell of notebook.cells.slice(ran + 1)) {
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

function toReport(run: CellRun<CliCell>, collector: OutputCollector): CellReport {
  const report: CellReport = { cell: run.cell.index + 1, status: run.status, durationMs: Math.round(run.durationMs * 100) / 100, outputs: collector.outputs };
  if (run.cell.sde.id !== undefined) report.id = run.cell.sde.id;
  if (run.error) {
    collector.addError(run.error);
    report.error = run.error;
  }
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
