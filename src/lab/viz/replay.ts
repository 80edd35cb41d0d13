/**
 * Replay of a simulation run: the nodes, the links that carried traffic and every traced
 * event, as data for SDE Lab's notebook renderer, which lays the topology out, moves each
 * message along its link in virtual time and shows node state (down, breaker open,
 * partitioned, open requests, in doubt). Headless runs print a compact summary instead.
 */
import { type DISPLAY as DisplayKey, type Displayable, type MimeBundle } from "../display";
// display.ts imports this module (display.chart / display.replay): reading its DISPLAY
// constant while the class is defined would hit the import cycle, so take the same
// registered symbol here.
const DISPLAY: typeof DisplayKey = Symbol.for("sde-lab.display") as never;
import { wholeNumber } from "../errors";
import type { TraceEvent, TraceKind, Tracer } from "../sim/trace";

/** MIME type of a replay output. */
export const REPLAY_MIME = "application/vnd.sde-lab.replay+json";

/** Event kinds in the order the `k` column numbers them. */
export const REPLAY_KINDS: readonly TraceKind[] = ["request", "response", "drop", "timeout", "fault", "state", "note"];

/** Options of {@link replay}. */
export interface ReplayOptions {
  /** Title above the replay. Default "Replay of the run". */
  title?: string;
  /** Id that charts of the same run carry, so they follow the scrubber. Default the run's. */
  runId?: string;
  /** Most events carried one by one; past it requests and responses are counted per link and time bucket (faults and state changes always stay). Default 8,000. */
  maxEvents?: number;
}

/** Limits of a replay output, in one place. */
export const REPLAY_DEFAULTS = { maxEvents: 8_000, maxBytes: 175_000, maxStrings: 3_000, maxLabel: 120 } as const;

/** The JSON form of a replay, as the renderer reads it. */
export interface ReplayData {
  v: 1;
  title: string;
  runId?: string;
  /** Virtual time of the last event (ms). */
  end: number;
  /** Node names; columns `a` and `b` index into it. */
  nodes: string[];
  /** Links that carried traffic: [from, to, messages]. */
  links: [number, number, number][];
  /** Kind names; column `k` indexes into it. */
  kinds: TraceKind[];
  /** Event summaries; column `s` indexes into it. */
  strings: string[];
  /** Time of each event as the difference from the one before (ms, 3 decimals). */
  dt: number[];
  k: number[];
  a: number[];
  b: number[];
  s: number[];
  /** Messages each event stands for, when traffic was counted per bucket (absent: all 1). */
  n?: number[];
  /** Events the run recorded (also those past the trace limit). */
  total: number;
  notes: string[];
}

interface SimLike {
  readonly trace: Tracer;
  readonly runId?: string;
}

/** A replay as a displayable value. */
export class Replay implements Displayable {
  readonly data: ReplayData;

  constructor(source: SimLike | Tracer, options: ReplayOptions = {}) {
    const trace = "trace" in source ? source.trace : source;
    const runId = options.runId ?? ("trace" in source ? source.runId : trace.runId);
    const maxEvents = wholeNumber("replay", "maxEvents", options.maxEvents ?? REPLAY_DEFAULTS.maxEvents, 10);
    let budget = maxEvents;
    let data = encode(trace, options.title ?? "Replay of the run", runId, budget);
    while (JSON.stringify(data).length > REPLAY_DEFAULTS.maxBytes && budget > 50) {
      budget = Math.floor(budget / 2);
      data = encode(trace, options.title ?? "Replay of the run", runId, budget);
    }
    this.data = data;
  }

  /** Compact text: nodes, links, events by kind, faults and state changes. */
  summary(): string {
    const d = this.data;
    const counts = new Map<string, number>();
    const key: string[] = [];
    let t = 0;
    for (let i = 0; i < d.k.length; i++) {
      t += d.dt[i]!;
      const kind = d.kinds[d.k[i]!]!;
      counts.set(kind, (counts.get(kind) ?? 0) + (d.n?.[i] ?? 1));
      if ((kind === "fault" || (kind === "state" && /breaker|crash|down|in doubt|rebalance|leader/i.test(d.strings[d.s[i]!]!))) && key.length < 12) {
        key.push(`${fmt(t)} ${d.nodes[d.a[i]!]} ${d.strings[d.s[i]!]}`);
      }
    }
    const lines = [
      `Replay: ${d.title} (0 … ${fmt(d.end)} ms of virtual time)`,
      `  nodes: ${d.nodes.join(", ")}`,
      `  links: ${d.links.map(([a, b, n]) => `${d.nodes[a]} → ${d.nodes[b]} (${n})`).join(", ") || "none"}`,
      `  events: ${[...counts].map(([k, n]) => `${n} ${k}`).join(", ") || "none"}`,
    ];
    if (key.length) lines.push(`  key events: ${key.join("; ")}`);
    for (const n of d.notes) lines.push(`  note: ${n}`);
    return lines.join("\n");
  }

  [DISPLAY](): MimeBundle {
    const text = this.summary();
    const md = text
      .split("\n")
      .map((l, i) => (i === 0 ? `**${escapeInline(l)}**` : `- ${escapeInline(l.trim())}`))
      .join("\n");
    return { [REPLAY_MIME]: JSON.stringify(this.data), "text/markdown": md, "text/plain": text };
  }
}

/** A replay of the simulation's trace (or a tracer's). */
export function replay(source: SimLike | Tracer, options: ReplayOptions = {}): Replay {
  return new Replay(source, options);
}

const TRAFFIC = new Set<TraceKind>(["request", "response"]);

function encode(trace: Tracer, title: string, runId: string | undefined, budget: number): ReplayData {
  const events = trace.events;
  const notes: string[] = [];
  if (trace.count > events.length) notes.push(`the trace kept the first ${events.length.toLocaleString("en-US")} of ${trace.count.toLocaleString("en-US")} events (Simulation option traceLimit)`);
  const nodes: string[] = [];
  const nodeIndex = new Map<string, number>();
  const node = (name: string) => {
    let i = nodeIndex.get(name);
    if (i === undefined) {
      nodeIndex.set(name, (i = nodes.length));
      nodes.push(label(name));
    }
    return i;
  };
  // Stable layout input: nodes in order of first appearance, which the seed fixes.
  for (const e of events) {
    node(e.from);
    node(e.to);
  }
  const linkCount = new Map<string, number>();
  for (const e of events) {
    if (e.kind === "request" || e.kind === "response" || e.kind === "drop") {
      const key = `${nodeIndex.get(e.from)},${nodeIndex.get(e.to)}`;
      linkCount.set(key, (linkCount.get(key) ?? 0) + 1);
    }
  }
  let kept: { e: TraceEvent; n: number }[] = events.map((e) => ({ e, n: 1 }));
  let counted = false;
  if (events.length > budget) {
    counted = true;
    const other = events.filter((e) => !TRAFFIC.has(e.kind));
    const traffic = events.filter((e) => TRAFFIC.has(e.kind));
    const room = Math.max(budget - other.length, 10);
    const span = Math.max(1, events[events.length - 1]!.time - events[0]!.time);
    let width = span / Math.max(1, room);
    let buckets: Map<string, { e: TraceEvent; n: number }>;
    do {
      buckets = new Map();
      for (const e of traffic) {
        const key = `${e.kind}|${e.from}|${e.to}|${Math.floor(e.time / width)}`;
        const hit = buckets.get(key);
        if (hit) hit.n++;
        else buckets.set(key, { e: { ...e, summary: e.kind === "request" ? "requests" : "responses" }, n: 1 });
      }
      width *= 2;
    } while (buckets.size > room);
    kept = [...other.map((e) => ({ e, n: 1 })), ...buckets.values()].sort((x, y) => x.e.time - y.e.time);
    notes.push(`${traffic.length.toLocaleString("en-US")} requests and responses counted per link and ${fmt(width / 2)} ms bucket (${buckets.size.toLocaleString("en-US")} moving dots); faults, drops, timeouts and state changes are all shown`);
  }
  const strings: string[] = [];
  const stringIndex = new Map<string, number>();
  let overflow = 0;
  const str = (s: string, kind: TraceKind) => {
    let i = stringIndex.get(s);
    if (i === undefined) {
      if (strings.length >= REPLAY_DEFAULTS.maxStrings) {
        overflow++;
        return str(kind, kind);
      }
      stringIndex.set(s, (i = strings.length));
      strings.push(label(s));
    }
    return i;
  };
  const data: ReplayData = {
    v: 1,
    title: label(title),
    ...(runId !== undefined ? { runId: label(runId) } : {}),
    end: events.length ? round3(events[events.length - 1]!.time) : 0,
    nodes,
    links: [...linkCount].map(([k, n]) => {
      const [a, b] = k.split(",").map(Number) as [number, number];
      return [a, b, n] as [number, number, number];
    }),
    kinds: [...REPLAY_KINDS],
    strings,
    dt: [],
    k: [],
    a: [],
    b: [],
    s: [],
    total: trace.count,
    notes,
  };
  let prev = 0;
  for (const { e } of kept) {
    const t = round3(e.time);
    data.dt.push(round3(t - prev));
    prev = t;
    data.k.push(REPLAY_KINDS.indexOf(e.kind));
    data.a.push(nodeIndex.get(e.from)!);
    data.b.push(nodeIndex.get(e.to)!);
    data.s.push(str(e.summary, e.kind));
  }
  if (counted) data.n = kept.map((x) => x.n);
  if (overflow) notes.push(`${overflow} events past ${REPLAY_DEFAULTS.maxStrings} distinct summaries show their kind only`);
  return data;
}

function label(s: string): string {
  const flat = String(s).replace(/[\r\n\t]+/g, " ");
  return flat.length > REPLAY_DEFAULTS.maxLabel ? `${flat.slice(0, REPLAY_DEFAULTS.maxLabel - 1)}…` : flat;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

function fmt(v: number): string {
  return (Math.round(v * 1000) / 1000).toLocaleString("en-US", { maximumFractionDigits: 3 });
}

function escapeInline(s: string): string {
  return s.replace(/[\\`*_[\]<>|#]/g, (c) => (c === "<" ? "&lt;" : c === ">" ? "&gt;" : `\\${c}`));
}
