import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ask, hasOuterRunner, report, screenshot } from "./outer";
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

  it("interrupts a while(true) cell within 2 s with the Interrupt command and keeps the variables of earlier cells", async () => {
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
    assert.equal(JSON.parse(outputText(loop, ERROR_MIME)!).stack, "Interrupted: the cell was stopped; the kernel keeps its variables.");
    await runCells(notebook, [2]);
    assert.equal(outputText(notebook.cellAt(2), "text/plain"), "'string'");
  });

  it("restarts within 1 s a loop that SIGINT cannot stop (after an await), saying the state is gone", async () => {
    const { notebook } = await openAndShow("loop.sdenb");
    await runCells(notebook, [0]);
    const loop = notebook.cellAt(4);
    void vscode.commands.executeCommand("notebook.cell.execute", { ranges: [{ start: 4, end: 5 }], document: notebook.uri });
    await new Promise((r) => setTimeout(r, 700));
    const t0 = Date.now();
    await vscode.commands.executeCommand("notebook.cancelExecution");
    await waitFor("the loop cell to stop", () => finished(loop, t0), 2_000);
    const took = Date.now() - t0;
    report({ event: "metric", name: "interrupt of a loop after an await, command to cell end (ms)", value: took });
    // The kernel side is held to 1 s in the unit tests; here VS Code's round trips add to it.
    assert.ok(took < 2_000, `interrupt took ${took} ms`);
    assert.equal(JSON.parse(outputText(loop, ERROR_MIME)!).message, "The cell did not stop when interrupted, so the kernel was restarted and its variables were cleared.");
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

  it("process.kill(process.pid) in a cell ends only the kernel: the cell says so, another notebook's cell still runs", async () => {
    const { notebook } = await openAndShow("kernel.sdenb");
    await runCells(notebook, [cellIndex(notebook, "kill")]);
    const kill = notebook.cellAt(cellIndex(notebook, "kill"));
    const error = JSON.parse(outputText(kill, ERROR_MIME)!) as { name: string; message: string };
    assert.deepEqual([error.name, error.message], [
      "KernelDied",
      "The kernel stopped because its process received SIGTERM (for example from process.kill(process.pid)); the next run starts a fresh kernel.",
    ]);
    const other = await openAndShow("small.sdenb");
    await runCells(other.notebook, [1]);
    assert.equal(outputText(other.notebook.cellAt(1), "text/plain"), "21");
    const again = await openAndShow("kernel.sdenb");
    await runCells(again.notebook, [cellIndex(again.notebook, "next")]);
    assert.equal(outputText(again.notebook.cellAt(cellIndex(again.notebook, "next")), "text/plain"), "'next ran'");
  });

  it("100,000 console.log lines: the cell is capped, ends within 2 s of its code, and the next cell runs at once", async function () {
    this.timeout(90_000);
    const { notebook } = await openAndShow("kernel.sdenb");
    const [loud, next, doneAt] = ["loud", "next", "done-at"].map((id) => cellIndex(notebook, id));
    // A trivial cell's time on this machine now, to compare the cell after the loud one with.
    const quiet = Date.now();
    await runCells(notebook, [next!]);
    const trivial = Date.now() - quiet;
    await runCells(notebook, [loud!], 60_000);
    const cell = notebook.cellAt(loud!);
    const text = outputItems(cell).map(([, data]) => data).join("");
    assert.ok(Buffer.byteLength(text) <= 1024 * 1024 + 500, `the cell holds ${Buffer.byteLength(text)} bytes`);
    assert.match(text, /… [\d,]+ lines \([\d.]+ [KM]B\) left out: a cell's output is capped at 1024 KB \(setting sdeLab\.kernel\.outputLimitKb\) …/);
    assert.ok(text.startsWith("line 0\n") && text.endsWith("line 99999\n"), "head and tail kept");
    await runCells(notebook, [doneAt!]);
    const codeEnded = Number(outputText(notebook.cellAt(doneAt!), "text/plain"));
    const cellEnded = cell.executionSummary!.timing!.endTime;
    report({ event: "metric", name: "100k lines: cell end after code end (ms)", value: cellEnded - codeEnded });
    assert.ok(cellEnded - codeEnded < 2_000, `the cell ended ${cellEnded - codeEnded} ms after its code`);
    const t0 = Date.now();
    await runCells(notebook, [next!]);
    assert.equal(outputText(notebook.cellAt(next!), "text/plain"), "'next ran'");
    const after = Date.now() - t0;
    report({ event: "metric", name: "cell after 100k lines vs a trivial cell before (ms)", value: `${after} vs ${trivial}` });
    assert.ok(after < Math.max(2_000, 2 * trivial + 1_000), `the next cell took ${after} ms (a trivial one ${trivial} ms)`);
    await notebook.save();
    const saved = await vscode.workspace.fs.readFile(notebook.uri);
    assert.ok(saved.byteLength < 1.2 * 1024 * 1024, `the saved file has ${saved.byteLength} bytes`);
  });

  it("1.2 GB of Uint8Arrays with a 256 MB limit ends the kernel with a message naming the setting", async function () {
    this.timeout(60_000);
    const config = vscode.workspace.getConfiguration("sdeLab.kernel");
    await config.update("memoryLimitMb", 256, vscode.ConfigurationTarget.Workspace);
    try {
      const { notebook } = await openAndShow("memory.sdenb");
      const started = Date.now();
      await vscode.commands.executeCommand("notebook.execute", notebook.uri);
      const hog = notebook.cellAt(cellIndex(notebook, "hog"));
      await waitFor("the memory hog to be stopped", () => finished(hog, started), 30_000);
      await new Promise((r) => setTimeout(r, 500));
      const error = JSON.parse(outputText(hog, ERROR_MIME)!) as { name: string; message: string };
      assert.deepEqual([error.name, error.message], [
        "KernelDied",
        "The kernel used more than its memory limit of 256 MB and was stopped (raise it with the setting sdeLab.kernel.memoryLimitMb); the next run starts a fresh kernel.",
      ]);
      // Run All stopped there: the cell after it did not run on a dead kernel's state.
      assert.equal(finished(notebook.cellAt(cellIndex(notebook, "after")), started), false);
    } finally {
      await config.update("memoryLimitMb", undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it("Run All stops at the first unexpected failure; a cell marked expectError does not stop it", async () => {
    const { notebook } = await openAndShow("runall.sdenb");
    const started = Date.now();
    await vscode.commands.executeCommand("notebook.execute", notebook.uri);
    const boom = notebook.cellAt(cellIndex(notebook, "boom"));
    await waitFor("Run All to reach the failing cell", () => finished(boom, started), 20_000);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(
      ["a", "expected", "c", "boom", "d"].map((id) => notebook.cellAt(cellIndex(notebook, id))).map((c) => (finished(c, started) ? c.executionSummary?.success : "not run")),
      [true, false, true, false, "not run"],
    );
  });

  it("a missing package names the package, the notebook's folder and the install command, at the cell's line", async () => {
    const { notebook } = await openAndShow("kernel.sdenb");
    const missing = notebook.cellAt(cellIndex(notebook, "missing"));
    await runCells(notebook, [missing.index]);
    const error = JSON.parse(outputText(missing, ERROR_MIME)!) as { name: string; message: string; stack: string };
    const folder = workspaceUri().fsPath;
    assert.equal(error.name, "PackageNotFoundError");
    assert.equal(error.message, `The package 'left-pad' is not installed: it was looked for in the notebook's folder (${folder}) and the folders above it. Install it there with: cd "${folder}" && npm install left-pad`);
    assert.match(error.stack, new RegExp(`at Cell ${missing.index + 1}:1:1$`));
    assert.doesNotMatch(error.stack, /__sde|kernel\.js|dist\//);
  });

  it("no crafted output runs script: saved markdown, text/html, application/javascript, and a cell's live markdown; the file round-trips", async function () {
    if (!hasOuterRunner) this.skip();
    const uri = workspaceUri("crafted.sdenb");
    const before = await vscode.workspace.fs.readFile(uri);
    const { notebook, editor } = await openAndShow("crafted.sdenb");
    for (let i = 1; i < notebook.cellCount; i++) {
      editor.revealRange(new vscode.NotebookRange(i, i + 1), vscode.NotebookEditorRevealType.AtTop);
      await new Promise((r) => setTimeout(r, 400));
    }
    const saved = await ask<{ found: Record<string, boolean> }>({ event: "dom-check", texts: ["saved markdown", "plain fallback"] });
    assert.deepEqual(saved.found, { "saved markdown": true, "plain fallback": true }, "the safe outputs did render");
    const kernel = await openAndShow("kernel.sdenb");
    const live = cellIndex(kernel.notebook, "live-markdown");
    await runCells(kernel.notebook, [live]);
    kernel.editor.revealRange(new vscode.NotebookRange(live, live + 1), vscode.NotebookEditorRevealType.AtTop);
    const shown = await ask<{ found: Record<string, boolean> }>({ event: "dom-check", texts: ["bold stays bold", "markdown"] });
    assert.equal(shown.found["bold stays bold"], true);
    await new Promise((r) => setTimeout(r, 1_000));
    const probe = await ask<{ pwned: string[]; frames: number }>({ event: "script-check" });
    assert.deepEqual(probe.pwned, [], `script ran in ${probe.frames} frames checked`);
    // Saved back (after an edit that makes it dirty and one that undoes it), the file is unchanged.
    const edit = new vscode.WorkspaceEdit();
    edit.set(uri, [vscode.NotebookEdit.updateNotebookMetadata({ ...notebook.metadata, probe: true })]);
    await vscode.workspace.applyEdit(edit);
    const undo = new vscode.WorkspaceEdit();
    const { probe: _probe, ...metadata } = notebook.metadata as Record<string, unknown>;
    undo.set(uri, [vscode.NotebookEdit.updateNotebookMetadata(metadata)]);
    await vscode.workspace.applyEdit(undo);
    await notebook.save();
    assert.equal(new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)), new TextDecoder().decode(before));
  });

  it("is fast in the real VS Code: a trivial cell, and Run All of 1,000 trivial cells against the headless runner", async function () {
    this.timeout(360_000);
    const { notebook } = await openAndShow("thousand.sdenb");
    await runCells(notebook, [0]);
    // One cell at a time, from the command to the cell's end, as the user waits for it.
    const single: number[] = [];
    for (let i = 0; i < 30; i++) single.push(await timeCell(notebook, i % 10));
    const spans = () => notebook.getCells().map((c) => c.executionSummary?.timing).filter((t) => t).map((t) => t!.endTime - t!.startTime);
    const t0 = Date.now();
    await runCells(notebook, undefined, 300_000);
    const runAll = Date.now() - t0;
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    const h0 = Date.now();
    const headless = spawnSync(process.execPath, [join(extension.extensionPath, "dist/cli.js"), "run", notebook.uri.fsPath], { env: { ...process.env, ELECTRON_RUN_AS_NODE: "1" }, encoding: "utf8" });
    const headlessMs = Date.now() - h0;
    assert.equal(headless.status, 0, headless.stdout + headless.stderr);
    const timings = notebook.getCells().map((c) => c.executionSummary?.timing).filter((t) => t !== undefined);
    const loopSpan = Math.max(...timings.map((t) => t.endTime)) - Math.min(...timings.map((t) => t.startTime));
    const gaps = timings.slice(1).map((t, i) => t.startTime - timings[i]!.endTime);
    const metrics = {
      "Run All: controller from the first cell's start to the last cell's end (s)": loopSpan / 1000,
      "Run All: gap between a cell's end and the next cell's start p50 (ms)": median(gaps),
      "trivial cell p50, command to end (ms)": median(single),
      "trivial cell p95, command to end (ms)": percentile(single, 95),
      "Run All cells: start to end p50 (ms)": median(spans()),
      "Run All of 1,000 cells (s)": runAll / 1000,
      "headless sde-lab run, same file (s)": headlessMs / 1000,
      "Run All vs headless": runAll / headlessMs,
    };
    for (const [name, value] of Object.entries(metrics)) report({ event: "metric", name, value: Math.round(value * 100) / 100 });
    // What SDE Lab controls: a cell's own execution, start to end. The rest of a cell's time
    // is VS Code's (its queue, the renderer's model updates), and grows with machine load:
    // reported above, held to the "before" numbers (384 s for Run All, 94-143 ms a cell).
    assert.ok(median(spans()) <= 50, `a trivial cell's execution takes ${median(spans())} ms at p50`);
    assert.ok(runAll <= 384_000, `Run All took ${runAll} ms`);
  });
});

function cellIndex(notebook: vscode.NotebookDocument, id: string): number {
  const index = notebook.getCells().findIndex((c) => (c.metadata.sdeLab as { id?: string } | undefined)?.id === id);
  assert.ok(index >= 0, `no cell ${id}`);
  return index;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function median(values: number[]): number {
  return percentile(values, 50);
}

/** Runs one cell and resolves with the time from the command to the cell's end. */
async function timeCell(notebook: vscode.NotebookDocument, index: number): Promise<number> {
  const cell = notebook.cellAt(index);
  const t0 = Date.now();
  const ended = new Promise<void>((resolve) => {
    const sub = vscode.workspace.onDidChangeNotebookDocument((e) => {
      if (e.notebook !== notebook) return;
      if (e.cellChanges.some((c) => c.cell === cell && c.executionSummary?.timing?.endTime !== undefined && c.executionSummary.timing.endTime >= t0)) {
        sub.dispose();
        resolve();
      }
    });
  });
  await vscode.commands.executeCommand("notebook.cell.execute", { ranges: [{ start: index, end: index + 1 }], document: notebook.uri });
  await ended;
  return Date.now() - t0;
}
