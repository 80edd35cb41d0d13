/**
 * SDE Lab: Insert Pattern Snippet. In a TypeScript editor the snippet goes in at the cursor
 * with its tab stops; in an SDE Lab notebook it becomes a new code cell below the selected
 * one, which then gets the focus.
 */
import * as vscode from "vscode";
import { recordProgress } from "./progress-store";
import { findPattern, type PatternEntry } from "../catalog/index";
import { toPlainCode, toSnippetBody } from "../catalog/snippet";
import { NOTEBOOK_TYPE } from "../notebook/serializer";
import { pickPattern } from "./pick";

/** Languages whose editors take the snippet at the cursor. */
const CODE_LANGUAGES = new Set(["typescript", "typescriptreact", "javascript", "javascriptreact"]);

/** Where the snippet went: a notebook cell (its index) or a text editor. */
export type InsertResult = { readonly into: "cell"; readonly index: number } | { readonly into: "editor" } | undefined;

/** Registers `sdeLab.insertSnippet` (optional argument: a pattern id). */
export function registerInsertSnippet(extensionUri: vscode.Uri): vscode.Disposable {
  return vscode.commands.registerCommand("sdeLab.insertSnippet", async (id?: unknown): Promise<InsertResult> => {
    try {
      const entry = typeof id === "string" ? findPattern(id) : await pickPattern("Insert the snippet of which pattern?");
      if (!entry) return undefined;
      const result = await insertSnippet(extensionUri, entry);
      recordProgress(entry.id, "snippet");
      return result;
    } catch (error) {
      void vscode.window.showErrorMessage(`SDE Lab: ${(error as Error).message}`);
      return undefined;
    }
  });
}

async function insertSnippet(extensionUri: vscode.Uri, entry: PatternEntry): Promise<InsertResult> {
  const source = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(extensionUri, entry.snippet)));
  const notebookEditor = vscode.window.activeNotebookEditor;
  const textEditor = vscode.window.activeTextEditor;
  const inCell = textEditor?.document.uri.scheme === "vscode-notebook-cell";
  if (notebookEditor?.notebook.notebookType === NOTEBOOK_TYPE && (!textEditor || inCell)) {
    return insertCell(notebookEditor, toPlainCode(source));
  }
  if (textEditor && !inCell && CODE_LANGUAGES.has(textEditor.document.languageId)) {
    await textEditor.insertSnippet(new vscode.SnippetString(toSnippetBody(source, entry.snippet)));
    return { into: "editor" };
  }
  throw new Error(`Insert Pattern Snippet needs a TypeScript editor or an SDE Lab notebook (.sdenb) in front. Open one, then run it again (or type "sde-${entry.id}" in a TypeScript file).`);
}

async function insertCell(editor: vscode.NotebookEditor, code: string): Promise<InsertResult> {
  const notebook = editor.notebook;
  const selected = editor.selection;
  const index = notebook.cellCount === 0 ? 0 : Math.min(notebook.cellCount, selected.isEmpty ? selected.start + 1 : selected.end);
  const edit = new vscode.WorkspaceEdit();
  edit.set(notebook.uri, [vscode.NotebookEdit.insertCells(index, [new vscode.NotebookCellData(vscode.NotebookCellKind.Code, code.trimEnd(), "typescript")])]);
  await vscode.workspace.applyEdit(edit);
  const range = new vscode.NotebookRange(index, index + 1);
  editor.selections = [range];
  editor.revealRange(range, vscode.NotebookEditorRevealType.InCenterIfOutsideViewport);
  await vscode.commands.executeCommand("notebook.cell.edit");
  return { into: "cell", index };
}
