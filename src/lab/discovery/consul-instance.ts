/**
 * A service instance that registers itself with a {@link ConsulRegistry} over the simulated
 * network, with its health checks, and — for TTL checks — reports its own health on a timer.
 * Its node answers `GET /health` with {@link ConsulInstance.healthStatus} (set it to 429 for a
 * warning, 500 for critical) and accepts TCP probes while it is up.
 *
 * With a TTL check the reports are periodic work that never ends by itself, so `sim.run()`
 * without a scenario never runs out of events: use `sim.run(scenario)`, `sim.runFor` or
 * `sim.runUntil`, or call {@link ConsulInstance.stop} (or `deregister`) first.
 */
import type { Simulation, Timer } from "../sim/simulation";
import type { SimNode } from "../sim/node";
import { request } from "../sim/http";
import { DISPLAY, table, type MimeBundle } from "../display";
import { ConfigError, oneOf, positive } from "../errors";
import { createInstanceNode, type HealthEndpoint, type InstanceNodeOptions } from "./instance-node";
import { CONSUL_CHECK_STATUSES, defaultCheckId, resolveCheck, type ConsulCheckStatus, type ConsulCheckDefinition } from "./consul-checks";
import { registryNodeName } from "./registry-lookup";
import type { RegistryRef } from "./types";

/** Options of a {@link ConsulInstance}. Defaults are in {@link CONSUL_INSTANCE_DEFAULTS}. */
export interface ConsulInstanceOptions extends InstanceNodeOptions {
  /** Service name, e.g. `orders`. */
  service: string;
  /** Instance id, also the node's name, e.g. `orders-1`. */
  id: string;
  /** The registry: its node name or the registry object. Default `consul`. The registry must be built first. */
  registry?: RegistryRef;
  /** Health checks. Default: one HTTP check of `/health` every 10 s. */
  checks?: ConsulCheckDefinition[];
  /** How often the instance reports to its TTL checks, ms. Default: half the shortest TTL. */
  ttlUpdateIntervalMs?: number;
  /** How long a call to the registry may take, ms. Default 10 000. */
  registryTimeoutMs?: number;
}

/** Defaults for {@link ConsulInstanceOptions}. */
export const CONSUL_INSTANCE_DEFAULTS = {
  registry: "consul",
  checks: [{ kind: "http", intervalMs: 10_000 }] as ConsulCheckDefinition[],
  registryTimeoutMs: 10_000,
} as const;

/** A service instance that keeps itself registered in Consul. */
export class ConsulInstance implements HealthEndpoint {
  /** The instance's node. */
  readonly node: SimNode<undefined>;
  /** What `GET /health` answers: 200 passing, 429 warning, anything else critical. */
  healthStatus = 200;
  /** What the instance reports to its TTL checks. */
  ttlStatus: ConsulCheckStatus = "passing";
  /** TTL updates sent. */
  ttlUpdatesSent = 0;
  private readonly registry: string;
  private readonly checks: ConsulCheckDefinition[];
  private readonly ttlCheckIds: string[];
  private readonly ttlTimer: Timer | undefined;
  private readonly timeoutMs: number;

  constructor(
    sim: Simulation,
    private readonly options: ConsulInstanceOptions,
  ) {
    const c = "ConsulInstance";
    if (typeof options.service !== "string" || options.service === "") throw new ConfigError(c, "service", options.service, "a non-empty string");
    if (typeof options.id !== "string" || options.id === "") throw new ConfigError(c, "id", options.id, "a non-empty string");
    this.registry = registryNodeName(sim, options.registry ?? CONSUL_INSTANCE_DEFAULTS.registry, c);
    this.checks = options.checks ?? CONSUL_INSTANCE_DEFAULTS.checks;
    this.timeoutMs = positive(c, "registryTimeoutMs", options.registryTimeoutMs ?? CONSUL_INSTANCE_DEFAULTS.registryTimeoutMs);
    // Validate here, so a bad check fails at construction rather than as a 400 from the registry.
    const resolved = this.checks.map((ch, i) => resolveCheck(ch, defaultCheckId(options.id, i, this.checks.length), c));
    this.ttlCheckIds = resolved.flatMap((ch) => (ch.kind === "ttl" ? [ch.id] : []));
    const ttls = resolved.flatMap((ch) => (ch.kind === "ttl" ? [ch.ttlMs] : []));
    this.node = createInstanceNode(sim, options.id, this, options);
    if (ttls.length > 0) {
      const every = positive(c, "ttlUpdateIntervalMs", options.ttlUpdateIntervalMs ?? Math.min(...ttls) / 2);
      this.ttlTimer = sim.every(every, () => void this.reportTtl());
    }
    void this.register();
  }

  /** Instance id (and node name). */
  get id(): string {
    return this.options.id;
  }

  /** Sends the registration (with the checks); on success, reports TTL checks once at once. */
  async register(): Promise<boolean> {
    if (!this.node.up) return false;
    const body = { id: this.options.id, name: this.options.service, node: this.node.name, checks: this.checks };
    try {
      const res = await this.node.call(this.registry, request("PUT", "/v1/agent/service/register", { body }), { timeoutMs: this.timeoutMs });
      if (res.status !== 200) return false;
    } catch {
      return false;
    }
    await this.reportTtl();
    return true;
  }

  /** Reports {@link ttlStatus} to every TTL check now. */
  async reportTtl(): Promise<void> {
    if (!this.node.up) return;
    const verb = { passing: "pass", warning: "warn", critical: "fail" }[oneOf("ConsulInstance", "ttlStatus", this.ttlStatus, CONSUL_CHECK_STATUSES)];
    await Promise.all(
      this.ttlCheckIds.map(async (id) => {
        this.ttlUpdatesSent++;
        try {
          await this.node.call(this.registry, request("PUT", `/v1/agent/check/${verb}/${encodeURIComponent(id)}`), { timeoutMs: this.timeoutMs });
        } catch {
          // A lost update is what a TTL check exists to notice.
        }
      }),
    );
  }

  /**
   * Stops the TTL reports without telling the registry, as a hung process would: its TTL checks
   * turn critical once the TTL runs out. The node keeps answering requests and probes.
   */
  stop(): void {
    this.ttlTimer?.cancel();
  }

  /** Deregisters the instance (graceful shutdown) and stops its TTL reports. */
  async deregister(): Promise<boolean> {
    this.ttlTimer?.cancel();
    if (!this.node.up) return false;
    try {
      const res = await this.node.call(this.registry, request("PUT", `/v1/agent/service/deregister/${encodeURIComponent(this.options.id)}`), { timeoutMs: this.timeoutMs });
      return res.status === 200;
    } catch {
      return false;
    }
  }

  /** A one-row table: the instance, its health answer and its TTL reports. */
  [DISPLAY](): MimeBundle {
    return table([{ instance: this.id, service: this.options.service, up: this.node.up ? "yes" : "no", "health answer": this.healthStatus, "ttl status": this.ttlStatus, "ttl updates sent": this.ttlUpdatesSent }])[DISPLAY]();
  }
}
