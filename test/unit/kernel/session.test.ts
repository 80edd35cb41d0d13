import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KernelSession } from "../../../src/kernel/host/session";
import { newSession, run, value, workspace } from "./helpers";

let k: KernelSession;
beforeAll(async () => {
  k = newSession();
  await k.start();
});
afterAll(() => k.dispose());

describe("cell semantics", () => {
  it("keeps top-level declarations of every kind across cells", async () => {
    await run(k, 'const a = 1;\nlet b: number = 2;\nvar c = 3;\nfunction f(x: number) { return x * 10; }\nclass P { n = 4 }\nenum E { X = 5 }\nconst { d, e: [g] } = { d: 6, e: [7] };');
    const r = await run(k, "[a, b, c, f(1), new P().n, E.X, d, g]");
    expect(JSON.parse(r.bundles[0]!["application/json"]!)).toEqual([1, 2, 3, 10, 4, 5, 6, 7]);
  });

  it("re-runs a declaring cell without 'already declared' errors, with the new values", async () => {
    const cell = "const total = 10;\nclass Box {}\nfunction twice(n: number) { return 2 * n; }";
    expect((await run(k, cell)).result.status).toBe("ok");
    expect((await run(k, cell.replace("10", "11"))).result.status).toBe("ok");
    expect(await value(k, "twice(total)")).toBe("22");
  });

  it("supports top-level await and finishes when the promise settles", async () => {
    const r = await run(k, "const waited = await new Promise<number>((r) => setTimeout(() => r(7), 60));\nwaited * 6");
    expect(r.shown).toEqual(["42"]);
    expect(r.result.status === "ok" && r.result.durationMs).toBeGreaterThanOrEqual(55);
  });

  it("displays the final expression like a REPL and nothing for undefined or a declaration", async () => {
    expect((await run(k, "'text'")).shown).toEqual(["'text'"]);
    expect((await run(k, "undefined")).shown).toEqual([]);
    expect((await run(k, "const q = 5")).shown).toEqual([]);
    expect((await run(k, "void 0;\n;")).shown).toEqual([]);
    const obj = await run(k, "({ a: 1, list: [1, 2] })");
    expect(JSON.parse(obj.bundles[0]!["application/json"]!)).toEqual({ a: 1, list: [1, 2] });
  });

  it("keeps one realm: instanceof and constructor identity hold for cell and library values", async () => {
    expect(await value(k, "[[] instanceof Array, ({}).constructor === Object, new Map() instanceof Map]")).toBe("[ true, true, true ]");
    expect(await value(k, 'import * as lab from "sde-lab";\nconst shown = lab.markdown("x");\n[Object.getPrototypeOf(shown) === Object.getPrototypeOf(lab.markdown("y")), typeof display]')).toBe(
      "[ true, 'function' ]",
    );
  });
});

describe("imports", () => {
  it("loads sde-lab, node: built-ins and packages of the notebook's workspace", async () => {
    expect(await value(k, 'import { mermaid } from "sde-lab";\nimport { join } from "node:path";\nimport greeter, { greet } from "greeter";\n[join("a", "b"), greet("lab"), greeter.greet === greet]')).toBe(
      "[ 'a/b', 'hello, lab', true ]",
    );
    const r = await run(k, 'mermaid("graph LR; A-->B")');
    expect(r.bundles[0]).toEqual({ "text/markdown": "```mermaid\ngraph LR; A-->B\n```", "text/plain": "graph LR; A-->B" });
  });

  it("loads an ES-module-only package", async () => {
    expect(await value(k, 'import shout, { answer } from "esm-only";\n[shout("hi"), answer]')).toBe("[ 'HI', 42 ]");
  });

  it("keeps an import used only by a later cell", async () => {
    await run(k, 'import { table } from "sde-lab";');
    expect(await value(k, "typeof table")).toBe("'function'");
  });

  it("names a missing export and a missing package", async () => {
    const missing = await run(k, 'import { nope } from "greeter";');
    expect(missing.result.status === "error" && missing.result.error.message).toBe("The module 'greeter' does not provide an export named 'nope'");
    const pkg = await run(k, 'import x from "not-installed-anywhere";');
    expect(pkg.result.status === "error" && pkg.result.error.name).toBe("PackageNotFoundError");
    expect(pkg.result.status === "error" && pkg.result.error.message).toBe(
      `The package 'not-installed-anywhere' is not installed: it was looked for in the notebook's folder (${workspace}) and the folders above it. ` +
        `Install it there with: cd "${workspace}" && npm install not-installed-anywhere`,
    );
    // Where the import is, in the cell; no kernel file names.
    const deep = await run(k, 'const before = 1;\nimport pad from "left-pad";', "Cell 7");
    expect(deep.result.status === "error" && deep.result.error.stack.split("\n").slice(1)).toEqual(["    at Cell 7:2:1"]);
    expect(deep.result.status === "error" && deep.result.error.message).toContain("npm install left-pad");
    const scoped = await run(k, 'import x from "@acme/tools/sub";');
    expect(scoped.result.status === "error" && scoped.result.error.message).toContain("npm install @acme/tools");
  });

  it("loads sde-lab's modules by subpath and names the ones there are for an unknown one", async () => {
    const r = await run(k, 'import * as sub from "sde-lab/nope";');
    expect(r.result.status === "error" && r.result.error.name).toBe("UnknownLabModuleError");
    expect(r.result.status === "error" && r.result.error.message).toMatch(/^'sde-lab\/nope' is not part of sde-lab\. Its modules are: 'sde-lab'/);
  });
});

describe("output", () => {
  it("streams console output in order, stdout and stderr apart, before the cell ends", async () => {
    const arrivals: { text: string; at: number }[] = [];
    const started = performance.now();
    const result = await k.execute('console.log("one");\nconsole.error("two");\nconsole.warn("three");\nawait new Promise((r) => setTimeout(r, 300));\nconsole.info("four");', {
      onOutput: (o) => o.type === "stream" && arrivals.push({ text: `${o.name}:${o.text}`, at: performance.now() - started }),
    });
    expect(result.status).toBe("ok");
    // Text written in one turn arrives as one batch per stream.
    expect(arrivals.map((a) => a.text)).toEqual(["stdout:one\n", "stderr:two\nthree\n", "stdout:four\n"]);
    const ended = result.durationMs;
    expect(ended - arrivals[0]!.at).toBeGreaterThan(200);
  });

  it("renders console.table and display() calls as they happen", async () => {
    const r = await run(k, 'console.table([{ a: 1 }]);\ndisplay.markdown("**bold**");\ndisplay.table([{ name: "x", n: 2 }]);\n"end"');
    expect(r.stdout).toContain("│ (index) │ a │");
    expect(r.bundles[0]).toEqual({ "text/markdown": "**bold**", "text/plain": "**bold**" });
    expect(r.bundles[1]!["text/markdown"]).toBe("| name | n |\n| --- | ---: |\n| x | 2 |");
    expect(r.shown.at(-1)).toBe("'end'");
  });

  it("reports an unhandled rejection on the cell that caused it", async () => {
    const r = await run(k, 'Promise.reject(new RangeError("lost"));\n"done"');
    expect(r.result.status).toBe("error");
    expect(r.result.status === "error" && r.result.error.message).toBe("Unhandled promise rejection: lost");
    expect(r.result.status === "error" && r.result.error.name).toBe("RangeError");
  });
});

describe("errors", () => {
  it("maps runtime errors to the cell's line and column, without kernel frames", async () => {
    const r = await run(k, 'const typed: { n: number } = { n: 1 };\nfunction inner(label: string): never {\n  throw new TypeError(`bad ${label}`);\n}\ninner("x" as string);', "Cell 4");
    expect(r.result.status).toBe("error");
    if (r.result.status !== "error") return;
    expect(r.result.error.name).toBe("TypeError");
    expect(r.result.error.stack.split("\n")).toEqual(["TypeError: bad x", "    at inner (Cell 4:3:9)", "    at Cell 4:5:1"]);
  });

  it("gives a syntax error's position in the cell", async () => {
    const r = await run(k, "const ok = 1;\nconst broken: number = ;", "Cell 5");
    expect(r.result.status === "error" && r.result.error.stack).toBe("SyntaxError: Unexpected token\n    at Cell 5:2:24");
    const js = await run(k, "let a = 1;\nlet a = 2;", "Cell 6");
    expect(r.result.status === "error" && js.result.status === "error" && js.result.error.stack).toMatch(/^SyntaxError: Identifier 'a' has already been declared\n {4}at Cell 6:2:/);
  });

  it("shows a thrown non-error value", async () => {
    const r = await run(k, 'throw { code: 7 }');
    expect(r.result.status === "error" && r.result.error).toEqual({ name: "Uncaught", message: "{ code: 7 }", stack: "Uncaught { code: 7 }" });
  });

  it("survives stack overflow as an ordinary error", async () => {
    const r = await run(k, "function down(n: number): number { return down(n + 1) + 1; }\ndown(0)");
    expect(r.result.status === "error" && r.result.error.message).toBe("Maximum call stack size exceeded");
    expect(await value(k, "1 + 1")).toBe("2");
  });
});
