// Every shipped notebook, checked as the editor checks it, shows zero problems: a learner
// opening one must not see a squiggle the kernel would not raise.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { NotebookLanguageService } from "../../../src/editor/notebook-service";
import { parseNotebook } from "../../../src/notebook/format";

const root = join(__dirname, "../../..");
const dir = join(root, "notebooks");
const notebooks = readdirSync(dir).filter((f) => f.endsWith(".sdenb"));

describe("shipped notebooks in the editor", () => {
  const service = new NotebookLanguageService({ ts, labTypes: join(root, "dist/lab"), nodeTypeRoots: join(root, "node_modules/@types") });

  it("there are notebooks to check", () => {
    expect(notebooks.length).toBeGreaterThan(0);
  });

  it.each(notebooks)("%s shows zero problems", (name) => {
    const path = join(dir, name);
    const cells = parseNotebook(readFileSync(path, "utf8"))
      .cells.map((c, i) => ({ cell: c, key: `${path}#${i}` }))
      .filter(({ cell }) => cell.kind === "code" && cell.language === "typescript")
      .map(({ cell, key }) => ({ key, text: cell.source }));
    service.update(path, cells);
    const problems = service.diagnostics(path).map((d) => {
      const text = cells.find((c) => c.key === d.cell)!.text;
      const line = text.slice(0, d.start).split("\n").length;
      return `cell ${d.cell.slice(path.length + 1)} line ${line}: ${d.code} ${d.message}`;
    });
    expect(problems).toEqual([]);
  });
});
