/**
 * The requests the extension sends to the TypeScript server plugin through VS Code's
 * `typescript.tsserverRequest` command (which passes on commands that start with `_`).
 */
import type { CellDiagnostic } from "./notebook-service";
import type { CellText } from "./virtual-notebook";

/** Checks a notebook and answers with its problems. */
export const DIAGNOSTICS_REQUEST = "_sdeLab.notebookDiagnostics";
/** Forgets a closed notebook. */
export const CLOSE_REQUEST = "_sdeLab.closeNotebook";

/** Arguments of {@link DIAGNOSTICS_REQUEST}. */
export interface NotebookDiagnosticsArgs {
  /** The notebook's path (its URI path). */
  notebook: string;
  /** Code cells in notebook order. */
  cells: CellText[];
}

/** Response body of {@link DIAGNOSTICS_REQUEST}. */
export interface NotebookDiagnosticsBody {
  diagnostics: CellDiagnostic[];
  /** Milliseconds the check took inside tsserver. */
  tookMs: number;
}
