/** Helpers for driving notebooks through the real `vscode` API. */
import * as vscode from "vscode";

export const EXTENSION_ID = "sde-lab.sde-lab";
export const CONTROLLER = { id: "sde-lab-kernel", extension: EXTENSION_ID };

/** The workspace folder the runner opened (a fresh copy of test/e2e/workspace). */
export function workspaceUri(...path: string[]): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error("the end-to-end suite needs a workspace folder");
  return vscode.Uri.joinPath(folder.uri, ...path);
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Opens a notebook, shows it (cells only run in a shown notebook) and selects our kernel. */
export async function openAndShow(name: string): Promise<{ notebook: vscode.NotebookDocument; editor: vscode.NotebookEditor }> {
  const notebook = await vscode.workspace.openNotebookDocument(workspaceUri(name));
  const editor = await vscode.window.showNotebookDocument(notebook);
  await vscode.commands.executeCommand("notebook.selectKernel", { notebookEditor: editor, ...CONTROLLER });
  return { notebook, editor };
}

/** True once a cell's last run has ended. */
export function finished(cell: vscode.NotebookCell, after = 0): boolean {
  const end = cell.executionSummary?.timing?.endTime;
  return end !== undefined && end >= after;
}

/** Runs cells (all code cells by default) and waits until each has ended. */
export async function runCells(notebook: vscode.NotebookDocument, indexes?: number[], timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  const cells = (indexes ?? notebook.getCells().filter((c) => c.kind === vscode.NotebookCellKind.Code).map((c) => c.index)).map((i) => notebook.cellAt(i));
  await vscode.commands.executeCommand("notebook.cell.execute", {
    ranges: cells.map((c) => ({ start: c.index, end: c.index + 1 })),
    document: notebook.uri,
  });
  await waitFor(`cells ${cells.map((c) => c.index).join(", ")} to finish`, () => cells.every((c) => finished(c, started)), timeoutMs);
}

const decoder = new TextDecoder();

/** Every output item of a cell as [mime, text]. */
export function outputItems(cell: vscode.NotebookCell): [string, string][] {
  return cell.outputs.flatMap((o) => o.items.map((i) => [i.mime, decoder.decode(i.data)] as [string, string]));
}

/** The text of `mime` in the cell's last output (a build check's report comes after its failing case's replay). */
export function lastOutputText(cell: vscode.NotebookCell, mime: string): string | undefined {
  const item = cell.outputs.at(-1)?.items.find((i) => i.mime === mime);
  return item ? decoder.decode(item.data) : undefined;
}

/** The text of the first output item of `mime`. */
export function outputText(cell: vscode.NotebookCell, mime: string): string | undefined {
  return outputItems(cell).find(([m]) => m === mime)?.[1];
}

export const ERROR_MIME = "application/vnd.code.notebook.error";
