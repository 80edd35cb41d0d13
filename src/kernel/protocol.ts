/**
 * Messages between a {@link ./session.KernelSession} and its worker. Plain data only: it
 * crosses `postMessage`.
 */
import type { MimeBundle } from "../lab/display";

/** What the worker is started with. */
export interface WorkerInit {
  /** Folder that `import`s resolve from (the notebook's folder): workspace packages load. */
  cwd: string;
  /** Absolute path of the bundled `sde-lab` library that `import ... from "sde-lab"` loads. */
  labPath: string;
}

/** A serialized error as a cell shows it. */
export interface CellError {
  /** Error class name, e.g. `TypeError`. */
  name: string;
  /** The message. */
  message: string;
  /** Stack trace with cell positions (`Cell 2:3:7`) and without kernel frames. */
  stack: string;
}

/** Session → worker. */
export type ToWorker =
  | { type: "execute"; id: number; code: string; label: string }
  | { type: "interrupt" };

/** Worker → session. */
export type FromWorker =
  | { type: "ready" }
  | { type: "stream"; id: number; name: "stdout" | "stderr"; text: string }
  | { type: "display"; id: number; bundle: MimeBundle }
  /** `result` is the bundle of the cell's final expression, if it shows anything. */
  | { type: "done"; id: number; ok: true; result?: MimeBundle }
  | { type: "done"; id: number; ok: false; error: CellError; interrupted: boolean }
  /** An error raised after its cell ended (an unhandled rejection, a throwing timer). */
  | { type: "late-error"; id: number; error: CellError };
