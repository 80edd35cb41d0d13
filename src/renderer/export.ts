/**
 * Export: a chart or the replay's current frame as SVG (vector, built from the data; every
 * label is escaped XML text) or PNG (the drawn canvas on the theme's background). The file is
 * saved by the extension (a save dialog) when the renderer can message it, else downloaded.
 */
import type { ChartData } from "../lab/viz/chart";
import type { Theme } from "./theme";

/** Escapes text for an SVG text node or attribute. */
export function xml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** A vector SVG of a chart: axes with ticks, one path per series, marked events, legend. */
export function chartSvg(data: ChartData, theme: Theme, width = 800, height = 360): string {
  const pad = { l: 60, r: 20, t: 36, b: 56 };
  const xs = data.series.flatMap((s) => s.x);
  const ys = data.series.flatMap((s) => s.y.filter((v): v is number => v !== null));
  const x0 = Math.min(...xs, ...data.annotations.map((a) => a.at));
  const x1 = Math.max(...xs, ...data.annotations.map((a) => a.until ?? a.at));
  let y0 = data.log ? Math.min(...ys) : Math.min(0, ...ys);
  let y1 = Math.max(...ys, y0 + 1);
  if (!Number.isFinite(y0)) y0 = 0;
  if (!Number.isFinite(y1)) y1 = 1;
  const ty = (v: number) => (data.log ? Math.log10(v) : v);
  const sx = (v: number) => pad.l + ((v - x0) / (x1 - x0 || 1)) * (width - pad.l - pad.r);
  const sy = (v: number) => height - pad.b - ((ty(v) - ty(y0)) / (ty(y1) - ty(y0) || 1)) * (height - pad.t - pad.b);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="${xml(theme.bg)}"/>`,
    `<text x="${pad.l}" y="20" font-size="14" font-weight="bold" fill="${xml(theme.fg)}">${xml(data.title)}</text>`,
    `<line x1="${pad.l}" y1="${height - pad.b}" x2="${width - pad.r}" y2="${height - pad.b}" stroke="${xml(theme.fg)}"/>`,
    `<line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${height - pad.b}" stroke="${xml(theme.fg)}"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = data.log ? 10 ** (ty(y0) + ((ty(y1) - ty(y0)) * i) / 4) : y0 + ((y1 - y0) * i) / 4;
    const label = data.yCategories ? (data.yCategories[Math.round(v)] ?? "") : fmt(v);
    out.push(`<text x="${pad.l - 4}" y="${sy(v) + 4}" text-anchor="end" fill="${xml(theme.fg)}">${xml(label)}</text>`);
    const xv = x0 + ((x1 - x0) * i) / 4;
    const xl = data.xCategories ? (data.xCategories[Math.round(xv)] ?? "") : fmt(xv);
    out.push(`<text x="${sx(xv)}" y="${height - pad.b + 14}" text-anchor="middle" fill="${xml(theme.fg)}">${xml(xl)}</text>`);
  }
  out.push(`<text x="${(pad.l + width - pad.r) / 2}" y="${height - pad.b + 30}" text-anchor="middle" fill="${xml(theme.muted)}">${xml(data.xLabel)}</text>`);
  for (const a of data.annotations) {
    const x = sx(a.at);
    if (a.until !== undefined) out.push(`<rect x="${x}" y="${pad.t}" width="${Math.max(1, sx(a.until) - x)}" height="${height - pad.t - pad.b}" fill="${xml(theme.red)}" fill-opacity="0.12"/>`);
    out.push(`<line x1="${x}" y1="${pad.t}" x2="${x}" y2="${height - pad.b}" stroke="${xml(theme.red)}" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${x + 3}" y="${pad.t + 10}" fill="${xml(theme.red)}">${xml(a.label)}</text>`);
  }
  data.series.forEach((s, i) => {
    const colour = xml(theme.palette[i % theme.palette.length]!);
    if (s.kind === "bar" || s.kind === "scatter") {
      const w = s.kind === "bar" ? Math.max(2, ((width - pad.l - pad.r) / Math.max(1, s.x.length)) / (data.series.length + 1)) : 3;
      s.x.forEach((x, j) => {
        const y = s.y[j];
        if (y === null || y === undefined) return;
        if (s.kind === "bar") out.push(`<rect x="${sx(x) + (i - data.series.length / 2) * w}" y="${sy(y)}" width="${w}" height="${Math.max(0, sy(Math.max(y0, data.log ? y0 : 0)) - sy(y))}" fill="${colour}"/>`);
        else out.push(`<circle cx="${sx(x)}" cy="${sy(y)}" r="2" fill="${colour}"/>`);
      });
    } else {
      let d = "";
      let pen = false;
      let prevY = 0;
      s.x.forEach((x, j) => {
        const y = s.y[j];
        if (y === null || y === undefined) return void (pen = false);
        if (s.kind === "step" && pen) d += `H${sx(x).toFixed(1)}V${sy(y).toFixed(1)}`;
        else d += `${pen ? "L" : "M"}${sx(x).toFixed(1)} ${sy(y).toFixed(1)}`;
        pen = true;
        prevY = y;
      });
      void prevY;
      out.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="1.5"/>`);
    }
    out.push(`<rect x="${pad.l + i * 140}" y="${height - 16}" width="10" height="10" fill="${colour}"/>`);
    out.push(`<text x="${pad.l + i * 140 + 14}" y="${height - 7}" fill="${xml(theme.fg)}">${xml(s.name)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n");
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? String(Math.round(v)) : String(Number(v.toPrecision(3)));
}

/** A PNG data URL of `canvas` drawn over the theme background with a title line. */
export function canvasPng(canvas: HTMLCanvasElement, title: string, theme: Theme): string {
  const out = document.createElement("canvas");
  const ratio = canvas.width / (canvas.clientWidth || canvas.width);
  out.width = canvas.width;
  out.height = canvas.height + Math.round(28 * ratio);
  const ctx = out.getContext("2d")!;
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.fillStyle = theme.fg;
  ctx.font = `bold ${Math.round(13 * ratio)}px sans-serif`;
  ctx.fillText(title, 8 * ratio, 19 * ratio);
  ctx.drawImage(canvas, 0, Math.round(28 * ratio));
  return out.toDataURL("image/png");
}

/** What the renderer sends the extension to save a file. */
export interface ExportMessage {
  type: "sde-lab.export";
  format: "png" | "svg";
  /** File name without extension. */
  name: string;
  /** SVG text, or a PNG data URL. */
  data: string;
}

let post: ((message: ExportMessage) => void) | undefined;

/** Sets how exports reach the extension (the renderer context's postMessage). */
export function setExportChannel(fn: ((message: ExportMessage) => void) | undefined): void {
  post = fn;
}

/** Saves an export: through the extension when it listens, else as a browser download. */
export function saveExport(message: Omit<ExportMessage, "type">): void {
  const name = message.name.replace(/[^\w.-]+/g, "-").slice(0, 60) || "chart";
  if (post) return post({ type: "sde-lab.export", ...message, name });
  const a = document.createElement("a");
  a.download = `${name}.${message.format}`;
  a.href = message.format === "svg" ? `data:image/svg+xml;charset=utf-8,${encodeURIComponent(message.data)}` : message.data;
  a.click();
}
