/**
 * Saves what SDE Lab's notebook renderer exports (a chart or a replay frame as PNG or SVG):
 * the renderer has no file system, so it sends the bytes here and the user picks the file.
 */
import * as vscode from "vscode";

/** The renderer's id in package.json (contributes.notebookRenderer). */
export const RENDERER_ID = "sde-lab.renderer";

interface ExportMessage {
  type: "sde-lab.export";
  format: "png" | "svg";
  name: string;
  data: string;
}

function isExport(m: unknown): m is ExportMessage {
  const e = m as Partial<ExportMessage> | null;
  return !!e && e.type === "sde-lab.export" && (e.format === "png" || e.format === "svg") && typeof e.name === "string" && typeof e.data === "string";
}

/** Decoded bytes of an export, or an error message when the data is not what it claims. */
export function exportBytes(format: "png" | "svg", data: string): Uint8Array | string {
  if (format === "svg") {
    if (!/^<svg[\s>]/.test(data.trimStart())) return "the SVG export does not start with <svg>";
    return new TextEncoder().encode(data);
  }
  const m = /^data:image\/png;base64,([A-Za-z0-9+/=]+)$/.exec(data);
  if (!m) return "the PNG export is not a base64 PNG data URL";
  const bytes = Buffer.from(m[1]!, "base64");
  if (bytes.length < 8 || bytes.readUInt32BE(0) !== 0x89504e47) return "the PNG export does not start with the PNG signature";
  return bytes;
}

/**
 * Listens to the renderer. `sdeLab.internal.nextExportTarget` (not in the palette) sets
 * where the next export goes without a dialog: the end-to-end tests use it.
 */
export function registerRendererExports(): vscode.Disposable {
  const messaging = vscode.notebooks.createRendererMessaging(RENDERER_ID);
  let nextTarget: vscode.Uri | undefined;
  let lastSaved: vscode.Uri | undefined;
  const listener = messaging.onDidReceiveMessage(async ({ message }) => {
    if (!isExport(message)) return;
    const bytes = exportBytes(message.format, message.data);
    if (typeof bytes === "string") return void vscode.window.showErrorMessage(`SDE Lab could not export: ${bytes}.`);
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const fileName = `${message.name.replace(/[^\w.-]+/g, "-").slice(0, 60) || "chart"}.${message.format}`;
    const target =
      nextTarget ??
      (await vscode.window.showSaveDialog({
        title: `Export as ${message.format.toUpperCase()}`,
        saveLabel: "Export",
        defaultUri: folder ? vscode.Uri.joinPath(folder, fileName) : undefined,
        filters: message.format === "svg" ? { "SVG image": ["svg"] } : { "PNG image": ["png"] },
      }));
    nextTarget = undefined;
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, bytes);
    lastSaved = target;
  });
  const command = vscode.commands.registerCommand("sdeLab.internal.nextExportTarget", (target?: unknown) => {
    nextTarget = target instanceof vscode.Uri ? target : undefined;
    return lastSaved;
  });
  return vscode.Disposable.from(listener, command);
}
