/**
 * Commands of the diagram preview: SDE Lab: Preview Architecture Diagram (a pattern id, a
 * `.mmd` uri, the `.mmd` in the active editor, or a quick pick), Export Diagram, and an
 * internal command the end-to-end tests read the preview's state with.
 */
import * as vscode from "vscode";
import { recordProgress } from "../content/progress-store";
import { findPattern } from "../catalog/index";
import { pickPattern } from "../content/pick";
import { type DiagramPreview, type PreviewState } from "./panel";
import type { ExportFormat } from "./messages";

export function registerPreviewCommands(preview: DiagramPreview): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand("sdeLab.previewDiagram", async (target?: unknown) => {
      try {
        if (typeof target === "string") {
          recordProgress(target, "diagram");
          return await preview.showPattern(findPattern(target));
        }
        if (target instanceof vscode.Uri) return await preview.showFile(target);
        const active = vscode.window.activeTextEditor?.document.uri;
        if (active && active.path.toLowerCase().endsWith(".mmd")) return await preview.showFile(active);
        const entry = await pickPattern("Preview the architecture diagram of which pattern?");
        if (entry) {
          recordProgress(entry.id, "diagram");
          await preview.showPattern(entry);
        }
      } catch (error) {
        void vscode.window.showErrorMessage(`SDE Lab: ${(error as Error).message}`);
      }
    }),
    vscode.commands.registerCommand("sdeLab.exportDiagram", async (format?: unknown, target?: unknown) => {
      try {
        const chosen: ExportFormat | undefined =
          format === "svg" || format === "png"
            ? format
            : ((await vscode.window.showQuickPick(["svg", "png"], { placeHolder: "Export the diagram as" })) as ExportFormat | undefined);
        if (!chosen) return undefined;
        return await preview.export(chosen, target instanceof vscode.Uri ? target : undefined);
      } catch (error) {
        void vscode.window.showErrorMessage(`SDE Lab: ${(error as Error).message}`);
        return undefined;
      }
    }),
    // Not contributed (not in the palette): the end-to-end tests read what the webview drew.
    vscode.commands.registerCommand("sdeLab._previewState", (): PreviewState | undefined => preview.lastState),
  );
}
