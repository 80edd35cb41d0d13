/**
 * Metrics: counters, latency histograms with exact percentiles, and time series bucketed by
 * virtual time. They render as tables, and series as Mermaid `xychart-beta` bar charts.
 */
import { DISPLAY, markdown, mermaid, table, type Displayable, type MimeBundle } from "../display";
import { ConfigError, positive } from "../errors";
import { chart, type Chart, type ChartAnnotation, type ChartKind } from "../viz/chart";

interface Clock {
  readonly now: number;
  readonly runId?: string;
}

/** A number that only goes up. */
export class Counter {
  private n = 0;
  constructor(readonly name: string) {}
  /** Adds `by` (default 1). */
  inc(by = 1): void {
    this.n += by;
  }
  get value(): number {
    return this.n;
  }
}

/** Summary of a {@link Histogram}. */
export interface HistogramSummary {
  name: string;
  count: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Recorded values (e.g. latencies in ms) with exact percentiles. */
export class Histogram implements Displayable {
  private values: number[] = [];
  private sorted = true;
  /** Times and values interleaved, in recording order (kept only with a clock). */
  private readonly timed: number[] = [];
  /**
   * @param clock - when given (metrics of a simulation pass theirs), each value keeps its
   *   virtual time, so {@link overTime} can chart percentiles per window.
   */
  constructor(
    readonly name: string,
    private readonly clock?: Clock,
  ) {}

  record(value: number): void {
    if (this.values.length > 0 && value < this.values[this.values.length - 1]!) this.sorted = false;
    this.values.push(value);
    if (this.clock) this.timed.push(this.clock.now, value);
  }

  /**
   * Percentiles per window of virtual time (p50 and p99 by default) and, with
   * `throughput: true`, how many values each window recorded, as a chart. Needs a histogram
   * with a clock (those from `sim.metrics.histogram(...)`).
   */
  overTime(options: HistogramChartOptions = {}): Chart {
    if (!this.clock) throw new ConfigError("Histogram.overTime", "clock", undefined, "set: use sim.metrics.histogram(name), whose values keep their virtual time");
    const windowMs = positive("Histogram.overTime", "windowMs", options.windowMs ?? 1000);
    const ps = options.percentiles ?? [50, 99];
    const windows = new Map<number, number[]>();
    for (let i = 0; i < this.timed.length; i += 2) {
      const w = Math.floor(this.timed[i]! / windowMs);
      let list = windows.get(w);
      if (!list) windows.set(w, (list = []));
      list.push(this.timed[i + 1]!);
    }
    const keys = [...windows.keys()].sort((a, b) => a - b);
    const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
    const sortedWindows = keys.map((k) => windows.get(k)!.sort((a, b) => a - b));
    const series = options.throughput
      ? [{ name: `${this.name}: values per ${windowMs} ms`, points: keys.map((k, i) => [k * windowMs, sortedWindows[i]!.length] as [number, number]) }]
      : ps.map((p) => ({ name: `p${p}`, points: keys.map((k, i) => [k * windowMs, pct(sortedWindows[i]!, p)] as [number, number]) }));
    return chart({
      title: options.title ?? (options.throughput ? `${this.name}: throughput` : `${this.name}: percentiles per ${windowMs} ms`),
      kind: options.throughput ? "bar" : "line",
      series,
      yLabel: options.yLabel ?? (options.throughput ? "count" : "ms"),
      ...(options.log !== undefined ? { log: options.log } : {}),
      ...(options.annotations !== undefined ? { annotations: options.annotations } : {}),
      ...runIdOf(options.runId ?? this.clock?.runId),
    });
  }

  get count(): number {
    return this.values.length;
  }

  private ordered(): number[] {
    if (!this.sorted) {
      this.values.sort((a, b) => a - b);
      this.sorted = true;
    }
    return this.values;
  }

  /** The p-th percentile (nearest rank), NaN when empty. */
  percentile(p: number): number {
    const v = this.ordered();
    if (v.length === 0) return NaN;
    const rank = Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1));
    return v[rank]!;
  }

  summary(): HistogramSummary {
    const v = this.ordered();
    const sum = v.reduce((a, b) => a + b, 0);
    return {
      name: this.name,
      count: v.length,
      min: v[0] ?? NaN,
      mean: v.length ? sum / v.length : NaN,
      p50: this.percentile(50),
      p95: this.percentile(95),
      p99: this.percentile(99),
      max: v[v.length - 1] ?? NaN,
    };
  }

  [DISPLAY](): MimeBundle {
    return table([this.summary() as unknown as Record<string, unknown>])[DISPLAY]();
  }
}

/** Options of {@link Histogram.overTime}. */
export interface HistogramChartOptions {
  /** Width of a window of virtual time, in ms. Default 1000. */
  windowMs?: number;
  /** Percentiles drawn, one series each. Default [50, 99]. */
  percentiles?: readonly number[];
  /** Draw the count per window instead of percentiles. */
  throughput?: boolean;
  title?: string;
  yLabel?: string;
  log?: boolean;
  annotations?: readonly ChartAnnotation[];
  runId?: string;
}

/** Counts (or sums) per fixed bucket of virtual time, e.g. requests per 100 ms. */
export class TimeSeries implements Displayable {
  private readonly buckets = new Map<number, number>();
  constructor(
    readonly name: string,
    readonly bucketMs: number,
    private readonly clock: Clock,
  ) {}

  /** Adds `value` (default 1) to the bucket of `timeMs` (default now). */
  add(value = 1, timeMs = this.clock.now): void {
    const b = Math.floor(timeMs / this.bucketMs);
    this.buckets.set(b, (this.buckets.get(b) ?? 0) + value);
  }

  /** Every bucket from the first to the last non-empty one, empty ones as 0. */
  points(): { start: number; value: number }[] {
    if (this.buckets.size === 0) return [];
    const keys = [...this.buckets.keys()];
    const first = Math.min(...keys);
    const last = Math.max(...keys);
    const out: { start: number; value: number }[] = [];
    for (let b = first; b <= last; b++) out.push({ start: b * this.bucketMs, value: this.buckets.get(b) ?? 0 });
    return out;
  }

  /** The largest bucket value. */
  get peak(): number {
    let max = 0;
    for (const v of this.buckets.values()) max = Math.max(max, v);
    return max;
  }

  /** Sum over all buckets. */
  get total(): number {
    let sum = 0;
    for (const v of this.buckets.values()) sum += v;
    return sum;
  }

  /** The series as a chart (the notebook renderer draws it; headless runs print a summary). */
  lineChart(options: { title?: string; kind?: ChartKind; annotations?: readonly ChartAnnotation[]; runId?: string } = {}): Chart {
    return chart({
      title: options.title ?? `${this.name} (per ${this.bucketMs} ms)`,
      kind: options.kind ?? "step",
      series: [{ name: this.name, points: this.points().map((p) => [p.start, p.value] as [number, number]) }],
      ...(options.annotations !== undefined ? { annotations: options.annotations } : {}),
      ...runIdOf(options.runId ?? this.clock?.runId),
    });
  }

  /** A Mermaid bar chart of the series (at most `maxBars` bars; buckets are merged to fit). */
  chart(title = this.name, maxBars = 60): Displayable {
    let points = this.points();
    let width = this.bucketMs;
    if (points.length > maxBars) {
      const merge = Math.ceil(points.length / maxBars);
      width *= merge;
      const merged: { start: number; value: number }[] = [];
      for (let i = 0; i < points.length; i += merge) {
        merged.push({ start: points[i]!.start, value: points.slice(i, i + merge).reduce((a, p) => a + p.value, 0) });
      }
      points = merged;
    }
    if (points.length === 0) return markdown(`_${this.name}: no data_`);
    const top = Math.max(1, ...points.map((p) => p.value));
    return mermaid(
      [
        "xychart-beta",
        `  title "${title.replace(/"/g, "'")} (per ${width} ms)"`,
        `  x-axis "virtual time (ms)" [${points.map((p) => p.start).join(", ")}]`,
        `  y-axis "${this.name.replace(/"/g, "'")}" 0 --> ${Math.ceil(top * 1.1)}`,
        `  bar [${points.map((p) => round(p.value)).join(", ")}]`,
      ].join("\n"),
    );
  }

  [DISPLAY](): MimeBundle {
    return this.chart()[DISPLAY]();
  }
}

/** The metrics of one simulation, by name. */
export class Metrics implements Displayable {
  private readonly counters = new Map<string, Counter>();
  private readonly histograms = new Map<string, Histogram>();
  private readonly series = new Map<string, TimeSeries>();

  constructor(private readonly clock: Clock) {}

  /** The counter with this name (created on first use). */
  counter(name: string): Counter {
    let c = this.counters.get(name);
    if (!c) this.counters.set(name, (c = new Counter(name)));
    return c;
  }

  /** The histogram with this name (created on first use). */
  histogram(name: string): Histogram {
    let h = this.histograms.get(name);
    if (!h) this.histograms.set(name, (h = new Histogram(name, this.clock)));
    return h;
  }

  /** The time series with this name and bucket width (created on first use). */
  timeSeries(name: string, bucketMs = 100): TimeSeries {
    positive("Metrics.timeSeries", "bucketMs", bucketMs);
    let s = this.series.get(name);
    if (!s) this.series.set(name, (s = new TimeSeries(name, bucketMs, this.clock)));
    return s;
  }

  /** Plain values: counters by name, histogram summaries by name. */
  snapshot(): { counters: Record<string, number>; histograms: Record<string, HistogramSummary> } {
    return {
      counters: Object.fromEntries([...this.counters].map(([k, c]) => [k, c.value])),
      histograms: Object.fromEntries([...this.histograms].map(([k, h]) => [k, h.summary()])),
    };
  }

  /** Counters and histogram summaries as tables. */
  table(): Displayable {
    const parts: string[] = [];
    if (this.counters.size > 0) parts.push(table([...this.counters.values()].map((c) => ({ counter: c.name, value: c.value })))[DISPLAY]()["text/markdown"]!);
    if (this.histograms.size > 0) {
      const rows = [...this.histograms.values()].map((h) => {
        const s = h.summary();
        return { histogram: s.name, count: s.count, p50: round(s.p50), p95: round(s.p95), p99: round(s.p99), max: round(s.max) };
      });
      parts.push(table(rows)[DISPLAY]()["text/markdown"]!);
    }
    return markdown(parts.length ? parts.join("\n\n") : "_No metrics recorded._");
  }

  [DISPLAY](): MimeBundle {
    return this.table()[DISPLAY]();
  }
}

function runIdOf(runId: string | undefined): { runId?: string } {
  return runId !== undefined ? { runId } : {};
}

function round(v: number): number {
  return Number.isFinite(v) ? Math.round(v * 100) / 100 : v;
}
