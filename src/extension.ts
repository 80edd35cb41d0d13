/**
 * Extension entry point: wires the notebook serializer, the kernel controller and the
 * commands into VS Code. Holds no logic of its own.
 */
import * as vscode from "vscode";
import { SdeNotebookController } from "./notebook/controller";
import { NOTEBOOK_TYPE, SdeNotebookSerializer } from "./notebook/serializer";
import { registerTrustNotice } from "./notebook/trust";
import { watchCollapsedCells } from "./notebook/collapsed-cells";
import { registerCellLinks } from "./content/cell-links";
import { watchWalkthroughProgress } from "./content/challenge-watch";
import { watchProgress } from "./content/progress-store";
import { registerPatternsView } from "./content/patterns-view";
import { registerInsertSnippet } from "./content/insert-snippet";
import { registerOpenNotebook } from "./content/open-notebook";
import { registerPreviewCommands } from "./preview/commands";
import { DiagramPreview } from "./preview/panel";
import { registerWelcome } from "./notebook/welcome";
import { registerNotebookDiagnostics } from "./editor/notebook-diagnostics";
import { registerRendererExports } from "./notebook/renderer-exports";

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel("SDE Lab");
  const serializer = new SdeNotebookSerializer({
    saveOutputs: () => vscode.workspace.getConfiguration("sdeLab.notebook").get<boolean>("saveOutputs", true),
    showError: (message) => void vscode.window.showErrorMessage(message),
  });
  const controller = new SdeNotebookController(log);
  const activeNotebook = () => vscode.window.activeNotebookEditor?.notebook;
  const preview = new DiagramPreview(context.extensionUri);
  const progress = watchProgress(context.globalState);
  context.subscriptions.push(
    log,
    controller,
    registerTrustNotice(),
    registerWelcome(context),
    registerNotebookDiagnostics({ notebookType: NOTEBOOK_TYPE }),
    vscode.workspace.registerNotebookSerializer(NOTEBOOK_TYPE, serializer, { transientOutputs: false }),
    vscode.commands.registerCommand("sdeLab.restartKernel", async () => {
      const notebook = activeNotebook();
      if (notebook?.notebookType === NOTEBOOK_TYPE) await controller.restart(notebook);
    }),
    vscode.commands.registerCommand("sdeLab.interruptKernel", async () => {
      const notebook = activeNotebook();
      if (notebook?.notebookType === NOTEBOOK_TYPE) await controller.interrupt(notebook);
    }),
    preview,
    registerPreviewCommands(preview),
    registerInsertSnippet(context.extensionUri),
    registerOpenNotebook(context),
    registerCellLinks(),
    watchWalkthroughProgress(controller.onDidExecuteCell),
    watchCollapsedCells(),
    progress.disposable,
    registerPatternsView(progress.store),
    registerRendererExports(),
  );
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
