/**
 * Records the learner's progress per pattern in the extension's globalState (per user, kept
 * across restarts), fed by what happens in SDE Lab notebooks: a pattern's section shown (read),
 * one of its cells run (ran), a challenge report in a cell's output (stages passed), and the
 * snippet and preview commands ({@link recordProgress}). The Patterns view and the walkthrough
 * read it.
 */
import * as vscode from "vscode";
import { CATALOG } from "../catalog/index";
import { NOTEBOOK_TYPE } from "../notebook/serializer";
import { challengeVerdicts } from "./challenge-line";
import { PASSED_CHALLENGE_CONTEXT, RAN_CELL_CONTEXT } from "./challenge-watch";
import { challengeDone, patternOfCellId, withMilestone, withVerdict, type Milestone, type ProgressRecord } from "./progress-record";

const KEY = "sdeLab.progress";
const IDS = CATALOG.map((p) => p.id);
const decoder = new TextDecoder();

/** Progress kept in a Memento (the extension's globalState). */
export class ProgressStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires after the record changed. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly memento: vscode.Memento) {}

  get record(): ProgressRecord {
    return this.memento.get<ProgressRecord>(KEY, {});
  }

  mark(id: string, milestone: Milestone): void {
    this.save(withMilestone(this.record, id, milestone));
  }

  /** Applies every challenge report found in these output texts. */
  reports(texts: readonly string[]): void {
    let record = this.record;
    for (const verdict of challengeVerdicts(texts)) record = withVerdict(record, verdict);
    this.save(record);
  }

  private save(record: ProgressRecord): void {
    if (record === this.record) return;
    void this.memento.update(KEY, record).then(() => this.changed.fire());
  }

  dispose(): void {
    this.changed.dispose();
  }
}

let active: ProgressStore | undefined;

/** Records a milestone from anywhere in the extension (the snippet and preview commands call it). */
export function recordProgress(id: string, milestone: Milestone): void {
  active?.mark(id, milestone);
}

function cellPattern(cell: vscode.NotebookCell): string | undefined {
  return patternOfCellId((cell.metadata?.sdeLab as { id?: string } | undefined)?.id, IDS);
}

/** The pattern a cell belongs to: its own id's, or the nearest pattern heading above it. */
function sectionOf(cell: vscode.NotebookCell): string | undefined {
  for (let i = cell.index; i >= 0; i--) {
    const id = cellPattern(cell.notebook.cellAt(i));
    if (id) return id;
  }
  return undefined;
}

/** Starts recording; the returned store is the one the Patterns view reads. */
export function watchProgress(memento: vscode.Memento): { store: ProgressStore; disposable: vscode.Disposable } {
  const store = new ProgressStore(memento);
  active = store;
  const walkthrough = () => {
    // The walkthrough's steps complete on these context keys; set them from the kept record
    // too, so a learner who ran a cell or passed a challenge last week sees the step done.
    const all = Object.values(store.record);
    if (all.some((p) => p.ran)) void vscode.commands.executeCommand("setContext", RAN_CELL_CONTEXT, true);
    if (all.some(challengeDone)) void vscode.commands.executeCommand("setContext", PASSED_CHALLENGE_CONTEXT, true);
  };
  walkthrough();
  const subscriptions = [
    store,
    store.onDidChange(walkthrough),
    vscode.workspace.onDidChangeNotebookDocument((e) => {
      if (e.notebook.notebookType !== NOTEBOOK_TYPE) return;
      for (const change of e.cellChanges) {
        if (change.executionSummary?.executionOrder !== undefined) {
          const id = sectionOf(change.cell);
          if (id) store.mark(id, "ran");
        }
        if (change.outputs) store.reports(change.outputs.flatMap((o) => o.items.filter((i) => i.mime === "text/plain").map((i) => decoder.decode(i.data))));
      }
    }),
    vscode.window.onDidChangeNotebookEditorVisibleRanges((e) => {
      if (e.notebookEditor.notebook.notebookType !== NOTEBOOK_TYPE) return;
      for (const range of e.visibleRanges) {
        for (let i = range.start; i < range.end; i++) {
          const id = cellPattern(e.notebookEditor.notebook.cellAt(i));
          if (id && e.notebookEditor.notebook.cellAt(i).metadata?.sdeLab?.id === id) store.mark(id, "read");
        }
      }
    }),
  ];
  return {
    store,
    disposable: new vscode.Disposable(() => {
      if (active === store) active = undefined;
      for (const s of subscriptions) s.dispose();
    }),
  };
}
