import { describe, expect, it } from "vitest";
import { cellKeyOfFileName, cellKeyOfUri, compareByCreation, notebookOfKey } from "../../../src/editor/cell-keys";

describe("cell keys", () => {
  it("the tsserver file name and the document URI of a cell give the same key", () => {
    const key = cellKeyOfUri({ path: "/work/my notes.sdenb", fragment: "W0sZmlsZQ==" });
    expect(cellKeyOfFileName("^/vscode-notebook-cell/ts-nul-authority/work/my notes.sdenb#W0sZmlsZQ==")).toBe(key);
    expect(cellKeyOfFileName("/vscode-notebook-cell/ts-nul-authority/work/my notes.sdenb#W0sZmlsZQ==")).toBe(key);
    expect(notebookOfKey(key)).toBe("/work/my notes.sdenb");
  });

  it("only SDE Lab notebooks' cells have keys", () => {
    expect(cellKeyOfFileName("^/vscode-notebook-cell/ts-nul-authority/work/a.ipynb#W0sZmlsZQ==")).toBeUndefined();
    expect(cellKeyOfFileName("/work/a.sdenb.ts")).toBeUndefined();
  });

  it("orders cells by the handle VS Code gave them", () => {
    const keys = ["/n.sdenb#X10sZmlsZQ==", "/n.sdenb#W6sZmlsZQ==", "/n.sdenb#W0sZmlsZQ=="];
    expect([...keys].sort(compareByCreation)).toEqual(["/n.sdenb#W0sZmlsZQ==", "/n.sdenb#W6sZmlsZQ==", "/n.sdenb#X10sZmlsZQ=="]);
  });
});
