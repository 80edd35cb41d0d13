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
