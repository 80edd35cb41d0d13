// The catalog is the single source of truth: every entry has its four faces (notebook cell,
// snippet, diagram, challenge), and no face exists without an entry (docs/authoring.md).
import { describe, expect, it } from "vitest";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as lab from "sde-lab";
import { challenges } from "sde-lab/challenges";
import { CATALOG, SECTIONS, UnknownPatternError, findPattern, patternsOf } from "../../../src/catalog/index";
import { parseNotebook, type SdeNotebook } from "../../../src/notebook/format";

const root = join(__dirname, "../../..");
const ids = CATALOG.map((p) => p.id);
/** Files of a folder with the extension; a missing or empty folder fails (content must exist). */
function listFiles(dir: string, ext: string): string[] {
  const files = readdirSync(join(root, dir)).filter((f) => f.endsWith(ext));
  if (files.length === 0) throw new Error(`${dir} has no *${ext} files`);
  return files;
}
const notebooks = new Map<string, SdeNotebook>();
function notebook(file: string): SdeNotebook | undefined {
  if (!notebooks.has(file)) {
    const path = join(root, "notebooks", file);
    if (!existsSync(path)) return undefined;
    notebooks.set(file, parseNotebook(readFileSync(path, "utf8")));
  }
  return notebooks.get(file);
}
const sourceOf = (cell: { source: string | readonly string[] }) => (typeof cell.source === "string" ? cell.source : cell.source.join(""));
if (CATALOG.length === 0) throw new Error("the catalog is empty");
const entries = CATALOG.map((p) => [p.id, p] as const);

describe("the catalog", () => {
  it("has unique kebab-case ids, in the sections' order", () => {
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(CATALOG).toEqual(SECTIONS.flatMap((s) => patternsOf(s.id)));
  });

  it("has the ten microservices patterns, in teaching order", () => {
    expect(patternsOf("microservices").map((p) => p.id)).toEqual([
      "api-gateway",
      "rate-limiting",
      "bff",
      "client-side-discovery",
      "server-side-discovery",
      "circuit-breaker",
      "retry-backoff",
      "timeout",
      "bulkhead",
      "sidecar",
    ]);
  });

  it("names unknown ids in a clear error", () => {
    expect(() => findPattern("circuit")).toThrow(UnknownPatternError);
    expect(() => findPattern("circuit")).toThrow(/No pattern "circuit" in the SDE Lab catalog\. Did you mean "circuit-breaker"\? Known ids: api-gateway, /);
  });

  it.each(entries)("%s: its text follows the rules (summary, when to use, interview)", (_id, p) => {
    expect(p.summary.length).toBeGreaterThan(20);
    expect(p.summary).not.toContain("\n");
    expect(p.whenToUse.length).toBeGreaterThanOrEqual(2);
    expect(p.whenNotToUse.length).toBeGreaterThanOrEqual(2);
    expect(p.explanation, "no HTML in the explanation").not.toMatch(/<\/?[a-z][^>]*>/i);
    const words = p.interview.answer.split(/\s+/).length;
    expect(words, "a 60-second answer is 120–170 words").toBeGreaterThanOrEqual(120);
    expect(words).toBeLessThanOrEqual(170);
    expect(p.interview.followUps).toHaveLength(3);
    for (const f of p.interview.followUps) expect(f.question.endsWith("?") && f.answer.length > 40).toBe(true);
  });

  it.each(entries)("%s: its exports exist in sde-lab and its related ids in the catalog", (id, p) => {
    expect(p.exports.length).toBeGreaterThan(0);
    expect(p.exports.filter((name) => !(name in lab)), "names not exported by sde-lab").toEqual([]);
    expect(p.related.filter((r) => !ids.includes(r) || r === id), "unknown or self-referencing related ids").toEqual([]);
  });

  it.each(entries)("%s: has its snippet, diagram and challenge", (id, p) => {
    expect(p.snippet).toBe(`snippets/${id}.ts`);
    expect(p.diagram).toBe(`media/diagrams/${id}.mmd`);
    expect(existsSync(join(root, p.snippet)), `${p.snippet} exists`).toBe(true);
    expect(existsSync(join(root, p.diagram)), `${p.diagram} exists`).toBe(true);
    expect(Object.keys(challenges), `challenge "${p.challenge}" in sde-lab/challenges`).toContain(p.challenge);
  });

  it.each(entries)("%s: is taught in its section's notebook, under a ## heading cell with its id", (id, p) => {
    const section = SECTIONS.find((s) => s.id === p.section)!;
    expect(p.notebook.file).toBe(section.notebook);
    const nb = notebook(p.notebook.file);
    expect(nb, `notebooks/${p.notebook.file} exists`).toBeDefined();
    const heading = nb!.cells.find((c) => c.id === p.notebook.cell);
    expect(heading, `cell "${p.notebook.cell}" in ${p.notebook.file}`).toBeDefined();
    expect(heading!.kind).toBe("markdown");
    expect(sourceOf(heading!)).toMatch(/^## \S/);
  });

  it.each(entries)("%s: the notebook's diagram cell holds exactly the .mmd file", (id, p) => {
    const nb = notebook(p.notebook.file);
    const cell = nb?.cells.find((c) => c.id === `${id}-diagram`);
    expect(cell, `cell "${id}-diagram" in ${p.notebook.file}`).toBeDefined();
    const mmd = existsSync(join(root, p.diagram)) ? readFileSync(join(root, p.diagram), "utf8") : "";
    expect(sourceOf(cell!).trim()).toBe(`\`\`\`mermaid\n${mmd.trim()}\n\`\`\``);
  });
});

describe("nothing exists without a catalog entry", () => {
  it("every snippets/*.ts is an entry's snippet", () => {
    expect(listFiles("snippets", ".ts").filter((f) => !CATALOG.some((p) => p.snippet === `snippets/${f}`))).toEqual([]);
  });

  it("every media/diagrams/*.mmd is an entry's diagram", () => {
    expect(listFiles("media/diagrams", ".mmd").filter((f) => !CATALOG.some((p) => p.diagram === `media/diagrams/${f}`))).toEqual([]);
  });

  it("every ## heading cell of a section notebook is a pattern of that section", () => {
    const orphans = SECTIONS.flatMap((section) => {
      const nb = notebook(section.notebook);
      if (!nb) return [];
      const mine = new Set(patternsOf(section.id).map((p) => p.notebook.cell));
      return nb.cells
        .filter((c) => c.kind === "markdown" && /^## /.test(sourceOf(c)) && !mine.has(c.id ?? ""))
        .map((c) => `${section.notebook}: cell ${c.id ?? "(no id)"} "${sourceOf(c).split("\n")[0]}"`);
    });
    expect(orphans, "## headings without a catalog entry (use ### for sub-sections)").toEqual([]);
  });

  it("every challenge in sde-lab/challenges belongs to an entry (a knob challenge kept as a warm-up too)", () => {
    expect(Object.keys(challenges).filter((c) => !CATALOG.some((p) => p.challenge === c || `${p.challenge}-warmup` === c))).toEqual([]);
  });
});
