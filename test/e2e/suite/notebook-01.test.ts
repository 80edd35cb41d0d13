// Notebook 01 in a real VS Code: every cell runs to the end on the installed extension's
// kernel (sde-lab, sde-lab/scenarios and sde-lab/challenges), the breaker's sequence diagram
// is drawn, and a challenge's pass/fail table renders.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { ask, hasOuterRunner, screenshot } from "./outer";
import { lastOutputText, openAndShow, runCells } from "./util";

const idOf = (c: vscode.NotebookCell) => (c.metadata.sdeLab as { id?: string } | undefined)?.id;

describe("Notebook 01: microservice patterns", function () {
  afterEach(async function () {
    if (this.currentTest?.state === "failed") await screenshot("failed-notebook-01");
  });

  it("runs to the end; every check cell shows its starter failing; diagrams and a challenge table are drawn", async function () {
    this.timeout(150_000);
    const { notebook, editor } = await openAndShow("01-microservices.sdenb");
    await runCells(notebook, undefined, 120_000);
    const code = notebook.getCells().filter((c) => c.kind === vscode.NotebookCellKind.Code);
    assert.ok(code.length >= 40, `only ${code.length} code cells`);
    assert.deepEqual(code.filter((c) => c.executionSummary?.success !== true).map(idOf), [], "cells that did not succeed");
    const checks = code.filter((c) => idOf(c)?.endsWith("-check"));
    // One main check per pattern (a build challenge or, not yet rebuilt, a knob one), plus warm-ups.
    assert.equal(checks.filter((c) => !idOf(c)!.endsWith("-warmup-check")).length, 10);
    for (const c of checks) assert.match(lastOutputText(c, "text/plain") ?? "", /^Challenge [a-z-]+: FAILED/, `${idOf(c)} output`);
    if (!hasOuterRunner) return;

    const reveal = async (id: string) => {
      const index = notebook.getCells().findIndex((c) => idOf(c) === id);
      editor.revealRange(new vscode.NotebookRange(index, index + 1), vscode.NotebookEditorRevealType.AtTop);
      await new Promise((r) => setTimeout(r, 800));
    };
    await reveal("circuit-breaker-trace");
    const trace = await ask<{ found: Record<string, boolean>; mermaidSvgs: number }>({ event: "dom-check", texts: ["breaker OPEN"], mermaid: true });
    assert.deepEqual(trace.found, { "breaker OPEN": true });
    assert.ok(trace.mermaidSvgs >= 1, "the breaker's sequence diagram was not drawn");
    await screenshot("microservices-breaker");

    await reveal("circuit-breaker-warmup-check");
    const table = await ask<{ found: Record<string, boolean> }>({ event: "dom-check", texts: ["not yet", "users who gave up", "❌ miss"] });
    assert.deepEqual(table.found, { "not yet": true, "users who gave up": true, "❌ miss": true });
    await screenshot("challenge-table");
  });
});
