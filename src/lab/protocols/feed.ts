/**
 * A feed of events on a server — stock ticks by default — that the real-time protocols
 * deliver. It keeps every event with an increasing id, so a server can answer "what came
 * after id 17" (an SSE `Last-Event-ID`, a long-poll cursor, a WebSocket app's resume).
 */
import { nonNegative, positive, wholeNumber } from "../errors";
import type { Timer } from "../sim/simulation";
import type { Simulation } from "../sim/simulation";

/** One event of a feed. */
export interface FeedEvent {
  /** Increasing from 1. */
  id: number;
  /** Event type (SSE `event:` field), e.g. `tick`. */
  type: string;
  /** Payload as text (JSON). */
  data: string;
  /** Virtual time it was published, ms. */
  time: number;
}

/** Where servers read events from. */
export interface FeedSource {
  /** Events with an id greater than `id`, oldest first. */
  after(id: number): readonly FeedEvent[];
  /** Calls `listener` for each new event; returns the unsubscribe function. */
  subscribe(listener: (event: FeedEvent) => void): () => void;
  /** The id of the newest event (0 before the first). */
  readonly lastId: number;
}

/** Options of a {@link TickFeed}. Defaults are in {@link TICK_FEED_DEFAULTS}. */
export interface TickFeedOptions {
  /** Symbols, one tick each in turn. */
  symbols?: readonly string[];
  /** Time between ticks, ms. */
  intervalMs?: number;
  /** Ticks to publish, then stop. */
  count?: number;
  /** Time of the first tick, ms of virtual time. */
  startAt?: number;
}

/** Defaults: two symbols, a tick every 100 ms, 50 ticks, the first at 100 ms. */
export const TICK_FEED_DEFAULTS = { symbols: ["ACME", "GLOBX"] as readonly string[], intervalMs: 100, count: 50, startAt: 100 } as const;

/** A price tick. */
export interface Tick {
  symbol: string;
  price: number;
}

/** A stream of stock ticks on the simulation's clock, prices a seeded random walk. */
export class TickFeed implements FeedSource {
  private readonly list: FeedEvent[] = [];
  private readonly listeners = new Set<(event: FeedEvent) => void>();
  private timer?: Timer;
  readonly count: number;
  readonly intervalMs: number;
  readonly startAt: number;

  constructor(
    readonly sim: Simulation,
    options: TickFeedOptions = {},
  ) {
    const symbols = options.symbols ?? TICK_FEED_DEFAULTS.symbols;
    this.intervalMs = positive("TickFeed", "intervalMs", options.intervalMs ?? TICK_FEED_DEFAULTS.intervalMs);
    this.count = wholeNumber("TickFeed", "count", options.count ?? TICK_FEED_DEFAULTS.count, 0);
    this.startAt = nonNegative("TickFeed", "startAt", options.startAt ?? TICK_FEED_DEFAULTS.startAt);
    const prices = new Map(symbols.map((s, i) => [s, 100 + 20 * i]));
    const random = sim.random.fork();
    let published = 0;
    const tick = () => {
      if (published >= this.count) {
        this.timer?.cancel();
        return;
      }
      const symbol = symbols[published % symbols.length]!;
      const price = Math.round((prices.get(symbol)! + random.uniform(-1, 1)) * 100) / 100;
      prices.set(symbol, price);
      published++;
      this.publish("tick", JSON.stringify({ symbol, price } satisfies Tick));
      if (published >= this.count) this.timer?.cancel();
    };
    if (this.count > 0) sim.at(this.startAt, () => (this.timer = sim.every(this.intervalMs, tick, 0)));
  }

  /** Publishes an event now (ticks do this on their own). */
  publish(type: string, data: string): FeedEvent {
    const event: FeedEvent = { id: this.list.length + 1, type, data, time: this.sim.now };
    this.list.push(event);
    for (const l of [...this.listeners]) l(event);
    return event;
  }

  /** Every event published so far. */
  get events(): readonly FeedEvent[] {
    return this.list;
  }

  get lastId(): number {
    return this.list.length;
  }

  /** Virtual time of the last tick. */
  get endsAt(): number {
    return this.startAt + (this.count - 1) * this.intervalMs;
  }

  after(id: number): readonly FeedEvent[] {
    return this.list.slice(Math.max(0, id));
  }

  subscribe(listener: (event: FeedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
