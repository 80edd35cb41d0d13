// The preview page: strict CSP with a per-page nonce on the only script; the explanation is
// rendered with markdown-it and html: false, so HTML in the text stays text.
import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { makeNonce, previewCsp, previewHtml } from "../../../src/preview/html";
import { renderExplanation } from "../../../src/preview/explanation";
import { passedChallenge } from "../../../src/content/challenge-line";
import { CATALOG } from "../../../src/catalog/index";

const page = (nonce: string) =>
  previewHtml({ cspSource: "https://file+.vscode-resource.vscode-cdn.net", scriptUri: "https://x/dist/preview/webview.js", styleUri: "https://x/media/preview/preview.css", nonce });

describe("the preview page", () => {
  const nonce = makeNonce((n) => randomBytes(n));
  const html = page(nonce);
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? "";

  it("has a Content-Security-Policy that runs only the nonced script and loads nothing remote", () => {
    expect(csp).toBe(previewCsp("https://file+.vscode-resource.vscode-cdn.net", nonce));
    const directives = Object.fromEntries(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
    expect(directives["default-src"]).toEqual(["'none'"]);
    expect(directives["script-src"]).toEqual([`'nonce-${nonce}'`]);
    expect(csp).not.toMatch(/unsafe-eval|https?:\/\/(?!file\+)|\*/);
    expect(directives["connect-src"]).toBeUndefined();
  });

  it("puts the nonce on its one script, which comes from the extension, and has no inline script", () => {
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]![1]).toContain(`nonce="${nonce}"`);
    expect(scripts[0]![1]).toContain('src="https://x/dist/preview/webview.js"');
    expect(scripts[0]![2]).toBe("");
    expect(html).not.toMatch(/\son\w+=/i);
  });

  it("gets a fresh 48-hex-digit nonce each time", () => {
    const a = makeNonce((n) => randomBytes(n));
    expect(a).toMatch(/^[0-9a-f]{48}$/);
    expect(makeNonce((n) => randomBytes(n))).not.toBe(a);
  });

  it("loads Mermaid from the bundle with securityLevel strict, never from a CDN", () => {
    const script = readFileSync(join(__dirname, "../../../src/preview/webview/main.ts"), "utf8");
    expect(script).toContain('securityLevel: "strict"');
    expect(script).toMatch(/^import mermaid from "mermaid";$/m);
    expect(script).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });
});

describe("explanations", () => {
  it("render markdown, and show HTML and javascript: links as text", () => {
    const html = renderExplanation('**Open** <img src=x onerror=alert(1)> <script>alert(2)</script> [x](javascript:alert(3))\n\n| a | b |\n| - | - |\n| 1 | 2 |');
    expect(html).toContain("<strong>Open</strong>");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(html).toContain("&lt;script&gt;alert(2)&lt;/script&gt;");
    expect(html).not.toMatch(/<img|<script|href="javascript/);
    expect(html).toContain("<table>");
  });

  it("render every catalog entry's explanation without raw HTML", () => {
    for (const p of CATALOG) expect(renderExplanation(p.explanation), p.id).not.toMatch(/<(script|img|iframe|style)\b/);
  });
});

describe("walkthrough progress", () => {
  it("spots a PASSED challenge line in cell output, not a FAILED one or a mention", () => {
    expect(passedChallenge(["Challenge circuit-breaker: PASSED (2 of 2 targets, seeds 1, 2, 3)\ntarget ..."])).toBe("circuit-breaker");
    expect(passedChallenge(["Challenge timeout: FAILED (1 of 2 targets missed)"])).toBeUndefined();
    expect(passedChallenge(["you need: Challenge x: PASSED"])).toBeUndefined();
    expect(passedChallenge(["noise", "line\nChallenge retry-backoff: PASSED (1 of 1 targets, seeds 1)"])).toBe("retry-backoff");
  });
});
