import { describe, expect, it } from "vitest";
import { join } from "node:path";
import ts from "typescript";
import type * as tss from "typescript/lib/tsserverlibrary";
import { createPlugin, topLevelNames } from "../../../src/tsplugin/index";

const root = join(__dirname, "../../..");
const paths = { labTypes: join(root, "dist/lab/index.d.ts"), globals: join(root, "dist/lab/globals.d.ts") };
// VS Code's TypeScript extension names cells like this inside tsserver.
const cell = (n: number, notebook = "nb") => `^/vscode-notebook-cell/ts-nul-authority/work/${notebook}.sdenb#W${n}sZmlsZQ==.ts`;

function service(files: Record<string, string>) {
  const options: ts.CompilerOptions = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, strict: true, lib: ["lib.es2022.d.ts", "lib.dom.d.ts"] };
  const all: Record<string, string> = { ...files };
  const host: ts.LanguageServiceHost = {
    getCompilationSettings: () => options,
    getScriptFileNames: () => Object.keys(all),
    getScriptVersion: () => "1",
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
  const plugin = createPlugin(ts as unknown as typeof tss, paths);
  const project = { getFileNames: () => Object.keys(all) } as unknown as tss.server.Project;
  for (const extra of plugin.getExternalFiles!(project, 0 as never) ?? []) all[extra] = ts.sys.readFile(extra)!;
  const ls = plugin.create({ languageService: plain, languageServiceHost: host, project, config: {} } as unknown as tss.server.PluginCreateInfo) as unknown as ts.LanguageService;
  const diagnostics = (f: string) => [...ls.getSyntacticDiagnostics(f), ...ls.getSemanticDiagnostics(f)].map((d) => `${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
  return { ls, plain, diagnostics };
}

const notebook = {
  [cell(0)]: 'import { mermaid, table } from "sde-lab";\nconst total = await Promise.resolve(2);',
  [cell(1)]: 'const doubled: number = total * 2;\nmermaid("graph LR; A-->B");\ndisplay.markdown(`**${doubled}**`);\ntable([{ a: 1 }]);',
  [cell(2)]: "const total = 5;\nfunction helper() { return total; }",
  [cell(3)]: "function helper() { return 1; }\nconst wrong: string = helper();\nnotDeclaredAnywhere;",
};

describe("TypeScript plugin for notebook cells", () => {
  it("without it, VS Code would report errors the kernel never raises", () => {
    const { plain } = service(notebook);
    const codes = [0, 1, 2].flatMap((i) => plain.getSemanticDiagnostics(cell(i)).map((d) => d.code));
    // 2304: names from other cells; 2393: the same function declared in two cells.
    expect(codes).toEqual(expect.arrayContaining([2304, 2393]));
  });

  it("resolves sde-lab, knows the display global and accepts top-level await and re-declarations", () => {
    const { diagnostics } = service(notebook);
    expect(diagnostics(cell(0))).toEqual([]);
    expect(diagnostics(cell(1))).toEqual([]);
    expect(diagnostics(cell(2))).toEqual([]);
  });

  it("keeps real errors: a wrong type and a name no cell declares", () => {
    const { diagnostics } = service(notebook);
    expect(diagnostics(cell(3))).toEqual(["2322: Type 'number' is not assignable to type 'string'.", "2304: Cannot find name 'notDeclaredAnywhere'."]);
  });

  it("gives completions and hovers from the bundled declarations", () => {
    const { ls } = service(notebook);
    const text = notebook[cell(0)]!;
    const info = ls.getQuickInfoAtPosition(cell(0), text.indexOf("mermaid"));
    expect(ts.displayPartsToString(info?.displayParts)).toBe("(alias) function mermaid(source: string): Displayable\nimport mermaid");
    expect(ts.displayPartsToString(info?.documentation)).toContain("A Mermaid diagram.");
  });

  it("leaves ordinary files and other notebooks alone", () => {
    const { diagnostics } = service({ ...notebook, "/work/plain.ts": "const x = await 1;\ntotal;", [cell(0, "other")]: "mermaid;" });
    // Top-level await outside a module stays an error in an ordinary script.
    expect(diagnostics("/work/plain.ts").map((d) => d.split(":")[0])).toEqual(["1375"]);
    expect(diagnostics(cell(0, "other"))).toEqual(["2304: Cannot find name 'mermaid'."]);
  });

  it("lists the names a cell declares at top level", () => {
    const sf = ts.createSourceFile("c.ts", 'import d, { a as b } from "m";\nimport * as ns from "n";\nconst { x, y: [z] } = o;\nclass C {}\nenum E {}\nfunction f() { const inner = 1; }', ts.ScriptTarget.ES2022);
    expect([...topLevelNames(ts as unknown as typeof tss, sf as unknown as tss.SourceFile)].sort()).toEqual(["C", "E", "b", "d", "f", "ns", "x", "z"]);
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

describe("TypeScript plugin: the sde-lab subpath entries", () => {
  it("resolves sde-lab/scenarios and sde-lab/challenges in cells, with their types", () => {
    const { diagnostics } = service({
      [cell(0, "subpaths")]:
        'import { Simulation, CircuitBreaker } from "sde-lab";\nimport { runCascade } from "sde-lab/scenarios";\nimport { challenges } from "sde-lab/challenges";\n' +
        "const sim = new Simulation({ seed: 1 });\nconst b = new CircuitBreaker(sim);\nconst run = await runCascade(sim, { protect: (callC) => b.execute(callC) });\nconst p99: number = run.p99Ms;\nawait challenges[\"circuit-breaker\"].check({ protect: () => (callC) => callC() });",
      [cell(1, "subpaths")]: 'import { runCascade } from "sde-lab/scenarios";\nconst wrong: string = (await runCascade(new (await import("sde-lab")).Simulation())).ok;',
    });
    expect(diagnostics(cell(0, "subpaths"))).toEqual([]);
    expect(diagnostics(cell(1, "subpaths")).join("\n")).toMatch(/2322: Type 'number' is not assignable to type 'string'/);
  });
});
