// Where learners meet the lab's public names: imports in notebook cells, snippets, the
// challenges and scenarios (built on the public API), the catalog's `exports` lists, and the
// TypeScript blocks of README.md and docs/*.md. Shared by the public-API and docs tests.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CATALOG } from "../../../src/catalog/index";

export const root = join(__dirname, "../../..");

/** Files of `dir` (relative to the repository) ending in `ext`; throws when there are none. */
export function filesIn(dir: string, ext: string): string[] {
  const files = readdirSync(join(root, dir)).filter((f) => f.endsWith(ext)).map((f) => join(root, dir, f));
  if (files.length === 0) throw new Error(`${dir} has no *${ext} files`);
  return files;
}

/** The code cells of a `.sdenb` notebook. */
export function codeCells(file: string): string[] {
  const notebook = JSON.parse(readFileSync(file, "utf8")) as { cells: { kind: string; source: string | string[] }[] };
  return notebook.cells.filter((c) => c.kind === "code").map((c) => [c.source].flat().join(""));
}

/** Markdown files whose code blocks are learner documentation. */
export const docFiles = (): string[] => [join(root, "README.md"), ...filesIn("docs", ".md")];

/** One fenced code block: its info string (```ts no-check → "ts no-check"), text and line. */
export interface CodeBlock {
  info: string;
  code: string;
  line: number;
}

/** The fenced code blocks of a markdown text. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(```+)(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j]!.trimStart().startsWith(open[2]!); j++) body.push(lines[j]!.slice(open[1]!.length));
    blocks.push({ info: open[3]!.trim(), code: body.join("\n"), line: i + 1 });
    i = j;
  }
  return blocks;
}

/** TypeScript blocks of README.md and docs/*.md (```ts and ```typescript). */
export function docTsBlocks(): (CodeBlock & { file: string })[] {
  return docFiles().flatMap((file) => codeBlocks(readFileSync(file, "utf8")).filter((b) => /^(ts|typescript)\b/.test(b.info)).map((b) => ({ ...b, file })));
}

/** Names imported from `module` (`import { A, type B, C as D } from "module"`) in `texts`. */
export function importedNames(texts: readonly string[], module: string): Set<string> {
  const names = new Set<string>();
  const pattern = new RegExp(`import\\s+(?:type\\s+)?\\{([^}]*)\\}\\s*from\\s*["']${module.replace("/", "\\/")}["']`, "g");
  for (const text of texts) {
    for (const m of text.matchAll(pattern)) {
      for (const part of m[1]!.split(",")) {
        const name = part.trim().replace(/^type\s+/, "").split(/\s+as\s+/)[0]!.trim();
        if (name) names.add(name);
      }
    }
  }
  return names;
}

/** Every text in which learners meet the lab: cells, snippets, challenges, scenarios, docs. */
export function learnerTexts(): string[] {
  return [
    ...filesIn("notebooks", ".sdenb").flatMap(codeCells),
    ...filesIn("snippets", ".ts").map((f) => readFileSync(f, "utf8")),
    ...filesIn("src/lab/challenges", ".ts").map((f) => readFileSync(f, "utf8")),
    ...filesIn("src/lab/scenarios", ".ts").map((f) => readFileSync(f, "utf8")),
    ...docTsBlocks().map((b) => b.code),
  ];
}

/** Names of an entry that learners use: imported somewhere, or (for `sde-lab`) listed by a catalog entry. */
export function usedNames(module: string): Set<string> {
  const names = importedNames(learnerTexts(), module);
  if (module === "sde-lab") for (const entry of CATALOG) for (const name of entry.exports) names.add(name);
  return names;
}
