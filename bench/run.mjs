// `npm run bench`: bundles each bench/*.bench.ts with esbuild and runs it in its own Node
// process, so one benchmark's garbage and JIT state do not skew the next.
import * as esbuild from "esbuild";
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";

const dir = resolve(import.meta.dirname);
const out = join(dir, "results", "bundles");
mkdirSync(out, { recursive: true });
const only = process.argv[2];
const files = readdirSync(dir).filter((f) => f.endsWith(".bench.ts") && (!only || f.includes(only)));
let failed = 0;
for (const file of files) {
  const outfile = join(out, file.replace(/\.ts$/, ".mjs"));
  await esbuild.build({
    entryPoints: [join(dir, file)],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // jsonc-parser's "main" is a UMD build whose dynamic requires esbuild cannot follow.
    mainFields: ["module", "main"],
    sourcemap: "inline",
    external: ["esbuild", "typescript", "playwright-core", "@sparticuz/chromium"],
    // Challenges import the lab as "sde-lab" (its public API), as cells do.
    alias: { "sde-lab": join(dir, "..", "src/lab/index.ts") },
    // Bundled CommonJS dependencies may call require(); give the ES module one.
    banner: { js: "import { createRequire as __cr } from \"node:module\"; const require = __cr(import.meta.url);" },
    logLevel: "warning",
  });
  console.log(`\n## ${file}`);
  const result = spawnSync(process.execPath, ["--expose-gc", "--enable-source-maps", outfile], { stdio: "inherit", env: { ...process.env, SDE_BENCH_ROOT: resolve(dir, "..") } });
  if (result.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
