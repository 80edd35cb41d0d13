/**
 * A caller's cached copy of a service's instance list, fetched from a registry node over the
 * simulated network and refreshed on a timer (Eureka client `registryFetchIntervalSeconds`,
 * 30 s). Between refreshes the caller works from the copy, which is how a dead instance stays
 * in use after the registry has dropped it. A failed fetch keeps the old copy, as the Eureka
 * client does: a registry outage does not empty the caches.
 */
import type { Simulation, Timer } from "../sim/simulation";
import type { CallOptions } from "../sim/node";
import type { Request, Response } from "../sim/http";
import { Listeners } from "./listeners";
import type { DiscoveredInstance, RegistrySource } from "./types";

/** One completed refresh. */
export interface InstanceCacheRefreshEvent {
  /** Virtual time the answer arrived, ms. */
  readonly at: number;
  /** Instance ids in the cache after the refresh. */
  readonly ids: readonly string[];
  /** True when the list differs from the one before. */
  readonly changed: boolean;
}

/** Counts of a cache's fetches. */
export interface InstanceCacheStats {
  /** Fetches sent to the registry. */
  fetches: number;
  /** Fetches that timed out or got an unusable answer (the old copy was kept). */
  fetchFailures: number;
}

/** The node that fetches: any simulated node. */
export interface InstanceCacheOwner {
  readonly name: string;
  readonly up: boolean;
  call(target: string, request: Request, options: CallOptions): Promise<Response>;
}

/** A refreshed copy of one service's instance list. */
export class InstanceCache {
  readonly stats: InstanceCacheStats = { fetches: 0, fetchFailures: 0 };
  private list: readonly DiscoveredInstance[] = [];
  private refreshedAt: number | undefined;
  private readonly timer: Timer;
  private readonly listeners = new Listeners<InstanceCacheRefreshEvent>();

  /**
   * Fetches at once (a caller fills its cache when it starts, as the Eureka client does), then
   * refreshes at `refreshPhaseMs` and every `refreshIntervalMs` after that. The refresh timer
   * never ends by itself: see {@link stop}.
   * @param owner - the node that fetches (a crashed owner fetches nothing)
   * @param refreshPhaseMs - when the first periodic refresh runs, ms from now (default: one
   *   interval). Callers that started at different times refresh out of step with each other
   *   and with the registry; a phase models that.
   */
  constructor(
    private readonly sim: Simulation,
    private readonly owner: InstanceCacheOwner,
    readonly service: string,
    readonly registry: RegistrySource,
    readonly refreshIntervalMs: number,
    private readonly fetchTimeoutMs: number,
    readonly refreshPhaseMs: number = refreshIntervalMs,
  ) {
    void this.refresh();
    this.timer = sim.every(refreshIntervalMs, () => void this.refresh(), refreshPhaseMs);
  }

  /** The cached instances. */
  get instances(): readonly DiscoveredInstance[] {
    return this.list;
  }

  /** Virtual time of the last successful refresh, ms. */
  get lastRefreshAt(): number | undefined {
    return this.refreshedAt;
  }

  /** Subscribes to completed refreshes. */
  onRefresh(listener: (event: InstanceCacheRefreshEvent) => void): () => void {
    return this.listeners.add(listener);
  }

  /** Fetches the list now. Resolves true when the cache was updated. */
  async refresh(): Promise<boolean> {
    if (!this.owner.up) return false;
    this.stats.fetches++;
    let fresh: DiscoveredInstance[];
    try {
      const res = await this.owner.call(this.registry.name, this.registry.lookupRequest(this.service), { timeoutMs: this.fetchTimeoutMs });
      fresh = this.registry.parseLookup(res);
    } catch {
      this.stats.fetchFailures++;
      return false;
    }
    const changed = fresh.length !== this.list.length || fresh.some((inst, i) => inst.id !== this.list[i]!.id || inst.node !== this.list[i]!.node);
    this.list = fresh;
    this.refreshedAt = this.sim.now;
    if (changed) this.sim.trace.state(this.owner.name, `cache of ${this.service}: ${fresh.map((i) => i.id).join(", ") || "empty"}`);
    this.listeners.emit({ at: this.sim.now, ids: fresh.map((i) => i.id), changed });
    return true;
  }

  /** Stops the refresh timer; the cache keeps its last copy. */
  stop(): void {
    this.timer.cancel();
  }
}
