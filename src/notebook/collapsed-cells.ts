/**
 * Honours a cell's `collapsed: true` metadata (hint cells of challenges, docs/notebook-format.md).
 *
 * VS Code's extension API has no collapse field on `NotebookCellData` (the extension host's
 * conversion passes kind, language, source, metadata, outputs and execution summary only), and
 * no way to read or observe a cell's collapse state: VS Code keeps it in the editor's view
 * model (microsoft/vscode#158716 asked for serializer control and was closed as not planned).
 * So the serializer carries `collapsed` through the file unchanged (it is ordinary cell
 * metadata), and this module collapses those cells' input with VS Code's own
 * `notebook.cell.collapseCellInput` command, once per opened notebook.
 *
 * When: the command acts on the cells of the editor's list (`getCellsInRange` reads
 * `list.viewModel`), which VS Code attaches only after its markdown webview has warmed up, a
 * while after the editor becomes visible to extensions. Sent then, it finds no cells and
 * collapses nothing (hints opened in full). So the collapse waits until the editor reports
 * visible cell ranges (the list has its view model), and is sent once per notebook document:
 * a hint the learner expands stays open, also when they switch tabs and come back.
 */
import * as vscode from "vscode";
import { NOTEBOOK_TYPE, SDE_KEY } from "./serializer";

/** A half-open range of cell indexes, as VS Code's notebook commands take it. */
export interface CellRange {
  readonly start: number;
  readonly end: number;
}

/** Whether a cell's file metadata (as the serializer carries it) asks for the cell to start collapsed. */
export function isCollapsed(metadata: { readonly [key: string]: unknown } | undefined): boolean {
  const carry = metadata?.[SDE_KEY] as { metadata?: { collapsed?: unknown } } | undefined;
  return carry?.metadata?.collapsed === true;
}

/** Ranges of consecutive cells to collapse. Pure. */
export function collapsedRanges(cells: readonly { readonly metadata?: { readonly [key: string]: unknown } }[]): CellRange[] {
  const ranges: CellRange[] = [];
  cells.forEach((cell, i) => {
    if (!isCollapsed(cell.metadata)) return;
    const last = ranges.at(-1);
    if (last && last.end === i) ranges[ranges.length - 1] = { start: last.start, end: i + 1 };
    else ranges.push({ start: i, end: i + 1 });
  });
  return ranges;
}

/** The parts of a notebook editor this module reads. */
export interface CollapseEditor {
  readonly notebook: Pick<vscode.NotebookDocument, "notebookType" | "uri" | "getCells">;
  readonly visibleRanges: readonly unknown[];
}

/** What {@link watchCollapsedCells} listens to and calls: VS Code's window and commands by default (tests pass fakes). */
export interface CollapseHost {
  readonly visibleNotebookEditors: readonly CollapseEditor[];
  readonly onDidChangeVisibleNotebookEditors: vscode.Event<readonly CollapseEditor[]>;
  readonly onDidChangeNotebookEditorVisibleRanges: vscode.Event<{ readonly notebookEditor: CollapseEditor }>;
  executeCommand(command: string, arg: { ranges: CellRange[]; document: vscode.Uri }): Thenable<unknown>;
}

const vscodeHost = (): CollapseHost => ({
  get visibleNotebookEditors() {
    return vscode.window.visibleNotebookEditors;
  },
  onDidChangeVisibleNotebookEditors: vscode.window.onDidChangeVisibleNotebookEditors,
  onDidChangeNotebookEditorVisibleRanges: vscode.window.onDidChangeNotebookEditorVisibleRanges,
  executeCommand: (command, arg) => vscode.commands.executeCommand(command, arg),
});

/** Collapses `collapsed` cells once per SDE Lab notebook, as soon as an editor has laid out its cells. */
export function watchCollapsedCells(host: CollapseHost = vscodeHost()): vscode.Disposable {
  const done = new WeakSet<object>();
  const collapse = (editor: CollapseEditor) => {
    const notebook = editor.notebook;
    // No visible ranges yet: the list has no view model, and the command would find no cells.
    if (notebook.notebookType !== NOTEBOOK_TYPE || done.has(notebook) || editor.visibleRanges.length === 0) return;
    done.add(notebook);
    const ranges = collapsedRanges(notebook.getCells());
    if (ranges.length > 0) void host.executeCommand("notebook.cell.collapseCellInput", { ranges, document: notebook.uri });
  };
  host.visibleNotebookEditors.forEach(collapse);
  const subscriptions = [
    host.onDidChangeVisibleNotebookEditors((editors) => editors.forEach(collapse)),
    host.onDidChangeNotebookEditorVisibleRanges(({ notebookEditor }) => collapse(notebookEditor)),
  ];
  return new vscode.Disposable(() => subscriptions.forEach((s) => s.dispose()));
}
