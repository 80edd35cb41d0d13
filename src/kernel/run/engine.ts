/**
 * The one run engine: a notebook's kernel session plus the policy of running its cells. Both
 * front ends drive it — VS Code's notebook controller and `sde-lab run` — so Run All means the
 * same thing everywhere:
 *
 * - code cells run in notebook order, one at a time, after any run requested earlier;
 * - the run stops at the first cell that fails unexpectedly (see ./verdict);
 * - a cell marked `expectError` passes when it fails: by throwing, by timing out, or by ending
 *   its kernel (`process.exit`, `process.abort()`, a signal, the memory limit); the next cell
 *   then runs in a fresh kernel, which the run reports (`freshKernel`);
 * - output and errors raised after a cell finished are attributed to that cell (./message-handler).
 *
 * Split as vscode-jupyter splits it: ./kernel-provider holds one engine per notebook, this
 * file is the execution queue, ./message-handler routes kernel messages to cells.
 */
import { KernelSession, type CellError, type CellOutput, type ExecutionResult, type KernelOptions } from "../host/session";
import { EventEmitter, type Event } from "./event";
import { MessageHandler, type KernelRestart, type LateError, type LateOutput } from "./message-handler";
import { continuesRun, MISSING_EXPECTED_ERROR, verdict, type CellStatus } from "./verdict";

/** A notebook cell as the engine needs it; front ends pass their own cell type through. */
export interface RunCell {
  /** 0-based position in the notebook: Run All runs cells in this order. */
  readonly index: number;
  /** Only code cells run; markup cells are skipped. */
  readonly kind: "code" | "markup";
  /** The cell's TypeScript. */
  readonly source: string;
  /** Metadata `expectError: true`: the cell passes when it fails. */
  readonly expectError: boolean;
}

/** How one cell's run ended. */
export interface CellRun<C extends RunCell> {
  cell: C;
  /** The verdict of ./verdict: whether the cell passed, and why not. */
  status: CellStatus;
  /** What the kernel session reported. */
  result: ExecutionResult;
  /** The error to show: the cell's own, or why a missing expected error fails it. */
  error?: CellError;
  /** Execution order in the current kernel (starts at 1 again in a fresh kernel). */
  order: number;
  /** True when no cell had run in this kernel before: a restart or a dead kernel cleared the state. */
  freshKernel: boolean;
  durationMs: number;
}

/** How a run went. */
export interface RunSummary<C extends RunCell> {
  /** Every cell that ran, in order. */
  runs: CellRun<C>[];
  /** True when every code cell ran and passed. */
  ok: boolean;
  /** The cell the run stopped at, when one failed unexpectedly. */
  stoppedAt?: CellRun<C>;
  /** True when an interrupt, a restart or dispose cancelled the cells not yet run. */
  cancelled: boolean;
}

/** Receives one run's progress; every callback is optional and synchronous. */
export interface RunObserver<C extends RunCell> {
  /** A cell is about to be sent to the kernel. */
  willRun?(cell: C, info: { order: number; freshKernel: boolean }): void;
  /** Output of the running cell, in order. */
  onOutput?(cell: C, output: CellOutput): void;
  /** A cell ended (also fired as {@link RunEngine.onDidRunCell}). */
  didRun?(run: CellRun<C>): void;
}

/** Options of a {@link RunEngine}. */
export interface RunEngineOptions<C extends RunCell> {
  /** The kernel process's options (cwd, limits and how they are named in messages). */
  kernel: KernelOptions;
  /** Interrupt a cell that runs longer than this (ms). Default: no limit. */
  timeoutMs?: number;
  /** The name of a cell in stack traces. Default: `Cell <index + 1>`. */
  label?: (cell: C) => string;
}

/** Runs a notebook's cells in one kernel session. */
export class RunEngine<C extends RunCell = RunCell> {
  private readonly session: KernelSession;
  private readonly handler = new MessageHandler<C>();
  private readonly didRunCell = new EventEmitter<CellRun<C>>();
  private readonly unsubscribe: () => void;
  private readonly label: (cell: C) => string;
  /** Runs wait for the one before them: two Run Alls never interleave their cells. */
  private tail: Promise<unknown> = Promise.resolve();
  /** Bumped by interrupt, restart and dispose: runs requested before it stop. */
  private epoch = 0;
  private ranInKernel = 0;
  private order = 0;
  private disposed = false;

  /** A cell ended, in any run. */
  readonly onDidRunCell: Event<CellRun<C>> = this.didRunCell.event;
  /** An error raised by a cell after it finished, attributed to that cell. */
  readonly onLateError: Event<LateError<C>> = this.handler.onLateError;
  /** Output printed by a cell after it finished, attributed to that cell. */
  readonly onLateOutput: Event<LateOutput<C>> = this.handler.onLateOutput;
  /** The kernel's state was lost; the next cell runs in a fresh kernel. */
  readonly onKernelRestarted: Event<KernelRestart> = this.handler.onRestarted;

  constructor(private readonly options: RunEngineOptions<C>) {
    if (options.timeoutMs !== undefined && !(Number.isInteger(options.timeoutMs) && options.timeoutMs > 0)) {
      throw new RangeError(`timeoutMs must be a whole number of milliseconds > 0 (or left out for no limit), got ${options.timeoutMs}`);
    }
    this.session = new KernelSession(options.kernel);
    this.label = options.label ?? ((cell) => `Cell ${cell.index + 1}`);
    this.unsubscribe = this.session.onEvent((event) => {
      if (event.type === "restarted") {
        this.ranInKernel = 0;
        this.order = 0;
      }
      this.handler.handle(event);
    });
  }

  /** The kernel process's id while one runs (for tests and diagnostics). */
  get kernelPid(): number | undefined {
    return this.session.pid;
  }

  /** Starts the kernel now, so the first cell does not wait for it. */
  start(): Promise<void> {
    return this.session.start();
  }

  /**
   * Runs the code cells among `cells` in notebook order, after any run requested before,
   * stopping at the first unexpected failure. Never rejects.
   */
  run(cells: Iterable<C>, observer: RunObserver<C> = {}): Promise<RunSummary<C>> {
    const epoch = this.epoch;
    const ordered = [...cells].filter((c) => c.kind === "code").sort((a, b) => a.index - b.index);
    const done = this.tail.then(() => this.runNow(ordered, observer, epoch));
    this.tail = done;
    return done;
  }

  /** Stops the running cell (keeping the kernel's state when it can) and cancels the rest. */
  async interrupt(): Promise<void> {
    this.epoch++;
    await this.session.interrupt();
  }

  /** Cancels every run and starts a fresh kernel: all state is cleared. */
  async restart(): Promise<void> {
    this.epoch++;
    await this.session.restart();
  }

  /** Ends the kernel; the engine cannot be used afterwards. */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.epoch++;
    this.unsubscribe();
    await this.session.dispose();
    this.handler.dispose();
    this.didRunCell.dispose();
  }

  private async runNow(cells: C[], observer: RunObserver<C>, epoch: number): Promise<RunSummary<C>> {
    const runs: CellRun<C>[] = [];
    for (const cell of cells) {
      if (this.disposed || epoch !== this.epoch) return { runs, ok: false, cancelled: true };
      const freshKernel = this.ranInKernel === 0;
      this.ranInKernel++;
      const order = ++this.order;
      observer.willRun?.(cell, { order, freshKernel });
      const result = await this.session.execute(cell.source, {
        label: this.label(cell),
        ...(this.options.timeoutMs !== undefined ? { timeoutMs: this.options.timeoutMs } : {}),
        onOutput: (output) => observer.onOutput?.(cell, output),
        onStart: (executionId) => this.handler.started(executionId, cell),
      });
      const status = verdict(result, cell.expectError);
      const run: CellRun<C> = { cell, status, result, order, freshKernel, durationMs: result.durationMs };
      if (status === "missing-expected-error") run.error = MISSING_EXPECTED_ERROR;
      else if (result.status !== "ok") run.error = result.error;
      runs.push(run);
      observer.didRun?.(run);
      this.didRunCell.fire(run);
      if (!continuesRun(status)) return { runs, ok: false, stoppedAt: run, cancelled: false };
    }
    return { runs, ok: true, cancelled: false };
  }
}
