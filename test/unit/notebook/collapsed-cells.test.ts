// `collapsed: true` cell metadata: kept through the serializer byte for byte, turned into the
// cell ranges VS Code's collapse command takes, and sent once per notebook, only when an editor
// has laid out its cells (before that the command finds no cells and collapses nothing).
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { EventEmitter } from "vscode";
import { NOTEBOOK_TYPE, SdeNotebookSerializer } from "../../../src/notebook/serializer";
import { collapsedRanges, watchCollapsedCells, type CollapseEditor, type CollapseHost } from "../../../src/notebook/collapsed-cells";

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

describe("shipped notebooks' hint cells", () => {
  const s = new SdeNotebookSerializer({ saveOutputs: () => true, showError: vi.fn() });
  const dir = join(__dirname, "../../../notebooks");
  const files = readdirSync(dir).filter((f) => f.endsWith(".sdenb"));

  it.each(files)("%s: every <id>-hint-N cell and nothing else starts collapsed; the file round-trips byte for byte", (file) => {
    const bytes = readFileSync(join(dir, file));
    const data = s.deserializeNotebook(bytes);
    const ids = data.cells.map((c) => (c.metadata?.sdeLab as { id?: string } | undefined)?.id ?? "");
    const collapsed = collapsedRanges(data.cells).flatMap((r) => ids.slice(r.start, r.end));
    expect(collapsed).toEqual(ids.filter((id) => /-hint(-\d)?$/.test(id)));
    if (file !== "00-welcome.sdenb") expect(collapsed.length).toBeGreaterThanOrEqual(3);
    expect(new TextDecoder().decode(s.serializeNotebook(data))).toBe(bytes.toString("utf8"));
  });
});

describe("watchCollapsedCells", () => {
  const s = new SdeNotebookSerializer({ saveOutputs: () => true, showError: vi.fn() });
  const cells = s.deserializeNotebook(new TextEncoder().encode(file([cell("challenge"), cell("hint-1", true), cell("hint-2", true)]))).cells;
  const document = (name: string, type = NOTEBOOK_TYPE, withHints = true) => ({
    notebookType: type,
    uri: { path: `/w/${name}.sdenb` } as never,
    getCells: () => (withHints ? cells : cells.slice(0, 1)) as never,
  });
  const setup = (visible: CollapseEditor[] = []) => {
    const shown = new EventEmitter<readonly CollapseEditor[]>();
    const ranges = new EventEmitter<{ notebookEditor: CollapseEditor }>();
    const sent: unknown[][] = [];
    const host: CollapseHost = {
      visibleNotebookEditors: visible,
      onDidChangeVisibleNotebookEditors: shown.event as never,
      onDidChangeNotebookEditorVisibleRanges: ranges.event as never,
      executeCommand: async (...args) => void sent.push(args),
    };
    return { watch: watchCollapsedCells(host), shown, ranges, sent };
  };
  const laidOut = [{ start: 0, end: 3 }];

  it("waits for the editor to lay out cells, then collapses the marked ones once per notebook", () => {
    const { shown, ranges, sent, watch } = setup();
    const nb = document("a");
    const editor = { notebook: nb, visibleRanges: [] as unknown[] };
    shown.fire([editor]);
    expect(sent).toEqual([]); // visible, but its list has no cells yet: the command would collapse nothing
    editor.visibleRanges = laidOut;
    ranges.fire({ notebookEditor: editor });
    expect(sent).toEqual([["notebook.cell.collapseCellInput", { ranges: [{ start: 1, end: 3 }], document: nb.uri }]]);
    // Scrolling, a second editor on the same notebook, or coming back to its tab: the learner's
    // expanded hints stay as they are.
    ranges.fire({ notebookEditor: editor });
    shown.fire([{ notebook: nb, visibleRanges: laidOut }]);
    expect(sent).toHaveLength(1);
    // Reopened (a new document): collapsed again.
    ranges.fire({ notebookEditor: { notebook: document("a"), visibleRanges: laidOut } });
    expect(sent).toHaveLength(2);
    watch.dispose();
    ranges.fire({ notebookEditor: { notebook: document("b"), visibleRanges: laidOut } });
    expect(sent).toHaveLength(2);
  });

  it("collapses an editor already laid out when it starts; leaves other notebook types and notebooks without hints alone", () => {
    const nb = document("c");
    const { ranges, sent } = setup([{ notebook: nb, visibleRanges: laidOut }]);
    expect(sent).toEqual([["notebook.cell.collapseCellInput", { ranges: [{ start: 1, end: 3 }], document: nb.uri }]]);
    ranges.fire({ notebookEditor: { notebook: document("d", "jupyter-notebook"), visibleRanges: laidOut } });
    ranges.fire({ notebookEditor: { notebook: document("e", NOTEBOOK_TYPE, false), visibleRanges: laidOut } });
    expect(sent).toHaveLength(1);
  });
});
