/**
 * The interface every rate limiter implements, and the per-client bookkeeping they share.
 *
 * A limiter is a pure function of the requests it has seen and the time the caller passes
 * in (virtual ms): it never reads a clock, so the same timeline gives the same answers.
 * State is kept per key (a client id, an API key, an IP), as gateways limit each client
 * separately.
 */
import { DISPLAY, markdown, table, type Displayable, type MimeBundle } from "../display";
import { ConfigError, nonNegative } from "../errors";

/** The answer to one request: let it through, or refuse it and say when a retry can pass. */
export type RateDecision =
  | {
      readonly allowed: true;
      /**
       * How long the request must wait before it is forwarded, in ms. Only a shaping limiter
       * (the leaky bucket as a queue) delays; the others always say 0.
       */
      readonly delayMs: number;
    }
  | {
      readonly allowed: false;
      /** The earliest time, from now, at which the same request would be allowed (ms, > 0). */
      readonly retryAfterMs: number;
    };

/** One decision, as reported to listeners. */
export interface RateDecisionEvent {
  /** The client the request was counted against. */
  readonly key: string;
  /** The virtual time passed to {@link RateLimiter.tryAcquire}. */
  readonly now: number;
  readonly decision: RateDecision;
}

/** A per-client rate limiter driven by caller-supplied time. */
export interface RateLimiter extends Displayable {
  /** Short name of the algorithm and its settings, e.g. `token bucket (20, 10/s)`. */
  readonly name: string;
  /**
   * Counts one request from `key` at virtual time `now` (ms) and decides whether it may pass.
   * Times for one key must not go backwards.
   */
  tryAcquire(key: string, now: number): RateDecision;
  /** The limiter's state for `key` at `now`, as plain numbers (for tables and tests). */
  inspect(key: string, now: number): Record<string, number>;
  /** Calls `listener` after every decision; returns a function that stops the calls. */
  onDecision(listener: (event: RateDecisionEvent) => void): () => void;
}

/** `Retry-After` in whole seconds, rounded up, at least 1 (RFC 9110 delay-seconds). */
export function retryAfterSeconds(retryAfterMs: number): number {
  return Math.max(1, Math.ceil(retryAfterMs / 1000 - EPSILON));
}

/** Float slack for comparisons of accumulated fractions (0.1 + 0.2 ≠ 0.3). */
export const EPSILON = 1e-9;

/** Rounds a wait up to whole ms, ignoring float noise (100.0000000001 → 100). */
export function ceilMs(ms: number): number {
  return Math.max(1, Math.ceil(ms - 1e-6));
}

interface KeyCounts {
  allowed: number;
  rejected: number;
  lastSeen: number;
}

/**
 * Shared machinery: one state object per key, time checks, counts and listeners. A
 * subclass only decides for one key's state.
 */
export abstract class KeyedRateLimiter<S> implements RateLimiter {
  abstract readonly name: string;
  private readonly states = new Map<string, S>();
  private readonly counts = new Map<string, KeyCounts>();
  private readonly listeners = new Set<(event: RateDecisionEvent) => void>();
  private latest = 0;

  /** @param component - the class name, used in error messages */
  protected constructor(private readonly component: string) {}

  /** A fresh state for a key seen for the first time at `now`. */
  protected abstract initial(now: number): S;
  /** Decides for one request and updates `state`. */
  protected abstract decide(state: S, now: number): RateDecision;
  /** Plain numbers describing `state` at `now`, without changing what later decisions see. */
  protected abstract describe(state: S, now: number): Record<string, number>;

  tryAcquire(key: string, now: number): RateDecision {
    const state = this.stateFor(key, now);
    const decision = this.decide(state, now);
    const counts = this.counts.get(key)!;
    if (decision.allowed) counts.allowed++;
    else counts.rejected++;
    counts.lastSeen = now;
    this.latest = Math.max(this.latest, now);
    for (const listener of [...this.listeners]) listener({ key, now, decision });
    return decision;
  }

  inspect(key: string, now: number): Record<string, number> {
    nonNegative(`${this.component}.inspect`, "now", now);
    const state = this.states.get(key);
    return this.describe(state ?? this.initial(now), now);
  }

  onDecision(listener: (event: RateDecisionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Clients seen so far. */
  get keys(): string[] {
    return [...this.states.keys()];
  }

  /** Requests allowed and rejected for `key` so far. */
  totals(key: string): { allowed: number; rejected: number } {
    const c = this.counts.get(key);
    return { allowed: c?.allowed ?? 0, rejected: c?.rejected ?? 0 };
  }

  private stateFor(key: string, now: number): S {
    if (typeof key !== "string") throw new ConfigError(`${this.component}.tryAcquire`, "key", key, "a string");
    nonNegative(`${this.component}.tryAcquire`, "now", now);
    let state = this.states.get(key);
    const counts = this.counts.get(key);
    if (counts && now < counts.lastSeen) {
      throw new ConfigError(`${this.component}.tryAcquire`, "now", now, `≥ the previous time for key "${key}" (${counts.lastSeen} ms): time cannot go backwards`);
    }
    if (!state) {
      state = this.initial(now);
      this.states.set(key, state);
      this.counts.set(key, { allowed: 0, rejected: 0, lastSeen: now });
    }
    return state;
  }

  /** A table: one row per client with its totals and state at the latest time seen. */
  [DISPLAY](): MimeBundle {
    if (this.states.size === 0) return markdown(`**${this.name}**: no requests yet`)[DISPLAY]();
    const rows = [...this.states.keys()].map((key) => ({ client: key, ...this.totals(key), ...roundAll(this.inspect(key, this.latest)) }));
    const head = `${this.name} at t=${this.latest} ms`;
    const body = table(rows)[DISPLAY]();
    return { "text/markdown": `**${head}**\n\n${body["text/markdown"]}`, "text/plain": `${head}\n${body["text/plain"]}` };
  }
}

function roundAll(values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Math.round(v * 1000) / 1000]));
}
