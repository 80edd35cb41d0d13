/**
 * The run bus: the replay of a run publishes its scrubber time, and the charts of the same
 * run (same `runId`, in any cell of the notebook: all outputs share one webview) draw a cursor
 * there. Charts can also move the replay: clicking a chart seeks it.
 */

type Listener = (timeMs: number, source: object) => void;

const channels = new Map<string, Set<Listener>>();

/** Listens to a run's time; returns the function that stops it. */
export function subscribe(runId: string, fn: Listener): () => void {
  let set = channels.get(runId);
  if (!set) channels.set(runId, (set = new Set()));
  set.add(fn);
  return () => void set.delete(fn);
}

/** Announces a run's current virtual time. */
export function publish(runId: string, timeMs: number, source: object): void {
  for (const fn of [...(channels.get(runId) ?? [])]) fn(timeMs, source);
}
