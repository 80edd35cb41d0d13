/**
 * TypeScript server plugin that makes VS Code's TypeScript support treat an `.sdenb`
 * notebook as one program with the kernel's semantics.
 *
 * VS Code gives tsserver each notebook cell as a separate document, so a name from an earlier
 * cell is unknown, and it drops semantic diagnostics for cells altogether. This plugin answers
 * for SDE Lab cells from a {@link NotebookLanguageService} that checks the whole notebook as
 * one module (see src/editor/virtual-notebook.ts):
 * - completions, completion details, hover, signature help, go-to-definition (into the
 *   declaring cell) and semantic colouring come through VS Code's own TypeScript client, so
 *   nothing is offered twice;
 * - tsserver's per-cell diagnostics are dropped for SDE Lab cells; the extension asks for the
 *   notebook's diagnostics with the `_sdeLab.notebookDiagnostics` request (sending the cells
 *   in notebook order) and publishes them itself;
 * - `sde-lab` imports resolve to the bundled declarations in tsserver's own per-cell project
 *   too, which still colours the cells.
 *
 * Cells of other notebook types and ordinary files are untouched.
 */
import type * as ts from "typescript/lib/tsserverlibrary";
import type * as tsLib from "typescript";
import { join } from "node:path";
import { cellKeyOfFileName, compareByCreation, notebookOfKey } from "../editor/cell-keys";
import { NotebookLanguageService } from "../editor/notebook-service";
import type { CellText } from "../editor/virtual-notebook";
import { CLOSE_REQUEST, DIAGNOSTICS_REQUEST, type NotebookDiagnosticsArgs, type NotebookDiagnosticsBody } from "../editor/protocol";

/** Where the plugin finds the bundled declarations: `dist/lab/` and `dist/types/` beside `dist/tsplugin.js`. */
export interface PluginPaths {
  labTypes: string;
  nodeTypeRoots?: string;
}

/** What all projects of one tsserver share: one notebook service and the order of cells. */
interface Shared {
  service: NotebookLanguageService;
  /** Cell keys in notebook order, as the extension last sent them. */
  order: Map<string, string[]>;
  /** Cell texts as the extension last sent them (tsserver's own copy wins when it has one). */
  texts: Map<string, string>;
  /** tsserver file name of each cell seen. */
  fileNames: Map<string, string>;
  handlersAdded: boolean;
}

/** Builds the plugin for one TypeScript module instance. */
export function createPlugin(tsModule: typeof ts, paths: PluginPaths): ts.server.PluginModule {
  let shared: Shared | undefined;
  const sharedState = (): Shared =>
    (shared ??= {
      service: new NotebookLanguageService({ ts: tsModule as unknown as typeof tsLib, labTypes: paths.labTypes, ...(paths.nodeTypeRoots ? { nodeTypeRoots: paths.nodeTypeRoots } : {}) }),
      order: new Map(),
      texts: new Map(),
      fileNames: new Map(),
      handlersAdded: false,
    });

  return {
    create(info) {
      const state = sharedState();
      const { service } = state;
      const host = info.languageServiceHost;
      const ls = info.languageService;
      const resolveLiterals = host.resolveModuleNameLiterals?.bind(host);
      if (resolveLiterals) {
        host.resolveModuleNameLiterals = (literals, containingFile, ...rest) => {
          const resolved = resolveLiterals(literals, containingFile, ...rest);
          if (!cellKeyOfFileName(containingFile)) return resolved;
          return resolved.map((r, i) =>
            literals[i]!.text === "sde-lab"
              ? { resolvedModule: { resolvedFileName: join(paths.labTypes, "index.d.ts"), extension: tsModule.Extension.Dts, isExternalLibraryImport: true } }
              : r,
          );
        };
      }

      if (info.session && !state.handlersAdded) {
        state.handlersAdded = true;
        info.session.addProtocolHandler(DIAGNOSTICS_REQUEST, (request) => {
          const t0 = Date.now();
          const args = request.arguments as NotebookDiagnosticsArgs;
          state.order.set(args.notebook, args.cells.map((c) => c.key));
          for (const c of args.cells) state.texts.set(c.key, c.text);
          service.update(args.notebook, args.cells);
          const body: NotebookDiagnosticsBody = { diagnostics: service.diagnostics(args.notebook), tookMs: Date.now() - t0 };
          return { response: body, responseRequired: true };
        });
        info.session.addProtocolHandler(CLOSE_REQUEST, (request) => {
          const { notebook } = request.arguments as { notebook: string };
          service.remove(notebook);
          for (const key of state.order.get(notebook) ?? []) state.texts.delete(key);
          state.order.delete(notebook);
          return { response: {}, responseRequired: true };
        });
      }

      const textOf = (key: string): string | undefined => {
        const fileName = state.fileNames.get(key);
        const snapshot = fileName ? info.project.projectService.getScriptInfo(fileName)?.getSnapshot() : undefined;
        return snapshot ? snapshot.getText(0, snapshot.getLength()) : state.texts.get(key);
      };
      /** Brings the notebook of `fileName` up to date; returns the notebook and the cell's key. */
      const sync = (fileName: string): { notebook: string; key: string } | undefined => {
        const key = cellKeyOfFileName(fileName);
        if (!key) return undefined;
        const notebook = notebookOfKey(key);
        const here: string[] = [];
        for (const f of info.project.getFileNames()) {
          const k = cellKeyOfFileName(f);
          if (k && notebookOfKey(k) === notebook) {
            state.fileNames.set(k, f);
            here.push(k);
          }
        }
        state.fileNames.set(key, fileName);
        let keys = state.order.get(notebook);
        if (!keys || !keys.includes(key)) keys = [...new Set([...here, key])].sort(compareByCreation);
        const cells: CellText[] = [];
        for (const k of keys) {
          const text = textOf(k);
          if (text !== undefined) cells.push({ key: k, text });
        }
        service.update(notebook, cells);
        return { notebook, key };
      };
      const fileNameOf = (key: string, like: string, likeKey: string): string => state.fileNames.get(key) ?? like.slice(0, like.length - likeKey.length) + key;

      const proxy: ts.LanguageService = Object.create(null);
      for (const name of Object.keys(ls) as (keyof ts.LanguageService)[]) {
        const member = ls[name];
        // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
        (proxy as unknown as Record<string, unknown>)[name] = typeof member === "function" ? (member as Function).bind(ls) : member;
      }
      const isOurs = (fileName: string) => cellKeyOfFileName(fileName) !== undefined;
      // The extension publishes the notebook's diagnostics; tsserver's per-cell view is wrong.
      proxy.getSemanticDiagnostics = (f) => (isOurs(f) ? [] : ls.getSemanticDiagnostics(f));
      proxy.getSyntacticDiagnostics = (f) => (isOurs(f) ? [] : ls.getSyntacticDiagnostics(f));
      proxy.getSuggestionDiagnostics = (f) => (isOurs(f) ? [] : ls.getSuggestionDiagnostics(f));

      proxy.getCompletionsAtPosition = (f, position, options, format) => {
        const at = sync(f);
        if (!at) return ls.getCompletionsAtPosition(f, position, options, format);
        return service.completions(at.notebook, at.key, position, options) as ts.WithMetadata<ts.CompletionInfo> | undefined;
      };
      proxy.getCompletionEntryDetails = (f, position, entryName, format, source, preferences, data) => {
        const at = sync(f);
        if (!at) return ls.getCompletionEntryDetails(f, position, entryName, format, source, preferences, data);
        return service.completionDetails(at.notebook, at.key, position, entryName, format as never, source, preferences as never, data as never) as ts.CompletionEntryDetails | undefined;
      };
      proxy.getQuickInfoAtPosition = (f, position, ...rest) => {
        const at = sync(f);
        if (!at) return ls.getQuickInfoAtPosition(f, position, ...rest);
        return service.quickInfo(at.notebook, at.key, position) as ts.QuickInfo | undefined;
      };
      proxy.getSignatureHelpItems = (f, position, options) => {
        const at = sync(f);
        if (!at) return ls.getSignatureHelpItems(f, position, options);
        return service.signatureHelp(at.notebook, at.key, position, options) as ts.SignatureHelpItems | undefined;
      };
      const definitions = (f: string, position: number): ts.DefinitionInfoAndBoundSpan | undefined => {
        const at = sync(f);
        if (!at) return undefined;
        const found = service.definition(at.notebook, at.key, position);
        if (!found) return undefined;
        return {
          textSpan: found.textSpan,
          definitions: found.definitions.map(({ cell, ...d }) => ({ ...d, fileName: cell ? fileNameOf(cell, f, at.key) : d.fileName }) as ts.DefinitionInfo),
        };
      };
      proxy.getEncodedSemanticClassifications = (f, span, format) => {
        const at = sync(f);
        if (!at) return ls.getEncodedSemanticClassifications(f, span, format);
        return service.classifications(at.notebook, at.key, span, format as never) as ts.Classifications;
      };
      proxy.getDefinitionAndBoundSpan = (f, position) => (isOurs(f) ? definitions(f, position) : ls.getDefinitionAndBoundSpan(f, position));
      proxy.getDefinitionAtPosition = (f, position) => (isOurs(f) ? definitions(f, position)?.definitions : ls.getDefinitionAtPosition(f, position));
      return proxy;
    },
    getExternalFiles(project) {
      // The kernel globals for tsserver's own view of SDE Lab cells (it still colours them).
      return project.getFileNames().some((f) => cellKeyOfFileName(f)) ? [join(paths.labTypes, "globals.d.ts")] : [];
    },
  };
}

/**
 * Entry point tsserver calls, through the shim `node_modules/sde-lab-ts-plugin` that the build
 * writes (tsserver loads plugins by package name from the extension's node_modules).
 */
export default function init(modules: { typescript: typeof ts }): ts.server.PluginModule {
  return createPlugin(modules.typescript, { labTypes: join(__dirname, "lab"), nodeTypeRoots: join(__dirname, "types", "node_modules", "@types") });
}
