// `node scripts/diagram-shots.mjs [--out dir] [--only name] [--size WxH]`: opens every
// media/diagrams/*.mmd in the diagram preview's own page (the built dist/preview/webview.js,
// the real stylesheet and layout, VS Code's message API stubbed) in Chromium, in light, dark
// and high contrast, screenshots it at its opening size ("Fit"), and measures what a reader
// sees: how much of the panel the diagram fills, how large its text is, and whether any two
// labels overlap. Exits 1 when a diagram fails a check. The unit test
// test/unit/preview/diagram-layout.test.ts runs the same checks; screenshots are for eyes.
/* global document, window, DOMRect, getComputedStyle -- used inside page.evaluate, which runs in the browser */
import { mkdirSync, readdirSync, readFileSync, mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { launchChromium } from "./chromium.mjs";

const root = resolve(import.meta.dirname, "..");

/** The preview panel's size in the served VS Code beside a notebook (editor area, one group). */
export const PANEL = { width: 1100, height: 720 };
/** What "reads at a glance" means here, checked for every diagram and theme. */
export const LIMITS = {
  /** The drawn diagram spans at least this share of the diagram pane's width or height (a tall one cannot fill the width). */
  minFill: 0.6,
  /** Label text at the opening zoom is at least this tall (CSS px); 11 px is VS Code's smallest UI text. */
  minTextPx: 10,
  /** Two labels overlapping by more than this many px in both directions count as overlapping. */
  overlapTolerancePx: 1,
};

const THEMES = {
  light: { classes: "vscode-light", vars: { "--vscode-editor-background": "#ffffff", "--vscode-foreground": "#3b3b3b", "--vscode-editor-foreground": "#3b3b3b" } },
  dark: { classes: "vscode-dark", vars: { "--vscode-editor-background": "#1f1f1f", "--vscode-foreground": "#cccccc", "--vscode-editor-foreground": "#cccccc" } },
  "high-contrast": {
    classes: "vscode-high-contrast",
    vars: { "--vscode-editor-background": "#000000", "--vscode-foreground": "#ffffff", "--vscode-editor-foreground": "#ffffff", "--vscode-contrastBorder": "#6fc3df" },
  },
};

/** The page: the preview's real markup (src/preview/html.ts) with the VS Code API stubbed. */
function pageHtml(theme) {
  const html = readFileSync(join(root, "src/preview/html.ts"), "utf8");
  const body = html.slice(html.indexOf("<main"), html.indexOf("</main>") + "</main>".length);
  const vars = Object.entries(THEMES[theme].vars).map(([k, v]) => `${k}: ${v};`).join(" ");
  return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<link rel="stylesheet" href="/media/preview/preview.css">
<style>body { ${vars} --vscode-font-family: system-ui, sans-serif; --vscode-font-size: 13px; }</style>
<script>
  window.__posted = [];
  window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m), setState() {}, getState() { return undefined; } });
</script></head>
<body class="${THEMES[theme].classes}">${body}
<script type="module" src="/dist/preview/webview.js"></script>
</body></html>`;
}

/** Runs in the page: label boxes, fill and text size of the drawn diagram. */
function measure() {
  const viewport = document.getElementById("viewport").getBoundingClientRect();
  const svg = document.querySelector("#stage svg");
  // The drawing itself (its root group), not the <svg> element, which may be larger.
  const box = [...svg.children].filter((c) => c.tagName === "g").reduce((acc, g) => {
    const r = g.getBoundingClientRect();
    if (!acc) return r;
    const x = Math.min(acc.x, r.x), y = Math.min(acc.y, r.y);
    return new DOMRect(x, y, Math.max(acc.right, r.right) - x, Math.max(acc.bottom, r.bottom) - y);
  }, undefined);
  const texts = [...svg.querySelectorAll("text")].filter((t) => t.textContent.trim() && t.getBoundingClientRect().width > 0);
  const kind = (t) => (t.closest(".edgeLabel") ? "edge" : t.closest(".node, .actor, .cluster, .statediagram-state, .label-container, g[id*='state']") ? "node" : "other");
  const labels = texts.map((t) => {
    const r = t.getBoundingClientRect();
    return { text: t.textContent.trim(), kind: kind(t), x: r.x, y: r.y, w: r.width, h: r.height };
  });
  // A label's font size as drawn: its CSS size times the zoom the preview applied.
  const zoom = svg.getBoundingClientRect().width / (svg.viewBox.baseVal?.width || svg.getBoundingClientRect().width);
  const sizes = texts.map((t) => parseFloat(getComputedStyle(t).fontSize) * zoom).sort((a, b) => a - b);
  return {
    fillWidth: box.width / viewport.width,
    fillHeight: box.height / viewport.height,
    medianTextPx: sizes.length ? sizes[Math.floor(sizes.length / 2)] : 0,
    labels,
  };
}

/** Pairs of labels whose boxes overlap (an edge label with any other label). */
export function overlaps(labels, tolerance = LIMITS.overlapTolerancePx) {
  const found = [];
  for (let i = 0; i < labels.length; i++) {
    for (let j = i + 1; j < labels.length; j++) {
      const a = labels[i];
      const b = labels[j];
      if (a.kind !== "edge" && b.kind !== "edge") continue;
      const dx = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
      const dy = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
      if (dx > tolerance && dy > tolerance) found.push([a.text, b.text]);
    }
  }
  return found;
}

/** Opens each diagram in each theme; returns the measurements (and writes screenshots to `out`). */
export async function shootDiagrams({ out, only, panel = PANEL, themes = Object.keys(THEMES) } = {}) {
  const names = readdirSync(join(root, "media/diagrams")).filter((f) => f.endsWith(".mmd") && (!only || f.startsWith(only)));
  const profile = mkdtempSync(join(tmpdir(), "sde-diagram-shots-"));
  // Served over HTTP: Chromium will not load a module script from file://.
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://localhost");
    const theme = url.pathname.match(/^\/page-(.+)\.html$/)?.[1];
    const allowed = ["/media/preview/preview.css", "/dist/preview/webview.js"];
    if (theme && THEMES[theme]) res.writeHead(200, { "content-type": "text/html" }).end(pageHtml(theme));
    else if (allowed.includes(url.pathname)) res.writeHead(200, { "content-type": url.pathname.endsWith(".css") ? "text/css" : "text/javascript" }).end(readFileSync(join(root, url.pathname)));
    else res.writeHead(404).end();
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${server.address().port}`;
  const context = await launchChromium(chromium, profile, { viewport: panel });
  const results = [];
  try {
    for (const theme of themes) {
      const page = await context.newPage();
      await page.goto(`${base}/page-${theme}.html`);
      await page.waitForFunction(() => window.__posted.some((m) => m.type === "ready"));
      for (const name of names) {
        const source = readFileSync(join(root, "media/diagrams", name), "utf8");
        const before = await page.evaluate(() => window.__posted.length);
        await page.evaluate((message) => window.postMessage(message, "*"), { type: "show", title: name, name, source, explanationHtml: "<p>Explanation text sits here, as in the real panel.</p>" });
        await page.waitForFunction((n) => window.__posted.slice(n).some((m) => m.type === "rendered"), before, { timeout: 30_000 });
        const rendered = await page.evaluate((n) => window.__posted.slice(n).find((m) => m.type === "rendered"), before);
        if (!rendered.ok) {
          results.push({ name, theme, error: rendered.error });
          continue;
        }
        const m = await page.evaluate(measure);
        const result = { name, theme, fillWidth: m.fillWidth, fillHeight: m.fillHeight, medianTextPx: m.medianTextPx, overlaps: overlaps(m.labels), labels: m.labels.length };
        results.push(result);
        if (out) await page.screenshot({ path: join(out, `${theme}-${name.replace(/\.mmd$/, "")}.png`) });
      }
      await page.close();
    }
  } finally {
    await context.close();
    server.close();
  }
  return results;
}

/** What is wrong with one measurement, as sentences; empty when it reads at a glance. */
export function problems(r) {
  if (r.error) return [`Mermaid could not draw it: ${r.error}`];
  const list = [];
  if (Math.max(r.fillWidth, r.fillHeight) < LIMITS.minFill) list.push(`fills ${(100 * r.fillWidth).toFixed(0)}% of the width and ${(100 * r.fillHeight).toFixed(0)}% of the height (< ${100 * LIMITS.minFill}%)`);
  if (r.medianTextPx < LIMITS.minTextPx) list.push(`text is ${r.medianTextPx.toFixed(1)} px tall at Fit (< ${LIMITS.minTextPx} px)`);
  for (const [a, b] of r.overlaps) list.push(`labels overlap: "${a}" and "${b}"`);
  return list;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const arg = (flag) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  const out = resolve(arg("--out") ?? join(root, "test-results", "diagrams"));
  mkdirSync(out, { recursive: true });
  const size = arg("--size")?.split("x").map(Number);
  const results = await shootDiagrams({ out, only: arg("--only"), ...(size ? { panel: { width: size[0], height: size[1] } } : {}) });
  let failed = 0;
  for (const r of results) {
    const p = problems(r);
    if (p.length) failed++;
    const numbers = r.error ? "" : `fill ${(100 * r.fillWidth).toFixed(0)}% × ${(100 * r.fillHeight).toFixed(0)}%, text ${r.medianTextPx.toFixed(1)} px`;
    console.log(`${p.length ? "✗" : "✓"} ${r.theme.padEnd(13)} ${r.name.padEnd(28)} ${numbers}${p.length ? `: ${p.join("; ")}` : ""}`);
  }
  console.log(`\n${results.length - failed}/${results.length} diagram views read at a glance; screenshots in ${out}`);
  process.exit(failed ? 1 : 0);
}
