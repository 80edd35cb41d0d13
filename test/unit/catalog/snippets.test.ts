// Snippets: tab-stop conversion, the generated contributes.snippets file, a type check of
// every snippets/*.ts against the lab's public types, and a run of each as a notebook cell.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { CATALOG } from "../../../src/catalog/index";
import { SnippetSyntaxError, snippetContribution, toPlainCode, toSnippetBody } from "../../../src/catalog/snippet";
import { SNIPPETS_FILE, generateSnippets } from "../../../scripts/snippets.mjs";

const root = join(__dirname, "../../..");
const snippetFiles = readdirSync(join(root, "snippets")).filter((f) => f.endsWith(".ts"));

describe("tab stops", () => {
  it("turn /*$N*/token into ${N:token} for names, numbers and strings, and /*$0*/ into $0", () => {
    const source = 'const /*$1*/orders = sim.service(/*$2*/"orders", h, { concurrency: /*$3*/4_000 });\n/*$0*/orders';
    expect(toSnippetBody(source)).toBe('const ${1:orders} = sim.service(${2:"orders"}, h, { concurrency: ${3:4_000} });\n$0orders');
    expect(toPlainCode(source)).toBe('const orders = sim.service("orders", h, { concurrency: 4_000 });\norders');
  });

  it("escape $ and backslashes in text, and } inside a placeholder, so template literals survive", () => {
    expect(toSnippetBody("const s = `id-${i}\\n`; f(/*$1*/'a}b');")).toBe("const s = `id-\\${i}\\\\n`; f(${1:'a\\}b'});");
  });

  it("repeat a number as a mirror of its first placeholder", () => {
    expect(toSnippetBody("f(/*$1*/a, /*$1*/a)")).toBe("f(${1:a}, $1)");
  });

  it("must be numbered without gaps and be followed by a token", () => {
    expect(() => toSnippetBody("f(/*$1*/a, /*$3*/b)", "x.ts")).toThrow(new SnippetSyntaxError("x.ts: tab stops must be numbered 1, 2, 3… without gaps; found 1, 3."));
    expect(() => toSnippetBody("f(/*$1*/ a)", "x.ts")).toThrow("x.ts: tab stop /*$1*/ must be followed by a name, a number or a string literal.");
    expect(() => toSnippetBody("/*$0*/a; /*$0*/b", "x.ts")).toThrow("final cursor /*$0*/ appears twice");
  });

  it("make a contribution with prefix sde-<id>, the summary as description, one body line per line", () => {
    expect(snippetContribution({ id: "timeout", summary: "Give up in time." }, "a(/*$1*/1);\nb();\n")).toEqual({
      prefix: "sde-timeout",
      description: "Give up in time.",
      body: ["a(${1:1});", "b();"],
    });
  });
});

describe("the generated contributes.snippets file", () => {
  it("has one snippet per catalog entry, from its snippet file, and package.json points at it", async () => {
    const generated = (await generateSnippets()) as Record<string, { prefix: string; description: string; body: string[] }>;
    const byPrefix = new Map(Object.values(generated).map((s) => [s.prefix, s]));
    expect([...byPrefix.keys()].sort()).toEqual(CATALOG.map((p) => `sde-${p.id}`).sort());
    for (const entry of CATALOG) {
      const snippet = byPrefix.get(`sde-${entry.id}`)!;
      expect(snippet.description).toBe(entry.summary);
      expect(snippet.body.join("\n")).toBe(toSnippetBody(readFileSync(join(root, entry.snippet), "utf8").replace(/\n$/, "")));
      expect(snippet.body.join("\n"), `${entry.id} has tab stops`).toMatch(/\$\{1:/);
    }
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { contributes: { snippets: { language: string; path: string }[] } };
    expect(pkg.contributes.snippets).toEqual([{ language: "typescript", path: `./${SNIPPETS_FILE}` }]);
    // The build step wrote the same content.
    expect(JSON.parse(readFileSync(join(root, SNIPPETS_FILE), "utf8"))).toEqual(generated);
  });
});

describe("snippets/*.ts", () => {
  it("type-check against the lab's public types (typescript 5 API)", () => {
    expect(ts.version.startsWith("5.")).toBe(true);
    const files = snippetFiles.map((f) => join(root, "snippets", f));
    const program = ts.createProgram(files, {
      target: ts.ScriptTarget.ES2022,
      lib: ["lib.es2022.d.ts"],
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      strict: true,
      noUncheckedIndexedAccess: true,
      noEmit: true,
      skipLibCheck: true,
      // As in a notebook cell, which runs in Node: Buffer (amqplib's body type) and process exist.
      types: ["node"],
      typeRoots: [join(root, "node_modules/@types")],
      baseUrl: root,
      paths: { "sde-lab": ["./src/lab/index.ts"], "sde-lab/scenarios": ["./src/lab/scenarios/index.ts"], "sde-lab/challenges": ["./src/lab/challenges/index.ts"] },
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.file === undefined || files.includes(d.file.fileName) || d.file.fileName.includes("/src/lab/"));
    const messages = diagnostics.map((d) => `${d.file ? `${d.file.fileName.slice(root.length + 1)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : ""} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
    expect(messages).toEqual([]);
    // A snippet importing a name sde-lab does not export must fail this check.
    const bad = join(mkdtempSync(join(tmpdir(), "sde-snippet-")), "bad.ts");
    writeFileSync(bad, 'import { NoSuchThing } from "sde-lab";\nexport const x = NoSuchThing;\n');
    const badProgram = ts.createProgram([bad], program.getCompilerOptions(), undefined, program);
    expect(badProgram.getSemanticDiagnostics(badProgram.getSourceFile(bad)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")).join("\n")).toMatch(/has no exported member 'NoSuchThing'/);
  }, 120_000);

  it("stay short (at most 40 lines) and have one final cursor", () => {
    for (const file of snippetFiles) {
      const source = readFileSync(join(root, "snippets", file), "utf8");
      expect(source.trimEnd().split("\n").length, file).toBeLessThanOrEqual(40);
      expect(source.match(/\/\*\$0\*\//g)?.length, file).toBe(1);
    }
  });

  it("each run as a notebook cell to the end, with compact output (under 20 KB)", () => {
    const dir = mkdtempSync(join(tmpdir(), "sde-snippets-"));
    const notebooks = snippetFiles.map((file) => {
      const path = join(dir, file.replace(/\.ts$/, ".sdenb"));
      const cell = { id: file.replace(/\.ts$/, ""), kind: "code", language: "typescript", source: toPlainCode(readFileSync(join(root, "snippets", file), "utf8")), metadata: {} };
      writeFileSync(path, JSON.stringify({ format: "sde-notebook", version: 1, metadata: {}, cells: [cell] }));
      return path;
    });
    const r = spawnSync(process.execPath, [join(root, "dist/cli.js"), "run", "--json", ...notebooks], { encoding: "utf8", cwd: root, timeout: 120_000 });
    const report = JSON.parse(r.stdout) as { ok: boolean; notebooks: { cells: { id: string; status: string; error?: unknown; outputs: { items: { data: string }[] }[] }[] }[] };
    const cells = report.notebooks.flatMap((n) => n.cells);
    expect(cells.map((c) => [c.id, c.status])).toEqual(snippetFiles.map((f) => [f.replace(/\.ts$/, ""), "ok"]));
    for (const c of cells) {
      const bytes = c.outputs.flatMap((o) => o.items).reduce((n, i) => n + Buffer.byteLength(i.data), 0);
      expect(bytes, c.id).toBeLessThan(20_000);
      expect(bytes, `${c.id} shows something`).toBeGreaterThan(50);
    }
  }, 120_000);
});
