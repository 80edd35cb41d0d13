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
/**
 * Commit before the calendar queue (issue 24, third pass: the binary heap of the allocation-free
 * hot path, with sfc32's state in object fields). `SDE_BENCH_BEFORE=<commit>` picks another,
 * e.g. 92048c3 (the microtask loop alone, before the allocation-free hot path).
 */
export const BEFORE_COMMIT = process.env.SDE_BENCH_BEFORE ?? "b57dbe8";

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

/** Bundles the lab of `commit` from git into `tmp`; undefined (with a note) without git. */
async function fromGit(commit: string, tmp: string): Promise<Lab | undefined> {
  try {
    const base = join(tmp, commit);
    execFileSync("mkdir", ["-p", base]);
    const tar = execFileSync("git", ["-C", repo(), "archive", "--format=tar", commit, "src/lab"], { maxBuffer: 256 << 20 });
    execFileSync("tar", ["-x", "-C", base], { input: tar });
    return await bundle(base, join(tmp, `${commit}.mjs`));
  } catch (error) {
    console.log(`(lab of ${commit} not available: ${(error as Error).message.split("\n")[0]})`);
    return undefined;
  }
}

/**
 * Bundles the current lab, the baseline commit's (before the microtask loop) and the before
 * commit's (the binary heap, before the calendar queue); the last two are undefined without git.
 */
export async function loadLabs(): Promise<{ current: Lab; baseline?: Lab; before?: Lab; tmp: string }> {
  const tmp = mkdtempSync(join(tmpdir(), "sde-bench-"));
  const current = await bundle(repo(), join(tmp, "current.mjs"));
  return { current, baseline: await fromGit(BASELINE_COMMIT, tmp), before: await fromGit(BEFORE_COMMIT, tmp), tmp };
}
