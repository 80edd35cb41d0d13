/**
 * Charts of simulation runs: time series and comparisons as data, not pictures. A chart is one
 * notebook output in three forms: `application/vnd.sde-lab.chart+json` (the columns SDE Lab's
 * notebook renderer draws), markdown (a summary table VS Code shows where the renderer is not
 * there) and plain text (what the headless `sde-lab run` prints). Every label stays data: the
 * renderer puts it into text nodes, the markdown form escapes it.
 */
import { table, type DISPLAY as DisplayKey, type Displayable, type MimeBundle } from "../display";
// display.ts imports this module (display.chart / display.replay): reading its DISPLAY
// constant while the class is defined would hit the import cycle, so take the same
// registered symbol here.
const DISPLAY: typeof DisplayKey = Symbol.for("sde-lab.display") as never;
import { ConfigError, wholeNumber } from "../errors";
import { minMaxDownsample, type Columns } from "./downsample";

/** MIME type of a chart output. */
export const CHART_MIME = "application/vnd.sde-lab.chart+json";

/** How a series is drawn. */
export type ChartKind = "line" | "step" | "area" | "bar" | "scatter";

/** Kinds a series may have, for validation and docs. */
export const CHART_KINDS: readonly ChartKind[] = ["line", "step", "area", "bar", "scatter"];

/** One point: x (usually virtual time in ms) and y; a non-finite y leaves a gap. */
export type ChartPoint = readonly [x: number, y: number] | { readonly x: number; readonly y: number };

/** One named series of a chart. */
export interface ChartSeries {
  /** Name in the legend and the summary. Shown as text, never as markup. */
  name: string;
  /** The points, in any order (they are sorted by x). */
  points: readonly ChartPoint[];
  /** How this series is drawn; default the chart's {@link ChartSpec.kind}. */
  kind?: ChartKind;
}

/** A marked moment (or span, with `until`) such as "breaker opened" or "broker 2 down". */
export interface ChartAnnotation {
  /** x where it happens (virtual time in ms). */
  at: number;
  /** What happened. Shown as text. */
  label: string;
  /** End of the span, when the event lasts (a partition, a crash until the restart). */
  until?: number;
}

/** What to draw. */
export interface ChartSpec {
  /** Title above the chart and first line of the text summary. */
  title: string;
  /** The series (at least one; at most {@link CHART_DEFAULTS.maxSeries}). */
  series: readonly ChartSeries[];
  /** Default kind of every series. Default `line`. */
  kind?: ChartKind;
  /** Label of the x axis. Default `virtual time (ms)`. */
  xLabel?: string;
  /** Label of the y axis. */
  yLabel?: string;
  /** Logarithmic y axis (points with y ≤ 0 are left out, and a note says how many). */
  log?: boolean;
  /** Names of the values 0, 1, 2… of y, for state charts (`["CLOSED", "HALF_OPEN", "OPEN"]`). */
  yCategories?: readonly string[];
  /** Names of the values 0, 1, 2… of x, for comparisons (`["shard 0", "shard 1"]`, bar charts). */
  xCategories?: readonly string[];
  /** Events to mark at their virtual time. */
  annotations?: readonly ChartAnnotation[];
  /** Id of the run: the notebook renderer moves charts and the replay of one run together. */
  runId?: string;
  /** Most points carried in the output over all series (more are downsampled). Default 8,000. */
  maxPoints?: number;
}

/** Limits of a chart output, in one place. */
export const CHART_DEFAULTS = {
  /** Points kept over all series before min/max downsampling starts. */
  maxPoints: 8_000,
  /** Bytes the JSON form may take; the whole output stays near 200 KB. */
  maxBytes: 180_000,
  maxSeries: 40,
  maxAnnotations: 200,
  /** Longest label kept (characters); longer ones end in "…". */
  maxLabel: 200,
} as const;

/** The JSON form of a chart, as the renderer reads it. */
export interface ChartData {
  v: 1;
  title: string;
  xLabel: string;
  yLabel: string;
  log: boolean;
  yCategories?: string[];
  xCategories?: string[];
  runId?: string;
  series: { name: string; kind: ChartKind; x: number[]; y: (number | null)[]; points: number }[];
  annotations: { at: number; label: string; until?: number }[];
  /** What was done to the data (downsampling, points left out), shown under the chart. */
  notes: string[];
}

/** Per-series statistics for the text summary. */
interface SeriesStats {
  name: string;
  points: number;
  min: number;
  median: number;
  max: number;
}

/** A chart as a displayable value: return it from a cell or pass it to `display`. */
export class Chart implements Displayable {
  /** The data the renderer draws (downsampled to fit). */
  readonly data: ChartData;
  private readonly stats: SeriesStats[];

  constructor(spec: ChartSpec) {
    const built = build(spec);
    this.data = built.data;
    this.stats = built.stats;
  }

  /** Compact text: title, each series' min/median/max, key events, notes. */
  summary(): string {
    const d = this.data;
    const fmt = (v: number) => formatValue(v, d.yCategories);
    const lines = [`Chart: ${d.title}${d.log ? " (log scale)" : ""}`];
    const xs = d.series.flatMap((s) => (s.x.length ? [s.x[0]!, s.x[s.x.length - 1]!] : []));
    if (d.xCategories) lines.push(`  ${d.xLabel || "x"}: ${d.xCategories.join(", ")}`);
    else if (xs.length) lines.push(`  ${d.xLabel}: ${formatNumber(Math.min(...xs))} … ${formatNumber(Math.max(...xs))}`);
    for (const s of this.stats) {
      lines.push(s.points === 0 ? `  ${s.name}: no points` : `  ${s.name} (${s.points} points): min ${fmt(s.min)}, median ${fmt(s.median)}, max ${fmt(s.max)}${d.yLabel ? ` ${d.yLabel}` : ""}`);
    }
    const shown = d.annotations.slice(0, 8);
    if (shown.length) {
      lines.push(`  events: ${shown.map((a) => `${formatNumber(a.at)}${a.until !== undefined ? `–${formatNumber(a.until)}` : ""} ${a.label}`).join("; ")}${d.annotations.length > shown.length ? `; … ${d.annotations.length - shown.length} more` : ""}`);
    }
    for (const n of d.notes) lines.push(`  note: ${n}`);
    return lines.join("\n");
  }

  /** The same summary as markdown: a table of series and a list of events. */
  markdown(): string {
    const d = this.data;
    const fmt = (v: number) => (this.stats.length && Number.isFinite(v) ? formatValue(v, d.yCategories) : "");
    const rows = this.stats.map((s) => ({ series: s.name, points: s.points, min: fmt(s.min), median: fmt(s.median), max: fmt(s.max) }));
    const parts = [`**${escapeInline(d.title)}**${d.log ? " (log scale)" : ""}`, table(rows)[DISPLAY]()["text/markdown"]!];
    if (d.annotations.length) parts.push(d.annotations.slice(0, 20).map((a) => `- ${formatNumber(a.at)} ms: ${escapeInline(a.label)}`).join("\n"));
    if (d.notes.length) parts.push(d.notes.map((n) => `_${escapeInline(n)}_`).join("\n\n"));
    return parts.join("\n\n");
  }

  [DISPLAY](): MimeBundle {
    // The chart's own kind first: VS Code picks it when the SDE Lab renderer is there.
    return { [CHART_MIME]: JSON.stringify(this.data), "text/markdown": this.markdown(), "text/plain": this.summary() };
  }
}

/** A chart of `spec`; see {@link ChartSpec}. Throws a ConfigError naming a bad field. */
export function chart(spec: ChartSpec): Chart {
  return new Chart(spec);
}

function build(spec: ChartSpec): { data: ChartData; stats: SeriesStats[] } {
  const where = "chart";
  if (typeof spec !== "object" || spec === null) throw new ConfigError(where, "spec", spec, "an object with a title and series");
  if (typeof spec.title !== "string") throw new ConfigError(where, "title", spec.title, "a string");
  if (!Array.isArray(spec.series) || spec.series.length === 0) throw new ConfigError(where, "series", spec.series, "a non-empty array of { name, points }");
  if (spec.series.length > CHART_DEFAULTS.maxSeries) throw new ConfigError(where, "series", `${spec.series.length} series`, `at most ${CHART_DEFAULTS.maxSeries} series (merge some, or draw several charts)`);
  const kind = spec.kind ?? "line";
  checkKind("kind", kind);
  const maxPoints = wholeNumber(where, "maxPoints", spec.maxPoints ?? CHART_DEFAULTS.maxPoints, 10);
  const log = spec.log === true;
  const notes: string[] = [];
  const full: (Columns & { name: string; kind: ChartKind })[] = spec.series.map((s, i) => {
    if (typeof s !== "object" || s === null || !Array.isArray(s.points)) throw new ConfigError(where, `series[${i}].points`, s, "an array of [x, y] pairs or { x, y } objects");
    const name = label(s.name, `series ${i + 1}`);
    const sk = s.kind ?? kind;
    checkKind(`series[${i}].kind`, sk);
    const pts = (s.points as readonly ChartPoint[]).map((p: ChartPoint, j: number) => {
      const [x, y]: readonly unknown[] = Array.isArray(p) ? (p as readonly unknown[]) : [(p as { x: unknown }).x, (p as { y: unknown }).y];
      if (typeof x !== "number" || !Number.isFinite(x)) throw new ConfigError(where, `series[${i}].points[${j}].x`, x, "a finite number");
      return { x, y: typeof y === "number" && Number.isFinite(y) ? y : null };
    });
    pts.sort((a, b) => a.x - b.x);
    let nonPositive = 0;
    const y = pts.map((p) => {
      if (log && p.y !== null && p.y <= 0) {
        nonPositive++;
        return null;
      }
      return p.y;
    });
    if (nonPositive) notes.push(`${name}: ${nonPositive} point${nonPositive === 1 ? "" : "s"} with y ≤ 0 left out on the log scale`);
    return { name, kind: sk, x: pts.map((p) => p.x), y };
  });
  const stats = full.map((s) => seriesStats(s.name, s.y));
  let annotations = (spec.annotations ?? []).map((a, i) => {
    if (typeof a !== "object" || a === null || typeof a.at !== "number" || !Number.isFinite(a.at)) throw new ConfigError(where, `annotations[${i}].at`, a?.at, "a finite number (virtual time in ms)");
    if (a.until !== undefined && (typeof a.until !== "number" || !Number.isFinite(a.until))) throw new ConfigError(where, `annotations[${i}].until`, a.until, "a finite number or undefined");
    return { at: round(a.at, 3), label: label(a.label, "event"), ...(a.until !== undefined ? { until: round(a.until, 3) } : {}) };
  });
  annotations.sort((a, b) => a.at - b.at);
  if (annotations.length > CHART_DEFAULTS.maxAnnotations) {
    notes.push(`${annotations.length - CHART_DEFAULTS.maxAnnotations} of ${annotations.length} events not marked (the first ${CHART_DEFAULTS.maxAnnotations} are)`);
    annotations = annotations.slice(0, CHART_DEFAULTS.maxAnnotations);
  }
  const base = {
    v: 1 as const,
    title: label(spec.title, "chart"),
    xLabel: label(spec.xLabel ?? "virtual time (ms)", ""),
    yLabel: label(spec.yLabel ?? "", ""),
    log,
    ...(spec.yCategories ? { yCategories: spec.yCategories.map((c) => label(String(c), "")) } : {}),
    ...(spec.xCategories ? { xCategories: spec.xCategories.map((c) => label(String(c), "")) } : {}),
    ...(spec.runId !== undefined ? { runId: label(String(spec.runId), "") } : {}),
    annotations,
  };
  // Downsample to the point budget, then halve it until the JSON fits the byte budget.
  let budget = maxPoints;
  for (let attempt = 0; ; attempt++) {
    const perSeries = Math.max(4, Math.floor(budget / full.length));
    const downNotes: string[] = [];
    const series = full.map((s) => {
      const d = minMaxDownsample(s, perSeries);
      if (d.x.length < s.x.length) {
        downNotes.push(`${s.name}: ${s.x.length.toLocaleString("en-US")} points downsampled to ${d.x.length.toLocaleString("en-US")} (min and max per ${formatNumber(d.bucketWidth)} of x kept)`);
      }
      return { name: s.name, kind: s.kind, x: d.x.map((v) => round(v, 3)), y: d.y.map((v) => (v === null ? null : significant(v))), points: s.x.length };
    });
    const data: ChartData = { ...base, series, notes: [...notes, ...downNotes] };
    if (JSON.stringify(data).length <= CHART_DEFAULTS.maxBytes || perSeries <= 4 || attempt > 12) return { data, stats };
    budget = Math.floor(budget / 2);
  }
}

function checkKind(parameter: string, kind: unknown): void {
  if (!CHART_KINDS.includes(kind as ChartKind)) throw new ConfigError("chart", parameter, kind, `one of ${CHART_KINDS.join(", ")}`);
}

function seriesStats(name: string, y: readonly (number | null)[]): SeriesStats {
  const v = y.filter((n): n is number => n !== null).sort((a, b) => a - b);
  if (v.length === 0) return { name, points: 0, min: NaN, median: NaN, max: NaN };
  return { name, points: v.length, min: v[0]!, median: v[Math.floor((v.length - 1) / 2)]!, max: v[v.length - 1]! };
}

/** A label as plain text of bounded length (it is data, whatever it holds). */
function label(value: unknown, fallback: string): string {
  const s = typeof value === "string" ? value : value === undefined || value === null ? fallback : String(value);
  const flat = s.replace(/[\r\n\t]+/g, " ");
  return flat.length > CHART_DEFAULTS.maxLabel ? `${flat.slice(0, CHART_DEFAULTS.maxLabel - 1)}…` : flat;
}

function escapeInline(s: string): string {
  return s.replace(/[\\`*_[\]<>|#]/g, (c) => (c === "<" ? "&lt;" : c === ">" ? "&gt;" : `\\${c}`));
}

function round(v: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
}

function significant(v: number): number {
  return v === 0 ? 0 : Number(v.toPrecision(5));
}

function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const r = Math.abs(v) >= 100 ? Math.round(v) : Number(v.toPrecision(3));
  return r.toLocaleString("en-US", { maximumFractionDigits: 3 });
}

function formatValue(v: number, categories: readonly string[] | undefined): string {
  if (categories && Number.isInteger(v) && categories[v] !== undefined) return categories[v]!;
  return formatNumber(v);
}
