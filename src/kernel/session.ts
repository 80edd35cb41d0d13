/**
 * One kernel per notebook: a worker thread that runs cells in order, keeps their state,
 * streams their output, and can be interrupted or restarted without harming its host.
 */
import { Worker } from "node:worker_threads";
import { join } from "node:path";
import type { MimeBundle } from "../lab/display";
import type { CellError, FromWorker, ToWorker, WorkerInit } from "./protocol";

export type { CellError } from "./protocol";

/** Options of a {@link KernelSession}. Defaults are in {@link KERNEL_DEFAULTS}. */
export interface KernelOptions {
  /** Folder imports resolve from: the notebook's folder, so workspace packages load. */
  cwd: string;
  /** The built worker script. Default: `worker.js` beside this bundle. */
  workerPath?: string;
  /** The built `sde-lab` library. Default: `lab/index.js` beside this bundle. */
  labPath?: string;
  /** Old-generation heap limit of the worker in MB; past it the kernel stops, not the host. */
  memoryLimitMb?: number;
  /** How long an interrupt waits for the cell to stop before the worker is replaced (ms). */
  interruptGraceMs?: number;
}

/** Defaults for {@link KernelOptions}, in one place. */
export const KERNEL_DEFAULTS = {
  memoryLimitMb: 2048,
  interruptGraceMs: 300,
} as const;

/** Output a cell produces while it runs. */
export type CellOutput =
  | { type: "stream"; name: "stdout" | "stderr"; text: string }
  | { type: "display"; bundle: MimeBundle };

/** How a cell's execution ended. */
export type ExecutionResult =
  | { status: "ok"; durationMs: number }
  | { status: "error"; error: CellError; durationMs: number }
  /** Stopped by {@link KernelSession.interrupt} or a timeout; `restarted` when state was lost. */
  | { status: "interrupted"; error: CellError; restarted: boolean; durationMs: number };

/** Per-execution options. */
export interface ExecuteOptions {
  /** Name used in stack traces, e.g. `Cell 3`. */
  label?: string;
  /** Receives output as it is produced, in order. */
  onOutput?: (output: CellOutput) => void;
  /** Interrupt the cell after this many ms. */
  timeoutMs?: number;
}

/** Something the session tells its front end outside any execution. */
export type KernelEvent =
  | { type: "restarted"; reason: string }
  /** Output or an error from async work of a cell that had already finished. */
  | { type: "late-output"; output: CellOutput }
  | { type: "late-error"; error: CellError };

interface Pending {
  id: number;
  code: string;
  options: ExecuteOptions;
  resolve: (result: ExecutionResult) => void;
  started?: number;
  /** Settles when the execution has finished, however it ended. */
  finished?: Promise<void>;
  markFinished?: () => void;
}

const RESTART_NOTE = "The kernel was restarted and its state cleared: run the cells above again to recreate their variables.";

/** A notebook's kernel. Executions run one at a time, in the order requested. */
export class KernelSession {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private nextId = 1;
  private readonly queue: Pending[] = [];
  private current: Pending | undefined;
  private listeners = new Set<(event: KernelEvent) => void>();
  private disposed = false;
  private generation = 0;
  private readonly options: Required<KernelOptions>;

  constructor(options: KernelOptions) {
    const memoryLimitMb = options.memoryLimitMb ?? KERNEL_DEFAULTS.memoryLimitMb;
    const interruptGraceMs = options.interruptGraceMs ?? KERNEL_DEFAULTS.interruptGraceMs;
    if (!(memoryLimitMb >= 16)) throw new RangeError(`memoryLimitMb must be at least 16, got ${memoryLimitMb}`);
    if (!(interruptGraceMs >= 0)) throw new RangeError(`interruptGraceMs must be ≥ 0, got ${interruptGraceMs}`);
    this.options = {
      cwd: options.cwd,
      workerPath: options.workerPath ?? join(__dirname, "worker.js"),
      labPath: options.labPath ?? join(__dirname, "lab", "index.js"),
      memoryLimitMb,
      interruptGraceMs,
    };
  }

  /** Subscribes to session events; returns a function that unsubscribes. */
  onEvent(listener: (event: KernelEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts the worker now rather than on the first execution (hides its start-up time). */
  start(): Promise<void> {
    this.ensureWorker();
    return this.ready!;
  }

  /** Runs `code` after every execution requested before it. Never rejects. */
  execute(code: string, options: ExecuteOptions = {}): Promise<ExecutionResult> {
    if (this.disposed) throw new Error("This kernel session has been disposed");
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, code, options, resolve });
      this.pump();
    });
  }

  /**
   * Stops the running cell and cancels queued ones. Async work stops at once; a cell busy in
   * synchronous code gets its worker replaced after the grace period (state is lost).
   */
  async interrupt(): Promise<void> {
    for (const pending of this.queue.splice(0)) {
      pending.resolve({
        status: "interrupted",
        error: { name: "Interrupted", message: "Not run: the kernel was interrupted", stack: "Interrupted: not run" },
        restarted: false,
        durationMs: 0,
      });
    }
    const worker = this.worker;
    if (!this.current || !worker) {
      worker?.postMessage({ type: "interrupt" } satisfies ToWorker);
      return;
    }
    const target = this.current;
    worker.postMessage({ type: "interrupt" } satisfies ToWorker);
    // A worker that is free answers at once; one stuck in a synchronous loop never reads the
    // message, so after the grace period it is replaced.
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.options.interruptGraceMs)));
    const stuck = await Promise.race([target.finished!.then(() => false), graceOver]);
    clearTimeout(timer);
    if (stuck && this.current === target) {
      this.replaceWorker(
        target,
        "Interrupted: the cell was busy running synchronous code and could not be stopped gently, so the kernel was restarted and its state cleared.",
        "interrupt of a busy cell",
      );
    }
  }

  /** Stops everything and starts a fresh worker: all state is cleared. */
  async restart(): Promise<void> {
    await this.interrupt();
    this.killWorker();
    this.emit({ type: "restarted", reason: "restart requested" });
    await this.start();
  }

  /** Ends the worker; the session cannot be used afterwards. */
  async dispose(): Promise<void> {
    this.disposed = true;
    await this.interrupt();
    this.killWorker();
    this.listeners.clear();
  }

  private emit(event: KernelEvent): void {
    for (const l of this.listeners) l(event);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const init: WorkerInit = { cwd: this.options.cwd, labPath: this.options.labPath };
    const worker = new Worker(this.options.workerPath, {
      workerData: init,
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: this.options.memoryLimitMb },
    });
    const generation = ++this.generation;
    this.worker = worker;
    this.ready = new Promise((resolve) => {
      const onReady = (m: FromWorker) => {
        if (m.type === "ready") {
          worker.off("message", onReady);
          resolve();
        }
      };
      worker.on("message", onReady);
      worker.once("exit", () => resolve());
    });
    worker.on("message", (m: FromWorker) => this.onMessage(m));
    // Direct writes to process.stdout/stderr (not through console) still reach the cell.
    worker.stdout.setEncoding("utf8").on("data", (text: string) => this.routeOutput(this.current?.id ?? -1, { type: "stream", name: "stdout", text }));
    worker.stderr.setEncoding("utf8").on("data", (text: string) => this.routeOutput(this.current?.id ?? -1, { type: "stream", name: "stderr", text }));
    let fatal: Error | undefined;
    worker.on("error", (error) => (fatal = error));
    worker.on("exit", (code) => {
      if (generation !== this.generation) return; // replaced on purpose
      this.worker = undefined;
      const current = this.current;
      const reason = describeExit(code, fatal, this.options.memoryLimitMb);
      if (current) {
        this.finish(current, {
          status: "error",
          error: { name: "KernelDied", message: reason, stack: `KernelDied: ${reason}\n${RESTART_NOTE}` },
          durationMs: elapsed(current),
        });
      }
      if (!this.disposed) this.emit({ type: "restarted", reason });
    });
    return worker;
  }

  private onMessage(m: FromWorker): void {
    switch (m.type) {
      case "stream":
        this.routeOutput(m.id, { type: "stream", name: m.name, text: m.text });
        return;
      case "display":
        this.routeOutput(m.id, { type: "display", bundle: m.bundle });
        return;
      case "late-error":
        this.emit({ type: "late-error", error: m.error });
        return;
      case "done": {
        const current = this.current;
        if (!current || current.id !== m.id) return;
        const durationMs = elapsed(current);
        if (m.ok) {
          if (m.result) current.options.onOutput?.({ type: "display", bundle: m.result });
          this.finish(current, { status: "ok", durationMs });
        }
        else if (m.interrupted) this.finish(current, { status: "interrupted", error: m.error, restarted: false, durationMs });
        else this.finish(current, { status: "error", error: m.error, durationMs });
        return;
      }
      case "ready":
        return;
    }
  }

  /** Output goes to the cell that caused it while it runs, else to the running cell. */
  private routeOutput(id: number, output: CellOutput): void {
    const current = this.current;
    if (current && (current.id === id || id === -1 || id < current.id)) current.options.onOutput?.(output);
    else this.emit({ type: "late-output", output });
  }

  private pump(): void {
    if (this.current || this.queue.length === 0 || this.disposed) return;
    const next = this.queue.shift()!;
    this.current = next;
    next.finished = new Promise((resolve) => (next.markFinished = resolve));
    const worker = this.ensureWorker();
    next.started = performance.now();
    if (next.options.timeoutMs !== undefined) {
      const timer = setTimeout(() => {
        if (this.current === next) void this.interrupt();
      }, next.options.timeoutMs);
      const resolve = next.resolve;
      next.resolve = (r) => {
        clearTimeout(timer);
        if (r.status === "interrupted" && r.error.name === "Interrupted") {
          const message = `Timed out after ${next.options.timeoutMs} ms`;
          resolve({ ...r, error: { ...r.error, message, stack: `${message}\n${r.error.stack}` } });
        } else resolve(r);
      };
    }
    worker.postMessage({ type: "execute", id: next.id, code: next.code, label: next.options.label ?? `Cell ${next.id}` } satisfies ToWorker);
  }

  private finish(pending: Pending, result: ExecutionResult): void {
    if (this.current === pending) this.current = undefined;
    pending.markFinished?.();
    pending.resolve(result);
    this.pump();
  }

  private replaceWorker(target: Pending, message: string, reason: string): void {
    this.killWorker();
    this.finish(target, {
      status: "interrupted",
      error: { name: "Interrupted", message, stack: `${message}\n${RESTART_NOTE}` },
      restarted: true,
      durationMs: elapsed(target),
    });
    this.emit({ type: "restarted", reason });
    // Warm a fresh worker so the next cell starts at once.
    if (!this.disposed) this.ensureWorker();
  }

  private killWorker(): void {
    const worker = this.worker;
    this.worker = undefined;
    this.generation++;
    if (worker) void worker.terminate();
  }
}

function elapsed(p: Pending): number {
  return p.started === undefined ? 0 : performance.now() - p.started;
}

function describeExit(code: number, error: Error | undefined, memoryLimitMb: number): string {
  if (error && (error as { code?: string }).code === "ERR_WORKER_OUT_OF_MEMORY") {
    return `The kernel ran out of memory (limit ${memoryLimitMb} MB) and was stopped.`;
  }
  if (error) return `The kernel stopped: ${error.message}`;
  return `The kernel stopped: the code called process.exit(${code}).`;
}
