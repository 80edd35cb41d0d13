// Every shipped notebook runs headlessly to the end, and the numbers its prose relies on hold.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseNotebook } from "../../../src/notebook/format";

const root = join(__dirname, "../../..");
const notebooks = readdirSync(join(root, "notebooks")).filter((f) => f.endsWith(".sdenb"));

interface Report {
  ok: boolean;
  notebooks: { cells: { id?: string; status: string; outputs: { items: { mime: string; data: string }[] }[] }[] }[];
}

function runJson(file: string): Report {
  const r = spawnSync(process.execPath, [join(root, "dist/cli.js"), "run", "--json", file], { encoding: "utf8", cwd: root, timeout: 120_000 });
  return JSON.parse(r.stdout) as Report;
}

describe("shipped notebooks", () => {
  it("include the welcome notebook", () => {
    expect(notebooks).toContain("00-welcome.sdenb");
  });

  it.each(notebooks)("%s has unique cell ids", (file) => {
    const ids = parseNotebook(readFileSync(join(root, "notebooks", file), "utf8")).cells.flatMap((c) => (c.id ? [c.id] : []));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(notebooks)("%s runs headlessly to the end", (file) => {
    const report = runJson(join("notebooks", file));
    expect(report.ok).toBe(true);
  });

  it("welcome: state, await, streaming, rich display and the deliberate error show what the prose says", () => {
    const cells = runJson("notebooks/00-welcome.sdenb").notebooks[0]!.cells;
    const out = (id: string) => cells.find((c) => c.id === id)!.outputs;
    expect(out("use-state")[0]!.items.at(-1)!.data).toBe("6");
    expect(out("await")[0]!.items.at(-1)!.data).toBe("'pong'");
    expect(out("console").map((o) => o.items[0]!.mime)).toEqual([
      "application/vnd.code.notebook.stdout",
      "application/vnd.code.notebook.stderr",
      "application/vnd.code.notebook.stdout",
    ]);
    const display = out("display").map((o) => o.items[0]!);
    expect(display[2]!.data.startsWith("```mermaid\nsequenceDiagram")).toBe(true);
    const error = JSON.parse(out("error").at(-1)!.items[0]!.data) as { stack: string };
    expect(error.stack.split("\n").slice(0, 3)).toEqual([
      "RangeError: rate must be ≥ 0, got -0.2",
      "    at priceWithTax (Cell 12:3:11)",
      "    at Cell 12:7:1",
    ]);
  });
});
