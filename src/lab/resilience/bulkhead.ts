/**
 * Bulkhead: a fixed number of execution slots and a bounded queue in front of them, so one
 * slow dependency can tie up only its own share of the caller's capacity.
 */
import { ConfigError, wholeNumber } from "../errors";
import { DISPLAY, table, type MimeBundle } from "../display";
import type { Simulation } from "../sim/simulation";
import { BulkheadRejectedError } from "./errors";
import { Listeners, NEVER_CANCELLED, type CancelSignal, type ResiliencePolicy } from "./policy";

/** Options of a {@link BulkheadPolicy}. Defaults are in {@link BULKHEAD_DEFAULTS}. */
export interface BulkheadOptions {
  /** Name in traces, errors and displays. Default `"bulkhead"`. */
  name?: string;
  /** Calls that may run at once. Default 25 (resilience4j's `maxConcurrentCalls`). */
  maxConcurrent?: number;
  /** Calls that may wait for a slot, first come first served. Default 0 (cockatiel's default queue). */
  maxQueue?: number;
}

/** Defaults of {@link BulkheadOptions}. */
export const BULKHEAD_DEFAULTS = { name: "bulkhead", maxConcurrent: 25, maxQueue: 0 } as const;

/** A call the bulkhead refused. */
export interface BulkheadRejection {
  /** Virtual time in ms. */
  time: number;
}

/** Counts of a {@link BulkheadPolicy}. */
export interface BulkheadStats {
  /** Calls running now. */
  active: number;
  /** Calls waiting for a slot now. */
  queued: number;
  /** Calls refused at once because slots and queue were full. */
  rejected: number;
  /** Calls that got a slot. */
  executed: number;
  /** Of them, calls that waited in the queue first. */
  waited: number;
  /** The most calls running at once. */
  peakActive: number;
  /** The longest the queue has been. */
  peakQueued: number;
}

interface Waiter {
  admit: () => void;
}

/**
 * A bulkhead with cockatiel's shape (`bulkhead(limit, queue)`): up to `maxConcurrent` calls
 * run, up to `maxQueue` more wait in order, and beyond both a call is rejected at once with
 * {@link BulkheadRejectedError} (outcome `fail`). A queued call whose signal is aborted
 * leaves the queue with the signal's reason. Unlike resilience4j's semaphore bulkhead, a
 * queued call waits as long as it takes (no `maxWaitDuration`).
 */
export class BulkheadPolicy implements ResiliencePolicy {
  /** The options in force, defaults filled in. */
  readonly options: Readonly<Required<BulkheadOptions>>;
  private readonly queue: Waiter[] = [];
  private readonly counts = { active: 0, rejected: 0, executed: 0, waited: 0, peakActive: 0, peakQueued: 0 };
  private full = false;
  private readonly rejectListeners = new Listeners<BulkheadRejection>();

  constructor(
    readonly sim: Simulation,
    options: BulkheadOptions = {},
  ) {
    const d = BULKHEAD_DEFAULTS;
    const c = "BulkheadPolicy";
    this.options = {
      name: options.name ?? d.name,
      maxConcurrent: wholeNumber(c, "maxConcurrent", options.maxConcurrent ?? d.maxConcurrent),
      maxQueue: wholeNumber(c, "maxQueue", options.maxQueue ?? d.maxQueue, 0),
    };
    if (typeof this.options.name !== "string" || this.options.name === "") throw new ConfigError(c, "name", this.options.name, "a non-empty string");
  }

  /** Counts and gauges now. */
  get stats(): BulkheadStats {
    return { ...this.counts, queued: this.queue.length };
  }

  /** Calls `listener` for every rejected call. Returns an unsubscribe function. */
  onRejected(listener: (event: BulkheadRejection) => void): () => void {
    return this.rejectListeners.add(listener);
  }

  /**
   * Runs `fn` in a free slot, after queueing if need be.
   * @throws {@link BulkheadRejectedError} when slots and queue are full; else whatever `fn` throws
   */
  async execute<T>(fn: (signal: CancelSignal) => Promise<T> | T, signal: CancelSignal = NEVER_CANCELLED): Promise<T> {
    const { maxConcurrent, maxQueue, name } = this.options;
    const c = this.counts;
    if (c.active < maxConcurrent) this.take();
    else if (this.queue.length < maxQueue) {
      await this.wait(signal);
      c.waited++;
    } else {
      c.rejected++;
      if (!this.rejectListeners.empty) this.rejectListeners.emit({ time: this.sim.now });
      throw new BulkheadRejectedError(name, maxConcurrent, maxQueue);
    }
    try {
      return await fn(signal);
    } finally {
      this.release();
    }
  }

  private take(): void {
    const c = this.counts;
    c.active++;
    c.executed++;
    if (c.active > c.peakActive) c.peakActive = c.active;
    this.checkFull();
  }

  private wait(signal: CancelSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const waiter: Waiter = {
        admit: () => {
          stop();
          resolve();
        },
      };
      const stop = signal.onAbort((reason) => {
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
        this.checkFull();
        reject(reason);
      });
      this.queue.push(waiter);
      if (this.queue.length > this.counts.peakQueued) this.counts.peakQueued = this.queue.length;
      this.checkFull();
    });
  }

  private release(): void {
    this.counts.active--;
    const next = this.queue.shift();
    // The freed slot goes straight to the first waiter.
    if (next) {
      this.take();
      next.admit();
    } else this.checkFull();
  }

  /** Traces the moments the bulkhead fills up and gets room again. */
  private checkFull(): void {
    const full = this.counts.active >= this.options.maxConcurrent && this.queue.length >= this.options.maxQueue;
    if (full === this.full) return;
    this.full = full;
    this.sim.trace.state(this.options.name, full ? `bulkhead full (${this.counts.active} running, ${this.queue.length} queued)` : "bulkhead has room");
  }

  /** A table of the counts. */
  [DISPLAY](): MimeBundle {
    const o = this.options;
    return table([{ policy: o.name, "max concurrent": o.maxConcurrent, "max queue": o.maxQueue, ...this.stats }])[DISPLAY]();
  }
}
