/**
 * The trace: every request, response, lost message, timeout, fault and state change, with
 * its virtual time. It renders as a Mermaid sequence diagram (bounded, so a busy run stays
 * readable), as a summary table, or as plain text lines for comparing runs.
 */
import { DISPLAY, markdown, mermaid, table, type Displayable, type MimeBundle } from "../display";

/** What happened. */
export type TraceKind = "request" | "response" | "drop" | "timeout" | "fault" | "state" | "note";

/** One observable event. */
export interface TraceEvent {
  /** Virtual time in ms. */
  time: number;
  kind: TraceKind;
  /** Node (or component) the event starts at. */
  from: string;
  /** Node the event goes to (equal to `from` for local events). */
  to: string;
  /** Short description: `GET /orders/1`, `200`, `breaker OPEN`. */
  summary: string;
}

/** Options for {@link Tracer.diagram}. */
export interface DiagramOptions {
  /** Most events drawn; the rest are summarised in a note. Default 40. */
  limit?: number;
  /** Only events involving these nodes. */
  participants?: readonly string[];
  /** Only events from this virtual time on (ms). */
  from?: number;
  /** Only events up to this virtual time (ms). */
  to?: number;
  /** Only the events this returns true for. */
  filter?: (event: TraceEvent) => boolean;
  /** Diagram title. */
  title?: string;
}

interface Clock {
  readonly now: number;
  readonly runId?: string;
}

/** Records trace events and renders them. */
export class Tracer implements Displayable {
  private readonly list: TraceEvent[] = [];
  private total = 0;
  private observers: ((event: TraceEvent) => void)[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly limit: number,
  ) {}

  /** Id of the run (the simulation's), which charts and the replay of one run share. */
  get runId(): string | undefined {
    return this.clock.runId;
  }

  /** Events kept so far (the first `traceLimit` of the run). */
  get events(): readonly TraceEvent[] {
    return this.list;
  }

  /** Events recorded, including those past the limit. */
  get count(): number {
    return this.total;
  }

  /**
   * @internal True when a recorded event would be kept or shown to an observer. Hot paths
   * check it before building an event's text, and call {@link skip} instead when it is false.
   */
  get recording(): boolean {
    return this.list.length < this.limit || this.observers.length > 0;
  }

  /** @internal Counts an event that was not built because nothing would keep it (see {@link recording}). */
  skip(): void {
    this.total++;
  }

  /** Records an event at the current virtual time. */
  record(kind: TraceKind, from: string, to: string, summary: string): void {
    this.total++;
    const event = { time: this.clock.now, kind, from, to, summary };
    if (this.list.length < this.limit) this.list.push(event);
    for (const observe of this.observers) observe(event);
  }

  /**
   * Calls `observer` with every event as it is recorded (also past the trace limit); returns
   * the function that stops it. Observers must not schedule simulation events.
   */
  observe(observer: (event: TraceEvent) => void): () => void {
    this.observers = [...this.observers, observer];
    return () => void (this.observers = this.observers.filter((o) => o !== observer));
  }

  /** Records a state change of a component, e.g. `breaker OPEN`. */
  state(component: string, summary: string): void {
    this.record("state", component, component, summary);
  }

  /** Records a free-form note. */
  note(at: string, summary: string): void {
    this.record("note", at, at, summary);
  }

  /** Events matching the options, in order. */
  select(options: Omit<DiagramOptions, "limit" | "title"> = {}): TraceEvent[] {
    const who = options.participants ? new Set(options.participants) : undefined;
    return this.list.filter(
      (e) =>
        (options.from === undefined || e.time >= options.from) &&
        (options.to === undefined || e.time <= options.to) &&
        (!who || who.has(e.from) || who.has(e.to)) &&
        (!options.filter || options.filter(e)),
    );
  }

  /** Mermaid `sequenceDiagram` source for the selected events. */
  diagram(options: DiagramOptions = {}): string {
    const limit = options.limit ?? 40;
    const events = this.select(options);
    const shown = events.slice(0, limit);
    const ids = new Map<string, string>();
    const id = (name: string) => {
      let v = ids.get(name);
      if (!v) ids.set(name, (v = `p${ids.size}`));
      return v;
    };
    const lines: string[] = [];
    for (const e of shown) {
      id(e.from);
      id(e.to);
    }
    const out = ["sequenceDiagram"];
    if (options.title) out.push(`  title ${text(options.title)}`);
    for (const [name, pid] of ids) out.push(`  participant ${pid} as ${text(name)}`);
    for (const e of shown) {
      const a = id(e.from);
      const b = id(e.to);
      const label = `${fmtTime(e.time)} ${text(e.summary)}`;
      switch (e.kind) {
        case "request":
          lines.push(`  ${a}->>${b}: ${label}`);
          break;
        case "response":
          lines.push(`  ${a}-->>${b}: ${label}`);
          break;
        case "drop":
          lines.push(`  ${a}-x${b}: ${label}`);
          break;
        case "fault":
          lines.push(a === b ? `  Note over ${a}: ⚡ ${label}` : `  Note over ${a},${b}: ⚡ ${label}`);
          break;
        default:
          lines.push(a === b ? `  Note over ${a}: ${label}` : `  Note over ${a},${b}: ${label}`);
      }
    }
    out.push(...lines);
    const hidden = events.length - shown.length + (this.total - this.list.length);
    if (hidden > 0 && ids.size > 0) {
      const first = [...ids.values()][0]!;
      const last = [...ids.values()].at(-1)!;
      out.push(`  Note over ${first},${last}: … ${hidden} more events not drawn (trace.summary() counts them all)`);
    }
    if (ids.size === 0) out.push("  Note over nothing: no events recorded");
    return out.join("\n");
  }

  /** The selected events as a Mermaid sequence diagram. */
  sequence(options: DiagramOptions = {}): Displayable {
    return mermaid(this.diagram(options));
  }

  /** Counts of events by kind and by pair of nodes. */
  summary(): Displayable {
    const rows = new Map<string, { from: string; to: string; request: number; response: number; drop: number; timeout: number; other: number }>();
    for (const e of this.list) {
      const key = `${e.from}\u0000${e.to}`;
      let row = rows.get(key);
      if (!row) rows.set(key, (row = { from: e.from, to: e.to, request: 0, response: 0, drop: 0, timeout: 0, other: 0 }));
      if (e.kind === "request" || e.kind === "response" || e.kind === "drop" || e.kind === "timeout") row[e.kind]++;
      else row.other++;
    }
    if (rows.size === 0) return markdown("_No trace events recorded._");
    return table([...rows.values()]);
  }

  /** One line per event, for comparing runs: `   12.000 web -> orders request GET /x`. */
  text(): string {
    return this.list.map((e) => `${e.time.toFixed(3).padStart(10)} ${e.from} -> ${e.to} ${e.kind} ${e.summary}`).join("\n");
  }

  [DISPLAY](): MimeBundle {
    return this.sequence()[DISPLAY]();
  }
}

function fmtTime(ms: number): string {
  return `[${Number.isInteger(ms) ? ms : ms.toFixed(1)} ms]`;
}

/** Text Mermaid will not read as syntax: no line breaks, `;` or `#` (entity codes instead). */
function text(s: string): string {
  // One pass: escaping "#" first would add a ";" that the second escape then breaks.
  return s.replace(/[\r\n]+/g, " ").replace(/[#;]/g, (c) => (c === "#" ? "#35;" : "#59;")).replace(/%%/g, "% %");
}
