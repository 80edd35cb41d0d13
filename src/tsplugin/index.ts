/**
 * TypeScript server plugin that makes VS Code's TypeScript support agree with the SDE Lab
 * kernel inside `.sdenb` cells.
 *
 * VS Code checks each notebook cell as its own document, so without help it reports
 * errors the kernel never raises: top-level `await` outside a module, names declared in an
 * earlier cell, a re-declared `const` in two cells, and the `display` global. It also cannot
 * find `sde-lab`, which is not installed in the user's workspace but bundled with us.
 *
 * This plugin, for notebook cells only:
 * - resolves `import ... from "sde-lab"` to the bundled declarations (completions, hovers);
 * - adds the kernel globals (`display`, `require`) to projects that hold cells;
 * - drops diagnostics that contradict the kernel's cell semantics.
 *
 * It knows nothing of other files: ordinary TypeScript in the workspace is untouched.
 */
import type * as ts from "typescript/lib/tsserverlibrary";
import { join } from "node:path";

/** Marker VS Code puts in the file names of notebook cells. */
const CELL_MARKER = "vscode-notebook-cell";

/**
 * Diagnostics the kernel makes untrue for cells:
 * 1375/1378/1432 top-level await outside a module or target; 2451/2300/2393 re-declarations
 * across cells (the kernel replaces the old binding); 1208 a cell without imports is a script.
 */
const KERNEL_SEMANTICS_CODES = new Set([1375, 1378, 1432, 2451, 2300, 2393, 1208]);
/** "Cannot find name 'x'" (2304) and its "Did you mean" variants (2552, 2582). */
const CANNOT_FIND_NAME = new Set([2304, 2552, 2582]);

/** Where the plugin finds the bundled declarations: `dist/lab/` beside `dist/tsplugin.js`. */
export interface PluginPaths {
  labTypes: string;
  globals: string;
}

function isCell(fileName: string): boolean {
  return fileName.includes(CELL_MARKER);
}

/** The notebook a cell belongs to: its file name without the `#cell` fragment. */
function notebookOf(fileName: string): string {
  const hash = fileName.indexOf("#");
  return hash < 0 ? fileName : fileName.slice(0, hash);
}

/** Names a cell declares at its top level (what the kernel keeps for later cells). */
export function topLevelNames(tsModule: typeof ts, source: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const addBinding = (name: ts.BindingName) => {
    if (tsModule.isIdentifier(name)) names.add(name.text);
    else for (const element of name.elements) if (!tsModule.isOmittedExpression(element)) addBinding(element.name);
  };
  for (const statement of source.statements) {
    if (tsModule.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations) addBinding(d.name);
    } else if (
      (tsModule.isFunctionDeclaration(statement) ||
        tsModule.isClassDeclaration(statement) ||
        tsModule.isEnumDeclaration(statement) ||
        tsModule.isInterfaceDeclaration(statement) ||
        tsModule.isTypeAliasDeclaration(statement)) &&
      statement.name
    ) {
      names.add(statement.name.text);
    } else if (tsModule.isImportDeclaration(statement) && statement.importClause) {
      const clause = statement.importClause;
      if (clause.name) names.add(clause.name.text);
      const bindings = clause.namedBindings;
      if (bindings && tsModule.isNamespaceImport(bindings)) names.add(bindings.name.text);
      else if (bindings) for (const el of bindings.elements) names.add(el.name.text);
    }
  }
  return names;
}

/** Builds the plugin for one TypeScript module instance. */
export function createPlugin(tsModule: typeof ts, paths: PluginPaths): ts.server.PluginModule {
  return {
    create(info) {
      const host = info.languageServiceHost;
      // "sde-lab" → index.d.ts; "sde-lab/scenarios", "sde-lab/challenges" → <name>/index.d.ts beside it.
      const labDir = paths.labTypes.slice(0, Math.max(paths.labTypes.lastIndexOf("/"), paths.labTypes.lastIndexOf("\\")) + 1);
      const labDeclarations = (spec: string): string | undefined => {
        if (spec === "sde-lab") return paths.labTypes;
        const sub = /^sde-lab\/([a-z][a-z0-9-]*)$/.exec(spec)?.[1];
        return sub ? `${labDir}${sub}/index.d.ts` : undefined;
      };
      const resolveLiterals = host.resolveModuleNameLiterals?.bind(host);
      if (resolveLiterals) {
        host.resolveModuleNameLiterals = (literals, containingFile, ...rest) => {
          const resolved = resolveLiterals(literals, containingFile, ...rest);
          // Cells, and the bundled declarations of the subpath entries (which import "sde-lab").
          if (!isCell(containingFile) && !containingFile.startsWith(labDir)) return resolved;
          return resolved.map((r, i) => {
            const target = labDeclarations(literals[i]!.text);
            return target ? { resolvedModule: { resolvedFileName: target, extension: tsModule.Extension.Dts, isExternalLibraryImport: true } } : r;
          });
        };
      }

      const ls = info.languageService;
      const proxy: ts.LanguageService = Object.create(null);
      for (const key of Object.keys(ls) as (keyof ts.LanguageService)[]) {
        const member = ls[key];
        // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
        (proxy as unknown as Record<string, unknown>)[key] = typeof member === "function" ? (member as Function).bind(ls) : member;
      }
      const declaredElsewhere = (fileName: string): Set<string> => {
        const program = ls.getProgram();
        const names = new Set<string>();
        if (!program) return names;
        const notebook = notebookOf(fileName);
        for (const sf of program.getSourceFiles()) {
          if (sf.fileName !== fileName && isCell(sf.fileName) && notebookOf(sf.fileName) === notebook) {
            for (const n of topLevelNames(tsModule, sf)) names.add(n);
          }
        }
        return names;
      };
      const filter = (fileName: string, diagnostics: ts.Diagnostic[]): ts.Diagnostic[] => {
        if (!isCell(fileName)) return diagnostics;
        let elsewhere: Set<string> | undefined;
        return diagnostics.filter((d) => {
          if (KERNEL_SEMANTICS_CODES.has(d.code)) return false;
          if (CANNOT_FIND_NAME.has(d.code) && d.file && d.start !== undefined && d.length !== undefined) {
            elsewhere ??= declaredElsewhere(fileName);
            return !elsewhere.has(d.file.text.slice(d.start, d.start + d.length));
          }
          return true;
        });
      };
      proxy.getSemanticDiagnostics = (fileName) => filter(fileName, ls.getSemanticDiagnostics(fileName));
      proxy.getSyntacticDiagnostics = (fileName) => filter(fileName, ls.getSyntacticDiagnostics(fileName) as ts.Diagnostic[]) as ts.DiagnosticWithLocation[];
      proxy.getSuggestionDiagnostics = (fileName) => filter(fileName, ls.getSuggestionDiagnostics(fileName)) as ts.DiagnosticWithLocation[];
      return proxy;
    },
    getExternalFiles(project) {
      // The kernel globals only for projects that hold notebook cells.
      return project.getFileNames().some((f) => isCell(f)) ? [paths.globals] : [];
    },
  };
}

/**
 * Entry point tsserver calls, through the shim `node_modules/sde-lab-ts-plugin` that the build
 * writes (tsserver loads plugins by package name from the extension's node_modules).
 */
export default function init(modules: { typescript: typeof ts }): ts.server.PluginModule {
  const lab = join(__dirname, "lab");
  return createPlugin(modules.typescript, { labTypes: join(lab, "index.d.ts"), globals: join(lab, "globals.d.ts") });
}
