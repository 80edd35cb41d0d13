/**
 * The preview webview's HTML: a strict Content-Security-Policy where only our bundled script
 * runs (by nonce), nothing loads from the network, and styles come from our stylesheet plus
 * the inline styles Mermaid writes into its SVG. Pure: no `vscode` import, unit-tested.
 */

/** What the page needs from the host. */
export interface PreviewHtmlOptions {
  /** `webview.cspSource`: the origin our bundled files are served from. */
  readonly cspSource: string;
  /** Webview URI of dist/preview/webview.js. */
  readonly scriptUri: string;
  /** Webview URI of media/preview/preview.css. */
  readonly styleUri: string;
  /** A fresh random nonce for this page. */
  readonly nonce: string;
}

/** A random nonce: 32 characters from a CSPRNG-quality source when given one. */
export function makeNonce(randomBytes: (n: number) => Uint8Array): string {
  return Array.from(randomBytes(24), (b) => b.toString(16).padStart(2, "0")).join("");
}

function attr(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}

/** The Content-Security-Policy of the preview page. */
export function previewCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    // Mermaid writes a <style> element into every SVG and sets style attributes.
    `style-src ${cspSource} 'unsafe-inline'`,
    // data:/blob: only for the PNG export (the SVG drawn onto a canvas).
    `img-src ${cspSource} data: blob:`,
    `font-src ${cspSource}`,
  ].join("; ");
}

/** The page. All dynamic content arrives later by message and is inserted as text or as
 * Mermaid's sanitised SVG. */
export function previewHtml(options: PreviewHtmlOptions): string {
  const { cspSource, scriptUri, styleUri, nonce } = options;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(previewCsp(cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(styleUri)}">
<title>Architecture diagram</title>
</head>
<body>
<main class="layout">
  <section class="diagram-pane" aria-label="Diagram">
    <div class="toolbar" role="toolbar">
      <button type="button" data-action="zoom-in" title="Zoom in">+</button>
      <button type="button" data-action="zoom-out" title="Zoom out">−</button>
      <button type="button" data-action="fit" title="Fit to the window">Fit</button>
      <span class="spacer"></span>
      <button type="button" data-action="export-svg" title="Save the diagram as SVG">Export SVG</button>
      <button type="button" data-action="export-png" title="Save the diagram as PNG">Export PNG</button>
    </div>
    <div class="viewport" id="viewport" tabindex="0">
      <div class="stage" id="stage"></div>
    </div>
    <pre class="error" id="error" role="alert" hidden></pre>
    <div class="source-name" id="source-name"></div>
  </section>
  <aside class="explanation" aria-label="Explanation">
    <h1 id="title"></h1>
    <div id="explanation"></div>
  </aside>
</main>
<script type="module" nonce="${attr(nonce)}" src="${attr(scriptUri)}"></script>
</body>
</html>`;
}
