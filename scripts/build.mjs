// One build for everything that ships: the extension host bundle, the kernel process, the
// headless CLI, the "sde-lab" library that cells import, and browser bundles for webviews and
// renderers. `--watch` rebuilds incrementally; `--production` minifies for the VSIX.
import * as esbuild from "esbuild";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, cpSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { writeSnippets } from "./snippets.mjs";

const watch = process.argv.includes("--watch");
const production = process.argv.includes("--production");

/** Node-side bundles: CommonJS, `vscode` provided by the host. */
const nodeEntries = [
  { in: "src/extension.ts", out: "extension" },
  { in: "src/kernel/process/main.ts", out: "kernel" },
  { in: "src/lab/index.ts", out: "lab/index" },
  { in: "src/tsplugin/index.ts", out: "tsplugin" },
];

/** Browser bundles (webviews, notebook renderers): ES modules, no Node built-ins. */
const browserEntries = [
  { in: "src/preview/webview/main.ts", out: "preview/webview" },
  // The notebook renderer for charts and replays (contributes.notebookRenderer).
  { in: "src/renderer/index.ts", out: "renderer/index" },
];

const common = {
  bundle: true,
  sourcemap: true,
  sourcesContent: !production,
  minify: production,
  logLevel: "info",
  legalComments: "none",
  // Class and function names survive minification, so errors from lab code read
  // "at new TokenBucket (sde-lab/gateway/token-bucket.ts:40:11)" with the kernel's source maps.
  keepNames: true,
};

const configs = [
  {
    ...common,
    entryPoints: nodeEntries,
    outdir: "dist",
    platform: "node",
    format: "cjs",
    target: "node20",
    // jsonc-parser's "main" is a UMD build whose dynamic requires esbuild cannot follow.
    mainFields: ["module", "main"],
    external: ["vscode", "esbuild", "typescript"],
  },
];
// Subpath entry points ("sde-lab/scenarios", "sde-lab/challenges") reach the core only
// through the public "sde-lab" API. Bundling the core again would give them their own copy of
// every class (instanceof across entries would fail), so "sde-lab" stays an import of the
// main bundle beside them: the kernel loads both from dist/lab/ and Node caches one instance.
const labSubpaths = ["scenarios", "challenges"];
const labAsSibling = {
  name: "sde-lab-as-sibling",
  setup(build) {
    build.onResolve({ filter: /^sde-lab$/ }, () => ({ path: "./index.js", external: true }));
  },
};
configs.push({
  ...configs[0],
  entryPoints: labSubpaths.map((name) => ({ in: `src/lab/${name}/index.ts`, out: `lab/${name}` })),
  plugins: [labAsSibling],
});
// The CLI is an executable: same settings, plus the shebang.
configs.push({ ...configs[0], entryPoints: [{ in: "src/cli/main.ts", out: "cli" }], banner: { js: "#!/usr/bin/env node" } });
if (browserEntries.length > 0) {
  // No source map in the VSIX for the webview (Mermaid's alone is 4.7 MB); inline in dev builds,
  // so both builds produce the same files.
  configs.push({ ...common, sourcemap: production ? false : "inline", entryPoints: browserEntries, outdir: "dist", platform: "browser", format: "esm", target: "es2022", loader: { ".css": "text" } });
}

/**
 * Type declarations of the `sde-lab` library, for completions and hovers in cells, plus the
 * kernel globals. tsc does this; esbuild does not emit declarations.
 */
function buildDeclarations() {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const result = spawnSync(process.execPath, [tsc, "-p", "tsconfig.lab.json"], { stdio: "inherit" });
  if (result.status !== 0) throw new Error("declarations of src/lab failed to build");
  mkdirSync("dist/lab", { recursive: true });
  copyFileSync("src/lab/globals.d.ts", "dist/lab/globals.d.ts");
  // Node's types for `node:` imports in cells (the editor checks notebooks with them).
  for (const pkg of ["@types/node", "undici-types"]) {
    cpSync(`node_modules/${pkg}`, `dist/types/node_modules/${pkg}`, { recursive: true, filter: (f) => !/\.(md|ts\.map)$/.test(f) || f.endsWith("package.json") });
  }
}

if (!watch) rmSync("dist", { recursive: true, force: true });
if (watch) {
  for (const config of configs) {
    const ctx = await esbuild.context(config);
    await ctx.watch();
  }
  console.log("[watch] watching for changes; Ctrl-C to stop");
  buildDeclarations();
  await writeSnippets();
} else {
  await Promise.all(configs.map((c) => esbuild.build(c)));
  // npm sets the bin's execute bit only at install; a rebuild writes a fresh file without it.
  chmodSync("dist/cli.js", 0o755);
  buildDeclarations();
  // contributes.snippets, generated from the catalog and snippets/*.ts
  await writeSnippets();
}
