// Build step: reads the pattern catalog (src/catalog) and writes the `contributes.snippets`
// file for TypeScript (dist/snippets/typescript.json): one snippet per catalog entry, prefix
// `sde-<id>`, description = the entry's summary, body from snippets/<id>.ts with its tab
// stops. Generic: a section that adds entries and snippet files needs no change here.
import * as esbuild from "esbuild";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");

/** The snippets file's path inside the package (also in package.json's contributes.snippets). */
export const SNIPPETS_FILE = "dist/snippets/typescript.json";

/** Loads a pure TypeScript module of src/ (no vscode, no Node APIs) by bundling it in memory. */
async function loadModule(entry) {
  const out = await esbuild.build({ entryPoints: [join(root, entry)], bundle: true, format: "esm", platform: "neutral", write: false, logLevel: "silent" });
  return import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString("base64")}`);
}

/** The generated snippets, keyed by pattern title (VS Code shows the key in its snippet list). */
export async function generateSnippets() {
  const [{ CATALOG }, { snippetContribution }] = await Promise.all([loadModule("src/catalog/index.ts"), loadModule("src/catalog/snippet.ts")]);
  const snippets = {};
  for (const entry of CATALOG) {
    let source;
    try {
      source = readFileSync(join(root, entry.snippet), "utf8");
    } catch {
      throw new Error(`catalog entry "${entry.id}" names the snippet ${entry.snippet}, which does not exist`);
    }
    snippets[`SDE Lab: ${entry.title}`] = snippetContribution(entry, source, entry.snippet);
  }
  return snippets;
}

/** Writes the snippets file; returns how many snippets it holds. */
export async function writeSnippets() {
  const snippets = await generateSnippets();
  const file = join(root, SNIPPETS_FILE);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(snippets, null, 2)}\n`);
  return Object.keys(snippets).length;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  console.log(`${SNIPPETS_FILE}: ${await writeSnippets()} snippets`);
}
