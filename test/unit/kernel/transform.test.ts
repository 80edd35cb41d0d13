import { describe, expect, it } from "vitest";
import { CellSyntaxError, alignColumn, transformCell } from "../../../src/kernel/process/transform";

describe("transformCell", () => {
  it("hoists every top-level name and keeps the cell's lines on their lines", () => {
    const cell = transformCell('import def, { a as b } from "m";\nconst x: number = 1, { y } = o;\nlet z;\nclass K {}\nfunction f() {}\nexport const e = 2;\nx + y');
    expect(cell.declared).toEqual(["def", "b", "x", "y", "z", "K", "f", "e"]);
    expect(cell.hasResult).toBe(true);
    const lines = cell.code.split("\n");
    expect(lines).toHaveLength(8);
    expect(lines[0]!.startsWith('var def, b, x, y, z, K, f, e; (async () => { "use strict"; globalThis["f"] = f; ;const __sde_m0 = await __sde.import("m");')).toBe(true);
    expect(lines[1]).toBe(";(x = 1, { y } = o);");
    expect(lines[2]).toBe(";(z = undefined);");
    expect(lines[3]).toBe(";K = class K {};");
    expect(lines[6]).toBe(";return (x + y)");
    expect(lines[7]).toBe("})()");
  });

  it("leaves a var without initializer alone (re-running keeps its value)", () => {
    expect(transformCell("var kept;").code).toContain(";(kept);");
  });

  it("has no result when the cell ends in a declaration or a block", () => {
    expect(transformCell("const a = 1").hasResult).toBe(false);
    expect(transformCell("if (a) { a }").hasResult).toBe(false);
    expect(transformCell("").hasResult).toBe(false);
  });

  it("wraps a parenthesised final expression whole", () => {
    expect(transformCell("({ a: 1 });").code).toContain(";return (({ a: 1 }));");
  });

  it("guards against a previous line without a semicolon", () => {
    const code = transformCell("f()\nconst x = 1\nx").code;
    // `f()\n(x = 1)` would call the result of f(); the leading ';' prevents that.
    expect(code).toContain("f()\n;(x = 1)\n;return (x)");
  });

  it("reports TypeScript and JavaScript syntax errors at their cell position", () => {
    expect(() => transformCell("const a: = 1;")).toThrow(new CellSyntaxError("Unexpected token", 1, 10));
    expect(() => transformCell("let a = 1;\nlet a = 2;")).toThrow(new CellSyntaxError("Identifier 'a' has already been declared", 2, 5));
  });

  it("maps generated positions back to the cell, across removed types", () => {
    const cell = transformCell("const list: Map<string, number> = new Map(), total: number = 3;\nthrowIt(total as number);");
    const generated = cell.code.split("\n");
    const at = (line: number, text: string) => cell.originalPosition(line, generated[line - 1]!.indexOf(text));
    expect(at(1, "total = 3")).toEqual({ line: 1, column: "const list: Map<string, number> = new Map(), ".length + 1 });
    expect(at(2, "throwIt")).toEqual({ line: 2, column: 1 });
  });
});

describe("alignColumn", () => {
  it("is the identity for lines that had no types", () => {
    expect(alignColumn("a + b", "a + b", 4)).toBe(4);
  });

  it("matches identifiers as whole words so a removed type cannot capture them", () => {
    const original = "let m: Map<string, number>, mm = 2;";
    const stripped = "let m, mm = 2;";
    expect(alignColumn(stripped, original, stripped.indexOf("mm"))).toBe(original.indexOf("mm"));
    expect(alignColumn(stripped, original, stripped.indexOf("2"))).toBe(original.indexOf("2"));
  });
});
