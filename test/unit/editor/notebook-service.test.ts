import { describe, expect, it } from "vitest";
import { join } from "node:path";
import ts from "typescript";
import { NotebookLanguageService } from "../../../src/editor/notebook-service";

const root = join(__dirname, "../../..");
const NB = "/work/nb.sdenb";

function serviceWith(...texts: string[]) {
  const service = new NotebookLanguageService({ ts, labTypes: join(root, "dist/lab"), nodeTypeRoots: join(root, "node_modules/@types") });
  const cells = texts.map((text, i) => ({ key: `${NB}#c${i}`, text }));
  service.update(NB, cells);
  /** Diagnostics as "cell:line:col code message" (1-based line and column in the cell). */
  const problems = () =>
    service.diagnostics(NB).map((d) => {
      const text = cells.find((c) => c.key === d.cell)!.text;
      const before = text.slice(0, d.start).split("\n");
      return `${d.cell.slice(NB.length + 1)}:${before.length}:${before.at(-1)!.length + 1} ${d.code} ${d.message}`;
    });
  const at = (cell: number, marker: string, delta = 0) => {
    const offset = cells[cell]!.text.indexOf(marker);
    if (offset < 0) throw new Error(`no ${marker} in cell ${cell}`);
    return offset + delta;
  };
  const hover = (cell: number, marker: string) => ts.displayPartsToString(service.quickInfo(NB, `${NB}#c${cell}`, at(cell, marker))?.displayParts);
  const completions = (cell: number, offset: number) => service.completions(NB, `${NB}#c${cell}`, offset, {})?.entries.map((e) => e.name) ?? [];
  return { service, cells, problems, at, hover, completions };
}

describe("notebook language service: names across cells", () => {
  it("gives a later cell the inferred type of a name from an earlier cell", () => {
    const nb = serviceWith('import { Simulation } from "sde-lab";\nconst sim = new Simulation({ seed: 1 });', "sim.run");
    expect(nb.hover(1, "sim")).toBe("const sim: Simulation");
    expect(nb.problems()).toEqual([]);
  });

  it("offers Simulation's members after `sim.` in a later cell, once each", () => {
    const nb = serviceWith('import { Simulation } from "sde-lab";\nconst sim = new Simulation({ seed: 1 });', "sim.");
    const names = nb.completions(1, 4);
    expect(names).toEqual(expect.arrayContaining(["run", "runFor", "client", "service", "faults", "metrics", "network", "trace"]));
    expect(new Set(names).size).toBe(names.length);
  });

  it("a re-declared name takes the later type from its cell on, the earlier type before", () => {
    const nb = serviceWith("const value = 42;", "const before: number = value;", 'const value = "text";', "const after: string = value;");
    expect(nb.problems()).toEqual([]);
    expect(nb.hover(1, "value")).toBe("const value: 42");
    expect(nb.hover(3, "value;")).toBe('const value: "text"');
  });

  it("re-declared functions, classes and imports in later cells are not errors", () => {
    const nb = serviceWith(
      'import { Simulation, dist } from "sde-lab";\nfunction helper() { return 1; }\nclass Box { a = 1 }\nvar count = 1;',
      'import { Simulation } from "sde-lab";\nfunction helper() { return "s"; }\nclass Box { b = 2 }\nvar count = 2;\nconst s: string = helper();\nnew Box().b;\nnew Simulation({ seed: 2 });\ndist.constant(1);',
    );
    expect(nb.problems()).toEqual([]);
  });

  it("go-to-definition jumps to the declaring cell", () => {
    const nb = serviceWith("const x = 1;", "", "const y = x + 1;");
    const found = nb.service.definition(NB, `${NB}#c2`, nb.at(2, "x + 1"));
    expect(found?.definitions.map((d) => [d.cell, d.textSpan])).toEqual([[`${NB}#c0`, { start: 6, length: 1 }]]);
  });

  it("signature help works on a function from another cell", () => {
    const nb = serviceWith("function price(amount: number, taxRate: number) { return amount * (1 + taxRate); }", "price(10, ");
    const help = nb.service.signatureHelp(NB, `${NB}#c1`, 10);
    expect(help?.items[0]?.parameters.map((p) => ts.displayPartsToString(p.displayParts))).toEqual(["amount: number", "taxRate: number"]);
    expect(help?.argumentIndex).toBe(1);
  });

  it("hovers and completes sde-lab's bundled declarations", () => {
    const nb = serviceWith('import { mermaid } from "sde-lab";\nmermaid("graph LR; A-->B");');
    expect(nb.hover(0, 'mermaid("')).toBe("(alias) mermaid(source: string): Displayable\nimport mermaid");
    const docs = ts.displayPartsToString(nb.service.quickInfo(NB, `${NB}#c0`, nb.at(0, 'mermaid("'))?.documentation);
    expect(docs).toContain("Mermaid");
  });
});

describe("notebook language service: what the kernel allows is not flagged", () => {
  it.each([
    ["top-level await", ["const v = await Promise.resolve(1);\nfor await (const x of (async function* () { yield 1; })()) x;\nv"]],
    ["return at the top level of a cell", ["const n = 1;\nif (n > 0) return n;"]],
    ["the display global and console", ['display.markdown("**hi**");\nconsole.log(display.table([{ a: 1 }]));']],
    ["export keywords, which the kernel ignores", ["export const a = 1;\nexport function f() { return a; }\nexport default f;\nexport { a as b };", "f() + a"]],
    ["node: modules", ['import { createHash } from "node:crypto";\nimport * as path from "node:path";\ncreateHash("sha256").update(path.join("a", "b")).digest("hex");']],
    ["a name used before its cell (it is the later declaration that ran last)", ["const early = 1;", "early + 1"]],
    ["types and interfaces across cells", ["interface Row { id: number }\ntype Id = Row['id'];", "const r: Row = { id: 1 };\nconst i: Id = r.id;"]],
    ["an empty notebook and empty cells", ["", "  \n"]],
    ["implicit any, as in a loose .ts file", ["const out = [];\nfor (let i = 0; i < 3; i++) out.push(i);\nconst read = () => out;\nfunction f(x) { return x; }\nconst counts = {};\ncounts['a'];", "const n: number[] = out;\ntry { f(1); } catch (e) { e.message; }\nclass Box { size: number }"]],
    ["sde-lab subpath bundles", ['import { defineChallenge, DEFAULT_SEEDS } from "sde-lab/challenges";\nimport * as scenarios from "sde-lab/scenarios";\nconst seeds: readonly number[] = DEFAULT_SEEDS;\ndefineChallenge;\nscenarios;']],
    ["declare statements and namespaces", ["declare const injected: number;\nnamespace Units { export const ms = 1; }", "const a: number = injected + Units.ms;"]],
    ["a later cell re-declaring a name from its old value", ["let count = 1;\nconst items = [1];", "const count = count + 1;\nconst items = [...items, 2];\nconst doubled: number = count * 2;"]],
  ])("%s", (_name, texts) => {
    expect(serviceWith(...texts).problems()).toEqual([]);
  });
});

describe("notebook language service: real errors on their cell and line", () => {
  it("flags a type error, an undeclared name and a bad import at their cell positions", () => {
    const nb = serviceWith(
      'import { Simulation } from "sde-lab";',
      'const ok = 1;\nconst n: number = "a";',
      "ok + 1;\n\n  undeclaredName + 1;",
      'import { nope } from "sde-lab";',
      'import { thing } from "no-such-package";',
    );
    expect(nb.problems()).toEqual([
      "c1:2:7 2322 Type 'string' is not assignable to type 'number'.",
      "c2:3:3 2304 Cannot find name 'undeclaredName'.",
      `c3:1:10 2305 Module '"sde-lab"' has no exported member 'nope'.`,
      "c4:1:23 2307 Cannot find module 'no-such-package' or its corresponding type declarations.",
    ]);
  });

  it("flags a name read in its own initializer when no cell above declares it", () => {
    const nb = serviceWith("const other = 1;", "const fresh = fresh + other;");
    expect(nb.problems()).toEqual(["c1:1:15 2448 Block-scoped variable 'fresh' used before its declaration."]);
  });

  it("flags a name used in a cell above the one that declares it", () => {
    const nb = serviceWith("later + 1;", "const later = 1;");
    expect(nb.problems()).toEqual(["c0:1:1 2304 Cannot find name 'later'."]);
  });

  it("flags a member that does not exist on a type from another cell", () => {
    const nb = serviceWith('import { Simulation } from "sde-lab";\nconst sim = new Simulation({ seed: 1 });', "sim.runn();");
    expect(nb.problems()).toEqual([expect.stringMatching(/^c1:1:5 2551 Property 'runn' does not exist on type 'Simulation'/)]);
  });

  it("a syntax error stays in its cell: later cells keep their names and types", () => {
    const nb = serviceWith("const a = 1;", "const broken = `unterminated", "const b: number = a;\nconst c: string = b;");
    const problems = nb.problems();
    expect(problems[0]).toMatch(/^c1:1:\d+ 1160 Unterminated template literal/);
    expect(problems.slice(1)).toEqual(["c2:2:7 2322 Type 'number' is not assignable to type 'string'."]);
  });

  it("completes in a half-typed cell (`sim.` does not parse yet)", () => {
    const nb = serviceWith('import { Simulation } from "sde-lab";\nconst sim = new Simulation({ seed: 1 });', "const t = 1;\nsim.\nconst u = t;");
    expect(nb.completions(1, nb.at(1, "sim.", 4))).toContain("runUntil");
    expect(nb.problems()).toEqual(["c1:2:5 1003 Identifier expected."]);
  });
});

describe("notebook language service: edits, moves and deletes", () => {
  it("follows the notebook order it is given", () => {
    const nb = serviceWith("const x = 1;", "x + 1;");
    expect(nb.problems()).toEqual([]);
    // The user moves the cell that uses x above the one that declares it.
    nb.service.update(NB, [nb.cells[1]!, nb.cells[0]!]);
    expect(nb.problems()).toEqual(["c1:1:1 2304 Cannot find name 'x'."]);
  });

  it("a deleted cell's names are gone", () => {
    const nb = serviceWith("const x = 1;", "x + 1;");
    nb.service.update(NB, [nb.cells[1]!]);
    expect(nb.problems()).toEqual(["c1:1:1 2304 Cannot find name 'x'."]);
  });

  it("an edited cell changes the types seen below it", () => {
    const nb = serviceWith("const x = 1;", "const y: number = x;");
    nb.service.update(NB, [{ ...nb.cells[0]!, text: 'const x = "now a string";' }, nb.cells[1]!]);
    expect(nb.problems()).toEqual(["c1:1:7 2322 Type 'string' is not assignable to type 'number'."]);
  });

  it("notebooks do not see each other's names", () => {
    const nb = serviceWith("const shared = 1;");
    nb.service.update("/work/other.sdenb", [{ key: "/work/other.sdenb#c0", text: "shared;" }]);
    expect(nb.service.diagnostics("/work/other.sdenb").map((d) => d.code)).toEqual([2304]);
    nb.service.remove("/work/other.sdenb");
    expect(nb.service.diagnostics("/work/other.sdenb")).toEqual([]);
  });
});

describe("notebook language service: workspace packages", () => {
  it("imports a package installed beside the notebook (untyped: any) and flags one that is not", () => {
    const dir = join(root, "test/fixtures/workspace");
    const service = new NotebookLanguageService({ ts, labTypes: join(root, "dist/lab"), nodeTypeRoots: join(root, "node_modules/@types") });
    const nb = `${dir}/packages.sdenb`;
    service.update(nb, [
      { key: `${nb}#0`, text: 'import greeter from "greeter";\ngreeter;' },
      { key: `${nb}#1`, text: 'import missing from "not-installed-anywhere";' },
      { key: `${nb}#2`, text: 'import { nothing } from "sde-lab/no-such-bundle";' },
    ]);
    expect(service.diagnostics(nb).map((d) => [d.cell.slice(nb.length + 1), d.code])).toEqual([
      ["1", 2307],
      ["2", 2307],
    ]);
  });
});

describe("notebook language service: semantic colouring", () => {
  it("colours a name from an earlier cell as what it is, at its cell offset", () => {
    const nb = serviceWith('import { Simulation } from "sde-lab";\nconst sim = new Simulation({ seed: 1 });', "const t = 1;\nsim.run;");
    const { spans } = nb.service.classifications(NB, `${NB}#c1`, { start: 0, length: nb.cells[1]!.text.length }, ts.SemanticClassificationFormat.TwentyTwenty);
    const triples = [];
    for (let i = 0; i < spans.length; i += 3) triples.push([nb.cells[1]!.text.slice(spans[i], spans[i]! + spans[i + 1]!), (spans[i + 2]! >> 8) - 1]);
    // 2020 format: (token type + 1) in the high bits; `sim` is a variable (7), `run` a method (11).
    expect(triples.map(([text]) => text)).toEqual(["t", "sim", "run"]);
    expect(triples.map(([, type]) => type)).toEqual([7, 7, 11]);
  });
});
