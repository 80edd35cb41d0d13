/**
 * The diagram preview's page script (a browser bundle, dist/preview/webview.js). Draws the
 * Mermaid diagram with `securityLevel: 'strict'` in the VS Code theme, redraws when the
 * theme changes, zooms and pans, and hands SVG or PNG data to the host for saving. A diagram
 * that does not parse shows Mermaid's own message (with its line), never a blank pane.
 */
import mermaid from "mermaid";
import type { ExportFormat, HostMessage, PreviewTheme, ShowMessage, WebviewMessage } from "../messages";

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

function fit(): void {
  const svg = stage.querySelector("svg");
  if (!svg) return;
  const box = svg.getBoundingClientRect();
  const width = box.width / view.scale;
  const height = box.height / view.scale;
  const room = viewport.getBoundingClientRect();
  const scale = Math.min(2, Math.max(0.1, Math.min((room.width - 24) / width, (room.height - 24) / height)));
  view = { scale, x: (room.width - width * scale) / 2, y: Math.max(12, (room.height - height * scale) / 2) };
  applyView();
}

function zoomAt(factor: number, cx: number, cy: number): void {
  const scale = Math.min(8, Math.max(0.1, view.scale * factor));
  const k = scale / view.scale;
  view = { scale, x: cx - (cx - view.x) * k, y: cy - (cy - view.y) * k };
  applyView();
}

async function render(keepView = false): Promise<void> {
  if (!current) return;
  const shown = current;
  const theme = currentTheme();
  titleEl.textContent = shown.title;
  // markdown-it with html: false produced this: any HTML in the text arrives escaped.
  explanationEl.innerHTML = shown.explanationHtml;
  sourceNameEl.textContent = shown.name;
  mermaid.initialize({
    startOnLoad: false,
    securityLevel: "strict",
    // SVG text labels instead of HTML in <foreignObject>: nothing HTML-like is ever parsed,
    // and the PNG export can draw the SVG onto a canvas without tainting it.
    htmlLabels: false,
    flowchart: { htmlLabels: false },
    ...mermaidTheme(theme),
  });
  try {
    await mermaid.parse(shown.source);
    const { svg } = await mermaid.render(`sde-diagram-${++renderCount}`, shown.source);
    if (current !== shown) return;
    stage.innerHTML = svg;
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
  const box = svg.viewBox.baseVal;
  const width = Math.ceil(box?.width || svg.getBoundingClientRect().width / view.scale);
  const height = Math.ceil(box?.height || svg.getBoundingClientRect().height / view.scale);
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
  else if (event.key === "ArrowLeft") view.x += step;
  else if (event.key === "ArrowRight") view.x -= step;
  else if (event.key === "ArrowUp") view.y += step;
  else if (event.key === "ArrowDown") view.y -= step;
  else return;
  applyView();
});

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
