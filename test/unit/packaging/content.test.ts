// The VSIX carries the content machinery (preview bundle with Mermaid, generated snippets,
// diagrams, walkthrough pages) and stays under 5 MB.
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { entrySizes, listEntries, root, vsixPath } from "./vsix-file";

describe("the VSIX and the content machinery", async () => {
  if (!existsSync(vsixPath)) throw new Error("sde-lab.vsix is missing: run `npm run package` first (`npm test` does)");
  const shipped = new Set((await listEntries(vsixPath)).filter((e) => e.startsWith("extension/")).map((e) => e.slice("extension/".length)));
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    contributes: {
      snippets: { path: string }[];
      walkthroughs: { steps: { media: { markdown: string } }[] }[];
      notebookRenderer: { entrypoint: string; mimeTypes: string[] }[];
    };
  };

  it("is under 5 MB with Mermaid bundled", () => {
    expect(statSync(vsixPath).size).toBeLessThan(5 * 1024 * 1024);
  });

  it("ships the preview's page script and stylesheet, the snippets file, and every walkthrough page", () => {
    expect(shipped).toContain("dist/preview/webview.js");
    expect(shipped).toContain("media/preview/preview.css");
    for (const s of pkg.contributes.snippets) expect(shipped).toContain(s.path.replace(/^\.\//, ""));
    for (const step of pkg.contributes.walkthroughs[0]!.steps) expect(shipped).toContain(step.media.markdown);
  });

  it("ships the notebook renderer for charts and replays, minified under 600 KB", async () => {
    const [renderer] = pkg.contributes.notebookRenderer;
    const entry = renderer!.entrypoint.replace(/^\.\//, "");
    expect(shipped).toContain(entry);
    const { CHART_MIME } = await import("../../../src/lab/viz/chart");
    const { REPLAY_MIME } = await import("../../../src/lab/viz/replay");
    expect(renderer!.mimeTypes).toEqual([CHART_MIME, REPLAY_MIME]);
    // Measured in the VSIX: the tests' own build of dist/ is unminified, with a source map.
    const size = (await entrySizes(vsixPath)).get(`extension/${entry}`)!;
    expect(size).toBeGreaterThan(50 * 1024);
    expect(size).toBeLessThan(600 * 1024);
  });

  it("ships every snippet and diagram the catalog names", async () => {
    const { CATALOG } = await import("../../../src/catalog/index");
    for (const p of CATALOG) {
      expect(shipped, p.snippet).toContain(p.snippet);
      expect(shipped, p.diagram).toContain(p.diagram);
    }
  });
});
