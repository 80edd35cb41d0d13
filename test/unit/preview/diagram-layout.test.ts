// Every catalog diagram reads at a glance at its opening size in the preview: drawn in the
// preview's own page (dist/preview/webview.js) in Chromium, the same checks as
// `node scripts/diagram-shots.mjs` (which also screenshots light, dark and high contrast).
import { describe, expect, it } from "vitest";
import { otherOrientation } from "../../../src/preview/webview/orientation";

describe("diagram layout in the preview", () => {
  it("draws every diagram filling the panel, with text ≥ 10 px and no two labels overlapping", async () => {
    // @ts-expect-error: plain ES module script shared with the command line
    const { shootDiagrams, problems } = (await import("../../../scripts/diagram-shots.mjs")) as {
      shootDiagrams(o: { themes: string[] }): Promise<{ name: string; theme: string }[]>;
      problems(r: unknown): string[];
    };
    // Layout does not depend on the colour theme; the script checks all three.
    const results = await shootDiagrams({ themes: ["light"] });
    expect(results.length).toBe(29);
    expect(results.map((r) => [r.name, problems(r)]).filter(([, p]) => (p as string[]).length > 0)).toEqual([]);
  }, 300_000);

  it("turns a diagram the other way round only where its kind has a direction", () => {
    expect(otherOrientation("flowchart LR\n  a --> b")).toBe("flowchart TB\n  a --> b");
    expect(otherOrientation("graph TD\n  a --> b")).toBe("graph LR\n  a --> b");
    // A subgraph's own direction is left alone; only the header changes.
    expect(otherOrientation("flowchart LR\n  subgraph s\n    direction TB\n    a --> b\n  end")).toBe("flowchart TB\n  subgraph s\n    direction TB\n    a --> b\n  end");
    expect(otherOrientation("stateDiagram-v2\n  direction LR\n  [*] --> A")).toBe("stateDiagram-v2\n  direction TB\n  [*] --> A");
    expect(otherOrientation("stateDiagram-v2\n  [*] --> A")).toBe("stateDiagram-v2\n  direction LR\n  [*] --> A");
    expect(otherOrientation("sequenceDiagram\n  A->>B: hi")).toBeUndefined();
  });
});
