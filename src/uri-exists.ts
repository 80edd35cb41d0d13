/** Whether a file or folder exists at `uri`, in whatever file system VS Code serves it from. */
import * as vscode from "vscode";

export async function uriExists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}
