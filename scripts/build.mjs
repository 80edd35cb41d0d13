// One build for everything that ships: the extension host bundle, the kernel worker, the
// headless CLI, the "sde-lab" library that cells import, and browser bundles for webviews and
// renderers. `--watch` rebuilds incrementally; `--production` minifies for the VSIX.
import * as esbuild from "esbuild";
import { rmSync } from "node:fs";

const watch = process.argv.includes("--watch");
const production = process.argv.includes("--production");

/** Node-side bundles: CommonJS, `vscode` provided by the host. */
const nodeEntries = [
  { in: "src/extension.ts", out: "extension" },
  { in: "src/kernel/worker.ts", out: "worker" },
  { in: "src/lab/index.ts", out: "lab/index" },
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
// The CLI is an executable: same settings, plus the shebang.
configs.push({ ...configs[0], entryPoints: [{ in: "src/cli/main.ts", out: "cli" }], banner: { js: "#!/usr/bin/env node" } });
if (browserEntries.length > 0) {
  configs.push({ ...common, entryPoints: browserEntries, outdir: "dist", platform: "browser", format: "esm", target: "es2022" });
}

if (!watch) rmSync("dist", { recursive: true, force: true });
if (watch) {
  for (const config of configs) {
    const ctx = await esbuild.context(config);
    await ctx.watch();
  }
  console.log("[watch] watching for changes; Ctrl-C to stop");
} else {
  await Promise.all(configs.map((c) => esbuild.build(c)));
}
