// Shared by the code-server runner (run.mjs) and the desktop runner (electron.mjs): bundle the
// mocha suite for the extension host, and lay out a fresh workspace for it.
import * as esbuild from "esbuild";
import { cpSync, readdirSync, writeFileSync } from "node:fs";
import { thousandCellsNotebook } from "./thousand.mjs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");

/** Bundles test/e2e/suite into `outdir` (index.js is the extensionTestsPath). */
export async function buildSuite(outdir) {
  await esbuild.build({
    // index.js plus every suite file; index.ts decides which run in which mode.
    entryPoints: ["index", ...readdirSync(join(root, "test/e2e/suite")).filter((f) => f.endsWith(".test.ts")).map((f) => f.slice(0, -3))].map((n) => join(root, "test/e2e/suite", `${n}.ts`)),
    outdir,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    sourcemap: "inline",
    // mocha is loaded from this project's node_modules by the extension host.
    external: ["vscode", "mocha"],
    logLevel: "warning",
  });
  writeFileSync(join(outdir, "package.json"), "{}\n");
  return join(outdir, "index.js");
}

/** Copies the fixture notebooks and the shipped notebooks the suite runs into `dir`. */
export function prepareWorkspace(dir) {
  cpSync(join(root, "test/e2e/workspace"), dir, { recursive: true });
  // Regression notebooks named after their bug: the unit tests and the real VS Code run the same file.
  for (const notebook of readdirSync(join(root, "test/fixtures/regressions"))) cpSync(join(root, "test/fixtures/regressions", notebook), join(dir, notebook));
  for (const notebook of readdirSync(join(root, "notebooks")).filter((f) => f.endsWith(".sdenb"))) cpSync(join(root, "notebooks", notebook), join(dir, notebook));
  writeFileSync(join(dir, "thousand.sdenb"), thousandCellsNotebook());
  return dir;
}
