/**
 * When a Eureka lease expires.
 *
 * Eureka documents that an instance is dropped after `leaseExpirationDurationInSeconds` (90 s)
 * without a renewal. Its code does something else: `Lease.renew()` stores
 * `lastUpdateTimestamp = now + duration`, and `Lease.isExpired()` checks
 * `now > lastUpdateTimestamp + duration`, so once an instance has renewed at least once, its
 * lease only expires 2 × duration (≈ 180 s) after the last renewal. A lease that was never
 * renewed expires 1 × duration after registration, because registration stores the plain time.
 * The Eureka maintainers kept the behaviour (changing it would change the timing of every
 * existing deployment), so both are offered here.
 */

/**
 * How lease expiry is computed:
 * - `"documented"`: expired when more than the lease duration has passed since the last
 *   renewal (or the registration). What the Eureka documentation describes.
 * - `"as-implemented"`: what Netflix Eureka's `Lease` class actually does: a renewal pushes the
 *   expiry to last renewal + 2 × duration.
 */
export type LeaseExpiryMode = "documented" | "as-implemented";

/** The expiry modes, for validation. */
export const LEASE_EXPIRY_MODES: readonly LeaseExpiryMode[] = ["documented", "as-implemented"];

/** The times a lease's expiry depends on. */
export interface LeaseTimes {
  /** Virtual time of the registration, ms. */
  readonly registeredAt: number;
  /** Virtual time of the last renewal, ms; undefined if the instance never renewed. */
  readonly lastRenewedAt: number | undefined;
  /** Lease duration the instance registered with, ms (Eureka default 90 000). */
  readonly durationMs: number;
}

/**
 * The virtual time after which the lease counts as expired: it is expired at any time strictly
 * greater than the returned value (Eureka compares with `>`).
 */
export function leaseExpiresAt(lease: LeaseTimes, mode: LeaseExpiryMode): number {
  if (lease.lastRenewedAt === undefined) return lease.registeredAt + lease.durationMs;
  return mode === "as-implemented" ? lease.lastRenewedAt + 2 * lease.durationMs : lease.lastRenewedAt + lease.durationMs;
}

/** True when the lease is expired at virtual time `now`. */
export function isLeaseExpired(lease: LeaseTimes, mode: LeaseExpiryMode, now: number): boolean {
  return now > leaseExpiresAt(lease, mode);
}
