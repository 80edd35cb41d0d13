import { describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import yauzl from "yauzl";
import { listEntries, root, vsixPath } from "./vsix-file";
import { KernelSession } from "../../../src/kernel/host/session";

function filesUnder(dir: string): string[] {
  if (!existsSync(join(root, dir))) return [];
  return readdirSync(join(root, dir), { recursive: true })
    .map((f) => join(dir, String(f)))
    .filter((f) => statSync(join(root, f)).isFile())
    .map((f) => relative(root, join(root, f)).split("\\").join("/"));
}

/** Writes the VSIX's `extension/dist/` files under `into` (the minified build as it ships). */
function extractDist(file: string, into: string): Promise<void> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error("cannot open VSIX"));
      zip.on("entry", (entry: yauzl.Entry) => {
        if (!entry.fileName.startsWith("extension/dist/") || entry.fileName.endsWith("/")) return zip.readEntry();
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const chunks: Buffer[] = [];
          stream.on("data", (c: Buffer) => chunks.push(c));
          stream.on("end", () => {
            const out = join(into, entry.fileName.slice("extension/".length));
            mkdirSync(dirname(out), { recursive: true });
            writeFileSync(out, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.on("end", () => resolve());
      zip.on("error", reject);
      zip.readEntry();
    });
  });
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

  it("shows errors from lab code with the lab's own names and source files, though minified", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sde-vsix-"));
    await extractDist(vsixPath, dir);
    const k = new KernelSession({ cwd: dir, kernelPath: join(dir, "dist/kernel.js"), labPath: join(dir, "dist/lab/index.js") });
    const r = await k.execute('import { TokenBucket } from "sde-lab";\nnew TokenBucket({ capacity: 5, initialTokens: 9 });', { label: "Cell 3" });
    await k.dispose();
    expect(r.status).toBe("error");
    const stack = r.status === "error" ? r.error.stack.split("\n") : [];
    expect(stack[0]).toBe("ConfigError: TokenBucket: initialTokens must be a number from 0 to capacity (5), got 9");
    expect(stack).toContainEqual(expect.stringMatching(/^ {4}at new TokenBucket \(sde-lab\/gateway\/token-bucket\.ts:\d+:\d+\)$/));
    expect(stack.at(-1)).toBe("    at Cell 3:2:1");
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

  // snippets/*.ts are content: Insert Pattern Snippet reads them at run time.
  it("ships nothing from src/, test/, bench/ or scripts/", () => {
    const leaked = [...shipped].filter((f) => /^(src|test|bench|scripts|packages|\.vscode-test)\//.test(f) || (f.endsWith(".ts") && !f.endsWith(".d.ts") && !f.startsWith("snippets/")));
    expect(leaked).toEqual([]);
  });
});
