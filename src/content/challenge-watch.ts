/**
 * Walkthrough progress from real events: a cell that ran in an SDE Lab notebook (the notebook
 * controller's cell-executed event, passed in), and a challenge check whose output says
 * `Challenge <id>: PASSED` (watched on the document). This module turns both into context keys
 * that the walkthrough's completion events wait for.
 */
import * as vscode from "vscode";
import { passedChallenge } from "./challenge-line";
import { NOTEBOOK_TYPE } from "../notebook/serializer";

/** Context key: a cell has run in an SDE Lab notebook. */
export const RAN_CELL_CONTEXT = "sdeLab.walkthrough.ranCell";
/** Context key: a challenge check has printed PASSED. */
export const PASSED_CHALLENGE_CONTEXT = "sdeLab.walkthrough.passedChallenge";

const decoder = new TextDecoder();

/**
 * Sets a context key to true as a change, every time: VS Code's walkthrough service only
 * hears changes, and it may start (with the first walkthrough shown) after the key was set.
 */
async function raise(key: string): Promise<void> {
  await vscode.commands.executeCommand("setContext", key, false);
  await vscode.commands.executeCommand("setContext", key, true);
}

/**
 * Watches executed cells and their outputs, and sets the walkthrough's context keys.
 * @param onDidExecuteCell the notebook controller's event: a cell's execution ended.
 */
export function watchWalkthroughProgress(onDidExecuteCell: vscode.Event<unknown>): vscode.Disposable {
  const cells = onDidExecuteCell(() => void raise(RAN_CELL_CONTEXT));
  // Outputs reach the document after the execution has ended (the controller does not wait
  // for each output edit), so a PASSED line is looked for where outputs land, not at the end.
  const outputs = vscode.workspace.onDidChangeNotebookDocument((e) => {
    if (e.notebook.notebookType !== NOTEBOOK_TYPE) return;
    for (const change of e.cellChanges) {
      if (!change.outputs) continue;
      const texts = change.outputs.flatMap((o) => o.items.filter((i) => i.mime === "text/plain").map((i) => decoder.decode(i.data)));
      if (passedChallenge(texts)) void raise(PASSED_CHALLENGE_CONTEXT);
    }
  });
  return new vscode.Disposable(() => {
    cells.dispose();
    outputs.dispose();
  });
}
