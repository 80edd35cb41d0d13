/**
 * The slice of the `vscode` API that the notebook glue uses, for unit tests. Shapes follow
 * `@types/vscode`; behaviour is the plain data-holder behaviour of the real classes.
 */
export enum NotebookCellKind {
  Markup = 1,
  Code = 2,
}

export class NotebookCellOutputItem {
  constructor(
    public data: Uint8Array,
    public mime: string,
  ) {}
  static text(value: string, mime = "text/plain"): NotebookCellOutputItem {
    return new NotebookCellOutputItem(new TextEncoder().encode(value), mime);
  }
  static stdout(value: string): NotebookCellOutputItem {
    return NotebookCellOutputItem.text(value, "application/vnd.code.notebook.stdout");
  }
  static stderr(value: string): NotebookCellOutputItem {
    return NotebookCellOutputItem.text(value, "application/vnd.code.notebook.stderr");
  }
  /** Like VS Code's: name, message and stack as JSON under the error MIME type. */
  static error(e: { name: string; message: string; stack?: string }): NotebookCellOutputItem {
    return NotebookCellOutputItem.text(JSON.stringify({ name: e.name, message: e.message, stack: e.stack }), "application/vnd.code.notebook.error");
  }
}

export class NotebookCellOutput {
  constructor(
    public items: NotebookCellOutputItem[],
    public metadata?: { [key: string]: unknown },
  ) {}
}

export class NotebookCellData {
  outputs?: NotebookCellOutput[];
  metadata?: { [key: string]: unknown };
  executionSummary?: { executionOrder?: number; success?: boolean };
  constructor(
    public kind: NotebookCellKind,
    public value: string,
    public languageId: string,
  ) {}
}

export class NotebookData {
  metadata?: { [key: string]: unknown };
  constructor(public cells: NotebookCellData[]) {}
}

// ---- Events and disposables (the shapes of vscode.EventEmitter / vscode.Disposable) ------

export class Disposable {
  constructor(private readonly onDispose: () => void) {}
  dispose(): void {
    this.onDispose();
  }
}

export type Event<T> = (listener: (value: T) => void) => Disposable;

export class EventEmitter<T> {
  private listeners: ((value: T) => void)[] = [];
  readonly event: Event<T> = (listener) => {
    this.listeners.push(listener);
    return new Disposable(() => (this.listeners = this.listeners.filter((l) => l !== listener)));
  };
  fire(value: T): void {
    for (const l of [...this.listeners]) l(value);
  }
  dispose(): void {
    this.listeners = [];
  }
}

// ---- Notebook controller and cell executions -----------------------------------------------

/** What a test sees of one cell execution: the calls the controller made, in order. */
export class FakeCellExecution {
  executionOrder: number | undefined;
  started: number | undefined;
  ended: { success: boolean | undefined; at: number | undefined } | undefined;
  outputs: NotebookCellOutput[] = [];
  constructor(readonly cell: { index: number }) {}
  start(at?: number): void {
    this.started = at;
  }
  end(success: boolean | undefined, at?: number): void {
    this.ended = { success, at };
  }
  async clearOutput(): Promise<void> {
    this.outputs = [];
  }
  async replaceOutput(out: NotebookCellOutput | NotebookCellOutput[]): Promise<void> {
    this.outputs = Array.isArray(out) ? [...out] : [out];
  }
  async appendOutput(out: NotebookCellOutput | NotebookCellOutput[]): Promise<void> {
    this.outputs.push(...(Array.isArray(out) ? out : [out]));
  }
  async appendOutputItems(items: NotebookCellOutputItem | NotebookCellOutputItem[], output: NotebookCellOutput): Promise<void> {
    output.items.push(...(Array.isArray(items) ? items : [items]));
  }
  /** Every output item as [mime, text]. */
  items(): [string, string][] {
    return this.outputs.flatMap((o) => o.items.map((i) => [i.mime, new TextDecoder().decode(i.data)] as [string, string]));
  }
}

export class FakeNotebookController {
  supportedLanguages: string[] = [];
  supportsExecutionOrder = false;
  description = "";
  executeHandler: ((cells: unknown[], notebook: unknown, controller: unknown) => void | Thenable<void>) | undefined;
  interruptHandler: ((notebook: unknown) => void | Thenable<void>) | undefined;
  readonly executions: FakeCellExecution[] = [];
  private readonly selected = new EventEmitter<{ notebook: unknown; selected: boolean }>();
  readonly onDidChangeSelectedNotebooks = this.selected.event;
  disposed = false;
  constructor(
    readonly id: string,
    readonly notebookType: string,
    readonly label: string,
  ) {}
  createNotebookCellExecution(cell: { index: number }): FakeCellExecution {
    const execution = new FakeCellExecution(cell);
    this.executions.push(execution);
    return execution;
  }
  dispose(): void {
    this.disposed = true;
  }
}

/** What the fake records, and the knobs tests turn (trust, settings). */
export const fake = {
  controllers: [] as FakeNotebookController[],
  messages: [] as { kind: "info" | "warning" | "error"; text: string }[],
  commands: [] as unknown[][],
  settings: {} as Record<string, unknown>,
};

export const notebooks = {
  createNotebookController(id: string, notebookType: string, label: string): FakeNotebookController {
    const controller = new FakeNotebookController(id, notebookType, label);
    fake.controllers.push(controller);
    return controller;
  },
};

const closed = new EventEmitter<unknown>();
const changed = new EventEmitter<unknown>();
export const workspace = {
  isTrusted: true,
  workspaceFolders: undefined as undefined | { uri: { fsPath: string } }[],
  onDidCloseNotebookDocument: closed.event,
  onDidChangeNotebookDocument: changed.event,
  getConfiguration(section: string) {
    return { get: <T>(key: string, fallback: T): T => (fake.settings[`${section}.${key}`] as T | undefined) ?? fallback };
  },
  asRelativePath(uri: { fsPath?: string; toString(): string }): string {
    return uri.fsPath ?? uri.toString();
  },
};

export const window = {
  async showInformationMessage(text: string): Promise<undefined> {
    fake.messages.push({ kind: "info", text });
    return undefined;
  },
  async showWarningMessage(text: string): Promise<undefined> {
    fake.messages.push({ kind: "warning", text });
    return undefined;
  },
  async showErrorMessage(text: string): Promise<undefined> {
    fake.messages.push({ kind: "error", text });
    return undefined;
  },
  setStatusBarMessage(_text: string): Disposable {
    return new Disposable(() => {});
  },
};

export const commands = {
  async executeCommand(...args: unknown[]): Promise<undefined> {
    fake.commands.push(args);
    return undefined;
  },
};
