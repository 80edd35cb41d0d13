/**
 * The SDE Lab notebook controller: one {@link KernelSession} per open notebook, cells run in
 * order with live output, Interrupt and Restart Kernel, and no execution at all in an
 * untrusted workspace.
 */
import * as vscode from "vscode";
import { dirname } from "node:path";
import { tmpdir } from "node:os";
import { bundleItems } from "../kernel/outputs";
import { KernelSession, type CellOutput, type KernelEvent } from "../kernel/session";
import { NOTEBOOK_TYPE } from "./serializer";
import { cellExecuted } from "../content/challenge-watch";

/** Id of the controller, as VS Code shows it in "Select Kernel". */
export const CONTROLLER_ID = "sde-lab-kernel";

/** Message shown on a cell that cannot run because the workspace is not trusted. */
export const UNTRUSTED_MESSAGE =
  "SDE Lab does not run cells in an untrusted workspace, because a cell can run any code on your machine. " +
  "Trust this folder (Workspaces: Manage Workspace Trust) to run it.";

/** Runs notebook cells for VS Code. */
export class SdeNotebookController implements vscode.Disposable {
  private readonly controller: vscode.NotebookController;
  private readonly sessions = new Map<string, { session: KernelSession; order: number; unsubscribe: () => void }>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly log: vscode.OutputChannel) {
    this.controller = vscode.notebooks.createNotebookController(CONTROLLER_ID, NOTEBOOK_TYPE, "SDE Lab (TypeScript)");
    this.controller.supportedLanguages = ["typescript", "javascript"];
    this.controller.supportsExecutionOrder = true;
    this.controller.description = "Runs cells in a sealed Node worker";
    this.controller.executeHandler = (cells, notebook) => this.execute(cells, notebook);
    this.controller.interruptHandler = (notebook) => this.interrupt(notebook);
    this.disposables.push(
      this.controller,
      vscode.workspace.onDidCloseNotebookDocument((nb) => void this.disposeSession(nb)),
    );
  }

  /** Stops the running cell of a notebook; a busy synchronous cell costs the kernel's state. */
  async interrupt(notebook: vscode.NotebookDocument): Promise<void> {
    await this.sessions.get(notebook.uri.toString())?.session.interrupt();
  }

  /** Restarts a notebook's kernel, clearing its state. */
  async restart(notebook: vscode.NotebookDocument): Promise<void> {
    const entry = this.sessions.get(notebook.uri.toString());
    if (!entry) return;
    const done = entry.session.restart();
    vscode.window.setStatusBarMessage("$(sync~spin) SDE Lab: restarting the kernel…", done);
    await done;
    entry.order = 0;
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
      const session = new KernelSession({ cwd });
      const name = vscode.workspace.asRelativePath(notebook.uri);
      const unsubscribe = session.onEvent((event) => this.onKernelEvent(name, event, key));
      entry = { session, order: 0, unsubscribe };
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
        void vscode.window.showInformationMessage(`SDE Lab: the kernel of ${name} was restarted (${event.reason}); its variables were cleared.`);
        return;
      }
      case "late-output":
        this.log.appendLine(`[${name}] output after its cell finished: ${event.output.type === "stream" ? event.output.text.trimEnd() : (event.output.bundle["text/plain"] ?? "")}`);
        return;
      case "late-error":
        this.log.appendLine(`[${name}] error after its cell finished:\n${event.error.stack}`);
        void vscode.window.showWarningMessage(`SDE Lab: ${event.error.name}: ${event.error.message} (raised after its cell finished; see the SDE Lab output channel)`);
        return;
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
      await execution.clearOutput();
      const writer = new OutputWriter(execution);
      const cancel = execution.token.onCancellationRequested(() => void entry.session.interrupt());
      const result = await entry.session.execute(cell.document.getText(), {
        label: `Cell ${cell.index + 1}`,
        onOutput: (o) => writer.write(o),
      });
      cancel.dispose();
      await writer.flushed();
      if (result.status !== "ok") {
        await execution.appendOutput(new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.error(result.error)]));
      }
      execution.end(result.status === "ok", Date.now());
      cellExecuted(cell);
      if (result.status === "interrupted") break;
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

/** Appends kernel output to a cell in order; stream text joins the previous output of its stream. */
class OutputWriter {
  private chain: Thenable<void> = Promise.resolve();
  private last: { stream: "stdout" | "stderr"; output: vscode.NotebookCellOutput } | undefined;

  constructor(private readonly execution: vscode.NotebookCellExecution) {}

  write(o: CellOutput): void {
    this.chain = this.chain.then(() => this.append(o));
  }

  flushed(): Thenable<void> {
    return this.chain;
  }

  private async append(o: CellOutput): Promise<void> {
    if (o.type === "stream") {
      const item = o.name === "stdout" ? vscode.NotebookCellOutputItem.stdout(o.text) : vscode.NotebookCellOutputItem.stderr(o.text);
      if (this.last?.stream === o.name) {
        await this.execution.appendOutputItems(item, this.last.output);
        return;
      }
      const output = new vscode.NotebookCellOutput([item]);
      this.last = { stream: o.name, output };
      await this.execution.appendOutput(output);
      return;
    }
    this.last = undefined;
    await this.execution.appendOutput(
      new vscode.NotebookCellOutput(bundleItems(o.bundle).map((i) => vscode.NotebookCellOutputItem.text(i.data, i.mime))),
    );
  }
}
