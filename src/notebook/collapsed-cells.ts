/**
 * Honours a cell's `collapsed: true` metadata (hint cells of challenges, docs/notebook-format.md).
 *
 * VS Code's extension API has no collapse field on `NotebookCellData`: the editor keeps
 * collapse state in its view model only. So the serializer carries `collapsed` through the
 * file unchanged (it is ordinary cell metadata), and this module collapses those cells'
 * input with VS Code's own `notebook.cell.collapseCellInput` command the first time a
 * notebook is shown. A learner who expands a hint keeps it open; the file is not rewritten.
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

/** Collapses `collapsed` cells when an SDE Lab notebook is first shown in an editor. */
export function watchCollapsedCells(): vscode.Disposable {
  const done = new WeakSet<vscode.NotebookDocument>();
  const apply = (editors: readonly vscode.NotebookEditor[]) => {
    for (const editor of editors) {
      const notebook = editor.notebook;
      if (notebook.notebookType !== NOTEBOOK_TYPE || done.has(notebook)) continue;
      done.add(notebook);
      const ranges = collapsedRanges(notebook.getCells());
      if (ranges.length > 0) void vscode.commands.executeCommand("notebook.cell.collapseCellInput", { ranges, document: notebook.uri });
    }
  };
  apply(vscode.window.visibleNotebookEditors);
  return vscode.window.onDidChangeVisibleNotebookEditors(apply);
}
