/**
 * Messages between a {@link ./host/session.KernelSession} and its kernel process. Plain data
 * only: it crosses the IPC channel of `child_process.fork` as JSON.
 */
import type { MimeBundle } from "../lab/display";

/** What the kernel process is started with (JSON in its first argument). */
export interface KernelInit {
  /** Folder that `import`s resolve from (the notebook's folder): workspace packages load. */
  cwd: string;
  /** Absolute path of the bundled `sde-lab` library; `sde-lab/<name>` loads `<name>.js` beside it. */
  labPath: string;
  /** Bytes of output one cell may send; past it the head and the tail are kept. */
  outputLimitBytes: number;
  /** Name of the setting or flag that sets {@link outputLimitBytes}, for the note in the cell. */
  outputLimitName: string;
  /** Stream text is gathered for at most this long before it is sent (0: send every write). */
  batchMs: number;
  /** A batch is sent as soon as it holds this many bytes. */
  batchBytes: number;
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

/** Output a cell produces while it runs, as the host hands it to its front end. */
export type CellOutput =
  | { type: "stream"; name: "stdout" | "stderr"; text: string }
  | { type: "display"; bundle: MimeBundle };

/** Session → kernel. */
export type ToKernel =
  | { type: "execute"; id: number; code: string; label: string }
  /** Stops execution `id` if it still runs; `-1` while idle cancels every pending timer. */
  | { type: "interrupt"; id: number };

/** Kernel → session. */
export type FromKernel =
  | { type: "ready" }
  | { type: "stream"; id: number; name: "stdout" | "stderr"; text: string }
  | { type: "display"; id: number; bundle: MimeBundle }
  /** `result` is the bundle of the cell's final expression, if it shows anything. */
  | { type: "done"; id: number; ok: true; result?: MimeBundle }
  | { type: "done"; id: number; ok: false; error: CellError; interrupted: boolean }
  /** An error raised after its cell ended (an unhandled rejection, a throwing timer). */
  | { type: "late-error"; id: number; error: CellError };
