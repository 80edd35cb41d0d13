/**
 * A TypeScript language service over notebooks: each notebook is one virtual module
 * ({@link ./virtual-notebook}), and every answer is mapped back to cells.
 *
 * It is host-neutral: the TypeScript server plugin runs it inside tsserver (so VS Code's own
 * TypeScript client serves completions, hovers, signature help and definitions for cells,
 * and nothing is offered twice), and the unit tests and the benchmark run it directly.
 */
import type * as ts from "typescript";
import { buildVirtualNotebook, type CellAnalysisCache, type CellText, type VirtualNotebook } from "./virtual-notebook";

type Ts = typeof ts;

/**
 * Codes the kernel makes untrue for cells:
 * 1108 `return` at the top level (a cell's body runs inside an async function);
 * 2300 the same name imported by two cells (a later import replaces the binding);
 * 2403 a `var` re-declared with another type in a later cell;
 */
const KERNEL_ALLOWS = new Set([1108, 2300, 2403]);
/**
 * "Implicitly has an 'any' type" in its forms (parameters, members, evolving arrays captured
 * by a closure, an untyped workspace package, indexing with a string): noise in a cell,
 * and not reported in a loose .ts file either. The type stays `any`, as there.
 */
const IMPLICIT_ANY = new Set([7005, 7006, 7008, 7010, 7011, 7016, 7019, 7022, 7023, 7024, 7031, 7034, 7041, 7052, 7053]);
/**
 * A later cell that re-declares a name and reads the old value in doing so
 * (`const count = count + 1`): in the kernel the old value is read; in one program it is the
 * new binding before its declaration (2448-2450; the `any` of its own initializer, 7022, is
 * among IMPLICIT_ANY).
 * Allowed when a cell above declares the name.
 */
const REDECLARED_FROM_ITSELF = new Set([2448, 2449, 2450]);

/** Where the service finds the declarations it serves. */
export interface NotebookServiceOptions {
  /** The `typescript` module to use (tsserver's own inside the plugin). */
  ts: Ts;
  /** Folder with the bundled `sde-lab` declarations: `index.d.ts`, `globals.d.ts`, subpath bundles. */
  labTypes: string;
  /**
   * Folder whose `@types/node` gives `node:` modules their types (the VSIX bundles one).
   * Default: none, so `node:` imports are unresolved.
   */
  nodeTypeRoots?: string;
  /** File system reads. Default: `ts.sys`. */
  fs?: Pick<ts.System, "readFile" | "fileExists" | "directoryExists" | "getDirectories" | "realpath">;
}

/** A diagnostic in a cell (offsets in the cell's text). */
export interface CellDiagnostic {
  /** The cell's {@link CellText.key}. */
  cell: string;
  start: number;
  length: number;
  code: number;
  category: "error" | "warning" | "suggestion" | "message";
  message: string;
}

/** A span in a cell. */
export interface CellSpan {
  cell: string;
  start: number;
  length: number;
}

interface NotebookState {
  fileName: string;
  version: number;
  snapshot: ts.IScriptSnapshot;
  virtual: VirtualNotebook;
  cache: CellAnalysisCache;
}

/**
 * A snapshot that tells TypeScript which stretch changed since the previous one, so an edit
 * in one cell re-parses only around it instead of the whole notebook (tsserver does the same
 * for open files).
 */
export class VirtualSnapshot implements ts.IScriptSnapshot {
  constructor(
    private readonly tsm: Ts,
    readonly text: string,
    private previous: VirtualSnapshot | undefined,
  ) {
    // Only the one step back is ever asked for; older snapshots can go.
    if (previous) previous.previous = undefined;
  }
  getText(start: number, end: number): string {
    return this.text.substring(start, end);
  }
  getLength(): number {
    return this.text.length;
  }
  getChangeRange(old: ts.IScriptSnapshot): ts.TextChangeRange | undefined {
    if (old !== this.previous || !this.previous) return undefined;
    const a = this.previous.text;
    const b = this.text;
    let prefix = 0;
    const max = Math.min(a.length, b.length);
    while (prefix < max && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix++;
    let suffix = 0;
    while (suffix < max - prefix && a.charCodeAt(a.length - 1 - suffix) === b.charCodeAt(b.length - 1 - suffix)) suffix++;
    return this.tsm.createTextChangeRange(this.tsm.createTextSpan(prefix, a.length - prefix - suffix), b.length - prefix - suffix);
  }
}

const CATEGORY = ["warning", "error", "suggestion", "message"] as const;

/** Compiler options for notebooks: what the kernel runs (Node 20, ES2022, ES modules). */
function notebookOptions(tsm: Ts, nodeTypeRoots: string | undefined): ts.CompilerOptions {
  return {
    target: tsm.ScriptTarget.ES2022,
    module: tsm.ModuleKind.ESNext,
    moduleResolution: tsm.ModuleResolutionKind.Bundler,
    lib: ["lib.es2023.d.ts"],
    // Strict, so `const out = []` evolves into number[] as it is filled, but the reports a loose
    // .ts file in VS Code would not make are left out: implicit `any` (IMPLICIT_ANY below),
    // uninitialised class fields, `unknown` in catch clauses.
    strict: true,
    strictPropertyInitialization: false,
    useUnknownInCatchVariables: false,
    skipLibCheck: true,
    allowJs: false,
    esModuleInterop: true,
    allowSyntheticDefaultImports: true,
    resolveJsonModule: true,
    isolatedModules: false,
    noEmit: true,
    ...(nodeTypeRoots ? { typeRoots: [nodeTypeRoots], types: ["node"] } : { types: [] }),
  };
}

/** A language service over notebooks. One instance serves any number of notebooks. */
export class NotebookLanguageService {
  private readonly tsm: Ts;
  private readonly notebooks = new Map<string, NotebookState>();
  private readonly byFileName = new Map<string, NotebookState>();
  private readonly options: ts.CompilerOptions;
  private readonly service: ts.LanguageService;
  private readonly globals: string;
  private readonly fs: NonNullable<NotebookServiceOptions["fs"]>;
  private projectVersion = 0;

  constructor(private readonly config: NotebookServiceOptions) {
    const tsm = (this.tsm = config.ts);
    this.fs = config.fs ?? tsm.sys;
    this.options = notebookOptions(tsm, config.nodeTypeRoots);
    this.globals = joinPath(config.labTypes, "globals.d.ts");
    const resolutionHost: ts.ModuleResolutionHost = {
      fileExists: (f) => this.fs.fileExists(f),
      readFile: (f) => this.fs.readFile(f),
      directoryExists: (d) => this.fs.directoryExists?.(d) ?? true,
      getDirectories: (d) => this.fs.getDirectories?.(d) ?? [],
      realpath: (p) => this.fs.realpath?.(p) ?? p,
    };
    const host: ts.LanguageServiceHost = {
      getProjectVersion: () => String(this.projectVersion),
      getCompilationSettings: () => this.options,
      getScriptFileNames: () => [this.globals, ...[...this.notebooks.values()].map((n) => n.fileName)],
      getScriptVersion: (f) => String(this.byFileName.get(f)?.version ?? 0),
      getScriptSnapshot: (f) => {
        const nb = this.byFileName.get(f);
        if (nb) return nb.snapshot;
        const text = this.fs.readFile(f);
        return text === undefined ? undefined : tsm.ScriptSnapshot.fromString(text);
      },
      getScriptKind: (f) => (this.byFileName.has(f) ? tsm.ScriptKind.TS : tsm.ScriptKind.Unknown),
      getCurrentDirectory: () => "/",
      getDefaultLibFileName: (o) => tsm.getDefaultLibFilePath(o),
      fileExists: (f) => this.byFileName.has(f) || this.fs.fileExists(f),
      readFile: (f) => this.fs.readFile(f),
      directoryExists: resolutionHost.directoryExists!,
      getDirectories: resolutionHost.getDirectories!,
      realpath: resolutionHost.realpath!,
      resolveModuleNameLiterals: (literals, containingFile, _redirect, options) => literals.map((literal) => this.resolveCached(literal.text, containingFile, options, resolutionHost)),
    };
    this.service = tsm.createLanguageService(host, tsm.createDocumentRegistry());
  }

  /** Resolutions by folder and name: every edit re-resolves the virtual module's imports. */
  private readonly resolutions = new Map<string, ts.ResolvedModuleWithFailedLookupLocations>();

  private resolveCached(name: string, containingFile: string, options: ts.CompilerOptions, host: ts.ModuleResolutionHost): ts.ResolvedModuleWithFailedLookupLocations {
    const key = `${containingFile.slice(0, containingFile.lastIndexOf("/"))}\0${name}`;
    let found = this.resolutions.get(key);
    if (!found) {
      found = this.resolveModule(name, containingFile, options, host);
      // A package installed later should resolve: only successes are kept.
      if (found.resolvedModule) this.resolutions.set(key, found);
    }
    return found;
  }

  /** Resolves `sde-lab` and `sde-lab/<name>` to the bundled declarations, the rest as TypeScript does. */
  private resolveModule(name: string, containingFile: string, options: ts.CompilerOptions, host: ts.ModuleResolutionHost): ts.ResolvedModuleWithFailedLookupLocations {
    const lab = /^sde-lab(?:\/([\w-]+))?$/.exec(name);
    if (lab) {
      const candidates = lab[1] ? [joinPath(this.config.labTypes, lab[1], "index.d.ts"), joinPath(this.config.labTypes, `${lab[1]}.d.ts`)] : [joinPath(this.config.labTypes, "index.d.ts")];
      const found = candidates.find((c) => this.fs.fileExists(c));
      if (found) return { resolvedModule: { resolvedFileName: found, extension: this.tsm.Extension.Dts, isExternalLibraryImport: true } };
      return { resolvedModule: undefined };
    }
    return this.tsm.resolveModuleName(name, containingFile, options, host);
  }

  /**
   * Sets a notebook's code cells, in notebook order. Cheap when nothing changed.
   * @param notebook - the notebook's path; the virtual module sits beside it, so relative
   *   imports and the workspace's `node_modules` resolve as they do for the kernel
   */
  update(notebook: string, cells: readonly CellText[]): void {
    const existing = this.notebooks.get(notebook);
    const before = existing?.virtual.cells;
    if (before && before.length === cells.length && cells.every((c, i) => c.key === before[i]!.key && c.text === before[i]!.text)) return;
    const cache = existing?.cache ?? new Map();
    // A copy: the caller may change its array later, and the next update compares with this.
    const virtual = buildVirtualNotebook(this.tsm, cells.map((c) => ({ key: c.key, text: c.text })), cache);
    const fileName = existing?.fileName ?? `${notebook}.sde-notebook.ts`;
    const snapshot = new VirtualSnapshot(this.tsm, virtual.text, existing?.snapshot as VirtualSnapshot | undefined);
    const state: NotebookState = { fileName, version: (existing?.version ?? 0) + 1, snapshot, virtual, cache };
    this.notebooks.set(notebook, state);
    this.byFileName.set(fileName, state);
    this.projectVersion++;
  }

  /** Forgets a closed notebook. */
  remove(notebook: string): void {
    const state = this.notebooks.get(notebook);
    if (!state) return;
    this.notebooks.delete(notebook);
    this.byFileName.delete(state.fileName);
    this.projectVersion++;
  }

  /** The cells a notebook was last updated with. */
  cellsOf(notebook: string): readonly CellText[] | undefined {
    return this.notebooks.get(notebook)?.virtual.cells;
  }

  /** The virtual module's text (for tests and troubleshooting). */
  virtualText(notebook: string): string | undefined {
    return this.notebooks.get(notebook)?.virtual.text;
  }

  /** Every problem in a notebook, on its cell: syntax, types, undeclared names, bad imports. */
  diagnostics(notebook: string): CellDiagnostic[] {
    const state = this.notebooks.get(notebook);
    if (!state) return [];
    const { virtual } = state;
    const result: CellDiagnostic[] = [];
    for (const [cell, errors] of virtual.syntaxErrors) {
      for (const d of errors) result.push(this.cellDiagnostic(virtual.cells[cell]!.key, d.start, d.length, d));
    }
    // Syntax errors come from each cell parsed on its own (above): in the virtual module a
    // half-typed cell's errors would land on the generated braces.
    for (const d of this.service.getSemanticDiagnostics(state.fileName)) {
      if (d.start === undefined || KERNEL_ALLOWS.has(d.code) || IMPLICIT_ANY.has(d.code)) continue;
      const at = virtual.toCell(d.start);
      if (!at) continue;
      const cell = virtual.cells[at.cell]!;
      if (REDECLARED_FROM_ITSELF.has(d.code)) {
        const name = /'([^']+)'/.exec(this.tsm.flattenDiagnosticMessageText(d.messageText, "\n"))?.[1];
        if (name && virtual.declaredAbove(at.cell, name)) continue;
      }
      const length = Math.min(d.length ?? 0, cell.text.length - at.offset);
      result.push(this.cellDiagnostic(cell.key, at.offset, length, d));
    }
    const order = new Map(virtual.cells.map((c, i) => [c.key, i]));
    return result.sort((a, b) => order.get(a.cell)! - order.get(b.cell)! || a.start - b.start);
  }

  private cellDiagnostic(cell: string, start: number, length: number, d: ts.Diagnostic): CellDiagnostic {
    return { cell, start, length, code: d.code, category: CATEGORY[d.category], message: this.tsm.flattenDiagnosticMessageText(d.messageText, "\n") };
  }

  /** The notebook, virtual file and virtual position for a cell offset. */
  private locate(notebook: string, cellKey: string, offset: number): { state: NotebookState; position: number } | undefined {
    const state = this.notebooks.get(notebook);
    if (!state) return undefined;
    const index = state.virtual.cells.findIndex((c) => c.key === cellKey);
    if (index < 0) return undefined;
    const position = state.virtual.toVirtual(index, offset);
    return position === undefined ? undefined : { state, position };
  }

  /** A virtual span as a cell span (undefined when it is generated text). */
  private toCellSpan(state: NotebookState, span: ts.TextSpan): CellSpan | undefined {
    const at = state.virtual.toCell(span.start);
    if (!at) return undefined;
    return { cell: state.virtual.cells[at.cell]!.key, start: at.offset, length: span.length };
  }

  /** Maps a virtual span into the same cell, or drops it. */
  private sameCellSpan(state: NotebookState, cellKey: string, span: ts.TextSpan | undefined): ts.TextSpan | undefined {
    if (!span) return undefined;
    const s = this.toCellSpan(state, span);
    return s && s.cell === cellKey ? { start: s.start, length: s.length } : undefined;
  }

  /** Completions at a cell offset; spans in the result are cell offsets. */
  completions(notebook: string, cellKey: string, offset: number, options?: ts.GetCompletionsAtPositionOptions): ts.CompletionInfo | undefined {
    const at = this.locate(notebook, cellKey, offset);
    if (!at) return undefined;
    // Auto-imports would edit the virtual module, not the cell: offer names in scope only.
    const info = this.service.getCompletionsAtPosition(at.state.fileName, at.position, { ...options, includeCompletionsForModuleExports: false });
    if (!info) return undefined;
    const optionalReplacementSpan = this.sameCellSpan(at.state, cellKey, info.optionalReplacementSpan);
    return {
      ...info,
      optionalReplacementSpan,
      entries: info.entries.map((e) => ({ ...e, replacementSpan: this.sameCellSpan(at.state, cellKey, e.replacementSpan) })),
    };
  }

  /** Details of one completion entry (documentation, signature). */
  completionDetails(notebook: string, cellKey: string, offset: number, name: string, format?: ts.FormatCodeSettings, source?: string, preferences?: ts.UserPreferences, data?: ts.CompletionEntryData): ts.CompletionEntryDetails | undefined {
    const at = this.locate(notebook, cellKey, offset);
    if (!at) return undefined;
    const details = this.service.getCompletionEntryDetails(at.state.fileName, at.position, name, format, source, preferences, data);
    return details ? { ...details, codeActions: undefined } : undefined;
  }

  /** Hover text at a cell offset. */
  quickInfo(notebook: string, cellKey: string, offset: number): ts.QuickInfo | undefined {
    const at = this.locate(notebook, cellKey, offset);
    if (!at) return undefined;
    const info = this.service.getQuickInfoAtPosition(at.state.fileName, at.position);
    if (!info) return undefined;
    return { ...info, textSpan: this.sameCellSpan(at.state, cellKey, info.textSpan) ?? { start: offset, length: 0 } };
  }

  /** Signature help at a cell offset. */
  signatureHelp(notebook: string, cellKey: string, offset: number, options?: ts.SignatureHelpItemsOptions): ts.SignatureHelpItems | undefined {
    const at = this.locate(notebook, cellKey, offset);
    if (!at) return undefined;
    const help = this.service.getSignatureHelpItems(at.state.fileName, at.position, options);
    if (!help) return undefined;
    return { ...help, applicableSpan: this.sameCellSpan(at.state, cellKey, help.applicableSpan) ?? { start: offset, length: 0 } };
  }

  /**
   * Where the name at a cell offset is declared: a cell of the notebook (`cell` set) or a
   * file such as the bundled declarations (`fileName` set).
   */
  definition(notebook: string, cellKey: string, offset: number): { definitions: (ts.DefinitionInfo & { cell?: string })[]; textSpan: ts.TextSpan } | undefined {
    const at = this.locate(notebook, cellKey, offset);
    if (!at) return undefined;
    const found = this.service.getDefinitionAndBoundSpan(at.state.fileName, at.position);
    if (!found) return undefined;
    const definitions: (ts.DefinitionInfo & { cell?: string })[] = [];
    for (const d of found.definitions ?? []) {
      if (d.fileName !== at.state.fileName) {
        definitions.push(d);
        continue;
      }
      const span = this.toCellSpan(at.state, d.textSpan);
      if (!span) continue;
      const context = d.contextSpan && this.toCellSpan(at.state, d.contextSpan);
      definitions.push({ ...d, cell: span.cell, textSpan: { start: span.start, length: span.length }, contextSpan: context && context.cell === span.cell ? { start: context.start, length: context.length } : undefined });
    }
    return { definitions, textSpan: this.sameCellSpan(at.state, cellKey, found.textSpan) ?? { start: offset, length: 0 } };
  }

  /**
   * Semantic colouring of a cell (TypeScript's encoded triples: start, length, class), so a
   * name from another cell is coloured as what it is.
   */
  classifications(notebook: string, cellKey: string, span: ts.TextSpan, format?: ts.SemanticClassificationFormat): ts.Classifications {
    const state = this.notebooks.get(notebook);
    const index = state ? state.virtual.cells.findIndex((c) => c.key === cellKey) : -1;
    if (!state || index < 0) return { spans: [], endOfLineState: this.tsm.EndOfLineState.None };
    const spans: number[][] = [];
    for (const segment of state.virtual.segmentsOf(index)) {
      const found = this.service.getEncodedSemanticClassifications(state.fileName, { start: segment.virtualStart, length: segment.length }, format);
      for (let i = 0; i + 2 < found.spans.length; i += 3) {
        const start = found.spans[i]! - segment.virtualStart + segment.cellStart;
        if (start >= span.start && start < span.start + span.length) spans.push([start, found.spans[i + 1]!, found.spans[i + 2]!]);
      }
    }
    spans.sort((a, b) => a[0]! - b[0]!);
    return { spans: spans.flat(), endOfLineState: this.tsm.EndOfLineState.None };
  }

  /** The underlying service (the benchmark compares it with a plain one). */
  get languageService(): ts.LanguageService {
    return this.service;
  }
}

function joinPath(...parts: string[]): string {
  return parts.join("/").replace(/\/+/g, "/");
}
