import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { ask, hasOuterRunner, screenshot } from "./outer";
import { lastOutputText, openAndShow, runCells } from "./util";

const idOf = (c: vscode.NotebookCell) => (c.metadata.sdeLab as { id?: string } | undefined)?.id;

describe("The message-brokers notebook in a real VS Code", function () {
  this.timeout(150_000);

  it("runs 04-messaging to the end, with the rebalance, the guarantees table and its diagrams drawn", async () => {
    const { notebook, editor } = await openAndShow("04-messaging.sdenb");
    await runCells(notebook, undefined, 120_000);
    const code = notebook.getCells().filter((c) => c.kind === vscode.NotebookCellKind.Code);
    assert.deepEqual(
      code.filter((c) => c.executionSummary?.success !== true).map(idOf),
      [],
      "cells that did not succeed",
    );
    const cell = (id: string) => notebook.getCells().find((c) => idOf(c) === id)!;
    // Every output item of a cell, decoded and joined.
    const all = (id: string) => cell(id).outputs.flatMap((o) => o.items).map((i) => new TextDecoder().decode(i.data)).join("\n");
    assert.match(all("kafka-crash"), /billing-3 session timed out/);
    assert.match(lastOutputText(cell("kafka-check"), "text/plain") ?? "", /^Challenge kafka: FAILED/);
    assert.match(all("exactly-once-compare"), /\| exactly-once \| transaction: output \+ offsets \| 300 \| 300 \| 0 \| 0 \|/);
    if (!hasOuterRunner) return;
    const index = notebook.getCells().findIndex((c) => idOf(c) === "kafka-resume");
    editor.revealRange(new vscode.NotebookRange(index, index + 1), vscode.NotebookEditorRevealType.AtTop);
    await new Promise((r) => setTimeout(r, 500));
    const check = await ask<{ found: Record<string, boolean>; mermaidSvgs: number }>({ event: "dom-check", texts: ["not yet committed"], mermaid: true });
    assert.deepEqual(check.found, { "not yet committed": true });
    assert.ok(check.mermaidSvgs >= 1, "the rebalance sequence diagram was not drawn");
    await screenshot("messaging-rebalance");
    // The quorum queue's delivery limit (a cell added for issue 21) in the real editor.
    const quorum = notebook.getCells().findIndex((c) => idOf(c) === "durability-quorum");
    editor.revealRange(new vscode.NotebookRange(quorum, quorum + 1), vscode.NotebookEditorRevealType.AtTop);
    await new Promise((r) => setTimeout(r, 500));
    const limit = await ask<{ found: Record<string, boolean> }>({ event: "dom-check", texts: ["delivery_limit"] });
    assert.deepEqual(limit.found, { "delivery_limit": true });
    await screenshot("messaging-quorum-delivery-limit");
  });
});
