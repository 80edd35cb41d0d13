/**
 * A Eureka-style service registry node (Netflix Eureka server semantics).
 *
 * Instances register, renew their lease every 30 s, and cancel when they shut down cleanly.
 * An eviction task runs every 60 s and removes instances whose lease expired (see
 * {@link LeaseExpiryMode}: the documented 90 s, or the 2 × duration Eureka's code really uses),
 * unless self-preservation holds it back (see `self-preservation.ts`). Clients read the
 * registry through a read-only response cache that is refreshed every 30 s, as Eureka's
 * `ResponseCacheImpl` does, so a change reaches a reader up to 30 s after it happened.
 *
 * The node speaks Eureka's REST API (see `eureka-http.ts`).
 *
 * The eviction task and the cache refresh are periodic work that never ends by itself, so
 * `sim.run()` without a scenario never runs out of events while a registry exists: use
 * `sim.run(scenario)`, `sim.runFor` or `sim.runUntil`, or call {@link EurekaRegistry.stop}
 * (and stop the instances and clients too).
 *
 * Simplifications: one server, no peer replication or delta fetches; the expected number of
 * renewing instances is the number of registered instances (Eureka moves its count by one on
 * each new registration, cancellation and eviction; real servers also seed it from peers at
 * startup and re-sync it every 15 minutes); late eviction runs are never compensated because
 * the virtual clock never runs late. The registry lives in the node's state, so a crash with
 * `loseState` empties it, as a restarted Eureka server starts empty without peers.
 */
import { DISPLAY, markdown, table, type MimeBundle } from "../display";
import { ConfigError, fraction, nonNegative, oneOf, positive } from "../errors";
import type { Simulation, Timer } from "../sim/simulation";
import type { SimNode } from "../sim/node";
import type { Distribution } from "../sim/random";
import { request, type Request, type Response } from "../sim/http";
import { LEASE_EXPIRY_MODES, leaseExpiresAt, type LeaseExpiryMode } from "./lease";
import { RenewalCounter, expectedRenewsPerMinute, renewalThreshold, type SelfPreservationCheck } from "./self-preservation";
import { Listeners } from "./listeners";
import { ResponseCache } from "./eureka-response-cache";
import { routeEurekaRequest, type EurekaApi } from "./eureka-http";
import { rememberRegistry } from "./registry-lookup";
import type { DiscoveredInstance, RegistrySource } from "./types";

/** Instance status in Eureka. Clients only use `UP` instances. */
export type EurekaStatus = "UP" | "DOWN" | "STARTING" | "OUT_OF_SERVICE" | "UNKNOWN";

const STATUSES: readonly EurekaStatus[] = ["UP", "DOWN", "STARTING", "OUT_OF_SERVICE", "UNKNOWN"];

/** Options of an {@link EurekaRegistry}. Defaults are in {@link EUREKA_REGISTRY_DEFAULTS}. */
export interface EurekaRegistryOptions {
  /** Node name. Default `eureka`. */
  name?: string;
  /** How often the eviction task runs, ms (Eureka `evictionIntervalTimerInMs`). Default 60 000. */
  evictionIntervalMs?: number;
  /**
   * When the eviction task first runs, ms after the registry is built. Default: one
   * `evictionIntervalMs`, as Eureka schedules it from server start.
   */
  evictionPhaseMs?: number;
  /** How lease expiry is computed. Default `"documented"` (90 s); `"as-implemented"` is Eureka's real 2 × duration. */
  leaseExpiry?: LeaseExpiryMode;
  /** Stop evicting when renewals fall to the threshold or below (Eureka `enableSelfPreservation`). Default true. */
  enableSelfPreservation?: boolean;
  /** Share of expected renewals below which self-preservation engages (Eureka `renewalPercentThreshold`). Default 0.85. */
  renewalPercentThreshold?: number;
  /** Renewal interval the registry assumes for every instance, ms (Eureka `expectedClientRenewalIntervalSeconds`). Default 30 000. */
  expectedClientRenewalIntervalMs?: number;
  /** Lease duration for registrations that do not send one, ms. Default 90 000. */
  defaultLeaseDurationMs?: number;
  /** Serve reads from a read-only cache refreshed on a timer (Eureka `shouldUseReadOnlyResponseCache`). Default true. */
  useReadOnlyResponseCache?: boolean;
  /** How often the read-only cache is refreshed, ms (Eureka `responseCacheUpdateIntervalMs`). Default 30 000. */
  responseCacheUpdateIntervalMs?: number;
  /**
   * When the read-only cache is first refreshed, ms after the registry is built. Default: one
   * `responseCacheUpdateIntervalMs`, in step with the eviction task. Eureka aligns this timer
   * to the wall clock rather than to the eviction task, so in a real server the two are out of
   * step and a fresh eviction can wait up to 30 s to reach readers; give a phase to see that.
   */
  responseCacheUpdatePhaseMs?: number;
  /** Processing time of each registry request (ms or a distribution). Default 0. */
  serviceTime?: Distribution;
}

/** Defaults for {@link EurekaRegistryOptions}: Eureka's own. */
export const EUREKA_REGISTRY_DEFAULTS = {
  name: "eureka",
  evictionIntervalMs: 60_000,
  leaseExpiry: "documented" as LeaseExpiryMode,
  enableSelfPreservation: true,
  renewalPercentThreshold: 0.85,
  expectedClientRenewalIntervalMs: 30_000,
  defaultLeaseDurationMs: 90_000,
  useReadOnlyResponseCache: true,
  responseCacheUpdateIntervalMs: 30_000,
  serviceTime: 0 as Distribution,
} as const;

/** An instance as the registry serves it to readers. */
export interface EurekaInstanceInfo {
  readonly app: string;
  readonly id: string;
  /** Node that serves the instance's requests. */
  readonly node: string;
  readonly status: EurekaStatus;
}

/** What a registration carries (the body of `POST /eureka/apps/{app}`). */
export interface EurekaRegistration {
  /** Instance id, unique in the registry. */
  id: string;
  /** Node that serves the instance. Default: the id. */
  node?: string;
  /** Default `UP`. */
  status?: EurekaStatus;
  /** Lease duration, ms. Default: the registry's `defaultLeaseDurationMs`. */
  leaseDurationMs?: number;
}

/** A lease as the registry holds it now. */
export interface EurekaLeaseView extends EurekaInstanceInfo {
  /** Virtual time of the registration, ms. */
  readonly registeredAt: number;
  /** Virtual time of the last renewal, ms (undefined before the first). */
  readonly lastRenewedAt: number | undefined;
  readonly leaseDurationMs: number;
  /** The lease is expired at any time after this, ms. */
  readonly expiresAt: number;
  /** True when expired now (it goes at the next eviction run unless self-preservation holds). */
  readonly expired: boolean;
  /** Renewals received. */
  readonly renewals: number;
}

/** What the registry reports to {@link EurekaRegistry.onEvent} listeners. */
export type EurekaRegistryEvent =
  | { readonly type: "registered"; readonly at: number; readonly app: string; readonly id: string; readonly status: EurekaStatus }
  | { readonly type: "cancelled"; readonly at: number; readonly app: string; readonly id: string }
  | { readonly type: "evicted"; readonly at: number; readonly app: string; readonly id: string; readonly expiredAfter: number }
  | { readonly type: "eviction-run"; readonly at: number; readonly check: SelfPreservationCheck; readonly expired: number; readonly evicted: number }
  | { readonly type: "self-preservation"; readonly at: number; readonly active: boolean; readonly check: SelfPreservationCheck }
  | { readonly type: "response-cache-updated"; readonly at: number; readonly key: string; readonly ids: readonly string[] };

interface Lease {
  app: string;
  id: string;
  node: string;
  status: EurekaStatus;
  registeredAt: number;
  lastRenewedAt: number | undefined;
  durationMs: number;
  renewals: number;
}

/** The registry's data; kept in the node's state so a crash with `loseState` empties it. */
interface EurekaState {
  readonly apps: Map<string, Map<string, Lease>>;
  readonly renewals: RenewalCounter;
  readonly responseCache: ResponseCache<EurekaInstanceInfo>;
  selfPreservationActive: boolean;
}

const ALL = "ALL_APPS";

/** A Eureka server on the simulation. */
export class EurekaRegistry implements RegistrySource {
  /** The registry node. */
  readonly node: SimNode<EurekaState>;
  /** The options in effect, with every default filled in. */
  readonly options: Readonly<Required<EurekaRegistryOptions>>;
  private readonly events = new Listeners<EurekaRegistryEvent>();
  private readonly timers: Timer[] = [];

  constructor(
    private readonly sim: Simulation,
    options: EurekaRegistryOptions = {},
  ) {
    const o = { ...EUREKA_REGISTRY_DEFAULTS, ...options };
    const c = "EurekaRegistry";
    positive(c, "evictionIntervalMs", o.evictionIntervalMs);
    oneOf(c, "leaseExpiry", o.leaseExpiry, LEASE_EXPIRY_MODES);
    fraction(c, "renewalPercentThreshold", o.renewalPercentThreshold);
    positive(c, "expectedClientRenewalIntervalMs", o.expectedClientRenewalIntervalMs);
    positive(c, "defaultLeaseDurationMs", o.defaultLeaseDurationMs);
    positive(c, "responseCacheUpdateIntervalMs", o.responseCacheUpdateIntervalMs);
    const evictionPhaseMs = nonNegative(c, "evictionPhaseMs", o.evictionPhaseMs ?? o.evictionIntervalMs);
    const responseCacheUpdatePhaseMs = nonNegative(c, "responseCacheUpdatePhaseMs", o.responseCacheUpdatePhaseMs ?? o.responseCacheUpdateIntervalMs);
    if (typeof o.name !== "string" || o.name === "") throw new ConfigError(c, "name", o.name, "a non-empty string");
    this.options = { ...o, evictionPhaseMs, responseCacheUpdatePhaseMs };
    const api: EurekaApi = {
      register: (app, registration) => this.register(app, registration),
      renew: (app, id) => this.renew(app, id),
      cancel: (app, id) => this.cancel(app, id),
      readApp: (app) => this.read(`app:${app}`),
      readAll: () => this.read(ALL),
    };
    this.node = sim.service<EurekaState>(o.name, (req) => routeEurekaRequest(req, api), {
      state: () => ({ apps: new Map(), renewals: new RenewalCounter(), responseCache: new ResponseCache((key) => this.live(key), sameInstances), selfPreservationActive: false }),
      serviceTime: o.serviceTime,
    });
    // The eviction timer is started first, so when both tasks fall on the same millisecond the
    // eviction runs before the cache refresh and the refresh already sees its result.
    this.timers.push(sim.every(o.evictionIntervalMs, () => this.node.up && this.evict(), evictionPhaseMs));
    if (o.useReadOnlyResponseCache) this.timers.push(sim.every(o.responseCacheUpdateIntervalMs, () => this.node.up && this.refreshResponseCache(), responseCacheUpdatePhaseMs));
    rememberRegistry(sim, this);
  }

  /**
   * Stops the eviction task and the response-cache refresh. The node still answers requests
   * (registrations, renewals, reads); nothing is evicted and the cache no longer changes.
   */
  stop(): void {
    for (const timer of this.timers.splice(0)) timer.cancel();
  }

  /** Node name of the registry. */
  get name(): string {
    return this.node.name;
  }

  /** Subscribes to registrations, cancellations, evictions, eviction runs and cache refreshes. */
  onEvent(listener: (event: EurekaRegistryEvent) => void): () => void {
    return this.events.add(listener);
  }

  private get state(): EurekaState {
    return this.node.state;
  }

  /** Registers (or re-registers) an instance, as `POST /eureka/apps/{app}` does. */
  register(app: string, registration: EurekaRegistration): void {
    const status = oneOf("EurekaRegistry.register", "status", registration.status ?? "UP", STATUSES);
    const durationMs = registration.leaseDurationMs ?? this.options.defaultLeaseDurationMs;
    positive("EurekaRegistry.register", "leaseDurationMs", durationMs);
    let leases = this.state.apps.get(app);
    if (!leases) this.state.apps.set(app, (leases = new Map()));
    const existing = leases.get(registration.id);
    leases.set(registration.id, {
      app,
      id: registration.id,
      node: registration.node ?? registration.id,
      status,
      // A registration starts a fresh lease, as Eureka's `new Lease(...)` does.
      registeredAt: this.sim.now,
      lastRenewedAt: undefined,
      durationMs,
      renewals: existing?.renewals ?? 0,
    });
    this.sim.trace.state(this.name, `${existing ? "re-registered" : "registered"} ${app}/${registration.id} ${status}`);
    this.events.emit({ type: "registered", at: this.sim.now, app, id: registration.id, status });
  }

  /** Renews a lease, as `PUT /eureka/apps/{app}/{id}` does. False when the instance is unknown. */
  renew(app: string, id: string): boolean {
    const lease = this.state.apps.get(app)?.get(id);
    if (!lease) return false;
    lease.lastRenewedAt = this.sim.now;
    lease.renewals++;
    this.state.renewals.record(this.sim.now);
    return true;
  }

  /** Removes an instance at its own request, as `DELETE /eureka/apps/{app}/{id}` does. */
  cancel(app: string, id: string): boolean {
    const leases = this.state.apps.get(app);
    if (!leases?.delete(id)) return false;
    if (leases.size === 0) this.state.apps.delete(app);
    this.sim.trace.state(this.name, `cancelled ${app}/${id}`);
    this.events.emit({ type: "cancelled", at: this.sim.now, app, id });
    return true;
  }

  /** Instances registered now, with their lease times. */
  leases(app?: string): EurekaLeaseView[] {
    const out: EurekaLeaseView[] = [];
    for (const [name, leases] of this.state.apps) {
      if (app !== undefined && name !== app) continue;
      for (const l of leases.values()) {
        const expiresAt = leaseExpiresAt({ registeredAt: l.registeredAt, lastRenewedAt: l.lastRenewedAt, durationMs: l.durationMs }, this.options.leaseExpiry);
        out.push({
          app: l.app,
          id: l.id,
          node: l.node,
          status: l.status,
          registeredAt: l.registeredAt,
          lastRenewedAt: l.lastRenewedAt,
          leaseDurationMs: l.durationMs,
          expiresAt,
          expired: this.sim.now > expiresAt,
          renewals: l.renewals,
        });
      }
    }
    return out;
  }

  /** Number of registered instances (also the number the registry expects renewals from). */
  get size(): number {
    let n = 0;
    for (const leases of this.state.apps.values()) n += leases.size;
    return n;
  }

  /** The self-preservation numbers now (see `self-preservation.ts` for the formula). */
  selfPreservationCheck(): SelfPreservationCheck {
    const o = this.options;
    const instances = this.size;
    const threshold = renewalThreshold(instances, o.expectedClientRenewalIntervalMs, o.renewalPercentThreshold);
    const renewalsLastMinute = this.state.renewals.count(this.sim.now);
    return {
      expectedInstances: instances,
      expectedRenewsPerMinute: expectedRenewsPerMinute(instances, o.expectedClientRenewalIntervalMs),
      threshold,
      renewalsLastMinute,
      evictionAllowed: !o.enableSelfPreservation || (threshold > 0 && renewalsLastMinute > threshold),
    };
  }

  /** True while the last eviction run was held back by self-preservation. */
  get selfPreservationActive(): boolean {
    return this.state.selfPreservationActive;
  }

  /**
   * One run of the eviction task (it also runs by itself every `evictionIntervalMs`). Like
   * Eureka, it evicts at most `size − floor(size × renewalPercentThreshold)` instances per run,
   * chosen at random when more have expired, so a mass expiry is spread over several runs.
   */
  evict(): void {
    const now = this.sim.now;
    const check = this.selfPreservationCheck();
    const active = !check.evictionAllowed;
    if (active !== this.state.selfPreservationActive) {
      this.state.selfPreservationActive = active;
      const relation = check.renewalsLastMinute > check.threshold ? ">" : "≤";
      this.sim.trace.state(
        this.name,
        `self-preservation ${active ? "ON" : "OFF"}: ${check.renewalsLastMinute} renewals in the last minute ${relation} threshold ${check.threshold}`,
      );
      this.events.emit({ type: "self-preservation", at: now, active, check });
    }
    if (active) {
      this.events.emit({ type: "eviction-run", at: now, check, expired: this.leases().filter((l) => l.expired).length, evicted: 0 });
      return;
    }
    const expired = this.leases().filter((l) => l.expired);
    const size = this.size;
    const limit = size - Math.floor(size * this.options.renewalPercentThreshold);
    const count = Math.min(expired.length, limit);
    if (count < expired.length) {
      // Partial Fisher–Yates shuffle: the first `count` entries become a random choice.
      for (let i = 0; i < count; i++) {
        const j = i + this.sim.random.int(0, expired.length - i - 1);
        [expired[i], expired[j]] = [expired[j]!, expired[i]!];
      }
      this.sim.trace.note(this.name, `eviction limited to ${count} of ${expired.length} expired leases`);
    }
    for (const lease of expired.slice(0, count)) {
      const leases = this.state.apps.get(lease.app)!;
      leases.delete(lease.id);
      if (leases.size === 0) this.state.apps.delete(lease.app);
      this.sim.trace.state(this.name, `evicted ${lease.app}/${lease.id} (lease expired after t=${lease.expiresAt} ms)`);
      this.events.emit({ type: "evicted", at: now, app: lease.app, id: lease.id, expiredAfter: lease.expiresAt });
    }
    this.events.emit({ type: "eviction-run", at: now, check, expired: expired.length, evicted: count });
  }

  /** What `GET /eureka/apps/{app}` would answer now: from the read-only cache when it is on. */
  lookup(app: string): readonly EurekaInstanceInfo[] {
    return this.read(`app:${app}`);
  }

  /** The live registry (no cache) for `app`. */
  liveInstances(app: string): EurekaInstanceInfo[] {
    return this.live(`app:${app}`);
  }

  private live(key: string): EurekaInstanceInfo[] {
    const pick = key === ALL ? [...this.state.apps.values()] : [this.state.apps.get(key.slice(4)) ?? new Map<string, Lease>()];
    return pick.flatMap((leases) => [...leases.values()].map(({ app, id, node, status }) => ({ app, id, node, status })));
  }

  private read(key: string): readonly EurekaInstanceInfo[] {
    return this.options.useReadOnlyResponseCache ? this.state.responseCache.read(key) : this.live(key);
  }

  /** One refresh of the read-only response cache (it also runs every `responseCacheUpdateIntervalMs`). */
  refreshResponseCache(): void {
    for (const { key, value } of this.state.responseCache.refresh()) {
      const label = key === ALL ? "all apps" : key.slice(4);
      this.sim.trace.state(this.name, `response cache updated: ${label} → ${value.length} instance${value.length === 1 ? "" : "s"}`);
      this.events.emit({ type: "response-cache-updated", at: this.sim.now, key: label, ids: value.map((i) => i.id) });
    }
  }

  /** {@link RegistrySource}: `GET /eureka/apps/{service}`. */
  lookupRequest(service: string): Request {
    return request("GET", `/eureka/apps/${encodeURIComponent(service)}`);
  }

  /**
   * {@link RegistrySource}: the `UP` instances of a lookup answer (Eureka clients filter the
   * others out by default, `shouldFilterOnlyUpInstances`). A 404 means no instances.
   */
  parseLookup(res: Response): DiscoveredInstance[] {
    if (res.status === 404) return [];
    if (res.status !== 200) throw new Error(`registry answered ${res.status}`);
    const body = res.body as { instances?: EurekaInstanceInfo[] };
    return (body.instances ?? []).filter((i) => i.status === "UP").map((i) => ({ id: i.id, service: i.app, node: i.node, status: i.status }));
  }

  /** The registry as a table: each instance with its status, last renewal and lease expiry. */
  [DISPLAY](): MimeBundle {
    const check = this.selfPreservationCheck();
    const s = (ms: number | undefined) => (ms === undefined ? "–" : ms / 1000);
    const rows = this.leases().map((l) => ({
      app: l.app,
      instance: l.id,
      status: l.status,
      "registered (s)": s(l.registeredAt),
      "last renewal (s)": s(l.lastRenewedAt),
      "lease expires after (s)": s(l.expiresAt),
      expired: l.expired ? "yes" : "no",
    }));
    const head =
      `**${this.name}** at t=${this.sim.now / 1000} s — ${this.size} instance(s), lease expiry ${this.options.leaseExpiry}; ` +
      `renewals in the last minute ${check.renewalsLastMinute}, threshold ${check.threshold} ` +
      `(${check.expectedInstances} × ${60_000 / this.options.expectedClientRenewalIntervalMs} × ${this.options.renewalPercentThreshold}, rounded down)` +
      (this.selfPreservationActive ? " — **self-preservation ON**: no evictions" : "");
    const t = rows.length > 0 ? table(rows)[DISPLAY]() : { "text/markdown": "_no instances registered_", "text/plain": "(no instances registered)" };
    const h = markdown(head)[DISPLAY]();
    return { "text/markdown": `${h["text/markdown"]}\n\n${t["text/markdown"]}`, "text/plain": `${h["text/plain"]}\n${t["text/plain"]}` };
  }
}

function sameInstances(a: readonly EurekaInstanceInfo[], b: readonly EurekaInstanceInfo[]): boolean {
  return a.length === b.length && a.every((x, i) => x.id === b[i]!.id && x.status === b[i]!.status && x.node === b[i]!.node);
}
