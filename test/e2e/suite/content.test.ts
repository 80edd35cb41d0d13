/**
 * The content machinery in a real VS Code: Insert Pattern Snippet (notebook cell and
 * TypeScript editor), Preview Architecture Diagram (draws an SVG, follows the theme, exports
 * SVG and PNG, shows hostile labels as text, shows parse errors, updates live), the heading
 * cell's links, and the walkthrough.
 */
import * as assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as vscode from "vscode";
import { ask, hasOuterRunner, screenshot } from "./outer";
import { EXTENSION_ID, openAndShow, outputItems, runCells, workspaceUri } from "./util";

interface PreviewState {
  name: string;
  ok: boolean;
  theme: string;
  svg?: string;
  error?: string;
  renders: number;
}
interface WebviewCheck {
  frames: { matches: number; text: string; svgText: string; injected: number; globals: Record<string, string>; bodyClass: string }[];
  dialogs: string[];
}

const slug = (s: string) => s.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "").toLowerCase();
const state = async () => vscode.commands.executeCommand<PreviewState | undefined>("sdeLab._previewState");

/** The words of an SVG's labels (Mermaid puts each word of a label in its own tspan). */
const labelText = (svg = "") => svg.replace(/<style>[\s\S]*?<\/style>/g, " ").replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");

/** Waits for the preview to draw `name` again (after `after` draws), with an SVG matching `svg` if given. */
async function drawn(name: string, after: number, what = `the preview to draw ${name}`, svg?: RegExp, timeoutMs = 20_000): Promise<PreviewState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await state();
    if (s && s.name === name && s.renders > after && (!svg || svg.test(labelText(s.svg)))) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last state: ${JSON.stringify({ ...s, svg: s?.svg?.replace(/<style>[\s\S]*?<\/style>/, "").slice(0, 600) })}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const rendersSoFar = async () => (await state())?.renders ?? 0;

async function waitForActiveNotebook(name: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!vscode.window.activeNotebookEditor?.notebook.uri.path.endsWith(name)) {
    if (Date.now() > deadline) throw new Error(`${name} did not open`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function setTheme(theme: string | undefined): Promise<void> {
  await vscode.workspace.getConfiguration("workbench").update("colorTheme", theme, vscode.ConfigurationTarget.Global);
}

describe("SDE Lab content: snippets, diagram preview, walkthrough", function () {
  this.timeout(90_000);

  afterEach(async function () {
    if (this.currentTest?.state === "failed") await screenshot(`failed-${slug(this.currentTest.title)}`);
  });

  before(async () => {
    // The tests read the preview through a command that is not contributed, so no
    // activation event covers it when this suite runs on its own.
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
  });

  after(async () => {
    await setTheme(undefined);
  });

  it("Insert Pattern Snippet adds a code cell below the selected one, and the cell runs", async () => {
    const { notebook, editor } = await openAndShow("content.sdenb");
    editor.selections = [new vscode.NotebookRange(0, 1)];
    const before = notebook.cellCount;
    const result = await vscode.commands.executeCommand<{ into: string; index: number }>("sdeLab.insertSnippet", "timeout");
    assert.deepEqual(result, { into: "cell", index: 1 });
    assert.equal(notebook.cellCount, before + 1);
    const cell = notebook.cellAt(1);
    assert.equal(cell.kind, vscode.NotebookCellKind.Code);
    assert.match(cell.document.getText(), /new TimeoutPolicy\(sim, \{\n {2}timeoutMs: 200,/);
    assert.doesNotMatch(cell.document.getText(), /\/\*\$\d\*\//, "tab-stop comments are removed in a cell");
    assert.deepEqual(editor.selections.map((r) => [r.start, r.end]), [[1, 2]], "the new cell is selected");
    await runCells(notebook, [1], 60_000);
    assert.equal(cell.executionSummary?.success, true, JSON.stringify(outputItems(cell)));
    const text = outputItems(cell).map(([, t]) => t).join("\n");
    assert.match(text, /timedOut/);
    await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
  });

  it("Insert Pattern Snippet inserts at the cursor of a TypeScript editor, with its tab stops", async () => {
    const doc = await vscode.workspace.openTextDocument({ language: "typescript", content: "// retry\n" });
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(1, 0, 1, 0);
    const result = await vscode.commands.executeCommand<{ into: string }>("sdeLab.insertSnippet", "retry-backoff");
    assert.deepEqual(result, { into: "editor" });
    const text = doc.getText();
    assert.match(text, /^\/\/ retry\n\/\/ Retry with exponential backoff/);
    assert.match(text, /const retry = new RetryPolicy\(sim, \{\n {2}maxAttempts: 5,/);
    assert.doesNotMatch(text, /\/\*\$\d\*\/|\$\{\d/);
    // The first tab stop (the seed) is selected, ready to be typed over.
    assert.equal(doc.getText(editor.selection), "1");
    await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
  });

  it("the preview draws a catalog pattern's diagram as an SVG beside its explanation", async () => {
    await setTheme("Default Dark Modern");
    const before = await rendersSoFar();
    await vscode.commands.executeCommand("sdeLab.previewDiagram", "circuit-breaker");
    const s = await drawn("circuit-breaker.mmd", before);
    assert.equal(s.ok, true, s.error);
    assert.match(s.svg ?? "", /^<svg[\s>]/);
    assert.match(s.svg ?? "", /CLOSED|Closed/);
    assert.equal(s.theme, "dark");
    if (!hasOuterRunner) return;
    const page = await ask<WebviewCheck>({ event: "webview-check", selector: "#stage svg" });
    assert.equal(page.frames.length, 1, "one preview page with a drawn svg");
    assert.match(page.frames[0]!.text, /Circuit breaker/);
    assert.match(page.frames[0]!.text, /HALF_OPEN/);
    await screenshot("preview-dark");
  });

  it("the preview follows the colour theme: light, high contrast, dark", async () => {
    for (const [theme, family] of [
      ["Default Light Modern", "light"],
      ["Default High Contrast", "high-contrast"],
      ["Default Dark Modern", "dark"],
    ] as const) {
      const before = await rendersSoFar();
      await setTheme(theme);
      const redrawn = await drawn("circuit-breaker.mmd", before, `a redraw in the ${family} theme`);
      assert.equal(redrawn.theme, family);
      assert.equal(redrawn.ok, true);
      if (family !== "dark") await screenshot(`preview-${family}`);
    }
  });

  it("exports the diagram as a valid SVG and a valid PNG", async () => {
    const dir = vscode.Uri.file(join(tmpdir(), `sde-export-${Date.now()}`));
    await vscode.workspace.fs.createDirectory(dir);
    const svgUri = vscode.Uri.joinPath(dir, "breaker.svg");
    const written = await vscode.commands.executeCommand<vscode.Uri | undefined>("sdeLab.exportDiagram", "svg", svgUri);
    assert.equal(written?.toString(), svgUri.toString());
    const svg = new TextDecoder().decode(await vscode.workspace.fs.readFile(svgUri));
    assert.match(svg, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg.trimEnd(), /<\/svg>$/);
    const pngUri = vscode.Uri.joinPath(dir, "breaker.png");
    await vscode.commands.executeCommand("sdeLab.exportDiagram", "png", pngUri);
    const png = await vscode.workspace.fs.readFile(pngUri);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "PNG signature");
    if (!hasOuterRunner) return;
    const svgImage = await ask<{ ok: boolean; width: number; height: number; error?: string }>({ event: "image-check", file: svgUri.fsPath, mime: "image/svg+xml" });
    assert.equal(svgImage.ok, true, svgImage.error);
    assert.ok(svgImage.width > 50 && svgImage.height > 50, `the SVG decodes to ${svgImage.width}×${svgImage.height}`);
    const pngImage = await ask<{ ok: boolean; width: number; height: number; error?: string }>({ event: "image-check", file: pngUri.fsPath, mime: "image/png" });
    assert.equal(pngImage.ok, true, pngImage.error);
    assert.ok(pngImage.width > 100, `the PNG is ${pngImage.width} px wide`);
  });

  it("shows HTML and script in labels as text and runs no script", async () => {
    const before = await rendersSoFar();
    await vscode.commands.executeCommand("sdeLab.previewDiagram", workspaceUri("diagrams", "hostile-labels.mmd"));
    const s = await drawn("hostile-labels.mmd", before);
    assert.equal(s.ok, true, s.error);
    assert.doesNotMatch(s.svg ?? "", /<img\b|<script\b|\sonerror=/i, "no live img or script element in the drawn svg");
    if (!hasOuterRunner) return;
    // Give a payload that slipped through time to fire before looking.
    await new Promise((r) => setTimeout(r, 1_000));
    const page = await ask<WebviewCheck>({ event: "webview-check", selector: "#stage svg", globals: ["sdeXss"] });
    const frame = page.frames[0]!;
    // Mermaid's strict sanitiser drops the handler and the script; what is left of the markup
    // is drawn as text, never as an element.
    assert.match(frame.svgText, /<img src="x">/, `the label shows the img tag as text: ${frame.svgText}`);
    assert.match(frame.svgText, /script\s*label/);
    assert.doesNotMatch(frame.svgText, /onerror|window\.sdeXss/, "the handler and the script's code are gone");
    assert.equal(frame.injected, 0, "no img, script or iframe element inside the diagram");
    assert.deepEqual(frame.globals, { sdeXss: "undefined" }, "the payload did not run");
    assert.deepEqual(page.dialogs, [], "no alert() dialog opened");
    await screenshot("preview-hostile-labels");
  });

  it("a diagram that does not parse shows Mermaid's message with its line", async () => {
    const before = await rendersSoFar();
    await vscode.commands.executeCommand("sdeLab.previewDiagram", workspaceUri("diagrams", "broken.mmd"));
    const s = await drawn("broken.mmd", before);
    assert.equal(s.ok, false);
    assert.match(s.error ?? "", /Parse error on line 3/);
    if (!hasOuterRunner) return;
    const page = await ask<WebviewCheck>({ event: "webview-check", selector: "#error:not([hidden])" });
    assert.match(page.frames[0]?.text ?? "", /Mermaid could not draw broken\.mmd:[\s\S]*Parse error on line 3/);
    await screenshot("preview-parse-error");
  });

  it("updates live when the .mmd changes on disk and in an editor, in one reused panel", async () => {
    const uri = workspaceUri("diagrams", "custom.mmd");
    let before = await rendersSoFar();
    await vscode.commands.executeCommand("sdeLab.previewDiagram", uri);
    await drawn("custom.mmd", before);
    before = await rendersSoFar();
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode("flowchart LR\n  client[Client] --> gateway[Edge proxy]\n"));
    assert.match(new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)), /Edge proxy/);
    const fromDisk = await drawn("custom.mmd", before, "a redraw after the file changed on disk", /Edge proxy/);
    assert.equal(fromDisk.ok, true);
    const doc = await vscode.workspace.openTextDocument(uri);
    // Beside the preview, so the preview stays visible while the text changes.
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside });
    before = await rendersSoFar();
    await editor.edit((e) => e.replace(new vscode.Range(0, 0, doc.lineCount, 0), "flowchart LR\n  client[Client] --> mesh[Unsaved label]\n"));
    const fromEditor = await drawn("custom.mmd", before, "a redraw after an unsaved edit", /Unsaved label/);
    assert.equal(fromEditor.ok, true);
    const previews = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.includes("sdeLab.diagramPreview"));
    assert.equal(previews.length, 1, "one preview panel, reused");
    await vscode.commands.executeCommand("workbench.action.files.revert");
  });

  it("the section's first code cell links to the preview; a command: link in notebook markdown does not run", async function () {
    if (!hasOuterRunner) this.skip();
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    const { editor } = await openAndShow("content.sdenb");
    editor.revealRange(new vscode.NotebookRange(0, 1), vscode.NotebookEditorRevealType.AtTop);
    await new Promise((r) => setTimeout(r, 1_500));
    let before = await rendersSoFar();
    const link = await ask<{ clicked: boolean; error?: string }>({ event: "click-text", text: "Command link to the preview" });
    assert.equal(link.clicked, true, `the markdown link is on the page and takes a click: ${link.error}`);
    await new Promise((r) => setTimeout(r, 3_000));
    const afterLink = await state();
    assert.ok(!afterLink || afterLink.renders === before, "VS Code refuses command: links from notebook markdown unless the command is on its allow list");
    before = await rendersSoFar();
    const item = await ask<{ clicked: boolean; error?: string }>({ event: "click-text", text: "Preview diagram" });
    assert.equal(item.clicked, true, `the first code cell's status bar shows Preview diagram: ${item.error}`);
    const s = await drawn("circuit-breaker.mmd", before, "the preview opened from the heading cell's status bar");
    assert.equal(s.ok, true);
  });

  it("the walkthrough opens with its five steps, ticked off by the real events", async function () {
    const walkthrough = () => vscode.commands.executeCommand("workbench.action.openWalkthrough", "sde-lab.sde-lab#sdeLab.gettingStarted", false);
    // VS Code's walkthrough service starts with the first walkthrough shown and only sees what
    // happens after, and it hears only commands run through the workbench (as a click does),
    // so the commands go through the built-in runCommands rather than straight to the extension.
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    await walkthrough();
    await new Promise((r) => setTimeout(r, 1_000));
    const viaWorkbench = (command: string, ...args: unknown[]) => vscode.commands.executeCommand("runCommands", { commands: [{ command, args }] });
    await viaWorkbench("sdeLab.openWelcome");
    await waitForActiveNotebook("00-welcome.sdenb");
    const before = await rendersSoFar();
    await viaWorkbench("sdeLab.previewDiagram", "timeout");
    await drawn("timeout.mmd", before);
    const { notebook } = await openAndShow("content.sdenb");
    await viaWorkbench("sdeLab.insertSnippet", "bulkhead");
    // A cell whose output reports a passed challenge, as a check cell's report does.
    const edit = new vscode.WorkspaceEdit();
    const report = 'import { text } from "sde-lab";\ntext("Challenge walkthrough-demo: PASSED (1 of 1 targets, seeds 1, 2, 3)")';
    edit.set(notebook.uri, [vscode.NotebookEdit.insertCells(notebook.cellCount, [new vscode.NotebookCellData(vscode.NotebookCellKind.Code, report, "typescript")])]);
    await vscode.workspace.applyEdit(edit);
    await runCells(notebook, [notebook.cellCount - 1], 60_000);
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    await walkthrough();
    if (!hasOuterRunner) return;
    const texts = ["Get started with SDE Lab", "Open the welcome notebook", "Run a cell", "Insert a pattern snippet", "Preview an architecture diagram", "Pass a first challenge"];
    const check = await ask<{ found: Record<string, boolean> }>({ event: "dom-check", texts });
    assert.deepEqual(check.found, Object.fromEntries(texts.map((t) => [t, true])));
    const steps = await ask<WebviewCheck>({ event: "webview-check", selector: ".codicon-getting-started-step-checked" });
    await screenshot("walkthrough");
    assert.equal(steps.frames[0]?.matches ?? 0, 5, "all five steps are ticked off");
  });
});
