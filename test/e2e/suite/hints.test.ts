// A build challenge's hint cells (metadata `collapsed: true`) in the real VS Code: they open
// collapsed (only the one-line header "Hint 1 of 3 (nudge)" shows, the hint's text is not on
// screen), a click on the placeholder's expand icon shows one hint and leaves the others
// closed, and none of this touches the file.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { ask, hasOuterRunner, report, screenshot } from "./outer";
import { workspaceUri } from "./util";

const idOf = (c: vscode.NotebookCell) => (c.metadata.sdeLab as { id?: string } | undefined)?.id;

interface Row {
  drawn: boolean;
  collapsed?: boolean;
  preview?: string;
}
type Rows = { rows: Record<string, Row>; clicked?: true | string };

/** A run of plain words from a hint's body (markdown marks render differently). */
function plainWords(cell: vscode.NotebookCell): string {
  const body = cell.document.getText().split("\n").filter((l) => l.trim() !== "").at(-1)!;
  return body.split(/[`*_[\]()]/).sort((a, b) => b.length - a.length)[0]!.trim().slice(0, 30);
}

describe("Hint cells", function () {
  afterEach(async function () {
    if (this.currentTest?.state === "failed") await screenshot("failed-hints");
  });

  it("open collapsed to their header; expanding one shows its text only; the file is unchanged", async function () {
    this.timeout(240_000);
    if (!hasOuterRunner) this.skip();
    // A copy of its own, so no other test has shown (or expanded) this notebook already.
    const source = workspaceUri("01-microservices.sdenb");
    const copy = workspaceUri("hints-01.sdenb");
    await vscode.workspace.fs.copy(source, copy, { overwrite: true });
    const before = await vscode.workspace.fs.readFile(copy);
    const opened0 = Date.now();
    const notebook = await vscode.workspace.openNotebookDocument(copy);
    const editor = await vscode.window.showNotebookDocument(notebook);
    const hints = [1, 2, 3].map((n) => notebook.getCells().find((c) => idOf(c) === `bulkhead-hint-${n}`)!);
    assert.ok(hints.every(Boolean), "no bulkhead-hint-1..3 cells");
    const indexes = hints.map((c) => c.index);
    const words = hints.map(plainWords);
    editor.revealRange(new vscode.NotebookRange(indexes[0]! - 1, indexes[0]!), vscode.NotebookEditorRevealType.AtTop);

    // Collapsed: each hint row shows VS Code's collapsed placeholder with the header line.
    let closed: Rows;
    const drawnBy = Date.now() + 20_000;
    do {
      await new Promise((r) => setTimeout(r, 500));
      closed = await ask<Rows>({ event: "notebook-rows", indexes });
    } while (!Object.values(closed.rows).every((row) => row.drawn && row.collapsed) && Date.now() < drawnBy);
    assert.deepEqual(
      indexes.map((i) => closed.rows[i]),
      // VS Code's placeholder shows the cell's first source line as text: "Hint 1 of 3 (nudge)".
      hints.map((c) => ({ drawn: true, collapsed: true, preview: c.document.lineAt(0).text })),
    );
    // VS Code draws markdown previews in idle time, whatever the collapse state, and SDE Lab
    // collapses untouched hints again every 2 s (src/notebook/collapsed-cells.ts): a hint's text
    // may flash over its row until then, never longer. Watch for 8 s, once a second.
    let run = 0;
    let longest = 0;
    let seen = 0;
    let last: { found: Record<string, boolean>; where: object } | undefined;
    for (let k = 0; k < 8; k++) {
      await new Promise((r) => setTimeout(r, 1_000));
      last = await ask<{ found: Record<string, boolean>; where: object }>({ event: "visible-texts", texts: words }, 60_000);
      const shown = Object.values(last.found).some(Boolean);
      run = shown ? run + 1 : 0;
      seen += shown ? 1 : 0;
      longest = Math.max(longest, run);
      if (shown) report({ event: "metric", name: `hints: text on screen ${Date.now() - opened0} ms after opening`, value: JSON.stringify(last.where) });
    }
    report({ event: "metric", name: "hints: probes (of 8) with a hint's text on screen", value: seen });
    assert.ok(longest <= 2, `a hint's text stayed on screen for ${longest} probes in a row (1 s apart)`);
    assert.deepEqual(last!.found, Object.fromEntries(words.map((w) => [w, false])), `a hint's text is on screen before the learner opened it: ${JSON.stringify(last!.where)}`);
    await screenshot("hints-collapsed");

    // The learner clicks the first hint's expand icon: its text shows, the other two stay closed.
    const opened = await ask<Rows>({ event: "notebook-rows", indexes, click: ".expandInputIcon" });
    assert.equal(opened.clicked, true, `could not click the expand icon: ${String(opened.clicked)}`);
    const deadline = Date.now() + 15_000;
    let after: { found: Record<string, boolean> };
    do {
      await new Promise((r) => setTimeout(r, 500));
      after = await ask<{ found: Record<string, boolean> }>({ event: "visible-texts", texts: words }, 60_000);
    } while (!after.found[words[0]!] && Date.now() < deadline);
    assert.deepEqual(after.found, { [words[0]!]: true, [words[1]!]: false, [words[2]!]: false });
    const rows = await ask<Rows>({ event: "notebook-rows", indexes });
    assert.deepEqual(
      indexes.map((i) => rows.rows[i]?.collapsed),
      [false, true, true],
    );
    await screenshot("hints-first-open");

    // Later and after scrolling (VS Code renders markdown previews in idle time, and SDE Lab
    // collapses untouched hints again while the editor settles): still only the first is open.
    await new Promise((r) => setTimeout(r, 8_000));
    editor.revealRange(new vscode.NotebookRange(indexes[0]! - 3, indexes[0]! - 2), vscode.NotebookEditorRevealType.AtTop);
    await new Promise((r) => setTimeout(r, 1_500));
    editor.revealRange(new vscode.NotebookRange(indexes[0]! - 1, indexes[0]!), vscode.NotebookEditorRevealType.AtTop);
    await new Promise((r) => setTimeout(r, 1_500));
    const later = await ask<{ found: Record<string, boolean>; where: object }>({ event: "visible-texts", texts: words }, 60_000);
    assert.deepEqual(later.found, { [words[0]!]: true, [words[1]!]: false, [words[2]!]: false }, JSON.stringify(later.where));
    const laterRows = await ask<Rows>({ event: "notebook-rows", indexes });
    assert.deepEqual(
      indexes.map((i) => laterRows.rows[i]?.collapsed),
      [false, true, true],
    );

    // Collapse state is the editor's view state, not an edit: the notebook is not dirty, and
    // saving writes the file back byte for byte (metadata `collapsed: true` kept as written).
    assert.equal(notebook.isDirty, false, "expanding a hint marked the notebook as changed");
    await notebook.save();
    assert.deepEqual(Buffer.from(await vscode.workspace.fs.readFile(copy)), Buffer.from(before));
    await vscode.commands.executeCommand("workbench.action.closeActiveEditor");
  });
});
