import { describe, expect, it } from "vitest";
import { join } from "node:path";
import ts from "typescript";
import type * as tss from "typescript/lib/tsserverlibrary";
import { createPlugin } from "../../../src/tsplugin/index";
import { CLOSE_REQUEST, DIAGNOSTICS_REQUEST, type NotebookDiagnosticsBody } from "../../../src/editor/protocol";
import { cellKeyOfFileName } from "../../../src/editor/cell-keys";

const root = join(__dirname, "../../..");
const paths = { labTypes: join(root, "dist/lab"), nodeTypeRoots: join(root, "node_modules/@types") };
// VS Code's TypeScript client names cells like this inside tsserver (which knows them as
// TypeScript from the open request; this test's host goes by the `.ts` ending).
const cell = (n: number, notebook = "nb.sdenb") => `^/vscode-notebook-cell/ts-nul-authority/work/${notebook}#W${n}sZmlsZQ==.ts`;

/** A tsserver-like setting: one project holding every open file, a session for handlers. */
function tsserver(files: Record<string, string>) {
  const options: ts.CompilerOptions = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, strict: true, lib: ["lib.es2022.d.ts"] };
  const all: Record<string, string> = { ...files };
  const versions: Record<string, number> = {};
  const host: ts.LanguageServiceHost = {
    getCompilationSettings: () => options,
    getScriptFileNames: () => Object.keys(all),
    getScriptVersion: (f) => String(versions[f] ?? 0),
    getScriptKind: () => ts.ScriptKind.TS,
    getScriptSnapshot: (f) => {
      const text = all[f] ?? ts.sys.readFile(f);
      return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
    },
    getCurrentDirectory: () => root,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: (f) => f in all || ts.sys.fileExists(f),
    readFile: (f) => all[f] ?? ts.sys.readFile(f),
    resolveModuleNameLiterals: (literals, containingFile, _ref, opts) =>
      literals.map((l) => ts.resolveModuleName(l.text, containingFile, opts, { fileExists: ts.sys.fileExists, readFile: ts.sys.readFile })),
  };
  const plain = ts.createLanguageService(host);
  const handlers = new Map<string, (r: { arguments: unknown }) => { response?: unknown }>();
  const session = { addProtocolHandler: (command: string, h: (r: { arguments: unknown }) => { response?: unknown }) => handlers.set(command, h) };
  const project = {
    getFileNames: () => Object.keys(all),
    projectService: {
      getScriptInfo: (f: string) => (f in all ? { getSnapshot: () => ts.ScriptSnapshot.fromString(all[f]!) } : undefined),
    },
  } as unknown as tss.server.Project;
  const plugin = createPlugin(ts as unknown as typeof tss, paths);
  const ls = plugin.create({ languageService: plain, languageServiceHost: host, project, session, config: {} } as unknown as tss.server.PluginCreateInfo) as unknown as ts.LanguageService;
  const edit = (f: string, text: string) => {
    all[f] = text;
    versions[f] = (versions[f] ?? 0) + 1;
  };
  const request = (command: string, args: unknown) => handlers.get(command)!({ arguments: args }).response;
  return { ls, plain, plugin, project, edit, request };
}

const notebook = {
  [cell(0)]: 'import { Simulation } from "sde-lab";\nconst sim = new Simulation({ seed: 1 });',
  [cell(1)]: "sim.",
  [cell(2)]: 'const n: number = "a";\nundeclaredName + 1;',
};

describe("TypeScript server plugin for SDE Lab cells", () => {
  it("answers completions in a cell from the whole notebook: a name from an earlier cell has its type", () => {
    const { ls, plain } = tsserver(notebook);
    const names = ls.getCompletionsAtPosition(cell(1), 4, {})!.entries.map((e) => e.name);
    expect(names).toEqual(expect.arrayContaining(["run", "client", "faults", "metrics"]));
    // tsserver alone sees the cell by itself: `sim` is unknown there.
    expect(plain.getCompletionsAtPosition(cell(1), 4, {})?.entries.map((e) => e.name) ?? []).not.toContain("runUntil");
  });

  it("hovers and jumps to the declaring cell", () => {
    const { ls } = tsserver(notebook);
    expect(ts.displayPartsToString(ls.getQuickInfoAtPosition(cell(1), 1)?.displayParts)).toBe("const sim: Simulation");
    const found = ls.getDefinitionAndBoundSpan(cell(1), 1)!;
    expect(found.definitions!.map((d) => [d.fileName, d.textSpan])).toEqual([[cell(0), { start: notebook[cell(0)]!.indexOf("sim ="), length: 3 }]]);
  });

  it("drops tsserver's per-cell diagnostics for SDE Lab cells; the notebook request gives the real ones", () => {
    const { ls, request } = tsserver(notebook);
    expect(ls.getSemanticDiagnostics(cell(2))).toEqual([]);
    expect(ls.getSyntacticDiagnostics(cell(1))).toEqual([]);
    const cells = Object.entries(notebook).map(([f, text]) => ({ key: cellKeyOfFileName(f)!, text }));
    const body = request(DIAGNOSTICS_REQUEST, { notebook: "/work/nb.sdenb", cells }) as NotebookDiagnosticsBody;
    expect(body.diagnostics.map((d) => [d.cell, d.start, d.code])).toEqual([
      [cells[1]!.key, 4, 1003],
      [cells[2]!.key, 6, 2322],
      [cells[2]!.key, 23, 2304],
    ]);
    expect(request(CLOSE_REQUEST, { notebook: "/work/nb.sdenb" })).toEqual({});
  });

  it("uses the notebook order the extension sent, not creation order", () => {
    const { ls, request } = tsserver({ [cell(0)]: "total + 1;", [cell(1)]: "const total = 1;" });
    expect(ts.displayPartsToString(ls.getQuickInfoAtPosition(cell(0), 0)?.displayParts)).toBe("any");
    const keys = [cell(1), cell(0)].map((f) => cellKeyOfFileName(f)!);
    request(DIAGNOSTICS_REQUEST, { notebook: "/work/nb.sdenb", cells: [{ key: keys[0], text: "const total = 1;" }, { key: keys[1], text: "total + 1;" }] });
    expect(ts.displayPartsToString(ls.getQuickInfoAtPosition(cell(0), 0)?.displayParts)).toBe("const total: 1");
  });

  it("serves the text tsserver has, which VS Code updates before each request", () => {
    const { ls, edit } = tsserver(notebook);
    edit(cell(0), "const sim = 42;");
    expect(ts.displayPartsToString(ls.getQuickInfoAtPosition(cell(1), 1)?.displayParts)).toBe("const sim: 42");
  });

  it("leaves ordinary files and cells of other notebook types alone", () => {
    const other = "^/vscode-notebook-cell/ts-nul-authority/work/deno.ipynb#W0sZmlsZQ==.ts";
    const { ls } = tsserver({ ...notebook, "/work/plain.ts": "const x: number = 'a';", [other]: "const y: string = 1;" });
    expect(ls.getSemanticDiagnostics("/work/plain.ts").map((d) => d.code)).toEqual([2322]);
    expect(ls.getSemanticDiagnostics(other).map((d) => d.code)).toEqual([2322]);
    expect(ls.getCompletionsAtPosition(other, 0, {})?.entries.map((e) => e.name)).not.toContain("sim");
  });

  it("adds the kernel globals only to projects holding SDE Lab cells", () => {
    const { plugin, project } = tsserver(notebook);
    expect(plugin.getExternalFiles!(project, 0 as never)).toEqual([join(paths.labTypes, "globals.d.ts")]);
    const { plugin: p2, project: other } = tsserver({ "/work/plain.ts": "" });
    expect(p2.getExternalFiles!(other, 0 as never)).toEqual([]);
  });
});

describe("the plugin package tsserver loads", () => {
  it("exports the bundled plugin's init function", async () => {
    const { createRequire } = await import("node:module");
    const init = createRequire(__filename)(join(root, "node_modules/sde-lab-ts-plugin")) as (m: { typescript: typeof tss }) => tss.server.PluginModule;
    expect(typeof init).toBe("function");
    const plugin = init({ typescript: ts as unknown as typeof tss });
    expect(typeof plugin.create).toBe("function");
  });
});
