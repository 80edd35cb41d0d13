// `npm run test:electron`: the same end-to-end suite in desktop VS Code, downloaded by
// @vscode/test-electron (needs internet, so not part of npm test here). Tests that need the
// browser-driving runner (DOM checks, the untrusted-workspace run) are skipped.
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { runTests } from "@vscode/test-electron";
import { buildSuite, prepareWorkspace } from "./prepare.mjs";

const root = resolve(import.meta.dirname, "../..");
const out = join(root, "test-results", "electron");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const suite = await buildSuite(join(out, "suite"));
const workspace = prepareWorkspace(join(out, "workspace"));
try {
  await runTests({
    version: process.env.VSCODE_VERSION ?? "1.139.1",
    extensionDevelopmentPath: root,
    extensionTestsPath: suite,
    extensionTestsEnv: { SDE_E2E_MODE: "trusted" },
    launchArgs: [workspace, "--disable-workspace-trust", "--disable-extensions"],
  });
} catch (error) {
  console.error(`end-to-end suite failed in desktop VS Code: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
}
