import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseNotebook, serializeNotebook } from "../../../src/notebook/format";

const root = join(__dirname, "../../..");
const fixtures = join(root, "test/fixtures/cli");

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, "dist/cli.js"), ...args], { encoding: "utf8", cwd: root, timeout: 60_000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe("sde-lab run", () => {
  it("runs a notebook to the end and exits 0", () => {
    const r = cli("run", "notebooks/00-welcome.sdenb");
    expect(r.code).toBe(0);
    expect(r.out).toContain("    'orders runs 3 replicas'\n");
    expect(r.out).toContain("✓ failed as expected: RangeError: rate must be ≥ 0, got -0.2");
    expect(r.out).toMatch(/✓ notebooks\/00-welcome\.sdenb: 11 code cells passed\n$/);
  });

  it("stops at the first failing cell, exits 1 and names the cell and the error", () => {
    const r = cli("run", join(fixtures, "fails-on-third-cell.sdenb"));
    expect(r.code).toBe(1);
    expect(r.out).toContain("✗ cell 3 failed after");
    expect(r.out).toContain("TypeError: Cannot read properties of undefined (reading 'toFixed')\n        at Cell 3:2:10");
    expect(r.out).not.toContain("never reached");
  });

  it("prints machine-readable results with --json", () => {
    const r = cli("run", "--json", join(fixtures, "fails-on-third-cell.sdenb"));
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out);
    expect(report.ok).toBe(false);
    const cells = report.notebooks[0].cells;
    expect(cells.map((c: { cell: number; status: string }) => [c.cell, c.status])).toEqual([
      [1, "ok"],
      [3, "error"],
    ]);
    expect(cells[0].outputs).toEqual([{ items: [{ mime: "text/plain", data: "4" }] }]);
    expect(cells[1].error.name).toBe("TypeError");
  });

  it("saves outputs into the notebook with --write, in canonical form", () => {
    const dir = mkdtempSync(join(tmpdir(), "sde-cli-"));
    const file = join(dir, "welcome.sdenb");
    copyFileSync(join(root, "notebooks/00-welcome.sdenb"), file);
    expect(cli("run", "--write", file).code).toBe(0);
    const text = readFileSync(file, "utf8");
    expect(serializeNotebook(parseNotebook(text))).toBe(text);
    const cells = parseNotebook(text).cells;
    const first = cells.find((c) => c.id === "first-cell")!;
    expect(first.execution).toEqual({ order: 1, success: true });
    expect(first.outputs![0]!.items[0]).toEqual({ mime: "text/plain", data: "'orders runs 3 replicas'", extra: {} });
    const error = cells.find((c) => c.id === "error")!;
    expect(error.execution).toEqual({ order: 6, success: false });
    expect(JSON.parse(error.outputs!.at(-1)!.items[0]!.data)).toMatchObject({ name: "RangeError", message: "rate must be ≥ 0, got -0.2" });
    const md = cells.find((c) => c.id === "display")!.outputs!.map((o) => o.items[0]!.mime);
    expect(md).toEqual(["text/markdown", "text/markdown", "text/markdown"]);
  });

  it("stops a cell after --timeout and exits 1", () => {
    const r = cli("run", "--timeout", "150", join(fixtures, "hangs.sdenb"));
    expect(r.code).toBe(1);
    expect(r.out).toContain("✗ cell 1 was stopped after");
    expect(r.out).toContain("Timed out after 150 ms");
  });

  it("fails a cell that was expected to fail but did not", () => {
    const r = cli("run", join(fixtures, "expected-error-missing.sdenb"));
    expect(r.code).toBe(1);
    expect(r.out).toContain("✗ cell 1 was expected to fail (metadata expectError) but succeeded");
  });

  it("exits 2 with the position for a malformed notebook", () => {
    const r = cli("run", join(fixtures, "malformed.sdenb"));
    expect(r.code).toBe(2);
    expect(r.out).toContain("malformed.sdenb: not a valid notebook: Invalid JSON: expected ',' between items (line 3, column 21)");
  });

  it("exits 2 on bad usage and 0 for --help", () => {
    expect(cli().code).toBe(2);
    expect(cli("build", "x.sdenb").out).toContain("unknown command 'build'");
    expect(cli("run").out).toContain("name at least one .sdenb file");
    expect(cli("run", "--timeout", "soon", "x.sdenb").out).toContain("--timeout must be a whole number of milliseconds ≥ 0, got 'soon'");
    expect(cli("run", "missing-file.sdenb").code).toBe(2);
    const help = cli("--help");
    expect(help.code).toBe(0);
    expect(help.out).toContain("Usage: sde-lab run [options] <notebook.sdenb>...");
  });
});
