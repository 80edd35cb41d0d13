// @vitest-environment happy-dom
// Every architecture diagram parses with the real `mermaid` package (the one the preview
// bundles). Mermaid sanitises labels with DOMPurify, which needs a DOM: happy-dom gives it one.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import mermaid from "mermaid";

const root = join(__dirname, "../../..");
const diagramsDir = join(root, "media/diagrams");
const diagrams = readdirSync(diagramsDir, { withFileTypes: true }).filter((d) => d.isFile() && d.name.endsWith(".mmd")).map((d) => d.name);
const fixture = (name: string) => readFileSync(join(root, "test/fixtures/diagrams", name), "utf8");

mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });

describe("media/diagrams/*.mmd", () => {
  it("exist: one or more per section", () => {
    expect(diagrams.length).toBeGreaterThanOrEqual(4);
  });

  it.each(diagrams)("%s parses with mermaid", async (name) => {
    const source = readFileSync(join(diagramsDir, name), "utf8");
    await expect(mermaid.parse(source)).resolves.toMatchObject({ diagramType: expect.any(String) });
    expect(source, `${name}: no front matter`).not.toMatch(/^---/);
    expect(source, `${name}: no HTML in labels`).not.toMatch(/<\/?[a-z][^>]*>/i);
  });
});

describe("the parse check", () => {
  it("rejects a broken diagram with Mermaid's message naming the line", async () => {
    await expect(mermaid.parse(fixture("broken.mmd"))).rejects.toThrow(/Parse error on line 3/);
  });

  it("parses a diagram whose labels hold HTML (the preview must show it as text)", async () => {
    await expect(mermaid.parse(fixture("hostile-labels.mmd"))).resolves.toMatchObject({ diagramType: "flowchart-v2" });
  });

  it("knows the three kinds of diagram the catalog uses", async () => {
    const kinds = await Promise.all(
      ["flowchart LR\n  a --> b", "sequenceDiagram\n  a->>b: hi", "stateDiagram-v2\n  [*] --> CLOSED\n  CLOSED --> OPEN: failure rate ≥ 50%"].map(async (s) => (await mermaid.parse(s) as { diagramType: string }).diagramType),
    );
    expect(kinds).toEqual(["flowchart-v2", "sequence", "stateDiagram"]);
  });
});
