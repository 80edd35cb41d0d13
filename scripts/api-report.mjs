// The API report of every public entry of the lab (`sde-lab`, `sde-lab/scenarios`,
// `sde-lab/challenges`), written by @microsoft/api-extractor into api/*.api.md from the same
// declarations the learner's editor gets (tsconfig.lab.json, @internal stripped).
//
//   node scripts/api-report.mjs           check: fails when the surface differs from api/
//   node scripts/api-report.mjs --update  rewrite api/*.api.md (npm run api:update)
//
// The declarations are emitted into <tmp>/lab/ (what is reported) and copied to
// <tmp>/node_modules/sde-lab/, so the subpath entries' `import … from "sde-lab"` resolves as an
// import of the package (shown as such in their reports) rather than being inlined into them.
import { Extractor, ExtractorConfig } from "@microsoft/api-extractor";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** Public entries: name → folder under src/lab ("" for the main module). Add a subpath here. */
export const API_ENTRIES = { "sde-lab": "", "sde-lab/scenarios": "scenarios", "sde-lab/challenges": "challenges" };

/** Report file of an entry: `api/sde-lab.api.md`, `api/sde-lab-scenarios.api.md`, … */
export const reportFile = (entry) => `${entry.replace("/", "-")}.api.md`;

/**
 * Builds the reports; with `update` writes them to api/, otherwise compares.
 * Returns the entries whose report differs (empty when all match) and extractor errors.
 */
export function apiReports({ update = false, root = process.cwd(), log = console.log } = {}) {
  const tmp = mkdtempSync(join(tmpdir(), "sde-lab-api-"));
  try {
    const lab = join(tmp, "lab");
    const pkg = join(tmp, "node_modules", "sde-lab");
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    const built = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.lab.json"), "--outDir", lab], { cwd: root, encoding: "utf8" });
    if (built.status !== 0) throw new Error(`declarations of src/lab failed to build:\n${built.stdout}${built.stderr}`);
    copyGlobals(root, lab);
    cpSync(lab, pkg, { recursive: true });
    writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "sde-lab", version: "0.0.0", types: "index.d.ts" }));
    writeFileSync(join(tmp, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, target: "ES2022", module: "ESNext", moduleResolution: "Bundler", lib: ["ES2022"], types: [], skipLibCheck: true }, files: [join(lab, "index.d.ts")] }));
    writeFileSync(join(tmp, "package.json"), JSON.stringify({ name: "sde-lab", version: "0.0.0" }));
    const changed = [];
    const problems = [];
    for (const [entry, folder] of Object.entries(API_ENTRIES)) {
      const config = ExtractorConfig.prepare({
        configObject: {
          projectFolder: tmp,
          mainEntryPointFilePath: join(lab, folder, "index.d.ts"),
          compiler: { tsconfigFilePath: join(tmp, "tsconfig.json") },
          apiReport: { enabled: true, reportFileName: reportFile(entry), reportFolder: resolve(root, "api"), reportTempFolder: join(tmp, "report") },
          docModel: { enabled: false },
          dtsRollup: { enabled: false },
          tsdocMetadata: { enabled: false },
          newlineKind: "lf",
          messages: {
            compilerMessageReporting: { default: { logLevel: "error" } },
            extractorMessageReporting: {
              default: { logLevel: "none" },
              // A public signature names a type that no entry exports. Recorded in the report as a
              // "Warning:" line, so review sees it; export the type (type-only) or hide the member.
              "ae-forgotten-export": { logLevel: "none", addToApiReportFile: true },
            },
            tsdocMessageReporting: { default: { logLevel: "none" } },
          },
        },
        configObjectFullPath: join(tmp, "api-extractor.json"),
        packageJsonFullPath: join(tmp, "package.json"),
      });
      const result = Extractor.invoke(config, {
        localBuild: update,
        messageCallback: (message) => {
          if (message.logLevel === "error") problems.push(`${entry}: ${message.text} (${message.sourceFilePath ?? ""}:${message.sourceFileLine ?? ""})`);
          message.handled = true;
        },
      });
      if (result.apiReportChanged) changed.push(entry);
      if (!result.succeeded && !result.apiReportChanged) problems.push(`${entry}: api-extractor failed`);
    }
    if (update && changed.length) log(`updated ${changed.map((e) => `api/${reportFile(e)}`).join(", ")}`);
    return { changed: update ? [] : changed, problems };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The kernel globals (`display`, …) that the lab's declarations may reference. */
function copyGlobals(root, pkg) {
  writeFileSync(join(pkg, "globals.d.ts"), readFileSync(join(root, "src/lab/globals.d.ts"), "utf8"));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const update = process.argv.includes("--update");
  const { changed, problems } = apiReports({ update });
  for (const p of problems) console.error(p);
  if (changed.length) console.error(`The public API changed: ${changed.join(", ")}. Review the difference and run \`npm run api:update\` to accept it.`);
  process.exit(problems.length || changed.length ? 1 : 0);
}
