/**
 * A slice of a simulation's trace, from one trace position to another, drawn as a sequence
 * diagram: how results (a query, a join, a transaction) show the messages they caused and
 * nothing else, even when other work happened at the same virtual time.
 */
import type { Displayable } from "../display";
import type { Simulation } from "../sim/simulation";

/** Trace events `start` (inclusive) to `end` (exclusive) of `sim`. */
export interface TraceWindow {
  readonly sim: Simulation;
  readonly start: number;
  readonly end: number;
}

/** Marks the trace position now; call `close()` when the operation ends. */
export function openWindow(sim: Simulation): { close(): TraceWindow } {
  const start = sim.trace.events.length;
  return { close: () => ({ sim, start, end: sim.trace.events.length }) };
}

/** The window as a Mermaid sequence diagram. */
export function drawWindow(window: TraceWindow, title: string, limit = 40, participants?: readonly string[]): Displayable {
  const mine = new Set(window.sim.trace.events.slice(window.start, window.end));
  return window.sim.trace.sequence({ filter: (e) => mine.has(e), limit, title, ...(participants ? { participants } : {}) });
}
