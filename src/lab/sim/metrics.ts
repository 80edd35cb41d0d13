/**
 * Metrics: counters, latency histograms with exact percentiles, and time series bucketed by
 * virtual time. They render as tables, and series as Mermaid `xychart-beta` bar charts.
 */
import { DISPLAY, markdown, mermaid, table, type Displayable, type MimeBundle } from "../display";
import { positive } from "../errors";

interface Clock {
  readonly now: number;
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
  constructor(readonly name: string) {}

  record(value: number): void {
    if (this.values.length > 0 && value < this.values[this.values.length - 1]!) this.sorted = false;
    this.values.push(value);
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
    if (!h) this.histograms.set(name, (h = new Histogram(name)));
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

function round(v: number): number {
  return Number.isFinite(v) ? Math.round(v * 100) / 100 : v;
}
