/**
 * A service instance that registers itself with a {@link EurekaRegistry} and renews its lease
 * every 30 s, all through the simulated network (Eureka client semantics): a crashed node
 * sends nothing, a partition loses the heartbeats, and a renewal answered 404 (the registry
 * evicted or forgot the instance) makes it register again.
 *
 * Simplification: the instance registers as soon as it is created (or after
 * `registerAfterMs`); the real Eureka client registers through a replicator task that starts
 * 40 s after startup, unless a heartbeat's 404 makes it register earlier.
 *
 * The heartbeat is periodic work that never ends by itself, so `sim.run()` without a scenario
 * never runs out of events while an instance exists: use `sim.run(scenario)`, `sim.runFor` or
 * `sim.runUntil`, or call {@link EurekaInstance.stop} (or `shutdown`) first.
 */
import type { Simulation, Timer } from "../sim/simulation";
import type { SimNode } from "../sim/node";
import { request } from "../sim/http";
import { DISPLAY, table, type MimeBundle } from "../display";
import { ConfigError, nonNegative, oneOf, positive } from "../errors";
import { createInstanceNode, type HealthEndpoint, type InstanceNodeOptions } from "./instance-node";
import type { EurekaStatus } from "./eureka-registry";
import { registryNodeName } from "./registry-lookup";
import type { RegistryRef } from "./types";

/** Options of an {@link EurekaInstance}. Defaults are in {@link EUREKA_INSTANCE_DEFAULTS}. */
export interface EurekaInstanceOptions extends InstanceNodeOptions {
  /** Application (service) name, e.g. `orders`. */
  app: string;
  /** Instance id, also the node's name, e.g. `orders-1`. */
  id: string;
  /** The registry: its node name or the registry object. Default `eureka`. The registry must be built first. */
  registry?: RegistryRef;
  /** How often the instance renews its lease, ms (Eureka `leaseRenewalIntervalInSeconds`). Default 30 000. */
  renewalIntervalMs?: number;
  /** Lease duration sent with the registration, ms (Eureka `leaseExpirationDurationInSeconds`). Default 90 000. */
  leaseDurationMs?: number;
  /** How long a call to the registry may take, ms (Eureka client read timeout 8 s). Default 8 000. */
  registryTimeoutMs?: number;
  /** Delay before the first registration, ms (when the instance starts). Default 0. */
  registerAfterMs?: number;
  /**
   * When the first renewal is sent, ms after the registration. Default: one
   * `renewalIntervalMs`, as the Eureka client schedules its heartbeat. Instances built at the
   * same time then renew in step; a phase models instances that started at different times
   * while keeping them registered from the start.
   */
  renewalPhaseMs?: number;
  /** Status sent with the registration. Default `UP`. */
  status?: EurekaStatus;
}

/** Defaults for {@link EurekaInstanceOptions}: the Eureka client's. */
export const EUREKA_INSTANCE_DEFAULTS = {
  registry: "eureka",
  renewalIntervalMs: 30_000,
  leaseDurationMs: 90_000,
  registryTimeoutMs: 8_000,
  registerAfterMs: 0,
  status: "UP" as EurekaStatus,
} as const;

/** Counts of an instance's conversation with the registry. */
export interface EurekaInstanceStats {
  /** Registrations sent. */
  registrations: number;
  /** Renewals sent. */
  renewalsSent: number;
  /** Renewals the registry accepted. */
  renewalsAccepted: number;
  /** Renewals answered 404 (followed by a new registration). */
  renewalsNotFound: number;
  /** Calls to the registry that got no answer in time. */
  registryTimeouts: number;
}

/** A service instance that keeps itself registered in Eureka. */
export class EurekaInstance implements HealthEndpoint {
  /** The instance's node: application requests, `/health` and connection probes. */
  readonly node: SimNode<undefined>;
  readonly stats: EurekaInstanceStats = { registrations: 0, renewalsSent: 0, renewalsAccepted: 0, renewalsNotFound: 0, registryTimeouts: 0 };
  /** What `GET /health` answers. */
  healthStatus = 200;
  private readonly registry: string;
  private readonly opts: Required<Omit<EurekaInstanceOptions, keyof InstanceNodeOptions | "registry">>;
  private readonly heartbeat: Timer;
  private readonly startup: Timer | undefined;
  private status: EurekaStatus;
  private stopped = false;

  constructor(
    private readonly sim: Simulation,
    options: EurekaInstanceOptions,
  ) {
    const c = "EurekaInstance";
    if (typeof options.app !== "string" || options.app === "") throw new ConfigError(c, "app", options.app, "a non-empty string");
    if (typeof options.id !== "string" || options.id === "") throw new ConfigError(c, "id", options.id, "a non-empty string");
    const o = { ...EUREKA_INSTANCE_DEFAULTS, ...options };
    positive(c, "renewalIntervalMs", o.renewalIntervalMs);
    positive(c, "leaseDurationMs", o.leaseDurationMs);
    positive(c, "registryTimeoutMs", o.registryTimeoutMs);
    nonNegative(c, "registerAfterMs", o.registerAfterMs);
    const renewalPhaseMs = nonNegative(c, "renewalPhaseMs", o.renewalPhaseMs ?? o.renewalIntervalMs);
    this.status = oneOf(c, "status", o.status, ["UP", "DOWN", "STARTING", "OUT_OF_SERVICE", "UNKNOWN"]);
    this.registry = registryNodeName(sim, o.registry, c);
    this.opts = { ...o, renewalPhaseMs };
    this.node = createInstanceNode(sim, options.id, this, options);
    if (o.registerAfterMs === 0) void this.register();
    else this.startup = sim.schedule(o.registerAfterMs, () => void this.register());
    this.heartbeat = sim.every(o.renewalIntervalMs, () => void this.renew(), o.registerAfterMs + renewalPhaseMs);
  }

  /** Instance id (and node name). */
  get id(): string {
    return this.opts.id;
  }

  /** Application name. */
  get app(): string {
    return this.opts.app;
  }

  private get path(): string {
    return `/eureka/apps/${encodeURIComponent(this.opts.app)}`;
  }

  /** Sends a registration now (also done on start and after a 404 renewal). */
  async register(): Promise<boolean> {
    if (!this.node.up || this.stopped) return false;
    this.stats.registrations++;
    const body = { id: this.opts.id, node: this.node.name, status: this.status, leaseDurationMs: this.opts.leaseDurationMs };
    try {
      const res = await this.node.call(this.registry, request("POST", this.path, { body }), { timeoutMs: this.opts.registryTimeoutMs });
      return res.status < 300;
    } catch {
      this.stats.registryTimeouts++;
      return false;
    }
  }

  private async renew(): Promise<void> {
    if (!this.node.up || this.stopped) return;
    this.stats.renewalsSent++;
    try {
      const res = await this.node.call(this.registry, request("PUT", `${this.path}/${encodeURIComponent(this.opts.id)}`), { timeoutMs: this.opts.registryTimeoutMs });
      if (res.status === 200) this.stats.renewalsAccepted++;
      else if (res.status === 404) {
        this.stats.renewalsNotFound++;
        await this.register();
      }
    } catch {
      this.stats.registryTimeouts++;
    }
  }

  /** Changes the status the registry shows (sent as a new registration, as Eureka clients do). */
  async setStatus(status: EurekaStatus): Promise<boolean> {
    this.status = oneOf("EurekaInstance.setStatus", "status", status, ["UP", "DOWN", "STARTING", "OUT_OF_SERVICE", "UNKNOWN"]);
    return this.register();
  }

  /**
   * Stops the heartbeat (and a registration still waiting for `registerAfterMs`) without
   * telling the registry, as a process that hangs would: the lease runs out and the eviction
   * task removes the instance. The node keeps answering requests. See {@link shutdown} for a
   * clean exit.
   */
  stop(): void {
    this.stopped = true;
    this.heartbeat.cancel();
    this.startup?.cancel();
  }

  /**
   * Graceful shutdown: stops the heartbeats and cancels the registration (`DELETE`), so the
   * registry drops the instance at once instead of waiting for the lease to expire. The node
   * itself keeps running until you crash it.
   */
  async shutdown(): Promise<boolean> {
    this.heartbeat.cancel();
    if (!this.node.up) {
      this.stopped = true;
      return false;
    }
    try {
      const res = await this.node.call(this.registry, request("DELETE", `${this.path}/${encodeURIComponent(this.opts.id)}`), { timeoutMs: this.opts.registryTimeoutMs });
      return res.status === 200;
    } catch {
      this.stats.registryTimeouts++;
      return false;
    } finally {
      this.stopped = true;
    }
  }

  /** A one-row table: the instance, its status and its heartbeat counts. */
  [DISPLAY](): MimeBundle {
    return table([{ instance: this.id, app: this.app, status: this.status, up: this.node.up ? "yes" : "no", ...this.stats }])[DISPLAY]();
  }
}
