/**
 * Entry point VS Code loads as `extensionTestsPath`: the standard `run()` shape, so the same
 * suite runs in code-server (npm run test:e2e) and in desktop VS Code (npm run test:electron).
 * SDE_E2E_MODE picks the trusted suite (default) or the untrusted-workspace one.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import Mocha from "mocha";
import { report } from "./outer";

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: "bdd", timeout: 45_000, color: false, reporter: "spec" });
  const mode = process.env.SDE_E2E_MODE === "untrusted" ? "untrusted" : "trusted";
  mocha.addFile(join(__dirname, `${mode}.test.js`));
  // Each shipped notebook's own suite (notebook-<NN>.test.js) runs in the trusted mode.
  if (mode === "trusted") for (const f of readdirSync(__dirname).filter((n) => /^notebook-\d+\.test\.js$/.test(n)).sort()) mocha.addFile(join(__dirname, f));
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} end-to-end tests failed`)) : resolve()));
    runner.on("fail", (test, error: Error) => report({ event: "fail", title: test.fullTitle(), error: error.stack ?? String(error) }));
    runner.on("pass", (test) => report({ event: "pass", title: test.fullTitle() }));
  });
}
