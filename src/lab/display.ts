/**
 * Rich display for notebook cells.
 *
 * The protocol is plain data keyed by `Symbol.for` names, so it works across module copies
 * and realms: any object with a {@link DISPLAY} method renders itself, and {@link display}
 * hands bundles to whichever kernel registered a sink under {@link DISPLAY_SINK}. Outside a
 * kernel (plain Node) it prints the `text/plain` form.
 */

import { chart, type ChartSpec } from "./viz/chart";
import { replay, type ReplayOptions } from "./viz/replay";
import type { Tracer } from "./sim/trace";

/** What a replay is made from: a simulation (or anything with its trace), or a tracer. */
export type ReplaySource = { readonly trace: Tracer; readonly runId?: string } | Tracer;

/** A value in several representations, keyed by MIME type, richest first. */
export type MimeBundle = { readonly [mime: string]: string };

/** Method name (a registered symbol) under which an object returns its {@link MimeBundle}. */
export const DISPLAY: unique symbol = Symbol.for("sde-lab.display") as never;
/** Global slot where a kernel registers the function that receives displayed bundles. */
export const DISPLAY_SINK: unique symbol = Symbol.for("sde-lab.displaySink") as never;

/** An object that knows how to show itself in a notebook. */
export interface Displayable {
  [DISPLAY](): MimeBundle;
}

/** True when `value` has a display hook. */
export function isDisplayable(value: unknown): value is Displayable {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { [DISPLAY]?: unknown })[DISPLAY] === "function"
  );
}

/** Row of a table: column name to cell value. */
export type TableRow = { readonly [column: string]: unknown };

class Shown implements Displayable {
  constructor(private readonly bundle: MimeBundle) {}
  [DISPLAY](): MimeBundle {
    return this.bundle;
  }
}

/** Wraps a ready bundle so it can be returned as a cell's value or passed to {@link display}. */
export function bundle(mimeBundle: MimeBundle): Displayable {
  return new Shown(mimeBundle);
}

/** Markdown text. */
export function markdown(text: string): Displayable {
  return new Shown({ "text/markdown": text, "text/plain": text });
}

/**
 * A Mermaid diagram. VS Code renders a `mermaid` fence in markdown output, so that is the
 * rich form; the plain form is the diagram source (what the headless runner prints).
 */
export function mermaid(source: string): Displayable {
  const body = source.trim();
  // A longer fence than any backtick run inside keeps the block closed where it should be.
  const fence = "`".repeat(Math.max(3, ...Array.from(body.matchAll(/`+/g), (m) => m[0].length + 1)));
  return new Shown({ "text/markdown": `${fence}mermaid\n${body}\n${fence}`, "text/plain": body });
}

/** A table of rows (a markdown table, and a plain-text grid for the headless runner). */
export function table(rows: readonly TableRow[], columns?: readonly string[]): Displayable {
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => escapeMarkdownCell(formatCell(v));
  const md = [
    `| ${cols.map((c) => escapeMarkdownCell(c)).join(" | ")} |`,
    `| ${cols.map((c) => (rows.every((r) => typeof r[c] === "number" || r[c] === undefined) ? "---:" : "---")).join(" | ")} |`,
    ...rows.map((r) => `| ${cols.map((c) => cell(r[c])).join(" | ")} |`),
  ].join("\n");
  // No JSON form: VS Code prefers application/json over markdown and would show the rows raw.
  return new Shown({ "text/markdown": md, "text/plain": plainTable(rows, cols) });
}

/** A JSON value, shown as a collapsible tree where the front end supports it. */
export function json(value: unknown): Displayable {
  const text = safeJson(value, 2);
  return new Shown({ "application/json": text, "text/plain": text });
}

/** Plain text, shown as is. */
export function text(value: string): Displayable {
  return new Shown({ "text/plain": value });
}

type DisplayFn = {
  /** Shows a value in the running cell's output, now, without ending the cell. */
  (value: unknown): void;
  /** Shows markdown. */
  markdown(text: string): void;
  /** Shows a Mermaid diagram. */
  mermaid(source: string): void;
  /** Shows rows as a table. */
  table(rows: readonly TableRow[], columns?: readonly string[]): void;
  /** Shows a JSON value. */
  json(value: unknown): void;
  /** Shows plain text. */
  text(value: string): void;
  /**
   * Shows a chart: time series or comparisons (line, step, area, bar, scatter), several
   * series, log scale, events marked at their virtual time. Headless runs print a summary.
   */
  chart(spec: ChartSpec): void;
  /** Shows a replay of a simulation's run (its topology, messages, faults, node states). */
  replay(source: ReplaySource, options?: ReplayOptions): void;
};

type Sink = (value: unknown) => void;
// The lab compiles without DOM or Node types (it must run in either); console is in both.
declare const console: { log(...values: unknown[]): void };

function emit(value: unknown): void {
  const sink = (globalThis as { [DISPLAY_SINK]?: Sink })[DISPLAY_SINK];
  if (sink) {
    sink(value);
    return;
  }
  const plain = isDisplayable(value) ? value[DISPLAY]()["text/plain"] : undefined;
  console.log(plain ?? value);
}

/**
 * Shows a value in the current cell's output while the cell runs. Objects with a display
 * hook (traces, metrics, tables) render richly; other values render as the kernel would
 * render a cell's last expression.
 */
export const display: DisplayFn = Object.assign((value: unknown) => emit(value), {
  markdown: (t: string) => emit(markdown(t)),
  mermaid: (s: string) => emit(mermaid(s)),
  table: (rows: readonly TableRow[], columns?: readonly string[]) => emit(table(rows, columns)),
  json: (v: unknown) => emit(json(v)),
  text: (t: string) => emit(text(t)),
  chart: (spec: ChartSpec) => emit(chart(spec)),
  replay: (source: ReplaySource, options?: ReplayOptions) => emit(replay(source, options)),
});

function formatCell(v: unknown): string {
  if (v === undefined) return "";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  if (typeof v === "string") return v;
  if (v === null || typeof v !== "object") return String(v);
  return safeJson(v);
}

function escapeMarkdownCell(s: string): string {
  // Outputs render without HTML (no <br>): a line break in a cell becomes a space.
  return s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ").replace(/</g, "&lt;");
}

function plainTable(rows: readonly TableRow[], cols: readonly string[]): string {
  const cells = [cols.map(String), ...rows.map((r) => cols.map((c) => formatCell(r[c]).replace(/\n/g, " ")))];
  const widths = cols.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(cells[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
}

/** JSON.stringify that survives cycles and bigints. */
export function safeJson(value: unknown, indent?: number): string {
  const seen = new WeakSet<object>();
  const out = JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === "bigint") return v.toString();
      if (typeof v === "object" && v !== null) {
        if (seen.has(v)) return "[Circular]";
        seen.add(v);
      }
      return v;
    },
    indent,
  );
  return out ?? "null";
}
