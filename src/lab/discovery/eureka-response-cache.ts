/**
 * Eureka's read-only response cache (`ResponseCacheImpl` with `shouldUseReadOnlyResponseCache`):
 * readers get a snapshot per key; a key is filled from the live registry when first read, and a
 * timer copies the live registry into every cached key every `responseCacheUpdateIntervalMs`
 * (30 s). So a registration, cancellation or eviction reaches readers up to 30 s late.
 *
 * Simplification: Eureka keeps a second, read-write cache between the two (invalidated on each
 * change, expiring after 180 s); it does not change what readers see, so it is left out.
 */

/** A key whose snapshot changed at a refresh. */
export interface ResponseCacheChange<T> {
  readonly key: string;
  readonly value: readonly T[];
}

/** Snapshots of the live registry per key. */
export class ResponseCache<T> {
  private readonly entries = new Map<string, readonly T[]>();

  /**
   * @param load - reads the live registry for a key
   * @param same - true when two snapshots are equal (unchanged keys are not reported)
   */
  constructor(
    private readonly load: (key: string) => T[],
    private readonly same: (a: readonly T[], b: readonly T[]) => boolean,
  ) {}

  /** The snapshot of `key`, filled from the live registry on the first read. */
  read(key: string): readonly T[] {
    const cached = this.entries.get(key);
    if (cached) return cached;
    const fresh = this.load(key);
    this.entries.set(key, fresh);
    return fresh;
  }

  /** Copies the live registry into every cached key; returns the keys that changed. */
  refresh(): ResponseCacheChange<T>[] {
    const changes: ResponseCacheChange<T>[] = [];
    for (const [key, old] of this.entries) {
      const fresh = this.load(key);
      if (this.same(old, fresh)) continue;
      this.entries.set(key, fresh);
      changes.push({ key, value: fresh });
    }
    return changes;
  }
}
