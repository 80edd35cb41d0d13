/**
 * The SDE Lab notebook controller: one run engine (one kernel process) per open notebook,
 * cells run in order with live output, Interrupt and Restart Kernel, and no execution at all
 * in an untrusted workspace. What Run All means (order, expectError, stopping, fresh kernels)
 * is the engine's (src/kernel/run), shared with `sde-lab run`. Content features learn that a
 * cell ran from {@link SdeNotebookController.onDidExecuteCell}; this folder never imports them.
 *
 * Speed: VS Code gathers a cell execution's output edits for 10 ms and sends them in order,
 * and `end()` flushes them first. So nothing here awaits an output edit: a trivial cell costs
 * one kernel round trip, not one extension-host round trip per output.
 */
import * as vscode from "vscode";
import { dirname } from "node:path";
import { tmpdir } from "node:os";
import { bundleItems } from "../kernel/outputs";
import type { CellOutput, KernelOptions } from "../kernel/host/session";
import { KernelProvider, RunEngine, type CellStatus, type RunCell } from "../kernel/run";
import { NOTEBOOK_TYPE, SDE_KEY } from "./serializer";

/** Id of the controller, as VS Code shows it in "Select Kernel". */
export const CONTROLLER_ID = "sde-lab-kernel";

/** Message shown on a cell that cannot run because the workspace is not trusted. */
export const UNTRUSTED_MESSAGE =
  "SDE Lab does not run cells in an untrusted workspace, because a cell can run any code on your machine. " +
  "Trust this folder (Workspaces: Manage Workspace Trust) to run it.";

/** The settings that name the kernel's limits in messages. */
export const MEMORY_LIMIT_SETTING = "sdeLab.kernel.memoryLimitMb";

/**
 * The kernel's extra environment: the setting `sdeLab.rabbitmq.url`, when set, becomes
 * `AMQP_URL` (what notebook 04's real-broker cell and `npm run test:rabbitmq` read), over any
 * `AMQP_URL` VS Code was started with.
 */
export function kernelEnv(rabbitmqUrl: string | undefined): Record<string, string> {
  const url = rabbitmqUrl?.trim();
  return url ? { AMQP_URL: url } : {};
}
export const OUTPUT_LIMIT_SETTING = "sdeLab.kernel.outputLimitKb";
/** At most one toast for late errors per notebook in this time; the rest go to the channel. */
const LATE_ERROR_TOAST_MS = 10_000;

/** A cell's execution ended: what content features (the walkthrough) listen to. */
export interface CellExecuted {
  cell: vscode.NotebookCell;
  /** The run engine's verdict (`ok` and `expected-error` passed). */
  status: CellStatus;
}

/** Where the kernel's built files are; tests point these at `dist/`. */
export type KernelPaths = Pick<KernelOptions, "kernelPath" | "labPath">;

/** Whether a cell is marked to fail on purpose (metadata `expectError: true`). */
function expectsError(cell: vscode.NotebookCell): boolean {
  const carry = cell.metadata[SDE_KEY] as { metadata?: { expectError?: unknown } } | undefined;
  return carry?.metadata?.expectError === true;
}

/** A VS Code cell as the run engine sees it. */
interface EngineCell extends RunCell {
  readonly cell: vscode.NotebookCell;
}

function engineCell(cell: vscode.NotebookCell): EngineCell {
  return {
    cell,
    index: cell.index,
    kind: cell.kind === vscode.NotebookCellKind.Code ? "code" : "markup",
    source: cell.document.getText(),
    expectError: expectsError(cell),
  };
}

/**
 * Runs notebook cells for VS Code through the run engine (src/kernel/run), the same one
 * `sde-lab run` uses: this class only turns its progress into cell executions and messages.
 */
export class SdeNotebookController implements vscode.Disposable {
  private readonly controller: vscode.NotebookController;
  private readonly kernels: KernelProvider<EngineCell, vscode.NotebookDocument>;
  private readonly lastToast = new Map<string, number>();
  private readonly executed = new vscode.EventEmitter<CellExecuted>();
  private readonly disposables: vscode.Disposable[] = [];

  /** A cell's execution ended (after its outputs were queued). */
  readonly onDidExecuteCell: vscode.Event<CellExecuted> = this.executed.event;

  constructor(
    private readonly log: vscode.OutputChannel,
    private readonly paths: KernelPaths = {},
  ) {
    this.controller = vscode.notebooks.createNotebookController(CONTROLLER_ID, NOTEBOOK_TYPE, "SDE Lab (TypeScript)");
    this.controller.supportedLanguages = ["typescript", "javascript"];
    this.controller.supportsExecutionOrder = true;
    this.controller.description = "Runs cells in a separate Node process per notebook";
    this.controller.executeHandler = (cells, notebook) => this.execute(cells, notebook);
    this.controller.interruptHandler = (notebook) => this.interrupt(notebook);
    this.kernels = new KernelProvider((notebook, key) => this.createEngine(notebook, key));
    this.disposables.push(
      this.controller,
      this.executed,
      vscode.workspace.onDidCloseNotebookDocument((nb) => void this.kernels.dispose(nb.uri.toString())),
      // Start the kernel process when SDE Lab becomes a notebook's kernel, so the first cell
      // does not wait for it (as Jupyter starts the kernel it selects).
      this.controller.onDidChangeSelectedNotebooks(({ notebook, selected }) => {
        if (selected && vscode.workspace.isTrusted) void this.engineFor(notebook).start();
      }),
    );
  }

  /** Stops the running cell of a notebook and cancels the rest of its run. */
  async interrupt(notebook: vscode.NotebookDocument): Promise<void> {
    await this.kernels.peek(notebook.uri.toString())?.interrupt();
  }

  /**
   * Restarts a notebook's kernel, clearing its state. The new kernel reads the settings again
   * (memory and output limits). No toast: the user asked for it.
   */
  async restart(notebook: vscode.NotebookDocument): Promise<void> {
    const key = notebook.uri.toString();
    if (!this.kernels.peek(key)) return;
    const done = (async () => {
      await this.kernels.dispose(key);
      await this.engineFor(notebook).start();
    })();
    vscode.window.setStatusBarMessage("$(sync~spin) SDE Lab: restarting the kernel…", done);
    await done;
  }

  dispose(): void {
    void this.kernels.disposeAll();
    for (const d of this.disposables) d.dispose();
  }

  private engineFor(notebook: vscode.NotebookDocument): RunEngine<EngineCell> {
    return this.kernels.get(notebook.uri.toString(), notebook);
  }

  private createEngine(notebook: vscode.NotebookDocument, key: string): RunEngine<EngineCell> {
    const uri = notebook.uri;
    const cwd = uri.scheme === "file" ? dirname(uri.fsPath) : (vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? tmpdir());
    const config = vscode.workspace.getConfiguration("sdeLab.kernel");
    const engine = new RunEngine<EngineCell>({
      kernel: {
        cwd,
        ...this.paths,
        memoryLimitMb: config.get<number>("memoryLimitMb", 2048),
        memoryLimitName: `the setting ${MEMORY_LIMIT_SETTING}`,
        outputLimitKb: config.get<number>("outputLimitKb", 1024),
        outputLimitName: `setting ${OUTPUT_LIMIT_SETTING}`,
        env: kernelEnv(vscode.workspace.getConfiguration("sdeLab.rabbitmq").get<string>("url", "")),
      },
    });
    const name = vscode.workspace.asRelativePath(uri);
    engine.onKernelRestarted(({ reason, requested }) => {
      this.log.appendLine(`[${name}] kernel restarted: ${reason}`);
      // A restart the user asked for needs no toast; a crash's reason is also on its cell.
      if (!requested) void vscode.window.showInformationMessage(`SDE Lab (${name}): ${reason}`);
    });
    engine.onLateOutput(({ cell, output }) => {
      const text = output.type === "stream" ? output.text.trimEnd() : (output.bundle["text/plain"] ?? "");
      this.log.appendLine(`[${name}] ${cellName(cell)} printed after it finished: ${text}`);
    });
    engine.onLateError(({ cell, error, expected }) => {
      this.log.appendLine(`[${name}] ${cellName(cell)} raised an error after it finished${expected ? " (it is marked expectError)" : ""}:\n${error.stack}`);
      if (expected) return;
      const now = Date.now();
      if (now - (this.lastToast.get(key) ?? -Infinity) < LATE_ERROR_TOAST_MS) return;
      this.lastToast.set(key, now);
      void vscode.window.showWarningMessage(
        `SDE Lab (${name}): ${cellName(cell)} raised ${error.name}: ${error.message} after it finished; the SDE Lab output channel has the details.`,
      );
    });
    return engine;
  }

  private async execute(cells: vscode.NotebookCell[], notebook: vscode.NotebookDocument): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      for (const cell of cells) {
        const execution = this.controller.createNotebookCellExecution(cell);
        execution.start(Date.now());
        await execution.replaceOutput(new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.error({ name: "Untrusted workspace", message: UNTRUSTED_MESSAGE })]));
        execution.end(false, Date.now());
      }
      return;
    }
    let execution: vscode.NotebookCellExecution | undefined;
    let writer: OutputWriter | undefined;
    // The engine owns the order, the expectError verdict, when to stop and when the kernel is
    // fresh; edits are queued in order and flushed by end(): none of them is awaited.
    await this.engineFor(notebook).run(cells.map(engineCell), {
      willRun: ({ cell }, { order }) => {
        execution = this.controller.createNotebookCellExecution(cell);
        execution.executionOrder = order;
        execution.start(Date.now());
        if (cell.outputs.length > 0) void execution.clearOutput();
        writer = new OutputWriter(execution);
      },
      onOutput: (_cell, output) => writer?.write(output),
      didRun: (run) => {
        if (run.error) writer?.error(run.error);
        execution?.end(run.result.status === "ok" && run.status === "ok", Date.now());
        execution = undefined;
        this.executed.fire({ cell: run.cell.cell, status: run.status });
      },
    });
  }
}

function cellName(cell: EngineCell | undefined): string {
  return cell ? `Cell ${cell.cell.index + 1}` : "A cell";
}

/**
 * Appends kernel output to a cell in order, one edit per batch the kernel sent; stream text
 * joins the previous output of its stream. Edits are not awaited (see the file comment).
 */
class OutputWriter {
  private last: { stream: "stdout" | "stderr"; output: vscode.NotebookCellOutput } | undefined;

  constructor(private readonly execution: vscode.NotebookCellExecution) {}

  write(o: CellOutput): void {
    if (o.type === "stream") {
      const item = o.name === "stdout" ? vscode.NotebookCellOutputItem.stdout(o.text) : vscode.NotebookCellOutputItem.stderr(o.text);
      if (this.last?.stream === o.name) {
        void this.execution.appendOutputItems(item, this.last.output);
        return;
      }
      const output = new vscode.NotebookCellOutput([item]);
      this.last = { stream: o.name, output };
      void this.execution.appendOutput(output);
      return;
    }
    this.last = undefined;
    void this.execution.appendOutput(
      new vscode.NotebookCellOutput(bundleItems(o.bundle).map((i) => vscode.NotebookCellOutputItem.text(i.data, i.mime))),
    );
  }

  error(error: { name: string; message: string; stack: string }): void {
    this.last = undefined;
    void this.execution.appendOutput(new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.error(error)]));
  }
}
