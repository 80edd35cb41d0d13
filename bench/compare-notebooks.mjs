// Runs every shipped notebook headless with two builds of SDE Lab and compares what a learner
// sees (each cell's status and outputs), byte for byte: the before/after check of a change to the
// simulation (issue 24). Build both first (node scripts/build.mjs), e.g. the other one from
// `git archive <commit> | tar -x -C /tmp/before` with node_modules linked.
// Usage: node bench/compare-notebooks.mjs <checkout A> <checkout B>
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
const [a, b] = process.argv.slice(2);
const files = readdirSync(join(a, "notebooks")).filter((f) => f.endsWith(".sdenb"));
const seen = (root, f) => {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [join(root, "dist/cli.js"), "run", "--json", join("notebooks", f)], { cwd: root, encoding: "utf8", maxBuffer: 1 << 28 });
  if (!r.stdout) { console.log("no output from", root, f, r.status, r.signal, r.stderr.slice(-2000)); process.exit(1); }
  const rep = JSON.parse(r.stdout);
  return { ok: rep.ok, ms: Date.now() - t0, text: JSON.stringify(rep.notebooks.map((n) => n.cells.map((c) => ({ id: c.id, status: c.status, outputs: c.outputs })))) };
};
let same = 0;
for (const f of files) {
  const x = seen(a, f), y = seen(b, f);
  const eq = x.text === y.text;
  if (eq) same++;
  console.log(`${f}: ${eq ? "identical" : "DIFFERENT"} (${x.text.length} chars; ok ${x.ok}/${y.ok}; ${x.ms} ms vs ${y.ms} ms)`);
  if (!eq) { let i = 0; while (x.text[i] === y.text[i]) i++; console.log("  first difference at", i, "\n  A:", x.text.slice(i - 200, i + 200), "\n  B:", y.text.slice(i - 200, i + 200)); }
}
console.log(`${same}/${files.length} notebooks identical`);
process.exit(same === files.length ? 0 : 1);
