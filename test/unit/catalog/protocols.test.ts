// The protocols section's six catalog entries and their faces: notebook cells, snippets,
// diagrams, challenges and the sde-lab exports they name.
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as lab from "sde-lab";
import { challenges } from "sde-lab/challenges";
import { patternsOf } from "../../../src/catalog/index";
import { parseNotebook } from "../../../src/notebook/format";

const root = join(__dirname, "../../..");
const entries = patternsOf("protocols");

describe("protocols catalog", () => {
  it("has the six patterns in teaching order", () => {
    expect(entries.map((p) => p.id)).toEqual(["rest", "graphql", "grpc", "websocket", "sse", "long-polling"]);
  });

  it.each(entries.map((p) => [p.id, p] as const))("%s: every face exists", (_id, p) => {
    expect(p.notebook.file).toBe("03-protocols.sdenb");
    const nb = parseNotebook(readFileSync(join(root, "notebooks", p.notebook.file), "utf8"));
    expect(nb.cells.some((c) => c.id === p.notebook.cell)).toBe(true);
    expect(p.snippet).toBe(`snippets/${p.id}.ts`);
    expect(p.diagram).toBe(`media/diagrams/${p.id}.mmd`);
    expect(existsSync(join(root, p.snippet))).toBe(true);
    expect(readFileSync(join(root, p.snippet), "utf8").split("\n").length).toBeLessThanOrEqual(41);
    expect(readFileSync(join(root, p.diagram), "utf8")).toMatch(/^(sequenceDiagram|flowchart|stateDiagram)/);
    expect(Object.keys(challenges)).toContain(p.challenge);
    for (const name of p.exports) expect(lab, `sde-lab exports ${name}`).toHaveProperty(name);
    for (const id of p.related) expect(entries.map((e) => e.id)).toContain(id);
  });

  it.each(entries.map((p) => [p.id, p] as const))("%s: prose fits the conventions", (_id, p) => {
    const words = p.interview.answer.split(/\s+/).length;
    expect(words).toBeGreaterThanOrEqual(120);
    expect(words).toBeLessThanOrEqual(170);
    expect(p.interview.followUps).toHaveLength(3);
    expect(p.whenToUse.length).toBeGreaterThanOrEqual(2);
    expect(p.whenNotToUse.length).toBeGreaterThanOrEqual(2);
    expect(p.explanation).not.toMatch(/<[a-z]/i);
  });
});
