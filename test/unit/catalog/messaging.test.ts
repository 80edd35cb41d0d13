// The message-broker section's catalog entries and their four faces.
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as lab from "../../../src/lab/index";
import { challenges } from "../../../src/lab/challenges/index";
import { CATALOG, patternsOf } from "../../../src/catalog/index";

const root = join(__dirname, "../../..");

describe("messaging catalog entries", () => {
  const entries = patternsOf("messaging");

  it("has the six patterns, in teaching order", () => {
    expect(entries.map((e) => e.id)).toEqual(["kafka", "rabbitmq", "kafka-vs-rabbitmq", "at-most-once", "at-least-once", "exactly-once"]);
  });

  it.each(entries.map((e) => [e.id, e] as const))("%s has its snippet, diagram, notebook cell, challenge, exports and related ids", (_id, e) => {
    expect(e.snippet).toBe(`snippets/${e.id}.ts`);
    expect(e.diagram).toBe(`media/diagrams/${e.id}.mmd`);
    expect(existsSync(join(root, e.snippet))).toBe(true);
    expect(existsSync(join(root, e.diagram))).toBe(true);
    expect(readFileSync(join(root, e.snippet), "utf8").split("\n").length).toBeLessThanOrEqual(41);
    expect(e.notebook).toEqual({ file: "04-messaging.sdenb", cell: e.id });
    expect(readFileSync(join(root, "notebooks", e.notebook.file), "utf8")).toContain(`"id": "${e.id}"`);
    expect(Object.keys(challenges)).toContain(e.challenge);
    for (const name of e.exports) expect([name, name in lab]).toEqual([name, true]);
    for (const r of e.related) expect(CATALOG.some((p) => p.id === r)).toBe(true);
    const words = e.interview.answer.split(/\s+/).length;
    expect(words).toBeGreaterThanOrEqual(120);
    expect(words).toBeLessThanOrEqual(170);
    expect(e.interview.followUps).toHaveLength(3);
    expect(e.explanation).not.toMatch(/<[a-z]/i);
  });
});
