/**
 * Tells the user, once per window, that SDE Lab notebooks in an untrusted workspace open but
 * do not run. VS Code already refuses to execute cells in Restricted Mode; without this note
 * the Run buttons simply do nothing.
 */
import * as vscode from "vscode";
import { NOTEBOOK_TYPE } from "./serializer";
import { UNTRUSTED_MESSAGE } from "./controller";

/** Watches for SDE Lab notebooks opened while the workspace is untrusted. */
export function registerTrustNotice(): vscode.Disposable {
  let shown = false;
  const check = (notebook: vscode.NotebookDocument) => {
    if (shown || vscode.workspace.isTrusted || notebook.notebookType !== NOTEBOOK_TYPE) return;
    shown = true;
    void vscode.window.showWarningMessage(UNTRUSTED_MESSAGE, "Manage Workspace Trust").then((choice) => {
      if (choice) void vscode.commands.executeCommand("workbench.trust.manage");
    });
  };
  vscode.workspace.notebookDocuments.forEach(check);
  return vscode.workspace.onDidOpenNotebookDocument(check);
}
