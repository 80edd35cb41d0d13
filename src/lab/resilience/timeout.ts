/**
 * Timeout: the caller stops waiting after a deadline. What happens to the work it leaves
 * behind is the point of the two variants — an aggressive timeout walks away and the callee
 * keeps working for nobody; a cooperative one also tells the callee, which may stop.
 */
import { ConfigError, nonNegative, oneOf } from "../errors";
import { DISPLAY, table, type MimeBundle } from "../display";
import { TimeoutError } from "../sim/call-errors";
import type { Simulation } from "../sim/simulation";
import { CancelSource, Listeners, NEVER_CANCELLED, type CancelSignal, type ResiliencePolicy } from "./policy";

/** How a {@link TimeoutPolicy} treats the work it gives up on. */
export type TimeoutKind = "aggressive" | "cooperative";

/** Options of a {@link TimeoutPolicy}. Defaults are in {@link TIMEOUT_DEFAULTS}. */
export interface TimeoutOptions {
  /** Name in traces, errors and displays. Default `"timeout"`. */
  name?: string;
  /** The deadline in ms of virtual time. Default 30 000 (the simulation's default call timeout). */
  timeoutMs?: number;
  /**
   * - `"aggressive"` (default): at the deadline the caller gets a {@link TimeoutError} and the
   *   callee is not told: it runs to the end and its work is wasted.
   * - `"cooperative"`: the caller gets the {@link TimeoutError} too, and the callee's
   *   {@link CancelSignal} is aborted with it, so a callee that watches the signal can stop.
   */
  kind?: TimeoutKind;
  /** Record each timeout as a trace note. Default true. */
  trace?: boolean;
}

/** Defaults of {@link TimeoutOptions}. */
export const TIMEOUT_DEFAULTS = { name: "timeout", timeoutMs: 30_000, kind: "aggressive", trace: true } as const;

/** A call that hit its deadline. */
export interface TimeoutEvent {
  /** Virtual time in ms. */
  time: number;
  kind: TimeoutKind;
}

/** Counts of a {@link TimeoutPolicy} since it was created. */
export interface TimeoutStats {
  /** Calls started. */
  calls: number;
  /** Calls that ended before the deadline. */
  completed: number;
  /** Calls whose caller was freed at the deadline. */
  timedOut: number;
  /** Of the timed-out calls, those whose work is still running now. */
  abandonedRunning: number;
  /** The most abandoned calls running at once. */
  peakAbandonedRunning: number;
  /** Timed-out calls whose work later finished with a value: done for nobody. */
  wastedWork: number;
  /** Timed-out calls whose work ended early with an error (a cooperative callee that stopped). */
  stopped: number;
  /** Virtual ms that abandoned work kept running after its caller left, summed. */
  wastedMs: number;
}

/**
 * A timeout on virtual time. Both kinds free the caller at the deadline with the core
 * {@link TimeoutError} (outcome `info`: the work may still happen); they differ in whether
 * the callee is told. The stats show both sides: callers freed (`timedOut`) and work left
 * running (`abandonedRunning`, `wastedWork`, `wastedMs`).
 *
 * Semantics follow the SPEC's definitions, which differ from cockatiel's names: cockatiel's
 * `TimeoutStrategy.Aggressive` rejects at once *and* aborts the signal, and its `Cooperative`
 * only aborts the signal and waits for the callee to return.
 *
 * Simplification: a simulated node call (`ctx.call`) takes no signal, so cooperative
 * cancellation reaches only callees written against the {@link CancelSignal}.
 */
export class TimeoutPolicy implements ResiliencePolicy {
  /** The options in force, defaults filled in. */
  readonly options: Readonly<Required<TimeoutOptions>>;
  private readonly counts: TimeoutStats = { calls: 0, completed: 0, timedOut: 0, abandonedRunning: 0, peakAbandonedRunning: 0, wastedWork: 0, stopped: 0, wastedMs: 0 };
  private readonly timeoutListeners = new Listeners<TimeoutEvent>();

  constructor(
    readonly sim: Simulation,
    options: TimeoutOptions = {},
  ) {
    const d = TIMEOUT_DEFAULTS;
    const c = "TimeoutPolicy";
    this.options = {
      name: options.name ?? d.name,
      timeoutMs: nonNegative(c, "timeoutMs", options.timeoutMs ?? d.timeoutMs),
      kind: oneOf(c, "kind", options.kind ?? d.kind, ["aggressive", "cooperative"]),
      trace: options.trace ?? d.trace,
    };
    if (typeof this.options.name !== "string" || this.options.name === "") throw new ConfigError(c, "name", this.options.name, "a non-empty string");
  }

  /** Counts since creation. */
  get stats(): TimeoutStats {
    return { ...this.counts };
  }

  /** Calls `listener` when a call hits its deadline. Returns an unsubscribe function. */
  onTimeout(listener: (event: TimeoutEvent) => void): () => void {
    return this.timeoutListeners.add(listener);
  }

  /**
   * Runs `fn` with a deadline.
   * @param fn - the call; a cooperative callee watches the signal it is given
   * @throws {@link TimeoutError} at the deadline; else whatever `fn` throws
   */
  execute<T>(fn: (signal: CancelSignal) => Promise<T> | T, signal: CancelSignal = NEVER_CANCELLED): Promise<T> {
    const { sim, counts } = this;
    const { name, timeoutMs, kind } = this.options;
    const source = new CancelSource(signal);
    counts.calls++;
    let work: Promise<T>;
    try {
      work = Promise.resolve(fn(source.signal));
    } catch (error) {
      work = Promise.reject(error);
    }
    return new Promise<T>((resolve, reject) => {
      let abandonedAt: number | undefined;
      const timer = sim.schedule(timeoutMs, () => {
        abandonedAt = sim.now;
        counts.timedOut++;
        counts.abandonedRunning++;
        counts.peakAbandonedRunning = Math.max(counts.peakAbandonedRunning, counts.abandonedRunning);
        const error = new TimeoutError(name, timeoutMs);
        if (this.options.trace) sim.trace.note(name, `${kind} timeout after ${timeoutMs} ms${kind === "aggressive" ? ": the work keeps running" : ": callee signalled"}`);
        if (!this.timeoutListeners.empty) this.timeoutListeners.emit({ time: sim.now, kind });
        if (kind === "cooperative") source.cancel(error);
        sim.wake(reject, error);
      });
      const settled = (ok: boolean) => {
        if (abandonedAt === undefined) {
          timer.cancel();
          counts.completed++;
          source.dispose();
          return true;
        }
        counts.abandonedRunning--;
        counts.wastedMs += sim.now - abandonedAt;
        if (ok) counts.wastedWork++;
        else counts.stopped++;
        source.dispose();
        return false;
      };
      work.then(
        (value) => {
          if (settled(true)) resolve(value);
        },
        (error: unknown) => {
          if (settled(false)) reject(error);
        },
      );
    });
  }

  /** A table of the counts. */
  [DISPLAY](): MimeBundle {
    const o = this.options;
    return table([{ policy: o.name, kind: o.kind, "timeout ms": o.timeoutMs, ...this.counts }])[DISPLAY]();
  }
}
