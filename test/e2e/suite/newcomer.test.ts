/**
 * What a newcomer meets first: the keys the welcome notebook teaches, pressed for real in the
 * browser, and a `.sdenb` opened as text (JSON with the notebook's schema).
 */
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { ask, hasOuterRunner } from "./outer";
import { finished, openAndShow, waitFor, workspaceUri } from "./util";

/** Puts the cursor in a code cell's editor, as a click into the cell would. */
async function editCell(editor: vscode.NotebookEditor, index: number): Promise<void> {
  editor.selections = [new vscode.NotebookRange(index, index + 1)];
  editor.revealRange(new vscode.NotebookRange(index, index + 1));
  await vscode.commands.executeCommand("notebook.cell.edit");
  await new Promise((r) => setTimeout(r, 300));
}

describe("A newcomer's first steps", () => {
  afterEach(async () => {
    // Ran cells make a notebook dirty; closing it unsaved would ask in a modal dialog.
    await vscode.commands.executeCommand("workbench.action.files.saveAll");
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
  });

  it("opens 00-welcome.sdenb as a notebook on the first start of a folder that has it", async () => {
    const editor = await waitFor(
      "the welcome notebook to open by itself",
      () => vscode.window.visibleNotebookEditors.find((e) => e.notebook.uri.path.endsWith("/00-welcome.sdenb")),
      30_000,
    );
    assert.equal(editor.notebook.notebookType, "sde-notebook");
  });

  // VS Code's notebook keys (1.139): Shift+Enter runs and selects below, Alt+Enter runs and
  // inserts a cell below, on every platform. "Run and stay" is Ctrl+Enter only on macOS
  // (Ctrl+Alt+Enter on Windows, Super+Enter on Linux); in a cell editor on Linux and Windows
  // Ctrl+Enter inserts a line, which is what a newcomer met in the browser.
  const press = async (key: string) => ask({ event: "press", key });

  it("Shift+Enter typed in a code cell runs it and moves to the next cell (the key the welcome notebook teaches)", async function () {
    if (!hasOuterRunner) this.skip();
    const { notebook, editor } = await openAndShow("keys.sdenb");
    const cell = notebook.cellAt(0);
    const before = cell.document.getText();
    const started = Date.now();
    await editCell(editor, 0);
    await press("Shift+Enter");
    await waitFor("the cell to run from Shift+Enter", () => finished(cell, started), 30_000);
    assert.equal(cell.executionSummary?.success, true);
    assert.equal(cell.document.getText(), before, "the key changed the cell's text instead of running it");
    assert.equal(editor.selection.start, 1, "focus did not move to the next cell");
  });

  it("Alt+Enter runs the cell and inserts a new one below it", async function () {
    if (!hasOuterRunner) this.skip();
    const { notebook, editor } = await openAndShow("keys.sdenb");
    const cell = notebook.cellAt(1);
    const started = Date.now();
    await editCell(editor, 1);
    await press("Alt+Enter");
    await waitFor("the cell to run from Alt+Enter", () => finished(cell, started), 30_000);
    assert.equal(cell.document.getText(), "answer * 2");
    assert.equal(notebook.cellCount, 3, "no cell was inserted below");
    await vscode.commands.executeCommand("workbench.action.files.revert");
  });

  it("opens a .sdenb with Open in Text Editor as JSON, and the schema flags a shape error", async () => {
    const uri = workspaceUri("shape-error.sdenb");
    await vscode.commands.executeCommand("vscode.openWith", uri, "default");
    const doc = await waitFor("the text editor", () => vscode.window.activeTextEditor?.document.uri.toString() === uri.toString() && vscode.window.activeTextEditor.document);
    assert.equal(doc.languageId, "json");
    const diagnostics = await waitFor(
      "schema diagnostics from the JSON language server",
      () => {
        const found = vscode.languages.getDiagnostics(uri);
        return found.length >= 2 && found;
      },
      40_000,
    );
    const lines = diagnostics.map((d) => `${d.range.start.line + 1}: ${d.message}`).sort();
    const text = doc.getText();
    const lineOf = (needle: string) => doc.positionAt(text.indexOf(needle)).line + 1;
    assert.ok(
      lines.some((l) => l.startsWith(`${lineOf('"python"')}:`) && /markdown.*code|not accepted/i.test(l)),
      `no error for the cell kind "python" on line ${lineOf('"python"')}: ${lines.join(" | ")}`,
    );
    assert.ok(
      lines.some((l) => l.startsWith(`${lineOf('{ "kind": "code" }')}:`) && /source/.test(l)),
      `no error for the cell without "source": ${lines.join(" | ")}`,
    );
  });
});
