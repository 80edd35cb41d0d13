/**
 * The `.sdenb` notebook file format: parse, validate and serialize.
 *
 * Pure module (no `vscode` import) so the serializer, the headless runner and the tests
 * share one implementation. The format is documented in `docs/notebook-format.md` and
 * described by `schemas/sdenb.schema.json`.
 *
 * Guarantees:
 * - any input either parses or throws {@link NotebookFormatError} with a line and column;
 * - unknown fields, at every level, survive a parse + serialize unchanged;
 * - {@link serializeNotebook} output is canonical, so a canonical file round-trips byte for byte.
 */
import { parseTree, printParseErrorCode, type Node as JsonNode, type ParseError } from "jsonc-parser";

/** The value of the top-level `format` field that marks a file as an SDE Lab notebook. */
export const FORMAT_MARKER = "sde-notebook";
/** The newest format version this build reads and the version it writes. */
export const FORMAT_VERSION = 1;

/** Any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** Kind of a notebook cell. */
export type CellKind = "markdown" | "code";

/** One MIME-typed representation of an output. */
export interface SdeOutputItem {
  /** MIME type, e.g. `text/plain`, `text/markdown`, `application/json`. */
  mime: string;
  /** The payload: UTF-8 text, or base64 when {@link encoding} is `base64`. */
  data: string;
  /** How {@link data} is encoded; absent means UTF-8 text. */
  encoding?: "base64";
  /** Fields this version does not know, kept as they were. */
  extra: JsonObject;
}

/** One output of a code cell: several representations of the same value. */
export interface SdeOutput {
  /** Representations, richest first. */
  items: SdeOutputItem[];
  /** Free-form output metadata. */
  metadata: JsonObject;
  /** Fields this version does not know, kept as they were. */
  extra: JsonObject;
}

/** What is remembered of a cell's last run. */
export interface SdeExecution {
  /** Execution counter shown next to the cell. */
  order?: number;
  /** Whether the run succeeded. */
  success?: boolean;
  /** Fields this version does not know, kept as they were. */
  extra?: JsonObject;
}

/** One cell of a notebook. */
export interface SdeCell {
  /** Stable cell id (used for anchors such as `01-microservices#circuit-breaker`). */
  id?: string;
  /** Markdown prose or runnable code. */
  kind: CellKind;
  /** Language id: `markdown` for markdown cells, `typescript` (default) for code cells. */
  language: string;
  /** The cell text. Stored on disk as an array of lines for readable diffs. */
  source: string;
  /** Free-form cell metadata. */
  metadata: JsonObject;
  /** Saved outputs of a code cell (absent when none were saved). */
  outputs?: SdeOutput[];
  /** Summary of the last run of a code cell. */
  execution?: SdeExecution;
  /** Fields this version does not know, kept as they were. */
  extra: JsonObject;
}

/** A parsed `.sdenb` notebook. */
export interface SdeNotebook {
  /** Free-form notebook metadata (title, section, ...). */
  metadata: JsonObject;
  /** The cells, in order. */
  cells: SdeCell[];
  /** Top-level fields this version does not know, kept as they were. */
  extra: JsonObject;
}

/** Options for {@link serializeNotebook}. */
export interface SerializeOptions {
  /** Write cell outputs and execution summaries. Default `true`. */
  includeOutputs?: boolean;
}

/**
 * Thrown when a file is not a valid `.sdenb` notebook. The message names the problem and
 * where it is; the fields let tools point at it.
 */
export class NotebookFormatError extends Error {
  override readonly name = "NotebookFormatError";
  /**
   * @param problem - what is wrong, in words
   * @param line - 1-based line of the problem
   * @param column - 1-based column of the problem
   * @param path - JSON path of the offending value (e.g. `cells[2].kind`), empty for the document
   */
  constructor(
    readonly problem: string,
    readonly line: number,
    readonly column: number,
    readonly path: string,
  ) {
    super(`${problem} (line ${line}, column ${column}${path ? `, at ${path}` : ""})`);
  }
}

const NOTEBOOK_KEYS = ["format", "version", "metadata", "cells"] as const;
const CELL_KEYS = ["id", "kind", "language", "source", "metadata", "execution", "outputs"] as const;
const OUTPUT_KEYS = ["items", "metadata"] as const;
const ITEM_KEYS = ["mime", "encoding", "data"] as const;
const EXECUTION_KEYS = ["order", "success"] as const;

/** A notebook to start from when a `.sdenb` file is empty. */
export function starterNotebook(): SdeNotebook {
  return {
    metadata: {},
    extra: {},
    cells: [
      {
        kind: "markdown",
        language: "markdown",
        source:
          "# New SDE Lab notebook\n\nWrite notes in markdown cells and TypeScript in code cells. " +
          "Run a cell with Shift+Enter; names declared in one cell are visible in the next.",
        metadata: {},
        extra: {},
      },
      {
        kind: "code",
        language: "typescript",
        source: 'const greeting = "Hello from SDE Lab";\ngreeting',
        metadata: {},
        extra: {},
      },
    ],
  };
}

/**
 * Parses `.sdenb` text.
 *
 * An empty (or whitespace-only) text yields {@link starterNotebook}.
 * @throws {@link NotebookFormatError} for invalid JSON or a wrong shape, with its position.
 */
export function parseNotebook(text: string): SdeNotebook {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === "") return starterNotebook();
  const errors: ParseError[] = [];
  const root = parseTree(body, errors, { allowTrailingComma: false, disallowComments: true, allowEmptyContent: false });
  const lines = new LineIndex(body);
  if (errors.length > 0) {
    const e = errors[0]!;
    const { line, column } = lines.at(e.offset);
    throw new NotebookFormatError(`Invalid JSON: ${describeParseError(printParseErrorCode(e.error))}`, line, column, "");
  }
  if (!root) throw new NotebookFormatError("Invalid JSON: the file has no value", 1, 1, "");
  return new Reader(lines).notebook(root);
}

/** Decodes file bytes (UTF-8, optional BOM) and parses them; see {@link parseNotebook}. */
export function parseNotebookBytes(bytes: Uint8Array): SdeNotebook {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const prefix = new TextDecoder("utf-8").decode(bytes.subarray(0, at));
    const { line, column } = new LineIndex(prefix).at(prefix.length);
    throw new NotebookFormatError("The file is not valid UTF-8 text", line, column, "");
  }
  return parseNotebook(text);
}

/**
 * Serializes a notebook to canonical `.sdenb` text: known keys in schema order, unknown keys
 * after them in their original order, 2-space indent, `\n` line ends and a trailing newline.
 */
export function serializeNotebook(notebook: SdeNotebook, options: SerializeOptions = {}): string {
  const includeOutputs = options.includeOutputs ?? true;
  const doc: JsonObject = {
    format: FORMAT_MARKER,
    version: FORMAT_VERSION,
    metadata: notebook.metadata,
    cells: notebook.cells.map((cell) => cellToJson(cell, includeOutputs)),
  };
  return JSON.stringify(withExtra(doc, notebook.extra, NOTEBOOK_KEYS), null, 2) + "\n";
}

/** Splits source into the on-disk line array: every line keeps its `\n` except the last. */
export function sourceToLines(source: string): string[] {
  if (source === "") return [];
  const lines = source.split("\n").map((line, i, all) => (i < all.length - 1 ? line + "\n" : line));
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function cellToJson(cell: SdeCell, includeOutputs: boolean): JsonObject {
  const out: JsonObject = {};
  if (cell.id !== undefined) out.id = cell.id;
  out.kind = cell.kind;
  out.language = cell.language;
  out.source = sourceToLines(cell.source);
  out.metadata = cell.metadata;
  if (includeOutputs && cell.execution) {
    const ex: JsonObject = {};
    if (cell.execution.order !== undefined) ex.order = cell.execution.order;
    if (cell.execution.success !== undefined) ex.success = cell.execution.success;
    const full = withExtra(ex, cell.execution.extra ?? {}, EXECUTION_KEYS);
    if (Object.keys(full).length > 0) out.execution = full;
  }
  if (includeOutputs && cell.outputs !== undefined) {
    out.outputs = cell.outputs.map((o) =>
      withExtra(
        {
          items: o.items.map((item) => {
            const it: JsonObject = { mime: item.mime };
            if (item.encoding) it.encoding = item.encoding;
            it.data = item.data;
            return withExtra(it, item.extra, ITEM_KEYS);
          }),
          metadata: o.metadata,
        },
        o.extra,
        OUTPUT_KEYS,
      ),
    );
  }
  return withExtra(out, cell.extra, CELL_KEYS);
}

function withExtra(known: JsonObject, extra: JsonObject, knownKeys: readonly string[]): JsonObject {
  const result: JsonObject = {};
  for (const [k, v] of Object.entries(known)) defineKey(result, k, v);
  for (const [k, v] of Object.entries(extra)) {
    if (!knownKeys.includes(k)) defineKey(result, k, v);
  }
  return result;
}

/** Sets an own enumerable property even for names such as `__proto__`. */
function defineKey(target: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Walks the jsonc-parser tree, checking the shape and reporting positions. */
class Reader {
  constructor(private readonly lines: LineIndex) {}

  notebook(root: JsonNode): SdeNotebook {
    const fields = this.object(root, "", "The notebook must be a JSON object");
    const format = fields.get("format");
    if (!format || format.value.type !== "string" || format.value.value !== FORMAT_MARKER) {
      throw this.error(
        format?.value ?? root,
        `Not an SDE Lab notebook: expected "format": "${FORMAT_MARKER}" at the top level`,
        "format",
      );
    }
    const version = fields.get("version");
    if (!version) throw this.error(root, `Missing "version" (this build reads version ${FORMAT_VERSION})`, "version");
    if (version.value.type !== "number" || !Number.isInteger(version.value.value) || version.value.value < 1) {
      throw this.error(version.value, '"version" must be a positive whole number', "version");
    }
    if ((version.value.value as number) > FORMAT_VERSION) {
      throw this.error(
        version.value,
        `This notebook uses format version ${String(version.value.value)}, newer than this SDE Lab reads (${FORMAT_VERSION}); update the extension`,
        "version",
      );
    }
    const cellsField = fields.get("cells");
    if (!cellsField) throw this.error(root, 'Missing "cells" (an array of cells)', "cells");
    const cellNodes = this.array(cellsField.value, "cells", '"cells" must be an array');
    return {
      metadata: this.optionalObjectValue(fields.get("metadata")?.value, "metadata"),
      cells: cellNodes.map((node, i) => this.cell(node, `cells[${i}]`)),
      extra: this.extra(fields, NOTEBOOK_KEYS),
    };
  }

  private cell(node: JsonNode, path: string): SdeCell {
    const fields = this.object(node, path, "A cell must be a JSON object");
    const kindNode = fields.get("kind")?.value;
    if (!kindNode) throw this.error(node, 'A cell needs "kind": "markdown" or "code"', `${path}.kind`);
    if (kindNode.value !== "markdown" && kindNode.value !== "code") {
      throw this.error(kindNode, '"kind" must be "markdown" or "code"', `${path}.kind`);
    }
    const kind = kindNode.value as CellKind;
    const sourceNode = fields.get("source")?.value;
    if (!sourceNode) throw this.error(node, 'A cell needs "source" (a string or an array of lines)', `${path}.source`);
    const cell: SdeCell = {
      kind,
      language: this.optionalString(fields.get("language")?.value, `${path}.language`) ?? (kind === "markdown" ? "markdown" : "typescript"),
      source: this.source(sourceNode, `${path}.source`),
      metadata: this.optionalObjectValue(fields.get("metadata")?.value, `${path}.metadata`),
      extra: this.extra(fields, CELL_KEYS),
    };
    const id = this.optionalString(fields.get("id")?.value, `${path}.id`);
    if (id !== undefined) cell.id = id;
    const execution = fields.get("execution")?.value;
    if (execution) cell.execution = this.execution(execution, `${path}.execution`);
    const outputs = fields.get("outputs")?.value;
    if (outputs) {
      cell.outputs = this.array(outputs, `${path}.outputs`, '"outputs" must be an array').map((o, i) =>
        this.output(o, `${path}.outputs[${i}]`),
      );
    }
    return cell;
  }

  private execution(node: JsonNode, path: string): SdeExecution {
    const fields = this.object(node, path, '"execution" must be an object');
    const result: SdeExecution = {};
    const order = fields.get("order")?.value;
    if (order) {
      if (order.type !== "number" || !Number.isInteger(order.value) || order.value < 0) {
        throw this.error(order, '"order" must be a whole number ≥ 0', `${path}.order`);
      }
      result.order = order.value as number;
    }
    const success = fields.get("success")?.value;
    if (success) {
      if (success.type !== "boolean") throw this.error(success, '"success" must be true or false', `${path}.success`);
      result.success = success.value as boolean;
    }
    const extra = this.extra(fields, EXECUTION_KEYS);
    if (Object.keys(extra).length > 0) result.extra = extra;
    return result;
  }

  private output(node: JsonNode, path: string): SdeOutput {
    const fields = this.object(node, path, "An output must be a JSON object");
    const itemsNode = fields.get("items")?.value;
    if (!itemsNode) throw this.error(node, 'An output needs "items" (an array)', `${path}.items`);
    return {
      items: this.array(itemsNode, `${path}.items`, '"items" must be an array').map((n, i) => this.item(n, `${path}.items[${i}]`)),
      metadata: this.optionalObjectValue(fields.get("metadata")?.value, `${path}.metadata`),
      extra: this.extra(fields, OUTPUT_KEYS),
    };
  }

  private item(node: JsonNode, path: string): SdeOutputItem {
    const fields = this.object(node, path, "An output item must be a JSON object");
    const mime = this.optionalString(fields.get("mime")?.value, `${path}.mime`);
    if (mime === undefined || mime === "") throw this.error(node, 'An output item needs a "mime" type', `${path}.mime`);
    const data = this.optionalString(fields.get("data")?.value, `${path}.data`);
    if (data === undefined) throw this.error(node, 'An output item needs "data" (a string)', `${path}.data`);
    const item: SdeOutputItem = { mime, data, extra: this.extra(fields, ITEM_KEYS) };
    const encodingNode = fields.get("encoding")?.value;
    if (encodingNode) {
      if (encodingNode.value !== "base64") throw this.error(encodingNode, '"encoding" must be "base64" when present', `${path}.encoding`);
      item.encoding = "base64";
    }
    return item;
  }

  private source(node: JsonNode, path: string): string {
    if (node.type === "string") return node.value as string;
    if (node.type === "array") {
      return (node.children ?? [])
        .map((line, i) => {
          if (line.type !== "string") throw this.error(line, "Source lines must be strings", `${path}[${i}]`);
          return line.value as string;
        })
        .join("");
    }
    throw this.error(node, '"source" must be a string or an array of strings', path);
  }

  private object(node: JsonNode, path: string, message: string): Map<string, { key: JsonNode; value: JsonNode }> {
    if (node.type !== "object") throw this.error(node, message, path);
    const fields = new Map<string, { key: JsonNode; value: JsonNode }>();
    for (const prop of node.children ?? []) {
      const [key, value] = prop.children ?? [];
      // jsonc-parser reports missing values as parse errors, so both are present here.
      if (key && value) fields.set(key.value as string, { key, value });
    }
    return fields;
  }

  private array(node: JsonNode, path: string, message: string): JsonNode[] {
    if (node.type !== "array") throw this.error(node, message, path);
    return node.children ?? [];
  }

  private optionalString(node: JsonNode | undefined, path: string): string | undefined {
    if (!node) return undefined;
    if (node.type !== "string") throw this.error(node, `"${lastSegment(path)}" must be a string`, path);
    return node.value as string;
  }

  private optionalObjectValue(node: JsonNode | undefined, path: string): JsonObject {
    if (!node) return {};
    if (node.type !== "object") throw this.error(node, `"${lastSegment(path)}" must be an object`, path);
    return toValue(node) as JsonObject;
  }

  private extra(fields: Map<string, { key: JsonNode; value: JsonNode }>, known: readonly string[]): JsonObject {
    const extra: JsonObject = {};
    for (const [key, { value }] of fields) {
      if (!known.includes(key)) defineKey(extra, key, toValue(value));
    }
    return extra;
  }

  private error(node: JsonNode, problem: string, path: string): NotebookFormatError {
    const { line, column } = this.lines.at(node.offset);
    return new NotebookFormatError(problem, line, column, path);
  }
}

function lastSegment(path: string): string {
  const m = /([A-Za-z_$][\w$]*)$/.exec(path);
  return m ? m[1]! : path;
}

/** Converts a parse-tree node to a plain value, keeping keys such as `__proto__` as data. */
function toValue(node: JsonNode): JsonValue {
  switch (node.type) {
    case "object": {
      const obj: JsonObject = {};
      for (const prop of node.children ?? []) {
        const [key, value] = prop.children ?? [];
        if (key && value) defineKey(obj, key.value as string, toValue(value));
      }
      return obj;
    }
    case "array":
      return (node.children ?? []).map(toValue);
    case "null":
      return null;
    default:
      return node.value as string | number | boolean;
  }
}

function describeParseError(code: string): string {
  const words: Record<string, string> = {
    InvalidSymbol: "unexpected character",
    InvalidNumberFormat: "malformed number",
    PropertyNameExpected: "expected a property name in double quotes",
    ValueExpected: "expected a value",
    ColonExpected: "expected ':'",
    CommaExpected: "expected ',' between items",
    CloseBraceExpected: "expected '}'",
    CloseBracketExpected: "expected ']'",
    EndOfFileExpected: "unexpected text after the end of the document",
    InvalidCommentToken: "comments are not allowed",
    UnexpectedEndOfComment: "unterminated comment",
    UnexpectedEndOfString: "unterminated string",
    UnexpectedEndOfNumber: "malformed number",
    InvalidUnicode: "invalid \\u escape",
    InvalidEscapeCharacter: "invalid escape sequence",
    InvalidCharacter: "control character in a string",
  };
  return words[code] ?? code;
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  // Binary search for the longest prefix that decodes cleanly.
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    try {
      // stream: a multi-byte sequence cut by the prefix end is not an error.
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return lo;
}

/** Maps string offsets to 1-based line/column. */
class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  at(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo]! + 1 };
  }
}
