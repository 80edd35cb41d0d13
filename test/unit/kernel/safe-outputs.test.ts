import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import MarkdownIt from "markdown-it";
import { sanitizeMarkdown } from "../../../src/kernel/safe-outputs";
import { safeBundle } from "../../../src/kernel/process/display";

// VS Code's notebook markdown renderer lets HTML through; this stands in for it.
const renderer = new MarkdownIt({ html: true, linkify: false });
const strict = new MarkdownIt({ html: false });
/** Raw HTML elements in rendered output other than the ones markdown itself makes. */
const rawTags = (html: string) => [...html.matchAll(/<(img|script|iframe|svg|div|span|b|details|style)[\s>/]/gi)].map((m) => m[1]);

describe("sanitizeMarkdown", () => {
  it("shows HTML as text, like markdown-it's html: false", () => {
    const md = "**bold** <img src=x onerror=alert(1)> and <script>alert(2)</script>";
    const safe = sanitizeMarkdown(md);
    expect(renderer.render(safe)).toBe(strict.render(md));
    expect(rawTags(renderer.render(safe))).toEqual([]);
  });

  it("leaves code alone: fences (Mermaid), indented blocks and code spans", () => {
    const md = "```mermaid\ngraph LR; A-->B<br>C\n```\n\n    const a: Array<number> = [];\n\ntype `Map<string, number>` here";
    expect(sanitizeMarkdown(md)).toBe(md);
  });

  it("escapes HTML blocks, table cells and a span a pipe could split", () => {
    expect(sanitizeMarkdown("<div>\n<img src=x>\n</div>")).toBe("&lt;div>\n&lt;img src=x>\n&lt;/div>");
    const table = "| a | b |\n| --- | --- |\n| `x | <img src=x onerror=alert(1)> | y` |";
    expect(rawTags(renderer.render(sanitizeMarkdown(table)))).toEqual([]);
    expect(sanitizeMarkdown("\\`<img src=x>`")).toBe("\\`&lt;img src=x>`");
  });

  it("a fence inside a list that ends early does not shield the HTML after it", () => {
    const md = "- item\n  ```\n<img src=x onerror=alert(1)>\n";
    expect(rawTags(renderer.render(sanitizeMarkdown(md)))).toEqual([]);
  });

  // Markdown files named after the bug each found: a code span that opens on one line and
  // closes on the next made the sanitizer pair backticks differently from markdown.
  const regressions = join(import.meta.dirname, "../../fixtures/regressions");
  for (const file of readdirSync(regressions).filter((f) => f.endsWith(".md"))) {
    it(`regression: ${file}`, () => {
      const md = readFileSync(join(regressions, file), "utf8");
      const html = renderer.render(sanitizeMarkdown(md));
      expect(rawTags(html.replace(/<code[^>]*>[\s\S]*?<\/code>/g, ""))).toEqual([]);
      // Without the sanitizer the same text does let an element through: the case still bites.
      expect(rawTags(renderer.render(md)).length).toBeGreaterThan(0);
    });
  }

  it("never lets an HTML element through, for any text", () => {
    const piece = fc.constantFrom("<img src=x onerror=1>", "<script>x</script>", "`", "``", "```", "\n", "    ", "- ", "> ", "|", "\\", "<", "a", " ", "~~~", "<!-- c -->", "[l](u)");
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (parts) => {
        const html = renderer.render(sanitizeMarkdown(parts.join("")));
        // Outside <code> elements, no tag markdown does not make itself.
        const outsideCode = html.replace(/<code[^>]*>[\s\S]*?<\/code>/g, "");
        expect(rawTags(outsideCode)).toEqual([]);
        expect(outsideCode).not.toMatch(/<!--/);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("safeBundle", () => {
  it("drops kinds SDE Lab does not render and says so when nothing is left", () => {
    expect(safeBundle({ "text/html": "<b>x</b>", "text/plain": "x" })).toEqual({ "text/plain": "x" });
    expect(safeBundle({ "application/javascript": "alert(1)" })).toEqual({
      "text/plain": "(an output of type application/javascript is not shown: SDE Lab renders only text, markdown, JSON and PNG images)",
    });
    expect(safeBundle({ "text/markdown": "<b>x</b>", "text/plain": "<b>x</b>" })).toEqual({ "text/markdown": "&lt;b>x&lt;/b>", "text/plain": "<b>x</b>" });
  });
});
