import { describe, expect, it } from "vitest";
import { runInNewContext } from "node:vm";
import { toBundle } from "../../../src/kernel/process/display";
import { DISPLAY, bundle, json, markdown, mermaid, table } from "../../../src/lab/display";

describe("toBundle", () => {
  it("shows nothing for undefined and inspect text for other values", () => {
    expect(toBundle(undefined)).toBeUndefined();
    expect(toBundle(null)).toEqual({ "text/plain": "null" });
    expect(toBundle("s")).toEqual({ "text/plain": "'s'" });
    expect(toBundle(new Map([[1, 2]]))).toEqual({ "text/plain": "Map(1) { 1 => 2 }" });
  });

  it("adds JSON for plain data, from any realm", () => {
    expect(toBundle({ a: [1, 2] })).toEqual({ "application/json": '{\n  "a": [\n    1,\n    2\n  ]\n}', "text/plain": "{ a: [ 1, 2 ] }" });
    const foreign = runInNewContext("({ n: 1, list: [true] })") as object;
    expect(toBundle(foreign)!["application/json"]).toBe('{\n  "n": 1,\n  "list": [\n    true\n  ]\n}');
    class Point {
      x = 1;
    }
    expect(toBundle(new Point())).toEqual({ "text/plain": "Point { x: 1 }" });
  });

  it("uses a display hook, from any realm, and survives a throwing one", () => {
    expect(toBundle(markdown("**b**"))).toEqual({ "text/markdown": "**b**", "text/plain": "**b**" });
    const foreign = runInNewContext(`({ [Symbol.for("sde-lab.display")]() { return { "text/plain": "from another realm" }; } })`);
    expect(toBundle(foreign)).toEqual({ "text/plain": "from another realm" });
    const broken = { [DISPLAY]: () => { throw new Error("nope"); } };
    expect(toBundle(broken)!["text/plain"]).toContain("(its display hook threw: Error: nope)");
  });
});

describe("lab display helpers", () => {
  it("fences Mermaid longer than any backtick run inside", () => {
    expect(mermaid("graph LR\nA-->B")[DISPLAY]()["text/markdown"]).toBe("```mermaid\ngraph LR\nA-->B\n```");
    expect(mermaid("graph LR\nA[\"````\"]")[DISPLAY]()["text/markdown"]).toMatch(/^`{5}mermaid\n/);
  });

  it("renders tables as markdown (numbers right-aligned, pipes escaped) and text, without JSON that VS Code would prefer", () => {
    const t = table([
      { name: "a|b", n: 1.23456789 },
      { name: "c", n: 2 },
    ])[DISPLAY]();
    expect(t["text/markdown"]).toBe("| name | n |\n| --- | ---: |\n| a\\|b | 1.23457 |\n| c | 2 |");
    expect(t["text/plain"]).toBe("name  n\n----  -------\na|b   1.23457\nc     2");
    expect(Object.keys(t)).toEqual(["text/markdown", "text/plain"]);
  });

  it("escapes HTML in table cells so user text is never markup", () => {
    expect(table([{ v: "<img src=x onerror=alert(1)>" }])[DISPLAY]()["text/markdown"]).toContain("&lt;img src=x onerror=alert(1)>");
  });

  it("shows JSON of cyclic values and bundles as given", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(json(cyclic)[DISPLAY]()["application/json"]).toBe('{\n  "a": 1,\n  "self": "[Circular]"\n}');
    expect(bundle({ "text/plain": "x" })[DISPLAY]()).toEqual({ "text/plain": "x" });
  });
});
