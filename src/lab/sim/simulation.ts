/**
 * The simulation: a virtual clock in milliseconds, a scheduler, a seeded random source, and
 * the network, tracer and metrics every component reports to.
 *
 * Scenarios are ordinary async code: `await sim.sleep(100)`, `await client.call("orders")`.
 * `sim.run(scenario)` drives virtual time: it fires events in time order, and after every
 * event that resumes waiting code it lets that code run before the clock moves on. Nothing
 * here reads the wall clock or `Math.random`, so one seed gives one run, byte for byte.
 */
import { ConfigError, nonNegative, wholeNumber } from "../errors";
import { DISPLAY, type MimeBundle } from "../display";
import { CANCELLED, EventQueue, HAS_ARG, POOLED, type SimEvent, WAKES } from "./queue";
import { Random } from "./random";
import { Tracer } from "./trace";
import { Replay, type ReplayOptions } from "../viz/replay";
import { Metrics } from "./metrics";
import { Network } from "./network";
import { Faults } from "./faults";
import { SimNode, type Handler, type NodeOptions } from "./node";

/** Options of a {@link Simulation}. Defaults are in {@link SIMULATION_DEFAULTS}. */
export interface SimulationOptions {
  /** Seed of the random source; the same seed gives the same run. */
  seed?: number;
  /** Events one `run()` may fire before it stops with an error (guards endless schedules). */
  maxEvents?: number;
  /** Trace events kept in memory; later ones are only counted. */
  traceLimit?: number;
  /**
   * @internal How the loop lets woken code run before the clock moves on. `"microtask"`
   * (default under Node): drain the microtask queue, then go on. `"macrotask"`: the reference
   * loop, one whole macrotask turn after every waking event (slow; kept to check that both
   * give the same runs). The `SDE_LAB_SIM_LOOP` environment variable sets the default.
   */
  loop?: LoopMode;
}

/** @internal The two ways {@link Simulation} lets woken code run. */
export type LoopMode = "microtask" | "macrotask";

/** Defaults for {@link SimulationOptions}. */
export const SIMULATION_DEFAULTS = { seed: 1, maxEvents: 20_000_000, traceLimit: 100_000 } as const;

/** A handle to a scheduled callback. */
export interface Timer {
  /** Stops the callback from firing (no effect if it already fired). */
  cancel(): void;
}

/** Raised when a run cannot go on: nested runs, a stalled scenario, too many events. */
export class SimulationError extends Error {
  override readonly name = "SimulationError";
}

// The lab builds without DOM or Node types: describe the host APIs it may use.
interface Channel {
  port1: { onmessage: (() => void) | null };
  port2: { postMessage(message: null): void };
}
interface Host {
  setImmediate?: (callback: () => void) => unknown;
  MessageChannel?: new () => Channel;
  queueMicrotask?: (callback: () => void) => void;
  process?: { nextTick?: (callback: () => void) => void; env?: Record<string, string | undefined> };
}
const host = globalThis as unknown as Host;

/** Runs `callback` after one macrotask turn: every queued promise continuation runs first. */
const macrotask: (callback: () => void) => void = (() => {
  if (typeof host.setImmediate === "function") {
    // Read at call time: the kernel wraps setImmediate to cancel a cell's work on interrupt.
    return (callback) => void host.setImmediate!(callback);
  }
  // Browsers: a message is a macrotask too, and runs after every queued microtask.
  const channel = new host.MessageChannel!();
  const waiting: (() => void)[] = [];
  channel.port1.onmessage = () => waiting.shift()?.();
  return (callback) => {
    waiting.push(callback);
    channel.port2.postMessage(null);
  };
})();

let runCount = 0;
/**
 * Makes a function that, each time it is called, runs `callback` once the microtask queue is
 * empty, without a macrotask; undefined where the host cannot tell. Node runs
 * `process.nextTick` callbacks only after it has drained the microtask queue, and ticks queued
 * by a tick run before that drain: so the tick is queued from a microtask. Whatever chain of
 * continuations the last event started (however deep) has run when the callback runs — the
 * same guarantee a macrotask gives, at a fraction of its cost, because the event loop (timers,
 * I/O) is not entered.
 */
const afterMicrotasks: ((callback: () => void) => () => void) | undefined = (() => {
  const nextTick = host.process?.nextTick;
  if (typeof nextTick !== "function") return undefined;
  // A `then` on a settled promise is the cheapest microtask (queueMicrotask also creates an
  // async resource); one reaction per loop, made once, avoids a closure per event.
  const resolved = Promise.resolve();
  return (callback) => {
    const arm = () => nextTick(callback);
    return () => void resolved.then(arm);
  };
})();

const defaultLoop = (): LoopMode =>
  host.process?.env?.SDE_LAB_SIM_LOOP === "macrotask" || !afterMicrotasks ? "macrotask" : "microtask";

/**
 * Longest stretch of wall time (ms) the microtask loop keeps the host's event loop waiting: the
 * kernel still reads its messages (an interrupt cancels the loop's pending macrotask, as it
 * did the old loop's) and a cell's output still streams during a long run. Checked every
 * {@link WAKES_PER_CHECK} wake-ups. Where the turns fall never changes the run: the loop only
 * takes one when the microtask queue is empty, between two events.
 */
const TURN_EVERY_MS = 1;
const WAKES_PER_CHECK = 64;

/** Captures a new promise's resolve function without a closure per promise. */
let captured: () => void = () => {};
function capture(resolve: () => void): void {
  captured = resolve;
}

/** A deterministic discrete-event simulation. */
export class Simulation {
  /** Seeded random source; use it (never `Math.random`) for anything random. */
  readonly random: Random;
  /** Everything observable: requests, responses, drops, faults, state changes. */
  readonly trace: Tracer;
  /** Counters and latency histograms. */
  readonly metrics: Metrics;
  /** Links between nodes: latency, loss, partitions. */
  readonly network: Network;
  /** One-line fault injection: partitions, crashes, latency, loss, slow nodes. */
  readonly faults: Faults;
  readonly options: Required<SimulationOptions>;
  /**
   * Id of this run in the kernel (`seed-1#3`): charts made from this simulation's recorders
   * carry it, and SDE Lab's renderer moves them with the run's replay.
   */
  readonly runId: string;

  private clock = 0;
  private seq = 0;
  private readonly queue = new EventQueue();
  private running = false;
  private fired = 0;
  private readonly nodes = new Map<string, SimNode>();
  private readonly loopMode: LoopMode;

  constructor(options: SimulationOptions = {}) {
    const seed = options.seed ?? SIMULATION_DEFAULTS.seed;
    if (typeof seed !== "number" || !Number.isFinite(seed)) throw new ConfigError("Simulation", "seed", seed, "a finite number");
    this.options = {
      seed,
      maxEvents: wholeNumber("Simulation", "maxEvents", options.maxEvents ?? SIMULATION_DEFAULTS.maxEvents),
      traceLimit: wholeNumber("Simulation", "traceLimit", options.traceLimit ?? SIMULATION_DEFAULTS.traceLimit, 0),
      loop: options.loop ?? defaultLoop(),
    };
    this.runId = `seed-${seed}#${++runCount}`;
    if (this.options.loop !== "microtask" && this.options.loop !== "macrotask") {
      throw new ConfigError("Simulation", "loop", this.options.loop, '"microtask" or "macrotask"');
    }
    this.loopMode = this.options.loop === "microtask" && afterMicrotasks ? "microtask" : "macrotask";
    this.random = new Random(seed);
    this.trace = new Tracer(this, this.options.traceLimit);
    this.metrics = new Metrics(this);
    this.network = new Network(this);
    this.faults = new Faults(this);
  }

  /**
   * The run so far as a moving picture: topology, messages on their links, faults and node
   * states, with a scrubber over virtual time (SDE Lab's notebook renderer draws it; headless
   * runs print a summary). Charts of this run follow its scrubber.
   */
  replay(options: ReplayOptions = {}): Replay {
    return new Replay(this, options);
  }

  /** Virtual time in milliseconds since the start. */
  get now(): number {
    return this.clock;
  }

  /** Events fired so far. */
  get eventsFired(): number {
    return this.fired;
  }

  /** Events waiting in the queue. */
  get pendingEvents(): number {
    return this.queue.size;
  }

  /**
   * Runs `fn` after `delayMs` of virtual time. The callback runs synchronously, back to back
   * with other callbacks: if it resolves a promise of yours, wrap that in {@link wake} so the
   * promise's continuation runs before the clock moves on.
   */
  schedule(delayMs: number, fn: () => void): Timer {
    nonNegative("Simulation.schedule", "delayMs", delayMs);
    return this.enqueue(this.clock + delayMs, fn, undefined, 0);
  }

  /** Runs `fn` at virtual time `timeMs` (now, if that is past). */
  at(timeMs: number, fn: () => void): Timer {
    nonNegative("Simulation.at", "timeMs", timeMs);
    return this.enqueue(Math.max(this.clock, timeMs), fn, undefined, 0);
  }

  /** Runs `fn` every `intervalMs`, first after `firstDelayMs` (default: one interval). */
  every(intervalMs: number, fn: () => void, firstDelayMs = intervalMs): Timer {
    nonNegative("Simulation.every", "intervalMs", intervalMs, Number.MIN_VALUE);
    nonNegative("Simulation.every", "firstDelayMs", firstDelayMs);
    let current: Timer;
    let stopped = false;
    const tick = () => {
      if (stopped) return;
      current = this.enqueue(this.clock + intervalMs, tick, undefined, WAKES);
      fn();
    };
    current = this.enqueue(this.clock + firstDelayMs, tick, undefined, WAKES);
    return {
      cancel: () => {
        stopped = true;
        current.cancel();
      },
    };
  }

  /** Resolves after `ms` of virtual time. */
  sleep(ms: number): Promise<void> {
    nonNegative("Simulation.sleep", "ms", ms);
    // One promise and one event record per wait: no executor closure, no cancel handle.
    const promise = new Promise<void>(capture);
    this.enqueue(this.clock + ms, captured, undefined, WAKES | POOLED);
    return promise;
  }

  /**
   * Resolves a promise at the current virtual time as a scheduler event, so its continuation
   * runs before any later event (use from {@link schedule} callbacks).
   */
  wake<T>(resolve: (value: T) => void, value: T): void {
    this.enqueue(this.clock, resolve as (arg?: unknown) => void, value, WAKES | HAS_ARG | POOLED);
  }

  /**
   * @internal Runs `fn(arg)` at `timeMs` as an event that resumes waiting code, with no
   * handle (nothing can cancel it, so its record is reused): no closure per message.
   */
  wakeWith<A>(timeMs: number, fn: (arg: A) => void, arg: A): void {
    this.enqueue(Math.max(this.clock, timeMs), fn as (arg?: unknown) => void, arg, WAKES | HAS_ARG | POOLED);
  }

  /** @internal {@link wakeWith} with a handle that cancels it. */
  wakeAtWith<A>(timeMs: number, fn: (arg: A) => void, arg: A): Timer {
    return this.enqueue(Math.max(this.clock, timeMs), fn as (arg?: unknown) => void, arg, WAKES | HAS_ARG);
  }

  /** @internal Schedules an event whose callback resumes waiting code. */
  wakeAt(timeMs: number, fn: () => void): Timer {
    return this.enqueue(Math.max(this.clock, timeMs), fn, undefined, WAKES);
  }

  private enqueue(time: number, fn: (arg?: unknown) => void, arg: unknown, flags: number): SimEvent {
    const event = this.queue.make(time, this.seq++, fn, arg, flags);
    this.queue.push(event, this.clock);
    return event;
  }

  /**
   * Drives virtual time.
   * - With a scenario: runs until the scenario's promise settles and returns its value (or
   *   throws its error). Periodic timers (heartbeats) stay queued for the next run.
   * - Without: runs until no events are left.
   */
  run(): Promise<void>;
  run<T>(scenario: () => Promise<T> | T): Promise<T>;
  async run<T>(scenario?: () => Promise<T> | T): Promise<T | void> {
    if (!scenario) {
      await this.loop(() => false, Infinity);
      return;
    }
    let settled = false;
    const promise = Promise.resolve().then(scenario);
    promise.then(
      () => (settled = true),
      () => (settled = true),
    );
    await this.loop(() => settled, Infinity, () => settled);
    return promise;
  }

  /** Runs every event up to and including virtual time `timeMs`, then sets the clock to it. */
  async runUntil(timeMs: number): Promise<void> {
    nonNegative("Simulation.runUntil", "timeMs", timeMs);
    await this.loop(() => false, timeMs);
    if (this.clock < timeMs) this.clock = timeMs;
  }

  /** Runs `ms` of virtual time from now. */
  runFor(ms: number): Promise<void> {
    nonNegative("Simulation.runFor", "ms", ms);
    return this.runUntil(this.clock + ms);
  }

  private loop(done: () => boolean, horizon: number, scenarioSettled?: () => boolean): Promise<void> {
    if (this.running) return Promise.reject(new SimulationError("The simulation is already running: await the first run() before starting another"));
    this.running = true;
    return this.loopMode === "microtask" ? this.microtaskLoop(done, horizon, scenarioSettled) : this.macrotaskLoop(done, horizon, scenarioSettled);
  }

  private stalled(): SimulationError {
    return new SimulationError(
      `The scenario is still waiting at t=${this.clock} ms but no events are scheduled: it awaits something outside the simulation (a real timer, I/O, or a promise nothing resolves)`,
    );
  }

  private endless(): SimulationError {
    return new SimulationError(
      `Stopped after ${this.options.maxEvents} events at t=${this.clock} ms: the schedule never empties (a periodic timer?). Use runFor(ms) or runUntil(t), or pass a scenario to run()`,
    );
  }

  /**
   * The loop: fires events in (time, seq) order back to back; after an event that wakes
   * waiting code it waits until the microtask queue is empty (every continuation, and all
   * they scheduled, has run) before the next event. A macrotask turn only when the scenario
   * waits but no event is due (is something outside the simulation pending?), and every
   * {@link TURN_EVERY_MS} of wall time so the host stays responsive.
   */
  private microtaskLoop(done: () => boolean, horizon: number, scenarioSettled?: () => boolean): Promise<void> {
    const queue = this.queue;
    const limit = this.fired + this.options.maxEvents;
    let wakes = 0;
    let lastTurn = Date.now();
    return new Promise<void>((resolve, reject) => {
      const finish = (error?: unknown) => {
        this.running = false;
        if (error === undefined) resolve();
        else reject(error);
      };
      const step = (): void => {
        try {
          for (;;) {
            if (this.fired > limit) return finish(this.endless());
            if (done()) return finish();
            const next = queue.popUntil(horizon);
            if (next === undefined) {
              if (queue.size === 0 && scenarioSettled && !scenarioSettled()) {
                // The scenario still waits, but nothing in the simulation will ever wake it.
                return macrotask(recheck);
              }
              return finish();
            }
            const flags = next.flags;
            if (flags & CANCELLED) continue;
            this.clock = next.time;
            this.fired++;
            if (flags & POOLED) {
              const fn = next.fn;
              const arg = next.arg;
              queue.release(next);
              if (flags & HAS_ARG) fn(arg);
              else fn();
            } else if (flags & HAS_ARG) next.fn(next.arg);
            else next.fn();
            if (flags & WAKES) {
              if (++wakes % WAKES_PER_CHECK === 0 && Date.now() - lastTurn >= TURN_EVERY_MS) return macrotask(turned);
              return drain();
            }
          }
        } catch (error) {
          finish(error);
        }
      };
      const turned = (): void => {
        lastTurn = Date.now();
        step();
      };
      const recheck = (): void => {
        if (scenarioSettled!() || queue.size > 0) step();
        else finish(this.stalled());
      };
      const drain = afterMicrotasks!(step);
      // Let the scenario start and schedule its first events.
      drain();
    });
  }

  /** The reference loop: one macrotask turn after every waking event (see {@link LoopMode}). */
  private async macrotaskLoop(done: () => boolean, horizon: number, scenarioSettled?: () => boolean): Promise<void> {
    const turn = () => new Promise<void>((resolve) => macrotask(resolve));
    const limit = this.fired + this.options.maxEvents;
    try {
      // Let the scenario start and schedule its first events.
      await turn();
      for (;;) {
        if (done()) return;
        const next = this.queue.peek();
        // Nothing due by the horizon: cancelled events dropped from the queue count as passed.
        if (!next || next.time > horizon) this.queue.passHorizon(horizon);
        if (!next) {
          if (scenarioSettled && !scenarioSettled()) {
            // The scenario still waits, but nothing in the simulation will ever wake it.
            await turn();
            if (scenarioSettled() || this.queue.size > 0) continue;
            throw this.stalled();
          }
          return;
        }
        if (next.time > horizon) return;
        this.queue.pop();
        const flags = next.flags;
        if (flags & CANCELLED) continue;
        this.clock = next.time;
        this.fired++;
        const fn = next.fn;
        const arg = next.arg;
        if (flags & POOLED) this.queue.release(next);
        if (flags & HAS_ARG) fn(arg);
        else fn();
        if (flags & WAKES) await turn();
        if (this.fired > limit) throw this.endless();
      }
    } finally {
      this.running = false;
    }
  }

  /**
   * Adds a service node: `handler` answers each request. Names are unique.
   * @example sim.service("orders", async (req, ctx) => { await ctx.work(20); return ok({ id: 1 }); })
   */
  service<S = undefined>(name: string, handler: Handler<S>, options: NodeOptions<S> = {}): SimNode<S> {
    if (this.nodes.has(name)) throw new ConfigError("Simulation.service", "name", name, "a name not used by another node");
    const node = new SimNode<S>(this, name, handler, options);
    this.nodes.set(name, node as unknown as SimNode);
    return node;
  }

  /** Adds a node that only makes calls (a client, a load generator). */
  client(name: string): SimNode<undefined> {
    return this.service<undefined>(
      name,
      () => {
        throw new Error(`${name} is a client and serves no requests`);
      },
      {},
    );
  }

  /** The node with this name. */
  node(name: string): SimNode {
    const node = this.nodes.get(name);
    if (!node) throw new ConfigError("Simulation.node", "name", name, `the name of a node (known: ${[...this.nodes.keys()].join(", ") || "none"})`);
    return node;
  }

  /** True when a node with this name exists. */
  hasNode(name: string): boolean {
    return this.nodes.has(name);
  }

  /** Shows the clock, the event count and the trace as a sequence diagram. */
  [DISPLAY](): MimeBundle {
    const head = `Simulation at t=${this.clock} ms (seed ${this.options.seed}): ${this.fired} events fired, ${this.queue.size} pending`;
    const diagram = this.trace[DISPLAY]();
    return { "text/markdown": `${head}\n\n${diagram["text/markdown"]}`, "text/plain": `${head}\n${diagram["text/plain"]}` };
  }
}
