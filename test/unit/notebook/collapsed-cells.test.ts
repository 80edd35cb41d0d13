// `collapsed: true` cell metadata: kept through the serializer byte for byte, turned into the
// cell ranges VS Code's collapse command takes, and sent once per notebook, only when an editor
// has laid out its cells (before that the command finds no cells and collapses nothing).
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { EventEmitter } from "vscode";
import { NOTEBOOK_TYPE, SdeNotebookSerializer } from "../../../src/notebook/serializer";
import { collapsedRanges, SCROLL_THROTTLE_MS, SETTLE_EVERY_MS, SETTLE_FOR_MS, watchCollapsedCells, type CellRange, type CollapseEditor, type CollapseHost } from "../../../src/notebook/collapsed-cells";

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
  // challenge, hint-1, hint-2, other, hint-3
  const cells = s.deserializeNotebook(new TextEncoder().encode(file([cell("challenge"), cell("hint-1", true), cell("hint-2", true), cell("other"), cell("hint-3", true)]))).cells;
  const document = (name: string, type = NOTEBOOK_TYPE, withHints = true) => ({
    notebookType: type,
    uri: { path: `/w/${name}.sdenb` } as never,
    getCells: () => (withHints ? cells : cells.slice(0, 1)) as never,
  });
  type Editor = { notebook: ReturnType<typeof document>; visibleRanges: CellRange[] };
  const setup = (visible: CollapseEditor[] = []) => {
    // Editors the tests scroll count as visible (shown) unless a test hides them.
    const shown = new EventEmitter<readonly CollapseEditor[]>();
    const ranges = new EventEmitter<{ notebookEditor: CollapseEditor }>();
    const selection = new EventEmitter<{ notebookEditor: CollapseEditor; selections: readonly CellRange[] }>();
    const sent: CellRange[][] = [];
    let clock = 0;
    let timers: { at: number; run: () => void }[] = [];
    const host: CollapseHost = {
      visibleNotebookEditors: visible,
      onDidChangeVisibleNotebookEditors: shown.event as never,
      onDidChangeNotebookEditorVisibleRanges: ranges.event as never,
      onDidChangeNotebookEditorSelection: selection.event as never,
      executeCommand: async (command, arg) => {
        expect(command).toBe("notebook.cell.collapseCellInput");
        sent.push(arg.ranges);
      },
      setTimeout: (run, ms) => {
        const timer = { at: clock + ms, run };
        timers.push(timer);
        return { dispose: () => (timers = timers.filter((t) => t !== timer)) };
      },
      now: () => clock,
    };
    /** Moves the clock, firing the timers that come due. */
    const advance = (ms: number) => {
      clock += ms;
      const due = timers.filter((t) => t.at <= clock);
      timers = timers.filter((t) => t.at > clock);
      due.forEach((t) => t.run());
    };
    const scroll = (editor: Editor, to: CellRange[], ms = 0) => {
      clock += ms;
      editor.visibleRanges = to;
      if (!visible.includes(editor)) visible.push(editor);
      ranges.fire({ notebookEditor: editor });
    };
    const hide = (editor: Editor) => visible.splice(visible.indexOf(editor), 1);
    return { watch: watchCollapsedCells(host), shown, scroll, hide, selection, sent, advance, pending: () => timers.length };
  };
  const all = [{ start: 0, end: 5 }];

  it("waits for the editor to lay out cells, then collapses every marked cell; scrolling does not repeat it within the throttle", () => {
    const { shown, scroll, sent } = setup();
    const editor: Editor = { notebook: document("a"), visibleRanges: [] };
    shown.fire([editor]);
    expect(sent).toEqual([]); // visible, but its list has no cells yet: the command would collapse nothing
    scroll(editor, [{ start: 0, end: 2 }]);
    expect(sent).toEqual([[{ start: 1, end: 3 }, { start: 4, end: 5 }]]);
    scroll(editor, all, SCROLL_THROTTLE_MS - 1);
    expect(sent).toHaveLength(1);
  });

  it("collapses again, while the editor settles and on scrolling, only the hints in view the learner never selected", () => {
    const { scroll, selection, sent, advance, watch, pending } = setup();
    const editor: Editor = { notebook: document("a"), visibleRanges: [] };
    scroll(editor, [{ start: 0, end: 3 }]);
    expect(sent).toHaveLength(1);
    advance(SETTLE_EVERY_MS);
    expect(sent[1]).toEqual([{ start: 1, end: 3 }]); // hint-3 is not in view
    // The learner clicks hint-1 (selecting it) and expands it: never collapsed again.
    selection.fire({ notebookEditor: editor, selections: [{ start: 1, end: 2 }] });
    scroll(editor, all, SCROLL_THROTTLE_MS);
    expect(sent[2]).toEqual([{ start: 2, end: 3 }, { start: 4, end: 5 }]);
    scroll(editor, all, SCROLL_THROTTLE_MS / 2); // throttled
    expect(sent).toHaveLength(3);
    for (let t = 0; t < SETTLE_FOR_MS; t += SETTLE_EVERY_MS) advance(SETTLE_EVERY_MS);
    // About one every SETTLE_EVERY_MS for SETTLE_FOR_MS (the fake clock drifts a little), then none.
    expect(sent.length - 3).toBeGreaterThanOrEqual(SETTLE_FOR_MS / SETTLE_EVERY_MS - 3);
    expect(sent.length - 3).toBeLessThanOrEqual(SETTLE_FOR_MS / SETTLE_EVERY_MS);
    expect(sent.slice(3).every((r) => JSON.stringify(r) === JSON.stringify([{ start: 2, end: 3 }, { start: 4, end: 5 }]))).toBe(true);
    expect(pending()).toBe(0);
    const before = sent.length;
    watch.dispose();
    scroll(editor, all, SCROLL_THROTTLE_MS);
    scroll({ notebook: document("b"), visibleRanges: [] }, all);
    expect(sent).toHaveLength(before);
  });

  it("collapses again only while an editor shows the notebook (VS Code's command would act on the active editor's notebook)", () => {
    const { scroll, hide, sent, advance } = setup();
    const editor: Editor = { notebook: document("a"), visibleRanges: [] };
    scroll(editor, all);
    advance(SETTLE_EVERY_MS);
    expect(sent).toHaveLength(2);
    hide(editor);
    advance(SETTLE_EVERY_MS);
    advance(SETTLE_EVERY_MS);
    expect(sent).toHaveLength(2);
  });

  it("collapses a reopened notebook (a new document) from the start again; disposing cancels pending re-collapses", () => {
    const { scroll, sent, advance, watch, pending } = setup();
    scroll({ notebook: document("a"), visibleRanges: [] }, all);
    scroll({ notebook: document("a"), visibleRanges: [] }, all);
    expect(sent).toHaveLength(2);
    expect(pending()).toBe(2);
    watch.dispose();
    expect(pending()).toBe(0);
    advance(60_000);
    expect(sent).toHaveLength(2);
  });

  it("collapses an editor already laid out when it starts; leaves other notebook types and notebooks without hints alone", () => {
    const nb = document("c");
    const { scroll, sent, pending } = setup([{ notebook: nb, visibleRanges: all }]);
    expect(sent).toEqual([[{ start: 1, end: 3 }, { start: 4, end: 5 }]]);
    scroll({ notebook: document("d", "jupyter-notebook"), visibleRanges: [] }, all);
    scroll({ notebook: document("e", NOTEBOOK_TYPE, false), visibleRanges: [] }, all);
    expect(sent).toHaveLength(1);
    expect(pending()).toBe(1);
  });
});
