/**
 * One TypeScript module for a whole notebook, with the kernel's semantics, and the position
 * maps between it and the cells.
 *
 * The kernel runs cells one after another in one realm: a top-level name of a cell is a
 * global of later cells, a later cell may declare the same name again (from there on the new
 * value and type count), and top-level `await` works. Scopes say the same thing: every cell
 * opens a block that stays open until the end of the document, so later cells are nested
 * inside earlier ones and see their names, and a re-declaration shadows the earlier one from
 * there on:
 *
 * ```ts
 * import { Simulation } from "sde-lab";   // every cell's imports, copied verbatim
 * export {};                              // a module: top-level await is allowed
 * {                                       // cell 1
 * const sim = new Simulation({ seed: 1 });
 * ;{                                      // cell 2: sees `sim`
 * const sim = 5;                          // shadows from here on
 * }}
 * ```
 *
 * Imports (and `declare` statements and namespaces) must stay at the top level of a module,
 * so each one is copied there and blanked (spaces, same length) in the cell's copy; `export` keywords, which the kernel ignores, are
 * blanked the same way. Cell text is never rewritten otherwise, so a position inside a cell
 * maps to the virtual document by an offset. A cell that does not parse and would not end
 * inside its block (an unterminated template or comment would swallow the cells after it) is
 * left out; its names are declared as `any` so the cells below are not flooded with "cannot
 * find name".
 */
import type * as ts from "typescript";

/** A cell as the checker needs it. */
export interface CellText {
  /** Stable identity of the cell (its document's URI path and fragment). */
  key: string;
  /** The cell's TypeScript source. */
  text: string;
}

/** A stretch of the virtual document copied from a cell. */
interface Segment {
  virtualStart: number;
  length: number;
  cell: number;
  cellStart: number;
}

/** Cached per-cell work of {@link buildVirtualNotebook}. */
export type CellAnalysisCache = Map<string, CellAnalysis>;

/** A position inside a cell. */
export interface CellOffset {
  cell: number;
  offset: number;
}

/** The virtual document of one notebook. */
export interface VirtualNotebook {
  readonly text: string;
  readonly cells: readonly CellText[];
  /** Syntax errors of each cell parsed on its own (cell offsets). */
  readonly syntaxErrors: ReadonlyMap<number, readonly ts.DiagnosticWithLocation[]>;
  /** Where a cell offset is in the virtual document (undefined for a cell left out). */
  toVirtual(cell: number, offset: number): number | undefined;
  /** Which cell and offset a virtual position comes from (undefined for generated text). */
  toCell(position: number): CellOffset | undefined;
  /** Whether a virtual position is in the copied imports at the top. */
  inImports(position: number): boolean;
  /** The stretches of the virtual document copied from a cell. */
  segmentsOf(cell: number): readonly { virtualStart: number; length: number; cellStart: number }[];
  /** Whether a cell above `cell` declares `name` at its top level. */
  declaredAbove(cell: number, name: string): boolean;
}

type Ts = typeof ts;

/** Names a statement declares at the top level of a cell (what the kernel keeps). */
export function declaredNames(tsm: Ts, statement: ts.Statement): string[] {
  const names: string[] = [];
  const addBinding = (name: ts.BindingName) => {
    if (tsm.isIdentifier(name)) names.push(name.text);
    else for (const element of name.elements) if (!tsm.isOmittedExpression(element)) addBinding(element.name);
  };
  if (tsm.isVariableStatement(statement)) {
    for (const d of statement.declarationList.declarations) addBinding(d.name);
  } else if ((tsm.isFunctionDeclaration(statement) || tsm.isClassDeclaration(statement) || tsm.isEnumDeclaration(statement)) && statement.name) {
    names.push(statement.name.text);
  } else if (tsm.isImportDeclaration(statement) && statement.importClause) {
    const clause = statement.importClause;
    if (clause.name) names.push(clause.name.text);
    const bindings = clause.namedBindings;
    if (bindings && tsm.isNamespaceImport(bindings)) names.push(bindings.name.text);
    else if (bindings) for (const el of bindings.elements) names.push(el.name.text);
  } else if (tsm.isImportEqualsDeclaration(statement)) {
    names.push(statement.name.text);
  }
  return names;
}

/** Parses one cell on its own, as a module (imports and top-level await are normal there). */
export function parseCell(tsm: Ts, text: string, fileName = "cell.ts"): ts.SourceFile {
  return tsm.createSourceFile(fileName, text, { languageVersion: tsm.ScriptTarget.ES2022, impliedNodeFormat: tsm.ModuleKind.ESNext }, false, tsm.ScriptKind.TS);
}

function parseErrorsOf(source: ts.SourceFile): readonly ts.DiagnosticWithLocation[] {
  // The parser's own diagnostics: the public API only reaches them through a program.
  return (source as unknown as { parseDiagnostics?: ts.DiagnosticWithLocation[] }).parseDiagnostics ?? [];
}

/**
 * Whether a cell with syntax errors still ends where it should inside its block: half-typed
 * code (`sim.`, `foo(`) usually does, so completions work while typing; an unterminated
 * template, comment or brace does not, and would swallow the cells after it.
 */
function staysInItsBlock(tsm: Ts, text: string): boolean {
  const sentinel = "__sdeCellEnd";
  const wrapped = parseCell(tsm, `{\n${text}\n}\n${sentinel};`);
  const [block, last, extra] = wrapped.statements;
  return (
    extra === undefined &&
    block !== undefined &&
    tsm.isBlock(block) &&
    block.end === text.length + 4 &&
    last !== undefined &&
    tsm.isExpressionStatement(last) &&
    tsm.isIdentifier(last.expression) &&
    last.expression.text === sentinel
  );
}

const blank = (text: string) => text.replace(/[^\r\n]/g, " ");

/** What a cell contributes, which depends on its text only (so it is cached by text). */
export interface CellAnalysis {
  syntaxErrors: readonly ts.DiagnosticWithLocation[];
  /** Left out of the virtual module; these names are declared as `any` instead. */
  leftOut?: string[];
  /** Names the cell declares at its top level. */
  declared: string[];
  /** Import statements copied to the top (cell offsets). */
  imports: { start: number; end: number }[];
  /** The cell text with imports and `export` keywords blanked. */
  body: string;
}

function analyseCell(tsm: Ts, text: string): CellAnalysis {
  const source = parseCell(tsm, text);
  const syntaxErrors = parseErrorsOf(source);
  if (syntaxErrors.length > 0 && !staysInItsBlock(tsm, text)) {
    const names = source.statements.flatMap((s) => (tsm.isImportDeclaration(s) ? [] : declaredNames(tsm, s)));
    return { syntaxErrors, leftOut: names, declared: names, imports: [], body: "" };
  }
  const imports: { start: number; end: number }[] = [];
  const blanks: [number, number][] = [];
  for (const statement of source.statements) {
    const start = statement.getStart(source);
    const hoisted =
      tsm.isImportDeclaration(statement) ||
      tsm.isImportEqualsDeclaration(statement) ||
      // `declare ...` and namespaces are only allowed at the top level of a module.
      tsm.isModuleDeclaration(statement) ||
      (tsm.canHaveModifiers(statement) && (tsm.getModifiers(statement) ?? []).some((m) => m.kind === tsm.SyntaxKind.DeclareKeyword));
    if (hoisted) {
      // An import being typed (`import { Sim`) could swallow the imports copied after it.
      if (!syntaxErrors.some((e) => e.start >= start && e.start <= statement.end)) imports.push({ start, end: statement.end });
      blanks.push([start, statement.end]);
    } else if (tsm.isExportDeclaration(statement)) {
      blanks.push([start, statement.end]);
    } else if (tsm.isExportAssignment(statement)) {
      blanks.push([start, statement.expression.getStart(source)]);
    } else if (tsm.canHaveModifiers(statement)) {
      for (const m of tsm.getModifiers(statement) ?? []) {
        if (m.kind === tsm.SyntaxKind.ExportKeyword || m.kind === tsm.SyntaxKind.DefaultKeyword) blanks.push([m.getStart(source), m.end]);
      }
    }
  }
  let body = "";
  let at = 0;
  for (const [start, end] of blanks) {
    body += text.slice(at, start) + blank(text.slice(start, end));
    at = end;
  }
  body += text.slice(at);
  return { syntaxErrors, declared: source.statements.flatMap((s) => declaredNames(tsm, s)), imports, body };
}

/**
 * Builds the virtual document for cells in notebook order.
 * @param cache - analyses of cell texts from the previous build; only changed cells are parsed
 *   again. Updated in place to hold exactly the texts of `cells`.
 */
export function buildVirtualNotebook(tsm: Ts, cells: readonly CellText[], cache: Map<string, CellAnalysis> = new Map()): VirtualNotebook {
  const segments: Segment[] = [];
  const importRanges: { cell: number; start: number; end: number }[] = [];
  const bodies: { cell: number; text: string }[] = [];
  const syntaxErrors = new Map<number, readonly ts.DiagnosticWithLocation[]>();
  const declaredAsAny: string[][] = [];
  let out = "";
  const copy = (cell: number, cellStart: number, text: string) => {
    segments.push({ virtualStart: out.length, length: text.length, cell, cellStart });
    out += text;
  };

  const used = new Set<string>();
  /** For each name, the cells that declare it, in order. */
  const declaredIn = new Map<string, number[]>();
  cells.forEach((cell, index) => {
    let analysis = cache.get(cell.text);
    if (!analysis) {
      analysis = analyseCell(tsm, cell.text);
      cache.set(cell.text, analysis);
    }
    used.add(cell.text);
    for (const name of analysis.declared) {
      const list = declaredIn.get(name);
      if (list) list.push(index);
      else declaredIn.set(name, [index]);
    }
    if (analysis.syntaxErrors.length > 0) syntaxErrors.set(index, analysis.syntaxErrors);
    if (analysis.leftOut) {
      declaredAsAny[index] = analysis.leftOut;
      return;
    }
    for (const r of analysis.imports) importRanges.push({ cell: index, ...r });
    bodies.push({ cell: index, text: analysis.body });
  });
  for (const text of cache.keys()) if (!used.has(text)) cache.delete(text);

  for (const range of importRanges) {
    copy(range.cell, range.start, cells[range.cell]!.text.slice(range.start, range.end));
    out += "\n";
  }
  const importsEnd = out.length;
  out += "export {};\n";
  let open = 0;
  let nextBody = 0;
  cells.forEach((_, index) => {
    out += open === 0 ? "{\n" : "\n;{\n";
    open++;
    const names = declaredAsAny[index];
    if (names && names.length > 0) out += `let ${names.map((n) => `${n}: any`).join(", ")};`;
    const body = bodies[nextBody];
    if (body && body.cell === index) {
      copy(index, 0, body.text);
      nextBody++;
    }
  });
  out += "\n" + "}".repeat(open) + "\n";

  const bodyStart = new Map<number, Segment>();
  for (const s of segments) if (s.virtualStart >= importsEnd) bodyStart.set(s.cell, s);
  return {
    text: out,
    cells,
    syntaxErrors,
    toVirtual(cell, offset) {
      for (const r of importRanges) {
        if (r.cell === cell && offset >= r.start && offset <= r.end) {
          const s = segments.find((seg) => seg.cell === cell && seg.cellStart === r.start && seg.virtualStart < importsEnd);
          if (s) return s.virtualStart + (offset - r.start);
        }
      }
      const s = bodyStart.get(cell);
      return s && offset <= s.length ? s.virtualStart + offset : undefined;
    },
    toCell(position) {
      // Segments are in increasing virtual order: binary search.
      let lo = 0;
      let hi = segments.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const s = segments[mid]!;
        if (position < s.virtualStart) hi = mid - 1;
        else if (position > s.virtualStart + s.length) lo = mid + 1;
        else return { cell: s.cell, offset: s.cellStart + (position - s.virtualStart) };
      }
      return undefined;
    },
    inImports: (position) => position < importsEnd,
    segmentsOf: (cell) => segments.filter((s) => s.cell === cell),
    declaredAbove: (cell, name) => (declaredIn.get(name)?.[0] ?? Infinity) < cell,
  };
}
