// The "Distributed data" section's seven catalog entries and their four faces: notebook
// cells, snippet, diagram and challenge, as docs/authoring.md requires.
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as ts from "typescript";
import * as lab from "sde-lab";
import { challenges } from "sde-lab/challenges";
import { CATALOG, patternsOf } from "../../../src/catalog/index";
import { parseNotebook } from "../../../src/notebook/format";

const root = join(__dirname, "../../..");
const entries = patternsOf("distributed-data");
const ids = ["horizontal-sharding", "vertical-partitioning", "consistent-hashing", "two-phase-commit", "saga", "event-sourcing", "cqrs"];
const notebook = parseNotebook(readFileSync(join(root, "notebooks/02-distributed-data.sdenb"), "utf8"));
const cell = (id: string) => notebook.cells.find((c) => c.id === id);
const text = (id: string) => {
  const s = cell(id)?.source as string | string[] | undefined;
  return Array.isArray(s) ? s.join("") : (s ?? "");
};
const words = (s: string) => s.trim().split(/\s+/).length;
/** Patterns whose main challenge is a build challenge (three hint cells); the rest still have one knob challenge. */
const built = new Set(["horizontal-sharding", "vertical-partitioning", "consistent-hashing", "two-phase-commit", "saga", "event-sourcing", "cqrs"]);
const hintCells = (id: string) => (built.has(id) ? [1, 2, 3].map((l) => `${id}-hint-${l}`) : [`${id}-hint`]);

describe("catalog: distributed data", () => {
  it("has the section's seven patterns, in teaching order, with unique ids across the catalog", () => {
    expect(entries.map((e) => e.id)).toEqual(ids);
    expect(new Set(CATALOG.map((e) => e.id)).size).toBe(CATALOG.length);
  });

  it.each(ids)("%s: entry fields follow the authoring rules", (id) => {
    const e = entries.find((x) => x.id === id)!;
    expect(e.notebook).toEqual({ file: "02-distributed-data.sdenb", cell: id });
    expect([e.snippet, e.diagram, e.challenge]).toEqual([`snippets/${id}.ts`, `media/diagrams/${id}.mmd`, id]);
    expect(e.whenToUse.length).toBeGreaterThanOrEqual(2);
    expect(e.whenToUse.length).toBeLessThanOrEqual(4);
    expect(e.whenNotToUse.length).toBeGreaterThanOrEqual(2);
    expect(e.whenNotToUse.length).toBeLessThanOrEqual(4);
    expect(e.explanation).not.toMatch(/<[a-z/]/i);
    expect(words(e.interview.answer)).toBeGreaterThanOrEqual(120);
    expect(words(e.interview.answer)).toBeLessThanOrEqual(170);
    expect(e.interview.followUps).toHaveLength(3);
    for (const name of e.exports) expect(lab, `sde-lab exports ${name}`).toHaveProperty(name);
    for (const r of e.related) expect(CATALOG.some((x) => x.id === r), `related ${r}`).toBe(true);
    expect(challenges).toHaveProperty(e.challenge);
  });

  it.each(ids)("%s: the notebook has the section's cells in order, diagram equal to the .mmd, the interview answer verbatim", (id) => {
    const e = entries.find((x) => x.id === id)!;
    const order = notebook.cells.map((c) => c.id ?? "");
    const want = [id, `${id}-diagram`, `${id}-tradeoffs`, `${id}-differs`, `${id}-interview`, `${id}-challenge`, `${id}-starter`, `${id}-check`, ...hintCells(id)];
    const positions = want.map((w) => order.indexOf(w));
    expect(positions.every((p) => p >= 0), `cells ${want.filter((_, i) => positions[i]! < 0).join(", ")}`).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(text(id)).toMatch(/^## /);
    expect(text(id)).toContain(`command:sdeLab.previewDiagram?%5B%22${id}%22%5D`);
    expect(text(id)).toContain(`command:sdeLab.insertSnippet?%5B%22${id}%22%5D`);
    const mmd = readFileSync(join(root, e.diagram), "utf8").trim();
    expect(text(`${id}-diagram`)).toBe("```mermaid\n" + mmd + "\n```");
    expect(text(`${id}-interview`)).toContain(e.interview.answer);
    expect(text(`${id}-challenge`)).toContain(challenges[id as keyof typeof challenges].statement);
    expect(text(`${id}-check`)).toContain(`challenges`);
    for (const h of hintCells(id)) if (built.has(id)) expect(cell(h)!.metadata, h).toMatchObject({ collapsed: true });
    const codeCells = notebook.cells.filter((c) => c.kind === "code" && c.id?.startsWith(`${id}-`));
    for (const c of codeCells) expect(text(c.id!).split("\n").length, `${c.id} lines`).toBeLessThanOrEqual(30);
  });

  it.each(ids)("%s: snippet and diagram exist; the snippet is short, has tab stops, uses the public API", (id) => {
    const snippet = readFileSync(join(root, `snippets/${id}.ts`), "utf8");
    expect(existsSync(join(root, `media/diagrams/${id}.mmd`))).toBe(true);
    expect(snippet.trimEnd().split("\n").length).toBeLessThanOrEqual(40);
    expect(snippet).toContain('from "sde-lab"');
    expect(snippet).toMatch(/\/\*\$1\*\//);
    expect(snippet).toContain("/*$0*/");
    expect(readFileSync(join(root, `media/diagrams/${id}.mmd`), "utf8")).toMatch(/^(flowchart|sequenceDiagram|stateDiagram)/);
  });

  it("every snippet type-checks against the public sde-lab types", () => {
    const program = ts.createProgram({
      rootNames: [...ids.map((id) => join(root, `snippets/${id}.ts`)), join(root, "src/lab/globals.d.ts")],
      options: {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: [],
        lib: ["lib.es2022.d.ts"],
        paths: { "sde-lab": [join(root, "src/lab/index.ts")] },
      },
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName ?? ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
    expect(diagnostics).toEqual([]);
  }, 60_000);
});
