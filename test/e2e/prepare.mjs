// Shared by the code-server runner (run.mjs) and the desktop runner (electron.mjs): bundle the
// mocha suite for the extension host, and lay out a fresh workspace for it.
import * as esbuild from "esbuild";
import { cpSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");

/** Bundles test/e2e/suite into `outdir` (index.js is the extensionTestsPath). */
export async function buildSuite(outdir) {
  await esbuild.build({
    entryPoints: ["index", "trusted.test", "untrusted.test", "notebook-04.test"].map((n) => join(root, "test/e2e/suite", `${n}.ts`)),
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
  for (const notebook of ["00-welcome.sdenb", "01-microservices.sdenb", "04-messaging.sdenb"]) cpSync(join(root, "notebooks", notebook), join(dir, notebook));
  return dir;
}
