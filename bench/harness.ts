/** Small timing helpers shared by the benchmarks: percentiles and side-by-side ratios. */
import { performance } from "node:perf_hooks";

/** Timing summary in milliseconds. */
export interface Timing {
  name: string;
  runs: number;
  p50: number;
  p95: number;
  mean: number;
}

/** Percentile of sorted samples (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Median of samples: the upper middle one for an even count (no averaging, so it is a real sample). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Summarises raw samples (ms). */
export function summarize(name: string, samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    name,
    runs: samples.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
  };
}

/** Times `fn` `runs` times after `warmup` untimed runs. */
export async function time(name: string, fn: () => unknown, runs: number, warmup = Math.min(50, runs)): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return summarize(name, samples);
}

const fmt = (ms: number) => (ms < 0.1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(3)} ms`);

/** Prints timings as a table with each row's p50 ratio to the baseline row. */
export function report(title: string, baseline: Timing, others: Timing[]): void {
  console.log(`\n${title}`);
  console.log("| case | runs | p50 | p95 | mean | p50 vs baseline |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const t of [baseline, ...others]) {
    const ratio = t === baseline ? "baseline" : `${(t.p50 / baseline.p50).toFixed(2)}×`;
    console.log(`| ${t.name} | ${t.runs} | ${fmt(t.p50)} | ${fmt(t.p95)} | ${fmt(t.mean)} | ${ratio} |`);
  }
}
