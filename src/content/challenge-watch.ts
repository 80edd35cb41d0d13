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

const executed = new vscode.EventEmitter<vscode.NotebookCell>();
const decoder = new TextDecoder();

/** Called by the notebook controller when a cell's execution has ended. */
export function cellExecuted(cell: vscode.NotebookCell): void {
  executed.fire(cell);
}

/** Watches executed cells and sets the walkthrough's context keys. */
export function watchWalkthroughProgress(): vscode.Disposable {
  const passed = new vscode.EventEmitter<string>();
  const subscription = executed.event((cell) => {
    void vscode.commands.executeCommand("setContext", RAN_CELL_CONTEXT, true);
    const texts = cell.outputs.flatMap((o) => o.items.filter((i) => i.mime === "text/plain").map((i) => decoder.decode(i.data)));
    const id = passedChallenge(texts);
    if (id) {
      void vscode.commands.executeCommand("setContext", PASSED_CHALLENGE_CONTEXT, true);
      passed.fire(id);
    }
  });
  return vscode.Disposable.from(subscription, passed);
}
