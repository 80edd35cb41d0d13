// The lab as of the baseline commit (before issue 24's loop) and as it is now, bundled the
// same way, so one benchmark run can time both side by side. The baseline's sources come
// from git (`git archive`); without git, the current lab's reference loop stands in.
import * as esbuild from "esbuild";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type * as Entry from "./entry";

/** Commit before the microtask loop (issue 24). */
export const BASELINE_COMMIT = "902f945";

/** What the end-to-end scenarios use. */
export type Lab = typeof Entry;


const ENTRY = `export { Simulation, ok, request } from "./src/lab/index";
export { Kafka } from "./src/lab/messaging/kafka/kafka";
export { ApiGateway } from "./src/lab/gateway/gateway";
export { comparePostsScreen } from "./src/lab/protocols/compare";
`;

async function bundle(root: string, out: string): Promise<Lab> {
  const entry = join(root, "bench-entry.ts");
  writeFileSync(entry, ENTRY);
  await esbuild.build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    mainFields: ["module", "main"],
    external: ["esbuild", "typescript"],
    banner: { js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' },
    logLevel: "warning",
    absWorkingDir: root,
    nodePaths: [join(repo(), "node_modules")],
  });
  return (await import(pathToFileURL(out).href)) as Lab;
}

function repo(): string {
  return process.env.SDE_BENCH_ROOT ?? process.cwd();
}

/** Bundles the current lab and the baseline commit's; `baseline` is undefined without git. */
export async function loadLabs(): Promise<{ current: Lab; baseline?: Lab; tmp: string }> {
  const tmp = mkdtempSync(join(tmpdir(), "sde-bench-"));
  const current = await bundle(repo(), join(tmp, "current.mjs"));
  try {
    const base = join(tmp, "base");
    execFileSync("mkdir", ["-p", base]);
    const tar = execFileSync("git", ["-C", repo(), "archive", "--format=tar", BASELINE_COMMIT, "src/lab"], { maxBuffer: 256 << 20 });
    execFileSync("tar", ["-x", "-C", base], { input: tar });
    return { current, baseline: await bundle(base, join(tmp, "baseline.mjs")), tmp };
  } catch (error) {
    console.log(`(baseline ${BASELINE_COMMIT} not available: ${(error as Error).message.split("\n")[0]}; using the reference loop)`);
    return { current, tmp };
  }
}
