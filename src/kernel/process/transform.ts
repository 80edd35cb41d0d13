/**
 * Turns a TypeScript cell into a script the kernel can run in its one realm.
 *
 * 1. sucrase strips types (and compiles `enum`, parameter properties) in-process; it keeps
 *    line numbers and gives a token-level source map. Measured for a 3-line cell: sucrase
 *    ≈ 0.04 ms warm, `typescript@5` `transpileModule` ≈ 1 ms, and esbuild's `transform`
 *    goes through a child process; amaro's strip-only mode is as fast but cannot do enums.
 * 2. acorn parses the JavaScript, and magic-string rewrites the top level so cells behave like
 *    REPL input:
 *    - top-level `const`/`let`/`var`/`class`/`function` and imports become globals of the
 *      kernel, declared with `var` so a re-run never fails with "already declared";
 *    - the body runs inside an async function, so top-level `await` works;
 *    - a final expression statement becomes the returned value, shown like a REPL shows it.
 * 3. Positions map back lazily, only when an error needs them: through magic-string's map to
 *    the stripped code, then to the cell. sucrase keeps every line on its line, so the second
 *    step aligns one stripped line with its original (sucrase's own source map loses columns
 *    after some constructs, e.g. template literals).
 */
import { transform as sucraseTransform } from "sucrase";
import { parse, type Node, type Pattern, type Program, type Statement, type ModuleDeclaration } from "acorn";
import MagicString from "magic-string";
import { TraceMap, originalPositionFor, type SourceMapInput } from "@jridgewell/trace-mapping";

/** Name of the kernel helper object the rewritten code calls (imports, interop). */
export const HELPER = "__sde";

/** A position in the cell: 1-based line and column. */
export interface CellPosition {
  line: number;
  column: number;
}

/** A cell ready to run. */
export interface TransformedCell {
  /** Script source for `vm.runInThisContext`; its completion value is a promise of the result. */
  code: string;
  /** Names the cell declares at top level (they outlive the cell). */
  declared: string[];
  /** Whether the cell ends in an expression whose value is the result. */
  hasResult: boolean;
  /** Maps a 1-based line and 0-based column in {@link code} to the cell, if it came from there. */
  originalPosition(line: number, column: number): CellPosition | undefined;
}

/** A cell that does not parse. Positions are in the cell (1-based). */
export class CellSyntaxError extends SyntaxError {
  override readonly name = "SyntaxError";
  constructor(
    readonly description: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${description} (${line}:${column})`);
  }
}

type AnyNode = Node & { [key: string]: unknown };

/**
 * Transforms a cell. Throws {@link CellSyntaxError} when it does not parse.
 * @param source - the cell's TypeScript (or JavaScript) text
 */
export function transformCell(source: string): TransformedCell {
  let stripped: { code: string };
  try {
    stripped = sucraseTransform(source, {
      transforms: ["typescript"],
      disableESTransforms: true,
      // A cell's import may only be used by later cells; it must not be dropped as unused.
      keepUnusedImports: true,
      filePath: "cell.ts",
    });
  } catch (error) {
    // sucrase reports 1-based columns.
    throw toSyntaxError(error, (line, column) => ({ line, column }));
  }

  let originalLines: string[] | undefined;
  let strippedLines: string[] | undefined;
  const fromStripped = (line: number, column: number): CellPosition | undefined => {
    originalLines ??= source.split("\n");
    strippedLines ??= stripped.code.split("\n");
    const original = originalLines[line - 1];
    const generated = strippedLines[line - 1];
    if (original === undefined || generated === undefined) return undefined;
    return { line, column: alignColumn(generated, original, column) + 1 };
  };

  let program: Program;
  try {
    program = parse(stripped.code, {
      ecmaVersion: "latest",
      sourceType: "module",
      allowAwaitOutsideFunction: true,
      allowHashBang: true,
    });
  } catch (error) {
    throw toSyntaxError(error, (line, column) => fromStripped(line, column) ?? { line, column: column + 1 });
  }

  const s = new MagicString(stripped.code);
  const rewriter = new TopLevelRewriter(s, stripped.code);
  const body = program.body;
  const last = lastNonEmpty(body);
  for (const statement of body) rewriter.statement(statement, statement === last);

  const declared = [...rewriter.declared];
  const mirrors = rewriter.functions.map((f) => `globalThis[${JSON.stringify(f)}] = ${f}; `).join("");
  const hoist = declared.length > 0 ? `var ${declared.join(", ")}; ` : "";
  // Everything goes on the first line so the cell's lines keep their numbers.
  s.prepend(`${hoist}(async () => { "use strict"; ${mirrors}`);
  s.append("\n})()");

  let generatedMap: TraceMap | undefined;
  return {
    code: s.toString(),
    declared,
    hasResult: rewriter.hasResult,
    originalPosition(line, column) {
      generatedMap ??= new TraceMap(s.generateDecodedMap({ hires: true, source: "stripped.js" }) as SourceMapInput);
      const p = originalPositionFor(generatedMap, { line, column });
      if (p.line === null) return undefined;
      return fromStripped(p.line, p.column);
    },
  };
}

class TopLevelRewriter {
  readonly declared = new Set<string>();
  readonly functions: string[] = [];
  hasResult = false;
  private temp = 0;

  constructor(
    private readonly s: MagicString,
    private readonly code: string,
  ) {}

  statement(node: Statement | ModuleDeclaration, isLast: boolean): void {
    switch (node.type) {
      case "VariableDeclaration":
        return this.variables(node);
      case "FunctionDeclaration":
        if (node.id) {
          this.declared.add(node.id.name);
          this.functions.push(node.id.name);
        }
        return;
      case "ClassDeclaration":
        if (node.id) {
          this.declared.add(node.id.name);
          this.s.prependLeft(node.start, `;${node.id.name} = `);
          this.s.appendLeft(node.end, ";");
        }
        return;
      case "ImportDeclaration":
        return this.importDeclaration(node);
      case "ExportNamedDeclaration":
        if (node.declaration) {
          this.s.remove(node.start, node.declaration.start);
          this.statement(node.declaration, false);
        } else {
          this.s.overwrite(node.start, node.end, ";");
        }
        return;
      case "ExportDefaultDeclaration": {
        const decl = node.declaration as AnyNode;
        this.s.remove(node.start, decl.start as number);
        if ((decl.type === "FunctionDeclaration" || decl.type === "ClassDeclaration") && decl.id) {
          this.statement(decl as unknown as Statement, false);
        }
        return;
      }
      case "ExportAllDeclaration":
        this.s.overwrite(node.start, node.end, ";");
        return;
      case "ExpressionStatement":
        // A lone string literal parses as a directive; in a cell it is a value to show.
        if (isLast) {
          this.hasResult = true;
          // Wrap the whole statement: the expression's own range excludes enclosing parentheses.
          const end = this.code[node.end - 1] === ";" ? node.end - 1 : node.end;
          this.s.prependLeft(node.start, ";return (");
          this.s.appendLeft(end, ")");
        }
        return;
      default:
        return;
    }
  }

  private variables(node: Extract<Statement, { type: "VariableDeclaration" }>): void {
    const decls = node.declarations;
    if (decls.length === 0) return;
    for (const d of decls) for (const name of patternNames(d.id)) this.declared.add(name);
    // `const a = 1, {b} = o;` becomes `;(a = 1, {b} = o);`: assignments to the hoisted vars.
    // The leading `;` keeps a previous line without a semicolon from swallowing the `(`.
    this.s.overwrite(node.start, decls[0]!.start, ";(");
    for (const d of decls) {
      if (d.init === null || d.init === undefined) {
        if (node.kind !== "var") this.s.appendLeft(d.end, " = undefined");
      }
    }
    this.s.appendLeft(decls[decls.length - 1]!.end, ")");
  }

  private importDeclaration(node: Extract<ModuleDeclaration, { type: "ImportDeclaration" }>): void {
    const spec = JSON.stringify(node.source.value);
    if (node.specifiers.length === 0) {
      this.s.overwrite(node.start, node.end, `;await ${HELPER}.import(${spec});`);
      return;
    }
    const tmp = `${HELPER}_m${this.temp++}`;
    const parts = [`;const ${tmp} = await ${HELPER}.import(${spec});`];
    for (const sp of node.specifiers) {
      const local = sp.local.name;
      this.declared.add(local);
      if (sp.type === "ImportDefaultSpecifier") parts.push(`${local} = ${HELPER}.defaultExport(${tmp});`);
      else if (sp.type === "ImportNamespaceSpecifier") parts.push(`${local} = ${tmp};`);
      else {
        const imported = sp.imported.type === "Identifier" ? sp.imported.name : String(sp.imported.value);
        parts.push(`${local} = ${HELPER}.named(${tmp}, ${JSON.stringify(imported)}, ${spec});`);
      }
    }
    this.s.overwrite(node.start, node.end, parts.join(" "));
  }
}

/**
 * Finds where column `column` (0-based) of `stripped` stands in `original`, the same line
 * before types were removed. Tokens are matched in order; identifiers only as whole words,
 * so a removed type annotation cannot capture them.
 */
export function alignColumn(stripped: string, original: string, column: number): number {
  if (stripped === original) return column;
  const token = /[\w$]+|\s+|[^\w$\s]/g;
  let cursor = 0;
  for (let m = token.exec(stripped); m; m = token.exec(stripped)) {
    const text = m[0];
    let at: number;
    if (/^\s/.test(text)) at = cursor;
    else if (/^[\w$]/.test(text)) at = findWord(original, text, cursor);
    else at = original.indexOf(text, cursor);
    if (at < 0) at = cursor;
    if (column < m.index + text.length) return Math.min(at + (column - m.index), original.length);
    cursor = at + (/^\s/.test(text) ? 0 : text.length);
  }
  return Math.min(cursor + Math.max(0, column - stripped.length), original.length);
}

function findWord(text: string, word: string, from: number): number {
  for (let at = text.indexOf(word, from); at >= 0; at = text.indexOf(word, at + 1)) {
    const before = at === 0 ? "" : text[at - 1]!;
    const after = text[at + word.length] ?? "";
    if (!/[\w$]/.test(before) && !/[\w$]/.test(after)) return at;
  }
  return -1;
}

function lastNonEmpty(body: (Statement | ModuleDeclaration)[]): Statement | ModuleDeclaration | undefined {
  for (let i = body.length - 1; i >= 0; i--) if (body[i]!.type !== "EmptyStatement") return body[i];
  return undefined;
}

/** Names bound by a declaration pattern. */
export function patternNames(p: Pattern): string[] {
  switch (p.type) {
    case "Identifier":
      return [p.name];
    case "ObjectPattern":
      return p.properties.flatMap((prop) => (prop.type === "RestElement" ? patternNames(prop.argument) : patternNames(prop.value)));
    case "ArrayPattern":
      return p.elements.flatMap((e) => (e ? patternNames(e) : []));
    case "AssignmentPattern":
      return patternNames(p.left);
    case "RestElement":
      return patternNames(p.argument);
    default:
      return [];
  }
}

function toSyntaxError(error: unknown, map: (line: number, column: number) => CellPosition): unknown {
  const e = error as { loc?: { line: number; column: number }; message?: string };
  if (!e || !e.loc || typeof e.message !== "string") return error;
  const pos = map(e.loc.line, e.loc.column);
  const description = e.message.replace(/^Error transforming [^:]*: /, "").replace(/\s*\(\d+:\d+\)$/, "");
  return new CellSyntaxError(description, pos.line, pos.column);
}
