/**
 * The diagram preview's page script (a browser bundle, dist/preview/webview.js). Draws the
 * Mermaid diagram with `securityLevel: 'strict'` in the VS Code theme, redraws when the
 * theme changes, zooms and pans, and hands SVG or PNG data to the host for saving. A diagram
 * that does not parse shows Mermaid's own message (with its line), never a blank pane.
 */
import mermaid from "mermaid";
import type { MermaidConfig } from "mermaid";
import type { ExportFormat, HostMessage, PreviewTheme, ShowMessage, WebviewMessage } from "../messages";
import { otherOrientation } from "./orientation";

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  setState(state: unknown): void;
  getState(): unknown;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const viewport = byId<HTMLDivElement>("viewport");
const stage = byId<HTMLDivElement>("stage");
const errorBox = byId<HTMLPreElement>("error");
const titleEl = byId<HTMLHeadingElement>("title");
const explanationEl = byId<HTMLDivElement>("explanation");
const sourceNameEl = byId<HTMLDivElement>("source-name");

let current: ShowMessage | undefined = vscode.getState() as ShowMessage | undefined;
let renderCount = 0;
let view = { scale: 1, x: 0, y: 0 };

/** The theme family from the classes VS Code puts on <body>. */
function currentTheme(): PreviewTheme {
  const c = document.body.classList;
  if (c.contains("vscode-high-contrast-light")) return "high-contrast-light";
  if (c.contains("vscode-high-contrast")) return "high-contrast";
  if (c.contains("vscode-dark")) return "dark";
  return "light";
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

/** Mermaid's theme for a VS Code theme; high contrast takes the workbench's own colours. */
function mermaidTheme(theme: PreviewTheme): { theme: "default" | "dark" | "base"; themeVariables?: Record<string, string> } {
  if (theme === "light") return { theme: "default" };
  if (theme === "dark") return { theme: "dark" };
  const light = theme === "high-contrast-light";
  const bg = cssVar("--vscode-editor-background", light ? "#ffffff" : "#000000");
  const fg = cssVar("--vscode-editor-foreground", light ? "#000000" : "#ffffff");
  const border = cssVar("--vscode-contrastBorder", light ? "#0f4a85" : "#6fc3df");
  return {
    theme: "base",
    themeVariables: {
      darkMode: String(!light),
      background: bg,
      primaryColor: bg,
      primaryTextColor: fg,
      primaryBorderColor: border,
      secondaryColor: bg,
      tertiaryColor: bg,
      lineColor: fg,
      textColor: fg,
      mainBkg: bg,
      nodeBorder: border,
      clusterBkg: bg,
      clusterBorder: border,
      noteBkgColor: bg,
      noteTextColor: fg,
      noteBorderColor: border,
      actorBkg: bg,
      actorBorder: border,
      actorTextColor: fg,
      signalColor: fg,
      signalTextColor: fg,
      labelBoxBkgColor: bg,
      labelTextColor: fg,
    },
  };
}

function post(message: WebviewMessage): void {
  vscode.postMessage(message);
}

function applyView(): void {
  stage.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.scale})`;
}

/**
 * The drawing's own size. Mermaid's SVG says `width="100%"` with a viewBox, so the element's
 * box is whatever the stage gives it and the drawing sits letterboxed inside: measuring the
 * element made "Fit" draw a wide diagram at a third of the panel. {@link sizeToDrawing}
 * pins the element to the viewBox, so this is the drawing at scale 1.
 */
function drawingSize(svg: SVGSVGElement): { width: number; height: number } {
  const box = svg.viewBox.baseVal;
  if (box && box.width > 0 && box.height > 0) return { width: box.width, height: box.height };
  const rect = svg.getBoundingClientRect();
  return { width: rect.width / view.scale, height: rect.height / view.scale };
}

/** Makes the SVG element exactly as large as its drawing (see {@link drawingSize}). */
function sizeToDrawing(svg: SVGSVGElement): void {
  const box = svg.viewBox.baseVal;
  if (!box || !(box.width > 0 && box.height > 0)) return;
  svg.setAttribute("width", String(box.width));
  svg.setAttribute("height", String(box.height));
  svg.style.maxWidth = "none";
}

/** True once the user zoomed or panned: then a resize keeps their view. */
let userMoved = false;

function fit(): void {
  const svg = stage.querySelector("svg");
  if (!svg) return;
  userMoved = false;
  const { width, height } = drawingSize(svg);
  const room = viewport.getBoundingClientRect();
  if (room.width === 0 || room.height === 0) return; // not laid out yet: the resize observer fits later
  const scale = Math.min(2, Math.max(0.1, Math.min((room.width - 24) / width, (room.height - 24) / height)));
  view = { scale, x: (room.width - width * scale) / 2, y: Math.max(12, (room.height - height * scale) / 2) };
  applyView();
}

function zoomAt(factor: number, cx: number, cy: number): void {
  userMoved = true;
  const scale = Math.min(8, Math.max(0.1, view.scale * factor));
  const k = scale / view.scale;
  view = { scale, x: cx - (cx - view.x) * k, y: cy - (cy - view.y) * k };
  applyView();
}

/** The zoom at which a drawing of this size fits the viewport. */
function fitScale(size: { width: number; height: number }): number {
  const room = viewport.getBoundingClientRect();
  return Math.min((room.width - 24) / size.width, (room.height - 24) / size.height);
}

/** Size of an SVG text's drawing, from its viewBox. */
function svgTextSize(svg: string): { width: number; height: number } | undefined {
  const m = /viewBox="[-\d.e]+ [-\d.e]+ ([\d.e]+) ([\d.e]+)"/.exec(svg);
  return m ? { width: Number(m[1]), height: Number(m[2]) } : undefined;
}

/**
 * Draws the diagram two ways where it can be (flowcharts and state diagrams both ways round,
 * sequence diagrams with and without wrapped messages) and keeps the layout that is larger at
 * "Fit" in this panel: a long left-to-right chain reads better top-to-bottom in a tall pane.
 */
async function renderBestFit(source: string, config: MermaidConfig): Promise<string> {
  const { svg } = await mermaid.render(`sde-diagram-${++renderCount}`, source);
  const other = otherOrientation(source);
  // A sequence diagram has one direction; the other layout wraps long messages instead,
  // which helps a wide one and hurts a tall one.
  const wrap = !other && /^\s*sequenceDiagram\b/.test(source);
  if (!other && !wrap) return svg;
  let alternative: string;
  try {
    if (wrap) mermaid.initialize({ ...config, sequence: { wrap: true, width: 170 } });
    alternative = (await mermaid.render(`sde-diagram-${++renderCount}`, other ?? source)).svg;
  } catch {
    document.getElementById(`dsde-diagram-${renderCount}`)?.remove();
    return svg;
  } finally {
    if (wrap) mermaid.initialize(config);
  }
  const a = svgTextSize(svg);
  const b = svgTextSize(alternative);
  // Keep the author's direction unless the other one is clearly (15%) larger at Fit.
  return a && b && fitScale(b) > 1.15 * fitScale(a) ? alternative : svg;
}

async function render(keepView = false): Promise<void> {
  if (!current) return;
  const shown = current;
  const theme = currentTheme();
  titleEl.textContent = shown.title;
  // markdown-it with html: false produced this: any HTML in the text arrives escaped.
  explanationEl.innerHTML = shown.explanationHtml;
  sourceNameEl.textContent = shown.name;
  const config: MermaidConfig = {
    startOnLoad: false,
    securityLevel: "strict",
    // SVG text labels instead of HTML in <foreignObject>: nothing HTML-like is ever parsed,
    // and the PNG export can draw the SVG onto a canvas without tainting it.
    htmlLabels: false,
    flowchart: { htmlLabels: false },
    ...mermaidTheme(theme),
  };
  mermaid.initialize(config);
  try {
    await mermaid.parse(shown.source);
    const svg = await renderBestFit(shown.source, config);
    if (current !== shown) return;
    stage.innerHTML = svg;
    const drawn = stage.querySelector("svg");
    if (drawn) sizeToDrawing(drawn);
    errorBox.hidden = true;
    errorBox.textContent = "";
    viewport.hidden = false;
    if (!keepView) fit();
    post({ type: "rendered", ok: true, theme, svg: stage.querySelector("svg")?.outerHTML ?? svg, name: shown.name });
  } catch (error) {
    if (current !== shown) return;
    // Mermaid leaves an error element behind on failed renders; drop it.
    document.getElementById(`dsde-diagram-${renderCount}`)?.remove();
    const message = error instanceof Error ? error.message : String(error);
    stage.innerHTML = "";
    viewport.hidden = true;
    errorBox.hidden = false;
    errorBox.textContent = `Mermaid could not draw ${shown.name}:\n\n${message}`;
    post({ type: "rendered", ok: false, theme, error: message, name: shown.name });
  }
}

function svgText(): string | undefined {
  const svg = stage.querySelector("svg");
  if (!svg) return undefined;
  const copy = svg.cloneNode(true) as SVGSVGElement;
  copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(copy)}`;
}

/** Draws the SVG onto a canvas at twice its size, on the theme's background. */
async function pngDataUrl(): Promise<string | undefined> {
  const svg = stage.querySelector("svg");
  const text = svgText();
  if (!svg || !text) return undefined;
  const size = drawingSize(svg);
  const width = Math.ceil(size.width);
  const height = Math.ceil(size.height);
  const image = new Image();
  image.width = width;
  image.height = height;
  const loaded = new Promise<void>((resolve, reject) => {
    image.onload = () => resolve();
    image.onerror = () => reject(new Error("the SVG could not be loaded as an image"));
  });
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  image.src = `data:image/svg+xml;base64,${btoa(binary)}`;
  await loaded;
  const canvas = document.createElement("canvas");
  canvas.width = width * 2;
  canvas.height = height * 2;
  const ctx = canvas.getContext("2d");
  if (!ctx) return undefined;
  ctx.fillStyle = cssVar("--vscode-editor-background", "#ffffff");
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.scale(2, 2);
  ctx.drawImage(image, 0, 0, width, height);
  return canvas.toDataURL("image/png");
}

async function exportData(format: ExportFormat): Promise<string | undefined> {
  return format === "svg" ? svgText() : pngDataUrl();
}

window.addEventListener("message", (event: MessageEvent<HostMessage>) => {
  const message = event.data;
  if (message.type === "show") {
    const sameDiagram = current?.name === message.name;
    current = message;
    vscode.setState(message);
    void render(sameDiagram);
  } else if (message.type === "export") {
    exportData(message.format).then(
      (data) => post({ type: "exported", requestId: message.requestId, format: message.format, ...(data ? { data } : { error: "there is no diagram drawn to export" }) }),
      (error: unknown) => post({ type: "exported", requestId: message.requestId, format: message.format, error: String(error) }),
    );
  }
});

document.querySelector(".toolbar")?.addEventListener("click", (event) => {
  const action = (event.target as HTMLElement).closest("button")?.dataset.action;
  const room = viewport.getBoundingClientRect();
  if (action === "zoom-in") zoomAt(1.25, room.width / 2, room.height / 2);
  else if (action === "zoom-out") zoomAt(0.8, room.width / 2, room.height / 2);
  else if (action === "fit") fit();
  else if (action === "export-svg" || action === "export-png") {
    const format = action === "export-svg" ? "svg" : "png";
    void exportData(format).then((data) => data && current && post({ type: "save", format, data, name: current.name }));
  }
});

viewport.addEventListener(
  "wheel",
  (event) => {
    event.preventDefault();
    const room = viewport.getBoundingClientRect();
    zoomAt(event.deltaY < 0 ? 1.1 : 1 / 1.1, event.clientX - room.left, event.clientY - room.top);
  },
  { passive: false },
);

let drag: { x: number; y: number; vx: number; vy: number } | undefined;
viewport.addEventListener("pointerdown", (event) => {
  drag = { x: event.clientX, y: event.clientY, vx: view.x, vy: view.y };
  viewport.setPointerCapture(event.pointerId);
  viewport.classList.add("dragging");
});
viewport.addEventListener("pointermove", (event) => {
  if (!drag) return;
  userMoved = true;
  view = { ...view, x: drag.vx + event.clientX - drag.x, y: drag.vy + event.clientY - drag.y };
  applyView();
});
const endDrag = () => {
  drag = undefined;
  viewport.classList.remove("dragging");
};
viewport.addEventListener("pointerup", endDrag);
viewport.addEventListener("pointercancel", endDrag);
viewport.addEventListener("keydown", (event) => {
  const step = 40;
  const room = viewport.getBoundingClientRect();
  if (event.key === "+" || event.key === "=") zoomAt(1.25, room.width / 2, room.height / 2);
  else if (event.key === "-") zoomAt(0.8, room.width / 2, room.height / 2);
  else if (event.key === "0") fit();
  else {
    if (event.key === "ArrowLeft") view.x += step;
    else if (event.key === "ArrowRight") view.x -= step;
    else if (event.key === "ArrowUp") view.y += step;
    else if (event.key === "ArrowDown") view.y -= step;
    else return;
    userMoved = true;
    applyView();
  }
});

// The panel opens small and grows (and the user resizes it): keep the diagram fitted until
// the user zooms or pans.
new ResizeObserver(() => {
  if (!userMoved) fit();
}).observe(viewport);

// VS Code swaps the body's theme classes when the user changes the colour theme.
let lastTheme = currentTheme();
new MutationObserver(() => {
  const theme = currentTheme();
  if (theme === lastTheme) return;
  lastTheme = theme;
  void render(true);
}).observe(document.body, { attributes: true, attributeFilter: ["class"] });

if (current) void render();
post({ type: "ready" });
