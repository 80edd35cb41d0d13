// Every shipped notebook runs headlessly to the end, and the numbers its prose relies on hold.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseNotebook } from "../../../src/notebook/format";
import { root, runJson } from "./run";

const notebooks = readdirSync(join(root, "notebooks")).filter((f) => f.endsWith(".sdenb"));

describe("shipped notebooks", () => {
  it("include the welcome notebook", () => {
    expect(notebooks).toContain("00-welcome.sdenb");
  });

  it.each(notebooks)("%s has unique cell ids", (file) => {
    const ids = parseNotebook(readFileSync(join(root, "notebooks", file), "utf8")).cells.flatMap((c) => (c.id ? [c.id] : []));
    expect(new Set(ids).size).toBe(ids.length);
  });

  // All shipped notebooks run together, once: every one to the end, within 30 s in all, and
  // no cell's output over 20 KB (a raw object dump would be larger).
  const started = Date.now();
  const reports = notebooks.map((file) => ({ file, report: runJson(join("notebooks", file)) }));
  const elapsedMs = Date.now() - started;

  it.each(notebooks)("%s runs headlessly to the end", (file) => {
    expect(reports.find((r) => r.file === file)!.report.ok).toBe(true);
  });

  it("all notebooks together run in under 60 s (the budget the issues set)", () => {
    expect(elapsedMs).toBeLessThan(60_000);
  });

  // Charts and replays carry their data for the renderer (at most ~200 KB a cell, downsampled
  // with a note past that); their text forms, like every other output, stay under 20 KB.
  const VIZ = new Set(["application/vnd.sde-lab.chart+json", "application/vnd.sde-lab.replay+json"]);
  it.each(notebooks)("%s has no cell output over 20 KB (charts and replays: 200 KB)", (file) => {
    const cells = reports.find((r) => r.file === file)!.report.notebooks[0]!.cells;
    const size = (c: (typeof cells)[number], viz: boolean) => c.outputs.reduce((n, o) => n + Math.max(0, ...o.items.filter((i) => VIZ.has(i.mime) === viz).map((i) => Buffer.byteLength(i.data))), 0);
    expect(cells.map((c) => ({ id: c.id, bytes: size(c, false) })).filter((s) => s.bytes > 20_000)).toEqual([]);
    expect(cells.map((c) => ({ id: c.id, bytes: size(c, true) })).filter((s) => s.bytes > 200_000)).toEqual([]);
  });

  it("welcome: state, await, streaming, rich display and the deliberate error show what the prose says", () => {
    const cells = reports.find((r) => r.file === "00-welcome.sdenb")!.report.notebooks[0]!.cells;
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

  it("welcome: the simulation basics show what the prose says (one hop each way plus the work, a queue behind 2 workers, faults, trace)", () => {
    const cells = reports.find((r) => r.file === "00-welcome.sdenb")!.report.notebooks[0]!.cells;
    const data = (id: string) => cells.find((c) => c.id === id)!.outputs.map((o) => o.items[0]!.data);
    expect(data("simulation-first").at(-1)).toBe("'status 200 at t = 30 ms (5 ms there + 20 ms work + 5 ms back)'");
    const waits = data("simulation-clock")[1]!;
    expect(waits).toContain("| 1 | 30 |\n| 2 | 30 |\n| 3 | 50 |"); // the third call waits for a worker
    const faults = data("simulation-faults-run")[0]!;
    expect(faults).toMatch(/orders 10× slower, caller waits 100 ms \| TimeoutError/);
    expect(faults).toMatch(/orders restarted \| status 200/);
    expect(data("simulation-trace").at(-1)).toMatch(/^```mermaid\nsequenceDiagram/);
  });

  it("welcome: teaches Shift+Enter, which runs a cell in desktop and browser VS Code alike", () => {
    const welcome = readFileSync(join(root, "notebooks/00-welcome.sdenb"), "utf8");
    expect(welcome).toContain("Shift+Enter");
    expect(welcome).not.toContain("**Ctrl+Enter** (run");
  });
});
