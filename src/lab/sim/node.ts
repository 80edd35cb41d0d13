/**
 * Simulated nodes (services and clients) and the calls between them. A call is one
 * {@link roundTrip}: it crosses the network twice (request, response), waits for a free
 * worker slot at the callee, and ends as a response, or as a {@link TimeoutError} when the
 * caller stops waiting, in which case the callee may still finish the work for nobody
 * (counted as wasted work).
 */
import { nonNegative, wholeNumber } from "../errors";
import { DISPLAY, table, type MimeBundle } from "../display";
import type { Simulation } from "./simulation";
import { sample, type Distribution } from "./random";
import { describeRequest, isResponse, response, toRequest, type Request, type Response } from "./http";
import { CallError, TimeoutError } from "./call-errors";
import { roundTrip, type Exchange, type RoundTripOptions } from "./rpc";
import type { Histogram } from "./metrics";

/** Answers one request. A returned value that is not a {@link Response} becomes a 200 with that body. */
export type Handler<S> = (request: Request, ctx: ServiceContext<S>) => Promise<Response | unknown> | Response | unknown;

/** Options of a node. Defaults are in {@link NODE_DEFAULTS}. */
export interface NodeOptions<S> {
  /** Creates the node's state (again after a crash that loses state). */
  state?: () => S;
  /** Requests handled at once (worker threads, connection pool). Default unlimited. */
  concurrency?: number;
  /** Requests that may wait for a free slot; beyond it the node answers 503. Default unlimited. */
  queueLimit?: number;
  /** Time each request takes before the handler runs (ms or a distribution). Default 0. */
  serviceTime?: Distribution;
}

/** Defaults for {@link NodeOptions} and calls. */
export const NODE_DEFAULTS = { concurrency: Infinity, queueLimit: Infinity, serviceTime: 0 as Distribution, timeoutMs: 30_000 } as const;

/** Options of one call. */
export interface CallOptions {
  /** How long the caller waits for the response, in ms. Default 30 000; `Infinity` waits forever. */
  timeoutMs?: number;
}

/** What a handler gets besides the request. */
export interface ServiceContext<S> {
  readonly sim: Simulation;
  readonly node: SimNode<S>;
  /** The node's state (see {@link NodeOptions.state}). */
  readonly state: S;
  /** Spends processing time (ms or a distribution), slowed by an injected slow-node fault. */
  work(time: Distribution): Promise<void>;
  /** Calls another node from inside this request. */
  call(target: string, request?: Request | string, options?: CallOptions): Promise<Response>;
}

/** Counts of what happened at a node. */
export interface NodeStats {
  /** Requests that reached the node while it was up. */
  received: number;
  /** Requests answered. */
  served: number;
  /** Requests refused with 503 because the queue was full. */
  rejected: number;
  /** Requests finished after their caller had given up: work done for nobody. */
  wastedWork: number;
  /** Responses that reached this node (as a caller) after it had given up. */
  lateResponses: number;
  /** Calls this node made that timed out. */
  timeouts: number;
}

/** Thrown inside a handler whose node crashed, to stop it. */
class NodeCrashed extends Error {
  override name = "NodeCrashed";
}

interface Waiting {
  request: Request;
  exchange: Exchange<Response>;
}

/**
 * One call's side of a {@link roundTrip}: an object with methods, not an options literal with
 * closures (one allocation per call), whose trace label is only built when the trace keeps it.
 */
class NodeCall implements RoundTripOptions<Response> {
  readonly from: string;
  readonly to: string;
  readonly traced = true;
  private readonly start: number;

  constructor(
    private readonly caller: SimNode,
    private readonly callee: SimNode,
    private readonly req: Request,
    readonly timeoutMs: number,
  ) {
    this.from = caller.name;
    this.to = callee.name;
    this.start = caller.sim.now;
  }

  get label(): string {
    return describeRequest(this.req);
  }

  serve(exchange: Exchange<Response>): void {
    this.callee.receive(this.req, exchange);
  }

  describe(res: Response): string {
    return String(res.status);
  }

  late(): void {
    this.caller.stats.lateResponses++;
  }

  timedOut(): Error {
    return this.caller.gaveUp(this.to, this.timeoutMs);
  }

  answered(): void {
    this.caller.answered(this.to, this.caller.sim.now - this.start);
  }
}

/** A named participant of a {@link Simulation}. */
export class SimNode<S = unknown> {
  /** Counts of what happened here. */
  readonly stats: NodeStats = { received: 0, served: 0, rejected: 0, wastedWork: 0, lateResponses: 0, timeouts: 0 };
  /** The node's state. */
  state: S;
  /** Multiplies processing time (a slow-node fault sets it). */
  slowFactor = 1;

  private alive = true;
  private generation = 0;
  private active = 0;
  private readonly waiting: Waiting[] = [];
  private outstandingCalls = 0;
  private readonly concurrency: number;
  private readonly queueLimit: number;
  private readonly serviceTime: Distribution;
  private readonly latency = new Map<string, Histogram>();
  private ctx: ServiceContext<S> | undefined;
  private ctxGeneration = -1;

  constructor(
    readonly sim: Simulation,
    readonly name: string,
    private readonly handler: Handler<S>,
    private readonly options: NodeOptions<S>,
  ) {
    this.concurrency = options.concurrency === undefined || options.concurrency === Infinity ? Infinity : wholeNumber(`service ${name}`, "concurrency", options.concurrency);
    this.queueLimit = options.queueLimit === undefined || options.queueLimit === Infinity ? Infinity : wholeNumber(`service ${name}`, "queueLimit", options.queueLimit, 0);
    this.serviceTime = options.serviceTime ?? NODE_DEFAULTS.serviceTime;
    if (typeof this.serviceTime === "number") nonNegative(`service ${name}`, "serviceTime", this.serviceTime);
    this.state = options.state ? options.state() : (undefined as S);
  }

  /** False while crashed. */
  get up(): boolean {
    return this.alive;
  }

  /** Requests being handled now. */
  get inFlight(): number {
    return this.active;
  }

  /** Requests waiting for a free slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Calls this node made that have not ended yet. */
  get outstanding(): number {
    return this.outstandingCalls;
  }

  /**
   * Calls `target` and resolves with its response.
   * @throws {@link TimeoutError} (outcome `info`) when no response comes within `timeoutMs`
   */
  call(target: string, input: Request | string = "GET /", options?: CallOptions): Promise<Response> {
    const sim = this.sim;
    const callee = sim.node(target);
    // A crashed process sends nothing.
    if (!this.alive) return Promise.reject(new CallError(`${this.name} is down and cannot call ${target}`, "fail"));
    const timeoutMs = options?.timeoutMs ?? NODE_DEFAULTS.timeoutMs;
    if (timeoutMs !== Infinity) nonNegative(`${this.name}.call`, "timeoutMs", timeoutMs);
    const req = toRequest(input);
    req.client ??= this.name;
    this.outstandingCalls++;
    return roundTrip<Response>(sim, new NodeCall(this as SimNode, callee, req, timeoutMs));
  }

  /** @internal A call of this node ended with a response after `ms`. */
  answered(target: string, ms: number): void {
    this.outstandingCalls--;
    // One histogram per callee, looked up by name once (no key string per call).
    let histogram = this.latency.get(target);
    if (histogram === undefined) this.latency.set(target, (histogram = this.sim.metrics.histogram(`latency ${this.name} → ${target}`)));
    histogram.record(ms);
  }

  /** @internal A call of this node to `target` timed out. */
  gaveUp(target: string, timeoutMs: number): TimeoutError {
    const sim = this.sim;
    this.outstandingCalls--;
    this.stats.timeouts++;
    sim.trace.record("timeout", this.name, this.name, `gave up on ${target} after ${timeoutMs} ms`);
    sim.metrics.counter(`timeouts ${this.name} → ${target}`).inc();
    return new TimeoutError(target, timeoutMs);
  }

  /** @internal A request arrives from the network. */
  receive(request: Request, exchange: Exchange<Response>): void {
    if (!this.alive) {
      const trace = this.sim.trace;
      if (trace.recording) trace.record("drop", request.client ?? "?", this.name, `${describeRequest(request)} (node down)`);
      else trace.skip();
      return;
    }
    this.stats.received++;
    if (this.active < this.concurrency) this.start(request, exchange);
    else if (this.waiting.length < this.queueLimit) this.waiting.push({ request, exchange });
    else {
      this.stats.rejected++;
      exchange.reply(response(503, { error: `${this.name} is overloaded` }, { "retry-after": "1" }));
    }
  }

  private start(request: Request, exchange: Exchange<Response>): void {
    this.active++;
    const generation = this.generation;
    // One context per generation, shared by its requests: it holds nothing of a request.
    let ctx = this.ctx;
    if (ctx === undefined || this.ctxGeneration !== generation) {
      ctx = this.ctx = this.context(generation);
      this.ctxGeneration = generation;
    }
    void this.serve(request, exchange, ctx, generation);
  }

  /** Handles one request in a worker slot and sends the answer (a method: no closure per request). */
  private async serve(request: Request, exchange: Exchange<Response>, ctx: ServiceContext<S>, generation: number): Promise<void> {
    let res: Response;
    try {
      const before = sample(this.sim.random, this.serviceTime);
      if (before > 0) await ctx.work(before);
      const out = await this.handler(request, ctx);
      res = isResponse(out) ? out : response(200, out);
    } catch (error) {
      if (error instanceof NodeCrashed || generation !== this.generation) return;
      res = response(500, { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    }
    if (generation !== this.generation) return; // crashed meanwhile: the answer is never sent
    this.active--;
    this.stats.served++;
    if (exchange.abandoned) this.stats.wastedWork++;
    exchange.reply(res);
    const next = this.waiting.shift();
    if (next) this.start(next.request, next.exchange);
  }

  private context(generation: number): ServiceContext<S> {
    const check = () => {
      if (generation !== this.generation) throw new NodeCrashed(`${this.name} crashed`);
    };
    const currentState = () => this.state;
    return {
      sim: this.sim,
      node: this,
      // A getter: after a crash that loses state, handlers see the fresh state.
      get state() {
        return currentState();
      },
      work: async (time: Distribution) => {
        check();
        await this.sim.sleep(sample(this.sim.random, time) * this.slowFactor);
        check();
      },
      call: async (target, req, options) => {
        check();
        try {
          return await this.call(target, req, options);
        } finally {
          check();
        }
      },
    };
  }

  /** @internal Crash: in-flight and queued requests are lost; state too if `loseState`. */
  crash(loseState: boolean): void {
    this.alive = false;
    this.generation++;
    this.active = 0;
    this.waiting.length = 0;
    if (loseState && this.options.state) this.state = this.options.state();
  }

  /** @internal Restart after a crash. */
  restart(): void {
    this.alive = true;
  }

  /** A one-row table: the node's state now and its counts (never the whole simulation). */
  [DISPLAY](): MimeBundle {
    const limit = (n: number) => (n === Infinity ? "unlimited" : n);
    return table([{ node: this.name, up: this.alive ? "yes" : "no", "in flight": this.active, queued: this.waiting.length, concurrency: limit(this.concurrency), ...this.stats }])[DISPLAY]();
  }
}
