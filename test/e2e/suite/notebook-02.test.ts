// The distributed-data notebook runs to the end in the real VS Code: every code cell
// succeeds (including the challenge checks, which load sde-lab/challenges), and the 2PC
// sequence diagram is drawn.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { ask, hasOuterRunner, screenshot } from "./outer";
import { openAndShow, outputText, runCells } from "./util";

const idOf = (c: vscode.NotebookCell) => (c.metadata.sdeLab as { id?: string } | undefined)?.id;

describe("Notebook 02 · distributed data in a real VS Code", function () {
  it("runs to the end, with the challenge checks reporting and the 2PC sequence diagram drawn", async function () {
    this.timeout(180_000);
    const { notebook, editor } = await openAndShow("02-distributed-data.sdenb");
    await runCells(notebook, undefined, 150_000);
    const code = notebook.getCells().filter((c) => c.kind === vscode.NotebookCellKind.Code);
    assert.deepEqual(
      code.filter((c) => c.executionSummary?.success !== true).map(idOf),
      [],
      "cells that did not succeed",
    );
    const check = code.find((c) => idOf(c) === "saga-check")!;
    assert.match(outputText(check, "text/plain") ?? "", /^Challenge saga: FAILED/);
    if (!hasOuterRunner) return;
    const index = notebook.getCells().findIndex((c) => idOf(c) === "two-phase-commit-healthy");
    editor.revealRange(new vscode.NotebookRange(index, index + 1), vscode.NotebookEditorRevealType.AtTop);
    await new Promise((r) => setTimeout(r, 500));
    const dom = await ask<{ found: Record<string, boolean>; mermaidSvgs: number }>({ event: "dom-check", texts: ["COMMIT logged"], mermaid: true });
    assert.deepEqual(dom.found, { "COMMIT logged": true });
    assert.ok(dom.mermaidSvgs >= 1, "the 2PC sequence diagram was not drawn");
    await screenshot("distributed-data-2pc");
  });
});
