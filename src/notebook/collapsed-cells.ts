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

/** How long after a notebook is first shown its collapsed cells are collapsed again (ms). */
const SETTLE_MS = [300, 1_500] as const;

/**
 * Collapses `collapsed` cells when an SDE Lab notebook is first shown in an editor. The
 * command acts on the editor's view model, which may not hold the cells yet when the editor
 * becomes visible (then it collapses nothing), so it is sent again once the editor has laid
 * out cells and after a short settle; collapsing is idempotent, and only the first
 * seconds after opening are touched, so a hint the learner opens stays open.
 */
export function watchCollapsedCells(): vscode.Disposable {
  const done = new WeakSet<vscode.NotebookDocument>();
  const pending = new Set<vscode.NotebookEditor>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const collapse = (editor: vscode.NotebookEditor) => {
    const ranges = collapsedRanges(editor.notebook.getCells());
    if (ranges.length > 0) void vscode.commands.executeCommand("notebook.cell.collapseCellInput", { ranges, document: editor.notebook.uri });
  };
  const apply = (editors: readonly vscode.NotebookEditor[]) => {
    for (const editor of editors) {
      const notebook = editor.notebook;
      if (notebook.notebookType !== NOTEBOOK_TYPE || done.has(notebook)) continue;
      done.add(notebook);
      collapse(editor);
      pending.add(editor);
      for (const ms of SETTLE_MS) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!editor.notebook.isClosed) collapse(editor);
        }, ms);
        timers.add(timer);
      }
    }
  };
  apply(vscode.window.visibleNotebookEditors);
  const visible = vscode.window.onDidChangeVisibleNotebookEditors(apply);
  const laidOut = vscode.window.onDidChangeNotebookEditorVisibleRanges(({ notebookEditor }) => {
    if (!pending.delete(notebookEditor)) return;
    collapse(notebookEditor);
  });
  return new vscode.Disposable(() => {
    visible.dispose();
    laidOut.dispose();
    for (const t of timers) clearTimeout(t);
  });
}
