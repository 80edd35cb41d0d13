/**
 * What one cell's run means for Run All: the single place where `expectError`, a dead
 * kernel, a timeout and an interrupt are judged, for the CLI and VS Code alike.
 */
import type { CellError, ExecutionResult } from "../host/session";

/**
 * How a cell ended, judged against its `expectError` mark.
 * - `ok`: it succeeded and was meant to.
 * - `expected-error`: it failed and was marked `expectError` (an error, a dead kernel or a
 *   timeout all count as failing).
 * - `error`: it failed and was not marked.
 * - `interrupted`: the user stopped it, or it timed out without `expectError`.
 * - `missing-expected-error`: it was marked `expectError` but succeeded.
 */
export type CellStatus = "ok" | "error" | "interrupted" | "expected-error" | "missing-expected-error";

/** Whether Run All goes on to the next cell after a cell with this status. */
export function continuesRun(status: CellStatus): boolean {
  return status === "ok" || status === "expected-error";
}

/** Judges one execution. */
export function verdict(result: ExecutionResult, expectError: boolean): CellStatus {
  switch (result.status) {
    case "ok":
      return expectError ? "missing-expected-error" : "ok";
    case "error":
      // A thrown error, and equally a kernel the cell ended (exit, abort, a signal, the memory
      // limit): the cell failed. That is what an expectError cell promises.
      return expectError ? "expected-error" : "error";
    case "interrupted":
      // A timeout is a failure of the cell; a stop the user asked for is not the cell's doing.
      return expectError && result.timedOut === true ? "expected-error" : "interrupted";
  }
}

/** The error a cell shows when it was marked `expectError` and succeeded. */
export const MISSING_EXPECTED_ERROR: CellError = {
  name: "MissingExpectedError",
  message: "This cell is marked to fail (metadata expectError) but it succeeded.",
  stack: "MissingExpectedError: this cell is marked to fail (metadata expectError) but it succeeded; fix the cell or remove the mark.",
};
