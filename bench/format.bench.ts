// Cost of the .sdenb reader/writer against the least it could cost: JSON.parse + JSON.stringify
// of the same document. Opening and saving a notebook should stay within a small factor of that.
import { parseNotebook, serializeNotebook, type SdeNotebook } from "../src/notebook/format";
import { report, time } from "./harness";

function notebook(cells: number): string {
  const nb: SdeNotebook = { metadata: { title: "bench" }, extra: {}, cells: [] };
  for (let i = 0; i < cells; i++) {
    nb.cells.push({
      id: `c${i}`,
      kind: i % 2 ? "code" : "markdown",
      language: i % 2 ? "typescript" : "markdown",
      source: Array.from({ length: 12 }, (_, j) => `const value${j} = ${i * j}; // line ${j}`).join("\n"),
      metadata: {},
      extra: {},
      outputs: i % 2 ? [{ items: [{ mime: "text/plain", data: "x".repeat(200), extra: {} }], metadata: {}, extra: {} }] : undefined,
    });
  }
  return serializeNotebook(nb);
}

const text = notebook(200);
console.log(`document: 200 cells, ${(text.length / 1024).toFixed(0)} KiB`);
const base = await time("JSON.parse + JSON.stringify (baseline)", () => JSON.stringify(JSON.parse(text), null, 2), 300);
const ours = await time("parseNotebook + serializeNotebook", () => serializeNotebook(parseNotebook(text)), 300);
report("Open + save of a 200-cell notebook", base, [ours]);
