/**
 * The Patterns view in SDE Lab's activity-bar container: section → pattern, each pattern with
 * what the learner has done (read, ran, snippet inserted, diagram previewed, stage k of n).
 * Clicking a pattern opens its notebook at the pattern's heading cell.
 */
import * as vscode from "vscode";
import { SECTIONS, findPattern, findSection, patternsOf } from "../catalog/index";
import type { PatternEntry, Section } from "../catalog/types";
import { challengeDone, describeProgress } from "./progress-record";
import type { ProgressStore } from "./progress-store";

type Node = { kind: "section"; section: Section } | { kind: "pattern"; pattern: PatternEntry };

/** Id of the view (package.json contributes.views). */
export const PATTERNS_VIEW = "sdeLab.patterns";

class PatternsTree implements vscode.TreeDataProvider<Node> {
  private readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly store: ProgressStore) {
    store.onDidChange(() => this.changed.fire(undefined));
  }

  getChildren(node?: Node): Node[] {
    if (!node) return SECTIONS.map((section) => ({ kind: "section", section }));
    if (node.kind === "section") return patternsOf(node.section.id).map((pattern) => ({ kind: "pattern", pattern }));
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    const record = this.store.record;
    if (node.kind === "section") {
      const patterns = patternsOf(node.section.id);
      const done = patterns.filter((p) => challengeDone(record[p.id])).length;
      const item = new vscode.TreeItem(node.section.title, vscode.TreeItemCollapsibleState.Expanded);
      item.description = `${done} of ${patterns.length} challenges`;
      item.id = `section:${node.section.id}`;
      return item;
    }
    const p = record[node.pattern.id];
    const item = new vscode.TreeItem(node.pattern.title, vscode.TreeItemCollapsibleState.None);
    item.id = `pattern:${node.pattern.id}`;
    item.description = describeProgress(p);
    item.tooltip = `${node.pattern.summary}\n\n${describeProgress(p) || "Not started"}`;
    item.iconPath = new vscode.ThemeIcon(challengeDone(p) ? "pass-filled" : p ? "circle-large-filled" : "circle-large-outline");
    item.command = { title: "Open in the notebook", command: "sdeLab.openPattern", arguments: [node.pattern.id] };
    return item;
  }
}

/** Opens the pattern's notebook and reveals its heading cell (the cell whose id is the pattern id). */
async function openPattern(id: unknown): Promise<void> {
  try {
    if (typeof id !== "string") throw new Error(`expected a pattern id, got ${JSON.stringify(id)}`);
    const pattern = findPattern(id);
    await vscode.commands.executeCommand("sdeLab.openNotebook", findSection(pattern.section).notebook);
    const editor = vscode.window.activeNotebookEditor;
    if (!editor) return;
    const index = editor.notebook.getCells().findIndex((c) => (c.metadata?.sdeLab as { id?: string } | undefined)?.id === id);
    if (index < 0) return;
    const range = new vscode.NotebookRange(index, index + 1);
    editor.selections = [range];
    editor.revealRange(range, vscode.NotebookEditorRevealType.AtTop);
  } catch (error) {
    void vscode.window.showErrorMessage(`SDE Lab could not open the pattern: ${(error as Error).message}`);
  }
}

/** Registers the Patterns view and its open command. */
export function registerPatternsView(store: ProgressStore): vscode.Disposable {
  return vscode.Disposable.from(vscode.window.registerTreeDataProvider(PATTERNS_VIEW, new PatternsTree(store)), vscode.commands.registerCommand("sdeLab.openPattern", openPattern));
}
