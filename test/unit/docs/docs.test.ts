// README.md and docs/*.md are part of the product: every TypeScript block type-checks against
// the public API (as a notebook cell would), and every relative link points at a file of the
// repository. A block that is deliberately partial says so with the info string
// ```ts no-check (see docs/authoring.md); use it sparingly.
import { describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import ts from "typescript";
import { docFiles, docTsBlocks, root } from "../lab/public-names";

/** Compiler options of a cell: the public entries, the kernel globals, top-level await. */
const options: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ["lib.es2022.d.ts"],
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: [],
  baseUrl: root,
  paths: { "sde-lab": ["./src/lab/index.ts"], "sde-lab/scenarios": ["./src/lab/scenarios/index.ts"], "sde-lab/challenges": ["./src/lab/challenges/index.ts"] },
};

/** Type errors of `blocks`, each as "file:line message", with line numbers of the markdown. */
function typeErrors(blocks: { file: string; line: number; code: string }[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), "sde-docs-"));
  const files = blocks.map((b, i) => {
    const file = join(dir, `block-${i}.ts`);
    writeFileSync(file, `${b.code}\nexport {};\n`);
    return file;
  });
  const program = ts.createProgram([...files, join(root, "src/lab/globals.d.ts")], options);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const i = d.file ? files.indexOf(d.file.fileName) : -1;
    const where = i >= 0 ? `${relative(root, blocks[i]!.file)}:${blocks[i]!.line + 1 + d.file!.getLineAndCharacterOfPosition(d.start ?? 0).line}` : (d.file?.fileName ?? "");
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });
}

describe("TypeScript blocks in README.md and docs/*.md", () => {
  const blocks = docTsBlocks();
  const checked = blocks.filter((b) => !/\bno-check\b/.test(b.info));

  it("type-check against the public API (typescript 5 API)", () => {
    expect(ts.version.startsWith("5.")).toBe(true);
    expect(checked.length).toBeGreaterThanOrEqual(3);
    expect(typeErrors(checked)).toEqual([]);
  }, 120_000);

  it("fail the check when a block uses a name the API does not have", () => {
    const errors = typeErrors([{ file: join(root, "README.md"), line: 1, code: 'import { NoSuchThing } from "sde-lab";\nNoSuchThing;' }]);
    expect(errors.join("\n")).toMatch(/has no exported member 'NoSuchThing'/);
  }, 120_000);

  it("are marked no-check rarely", () => {
    expect(blocks.length - checked.length).toBeLessThanOrEqual(2);
  });
});

describe("relative links in README.md and docs/*.md", () => {
  it("point at files inside the repository", () => {
    const broken: string[] = [];
    let count = 0;
    for (const file of docFiles()) {
      const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "");
      for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = m[1]!;
        if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) continue;
        count++;
        const path = join(dirname(file), decodeURIComponent(target.split("#")[0]!));
        const inside = !relative(root, path).startsWith("..");
        if (!inside || !existsSync(path)) broken.push(`${relative(root, file)}: ${target}${inside ? "" : " (outside the repository)"}`);
      }
    }
    expect(count).toBeGreaterThan(3);
    expect(broken).toEqual([]);
  });
});
