/**
 * Walkthrough progress from real events: a cell that ran in an SDE Lab notebook, and a
 * challenge check whose output says `Challenge <id>: PASSED`. The notebook controller calls
 * {@link cellExecuted} after each cell (one line there); this module turns that into context
 * keys that the walkthrough's completion events wait for.
 */
import * as vscode from "vscode";
import { passedChallenge } from "./challenge-line";

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

/** Watches executed cells and sets the walkthrough's context keys. */
export function watchWalkthroughProgress(): vscode.Disposable {
  const onCell = (cell: vscode.NotebookCell) => {
    void raise(RAN_CELL_CONTEXT);
    const texts = cell.outputs.flatMap((o) => o.items.filter((i) => i.mime === "text/plain").map((i) => decoder.decode(i.data)));
    if (passedChallenge(texts)) void raise(PASSED_CHALLENGE_CONTEXT);
  };
  listeners.add(onCell);
  return new vscode.Disposable(() => listeners.delete(onCell));
}
