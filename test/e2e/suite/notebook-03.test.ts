// Notebook 03 (communication protocols) runs to the end in the real VS Code, and its
// sequence diagrams and challenge tables render.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { ask, hasOuterRunner, screenshot } from "./outer";
import { lastOutputText, openAndShow, outputText, runCells } from "./util";

const idOf = (c: vscode.NotebookCell) => (c.metadata.sdeLab as { id?: string } | undefined)?.id;

describe("Notebook 03: communication protocols", function () {
  it("runs every cell to the end: the posts screen, the feeds and the challenges", async function () {
    this.timeout(150_000);
    const { notebook, editor } = await openAndShow("03-protocols.sdenb");
    await runCells(notebook, undefined, 120_000);
    const code = notebook.getCells().filter((c) => c.kind === vscode.NotebookCellKind.Code);
    assert.equal(code.length, 50);
    assert.deepEqual(code.filter((c) => c.executionSummary?.success !== true).map(idOf), [], "cells that did not succeed");
    const cell = (id: string) => notebook.getCells().find((c) => idOf(c) === id)!;
    assert.match(outputText(cell("rest-screen"), "text/markdown") ?? "", /\| REST \(N\+1\) \| 21 \|/);
    assert.match(lastOutputText(cell("rest-check"), "text/plain") ?? "", /^Challenge rest: FAILED/);
    assert.match(outputText(cell("grpc-wire"), "text/markdown") ?? "", /08 96 01 12 05 61 6c 69 63 65 18 01/);
    if (!hasOuterRunner) return;
    const index = notebook.getCells().findIndex((c) => idOf(c) === "sse-drop");
    editor.revealRange(new vscode.NotebookRange(index, index + 1), vscode.NotebookEditorRevealType.AtTop);
    await new Promise((r) => setTimeout(r, 500));
    const check = await ask<{ found: Record<string, boolean>; mermaidSvgs: number }>({ event: "dom-check", texts: ["Last-Event-ID"], mermaid: true });
    assert.deepEqual(check.found, { "Last-Event-ID": true });
    assert.ok(check.mermaidSvgs >= 1, "the SSE reconnect's sequence diagram was not drawn");
    await screenshot("protocols-sse-reconnect");
    // The L4 vs L7 table (a cell added for issue 21) reads as a table in the real editor.
    const balancing = notebook.getCells().findIndex((c) => idOf(c) === "grpc-balancing");
    editor.revealRange(new vscode.NotebookRange(balancing, balancing + 1), vscode.NotebookEditorRevealType.AtTop);
    await new Promise((r) => setTimeout(r, 500));
    const lb = await ask<{ found: Record<string, boolean> }>({ event: "dom-check", texts: ["L4 + max connection age 5 s"] });
    assert.deepEqual(lb.found, { "L4 + max connection age 5 s": true });
    await screenshot("protocols-grpc-balancing");
  });
});
