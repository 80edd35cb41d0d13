// Build challenges tried as a learner would, in the real VS Code: run the notebook's starter
// and its check (the report shows the first failing stage, the shrunk case and that run as a
// sequence diagram), then replace the starter with a solution written from the challenge's
// statement and hints alone (test/e2e/workspace/tryout/<id>.ts) and check again: it passes.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { ask, hasOuterRunner, screenshot } from "./outer";
import { openAndShow, runCells, workspaceUri } from "./util";

const idOf = (c: vscode.NotebookCell) => (c.metadata.sdeLab as { id?: string } | undefined)?.id;
/** The report is the check cell's last output (a failing case's replay may come before it). */
const report = (c: vscode.NotebookCell) => {
  const item = c.outputs.at(-1)?.items.find((i) => i.mime === "text/plain");
  return item ? new TextDecoder().decode(item.data) : "";
};

/** One challenge per section: its notebook and its id (cells `<id>-starter`, `<id>-check`). */
const TRYOUTS: { notebook: string; id: string }[] = [
  { notebook: "01-microservices.sdenb", id: "bulkhead" },
  { notebook: "02-distributed-data.sdenb", id: "cqrs" },
  { notebook: "03-protocols.sdenb", id: "long-polling" },
  { notebook: "04-messaging.sdenb", id: "at-least-once" },
];

describe("Build challenges, tried as a learner", function () {
  afterEach(async function () {
    if (this.currentTest?.state === "failed") await screenshot("failed-tryout");
  });

  for (const { notebook: file, id } of TRYOUTS) {
    it(`${id}: the starter fails stage 1 with a shrunk case and a sequence diagram; the learner's solution passes`, async function () {
      this.timeout(300_000);
      const { notebook, editor } = await openAndShow(file);
      const cell = (suffix: string) => {
        const c = notebook.getCells().find((x) => idOf(x) === `${id}-${suffix}`);
        assert.ok(c, `no cell ${id}-${suffix}`);
        return c;
      };
      const reveal = async (c: vscode.NotebookCell) => {
        editor.revealRange(new vscode.NotebookRange(c.index, c.index + 1), vscode.NotebookEditorRevealType.AtTop);
        await new Promise((r) => setTimeout(r, 800));
      };
      const starter = cell("starter");
      const check = cell("check");
      await runCells(notebook, [starter.index, check.index], 60_000);
      const failed = report(check);
      assert.match(failed, new RegExp(`^Challenge ${id}: FAILED at stage 1 of \\d`), failed.slice(0, 300));
      if (hasOuterRunner) {
        await reveal(check);
        // The rendered report: the stage table, the broken rule, the shrunk case and its run.
        const texts = ["What broke:", "Smallest failing case:"];
        const seen = await ask<{ found: Record<string, boolean>; mermaidSvgs: number }>({ event: "dom-check", texts, mermaid: true }, 90_000);
        assert.deepEqual(seen.found, Object.fromEntries(texts.map((t) => [t, true])));
        assert.ok(seen.mermaidSvgs >= 1, "the failing run's sequence diagram was not drawn");
        await screenshot(`tryout-${id}-failed`);
      }

      const solution = new TextDecoder().decode(await vscode.workspace.fs.readFile(workspaceUri("tryout", `${id}.ts`)));
      const edit = new vscode.WorkspaceEdit();
      edit.replace(starter.document.uri, new vscode.Range(0, 0, starter.document.lineCount, 0), solution);
      assert.ok(await vscode.workspace.applyEdit(edit), "could not replace the starter");
      await runCells(notebook, [starter.index, check.index], 60_000);
      const passed = report(check);
      assert.match(passed, new RegExp(`^Challenge ${id}: PASSED \\(\\d of \\d stages`), passed.slice(0, 600));
      if (hasOuterRunner) {
        await reveal(check);
        await screenshot(`tryout-${id}-passed`);
      }
      await vscode.commands.executeCommand("workbench.action.files.revert");
    });
  }
});
