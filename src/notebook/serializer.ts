/**
 * `vscode.NotebookSerializer` for `.sdenb` files, a thin mapping over {@link ./format}.
 *
 * Everything VS Code has no field for (unknown keys, cell ids, output-item extras) rides in
 * metadata under {@link SDE_KEY}, so it comes back unchanged on save.
 */
import * as vscode from "vscode";
import {
  NotebookFormatError,
  parseNotebookBytes,
  serializeNotebook,
  type JsonObject,
  type SdeCell,
  type SdeNotebook,
  type SdeOutput,
  type SdeOutputItem,
} from "./format";
import { isRenderedMime, sanitizeMarkdown } from "../kernel/safe-outputs";

/** Notebook type registered in package.json. */
export const NOTEBOOK_TYPE = "sde-notebook";
/** Metadata key under which the serializer keeps what VS Code has no place for. */
export const SDE_KEY = "sdeLab";

interface NotebookCarry {
  metadata: JsonObject;
  extra: JsonObject;
}
interface CellCarry {
  id?: string;
  metadata: JsonObject;
  extra: JsonObject;
  executionExtra?: JsonObject;
  /** The file's code cell had no `outputs` key: saved without one while it still has none. */
  noOutputs?: true;
}
interface OutputCarry {
  extra: JsonObject;
  itemExtras: JsonObject[];
  encodings: ("base64" | undefined)[];
  /**
   * The items as the file has them, when what is shown differs (markdown with its HTML made
   * text, kinds SDE Lab does not render left out): saved back unchanged.
   */
  original?: SdeOutputItem[];
}

const encoder = new TextEncoder();

/** What the serializer asks of its host. */
export interface SerializerHost {
  /** Whether outputs are written to disk (read at every save). */
  saveOutputs(): boolean;
  /** Tells the user a file could not be opened. */
  showError(message: string): void;
}

/** Explains a format error and what to do about it; the file itself is left untouched. */
export function openFailureMessage(error: NotebookFormatError): string {
  return (
    `SDE Lab could not open this notebook: ${error.message}. The file was not changed. ` +
    "Fix it in a text editor (Open With... > Text Editor) or restore it from version control, then open it again."
  );
}

/** Reads and writes `.sdenb` notebooks for VS Code. */
export class SdeNotebookSerializer implements vscode.NotebookSerializer {
  constructor(private readonly host: SerializerHost) {}

  deserializeNotebook(content: Uint8Array): vscode.NotebookData {
    try {
      return toNotebookData(parseNotebookBytes(content));
    } catch (error) {
      if (!(error instanceof NotebookFormatError)) throw error;
      // Throwing makes VS Code refuse to open the editor, so the file cannot be saved over.
      const message = openFailureMessage(error);
      this.host.showError(message);
      throw new Error(message, { cause: error });
    }
  }

  serializeNotebook(data: vscode.NotebookData): Uint8Array {
    return encoder.encode(serializeNotebook(fromNotebookData(data), { includeOutputs: this.host.saveOutputs() }));
  }
}

/** Maps a parsed notebook to VS Code's notebook data. */
export function toNotebookData(nb: SdeNotebook): vscode.NotebookData {
  const cells = nb.cells.map((cell) => {
    const kind = cell.kind === "markdown" ? vscode.NotebookCellKind.Markup : vscode.NotebookCellKind.Code;
    const data = new vscode.NotebookCellData(kind, cell.source, cell.language);
    const carry: CellCarry = { metadata: cell.metadata, extra: cell.extra };
    if (cell.id !== undefined) carry.id = cell.id;
    if (cell.execution?.extra) carry.executionExtra = cell.execution.extra;
    if (cell.kind === "code" && cell.outputs === undefined) carry.noOutputs = true;
    data.metadata = { [SDE_KEY]: carry };
    if (cell.outputs) data.outputs = cell.outputs.map(toCellOutput);
    if (cell.execution && (cell.execution.order !== undefined || cell.execution.success !== undefined)) {
      data.executionSummary = {
        ...(cell.execution.order !== undefined ? { executionOrder: cell.execution.order } : {}),
        ...(cell.execution.success !== undefined ? { success: cell.execution.success } : {}),
      };
    }
    return data;
  });
  const data = new vscode.NotebookData(cells);
  const carry: NotebookCarry = { metadata: nb.metadata, extra: nb.extra };
  data.metadata = { [SDE_KEY]: carry };
  return data;
}

/** Maps VS Code's notebook data back to the file model. */
export function fromNotebookData(data: vscode.NotebookData): SdeNotebook {
  const carry = (data.metadata?.[SDE_KEY] as NotebookCarry | undefined) ?? { metadata: {}, extra: {} };
  return {
    metadata: carry.metadata ?? {},
    extra: carry.extra ?? {},
    cells: data.cells.map((cellData) => {
      const c = (cellData.metadata?.[SDE_KEY] as CellCarry | undefined) ?? { metadata: {}, extra: {} };
      const isCode = cellData.kind === vscode.NotebookCellKind.Code;
      const cell: SdeCell = {
        kind: isCode ? "code" : "markdown",
        language: cellData.languageId,
        source: cellData.value,
        metadata: c.metadata ?? {},
        extra: c.extra ?? {},
      };
      // Ids are optional anchors given by authors; inventing one here would change on every save.
      if (c.id !== undefined) cell.id = c.id;
      if (isCode) {
        const outputs = (cellData.outputs ?? []).map(fromCellOutput);
        // No outputs written as none: a cell the user did not run keeps its bytes.
        if (outputs.length > 0 || !c.noOutputs) cell.outputs = outputs;
        const summary = cellData.executionSummary;
        if (summary && (summary.executionOrder !== undefined || summary.success !== undefined || c.executionExtra)) {
          cell.execution = {};
          if (summary.executionOrder !== undefined) cell.execution.order = summary.executionOrder;
          if (summary.success !== undefined) cell.execution.success = summary.success;
          if (c.executionExtra) cell.execution.extra = c.executionExtra;
        }
      }
      return cell;
    }),
  };
}

function toCellOutput(output: SdeOutput): vscode.NotebookCellOutput {
  // A saved file is untrusted input: only the kinds SDE Lab produces render, and markdown
  // without raw HTML. The rest stays in the file, out of the renderer's reach.
  const shown: SdeOutputItem[] = [];
  let changed = false;
  for (const item of output.items) {
    if (!isRenderedMime(item.mime)) {
      changed = true;
      continue;
    }
    if (item.mime === "text/markdown" && item.encoding !== "base64") {
      const safe = sanitizeMarkdown(item.data);
      if (safe !== item.data) changed = true;
      shown.push({ ...item, data: safe });
    } else shown.push(item);
  }
  if (shown.length === 0) {
    const kinds = [...new Set(output.items.map((i) => i.mime))].join(", ");
    shown.push({ mime: "text/plain", data: `(a saved output of type ${kinds} is not shown: SDE Lab renders only text, markdown, JSON and PNG images)`, extra: {} });
  }
  const carry: OutputCarry = {
    extra: output.extra,
    itemExtras: shown.map((i) => i.extra),
    encodings: shown.map((i) => i.encoding),
  };
  if (changed) carry.original = output.items;
  const items = shown.map(
    (item) =>
      new vscode.NotebookCellOutputItem(
        item.encoding === "base64" ? Buffer.from(item.data, "base64") : encoder.encode(item.data),
        item.mime,
      ),
  );
  return new vscode.NotebookCellOutput(items, { ...output.metadata, [SDE_KEY]: carry });
}

function fromCellOutput(output: vscode.NotebookCellOutput): SdeOutput {
  const { [SDE_KEY]: raw, ...metadata } = (output.metadata ?? {}) as Record<string, unknown>;
  const carry = raw as OutputCarry | undefined;
  if (carry?.original) return { metadata: metadata as JsonObject, extra: carry.extra ?? {}, items: carry.original };
  return {
    metadata: metadata as JsonObject,
    extra: carry?.extra ?? {},
    items: output.items.map((item, i): SdeOutputItem => {
      const extra = carry?.itemExtras[i] ?? {};
      const text = carry?.encodings[i] === "base64" ? undefined : decodeUtf8(item.data);
      return text === undefined
        ? { mime: item.mime, data: Buffer.from(item.data).toString("base64"), encoding: "base64", extra }
        : { mime: item.mime, data: text, extra };
    }),
  };
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
