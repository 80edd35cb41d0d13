/**
 * Eureka's self-preservation arithmetic.
 *
 * The registry expects every registered instance to renew every
 * `expectedClientRenewalIntervalSeconds` (30 s), so it expects
 * `instances × (60 / 30)` = 2 renewals per instance per minute. The threshold is
 * `floor(expected × renewalPercentThreshold)` (85 %), computed in that order as Eureka's
 * `updateRenewsPerMinThreshold()` does with doubles and an `(int)` cast. Evictions run only when
 * the threshold is above 0 and the renewals received in the last minute are strictly greater
 * than it; otherwise the registry assumes the network, not the instances, is at fault and keeps
 * every lease ("self-preservation").
 *
 * Simplification: Eureka counts renewals in fixed one-minute buckets (`MeasuredRate`, the last
 * complete bucket); this counts the renewals of the sliding last 60 s, the same number when
 * renewals are spread evenly.
 */

/** Expected renewals per minute: `instances × (60 000 / renewal interval in ms)`. */
export function expectedRenewsPerMinute(instances: number, renewalIntervalMs: number): number {
  return instances * (60_000 / renewalIntervalMs);
}

/**
 * Eureka's renewal threshold: `floor(instances × (60 / interval s) × percent)`.
 * @example renewalThreshold(10, 30_000, 0.85) === 17 // 10 × 2 × 0.85
 */
export function renewalThreshold(instances: number, renewalIntervalMs: number, percent: number): number {
  return Math.floor(expectedRenewsPerMinute(instances, renewalIntervalMs) * percent);
}

/** Counts renewals over the sliding last minute of virtual time. */
export class RenewalCounter {
  private readonly times: number[] = [];

  constructor(private readonly windowMs = 60_000) {}

  /** Records one renewal at virtual time `at`. */
  record(at: number): void {
    this.times.push(at);
  }

  /** Renewals in `(now − window, now]`. */
  count(now: number): number {
    const from = now - this.windowMs;
    while (this.times.length > 0 && this.times[0]! <= from) this.times.shift();
    return this.times.length;
  }
}

/** The inputs and result of one self-preservation decision. */
export interface SelfPreservationCheck {
  /** Instances the registry expects renewals from. */
  readonly expectedInstances: number;
  /** `instances × (60 / renewal interval)`. */
  readonly expectedRenewsPerMinute: number;
  /** `floor(expected × percent)`. */
  readonly threshold: number;
  /** Renewals received in the last minute. */
  readonly renewalsLastMinute: number;
  /** True when evictions may run: self-preservation off, or threshold > 0 and renewals > threshold. */
  readonly evictionAllowed: boolean;
}
