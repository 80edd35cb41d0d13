import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { ask, hasOuterRunner, screenshot } from "./outer";
import { ERROR_MIME, EXTENSION_ID, finished, openAndShow, outputItems, outputText, runCells, waitFor, workspaceUri } from "./util";

const slug = (s: string) => s.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "").toLowerCase();

describe("SDE Lab in a real VS Code", function () {
  afterEach(async function () {
    if (this.currentTest?.state === "failed") await screenshot(`failed-${slug(this.currentTest.title)}`);
  });

  it("activates from the installed VSIX without errors", async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is not installed`);
    await extension.activate();
    assert.equal(extension.isActive, true);
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes("sdeLab.restartKernel"), "Restart Kernel command is registered");
  });

  it("opens a .sdenb file as a notebook with its cells", async () => {
    const notebook = await vscode.workspace.openNotebookDocument(workspaceUri("small.sdenb"));
    assert.equal(notebook.notebookType, "sde-notebook");
    assert.deepEqual(
      notebook.getCells().map((c) => [c.kind, c.document.languageId]),
      [[vscode.NotebookCellKind.Markup, "markdown"], ...Array(4).fill([vscode.NotebookCellKind.Code, "typescript"])],
    );
    assert.equal(notebook.cellAt(1).document.getText(), 'const base: number = 20;\nconsole.log("hello from the kernel");\nbase + 1');
  });

  it("runs all cells: text, markdown, JSON, and an error with a cell-relative line", async () => {
    const { notebook } = await openAndShow("small.sdenb");
    await runCells(notebook);
    const [, text, markdown, json, error] = notebook.getCells();
    assert.deepEqual(outputItems(text!), [
      ["application/vnd.code.notebook.stdout", "hello from the kernel\n"],
      ["text/plain", "21"],
    ]);
    assert.equal(outputText(markdown!, "text/markdown"), "**bold** 20");
    assert.deepEqual(JSON.parse(outputText(json!, "application/json")!), { base: 20, doubled: 40 });
    const shown = JSON.parse(outputText(error!, ERROR_MIME)!) as { name: string; message: string; stack: string };
    assert.equal(shown.name, "RangeError");
    assert.equal(shown.message, "bad 20");
    assert.deepEqual(shown.stack.split("\n").slice(1, 3), ["    at fail (Cell 5:2:9)", "    at Cell 5:4:1"]);
    assert.deepEqual(
      [text, markdown, json, error].map((c) => c!.executionSummary?.success),
      [true, true, true, false],
    );
    const orders = [text, markdown, json, error].map((c) => c!.executionSummary?.executionOrder ?? 0);
    assert.deepEqual(orders, [...orders].sort((a, b) => a - b));
  });

  it("carries variables across cells", async () => {
    const { notebook } = await openAndShow("small.sdenb");
    await runCells(notebook, [1]);
    await runCells(notebook, [3]);
    assert.deepEqual(JSON.parse(outputText(notebook.cellAt(3), "application/json")!), { base: 20, doubled: 40 });
  });

  it("interrupts a while(true) cell within 2 s with the Interrupt command, and runs the next cell", async () => {
    const { notebook } = await openAndShow("loop.sdenb");
    await runCells(notebook, [0]);
    const loop = notebook.cellAt(1);
    void vscode.commands.executeCommand("notebook.cell.execute", { ranges: [{ start: 1, end: 2 }], document: notebook.uri });
    await new Promise((r) => setTimeout(r, 700));
    const t0 = Date.now();
    await vscode.commands.executeCommand("notebook.cancelExecution");
    await waitFor("the loop cell to stop", () => finished(loop, t0), 2_000);
    const took = Date.now() - t0;
    assert.ok(took < 2_000, `interrupt took ${took} ms`);
    assert.equal(loop.executionSummary?.success, false);
    assert.match(JSON.parse(outputText(loop, ERROR_MIME)!).message as string, /kernel was restarted and its state cleared/);
    await runCells(notebook, [2]);
    assert.equal(outputText(notebook.cellAt(2), "text/plain"), "'undefined'");
  });

  it("interrupts a waiting cell and keeps the kernel's state", async () => {
    const { notebook } = await openAndShow("loop.sdenb");
    await runCells(notebook, [0]);
    const sleeper = notebook.cellAt(3);
    void vscode.commands.executeCommand("notebook.cell.execute", { ranges: [{ start: 3, end: 4 }], document: notebook.uri });
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    await vscode.commands.executeCommand("notebook.cancelExecution");
    await waitFor("the sleeping cell to stop", () => finished(sleeper, t0), 2_000);
    await runCells(notebook, [2]);
    assert.equal(outputText(notebook.cellAt(2), "text/plain"), "'string'");
  });

  it("Restart Kernel clears the kernel's state", async () => {
    const { notebook } = await openAndShow("loop.sdenb");
    await runCells(notebook, [0, 2]);
    assert.equal(outputText(notebook.cellAt(2), "text/plain"), "'string'");
    await vscode.commands.executeCommand("sdeLab.restartKernel");
    await runCells(notebook, [2]);
    assert.equal(outputText(notebook.cellAt(2), "text/plain"), "'undefined'");
  });

  it("saves outputs and keeps unknown fields", async () => {
    const { notebook } = await openAndShow("unknown-fields.sdenb");
    await runCells(notebook);
    await notebook.save();
    const saved = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(notebook.uri)));
    assert.equal(saved.toolVersion, "9.9.9");
    assert.deepEqual(saved.metadata, { title: "unknown fields" });
    assert.deepEqual(saved.cells[0].customCellField, { keep: true });
    assert.deepEqual(saved.cells[1].futureFlag, [1, 2]);
    assert.deepEqual(saved.cells[0].outputs, [{ items: [{ mime: "text/plain", data: "42" }], metadata: {} }]);
    assert.equal(saved.cells[0].execution.success, true);
  });

  it("refuses a malformed .sdenb with a message naming the problem, and leaves the file unchanged", async () => {
    const uri = workspaceUri("malformed.sdenb");
    const before = await vscode.workspace.fs.readFile(uri);
    await assert.rejects(async () => vscode.workspace.openNotebookDocument(uri), (error: Error) => {
      assert.match(error.message, /SDE Lab could not open this notebook: Invalid JSON: expected ',' between items \(line 6, column 3\)/);
      return true;
    });
    await vscode.commands.executeCommand("vscode.openWith", uri, "sde-notebook");
    await new Promise((r) => setTimeout(r, 500));
    await vscode.commands.executeCommand("workbench.action.files.saveAll");
    const after = await vscode.workspace.fs.readFile(uri);
    assert.deepEqual(Buffer.from(after), Buffer.from(before));
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
  });

  it("shows the notebook and its outputs on the page, with the Mermaid diagram drawn", async function () {
    if (!hasOuterRunner) this.skip();
    const { notebook, editor } = await openAndShow("00-welcome.sdenb");
    await runCells(notebook, undefined, 60_000);
    const indexOf = (id: string) => notebook.getCells().findIndex((c) => (c.metadata.sdeLab as { id?: string } | undefined)?.id === id);
    type Check = { notebookVisible: boolean; cellsOnPage: number; found: Record<string, boolean>; mermaidSvgs: number };
    const checkCell = async (id: string, texts: string[], mermaid = false) => {
      const index = indexOf(id);
      assert.ok(index >= 0, `no cell ${id}`);
      // The notebook draws only what is on screen, so bring the cell's output into view.
      editor.revealRange(new vscode.NotebookRange(index, index + 1), vscode.NotebookEditorRevealType.AtTop);
      await new Promise((r) => setTimeout(r, 500));
      return ask<Check>({ event: "dom-check", texts, mermaid });
    };
    const first = await checkCell("first-cell", ["orders runs 3 replicas"]);
    assert.equal(first.notebookVisible, true);
    assert.ok(first.cellsOnPage >= 3, `only ${first.cellsOnPage} cells on the page`);
    assert.deepEqual(first.found, { "orders runs 3 replicas": true });
    assert.deepEqual((await checkCell("console", ["step 3 of 3", "this line goes to stderr"])).found, { "step 3 of 3": true, "this line goes to stderr": true });
    const display = await checkCell("display", ["gateway", "/payments"], true);
    assert.deepEqual(display.found, { gateway: true, "/payments": true });
    assert.ok(display.mermaidSvgs >= 1, "the Mermaid output was not drawn as an svg");
    await screenshot("tour");
  });

  it("the editor knows sde-lab's types and raises no false errors for kernel semantics (TypeScript plugin)", async () => {
    const { notebook } = await openAndShow("types.sdenb");
    const [, semantics] = notebook.getCells();
    const doc = semantics!.document;
    const at = doc.positionAt(doc.getText().indexOf("markdown(`") + 2);
    // tsserver starts lazily; ask until it answers with the bundled declarations' docs.
    let hoverText = "";
    const deadline = Date.now() + 40_000;
    while (Date.now() < deadline && !hoverText.includes("Markdown text")) {
      const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", doc.uri, at)) ?? [];
      hoverText = hovers.flatMap((h) => h.contents.map((c) => (typeof c === "string" ? c : c.value))).join("\n");
      if (!hoverText.includes("Markdown text")) await new Promise((r) => setTimeout(r, 500));
    }
    assert.match(hoverText, /\(alias\) markdown\(text: string\): Displayable/);
    assert.match(hoverText, /Markdown text/);
    // VS Code reports no semantic diagnostics for notebook cells; what it does report for the
    // cell with top-level await, an import and `base` from the cell above must be clean.
    const errorsOf = (cell: vscode.NotebookCell) =>
      vscode.languages.getDiagnostics(cell.document.uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error).map((d) => `${String(d.code)}: ${d.message}`);
    assert.deepEqual(errorsOf(semantics!), []);
  });
});
