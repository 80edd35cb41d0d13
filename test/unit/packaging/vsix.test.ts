import { describe, expect, it } from "vitest";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import yauzl from "yauzl";

const root = join(__dirname, "../../..");
const vsixPath = join(root, "sde-lab.vsix");

function listEntries(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error("cannot open VSIX"));
      const names: string[] = [];
      zip.on("entry", (entry: yauzl.Entry) => {
        names.push(entry.fileName);
        zip.readEntry();
      });
      zip.on("end", () => resolve(names));
      zip.on("error", reject);
      zip.readEntry();
    });
  });
}

function filesUnder(dir: string): string[] {
  if (!existsSync(join(root, dir))) return [];
  return readdirSync(join(root, dir), { recursive: true })
    .map((f) => join(dir, String(f)))
    .filter((f) => statSync(join(root, f)).isFile())
    .map((f) => relative(root, join(root, f)).split("\\").join("/"));
}

describe("the packaged VSIX", async () => {
  if (!existsSync(vsixPath)) throw new Error("sde-lab.vsix is missing: run `npm run package` first (`npm test` does)");
  const entries = await listEntries(vsixPath);
  const shipped = new Set(entries.filter((e) => e.startsWith("extension/")).map((e) => e.slice("extension/".length)));
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    main: string;
    bin: Record<string, string>;
    contributes: { typescriptServerPlugins: unknown };
  };

  it("holds the extension bundle named by package.json main, with its source map", () => {
    const main = pkg.main.replace(/^\.\//, "");
    expect(shipped.has(main)).toBe(true);
    expect(shipped.has(`${main}.map`)).toBe(true);
  });

  it("holds the headless runner named by package.json bin", () => {
    expect(shipped.has(pkg.bin["sde-lab"]!.replace(/^\.\//, ""))).toBe(true);
  });

  it("holds every bundle the build produced", () => {
    const built = filesUnder("dist");
    expect(built.length).toBeGreaterThan(0);
    for (const file of built) expect(shipped, file).toContain(file);
  });

  it("holds README, LICENSE and package.json", () => {
    expect(shipped.has("readme.md") || shipped.has("README.md")).toBe(true);
    expect(shipped.has("LICENSE.txt") || shipped.has("LICENSE")).toBe(true);
    expect(shipped.has("package.json")).toBe(true);
  });

  it("holds every folder the extension reads at run time", () => {
    for (const dir of ["notebooks", "media", "snippets", "schemas"]) {
      for (const file of filesUnder(dir)) expect(shipped, file).toContain(file);
    }
    expect(shipped.has("schemas/sdenb.schema.json")).toBe(true);
  });

  it("holds the TypeScript plugin where tsserver looks for it, and no other package", () => {
    const modules = [...shipped].filter((f) => f.startsWith("node_modules/")).sort();
    expect(modules).toEqual(["node_modules/sde-lab-ts-plugin/index.js", "node_modules/sde-lab-ts-plugin/package.json"]);
    expect(pkg.contributes.typescriptServerPlugins).toEqual([{ name: "sde-lab-ts-plugin", enableForWorkspaceTypeScriptVersions: true }]);
  });

  it("ships nothing from src/, test/, bench/ or scripts/", () => {
    // snippets/<id>.ts ship on purpose: Insert Pattern Snippet reads them at run time.
    const leaked = [...shipped].filter((f) => /^(src|test|bench|scripts|packages|\.vscode-test)\//.test(f) || (f.endsWith(".ts") && !f.endsWith(".d.ts") && !f.startsWith("snippets/")));
    expect(leaked).toEqual([]);
  });
});
