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
  const mocha = new Mocha({ ui: "bdd", timeout: 45_000, color: false, reporter: "spec", ...(process.env.SDE_E2E_GREP ? { grep: process.env.SDE_E2E_GREP } : {}) });
  const mode = process.env.SDE_E2E_MODE === "untrusted" ? "untrusted" : "trusted";
  // Other trusted-workspace suites: every bundled *.test.js except the two mode files. They
  // run first, and the newcomer suite first of all, so its check of what the window showed at
  // startup (the welcome notebook opening by itself) sees it untouched.
  if (mode === "trusted") {
    const rank = (f: string) => (f === "newcomer.test.js" ? 0 : 1);
    const suites = readdirSync(__dirname).filter((f) => f.endsWith(".test.js") && f !== "trusted.test.js" && f !== "untrusted.test.js");
    for (const file of suites.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))) mocha.addFile(join(__dirname, file));
  }
  mocha.addFile(join(__dirname, `${mode}.test.js`));
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} end-to-end tests failed`)) : resolve()));
    runner.on("fail", (test, error: Error) => report({ event: "fail", title: test.fullTitle(), error: error.stack ?? String(error) }));
    runner.on("pass", (test) => report({ event: "pass", title: test.fullTitle() }));
  });
}
