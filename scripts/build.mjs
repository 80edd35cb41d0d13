// One build for everything that ships: the extension host bundle, the kernel worker, the
// headless CLI, the "sde-lab" library that cells import, and browser bundles for webviews and
// renderers. `--watch` rebuilds incrementally; `--production` minifies for the VSIX.
import * as esbuild from "esbuild";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";

const watch = process.argv.includes("--watch");
const production = process.argv.includes("--production");

/** Node-side bundles: CommonJS, `vscode` provided by the host. */
const nodeEntries = [
  { in: "src/extension.ts", out: "extension" },
  { in: "src/kernel/worker.ts", out: "worker" },
  { in: "src/lab/index.ts", out: "lab/index" },
  { in: "src/tsplugin/index.ts", out: "tsplugin" },
];

/** Browser bundles (webviews, notebook renderers): ES modules, no Node built-ins. */
const browserEntries = [];

const common = {
  bundle: true,
  sourcemap: true,
  sourcesContent: !production,
  minify: production,
  logLevel: "info",
  legalComments: "none",
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
  configs.push({ ...common, entryPoints: browserEntries, outdir: "dist", platform: "browser", format: "esm", target: "es2022" });
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
}

if (!watch) rmSync("dist", { recursive: true, force: true });
if (watch) {
  for (const config of configs) {
    const ctx = await esbuild.context(config);
    await ctx.watch();
  }
  console.log("[watch] watching for changes; Ctrl-C to stop");
  buildDeclarations();
} else {
  await Promise.all(configs.map((c) => esbuild.build(c)));
  buildDeclarations();
}
