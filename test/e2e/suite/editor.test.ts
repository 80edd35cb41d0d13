/**
 * The editor knows the notebook, in the real VS Code: types across cells, real errors on the
 * right cells (squiggles and the Problems panel), none on the shipped notebooks. Screenshots
 * go to test-results/e2e/trusted-editor-*.png.
 */
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { ask, hasOuterRunner, screenshot } from "./outer";
import { EXTENSION_ID, waitFor, workspaceUri } from "./util";
import { DIAGNOSTICS_REQUEST, type NotebookDiagnosticsBody } from "../../../src/editor/protocol";
import { cellKeyOfUri } from "../../../src/editor/cell-keys";
import { benchAsOneFile, benchNotebookCells } from "../../../bench/editor-fixture";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Diagnostics of a cell as "line:character code message" (0-based, like VS Code). */
const problemsOf = (cell: vscode.NotebookCell) =>
  vscode.languages.getDiagnostics(cell.document.uri).map((d) => `${d.range.start.line}:${d.range.start.character} ${String(typeof d.code === "object" ? d.code.value : d.code)} ${d.message}`);

async function waitForProblems(cell: vscode.NotebookCell, expected: string[], timeoutMs = 60_000): Promise<number> {
  const t0 = Date.now();
  await waitFor(`problems ${JSON.stringify(expected)} on cell ${cell.index} (now ${JSON.stringify(problemsOf(cell))})`, () => JSON.stringify(problemsOf(cell)) === JSON.stringify(expected), timeoutMs);
  return Date.now() - t0;
}

const cellById = (notebook: vscode.NotebookDocument, id: string) => {
  const cell = notebook.getCells().find((c) => (c.metadata.sdeLab as { id?: string } | undefined)?.id === id);
  assert.ok(cell, `no cell ${id}`);
  return cell;
};

/** Puts the cursor into a cell's editor at `offset` and returns that editor. */
async function focusCell(editor: vscode.NotebookEditor, cell: vscode.NotebookCell, offset: number): Promise<vscode.TextEditor> {
  editor.selections = [new vscode.NotebookRange(cell.index, cell.index + 1)];
  editor.revealRange(new vscode.NotebookRange(cell.index, cell.index + 1), vscode.NotebookEditorRevealType.InCenter);
  await vscode.commands.executeCommand("notebook.cell.edit");
  const text = await waitFor("the cell's editor", () => vscode.window.visibleTextEditors.find((e) => e.document === cell.document));
  const at = cell.document.positionAt(offset);
  text.selection = new vscode.Selection(at, at);
  return text;
}

async function hoverText(cell: Pick<vscode.NotebookCell, "document">, offset: number, wanted: RegExp): Promise<string> {
  let text = "";
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !wanted.test(text)) {
    const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", cell.document.uri, cell.document.positionAt(offset))) ?? [];
    text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === "string" ? c : c.value))).join("\n");
    if (!wanted.test(text)) await pause(500);
  }
  return text;
}

describe("The editor knows the notebook", function () {
  let notebook: vscode.NotebookDocument;
  let editor: vscode.NotebookEditor;

  before(async () => {
    notebook = await vscode.workspace.openNotebookDocument(workspaceUri("editor.sdenb"));
    editor = await vscode.window.showNotebookDocument(notebook);
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed") await screenshot(`failed-editor-${this.currentTest.title.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}`);
  });

  it("a hover on a name from an earlier cell shows its type", async () => {
    const later = cellById(notebook, "later");
    const offset = later.document.getText().indexOf("sim.metrics");
    const text = await hoverText(later, offset, /const sim: Simulation/);
    assert.match(text, /const sim: Simulation/);
    assert.match(await hoverText(later, later.document.getText().indexOf("base"), /const base: 20/), /const base: 20/);
    await focusCell(editor, later, offset + 1);
    await vscode.commands.executeCommand("editor.action.showHover");
    await pause(1_000);
    await screenshot("editor-hover");
  });

  it("go-to-definition on a name from an earlier cell jumps to the declaring cell", async () => {
    const setup = cellById(notebook, "setup");
    const later = cellById(notebook, "later");
    const at = later.document.positionAt(later.document.getText().indexOf("base"));
    let locations: (vscode.Location | vscode.LocationLink)[] = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && locations.length === 0) {
      locations = (await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>("vscode.executeDefinitionProvider", later.document.uri, at)) ?? [];
      if (locations.length === 0) await pause(500);
    }
    const targets = locations.map((l) => ("targetUri" in l ? [l.targetUri, l.targetSelectionRange ?? l.targetRange] : [l.uri, l.range]) as [vscode.Uri, vscode.Range]);
    assert.deepEqual(
      targets.map(([uri, range]) => [uri.toString(), range.start.line, range.start.character]),
      [[setup.document.uri.toString(), 2, 6]],
    );
  });

  it("`sim.` in a later cell offers Simulation's members, each once", async () => {
    const edit = new vscode.WorkspaceEdit();
    edit.set(notebook.uri, [vscode.NotebookEdit.insertCells(notebook.cellCount, [new vscode.NotebookCellData(vscode.NotebookCellKind.Code, "sim.", "typescript")])]);
    assert.ok(await vscode.workspace.applyEdit(edit));
    const cell = notebook.cellAt(notebook.cellCount - 1);
    let labels: string[] = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !labels.includes("runUntil")) {
      const list = await vscode.commands.executeCommand<vscode.CompletionList>("vscode.executeCompletionItemProvider", cell.document.uri, new vscode.Position(0, 4));
      labels = list.items.filter((i) => i.kind !== vscode.CompletionItemKind.Text).map((i) => (typeof i.label === "string" ? i.label : i.label.label));
      if (!labels.includes("runUntil")) await pause(500);
    }
    for (const member of ["run", "runFor", "runUntil", "client", "service", "faults", "metrics", "network", "trace"]) assert.ok(labels.includes(member), `completions lack ${member}: ${labels.join(", ")}`);
    const duplicates = labels.filter((l, i) => labels.indexOf(l) !== i);
    assert.deepEqual(duplicates, [], "a completion is offered twice");
    await focusCell(editor, cell, 4);
    await vscode.commands.executeCommand("editor.action.triggerSuggest");
    await pause(1_500);
    await screenshot("editor-completions");
    await vscode.commands.executeCommand("hideSuggestWidget");
    const remove = new vscode.WorkspaceEdit();
    remove.set(notebook.uri, [vscode.NotebookEdit.deleteCells(new vscode.NotebookRange(cell.index, cell.index + 1))]);
    assert.ok(await vscode.workspace.applyEdit(remove));
  });

  it("a type error and an undeclared name are flagged on their cells, in the cell and the Problems panel", async () => {
    const typeError = cellById(notebook, "type-error");
    const undeclared = cellById(notebook, "undeclared");
    await waitForProblems(typeError, ["0:6 2322 Type 'string' is not assignable to type 'number'."]);
    await waitForProblems(undeclared, ["0:24 2304 Cannot find name 'undeclaredName'."]);
    for (const id of ["setup", "later"]) assert.deepEqual(problemsOf(cellById(notebook, id)), [], `cell ${id} has problems`);
    editor.revealRange(new vscode.NotebookRange(typeError.index, undeclared.index + 1), vscode.NotebookEditorRevealType.InCenter);
    await vscode.commands.executeCommand("workbench.actions.view.problems");
    await pause(1_000);
    if (hasOuterRunner) {
      const check = await ask<{ found: Record<string, boolean> }>({ event: "dom-check", texts: ["Cannot find name 'undeclaredName'.", "Type 'string' is not assignable to type 'number'."] });
      assert.deepEqual(Object.values(check.found), [true, true], `Problems panel: ${JSON.stringify(check.found)}`);
    }
    await screenshot("editor-problems");
  });

  it("problems follow edits, added, deleted and moved cells", async () => {
    const typeError = cellById(notebook, "type-error");
    const undeclared = cellById(notebook, "undeclared");
    const fix = new vscode.WorkspaceEdit();
    fix.replace(typeError.document.uri, new vscode.Range(0, 18, 0, 21), "1");
    assert.ok(await vscode.workspace.applyEdit(fix));
    const afterEdit = await waitForProblems(typeError, []);
    // A new cell above declares the missing name; deleting it brings the error back.
    const add = new vscode.WorkspaceEdit();
    add.set(notebook.uri, [vscode.NotebookEdit.insertCells(undeclared.index, [new vscode.NotebookCellData(vscode.NotebookCellKind.Code, "const undeclaredName = 1;", "typescript")])]);
    assert.ok(await vscode.workspace.applyEdit(add));
    const afterAdd = await waitForProblems(undeclared, []);
    const remove = new vscode.WorkspaceEdit();
    remove.set(notebook.uri, [vscode.NotebookEdit.deleteCells(new vscode.NotebookRange(undeclared.index - 1, undeclared.index))]);
    assert.ok(await vscode.workspace.applyEdit(remove));
    const afterDelete = await waitForProblems(undeclared, ["0:24 2304 Cannot find name 'undeclaredName'."]);
    // Moved above the cell that declares `doubled`, the cell cannot see it; moved back, it can.
    const moveTo = async (from: number, to: number) => {
      editor.selections = [new vscode.NotebookRange(from, from + 1)];
      for (let i = from; i > to; i--) await vscode.commands.executeCommand("notebook.cell.moveUp");
      for (let i = from; i < to; i++) await vscode.commands.executeCommand("notebook.cell.moveDown");
    };
    const home = undeclared.index;
    const later = cellById(notebook, "later");
    await moveTo(home, later.index);
    assert.ok(undeclared.index < later.index, "the cell moved above");
    const t0 = Date.now();
    await waitForProblems(undeclared, ["0:14 2304 Cannot find name 'doubled'.", "0:24 2304 Cannot find name 'undeclaredName'."]);
    const afterMove = Date.now() - t0;
    await moveTo(undeclared.index, home);
    await waitForProblems(undeclared, ["0:24 2304 Cannot find name 'undeclaredName'."]);
    console.log(`[editor] problems updated ${afterEdit} ms after an edit, ${afterAdd} ms after adding a cell, ${afterDelete} ms after deleting one, ${afterMove} ms after a move`);
  });

  it("the shipped notebooks show zero problems", async () => {
    const shipped = (await vscode.workspace.findFiles("[0-9][0-9]-*.sdenb")).sort((a, b) => a.path.localeCompare(b.path));
    assert.ok(shipped.length >= 2, "the shipped notebooks are in the workspace");
    for (const uri of shipped) {
      const nb = await vscode.workspace.openNotebookDocument(uri);
      await vscode.window.showNotebookDocument(nb);
      const cells = nb.getCells().filter((c) => c.kind === vscode.NotebookCellKind.Code);
      // The same request the extension makes, answered by the real tsserver and our plugin.
      const response = await vscode.commands.executeCommand<{ body?: NotebookDiagnosticsBody }>("typescript.tsserverRequest", DIAGNOSTICS_REQUEST, {
        notebook: nb.uri.path,
        cells: cells.map((c) => ({ key: cellKeyOfUri(c.document.uri), text: c.document.getText() })),
      });
      assert.deepEqual(response.body?.diagnostics, [], `${uri.path}: ${JSON.stringify(response.body?.diagnostics)}`);
      await pause(1_500);
      const published = cells.flatMap((c) => problemsOf(c).map((p) => `cell ${c.index}: ${p}`));
      assert.deepEqual(published, [], `${uri.path} shows problems`);
    }
    await vscode.commands.executeCommand("workbench.actions.view.problems");
    await pause(500);
    await screenshot("editor-shipped-notebooks");
  });

  // The 1 s / 200 ms targets are held by `npm run bench editor` (CPU time). Here, on shared
  // cores, the notebook is measured side by side with VS Code's own TypeScript on one .ts file
  // of the same code, edited the same way; the times go to editor-timings.json.
  it("a 100-cell notebook: errors and completions come about as fast as in one .ts file of the same code", async function () {
    this.timeout(240_000);
    const sources = benchNotebookCells(100);
    const lab = join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, "dist");
    // Baseline: the same code as one .ts file, in a project that resolves sde-lab and Node like the notebook does.
    const tsDir = workspaceUri("bench-ts");
    await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(tsDir, "notebook.ts"), new TextEncoder().encode(benchAsOneFile(sources)));
    const tsconfig = {
      compilerOptions: { target: "ES2022", module: "ESNext", moduleResolution: "Bundler", lib: ["ES2023"], strict: true, skipLibCheck: true, noEmit: true, typeRoots: [join(lab, "types/node_modules/@types")], types: ["node"], paths: { "sde-lab": [join(lab, "lab/index.d.ts")] } },
      files: ["notebook.ts", join(lab, "lab/globals.d.ts")],
    };
    await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(tsDir, "tsconfig.json"), new TextEncoder().encode(JSON.stringify(tsconfig)));
    const tsDoc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(tsDir, "notebook.ts"));
    await vscode.window.showTextDocument(tsDoc);
    const tsCodes = () => vscode.languages.getDiagnostics(tsDoc.uri).map((d) => String(typeof d.code === "object" ? d.code.value : d.code));
    // Ready when a completion answers with the lab's types (the project has loaded).
    const marker = 'describe50("cell 50")';
    const tsEnd = () => tsDoc.positionAt(tsDoc.getText().indexOf(marker) + marker.length);
    const hover = await hoverText({ document: tsDoc }, tsDoc.getText().indexOf("sim50 ="), /const sim50: Simulation/);
    assert.match(hover, /const sim50: Simulation/);
    const tsEdit = new vscode.WorkspaceEdit();
    tsEdit.insert(tsDoc.uri, tsEnd(), '\nconst wrong: number = "x";');
    let t0 = Date.now();
    assert.ok(await vscode.workspace.applyEdit(tsEdit));
    await waitFor("the new error in the .ts file", () => tsCodes().includes("2322"), 60_000);
    const tsEditToProblemMs = Date.now() - t0;
    const tsTyping = new vscode.WorkspaceEdit();
    tsTyping.insert(tsDoc.uri, tsEnd(), "\nsim50.");
    assert.ok(await vscode.workspace.applyEdit(tsTyping));
    t0 = Date.now();
    const tsList = await vscode.commands.executeCommand<vscode.CompletionList>("vscode.executeCompletionItemProvider", tsDoc.uri, tsEnd().translate(1, 6));
    const tsCompletionMs = Date.now() - t0;
    assert.ok(tsList.items.some((i) => (typeof i.label === "string" ? i.label : i.label.label) === "runUntil"), "baseline: Simulation's members are offered");

    const cells = sources.map((source) => ({ kind: "code", language: "typescript", source, metadata: {} }));
    const uri = workspaceUri("bench-100.sdenb");
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(JSON.stringify({ format: "sde-notebook", version: 1, metadata: {}, cells })));
    const nb = await vscode.workspace.openNotebookDocument(uri);
    const shown = await vscode.window.showNotebookDocument(nb);
    t0 = Date.now();
    const first = await vscode.commands.executeCommand<{ body?: NotebookDiagnosticsBody }>("typescript.tsserverRequest", DIAGNOSTICS_REQUEST, {
      notebook: nb.uri.path,
      cells: nb.getCells().map((c) => ({ key: cellKeyOfUri(c.document.uri), text: c.document.getText() })),
    });
    const firstCheckMs = Date.now() - t0;
    assert.deepEqual(first.body?.diagnostics, []);
    // The same edit in cell 50: time until the error is on the cell.
    const cell = nb.cellAt(50);
    const edit = new vscode.WorkspaceEdit();
    edit.insert(cell.document.uri, cell.document.positionAt(cell.document.getText().length), '\nconst wrong: number = "x";');
    t0 = Date.now();
    assert.ok(await vscode.workspace.applyEdit(edit));
    await waitFor("the new error on cell 50", () => problemsOf(cell).some((p) => p.includes("2322")), 60_000);
    const editToProblemMs = Date.now() - t0;
    // Typing `sim50.` then asking for completions, as the suggest widget does.
    const typing = new vscode.WorkspaceEdit();
    typing.insert(cell.document.uri, cell.document.positionAt(cell.document.getText().length), "\nsim50.");
    assert.ok(await vscode.workspace.applyEdit(typing));
    t0 = Date.now();
    const list = await vscode.commands.executeCommand<vscode.CompletionList>("vscode.executeCompletionItemProvider", cell.document.uri, cell.document.positionAt(cell.document.getText().length));
    const completionMs = Date.now() - t0;
    assert.ok(list.items.some((i) => (typeof i.label === "string" ? i.label : i.label.label) === "runUntil"), "Simulation's members are offered");

    const timings = { cells: 100, firstCheckMs, notebook: { editToProblemMs, completionMs }, oneTsFile: { editToProblemMs: tsEditToProblemMs, completionMs: tsCompletionMs } };
    if (process.env.SDE_E2E_RESULTS) writeFileSync(join(process.env.SDE_E2E_RESULTS, "editor-timings.json"), JSON.stringify(timings, null, 2));
    console.log(`[editor] ${JSON.stringify(timings)}`);
    shown.revealRange(new vscode.NotebookRange(50, 51), vscode.NotebookEditorRevealType.InCenter);
    await pause(500);
    await screenshot("editor-100-cells");
    // Ours adds a debounce (150 ms) and one request; VS Code's own waits 300-800 ms before asking.
    assert.ok(editToProblemMs <= 2 * tsEditToProblemMs + 500, `the error took ${editToProblemMs} ms to show (one .ts file: ${tsEditToProblemMs} ms)`);
    assert.ok(completionMs <= 2 * tsCompletionMs + 200, `completion took ${completionMs} ms (one .ts file: ${tsCompletionMs} ms)`);
  });
});
