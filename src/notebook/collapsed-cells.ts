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
 * visible cell ranges (the list has its view model), and is sent once per notebook document.
 * VS Code may still draw a collapsed hint's text over its row; {@link watchCollapsedCells}
 * says why and how that is undone without closing hints the learner opened.
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
  readonly visibleRanges: readonly CellRange[];
  readonly selections?: readonly CellRange[];
}

/** What {@link watchCollapsedCells} listens to and calls: VS Code's window, commands and timers by default (tests pass fakes). */
export interface CollapseHost {
  readonly visibleNotebookEditors: readonly CollapseEditor[];
  readonly onDidChangeVisibleNotebookEditors: vscode.Event<readonly CollapseEditor[]>;
  readonly onDidChangeNotebookEditorVisibleRanges: vscode.Event<{ readonly notebookEditor: CollapseEditor }>;
  readonly onDidChangeNotebookEditorSelection: vscode.Event<{ readonly notebookEditor: CollapseEditor; readonly selections: readonly CellRange[] }>;
  executeCommand(command: string, arg: { ranges: CellRange[]; document: vscode.Uri }): Thenable<unknown>;
  setTimeout(run: () => void, ms: number): { dispose(): void };
  now(): number;
}

const vscodeHost = (): CollapseHost => ({
  get visibleNotebookEditors() {
    return vscode.window.visibleNotebookEditors;
  },
  onDidChangeVisibleNotebookEditors: vscode.window.onDidChangeVisibleNotebookEditors,
  onDidChangeNotebookEditorVisibleRanges: vscode.window.onDidChangeNotebookEditorVisibleRanges,
  onDidChangeNotebookEditorSelection: vscode.window.onDidChangeNotebookEditorSelection,
  executeCommand: (command, arg) => vscode.commands.executeCommand(command, arg),
  setTimeout: (run, ms) => {
    const timer = setTimeout(run, ms);
    return { dispose: () => clearTimeout(timer) };
  },
  now: () => Date.now(),
});

/**
 * After the first collapse, the collapse is applied again to the hint cells in view that the
 * learner has not touched every {@link SETTLE_EVERY_MS} for {@link SETTLE_FOR_MS}. See
 * {@link watchCollapsedCells}.
 */
export const SETTLE_EVERY_MS = 2_000;
/** How long after an editor first lays out its cells the periodic re-collapse runs. */
export const SETTLE_FOR_MS = 60_000;
/** At most one re-collapse per notebook per this many ms while the learner scrolls. */
export const SCROLL_THROTTLE_MS = 1_000;

const inRanges = (index: number, ranges: readonly CellRange[]) => ranges.some((r) => index >= r.start && index < r.end);

/**
 * Collapses `collapsed` cells once per SDE Lab notebook, as soon as an editor has laid out its
 * cells, and keeps VS Code from drawing their text over the collapsed rows.
 *
 * That second part works around VS Code 1.139's idle-time markdown rendering
 * (`NotebookEditorWidget._backgroundMarkdownRenderingWithDeadline`), which creates a visible
 * webview preview for every markdown cell that has none, collapsed or not: a hint whose preview
 * it creates after the collapse shows its full text over its collapsed row. Collapsing a cell
 * that is already collapsed hides its preview (and, once the preview exists, nothing shows it
 * again until the cell is expanded). When VS Code gets to a cell depends on how idle the
 * window is (seconds, or tens of seconds on a loaded machine), and nothing tells an extension.
 * So the collapse is applied again to the hint cells in view every {@link SETTLE_EVERY_MS} for
 * the first {@link SETTLE_FOR_MS} and, throttled, whenever the view scrolls; on a collapsed
 * cell it changes nothing but the stray preview. Only cells the learner has not touched: a
 * cell that was ever selected (clicking its expand icon selects it; the keyboard and
 * command-palette expands act on the selected cell) is left as the learner set it.
 */
export function watchCollapsedCells(host: CollapseHost = vscodeHost()): vscode.Disposable {
  type Cell = ReturnType<CollapseEditor["notebook"]["getCells"]>[number];
  const done = new WeakSet<object>();
  const touched = new WeakSet<Cell>();
  const lastReapply = new WeakMap<object, number>();
  const timers = new Set<{ dispose(): void }>();

  const send = (editor: CollapseEditor, only: (cell: Cell, index: number) => boolean) => {
    const cells = editor.notebook.getCells();
    const ranges = collapsedRanges(cells.map((cell, i) => (only(cell, i) ? cell : {})));
    if (ranges.length > 0) void host.executeCommand("notebook.cell.collapseCellInput", { ranges, document: editor.notebook.uri });
  };
  /** The hint cells in view that the learner has not touched, collapsed again. */
  const reapply = (notebook: CollapseEditor["notebook"]) => {
    // Only while an editor shows the notebook: for a document with no editor, VS Code's command
    // falls back to the active notebook editor and would collapse cells of another notebook.
    const editor = host.visibleNotebookEditors.find((e) => e.notebook === notebook);
    if (!editor) return;
    lastReapply.set(notebook, host.now());
    send(editor, (cell, i) => !touched.has(cell) && inRanges(i, editor.visibleRanges));
  };
  const collapse = (editor: CollapseEditor) => {
    const notebook = editor.notebook;
    if (notebook.notebookType !== NOTEBOOK_TYPE) return;
    // No visible ranges yet: the list has no view model, and the command would find no cells.
    if (editor.visibleRanges.length === 0) return;
    if (!done.has(notebook)) {
      done.add(notebook);
      if (collapsedRanges(notebook.getCells()).length === 0) return;
      const start = host.now();
      lastReapply.set(notebook, start);
      send(editor, () => true);
      const settle = () => {
        const timer = host.setTimeout(() => {
          timers.delete(timer);
          reapply(notebook);
          if (host.now() - start + SETTLE_EVERY_MS <= SETTLE_FOR_MS) settle();
        }, SETTLE_EVERY_MS);
        timers.add(timer);
      };
      settle();
      return;
    }
    const last = lastReapply.get(notebook);
    if (last !== undefined && host.now() - last >= SCROLL_THROTTLE_MS) reapply(notebook);
  };
  const touch = (editor: CollapseEditor, selections: readonly CellRange[]) => {
    if (editor.notebook.notebookType !== NOTEBOOK_TYPE) return;
    editor.notebook.getCells().forEach((cell, i) => inRanges(i, selections) && touched.add(cell));
  };

  host.visibleNotebookEditors.forEach(collapse);
  const subscriptions = [
    host.onDidChangeVisibleNotebookEditors((editors) => editors.forEach(collapse)),
    host.onDidChangeNotebookEditorVisibleRanges(({ notebookEditor }) => collapse(notebookEditor)),
    host.onDidChangeNotebookEditorSelection(({ notebookEditor, selections }) => touch(notebookEditor, selections)),
  ];
  return new vscode.Disposable(() => {
    subscriptions.forEach((s) => s.dispose());
    timers.forEach((t) => t.dispose());
  });
}
