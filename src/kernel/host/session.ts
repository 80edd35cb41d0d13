/**
 * One kernel per notebook: a child process that runs cells in order, keeps their state,
 * streams their output, and can be interrupted or restarted. Whatever a cell does ends at
 * most that process; the host (the extension host or the CLI) only reads its messages.
 */
import { fork, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CellError, CellOutput, FromKernel, KernelInit, ToKernel } from "../protocol";
import { describeExit, type KernelExit } from "./exit-reason";
import { watchMemory } from "./memory-watchdog";
import { KERNEL_V8_FLAGS } from "./v8-flags";

export type { CellError, CellOutput } from "../protocol";

/** Options of a {@link KernelSession}. Defaults are in {@link KERNEL_DEFAULTS}. */
export interface KernelOptions {
  /** Folder imports resolve from and the kernel's working directory: the notebook's folder. */
  cwd: string;
  /** The built kernel process script. Default: `kernel.js` beside this bundle. */
  kernelPath?: string;
  /** The built `sde-lab` library. Default: `lab/index.js` beside this bundle. */
  labPath?: string;
  /** The runtime that runs the kernel. Default: this process's own (VS Code's Electron as Node). */
  execPath?: string;
  /** Memory the kernel may hold in MB, heap and buffers together; past it the kernel is ended. */
  memoryLimitMb?: number;
  /** How the learner changes {@link memoryLimitMb}, named in the message. */
  memoryLimitName?: string;
  /** Output one cell may produce in KB; past it the head and the tail are kept. */
  outputLimitKb?: number;
  /** How the learner changes {@link outputLimitKb}, named in the note. */
  outputLimitName?: string;
  /** How long an interrupt waits for the cell to stop before the kernel is replaced (ms). */
  interruptGraceMs?: number;
  /** Time between two samples of the kernel's resident memory (ms). */
  memorySampleMs?: number;
  /** Longest time stream text waits in the kernel before it is sent (ms); 0 sends every write. */
  outputBatchMs?: number;
  /**
   * Environment variables the kernel sees on top of this process's own, e.g. `AMQP_URL` from
   * the setting `sdeLab.rabbitmq.url` (cells read `process.env.AMQP_URL`).
   */
  env?: Readonly<Record<string, string>>;
}

/** Defaults for {@link KernelOptions}, in one place. */
export const KERNEL_DEFAULTS = {
  memoryLimitMb: 2048,
  memoryLimitName: "the memory limit option",
  outputLimitKb: 1024,
  outputLimitName: "the output limit option",
  interruptGraceMs: 500,
  memorySampleMs: 100,
  outputBatchMs: 30,
  /** A batch is sent once it holds this much text. */
  outputBatchBytes: 64 * 1024,
} as const;

/** How a cell's execution ended. */
export type ExecutionResult =
  | { status: "ok"; durationMs: number }
  | { status: "error"; error: CellError; durationMs: number }
  /** Stopped by {@link KernelSession.interrupt} or a timeout; `restarted` when state was lost. */
  | { status: "interrupted"; error: CellError; restarted: boolean; timedOut?: boolean; durationMs: number };

/** Per-execution options. */
export interface ExecuteOptions {
  /** Name used in stack traces, e.g. `Cell 3`. */
  label?: string;
  /** Receives output as it is produced, in order. */
  onOutput?: (output: CellOutput) => void;
  /** Interrupt the cell after this many ms. */
  timeoutMs?: number;
  /**
   * Called when the execution is sent to the kernel, with the id the kernel tags its
   * messages with: output or errors that come after the cell finished carry the same
   * {@link KernelEvent} `executionId`, so a front end can name the cell that caused them.
   */
  onStart?: (executionId: number) => void;
}

/** Something the session tells its front end outside any execution. */
export type KernelEvent =
  /** The kernel's state is gone; `requested` when the user asked for it (Restart Kernel, Interrupt). */
  | { type: "restarted"; reason: string; requested: boolean }
  /**
   * Output or an error from async work of a cell that had already finished. `executionId` is
   * the execution whose code caused it (see {@link ExecuteOptions.onStart}); absent when the
   * kernel cannot tell (text written natively while no cell ran).
   */
  | { type: "late-output"; output: CellOutput; executionId?: number }
  | { type: "late-error"; error: CellError; executionId?: number };

/** One kernel process and what the session knows of it. */
interface Kernel {
  child: ChildProcess;
  /** Settles once the process has set itself up (or ended). */
  ready: Promise<void>;
  /** Whether it has installed its SIGINT handler (before that SIGINT would kill it). */
  isReady: boolean;
  /** An interrupt came before it was ready: send SIGINT once it is. */
  sigintWhenReady: boolean;
}

interface Pending {
  id: number;
  code: string;
  options: ExecuteOptions;
  resolve: (result: ExecutionResult) => void;
  started?: number;
  /** Settles when the execution has finished, however it ended. */
  finished?: Promise<void>;
  markFinished?: () => void;
  timer?: NodeJS.Timeout;
  timedOut?: boolean;
}

/** The message of a busy cell that had to be stopped by restarting the kernel. */
export const RESTARTED_ON_INTERRUPT =
  "The cell did not stop when interrupted, so the kernel was restarted and its variables were cleared.";

const NOT_RUN: CellError = { name: "Interrupted", message: "Not run: the kernel was interrupted", stack: "Interrupted: not run" };

/** A notebook's kernel. Executions run one at a time, in the order requested. */
export class KernelSession {
  private kernel: Kernel | undefined;
  /**
   * A kernel started while an interrupt waits for a busy cell: if the cell must be killed,
   * this one takes over at once, so the restart costs no start-up time.
   */
  private spare: Kernel | undefined;
  private nextId = 1;
  private readonly queue: Pending[] = [];
  private current: Pending | undefined;
  private listeners = new Set<(event: KernelEvent) => void>();
  private disposed = false;
  private readonly options: Required<KernelOptions>;

  constructor(options: KernelOptions) {
    const o = { ...KERNEL_DEFAULTS, ...definedOnly(options) };
    if (!(o.memoryLimitMb >= 16)) throw new RangeError(`memoryLimitMb must be at least 16, got ${o.memoryLimitMb}`);
    if (!(o.outputLimitKb >= 1)) throw new RangeError(`outputLimitKb must be at least 1, got ${o.outputLimitKb}`);
    if (!(o.interruptGraceMs >= 0)) throw new RangeError(`interruptGraceMs must be ≥ 0, got ${o.interruptGraceMs}`);
    if (!(o.memorySampleMs > 0 && o.memorySampleMs <= 250)) throw new RangeError(`memorySampleMs must be in (0, 250], got ${o.memorySampleMs}`);
    if (!(o.outputBatchMs >= 0)) throw new RangeError(`outputBatchMs must be ≥ 0, got ${o.outputBatchMs}`);
    this.options = {
      cwd: o.cwd,
      kernelPath: o.kernelPath ?? join(__dirname, "kernel.js"),
      labPath: o.labPath ?? join(__dirname, "lab", "index.js"),
      execPath: o.execPath ?? process.execPath,
      memoryLimitMb: o.memoryLimitMb,
      memoryLimitName: o.memoryLimitName,
      outputLimitKb: o.outputLimitKb,
      outputLimitName: o.outputLimitName,
      interruptGraceMs: o.interruptGraceMs,
      memorySampleMs: o.memorySampleMs,
      outputBatchMs: o.outputBatchMs,
      env: o.env ?? {},
    };
  }

  /** The kernel process's id while one runs (for tests and diagnostics). */
  get pid(): number | undefined {
    return this.kernel?.child.pid;
  }

  /** Subscribes to session events; returns a function that unsubscribes. */
  onEvent(listener: (event: KernelEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts the kernel now rather than on the first execution (hides its start-up time). */
  start(): Promise<void> {
    return this.ensureKernel().ready;
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
   * Stops the running cell and cancels queued ones, keeping the kernel's state: pending async
   * work stops at once, a synchronous loop is broken by SIGINT. A cell that does not stop
   * within the grace period (a loop inside a promise continuation, or no SIGINT on Windows)
   * costs a restart.
   */
  async interrupt(): Promise<void> {
    for (const pending of this.queue.splice(0)) {
      pending.resolve({ status: "interrupted", error: NOT_RUN, restarted: false, durationMs: 0 });
    }
    const kernel = this.kernel;
    const target = this.current;
    if (!kernel) return;
    if (!target) {
      this.send({ type: "interrupt", id: -1 });
      return;
    }
    this.send({ type: "interrupt", id: target.id });
    if (process.platform !== "win32") {
      if (kernel.isReady) kernel.child.kill("SIGINT");
      else kernel.sigintWhenReady = true;
    }
    const stopped = target.finished!.then(() => false);
    const after = (ms: number) => new Promise<boolean>((resolve) => setTimeout(() => resolve(true), ms).unref());
    // A cell that SIGINT reaches stops within milliseconds; one still busy after 50 ms likely
    // needs a new kernel, so start it now, while the grace period runs.
    const slow = await Promise.race([stopped, after(Math.min(50, this.options.interruptGraceMs))]);
    if (slow && this.current === target && !this.disposed && !this.spare) this.spare = this.spawnKernel();
    const stuck = slow && (await Promise.race([stopped, after(this.options.interruptGraceMs - Math.min(50, this.options.interruptGraceMs))]));
    if (stuck && this.current === target) this.replaceKernel(target);
  }

  /** Stops everything and starts a fresh kernel: all state is cleared. */
  async restart(): Promise<void> {
    for (const pending of this.queue.splice(0)) {
      pending.resolve({ status: "interrupted", error: NOT_RUN, restarted: false, durationMs: 0 });
    }
    const current = this.current;
    this.killKernel();
    if (current) {
      const message = "The kernel was restarted and its variables were cleared.";
      this.finish(current, { status: "interrupted", error: { name: "Interrupted", message, stack: `Interrupted: ${message}` }, restarted: true, durationMs: elapsed(current) });
    }
    this.emit({ type: "restarted", reason: "restart requested", requested: true });
    await this.start();
  }

  /** Ends the kernel; the session cannot be used afterwards. */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.spare?.child.kill("SIGKILL");
    this.spare = undefined;
    for (const pending of this.queue.splice(0)) {
      pending.resolve({ status: "interrupted", error: NOT_RUN, restarted: false, durationMs: 0 });
    }
    const current = this.current;
    this.killKernel();
    if (current) this.finish(current, { status: "interrupted", error: { name: "Interrupted", message: "The kernel was shut down", stack: "Interrupted: the kernel was shut down" }, restarted: true, durationMs: elapsed(current) });
    this.listeners.clear();
  }

  private emit(event: KernelEvent): void {
    for (const l of this.listeners) l(event);
  }

  private send(message: ToKernel): void {
    const child = this.kernel?.child;
    if (child?.connected) child.send(message);
  }

  private ensureKernel(): Kernel {
    if (this.kernel) return this.kernel;
    const spare = this.spare;
    this.spare = undefined;
    this.kernel = spare && spare.child.exitCode === null && spare.child.signalCode === null ? spare : this.spawnKernel();
    if (spare && this.kernel !== spare) spare.child.kill("SIGKILL");
    return this.kernel;
  }

  private spawnKernel(): Kernel {
    const o = this.options;
    const init: KernelInit = {
      cwd: o.cwd,
      labPath: o.labPath,
      outputLimitBytes: o.outputLimitKb * 1024,
      outputLimitName: o.outputLimitName,
      batchMs: o.outputBatchMs,
      batchBytes: KERNEL_DEFAULTS.outputBatchBytes,
    };
    const child = fork(o.kernelPath, [JSON.stringify(init)], {
      execPath: o.execPath,
      // Not the host's own flags (inspector, loaders): the heap limit and the kernel's V8 flags.
      execArgv: [`--max-old-space-size=${o.memoryLimitMb}`, ...KERNEL_V8_FLAGS],
      // In VS Code execPath is Electron; this makes it a plain Node runtime. Node ≥ 22.1 (VS
      // Code's) keeps compiled code of the kernel bundle on disk: later kernels start faster.
      env: { NODE_COMPILE_CACHE: join(tmpdir(), "sde-lab-compile-cache"), ...process.env, ...o.env, ELECTRON_RUN_AS_NODE: "1" },
      cwd: existsSync(o.cwd) ? o.cwd : undefined,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "json",
    });
    let onReady!: () => void;
    const kernel: Kernel = { child, ready: new Promise((resolve) => (onReady = resolve)), isReady: false, sigintWhenReady: false };
    const mine = () => this.kernel === kernel;
    const exit: KernelExit = { code: null, signal: null, stderrTail: "" };
    child.on("message", (m: FromKernel) => {
      if (m.type === "ready") {
        kernel.isReady = true;
        if (kernel.sigintWhenReady && mine() && this.current) child.kill("SIGINT");
        kernel.sigintWhenReady = false;
        onReady();
      } else if (mine()) this.onMessage(m);
    });
    // The kernel redirects process.stdout/stderr to the cell; what still arrives here was
    // written natively (fs.writeSync(1), V8's fatal errors).
    child.stdout!.setEncoding("utf8").on("data", (text: string) => {
      if (mine()) this.routeOutput(this.current?.id ?? -1, { type: "stream", name: "stdout", text });
    });
    // Once V8 or process.abort() starts its report, the rest (stack dumps, in several chunks)
    // is the dying process's, not the cell's: the cell's error says what happened instead.
    let dying = false;
    child.stderr!.setEncoding("utf8").on("data", (text: string) => {
      exit.stderrTail = (exit.stderrTail + text).slice(-4096);
      dying ||= /^\s*<--- |FATAL ERROR|^\s*\d+: 0x|^----- (Native|JavaScript) stack trace -----/m.test(text);
      if (mine() && !dying) this.routeOutput(this.current?.id ?? -1, { type: "stream", name: "stderr", text });
    });
    const stopWatching = child.pid
      ? watchMemory({
          pid: child.pid,
          limitBytes: o.memoryLimitMb * 1024 * 1024,
          intervalMs: o.memorySampleMs,
          onExceeded: (rss) => {
            exit.rssBytes = rss;
            child.kill("SIGKILL");
          },
        })
      : () => {};
    child.on("error", (error) => {
      // Only a failed start is reported here; kill() errors on a dead process are not news.
      if (child.pid === undefined) {
        exit.spawnError = error;
        this.onExit(kernel, exit);
      }
    });
    child.on("exit", (code, signal) => {
      stopWatching();
      exit.code = code;
      exit.signal = signal;
      onReady();
      // V8's last words on stderr may still be in the pipe: read them before explaining.
      const streamsDone = Promise.all([child.stdout, child.stderr].map((s) => (s!.readableEnded ? undefined : new Promise((r) => s!.once("end", r)))));
      void Promise.race([streamsDone, new Promise((r) => setTimeout(r, 200))]).then(() => this.onExit(kernel, exit));
    });
    return kernel;
  }

  private onExit(kernel: Kernel, exit: KernelExit): void {
    if (this.spare === kernel) this.spare = undefined;
    if (this.kernel !== kernel) return; // replaced or ended on purpose
    this.kernel = undefined;
    const reason = describeExit(exit, { mb: this.options.memoryLimitMb, name: this.options.memoryLimitName });
    const current = this.current;
    if (current) {
      this.finish(current, { status: "error", error: { name: "KernelDied", message: reason, stack: `KernelDied: ${reason}` }, durationMs: elapsed(current) });
    }
    if (!this.disposed) this.emit({ type: "restarted", reason, requested: false });
  }

  private onMessage(m: FromKernel): void {
    switch (m.type) {
      case "stream":
        this.routeOutput(m.id, { type: "stream", name: m.name, text: m.text });
        return;
      case "display":
        this.routeOutput(m.id, { type: "display", bundle: m.bundle });
        return;
      case "late-error":
        this.emit(m.id >= 0 ? { type: "late-error", error: m.error, executionId: m.id } : { type: "late-error", error: m.error });
        return;
      case "done": {
        const current = this.current;
        if (!current || current.id !== m.id) return;
        const durationMs = elapsed(current);
        if (m.ok) {
          if (m.result) current.options.onOutput?.({ type: "display", bundle: m.result });
          this.finish(current, { status: "ok", durationMs });
        } else if (m.interrupted) this.finish(current, { status: "interrupted", error: m.error, restarted: false, durationMs });
        else this.finish(current, { status: "error", error: m.error, durationMs });
        return;
      }
      case "ready":
        return;
    }
  }

  /** Output goes to the cell that caused it while it runs; a finished cell's is "late". */
  private routeOutput(id: number, output: CellOutput): void {
    const current = this.current;
    if (current && (current.id === id || id === -1)) current.options.onOutput?.(output);
    else this.emit(id >= 0 ? { type: "late-output", output, executionId: id } : { type: "late-output", output });
  }

  private pump(): void {
    if (this.current || this.queue.length === 0 || this.disposed) return;
    const next = this.queue.shift()!;
    this.current = next;
    next.finished = new Promise((resolve) => (next.markFinished = resolve));
    const kernel = this.ensureKernel();
    next.started = performance.now();
    const timeoutMs = next.options.timeoutMs;
    if (timeoutMs !== undefined) {
      // The clock starts when the kernel can run the cell: a cold start is not the cell's time.
      void kernel.ready.then(() => {
        if (this.current !== next) return;
        next.timer = setTimeout(() => {
          if (this.current !== next) return;
          next.timedOut = true;
          void this.interrupt();
        }, timeoutMs);
      });
    }
    next.options.onStart?.(next.id);
    this.send({ type: "execute", id: next.id, code: next.code, label: next.options.label ?? `Cell ${next.id}` });
  }

  private finish(pending: Pending, result: ExecutionResult): void {
    if (this.current === pending) this.current = undefined;
    clearTimeout(pending.timer);
    pending.markFinished?.();
    if (pending.timedOut && result.status === "interrupted") {
      const message = `Timed out after ${pending.options.timeoutMs} ms`;
      const kept = result.restarted ? RESTARTED_ON_INTERRUPT : "The kernel keeps its variables.";
      result = { ...result, timedOut: true, error: { name: "Timeout", message, stack: `Timeout: ${message}. ${kept}` } };
    }
    pending.resolve(result);
    this.pump();
  }

  private replaceKernel(target: Pending): void {
    this.killKernel();
    this.finish(target, {
      status: "interrupted",
      error: { name: "Interrupted", message: RESTARTED_ON_INTERRUPT, stack: `Interrupted: ${RESTARTED_ON_INTERRUPT}` },
      restarted: true,
      durationMs: elapsed(target),
    });
    // The user asked to stop the cell, and the cell says what it cost: no toast needed.
    this.emit({ type: "restarted", reason: "interrupt of a busy cell", requested: true });
    // Warm a fresh kernel so the next cell starts at once.
    if (!this.disposed) this.ensureKernel();
  }

  private killKernel(): void {
    const child = this.kernel?.child;
    this.kernel = undefined;
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

function elapsed(p: Pending): number {
  return p.started === undefined ? 0 : performance.now() - p.started;
}

function definedOnly<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
