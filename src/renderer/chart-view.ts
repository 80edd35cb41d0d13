/**
 * Draws a chart output with uPlot (canvas: 100k points in a few ms). Every label reaches the
 * page as canvas text or a text node. A cursor line follows the replay of the same run.
 */
import uPlot from "uplot";
import type { ChartData } from "../lab/viz/chart";
import { subscribe, publish } from "./bus";
import { button, el } from "./dom";
import { canvasPng, chartSvg, saveExport } from "./export";
import { onThemeChange, readTheme, type Theme } from "./theme";

/** A rendered chart; `dispose` frees it. */
export interface ChartView {
  dispose(): void;
  /** The uPlot instance (for measurements). */
  plot(): uPlot;
}

/** Merges the series' own x columns into uPlot's aligned columns. */
export function align(data: ChartData): uPlot.AlignedData {
  const n = data.series.length;
  if (n > 1 && data.series.every((s) => s.kind === "bar")) {
    // Grouped bars: each series sits beside the others around its category.
    return uPlot.join(data.series.map((s, i) => [s.x.map((x) => x + (i - (n - 1) / 2) * (0.8 / n)), s.y] as uPlot.AlignedData));
  }
  const same = data.series.every((s) => s.x.length === data.series[0]!.x.length && s.x.every((v, i) => v === data.series[0]!.x[i]));
  if (same) return [data.series[0]!.x, ...data.series.map((s) => s.y)] as uPlot.AlignedData;
  return uPlot.join(data.series.map((s) => [s.x, s.y] as uPlot.AlignedData));
}

function seriesOptions(data: ChartData, theme: Theme): uPlot.Series[] {
  return data.series.map((s, i) => {
    const stroke = theme.palette[i % theme.palette.length]!;
    // A whole-pixel line is much cheaper to stroke than an anti-aliased 1.5 px one on long series.
    const width = theme.highContrast ? 2 : s.x.length > 5_000 ? 1 : 1.5;
    const base: uPlot.Series = { label: s.name, stroke, width, spanGaps: false, points: { show: false } };
    switch (s.kind) {
      case "step":
        return { ...base, paths: uPlot.paths.stepped!({ align: 1 }) };
      case "area":
        return { ...base, fill: `${stroke}33` };
      case "bar":
        return { ...base, fill: stroke, paths: uPlot.paths.bars!({ size: [0.9, 80], align: 0 }) };
      case "scatter":
        return { ...base, paths: () => null, points: { show: true, size: 4, fill: stroke } };
      default:
        return base;
    }
  });
}

/** Renders `data` into `root`. */
export function renderChart(root: HTMLElement, data: ChartData): ChartView {
  root.classList.add("sde-viz", "sde-chart");
  const title = el("div", "sde-title", data.title);
  const plotBox = el("div", "sde-plot");
  plotBox.setAttribute("role", "img");
  const summaryLine = summary(data);
  plotBox.setAttribute("aria-label", summaryLine);
  const notes = el("div", "sde-notes");
  for (const n of data.notes) notes.append(el("div", "sde-note", n));
  const tools = el("div", "sde-tools");
  root.append(title, plotBox, notes, tools, alternative(data, summaryLine));
  const cursor = el("div", "sde-cursor");
  let theme = readTheme();
  let plot: uPlot;
  let cursorTime: number | undefined;
  const categories = data.yCategories;
  const xCategories = data.xCategories;
  const aligned = align(data);

  const build = () => {
    plot?.destroy();
    const width = Math.max(320, Math.min(root.clientWidth || 720, 1400));
    const axis = (): uPlot.Axis => ({ stroke: theme.fg, grid: { stroke: theme.grid, width: 1 }, ticks: { stroke: theme.grid, width: 1 }, font: `11px ${theme.font}`, labelFont: `11px ${theme.font}` });
    const opts: uPlot.Options = {
      width,
      height: 260,
      legend: { show: true, live: true },
      cursor: { drag: { x: true, y: false } },
      scales: {
        x: { time: false, ...(xCategories ? { range: [-0.5, xCategories.length - 0.5] as uPlot.Range.MinMax } : {}) },
        y: data.log ? { distr: 3 } : categories ? { range: [-0.2, categories.length - 0.8] as uPlot.Range.MinMax } : {},
      },
      axes: [
        { ...axis(), label: data.xLabel, ...(xCategories ? { splits: () => xCategories.map((_, i) => i), values: (_u: uPlot, v: number[]) => v.map((i) => xCategories[i] ?? "") } : {}) },
        { ...axis(), label: data.yLabel, size: categories ? 80 : 60, ...(categories ? { splits: () => categories.map((_, i) => i), values: (_u: uPlot, v: number[]) => v.map((i) => categories[i] ?? "") } : {}) },
      ],
      series: [{ label: data.xLabel || "x" }, ...seriesOptions(data, theme)],
      hooks: {
        draw: [(u) => drawAnnotations(u, data, theme)],
        setSize: [() => placeCursor()],
      },
    };
    plot = new uPlot(opts, aligned, plotBox);
    plot.over.append(cursor);
    plot.over.addEventListener("click", () => {
      const left = plot.cursor.left;
      if (data.runId && left !== undefined && left >= 0) publish(data.runId, plot.posToVal(left, "x"), root);
    });
    placeCursor();
  };
  const placeCursor = () => {
    if (cursorTime === undefined || !plot) return void (cursor.style.display = "none");
    const left = plot.valToPos(cursorTime, "x");
    cursor.style.display = left >= 0 && left <= plot.over.clientWidth ? "block" : "none";
    cursor.style.left = `${left}px`;
    root.dataset.time = String(cursorTime);
  };
  build();
  tools.append(
    button("SVG", "Export this chart as SVG", () => saveExport({ format: "svg", name: data.title, data: chartSvg(data, theme) })),
    button("PNG", "Export this chart as PNG", () => saveExport({ format: "png", name: data.title, data: canvasPng(plot.ctx.canvas, data.title, theme) })),
  );
  const stopTheme = onThemeChange(() => {
    theme = readTheme();
    build();
  });
  const stopBus = data.runId
    ? subscribe(data.runId, (t) => {
        cursorTime = t;
        placeCursor();
      })
    : () => {};
  let lastWidth = root.clientWidth;
  const resize = typeof ResizeObserver !== "undefined" ? new ResizeObserver(() => {
    if (Math.abs(root.clientWidth - lastWidth) < 8) return;
    lastWidth = root.clientWidth;
    plot.setSize({ width: Math.max(320, Math.min(root.clientWidth, 1400)), height: 260 });
  }) : undefined;
  resize?.observe(root);
  return {
    dispose() {
      stopTheme();
      stopBus();
      resize?.disconnect();
      plot.destroy();
    },
    plot: () => plot,
  };
}

function drawAnnotations(u: uPlot, data: ChartData, theme: Theme): void {
  if (data.annotations.length === 0) return;
  const ctx = u.ctx;
  const ratio = u.ctx.canvas.width / (u.ctx.canvas.clientWidth || u.ctx.canvas.width);
  const top = u.bbox.top;
  const bottom = u.bbox.top + u.bbox.height;
  ctx.save();
  ctx.font = `${Math.round(10 * ratio)}px sans-serif`;
  let lastLabelX = -Infinity;
  let row = 0;
  for (const a of data.annotations) {
    const x = u.valToPos(a.at, "x", true);
    if (a.until !== undefined) {
      ctx.fillStyle = theme.red;
      ctx.globalAlpha = 0.1;
      ctx.fillRect(x, top, Math.max(1, u.valToPos(a.until, "x", true) - x), bottom - top);
      ctx.globalAlpha = 1;
    }
    ctx.strokeStyle = theme.red;
    ctx.setLineDash([4 * ratio, 3 * ratio]);
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, bottom);
    ctx.stroke();
    // Labels close together go on the next row instead of over each other.
    row = x - lastLabelX < 90 * ratio ? (row + 1) % 4 : 0;
    lastLabelX = x;
    ctx.fillStyle = theme.red;
    ctx.fillText(a.label.length > 28 ? `${a.label.slice(0, 27)}…` : a.label, x + 3 * ratio, top + (11 + row * 12) * ratio);
  }
  ctx.restore();
}

/** One sentence for screen readers: the title and each series' range. */
export function summary(data: ChartData): string {
  const parts = data.series.map((s) => {
    const ys = s.y.filter((v): v is number => v !== null);
    if (ys.length === 0) return `${s.name}: no data`;
    const name = (v: number) => (data.yCategories?.[v] ?? String(Number(v.toPrecision(4))));
    return `${s.name} from ${name(Math.min(...ys))} to ${name(Math.max(...ys))}`;
  });
  const events = data.annotations.length ? `; ${data.annotations.length} marked events` : "";
  return `Chart ${data.title}: ${parts.join("; ")}${events}.`;
}

/** The data behind a disclosure, as a table (at most 500 rows of the carried points). */
function alternative(data: ChartData, line: string): HTMLElement {
  const box = el("details", "sde-alt");
  box.append(el("summary", undefined, "Data table"));
  box.append(el("p", "sde-summary", line));
  box.addEventListener(
    "toggle",
    () => {
      if (!box.open || box.querySelector("table")) return;
      const aligned = align(data);
      const table = el("table");
      const head = el("tr");
      head.append(el("th", undefined, data.xLabel || "x"), ...data.series.map((s) => el("th", undefined, s.name)));
      table.append(head);
      const rows = Math.min(aligned[0].length, 500);
      for (let i = 0; i < rows; i++) {
        const tr = el("tr");
        const x = aligned[0][i]!;
        tr.append(el("td", undefined, data.xCategories?.[x] ?? String(x)));
        for (let s = 1; s < aligned.length; s++) {
          const v = aligned[s]![i];
          tr.append(el("td", undefined, v === null || v === undefined ? "" : (data.yCategories?.[v] ?? String(v))));
        }
        table.append(tr);
      }
      box.append(table);
      if (aligned[0].length > rows) box.append(el("p", "sde-note", `First ${rows} of ${aligned[0].length} rows.`));
      const events = el("ul");
      for (const a of data.annotations) events.append(el("li", undefined, `${a.at} ms${a.until !== undefined ? ` to ${a.until} ms` : ""}: ${a.label}`));
      if (data.annotations.length) box.append(events);
    },
  );
  return box;
}
