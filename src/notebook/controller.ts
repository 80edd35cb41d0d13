/**
 * The SDE Lab notebook controller: one {@link KernelSession} (one kernel process) per open
 * notebook, cells run in order with live output, Interrupt and Restart Kernel, and no
 * execution at all in an untrusted workspace.
 *
 * Speed: VS Code gathers a cell execution's output edits for 10 ms and sends them in order,
 * and `end()` flushes them first. So nothing here awaits an output edit: a trivial cell costs
 * one kernel round trip, not one extension-host round trip per output.
 */
import * as vscode from "vscode";
import { dirname } from "node:path";
import { tmpdir } from "node:os";
import { bundleItems } from "../kernel/outputs";
import { KernelSession, type CellOutput, type KernelEvent } from "../kernel/host/session";
import { NOTEBOOK_TYPE, SDE_KEY } from "./serializer";
import { cellExecuted } from "../content/challenge-watch";

/** Id of the controller, as VS Code shows it in "Select Kernel". */
export const CONTROLLER_ID = "sde-lab-kernel";

/** Message shown on a cell that cannot run because the workspace is not trusted. */
export const UNTRUSTED_MESSAGE =
  "SDE Lab does not run cells in an untrusted workspace, because a cell can run any code on your machine. " +
  "Trust this folder (Workspaces: Manage Workspace Trust) to run it.";

/** The settings that name the kernel's limits in messages. */
export const MEMORY_LIMIT_SETTING = "sdeLab.kernel.memoryLimitMb";
export const OUTPUT_LIMIT_SETTING = "sdeLab.kernel.outputLimitKb";
/** At most one toast for late errors per notebook in this time; the rest go to the channel. */
const LATE_ERROR_TOAST_MS = 10_000;

/** Whether a cell is marked to fail on purpose (metadata `expectError: true`). */
function expectsError(cell: vscode.NotebookCell): boolean {
  const carry = cell.metadata[SDE_KEY] as { metadata?: { expectError?: unknown } } | undefined;
  return carry?.metadata?.expectError === true;
}

/** Runs notebook cells for VS Code. */
export class SdeNotebookController implements vscode.Disposable {
  private readonly controller: vscode.NotebookController;
  private readonly sessions = new Map<string, { session: KernelSession; order: number; unsubscribe: () => void; lastToast: number }>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly log: vscode.OutputChannel) {
    this.controller = vscode.notebooks.createNotebookController(CONTROLLER_ID, NOTEBOOK_TYPE, "SDE Lab (TypeScript)");
    this.controller.supportedLanguages = ["typescript", "javascript"];
    this.controller.supportsExecutionOrder = true;
    this.controller.description = "Runs cells in a separate Node process per notebook";
    this.controller.executeHandler = (cells, notebook) => this.execute(cells, notebook);
    this.controller.interruptHandler = (notebook) => this.interrupt(notebook);
    this.disposables.push(
      this.controller,
      vscode.workspace.onDidCloseNotebookDocument((nb) => void this.disposeSession(nb)),
      // Start the kernel process when SDE Lab becomes a notebook's kernel, so the first cell
      // does not wait for it (as Jupyter starts the kernel it selects).
      this.controller.onDidChangeSelectedNotebooks(({ notebook, selected }) => {
        if (selected && vscode.workspace.isTrusted) void this.sessionFor(notebook).session.start();
      }),
    );
  }

  /** Stops the running cell of a notebook; a busy synchronous cell costs the kernel's state. */
  async interrupt(notebook: vscode.NotebookDocument): Promise<void> {
    await this.sessions.get(notebook.uri.toString())?.session.interrupt();
  }

  /**
   * Restarts a notebook's kernel, clearing its state. The new kernel reads the settings again
   * (memory and output limits). No toast: the user asked for it.
   */
  async restart(notebook: vscode.NotebookDocument): Promise<void> {
    const key = notebook.uri.toString();
    if (!this.sessions.has(key)) return;
    const done = (async () => {
      await this.disposeSessionByKey(key);
      await this.sessionFor(notebook).session.start();
    })();
    vscode.window.setStatusBarMessage("$(sync~spin) SDE Lab: restarting the kernel…", done);
    await done;
  }

  dispose(): void {
    for (const key of [...this.sessions.keys()]) void this.disposeSessionByKey(key);
    for (const d of this.disposables) d.dispose();
  }

  private sessionFor(notebook: vscode.NotebookDocument) {
    const key = notebook.uri.toString();
    let entry = this.sessions.get(key);
    if (!entry) {
      const cwd = notebook.uri.scheme === "file" ? dirname(notebook.uri.fsPath) : (vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? tmpdir());
      const config = vscode.workspace.getConfiguration("sdeLab.kernel");
      const session = new KernelSession({
        cwd,
        memoryLimitMb: config.get<number>("memoryLimitMb", 2048),
        memoryLimitName: `the setting ${MEMORY_LIMIT_SETTING}`,
        outputLimitKb: config.get<number>("outputLimitKb", 1024),
        outputLimitName: `setting ${OUTPUT_LIMIT_SETTING}`,
      });
      const name = vscode.workspace.asRelativePath(notebook.uri);
      const unsubscribe = session.onEvent((event) => this.onKernelEvent(name, event, key));
      entry = { session, order: 0, unsubscribe, lastToast: -Infinity };
      this.sessions.set(key, entry);
    }
    return entry;
  }

  private onKernelEvent(name: string, event: KernelEvent, key: string): void {
    switch (event.type) {
      case "restarted": {
        const entry = this.sessions.get(key);
        if (entry) entry.order = 0;
        this.log.appendLine(`[${name}] kernel restarted: ${event.reason}`);
        // A restart the user asked for needs no toast; a crash's reason is also on its cell.
        if (!event.requested) void vscode.window.showInformationMessage(`SDE Lab (${name}): ${event.reason}`);
        return;
      }
      case "late-output":
        this.log.appendLine(`[${name}] output after its cell finished: ${event.output.type === "stream" ? event.output.text.trimEnd() : (event.output.bundle["text/plain"] ?? "")}`);
        return;
      case "late-error": {
        this.log.appendLine(`[${name}] error after its cell finished:\n${event.error.stack}`);
        const entry = this.sessions.get(key);
        const now = Date.now();
        if (entry && now - entry.lastToast < LATE_ERROR_TOAST_MS) return;
        if (entry) entry.lastToast = now;
        void vscode.window.showWarningMessage(`SDE Lab (${name}): ${event.error.name}: ${event.error.message}. It was raised after its cell finished; the SDE Lab output channel has the details.`);
        return;
      }
    }
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
    const entry = this.sessionFor(notebook);
    for (const cell of cells) {
      if (cell.kind !== vscode.NotebookCellKind.Code) continue;
      const execution = this.controller.createNotebookCellExecution(cell);
      execution.executionOrder = ++entry.order;
      execution.start(Date.now());
      // Edits are queued in order and flushed by end(): none of them is awaited.
      if (cell.outputs.length > 0) void execution.clearOutput();
      const writer = new OutputWriter(execution);
      const result = await entry.session.execute(cell.document.getText(), {
        label: `Cell ${cell.index + 1}`,
        onOutput: (o) => writer.write(o),
      });
      if (result.status !== "ok") writer.error(result.error);
      execution.end(result.status === "ok", Date.now());
      cellExecuted(cell);
      // Like Jupyter's Run All: stop at the first cell that failed unexpectedly, or when the
      // kernel died or was interrupted, so later cells never run on missing state.
      const expected = result.status === "error" && result.error.name !== "KernelDied" && expectsError(cell);
      if (result.status !== "ok" && !expected) break;
    }
  }

  private async disposeSession(notebook: vscode.NotebookDocument): Promise<void> {
    await this.disposeSessionByKey(notebook.uri.toString());
  }

  private async disposeSessionByKey(key: string): Promise<void> {
    const entry = this.sessions.get(key);
    if (!entry) return;
    this.sessions.delete(key);
    entry.unsubscribe();
    await entry.session.dispose();
  }
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
