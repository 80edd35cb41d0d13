/**
 * Extension entry point: wires the notebook serializer (and, as they land, the controller,
 * commands and previews) into VS Code. Holds no logic of its own.
 */
import * as vscode from "vscode";
import { NOTEBOOK_TYPE, SdeNotebookSerializer } from "./notebook/serializer";

export function activate(context: vscode.ExtensionContext): void {
  const serializer = new SdeNotebookSerializer({
    saveOutputs: () => vscode.workspace.getConfiguration("sdeLab.notebook").get<boolean>("saveOutputs", true),
    showError: (message) => void vscode.window.showErrorMessage(message),
  });
  context.subscriptions.push(
    vscode.workspace.registerNotebookSerializer(NOTEBOOK_TYPE, serializer, { transientOutputs: false }),
  );
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
