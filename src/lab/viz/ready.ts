/**
 * Ready charts from what a simulation records: breaker states and faults from the trace,
 * counts per window from event times, comparisons as bars. Each returns a {@link Chart}.
 */
import { ConfigError, positive } from "../errors";
import type { TraceEvent, Tracer } from "../sim/trace";
import { chart, type Chart, type ChartAnnotation, type ChartKind } from "./chart";

/** Breaker states, in the order a state chart draws them (0 at the bottom). */
export const BREAKER_STATES = ["CLOSED", "HALF_OPEN", "OPEN"] as const;

const BREAKER_EVENT = /^breaker (CLOSED|HALF_OPEN|OPEN)\b/;

/** Options shared by the ready charts. */
export interface ReadyChartOptions {
  title?: string;
  /** Id of the run, to follow the replay's scrubber. */
  runId?: string;
  /** Extra events to mark. */
  annotations?: readonly ChartAnnotation[];
}

/**
 * Each circuit breaker's state over virtual time (a step chart, CLOSED at the bottom, OPEN at
 * the top) from the trace, with every transition marked.
 */
export function breakerStates(trace: Tracer, options: ReadyChartOptions & { breakers?: readonly string[] } = {}): Chart {
  const byBreaker = new Map<string, [number, number][]>();
  const marks: ChartAnnotation[] = [];
  const end = lastTime(trace.events);
  for (const e of trace.events) {
    if (e.kind !== "state") continue;
    const m = BREAKER_EVENT.exec(e.summary);
    if (!m || (options.breakers && !options.breakers.includes(e.from))) continue;
    let pts = byBreaker.get(e.from);
    if (!pts) byBreaker.set(e.from, (pts = [[0, 0]]));
    pts.push([e.time, BREAKER_STATES.indexOf(m[1] as (typeof BREAKER_STATES)[number])]);
    marks.push({ at: e.time, label: `${e.from} ${m[1]}` });
  }
  for (const name of options.breakers ?? []) if (!byBreaker.has(name)) byBreaker.set(name, [[0, 0]]);
  if (byBreaker.size === 0) byBreaker.set("breaker", [[0, 0]]);
  for (const pts of byBreaker.values()) if (pts[pts.length - 1]![0] < end) pts.push([end, pts[pts.length - 1]![1]]);
  return chart({
    title: options.title ?? "Breaker state over time",
    kind: "step",
    series: [...byBreaker].map(([name, points]) => ({ name, points })),
    yCategories: [...BREAKER_STATES],
    yLabel: "state",
    annotations: [...marks, ...(options.annotations ?? [])],
    ...((options.runId ?? trace.runId) !== undefined ? { runId: (options.runId ?? trace.runId)! } : {}),
  });
}

/**
 * Faults from the trace as chart annotations: a crash lasts until its restart, a partition
 * until its heal, a slow node until its normal speed; other faults (latency, loss) are
 * marked where they start.
 */
export function faultMarks(trace: Tracer): ChartAnnotation[] {
  const open = new Map<string, ChartAnnotation>();
  const out: ChartAnnotation[] = [];
  for (const e of trace.events) {
    if (e.kind !== "fault") continue;
    if (e.summary.startsWith("crash")) {
      const a: ChartAnnotation = { at: e.time, label: `${e.from} ${e.summary}` };
      open.set(`crash ${e.from}`, a);
      out.push(a);
    } else if (e.summary === "restart") {
      const a = open.get(`crash ${e.from}`);
      if (a) {
        a.until = e.time;
        open.delete(`crash ${e.from}`);
      } else out.push({ at: e.time, label: `${e.from} restart` });
    } else if (e.summary.startsWith("partition")) {
      const a: ChartAnnotation = { at: e.time, label: e.summary };
      open.set("partition", a);
      out.push(a);
    } else if (e.summary.startsWith("heal")) {
      const a = open.get("partition");
      if (a) {
        a.until = e.time;
        open.delete("partition");
      } else out.push({ at: e.time, label: e.summary });
    } else if (/× slower$/.test(e.summary)) {
      const a: ChartAnnotation = { at: e.time, label: `${e.from} ${e.summary}` };
      open.set(`slow ${e.from}`, a);
      out.push(a);
    } else if (e.summary === "normal speed" && open.has(`slow ${e.from}`)) {
      open.get(`slow ${e.from}`)!.until = e.time;
      open.delete(`slow ${e.from}`);
    } else out.push({ at: e.time, label: e.from === e.to ? `${e.from} ${e.summary}` : `${e.from} → ${e.to} ${e.summary}` });
  }
  return out;
}

/**
 * How many events fell into each window of virtual time, one series per name: retries per
 * window, requests per window, duplicates per window. `events` maps a series name to the
 * virtual times at which its events happened.
 */
export function perWindow(title: string, events: Readonly<Record<string, readonly number[]>>, options: ReadyChartOptions & { windowMs?: number; kind?: ChartKind; yLabel?: string } = {}): Chart {
  const windowMs = positive("perWindow", "windowMs", options.windowMs ?? 100);
  const names = Object.keys(events);
  if (names.length === 0) throw new ConfigError("perWindow", "events", events, "an object of series name → event times (ms), with at least one series");
  let last = 0;
  for (const n of names) for (const t of events[n]!) last = Math.max(last, t);
  const windows = Math.floor(last / windowMs) + 1;
  const series = names.map((name) => {
    const counts = new Array<number>(windows).fill(0);
    for (const t of events[name]!) {
      if (typeof t !== "number" || !Number.isFinite(t) || t < 0) throw new ConfigError("perWindow", `events.${name}`, t, "virtual times ≥ 0 in ms");
      counts[Math.floor(t / windowMs)]!++;
    }
    return { name, points: counts.map((c, i) => [i * windowMs, c] as [number, number]) };
  });
  return chart({
    title,
    kind: options.kind ?? "step",
    series,
    yLabel: options.yLabel ?? `per ${windowMs} ms`,
    ...(options.annotations !== undefined ? { annotations: options.annotations } : {}),
    ...(options.runId !== undefined ? { runId: options.runId } : {}),
  });
}

/**
 * A comparison as grouped bars: `groups` maps a series name ("before split") to values by
 * category ("shard 0": 1200). Categories keep the order they first appear in.
 */
export function bars(title: string, groups: Readonly<Record<string, Readonly<Record<string, number>>>>, options: ReadyChartOptions & { yLabel?: string; log?: boolean } = {}): Chart {
  const names = Object.keys(groups);
  if (names.length === 0) throw new ConfigError("bars", "groups", groups, "an object of series name → { category: value }, with at least one series");
  const categories = [...new Set(names.flatMap((n) => Object.keys(groups[n]!)))];
  return chart({
    title,
    kind: "bar",
    xLabel: "",
    xCategories: categories,
    series: names.map((name) => ({ name, points: categories.map((c, i) => [i, groups[name]![c] ?? NaN] as [number, number]) })),
    ...(options.yLabel !== undefined ? { yLabel: options.yLabel } : {}),
    ...(options.log !== undefined ? { log: options.log } : {}),
    ...(options.runId !== undefined ? { runId: options.runId } : {}),
  });
}

/** Requests sent per window by each caller → callee link in the trace (or only `links`). */
export function trafficPerWindow(trace: Tracer, options: ReadyChartOptions & { windowMs?: number; links?: readonly string[] } = {}): Chart {
  const events: Record<string, number[]> = {};
  for (const e of trace.events) {
    if (e.kind !== "request") continue;
    const key = `${e.from} → ${e.to}`;
    if (options.links && !options.links.includes(key)) continue;
    (events[key] ??= []).push(e.time);
  }
  if (Object.keys(events).length === 0) events["requests"] = [];
  const runId = options.runId ?? trace.runId;
  return perWindow(options.title ?? "Requests per window", events, { ...options, ...(runId !== undefined ? { runId } : {}), yLabel: `requests per ${options.windowMs ?? 100} ms` });
}

function lastTime(events: readonly TraceEvent[]): number {
  return events.length ? events[events.length - 1]!.time : 0;
}
