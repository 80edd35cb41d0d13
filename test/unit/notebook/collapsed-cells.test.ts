// `collapsed: true` cell metadata: kept through the serializer byte for byte, and turned into
// the cell ranges VS Code's collapse command takes.
import { describe, expect, it, vi } from "vitest";
import { SdeNotebookSerializer } from "../../../src/notebook/serializer";
import { collapsedRanges } from "../../../src/notebook/collapsed-cells";

const cell = (id: string, collapsed?: boolean) => ({ id, kind: "markdown", language: "markdown", source: [`${id}`], metadata: collapsed === undefined ? {} : { collapsed } });
const file = (cells: object[]) => `${JSON.stringify({ format: "sde-notebook", version: 1, metadata: {}, cells }, null, 2)}\n`;

describe("collapsed cells", () => {
  const s = new SdeNotebookSerializer({ saveOutputs: () => true, showError: vi.fn() });
  const text = file([cell("challenge"), cell("hint-1", true), cell("hint-2", true), cell("check", false), cell("hint-3", true)]);
  const data = s.deserializeNotebook(new TextEncoder().encode(text));

  it("round-trip the collapsed flag through VS Code's notebook data unchanged", () => {
    expect(new TextDecoder().decode(s.serializeNotebook(data))).toBe(text);
  });

  it("collapse exactly the cells marked collapsed: true, as merged ranges", () => {
    expect(collapsedRanges(data.cells)).toEqual([
      { start: 1, end: 3 },
      { start: 4, end: 5 },
    ]);
    expect(collapsedRanges([])).toEqual([]);
  });
});
