import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
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
    expect(r.out).toContain("Timeout: Timed out after 150 ms. The kernel keeps its variables.");
  });

  it("interrupts a busy cell at --timeout keeping earlier state; with expectError it passes and the run goes on", () => {
    const r = cli("run", "--timeout", "300", join(fixtures, "timeout-expected.sdenb"));
    expect(r.out).toContain("✓ failed as expected: Timeout: Timed out after 300 ms");
    expect(r.out).toContain("    42\n");
    expect(r.code).toBe(0);
  });

  it("reports an unhandled rejection raised after its cell finished as a failure, in text and in --json", () => {
    const text = cli("run", join(fixtures, "late-rejection.sdenb"));
    expect(text.code).toBe(1);
    // Printed under the cell whose timer raised it (cell 1), after the running cell's result,
    // not in the middle of cell 2's output.
    expect(text.out).toContain("✗ cell 1 raised an error after it finished:\n    Unhandled promise rejection: RangeError: late boom\n        at Cell 1:1:35");
    expect(text.out).toContain("(cell 1, after it finished) tick after the cell");
    expect(text.out.indexOf("    2\n  ✓")).toBeGreaterThan(0);
    expect(text.out.indexOf("✗ cell 1 raised")).toBeGreaterThan(text.out.indexOf("    2\n  ✓"));
    expect(text.out).toMatch(/✗ .*late-rejection\.sdenb: 1 error raised after its cell finished\n$/);
    const json = cli("run", "--json", join(fixtures, "late-rejection.sdenb"));
    expect(json.code).toBe(1);
    const report = JSON.parse(json.out);
    expect(report.ok).toBe(false);
    expect(report.notebooks[0].lateErrors.map((e: { name: string; message: string; cell: number }) => [e.cell, e.name, e.message])).toEqual([[1, "RangeError", "Unhandled promise rejection: late boom"]]);
  });

  it("--write replaces the file atomically and drops outputs of cells the run did not reach", () => {
    const dir = mkdtempSync(join(tmpdir(), "sde-cli-"));
    const file = join(dir, "stale.sdenb");
    copyFileSync(join(fixtures, "stale-outputs.sdenb"), file);
    expect(cli("run", "--write", file).code).toBe(1);
    expect(readdirSync(dir)).toEqual(["stale.sdenb"]);
    const cells = parseNotebook(readFileSync(file, "utf8")).cells;
    expect(cells[0]!.outputs![0]!.items[0]!.data).toBe("1");
    expect(cells[1]!.execution).toEqual({ order: 2, success: false });
    expect(cells[2]!.outputs).toBeUndefined();
    expect(cells[2]!.execution).toBeUndefined();
  });

  it("caps a cell's output at --output-limit, keeping head and tail, and runs the next cell", () => {
    const r = cli("run", "--json", "--output-limit", "8", join(fixtures, "loud.sdenb"));
    expect(r.code).toBe(0);
    const [loud, next] = JSON.parse(r.out).notebooks[0].cells;
    const text = loud.outputs.map((o: { items: { data: string }[] }) => o.items[0]!.data).join("");
    expect(text.length).toBeLessThan(8 * 1024 + 200);
    expect(text.startsWith("line 0\nline 1\n")).toBe(true);
    expect(text.endsWith("line 99999\n")).toBe(true);
    expect(text).toMatch(/… 9\d,\d{3} lines \(\d+\.\d MB\) left out: a cell's output is capped at 8 KB \(--output-limit <kb>\) …/);
    expect(next.outputs).toEqual([{ items: [{ mime: "text/plain", data: "'next'" }] }]);
  });

  it("ends a kernel past --memory-limit with a message naming the flag, and checks the flag", () => {
    expect(cli("run", "--memory-limit", "8", "x.sdenb").out).toContain("--memory-limit must be a whole number ≥ 16, got '8'");
    const dir = mkdtempSync(join(tmpdir(), "sde-cli-"));
    const file = join(dir, "hog.sdenb");
    writeFileSync(file, JSON.stringify({ format: "sde-notebook", version: 1, cells: [{ kind: "code", source: "const b: Uint8Array[] = [];\nwhile (true) b.push(new Uint8Array(8e6).fill(1));" }] }));
    const r = cli("run", "--memory-limit", "128", file);
    expect(r.code).toBe(1);
    expect(r.out).toContain("KernelDied: The kernel used more than its memory limit of 128 MB and was stopped (raise it with --memory-limit <mb>)");
  });

  it("passes expectError cells that end their kernel (exit, abort, SIGKILL, memory limit) and runs each next cell in a fresh kernel", () => {
    const r = cli("run", "--json", "--memory-limit", "128", join(root, "test/fixtures/regressions/issue-19-expect-error-kernel-death.sdenb"));
    const report = JSON.parse(r.out);
    const cells = report.notebooks[0].cells as { id: string; status: string; freshKernel?: boolean; error?: { name: string; message: string }; outputs: { items: { data: string }[] }[] }[];
    expect(cells.map((c) => [c.id, c.status, c.freshKernel === true])).toEqual([
      ["set-1", "ok", false],
      ["exit", "expected-error", false],
      ["after-exit", "ok", true],
      ["abort", "expected-error", false],
      ["after-abort", "ok", true],
      ["sigkill", "expected-error", false],
      ["after-sigkill", "ok", true],
      ["memory", "expected-error", false],
      ["after-memory", "ok", true],
    ]);
    // Each death is explained in its own words, and each next cell found the old variable gone.
    expect(cells.filter((c) => c.status === "expected-error").map((c) => c.error!.message.split(";")[0])).toEqual([
      "The kernel stopped because the code called process.exit(3)",
      "The kernel stopped because the code called process.abort()",
      "The kernel stopped because its process received SIGKILL (for example from process.kill(process.pid))",
      "The kernel used more than its memory limit of 128 MB and was stopped (raise it with --memory-limit <mb>)",
    ]);
    expect(cells.filter((c) => c.id.startsWith("after-")).map((c) => c.outputs.at(-1)!.items[0]!.data)).toEqual([
      "'fresh after exit'",
      "'fresh after abort'",
      "'fresh after SIGKILL'",
      "'fresh after the memory limit'",
    ]);
    // abort()'s native stack dump is the dying process's, not the cell's output.
    expect(cells.find((c) => c.id === "abort")!.outputs.flatMap((o) => o.items.map((i) => i.data)).join("")).not.toContain("stack trace");
    expect([report.ok, r.code]).toEqual([true, 0]);
    const text = cli("run", "--memory-limit", "128", join(root, "test/fixtures/regressions/issue-19-expect-error-kernel-death.sdenb"));
    expect(text.out).toContain("[4] after-exit (in a fresh kernel: the previous one ended)\n");
    expect(text.out).toMatch(/✓ .*issue-19-expect-error-kernel-death\.sdenb: 9 code cells passed\n$/);
  }, 120_000);

  it("an unmarked cell that ends its kernel stops the run", () => {
    const dir = mkdtempSync(join(tmpdir(), "sde-cli-"));
    const file = join(dir, "exit.sdenb");
    writeFileSync(file, JSON.stringify({ format: "sde-notebook", version: 1, cells: [{ kind: "code", source: "process.exit(3);" }, { kind: "code", source: '"never reached"' }] }));
    const r = cli("run", file);
    expect(r.code).toBe(1);
    expect(r.out).toContain("✗ cell 1 failed after");
    expect(r.out).toContain("KernelDied: The kernel stopped because the code called process.exit(3)");
    expect(r.out).not.toContain("never reached");
  });

  it("a late error from a cell marked expectError is that cell's expected failure, not the notebook's", () => {
    const dir = mkdtempSync(join(tmpdir(), "sde-cli-"));
    const file = join(dir, "late-expected.sdenb");
    writeFileSync(file, JSON.stringify({ format: "sde-notebook", version: 1, cells: [
      { kind: "code", source: 'setTimeout(() => { throw new RangeError("meant to fail"); }, 50);\nthrow new Error("fails now too");', metadata: { expectError: true } },
      { kind: "code", source: "await new Promise((r) => setTimeout(r, 300));\n2" },
    ] }));
    const r = cli("run", file);
    expect(r.out).toContain("✓ cell 1 (marked expectError) raised an error after it finished: RangeError: meant to fail");
    expect(r.code).toBe(0);
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

  it("is executable after every build (npx sde-lab runs it directly)", () => {
    expect(statSync(join(root, "dist/cli.js")).mode & 0o111).toBe(0o111);
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
    // The help promises what the tests above check: a dead kernel is an expected failure.
    expect(help.out.replace(/\s+/g, " ")).toContain("Failing includes a timeout and ending the kernel (process.exit, process.abort(), a signal, going past --memory-limit); the next cell then runs in a fresh kernel.");
  });
});
