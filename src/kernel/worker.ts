/**
 * Kernel worker: runs a notebook's cells in one realm, one after another, and streams what
 * they print and display back to the {@link ./session.KernelSession}.
 *
 * Cells share the worker's global scope (see ./transform), so values keep their identity
 * between cells and the lab library: `instanceof` and `{}.constructor === Object` hold.
 * Nothing here touches the host process: this file only ever runs inside a worker thread,
 * and console, timers and the display sink are this worker's own globals.
 */
import { parentPort, workerData } from "node:worker_threads";
import { runInThisContext } from "node:vm";
import { AsyncLocalStorage } from "node:async_hooks";
import { Console } from "node:console";
import { Writable } from "node:stream";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { inspect } from "node:util";
import { DISPLAY_SINK } from "../lab/display";
import { toBundle } from "./display";
import type { CellError, FromWorker, ToWorker, WorkerInit } from "./protocol";
import { cleanStack, type CellSource } from "./stack";
import { CellSyntaxError, HELPER, transformCell, type TransformedCell } from "./transform";

const port = parentPort;
if (!port) throw new Error("kernel/worker.ts must run in a worker thread");
const init = workerData as WorkerInit;

const post = (message: FromWorker) => port.postMessage(message);
const context = new AsyncLocalStorage<{ id: number }>();
/**
 * Recent executions by script file name, for stack mapping. Bounded: a function defined by a
 * very old execution still runs, its frames just keep their script positions.
 */
const cells = new Map<string, CellSource>();
const REMEMBERED_CELLS = 500;
function rememberCell(file: string, source: CellSource): void {
  if (cells.size >= REMEMBERED_CELLS) cells.delete(cells.keys().next().value!);
  cells.set(file, source);
}
const internalFiles = [__filename];

interface Running {
  id: number;
  label: string;
  timers: Set<NodeJS.Timeout | NodeJS.Immediate>;
  interrupt: (error: CellError) => void;
}
let running: Running | undefined;
const allTimers = new Set<NodeJS.Timeout | NodeJS.Immediate>();
const timersByExecution = new Map<number, Set<NodeJS.Timeout | NodeJS.Immediate>>();

/** The execution that caused the current work: the async context's, else the running one. */
function currentId(): number {
  return context.getStore()?.id ?? running?.id ?? -1;
}

// ---- console: the cell's own, streaming each line to the session as it is written --------
function stream(name: "stdout" | "stderr"): Writable {
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      post({ type: "stream", id: currentId(), name, text: String(chunk) });
      callback();
    },
  });
}
const cellConsole = new Console({ stdout: stream("stdout"), stderr: stream("stderr"), colorMode: false });
Object.defineProperty(globalThis, "console", { value: cellConsole, writable: true, configurable: true });

// ---- rich display ------------------------------------------------------------------------
Object.defineProperty(globalThis, DISPLAY_SINK, {
  value: (value: unknown) => {
    const bundle = toBundle(value);
    if (bundle) post({ type: "display", id: currentId(), bundle });
  },
});

// ---- module loading: "sde-lab", node: built-ins, and the notebook's workspace packages ---
const notebookRequire = createRequire(join(init.cwd, "__sde_notebook__.js"));
function load(spec: string): unknown {
  if (spec === "sde-lab") return notebookRequire(init.labPath);
  // Subpath entries ("sde-lab/challenges") are sibling bundles of the lab's index.js.
  if (/^sde-lab\/[a-z-]+$/.test(spec)) return notebookRequire(join(dirname(init.labPath), `${spec.slice("sde-lab/".length)}.js`));
  return notebookRequire(spec);
}
let lab: { display: unknown } | undefined;
Object.defineProperty(globalThis, "display", {
  configurable: true,
  enumerable: false,
  get: () => (lab ??= load("sde-lab") as { display: unknown }).display,
  set: (value: unknown) => Object.defineProperty(globalThis, "display", { value, writable: true, configurable: true }),
});
Object.defineProperty(globalThis, "require", { value: notebookRequire, writable: true, configurable: true });
Object.defineProperty(globalThis, HELPER, {
  value: {
    async import(spec: string): Promise<unknown> {
      try {
        return load(spec);
      } catch (error) {
        if ((error as { code?: string }).code !== "ERR_REQUIRE_ESM") throw error;
        // An ES-module-only package: load it with import(), resolved from the notebook's folder.
        return import(pathToFileURL(notebookRequire.resolve(spec)).href);
      }
    },
    named(mod: Record<string, unknown>, name: string, spec: string): unknown {
      if (mod === null || (typeof mod !== "object" && typeof mod !== "function") || !(name in mod)) {
        throw new SyntaxError(`The module '${spec}' does not provide an export named '${name}'`);
      }
      return mod[name];
    },
    defaultExport(mod: { __esModule?: boolean; default?: unknown }): unknown {
      return mod && (mod.__esModule || Object.prototype.toString.call(mod) === "[object Module]") ? mod.default : mod;
    },
  },
});

// ---- timers: tracked per execution so an interrupt can cancel pending work ----------------
type TimerFn = (callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => NodeJS.Timeout;
/** Each pending timer's per-execution set, so untracking is O(1) (simulations yield often). */
const owners = new Map<NodeJS.Timeout | NodeJS.Immediate, Set<NodeJS.Timeout | NodeJS.Immediate>>();
function track(handle: NodeJS.Timeout | NodeJS.Immediate): void {
  const id = currentId();
  allTimers.add(handle);
  let set = timersByExecution.get(id);
  if (!set) timersByExecution.set(id, (set = new Set()));
  set.add(handle);
  owners.set(handle, set);
}
function untrack(handle: unknown): void {
  const h = handle as NodeJS.Timeout | NodeJS.Immediate;
  allTimers.delete(h);
  owners.get(h)?.delete(h);
  owners.delete(h);
}
const realSetTimeout = globalThis.setTimeout;
const realSetInterval = globalThis.setInterval;
const realSetImmediate = globalThis.setImmediate;
const realClearTimeout = globalThis.clearTimeout;
const realClearInterval = globalThis.clearInterval;
const realClearImmediate = globalThis.clearImmediate;
globalThis.setTimeout = ((callback: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
  const handle: NodeJS.Timeout = (realSetTimeout as unknown as TimerFn)(
    (...a: unknown[]) => {
      untrack(handle);
      callback(...a);
    },
    ms,
    ...args,
  );
  track(handle);
  return handle;
}) as typeof setTimeout;
globalThis.setInterval = ((callback: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
  const handle = (realSetInterval as unknown as TimerFn)(callback, ms, ...args);
  track(handle);
  return handle;
}) as typeof setInterval;
globalThis.setImmediate = ((callback: (...a: unknown[]) => void, ...args: unknown[]) => {
  const handle: NodeJS.Immediate = realSetImmediate((...a: unknown[]) => {
    untrack(handle);
    callback(...a);
  }, ...args);
  track(handle);
  return handle;
}) as typeof setImmediate;
globalThis.clearTimeout = ((h?: NodeJS.Timeout) => {
  untrack(h);
  realClearTimeout(h);
}) as typeof clearTimeout;
globalThis.clearInterval = ((h?: NodeJS.Timeout) => {
  untrack(h);
  realClearInterval(h);
}) as typeof clearInterval;
globalThis.clearImmediate = ((h?: NodeJS.Immediate) => {
  untrack(h);
  realClearImmediate(h);
}) as typeof clearImmediate;

function cancelTimers(handles: Iterable<NodeJS.Timeout | NodeJS.Immediate>): void {
  for (const h of [...handles]) {
    untrack(h);
    if ("_onImmediate" in h) realClearImmediate(h as NodeJS.Immediate);
    else realClearTimeout(h as NodeJS.Timeout);
  }
}

// ---- errors -------------------------------------------------------------------------------
function toCellError(error: unknown): CellError {
  if (error instanceof CellSyntaxError) {
    return { name: "SyntaxError", message: error.message, stack: `SyntaxError: ${error.description}\n    at ${running?.label ?? "cell"}:${error.line}:${error.column}` };
  }
  if (error && typeof error === "object" && typeof (error as Error).message === "string") {
    const e = error as Error;
    const name = typeof e.name === "string" ? e.name : "Error";
    const stack = typeof e.stack === "string" ? cleanStack(e.stack, cells, internalFiles) : `${name}: ${e.message}`;
    return { name, message: e.message, stack };
  }
  const text = inspect(error);
  return { name: "Uncaught", message: text, stack: `Uncaught ${text}` };
}


function reportLate(error: unknown, origin: "unhandledRejection" | "uncaughtException"): void {
  const id = currentId();
  const cellError = toCellError(error);
  if (origin === "unhandledRejection") {
    cellError.message = `Unhandled promise rejection: ${cellError.message}`;
    cellError.stack = `Unhandled promise rejection: ${cellError.stack}`;
  }
  // An error from the running cell's own async work fails that cell.
  if (running && running.id === id) running.interrupt(cellError);
  else post({ type: "late-error", id, error: cellError });
}
process.on("unhandledRejection", (error) => reportLate(error, "unhandledRejection"));
process.on("uncaughtException", (error) => reportLate(error, "uncaughtException"));

// ---- execution ----------------------------------------------------------------------------
/** Re-running an unchanged cell is common (Run All); its transform is reused. */
const transforms = new Map<string, TransformedCell>();
const TRANSFORM_CACHE_SIZE = 256;
function cachedTransform(code: string): TransformedCell {
  let cell = transforms.get(code);
  if (cell) {
    transforms.delete(code); // re-insert: most recently used last
  } else {
    cell = transformCell(code);
    if (transforms.size >= TRANSFORM_CACHE_SIZE) transforms.delete(transforms.keys().next().value!);
  }
  transforms.set(code, cell);
  return cell;
}

async function execute(id: number, code: string, label: string): Promise<void> {
  const file = `sde-cell-${id}.js`;
  let settle!: (result: FromWorker) => void;
  const finished = new Promise<FromWorker>((resolve) => (settle = resolve));
  // Node reports unhandled rejections once the microtask queue drains; finishing on the next
  // turn of the event loop lets a rejection the cell left behind fail this cell.
  const settleNextTurn = (result: FromWorker) => realSetImmediate(() => settle(result));
  const timers = new Set<NodeJS.Timeout | NodeJS.Immediate>();
  timersByExecution.set(id, timers);
  running = {
    id,
    label,
    timers,
    interrupt: (error) => settle({ type: "done", id, ok: false, error, interrupted: error.name === "Interrupted" }),
  };
  context.run({ id }, () => {
    try {
      const cell = cachedTransform(code);
      rememberCell(file, { label, originalPosition: (l, c) => cell.originalPosition(l, c) });
      const promise = runInThisContext(cell.code, { filename: file }) as Promise<unknown>;
      promise.then(
        (value) => {
          // The result rides on the "done" message: one message fewer per cell.
          const bundle = cell.hasResult ? toBundle(value) : undefined;
          settleNextTurn(bundle ? { type: "done", id, ok: true, result: bundle } : { type: "done", id, ok: true });
        },
        (error: unknown) => settleNextTurn({ type: "done", id, ok: false, error: toCellError(error), interrupted: false }),
      );
    } catch (error) {
      settle({ type: "done", id, ok: false, error: toCellError(error), interrupted: false });
    }
  });
  const result = await finished;
  running = undefined;
  if (timers.size === 0) timersByExecution.delete(id);
  post(result);
}

port.on("message", (message: ToWorker) => {
  switch (message.type) {
    case "execute":
      void execute(message.id, message.code, message.label);
      return;
    case "interrupt": {
      if (running) {
        cancelTimers(running.timers);
        running.interrupt({ name: "Interrupted", message: "Interrupted", stack: "Interrupted: the cell was stopped; the kernel keeps its state." });
      } else {
        cancelTimers(allTimers);
      }
      return;
    }
  }
});

post({ type: "ready" });
