// `npm run test:electron`: the same end-to-end suite in desktop VS Code, downloaded by
// @vscode/test-electron (needs internet, so not part of npm test here). Tests that need the
// browser-driving runner (DOM checks, the untrusted-workspace run) are skipped.
import * as esbuild from "esbuild";
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { runTests } from "@vscode/test-electron";

const root = resolve(import.meta.dirname, "../..");
const out = join(root, "test-results", "electron");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: ["index", "trusted.test", "untrusted.test"].map((n) => join(root, "test/e2e/suite", `${n}.ts`)),
  outdir: join(out, "suite"),
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  sourcemap: "inline",
  external: ["vscode", "mocha"],
  logLevel: "warning",
});
const workspace = join(out, "workspace");
cpSync(join(root, "test/e2e/workspace"), workspace, { recursive: true });
cpSync(join(root, "notebooks/00-welcome.sdenb"), join(workspace, "00-welcome.sdenb"));
try {
  await runTests({
    version: process.env.VSCODE_VERSION ?? "1.139.1",
    extensionDevelopmentPath: root,
    extensionTestsPath: join(out, "suite", "index.js"),
    extensionTestsEnv: { SDE_E2E_MODE: "trusted" },
    launchArgs: [workspace, "--disable-workspace-trust", "--disable-extensions"],
  });
} catch (error) {
  console.error(`end-to-end suite failed in desktop VS Code: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
}
