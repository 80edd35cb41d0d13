import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { ask, hasOuterRunner, screenshot } from "./outer";
import { EXTENSION_ID, openAndShow } from "./util";

describe("SDE Lab in an untrusted workspace", () => {
  it("opens notebooks but does not run cells, and tells the user why", async function () {
    if (!hasOuterRunner) this.skip();
    assert.equal(vscode.workspace.isTrusted, false, "the runner should open this workspace untrusted");
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
    const { notebook } = await openAndShow("small.sdenb");
    assert.equal(notebook.cellCount, 5);
    assert.equal(notebook.cellAt(1).document.getText().startsWith("const base"), true);
    const notice = await ask<{ found: Record<string, boolean> }>({ event: "dom-check", texts: ["SDE Lab does not run cells in an untrusted workspace"] });
    assert.deepEqual(notice.found, { "SDE Lab does not run cells in an untrusted workspace": true });
    // In Restricted Mode VS Code holds the request (it waits for trust that never comes).
    void vscode.commands.executeCommand("notebook.cell.execute", { ranges: [{ start: 1, end: 2 }], document: notebook.uri });
    await new Promise((r) => setTimeout(r, 2_000));
    const cell = notebook.cellAt(1);
    assert.equal(cell.outputs.length, 0, "an untrusted cell produced output");
    assert.equal(cell.executionSummary?.executionOrder, undefined, "an untrusted cell ran");
    await screenshot("untrusted");
  });
});
