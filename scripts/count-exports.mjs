// Counts the names each public `sde-lab` entry exports, split into runtime values and types,
// with the TypeScript checker (so `export *` and re-exports are followed exactly as cells see
// them). `node scripts/count-exports.mjs [--list]`.
import { createRequire } from "node:module";

const ts = createRequire(import.meta.url)("typescript");
/** The public entries (as scripts/api-report.mjs lists them). */
const entries = { "sde-lab": "src/lab/index.ts", "sde-lab/scenarios": "src/lab/scenarios/index.ts", "sde-lab/challenges": "src/lab/challenges/index.ts" };
const config = ts.getParsedCommandLineOfConfigFile("tsconfig.lab.json", {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
const program = ts.createProgram({ rootNames: Object.values(entries), options: { ...config.options, noEmit: true } });
const checker = program.getTypeChecker();
/** Whether any link of the re-export chain is `export type` / `export { type X }`: no value at run time. */
function typeOnly(symbol) {
  for (let s = symbol; s && s.flags & ts.SymbolFlags.Alias; s = checker.getImmediateAliasedSymbol(s)) {
    if (s.declarations?.some((d) => (ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly)) || (ts.isImportSpecifier(d) && d.isTypeOnly))) return true;
  }
  return false;
}
const list = process.argv.includes("--list");
for (const [name, file] of Object.entries(entries)) {
  const source = program.getSourceFile(file);
  const symbol = source && checker.getSymbolAtLocation(source);
  if (!symbol) continue;
  const values = [];
  const types = [];
  for (const exported of checker.getExportsOfModule(symbol)) {
    const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    (target.flags & ts.SymbolFlags.Value && !typeOnly(exported) ? values : types).push(exported.name);
  }
  console.log(`${name}: ${values.length} runtime, ${types.length} type-only`);
  if (list) console.log(`  ${values.sort().join(" ")}`);
}
