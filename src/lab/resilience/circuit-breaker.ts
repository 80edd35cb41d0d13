/**
 * The circuit breaker: stops calling a dependency that keeps failing or is too slow, gives
 * it time to recover, then tests it with a few trial calls. State machine and defaults
 * follow resilience4j; the rule for opening a CLOSED circuit is a {@link BreakerStrategy}.
 */
import { ConfigError, nonNegative, oneOf, wholeNumber } from "../errors";
import { DISPLAY, mermaid, table, type MimeBundle } from "../display";
import type { Simulation } from "../sim/simulation";
import { BreakerOpenError, type CircuitState } from "./errors";
import { CountBreakerWindow, TimeBreakerWindow } from "./breaker-window";
import { SlidingWindowBreaker, exceeded, percentThreshold, round, type BreakerStrategy } from "./breaker-strategy";
import { Listeners, NEVER_CANCELLED, isFailureByDefault, type CancelSignal, type PolicyResult, type ResiliencePolicy } from "./policy";

/** Options of a {@link CircuitBreaker}. Defaults (resilience4j's) are in {@link CIRCUIT_BREAKER_DEFAULTS}. */
export interface CircuitBreakerOptions {
  /** Name in traces, errors and displays. Default `"breaker"`. */
  name?: string;
  /** Failure rate in percent (0–100] at or above which the circuit opens. Default 50. */
  failureRateThreshold?: number;
  /** Slow-call rate in percent (0–100] at or above which the circuit opens. Default 100 (every call in the window slow). */
  slowCallRateThreshold?: number;
  /** A call taking longer than this many ms (strictly, as in resilience4j) is slow. Default 60 000. */
  slowCallDurationThreshold?: number;
  /** `COUNT_BASED`: the window is the last N calls; `TIME_BASED`: the calls of the last N seconds. Default `COUNT_BASED`. */
  slidingWindowType?: "COUNT_BASED" | "TIME_BASED";
  /** N of the sliding window: calls (COUNT_BASED) or seconds (TIME_BASED). Default 100. */
  slidingWindowSize?: number;
  /** Calls the window must hold before a rate is judged (capped at the window size when COUNT_BASED). Default 100. */
  minimumNumberOfCalls?: number;
  /** How long the circuit stays OPEN, in ms, before the next call may move it to HALF_OPEN. Default 60 000. */
  waitDurationInOpenState?: number;
  /** Trial calls let through in HALF_OPEN (resilience4j half-open only). Default 10. */
  permittedNumberOfCallsInHalfOpenState?: number;
  /**
   * When a CLOSED circuit opens. Default: a {@link SlidingWindowBreaker} built from the
   * window and threshold options above (resilience4j). Pass a `ConsecutiveBreaker` or
   * `SamplingBreaker` for cockatiel's rules.
   */
  strategy?: BreakerStrategy;
  /**
   * Half-open behaviour.
   * - `"resilience4j"` (default): the first call *strictly after* the wait moves OPEN to
   *   HALF_OPEN; exactly `permittedNumberOfCallsInHalfOpenState` trial calls go through and
   *   others are rejected; when that many have completed, a failure or slow-call rate at or
   *   above its threshold reopens the circuit, otherwise it closes with a fresh window.
   * - `"cockatiel"`: the first call once the wait has elapsed (at or after it) is the single
   *   trial; concurrent callers wait for its result instead of being rejected, then run
   *   (circuit closed) or are rejected (open again). A failed trial reopens, any other
   *   result closes.
   */
  halfOpen?: "resilience4j" | "cockatiel";
  /** Which results count as failures. Default: thrown errors and 5xx responses ({@link isFailureByDefault}). */
  isFailure?: (result: PolicyResult) => boolean;
}

/** resilience4j's circuit breaker defaults (automatic OPEN→HALF_OPEN is off: there is no timer). */
export const CIRCUIT_BREAKER_DEFAULTS = {
  name: "breaker",
  failureRateThreshold: 50,
  slowCallRateThreshold: 100,
  slowCallDurationThreshold: 60_000,
  slidingWindowType: "COUNT_BASED",
  slidingWindowSize: 100,
  minimumNumberOfCalls: 100,
  waitDurationInOpenState: 60_000,
  permittedNumberOfCallsInHalfOpenState: 10,
  halfOpen: "resilience4j",
} as const;

/** A change of circuit state. */
export interface BreakerTransition {
  from: CircuitState;
  to: CircuitState;
  /** Virtual time in ms. */
  time: number;
  /** Why, e.g. `failure rate 60% ≥ 50% of 10 calls`. */
  reason: string;
}

/** A call the breaker refused. */
export interface BreakerRejection {
  /** The state that refused it. */
  state: CircuitState;
  /** Virtual time in ms. */
  time: number;
}

/** A permitted call that has ended. */
export interface BreakerCallEnded {
  failure: boolean;
  slow: boolean;
  durationMs: number;
  /** The state when it ended (the state its result is recorded in). */
  state: CircuitState;
  time: number;
}

/** Counts of a circuit breaker since it was created. */
export interface BreakerStats {
  state: CircuitState;
  /** Permitted calls that have ended. */
  calls: number;
  /** Of them, not failures. */
  successes: number;
  /** Of them, failures. */
  failures: number;
  /** Of them, slow (failed or not). */
  slow: number;
  /** Calls refused at once. */
  rejected: number;
  /** State changes. */
  transitions: number;
}

const NORMAL = 0;
const TRIAL = 1;
const HISTORY_LIMIT = 1000;

/**
 * A circuit breaker on virtual time, with resilience4j semantics and defaults (see
 * {@link CircuitBreakerOptions} and {@link CIRCUIT_BREAKER_DEFAULTS}):
 * - CLOSED: every call runs; its result goes to the {@link BreakerStrategy}, which says when
 *   to open (by default: ≥ `minimumNumberOfCalls` in the window and a failure or slow-call
 *   rate at or above its threshold).
 * - OPEN: calls are rejected at once with {@link BreakerOpenError} (outcome `fail`), until
 *   the first call strictly after `waitDurationInOpenState` moves the circuit to HALF_OPEN.
 * - HALF_OPEN: see {@link CircuitBreakerOptions.halfOpen}.
 *
 * As in resilience4j, a call's result is recorded in the state the breaker is in when the
 * call *ends*: a slow call started while CLOSED that ends during HALF_OPEN counts as one of
 * the half-open results, and results that end while OPEN are only counted in the stats.
 * Simplifications: no forced/disabled/metrics-only states, no `maxWaitDurationInHalfOpenState`
 * (half-open waits as long as it takes), no ignored-exception list (use `isFailure`).
 */
export class CircuitBreaker implements ResiliencePolicy {
  /** The options in force, defaults filled in. */
  readonly options: Readonly<Required<Omit<CircuitBreakerOptions, "strategy" | "isFailure">>>;
  /** The rule that opens a CLOSED circuit. */
  readonly strategy: BreakerStrategy;
  private readonly isFailure: (result: PolicyResult) => boolean;
  private readonly name: string;
  private readonly slowMs: number;
  private readonly waitMs: number;
  private readonly permitted: number;
  private readonly cockatiel: boolean;

  private current: CircuitState = "CLOSED";
  private epoch = 0;
  private openedAt = 0;
  private permits = 0;
  private trialCalls = 0;
  private trialFailures = 0;
  private trialSlow = 0;
  private trialDone: Promise<void> | undefined;
  private endTrial: (() => void) | undefined;

  private calls = 0;
  private failures = 0;
  private slowCalls = 0;
  private rejectedCalls = 0;
  private readonly history: BreakerTransition[] = [];
  private transitionCount = 0;
  private readonly edges = new Map<string, number>();

  private readonly stateListeners = new Listeners<BreakerTransition>();
  private readonly rejectListeners = new Listeners<BreakerRejection>();
  private readonly endListeners = new Listeners<BreakerCallEnded>();

  /**
   * @param sim - the simulation whose clock the breaker reads
   * @param options - see {@link CircuitBreakerOptions}
   */
  constructor(
    readonly sim: Simulation,
    options: CircuitBreakerOptions = {},
  ) {
    const d = CIRCUIT_BREAKER_DEFAULTS;
    const c = "CircuitBreaker";
    const o = {
      name: options.name ?? d.name,
      failureRateThreshold: percentThreshold(c, "failureRateThreshold", options.failureRateThreshold ?? d.failureRateThreshold),
      slowCallRateThreshold: percentThreshold(c, "slowCallRateThreshold", options.slowCallRateThreshold ?? d.slowCallRateThreshold),
      slowCallDurationThreshold: nonNegative(c, "slowCallDurationThreshold", options.slowCallDurationThreshold ?? d.slowCallDurationThreshold),
      slidingWindowType: oneOf(c, "slidingWindowType", options.slidingWindowType ?? d.slidingWindowType, ["COUNT_BASED", "TIME_BASED"]),
      slidingWindowSize: wholeNumber(c, "slidingWindowSize", options.slidingWindowSize ?? d.slidingWindowSize),
      minimumNumberOfCalls: wholeNumber(c, "minimumNumberOfCalls", options.minimumNumberOfCalls ?? d.minimumNumberOfCalls),
      waitDurationInOpenState: nonNegative(c, "waitDurationInOpenState", options.waitDurationInOpenState ?? d.waitDurationInOpenState, 1),
      permittedNumberOfCallsInHalfOpenState: wholeNumber(c, "permittedNumberOfCallsInHalfOpenState", options.permittedNumberOfCallsInHalfOpenState ?? d.permittedNumberOfCallsInHalfOpenState),
      halfOpen: oneOf(c, "halfOpen", options.halfOpen ?? d.halfOpen, ["resilience4j", "cockatiel"]),
    };
    if (typeof o.name !== "string" || o.name === "") throw new ConfigError(c, "name", o.name, "a non-empty string");
    // Every other duration in the lab is in ms; a TIME_BASED size is in seconds (resilience4j's
    // unit). A value that only makes sense as ms (over an hour of seconds) is refused.
    if (o.slidingWindowType === "TIME_BASED" && o.slidingWindowSize > 3_600) {
      throw new ConfigError(c, "slidingWindowSize", o.slidingWindowSize, "in seconds for a TIME_BASED window (resilience4j's unit), at most 3600");
    }
    if (options.isFailure !== undefined && typeof options.isFailure !== "function") throw new ConfigError(c, "isFailure", options.isFailure, "a function");
    this.options = o;
    this.name = o.name;
    this.slowMs = o.slowCallDurationThreshold;
    this.waitMs = o.waitDurationInOpenState;
    this.permitted = o.permittedNumberOfCallsInHalfOpenState;
    this.cockatiel = o.halfOpen === "cockatiel";
    this.isFailure = options.isFailure ?? isFailureByDefault;
    this.strategy =
      options.strategy ??
      new SlidingWindowBreaker({
        window: o.slidingWindowType === "COUNT_BASED" ? new CountBreakerWindow(o.slidingWindowSize) : new TimeBreakerWindow(o.slidingWindowSize, sim.now),
        minimumNumberOfCalls: o.minimumNumberOfCalls,
        failureRateThreshold: o.failureRateThreshold,
        slowCallRateThreshold: o.slowCallRateThreshold,
      });
  }

  /** The current state. Reading it moves nothing: OPEN turns HALF_OPEN only when a call comes. */
  get state(): CircuitState {
    return this.current;
  }

  /** Counts since creation. */
  get stats(): BreakerStats {
    return {
      state: this.current,
      calls: this.calls,
      successes: this.calls - this.failures,
      failures: this.failures,
      slow: this.slowCalls,
      rejected: this.rejectedCalls,
      transitions: this.transitionCount,
    };
  }

  /** State changes so far, oldest first (the first 1000 are kept). */
  get transitions(): readonly BreakerTransition[] {
    return this.history;
  }

  /** Calls `listener` on every state change. Returns an unsubscribe function. */
  onStateChange(listener: (event: BreakerTransition) => void): () => void {
    return this.stateListeners.add(listener);
  }

  /** Calls `listener` for every rejected call. Returns an unsubscribe function. */
  onRejected(listener: (event: BreakerRejection) => void): () => void {
    return this.rejectListeners.add(listener);
  }

  /** Calls `listener` when a permitted call ends. Returns an unsubscribe function. */
  onCallEnded(listener: (event: BreakerCallEnded) => void): () => void {
    return this.endListeners.add(listener);
  }

  /**
   * Runs `fn` if the circuit permits it and records how it went.
   * @returns what `fn` returns (a 5xx response is returned, and recorded as a failure)
   * @throws {@link BreakerOpenError} when the circuit refuses the call; else whatever `fn` throws
   */
  async execute<T>(fn: (signal: CancelSignal) => Promise<T> | T, signal: CancelSignal = NEVER_CANCELLED): Promise<T> {
    let kind = NORMAL;
    if (this.current !== "CLOSED") {
      const admitted = this.admit();
      if (admitted !== NORMAL && admitted !== TRIAL) {
        // cockatiel half-open: wait for the trial, then try again in whatever state it left.
        await admitted;
        return this.execute(fn, signal);
      }
      kind = admitted;
    }
    const start = this.sim.now;
    // The trial's own release, kept here: a later half-open period has its own.
    const trial = kind === TRIAL ? this.endTrial : undefined;
    const epoch = this.epoch;
    let value: T;
    try {
      value = await fn(signal);
    } catch (error) {
      this.ended(this.isFailure({ ok: false, error }), start, trial, epoch);
      throw error;
    }
    this.ended(this.isFailure({ ok: true, value }), start, trial, epoch);
    return value;
  }

  /** Decides whether a call may run while not CLOSED; throws the rejection. */
  private admit(): number | Promise<void> {
    if (this.current === "OPEN") {
      const waited = this.sim.now - this.openedAt;
      // resilience4j moves strictly after the wait; cockatiel once it has elapsed.
      if (this.cockatiel ? waited < this.waitMs : waited <= this.waitMs) throw this.reject();
      this.transition("HALF_OPEN", `waited ${round(waited)} ms, waitDurationInOpenState is ${this.waitMs} ms`);
    }
    // HALF_OPEN
    if (this.cockatiel) {
      if (this.trialDone) return this.trialDone;
      this.trialDone = new Promise<void>((resolve) => (this.endTrial = resolve));
      return TRIAL;
    }
    if (this.permits > 0) {
      this.permits--;
      return NORMAL;
    }
    throw this.reject();
  }

  private reject(): BreakerOpenError {
    this.rejectedCalls++;
    if (!this.rejectListeners.empty) this.rejectListeners.emit({ state: this.current, time: this.sim.now });
    return new BreakerOpenError(this.name, this.current);
  }

  private ended(failure: boolean, start: number, trial: (() => void) | undefined, epoch: number): void {
    const now = this.sim.now;
    const durationMs = now - start;
    const slow = durationMs > this.slowMs;
    this.calls++;
    if (failure) this.failures++;
    if (slow) this.slowCalls++;
    if (!this.endListeners.empty) this.endListeners.emit({ failure, slow, durationMs, state: this.current, time: now });
    if (this.current === "CLOSED") {
      const why = this.strategy.record(failure, slow, now);
      if (why !== undefined) this.transition("OPEN", why);
    } else if (this.current === "HALF_OPEN") {
      if (this.cockatiel) this.endedCockatiel(failure, slow, now, trial !== undefined && epoch === this.epoch);
      else this.endedTrial(failure, slow);
    }
    if (trial) {
      if (this.endTrial === trial) this.endTrial = this.trialDone = undefined;
      trial();
    }
  }

  /** resilience4j half-open: judge once the permitted number of results are in. */
  private endedTrial(failure: boolean, slow: boolean): void {
    this.trialCalls++;
    if (failure) this.trialFailures++;
    if (slow) this.trialSlow++;
    if (this.trialCalls < this.permitted) return;
    const totals = { calls: this.trialCalls, failures: this.trialFailures, slow: this.trialSlow };
    const why = exceeded(totals, this.permitted, this.options.failureRateThreshold, this.options.slowCallRateThreshold);
    if (why !== undefined) this.transition("OPEN", `half-open trials: ${why}`);
    else this.transition("CLOSED", `half-open trials: ${this.trialFailures} of ${this.trialCalls} failed, ${this.trialSlow} slow, below the thresholds`);
  }

  /** cockatiel half-open: the trial decides; other results still feed the strategy. */
  private endedCockatiel(failure: boolean, slow: boolean, now: number, isTheTrial: boolean): void {
    if (isTheTrial) {
      if (failure) this.transition("OPEN", "the trial call failed");
      else this.transition("CLOSED", "the trial call succeeded");
      return;
    }
    const why = this.strategy.record(failure, slow, now);
    if (why !== undefined) this.transition("OPEN", why);
  }

  private transition(to: CircuitState, reason: string): void {
    const from = this.current;
    const time = this.sim.now;
    this.current = to;
    this.epoch++;
    if (to === "OPEN") this.openedAt = time;
    else if (to === "HALF_OPEN") {
      this.permits = this.permitted;
      this.trialCalls = this.trialFailures = this.trialSlow = 0;
      // A trial still running from an earlier half-open period keeps its own release.
      this.trialDone = this.endTrial = undefined;
    } else this.strategy.reset(time);
    const event: BreakerTransition = { from, to, time, reason };
    this.transitionCount++;
    if (this.history.length < HISTORY_LIMIT) this.history.push(event);
    const edge = `${from} --> ${to}`;
    this.edges.set(edge, (this.edges.get(edge) ?? 0) + 1);
    this.sim.trace.state(this.name, `breaker ${to} (${reason})`);
    this.stateListeners.emit(event);
  }

  /** A Mermaid state diagram of the transitions seen, with counts; the current state is highlighted. */
  diagram(): string {
    const lines = ["stateDiagram-v2", "  direction LR", "  [*] --> CLOSED"];
    for (const [edge, n] of this.edges) lines.push(`  ${edge}: ${n}×`);
    lines.push("  classDef current font-weight:bold,stroke-width:3px", `  class ${this.current} current`);
    return lines.join("\n");
  }

  /** A table of state, counts and window contents, and the state diagram of transitions seen. */
  [DISPLAY](): MimeBundle {
    const s = this.stats;
    const rows: { metric: string; value: number | string }[] = [
      { metric: "state", value: s.state },
      { metric: "calls", value: s.calls },
      { metric: "successes", value: s.successes },
      { metric: "failures", value: s.failures },
      { metric: `slow (> ${this.slowMs} ms)`, value: s.slow },
      { metric: "rejected", value: s.rejected },
      { metric: "transitions", value: s.transitions },
      ...Object.entries(this.strategy.describe(this.sim.now)).map(([metric, value]) => ({ metric, value })),
    ];
    const head = `**${this.name}** — ${this.strategy.semantics}; half-open: ${this.options.halfOpen}`;
    const grid = table(rows)[DISPLAY]();
    const chart = mermaid(this.diagram())[DISPLAY]();
    return {
      "text/markdown": `${head}\n\n${grid["text/markdown"]}\n\n${chart["text/markdown"]}`,
      "text/plain": `${this.name} (${this.strategy.semantics})\n${grid["text/plain"]}\n${chart["text/plain"]}`,
    };
  }
}
