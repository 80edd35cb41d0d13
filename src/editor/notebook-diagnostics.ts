/**
 * Publishes the problems of open `.sdenb` notebooks on their cells (squiggles and the
 * Problems panel).
 *
 * VS Code's TypeScript client drops semantic diagnostics for notebook cells, and checks each
 * cell alone. So the extension asks tsserver, where our plugin checks the notebook as one
 * program, through the TypeScript extension's `typescript.tsserverRequest` command, and
 * publishes the answer itself. It asks again, debounced, whenever a cell is edited, added,
 * moved or deleted; the request carries the cells in notebook order, which tsserver does not
 * otherwise know.
 */
import * as vscode from "vscode";
import { cellKeyOfUri, CELL_SCHEME } from "./cell-keys";
import type { CellDiagnostic } from "./notebook-service";
import { CLOSE_REQUEST, DIAGNOSTICS_REQUEST, type NotebookDiagnosticsArgs, type NotebookDiagnosticsBody } from "./protocol";

/** Options of {@link registerNotebookDiagnostics}. */
export interface NotebookDiagnosticsOptions {
  /** The notebook type whose cells are checked. */
  notebookType: string;
  /** Quiet time after the last edit before checking, ms. Default 150. */
  debounceMs?: number;
  /** Called with each check's timings (the end-to-end test reads them). */
  onChecked?: (notebook: vscode.NotebookDocument, tookMs: number) => void;
}

const SEVERITY: Record<CellDiagnostic["category"], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  suggestion: vscode.DiagnosticSeverity.Hint,
  message: vscode.DiagnosticSeverity.Information,
};

/** tsserver starts lazily: retry a request this many times, this far apart, before giving up. */
const RETRIES = 240;
const RETRY_MS = 500;

/** Starts publishing; dispose to stop and clear. */
export function registerNotebookDiagnostics(options: NotebookDiagnosticsOptions): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection("sde-lab");
  const timers = new Map<vscode.NotebookDocument, ReturnType<typeof setTimeout>>();
  const published = new Map<vscode.NotebookDocument, vscode.Uri[]>();
  const generation = new Map<vscode.NotebookDocument, number>();
  const debounceMs = options.debounceMs ?? 150;
  const ours = (nb: vscode.NotebookDocument) => nb.notebookType === options.notebookType && !nb.isClosed;

  const codeCells = (nb: vscode.NotebookDocument) =>
    nb.getCells().filter((c) => c.kind === vscode.NotebookCellKind.Code && c.document.languageId === "typescript");

  const check = async (nb: vscode.NotebookDocument, attempt = 0): Promise<void> => {
    if (!ours(nb)) return;
    const mine = (generation.get(nb) ?? 0) + 1;
    generation.set(nb, mine);
    const cells = codeCells(nb);
    const args: NotebookDiagnosticsArgs = { notebook: nb.uri.path, cells: cells.map((c) => ({ key: cellKeyOfUri(c.document.uri), text: c.document.getText() })) };
    let response: { body?: NotebookDiagnosticsBody } | undefined;
    try {
      response = await vscode.commands.executeCommand<{ body?: NotebookDiagnosticsBody } | undefined>("typescript.tsserverRequest", DIAGNOSTICS_REQUEST, args);
    } catch {
      response = undefined;
    }
    if (generation.get(nb) !== mine || !ours(nb)) return; // a newer check is under way
    if (!response?.body) {
      // TypeScript's server is still starting (or the plugin is not loaded yet).
      if (attempt < RETRIES) timers.set(nb, setTimeout(() => void check(nb, attempt + 1), RETRY_MS));
      return;
    }
    const byKey = new Map(cells.map((c) => [cellKeyOfUri(c.document.uri), c.document]));
    const perCell = new Map<vscode.TextDocument, vscode.Diagnostic[]>(cells.map((c) => [c.document, []]));
    for (const d of response.body.diagnostics) {
      const doc = byKey.get(d.cell);
      if (!doc) continue;
      const range = new vscode.Range(doc.positionAt(d.start), doc.positionAt(d.start + d.length));
      const diagnostic = new vscode.Diagnostic(range, d.message, SEVERITY[d.category]);
      diagnostic.source = "ts";
      diagnostic.code = d.code;
      perCell.get(doc)!.push(diagnostic);
    }
    for (const uri of published.get(nb) ?? []) if (!cells.some((c) => c.document.uri.toString() === uri.toString())) collection.delete(uri);
    for (const [doc, list] of perCell) collection.set(doc.uri, list);
    published.set(nb, cells.map((c) => c.document.uri));
    options.onChecked?.(nb, response.body.tookMs);
  };

  const schedule = (nb: vscode.NotebookDocument, delay = debounceMs) => {
    if (!ours(nb)) return;
    clearTimeout(timers.get(nb));
    timers.set(nb, setTimeout(() => void check(nb), delay));
  };

  const notebookOfCell = (doc: vscode.TextDocument) =>
    doc.uri.scheme === CELL_SCHEME ? vscode.workspace.notebookDocuments.find((nb) => nb.uri.path === doc.uri.path && ours(nb)) : undefined;

  const subscriptions = [
    collection,
    vscode.workspace.onDidOpenNotebookDocument((nb) => schedule(nb, 0)),
    vscode.workspace.onDidChangeNotebookDocument((e) => {
      // Cells added, deleted or moved; a cell's language changed; or a cell's text.
      if (e.contentChanges.length > 0 || e.cellChanges.some((c) => c.document)) schedule(e.notebook);
    }),
    vscode.workspace.onDidChangeTextDocument((e) => {
      const nb = e.contentChanges.length > 0 ? notebookOfCell(e.document) : undefined;
      if (nb) schedule(nb);
    }),
    vscode.workspace.onDidCloseNotebookDocument((nb) => {
      clearTimeout(timers.get(nb));
      timers.delete(nb);
      generation.delete(nb);
      for (const uri of published.get(nb) ?? []) collection.delete(uri);
      published.delete(nb);
      if (nb.notebookType === options.notebookType) void Promise.resolve(vscode.commands.executeCommand("typescript.tsserverRequest", CLOSE_REQUEST, { notebook: nb.uri.path })).catch(() => undefined);
    }),
  ];
  for (const nb of vscode.workspace.notebookDocuments) schedule(nb, 0);
  return new vscode.Disposable(() => {
    for (const t of timers.values()) clearTimeout(t);
    for (const s of subscriptions) s.dispose();
  });
}
