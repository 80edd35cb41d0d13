import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
// @ts-expect-error plain .mjs script, no declarations
import * as workcopy from "../../../scripts/workcopy.mjs";

interface SyncResult {
  created: boolean;
  copied: string[];
  updated: string[];
  kept: { name: string; shipped: string }[];
}
const sync = workcopy.syncWorkingCopy as (shipped: string, work: string) => SyncResult;
const workingCopyDir = workcopy.workingCopyDir as (env: Record<string, string | undefined>) => string;

const notebook = (sources: string[], outputs: string[] = []) =>
  JSON.stringify({
    format: "sde-notebook",
    version: 1,
    cells: sources.map((s, i) => ({ kind: "code", language: "typescript", source: [s], outputs: outputs[i] ? [{ items: [{ mime: "text/plain", data: outputs[i] }] }] : [] })),
  });

let shipped: string;
let work: string;
beforeEach(() => {
  const base = mkdtempSync(join(tmpdir(), "sde-workcopy-"));
  shipped = join(base, "notebooks");
  work = join(base, "cache", "notebooks");
  mkdirSync(shipped);
  writeFileSync(join(shipped, "00-welcome.sdenb"), notebook(["1 + 1"]));
  writeFileSync(join(shipped, "notes.md"), "not a notebook");
});

describe("working copy of the shipped notebooks", () => {
  it("copies the notebooks on the first start, and only notebooks", () => {
    const r = sync(shipped, work);
    expect(r).toEqual({ created: true, copied: ["00-welcome.sdenb"], updated: [], kept: [] });
    expect(readFileSync(join(work, "00-welcome.sdenb"), "utf8")).toBe(notebook(["1 + 1"]));
    expect(readdirSync(work)).toEqual(["00-welcome.sdenb"]);
    expect(existsSync(`${work}.shipped.json`)).toBe(true);
    expect(sync(shipped, work)).toEqual({ created: false, copied: [], updated: [], kept: [] });
  });

  it("refreshes a notebook the learner only ran (outputs are not edits) when the shipped one changes", () => {
    sync(shipped, work);
    writeFileSync(join(work, "00-welcome.sdenb"), notebook(["1 + 1"], ["2"]));
    writeFileSync(join(shipped, "00-welcome.sdenb"), notebook(["1 + 2"]));
    expect(sync(shipped, work).updated).toEqual(["00-welcome.sdenb"]);
    expect(readFileSync(join(work, "00-welcome.sdenb"), "utf8")).toBe(notebook(["1 + 2"]));
  });

  it("never overwrites the learner's edits; the new shipped version goes next to them", () => {
    sync(shipped, work);
    const mine = notebook(["1 + 1", "const mine = 42"]);
    writeFileSync(join(work, "00-welcome.sdenb"), mine);
    writeFileSync(join(shipped, "00-welcome.sdenb"), notebook(["1 + 3"]));
    expect(sync(shipped, work).kept).toEqual([{ name: "00-welcome.sdenb", shipped: "00-welcome.shipped.sdenb" }]);
    expect(readFileSync(join(work, "00-welcome.sdenb"), "utf8")).toBe(mine);
    expect(readFileSync(join(work, "00-welcome.shipped.sdenb"), "utf8")).toBe(notebook(["1 + 3"]));
    // Reported once per shipped change, and the edits stay on later starts.
    expect(sync(shipped, work)).toEqual({ created: false, copied: [], updated: [], kept: [] });
    expect(readFileSync(join(work, "00-welcome.sdenb"), "utf8")).toBe(mine);
  });

  it("treats a file the learner broke as edited", () => {
    sync(shipped, work);
    writeFileSync(join(work, "00-welcome.sdenb"), "{ not json");
    writeFileSync(join(shipped, "00-welcome.sdenb"), notebook(["2 + 2"]));
    expect(sync(shipped, work).kept.map((k) => k.name)).toEqual(["00-welcome.sdenb"]);
    expect(readFileSync(join(work, "00-welcome.sdenb"), "utf8")).toBe("{ not json");
  });

  it("lives in the user's cache unless SDE_LAB_NOTEBOOKS says otherwise", () => {
    expect(workingCopyDir({ SDE_LAB_NOTEBOOKS: "/x/nb" })).toBe("/x/nb");
    if (process.platform === "linux") expect(workingCopyDir({ XDG_CACHE_HOME: "/c" })).toBe("/c/sde-lab/notebooks");
  });
});
