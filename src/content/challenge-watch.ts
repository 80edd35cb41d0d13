/**
 * Walkthrough progress from real events: a cell that ran in an SDE Lab notebook, and a
 * challenge check whose output says `Challenge <id>: PASSED`. The notebook controller calls
 * {@link cellExecuted} after each cell (one line there); outputs are watched on the document.
 * This module turns both into context keys that the walkthrough's completion events wait for.
 */
import * as vscode from "vscode";
import { passedChallenge } from "./challenge-line";
import { NOTEBOOK_TYPE } from "../notebook/serializer";

/** Context key: a cell has run in an SDE Lab notebook. */
export const RAN_CELL_CONTEXT = "sdeLab.walkthrough.ranCell";
/** Context key: a challenge check has printed PASSED. */
export const PASSED_CHALLENGE_CONTEXT = "sdeLab.walkthrough.passedChallenge";

// A plain set, not a vscode.EventEmitter: importing the controller must not need `vscode` at load.
const listeners = new Set<(cell: vscode.NotebookCell) => void>();
const decoder = new TextDecoder();

/** Called by the notebook controller when a cell's execution has ended. */
export function cellExecuted(cell: vscode.NotebookCell): void {
  for (const listener of listeners) listener(cell);
}

/**
 * Sets a context key to true as a change, every time: VS Code's walkthrough service only
 * hears changes, and it may start (with the first walkthrough shown) after the key was set.
 */
async function raise(key: string): Promise<void> {
  await vscode.commands.executeCommand("setContext", key, false);
  await vscode.commands.executeCommand("setContext", key, true);
}

/** Watches executed cells and their outputs, and sets the walkthrough's context keys. */
export function watchWalkthroughProgress(): vscode.Disposable {
  const onCell = () => void raise(RAN_CELL_CONTEXT);
  listeners.add(onCell);
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
    listeners.delete(onCell);
    outputs.dispose();
  });
}
