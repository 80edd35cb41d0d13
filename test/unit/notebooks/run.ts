// Runs a shipped notebook headlessly through the built CLI and returns its JSON report, for
// the tests that assert what a notebook's prose claims.
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export const root = join(__dirname, "../../..");

/** One output item as the CLI reports it. */
export interface ReportItem {
  mime: string;
  data: string;
}

/** The CLI's `--json` report of one notebook run. */
export interface Report {
  ok: boolean;
  notebooks: { cells: { id?: string; status: string; outputs: { items: ReportItem[] }[] }[] }[];
}

/** Runs `file` (relative to the repository root) with `sde-lab run --json`; `env` adds variables. */
export function runJson(file: string, env?: Record<string, string>): Report {
  const r = spawnSync(process.execPath, [join(root, "dist/cli.js"), "run", "--json", file], {
    encoding: "utf8",
    cwd: root,
    timeout: 120_000,
    env: env ? { ...process.env, ...env } : process.env,
  });
  return JSON.parse(r.stdout) as Report;
}

/** Accessors over one notebook's cells by id. */
export function cellsOf(report: Report) {
  const cells = report.notebooks[0]!.cells;
  const cell = (id: string) => {
    const found = cells.find((c) => c.id === id);
    if (!found) throw new Error(`no cell "${id}" in the report`);
    return found;
  };
  return {
    cells,
    /** First item of every output of the cell. */
    items: (id: string) => cell(id).outputs.map((o) => o.items[0]!),
    /** The item of `mime` in the cell's output at `index` (negative counts from the end). */
    item: (id: string, mime: string, index = -1) => cell(id).outputs.at(index)?.items.find((i) => i.mime === mime)?.data,
    status: (id: string) => cell(id).status,
    /** The cell's report (every output, every item). */
    cell,
  };
}
