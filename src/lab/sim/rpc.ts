/**
 * Messages and round trips on the simulated {@link Network}: the one place where a message
 * leaves a node, crosses a link (latency, loss, partitions) and lands, and where a request
 * and its answer make the two crossings of a call. `SimNode.call`, the Kafka clients and the
 * protocols' TCP-like transport are all built on these two functions, so every message in
 * the lab obeys the same network and the same fault injection.
 *
 * - {@link send}: one message, one way. It lands after the link's delay, or is lost (a
 *   partition, or random loss); the sender learns which at once and decides what to do
 *   (retransmit, drop the connection, wait for a timeout).
 * - {@link roundTrip}: a request from `from` to `to`, served at `to`, whose answer (a value
 *   or an error) travels back the same way. The caller stops waiting after `timeoutMs` with
 *   the error its {@link RoundTripOptions.timedOut} builds; the callee may still do the work
 *   (see {@link Exchange.abandoned}). A lost request or answer is only noticed by that timeout,
 *   as in a real network.
 *
 * Both run on virtual time and draw loss and latency from the simulation's seeded random
 * source (in the order messages are sent), so one seed gives one run.
 */
import type { Simulation } from "./simulation";
import type { Timer } from "./simulation";
import { PARTITION } from "./network";

/** Why a message did not arrive: a cut link, or random loss on the link. */
export type LossCause = "partition" | "loss";

/**
 * Sends one message from node `from` to node `to`: `arrive` runs when it lands (as a
 * scheduler event that lets woken code run before the clock moves on).
 *
 * @param departAt - when the message leaves `from` (default now); later than now when it
 *   queues behind earlier bytes on a slow link
 * @returns `undefined` when the message is on its way, or why it is lost (then `arrive`
 *   never runs and nothing is scheduled)
 * @example
 * const lost = send(sim, "a", "b", () => deliver(frame));
 * if (lost) sim.schedule(rtoMs, retransmit);
 */
export function send(sim: Simulation, from: string, to: string, arrive: () => void, departAt = sim.now): LossCause | undefined {
  const delay = sim.network.delay(from, to);
  if (delay < 0) return delay === PARTITION ? "partition" : "loss";
  sim.wakeAt(departAt + delay, arrive);
  return undefined;
}

/** {@link send} that lands as `arrive(arg)`: no closure per message, no cancel handle. */
function sendWith<A>(sim: Simulation, from: string, to: string, arrive: (arg: A) => void, arg: A): LossCause | undefined {
  const delay = sim.network.delay(from, to);
  if (delay < 0) return delay === PARTITION ? "partition" : "loss";
  sim.wakeWith(sim.now + delay, arrive, arg);
  return undefined;
}

/** True when a message can go from `from` to `to` and one can come back now (no partition either way). */
export function linked(sim: Simulation, from: string, to: string): boolean {
  return sim.network.reachable(from, to) && sim.network.reachable(to, from);
}

/** What the caller knows when it stops waiting: which crossing went silent, if any it can tell. */
export type Silence =
  /** The request never reached the callee. */
  | { readonly stage: "request"; readonly cause: LossCause }
  /** The callee answered but the answer was lost (the callee may have applied the request). */
  | { readonly stage: "response"; readonly cause: LossCause | "callee down" }
  /** The callee has not answered yet (slow, stuck, or it crashed while working). */
  | { readonly stage: "waiting" };

/** The callee's side of one round trip, given to {@link RoundTripOptions.serve}. */
export interface Exchange<T> {
  /** True once the caller has stopped waiting (timed out): an answer now is work done for nobody. */
  readonly abandoned: boolean;
  /** Sends the answer back over the network. Only the first `reply` or `fail` counts. */
  reply(value: T): void;
  /** Sends an error back instead of a value (the caller's promise rejects with it). */
  fail(error: unknown): void;
}

/** One round trip: who calls whom, how the callee serves it, and what the caller sees. */
export interface RoundTripOptions<T> {
  /** Name of the calling node. */
  readonly from: string;
  /** Name of the called node. */
  readonly to: string;
  /** How long the caller waits for the answer, ms; `Infinity` waits forever. */
  readonly timeoutMs: number;
  /**
   * `race` (default): the timeout runs from the start, also while the callee works.
   * `lost-only`: the caller waits for a slow callee however long it takes, and the timeout
   * fires (at the same time, start + `timeoutMs`) only when the request or the answer is
   * lost. Cheaper — no timer per call — for callers whose callee answers in bounded time.
   */
  readonly timeoutMode?: "race" | "lost-only";
  /**
   * Runs at the callee when the request lands. Answer through the {@link Exchange}, now or
   * later. Without {@link refused}, it runs even when the callee is down and must decide
   * itself (a crashed node drops the request).
   */
  serve(exchange: Exchange<T>): void;
  /** The error the caller's promise rejects with when `timeoutMs` passes without an answer. Called once. */
  timedOut(silence: Silence): Error;
  /**
   * When given, a request that lands at a crashed callee is refused (its host answers with a
   * TCP reset): this error travels back to the caller instead of the request being served;
   * and an answer the callee gives after crashing is never sent (the caller times out).
   */
  refused?(): Error;
  /**
   * When given, the call is traced: a `request` event with this label, `drop` events for
   * lost messages and `response` events for answers (labelled by {@link describe}).
   */
  readonly label?: string;
  /**
   * True to trace the call even though {@link label} is not given yet: then `label` is read
   * only when the trace keeps or shows the event (a getter need not build its text otherwise).
   */
  readonly traced?: boolean;
  /** The call ended with an answer, just before the caller's promise resolves with it. */
  answered?(answer: T): void;
  /** Trace label of an answer (default: `ok`, or the error's name). */
  describe?(answer: T): string;
  /** An answer reached the caller after it had stopped waiting. */
  late?(): void;
  /** When given and the caller is down as the answer lands, the caller's promise rejects with this (otherwise the answer is dropped and the caller's timeout still runs). */
  callerDown?(): Error;
}

/**
 * Sends a request from `from` to `to` over the simulated network and resolves with the
 * answer the callee gives, after it has crossed back; rejects with the callee's error, with
 * {@link RoundTripOptions.refused} for a crashed callee, or with
 * {@link RoundTripOptions.timedOut} when no answer came within `timeoutMs`.
 *
 * It does not check that the caller is up when sending: a crashed process sends nothing, so
 * callers refuse before calling.
 *
 * @example
 * const price = await roundTrip<number>(sim, {
 *   from: "cart", to: "pricing", timeoutMs: 1_000,
 *   serve: (x) => x.reply(42),
 *   timedOut: () => new TimeoutError("pricing", 1_000),
 * });
 */
export function roundTrip<T>(sim: Simulation, options: RoundTripOptions<T>): Promise<T> {
  // No executor closure per call: a shared executor hands over the resolving functions.
  const promise = new Promise<T>(capture);
  const reject = capturedReject;
  try {
    new Call(sim, options, capturedResolve as (value: T) => void, reject).start();
  } catch (error) {
    reject(error);
  }
  return promise;
}

let capturedResolve: (value: unknown) => void = () => {};
let capturedReject: (error: unknown) => void = () => {};
function capture(resolve: (value: never) => void, reject: (error: unknown) => void): void {
  capturedResolve = resolve as (value: unknown) => void;
  capturedReject = reject;
}

/** One call in flight. A class, not closures: this is on the hot path of every simulation. */
class Call<T> implements Exchange<T> {
  private settled = false;
  private answered = false;
  private timer: Timer | undefined;
  private silence: Silence = WAITING;
  private readonly start0: number;
  private readonly traced: boolean;
  /** The answer on its way back (read when it lands). */
  private answerOk = false;
  private answer: unknown = undefined;

  constructor(
    private readonly sim: Simulation,
    private readonly o: RoundTripOptions<T>,
    private readonly resolve: (value: T) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    this.start0 = sim.now;
    this.traced = o.traced ?? o.label !== undefined;
  }

  /** Records a trace event whose text is only built when the trace keeps or shows it. */
  private note(kind: "request" | "response" | "drop", from: string, to: string, ok: boolean, value: unknown, suffix: string): void {
    const trace = this.sim.trace;
    if (!trace.recording) return trace.skip();
    const text = kind === "request" ? this.o.label! : kind === "drop" && value === REQUEST ? `${this.o.label!} lost${suffix}` : `${this.labelOf(ok, value)}${suffix}`;
    trace.record(kind, from, to, text);
  }

  get abandoned(): boolean {
    return this.settled && !this.answered;
  }

  start(): void {
    const { sim, o } = this;
    if (this.traced) this.note("request", o.from, o.to, true, REQUEST, "");
    // The timer is scheduled before the request so that, at equal times, it fires first.
    if (o.timeoutMode !== "lost-only") this.arm();
    const lost = sendWith(sim, o.from, o.to, land, this as Call<unknown>);
    if (lost) {
      this.silence = { stage: "request", cause: lost };
      if (o.timeoutMode === "lost-only") this.arm();
      if (this.traced) this.note("drop", o.from, o.to, true, REQUEST, ` (${lost})`);
    }
  }

  private arm(): void {
    if (this.o.timeoutMs !== Infinity) this.timer = this.sim.wakeAtWith(this.start0 + this.o.timeoutMs, expire, this as Call<unknown>);
  }

  /** @internal The caller's timeout passes. */
  expire(): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(this.o.timedOut(this.silence));
  }

  /** @internal The request lands at the callee. */
  land(): void {
    const o = this.o;
    if (o.refused && !this.sim.node(o.to).up) {
      this.back(false, o.refused(), true);
      return;
    }
    o.serve(this);
  }

  reply(value: T): void {
    this.back(true, value, false);
  }

  fail(error: unknown): void {
    this.back(false, error, false);
  }

  /** Sends the answer back to the caller. */
  private back(ok: boolean, value: unknown, refusal: boolean): void {
    if (this.answered) return;
    this.answered = true;
    const { sim, o } = this;
    // A callee that crashed after taking the request never sends its answer.
    if (!refusal && o.refused && !sim.node(o.to).up) {
      this.silence = { stage: "response", cause: "callee down" };
      if (o.timeoutMode === "lost-only") this.arm();
      return;
    }
    this.answerOk = ok;
    this.answer = value;
    const lost = sendWith(sim, o.to, o.from, arrive, this as Call<unknown>);
    if (lost) {
      this.silence = { stage: "response", cause: lost };
      if (o.timeoutMode === "lost-only") this.arm();
      if (this.traced) this.note("drop", o.to, o.from, ok, value, ` lost (${lost})`);
    }
  }

  /** @internal The answer lands at the caller. */
  arrive(): void {
    const { sim, o } = this;
    const ok = this.answerOk;
    const value = this.answer;
    this.answer = undefined;
    if (!sim.node(o.from).up) {
      if (this.traced) this.note("drop", o.to, o.from, ok, value, " (caller down)");
      if (o.callerDown && !this.settled) this.settle(false, o.callerDown());
      return;
    }
    if (this.settled) {
      o.late?.();
      if (this.traced) this.note("response", o.to, o.from, ok, value, " (too late: caller gave up)");
      return;
    }
    if (this.traced) this.note("response", o.to, o.from, ok, value, "");
    this.settle(ok, value);
  }

  private settle(ok: boolean, value: unknown): void {
    this.settled = true;
    this.timer?.cancel();
    this.timer = undefined;
    if (ok) {
      this.o.answered?.(value as T);
      this.resolve(value as T);
    } else this.reject(value);
  }

  private labelOf(ok: boolean, value: unknown): string {
    if (ok) return this.o.describe ? this.o.describe(value as T) : "ok";
    return value instanceof Error ? value.name : String(value);
  }
}

const WAITING: Silence = { stage: "waiting" };
/** Marks a trace note about the request itself (not an answer). */
const REQUEST = Symbol("request");
const land = (call: Call<unknown>): void => call.land();
const arrive = (call: Call<unknown>): void => call.arrive();
const expire = (call: Call<unknown>): void => call.expire();
