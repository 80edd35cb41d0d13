/**
 * Leaky bucket as a queue: requests join a per-client queue that drains at a constant
 * `leakPerSecond`, so requests leave evenly spaced however bursty they arrive; when
 * `queueSize` requests are already waiting, a new one is refused. This is NGINX `limit_req`
 * (`rate=` is the leak rate, `burst=` the queue size): the first request of an idle client
 * passes at once, the next ones wait their turn.
 *
 * With `mode: "meter"` the same bookkeeping only decides yes/no and lets accepted requests
 * through at once (NGINX `nodelay`): the bucket then meters instead of shaping, and behaves
 * like a token bucket of capacity `queueSize + 1`.
 *
 * Simplification: the queue is virtual. The limiter says how long an accepted request must
 * wait (`delayMs`); the caller (the gateway) does the waiting.
 */
import { oneOf, positive, wholeNumber } from "../errors";
import { ceilMs, EPSILON, KeyedRateLimiter, type RateDecision } from "./rate-limiter";

/** How a {@link LeakyBucket} treats accepted requests. */
export type LeakyBucketMode = "queue" | "meter";

/** Options of a {@link LeakyBucket}. Defaults are in {@link LEAKY_BUCKET_DEFAULTS}. */
export interface LeakyBucketOptions {
  /** Requests that leave the bucket per second (the constant output rate), > 0. */
  leakPerSecond?: number;
  /** Requests that may wait in a client's queue; 0 means no waiting (NGINX's default `burst`). */
  queueSize?: number;
  /** `queue` delays accepted requests to the leak rate; `meter` lets them through at once. */
  mode?: LeakyBucketMode;
}

/**
 * Defaults: NGINX has no default rate (it must be given), so 10 requests/s is the lab's
 * choice; `queueSize` 0 is NGINX's default `burst`; `queue` is NGINX's default (no `nodelay`).
 */
export const LEAKY_BUCKET_DEFAULTS = { leakPerSecond: 10, queueSize: 0, mode: "queue" as LeakyBucketMode } as const;

interface Queue {
  /** When each waiting request leaves (all later than the last time seen). */
  departures: number[];
  /** When the last accepted request left or will leave. */
  lastDeparture: number;
}

/** A per-client leaky bucket (queue or meter). */
export class LeakyBucket extends KeyedRateLimiter<Queue> {
  readonly name: string;
  readonly leakPerSecond: number;
  readonly queueSize: number;
  readonly mode: LeakyBucketMode;
  /** Time between two departures, ms. */
  readonly intervalMs: number;

  constructor(options: LeakyBucketOptions = {}) {
    super("LeakyBucket");
    this.leakPerSecond = positive("LeakyBucket", "leakPerSecond", options.leakPerSecond ?? LEAKY_BUCKET_DEFAULTS.leakPerSecond);
    this.queueSize = wholeNumber("LeakyBucket", "queueSize", options.queueSize ?? LEAKY_BUCKET_DEFAULTS.queueSize, 0);
    this.mode = oneOf("LeakyBucket", "mode", options.mode ?? LEAKY_BUCKET_DEFAULTS.mode, ["queue", "meter"]);
    this.intervalMs = 1000 / this.leakPerSecond;
    this.name = `leaky bucket (${this.mode}, ${this.leakPerSecond}/s, queue ${this.queueSize})`;
  }

  protected initial(): Queue {
    return { departures: [], lastDeparture: -Infinity };
  }

  protected decide(q: Queue, now: number): RateDecision {
    while (q.departures.length > 0 && q.departures[0]! <= now + EPSILON) q.departures.shift();
    const departure = Math.max(now, q.lastDeparture + this.intervalMs);
    const mustWait = departure > now + EPSILON;
    if (mustWait && q.departures.length >= this.queueSize) {
      // Room appears when the head of the queue leaves; with no queue, when the next slot comes.
      const freeAt = this.queueSize === 0 ? departure : q.departures[0]!;
      return { allowed: false, retryAfterMs: ceilMs(freeAt - now) };
    }
    q.lastDeparture = departure;
    if (mustWait) q.departures.push(departure);
    return { allowed: true, delayMs: this.mode === "queue" ? departure - now : 0 };
  }

  protected describe(q: Queue, now: number): Record<string, number> {
    return { queued: q.departures.filter((d) => d > now + EPSILON).length };
  }
}
