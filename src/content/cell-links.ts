/**
 * Preview and snippet links on each pattern's heading cell. VS Code does not run `command:`
 * links from notebook markdown (the notebook webview only allows a short built-in list of
 * commands, see docs/authoring.md), and a rendered markdown cell shows no status bar. So the
 * first code cell of each pattern's section (the cells after the heading cell whose id is the
 * pattern id) carries two status-bar items, "Preview diagram" and "Insert snippet"; the
 * heading cell carries them too, visible while it is edited.
 */
import * as vscode from "vscode";
import { CATALOG } from "../catalog/index";
import { NOTEBOOK_TYPE } from "../notebook/serializer";

const IDS = new Set(CATALOG.map((p) => p.id));

/** The catalog id of a notebook cell, when the cell is a pattern's heading cell. */
export function patternOfCell(cell: vscode.NotebookCell): string | undefined {
  const id = (cell.metadata?.sdeLab as { id?: unknown } | undefined)?.id;
  return cell.kind === vscode.NotebookCellKind.Markup && typeof id === "string" && IDS.has(id) ? id : undefined;
}

/** The pattern whose links a cell carries: its own heading cell, or the first code cell below it. */
function linkedPattern(cell: vscode.NotebookCell): string | undefined {
  if (cell.kind === vscode.NotebookCellKind.Markup) return patternOfCell(cell);
  for (let i = cell.index - 1; i >= 0; i--) {
    const above = cell.notebook.cellAt(i);
    if (above.kind === vscode.NotebookCellKind.Code) return undefined;
    const id = patternOfCell(above);
    if (id) return id;
  }
  return undefined;
}

export function registerCellLinks(): vscode.Disposable {
  return vscode.notebooks.registerNotebookCellStatusBarItemProvider(NOTEBOOK_TYPE, {
    provideCellStatusBarItems(cell) {
      const id = linkedPattern(cell);
      if (!id) return [];
      const preview = new vscode.NotebookCellStatusBarItem("$(type-hierarchy) Preview diagram", vscode.NotebookCellStatusBarAlignment.Left);
      preview.command = { title: "Preview diagram", command: "sdeLab.previewDiagram", arguments: [id] };
      preview.tooltip = `Open the architecture diagram of ${id} beside its explanation`;
      const snippet = new vscode.NotebookCellStatusBarItem("$(insert) Insert snippet", vscode.NotebookCellStatusBarAlignment.Left);
      snippet.command = { title: "Insert snippet", command: "sdeLab.insertSnippet", arguments: [id] };
      snippet.tooltip = `Add a code cell with the ${id} snippet below the selected cell`;
      return [preview, snippet];
    },
  });
}
