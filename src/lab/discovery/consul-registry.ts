/**
 * A Consul-style registry node: services register with health checks, the agent runs the HTTP
 * and TCP checks through the simulated network and watches TTL checks, health queries can
 * leave out unhealthy instances, and a reaper removes services whose check stayed critical for
 * longer than `deregisterCriticalServiceAfterMs` (it runs every 30 s, so removal can come up
 * to 30 s after the timeout).
 *
 * HTTP API on the node (paths as in Consul's agent and health APIs):
 * `PUT /v1/agent/service/register` (body {@link ConsulServiceRegistration}),
 * `PUT /v1/agent/service/deregister/{id}`, `PUT /v1/agent/check/{pass|warn|fail}/{checkId}`
 * for TTL checks, and `GET /v1/health/service/{name}` (add `?passing` for passing-only).
 *
 * Simplifications: one node plays both the local agent and the servers, so checks cross the
 * network from it to the instances (in Consul each host's own agent probes locally and a dead
 * host is also caught by gossip); a check's first probe runs at registration (Consul waits a
 * random part of the interval first); the next probe starts one interval after the previous
 * one ended, as Consul's check loop does; flap damping (`success_before_passing`,
 * `failures_before_critical`) is left out.
 *
 * The reaper and the checks are periodic work that never ends by itself, so `sim.run()`
 * without a scenario never runs out of events while a registry exists: use
 * `sim.run(scenario)`, `sim.runFor` or `sim.runUntil`, or call {@link ConsulRegistry.stop}
 * (and stop the instances and clients too).
 */
import { DISPLAY, markdown, table, type MimeBundle } from "../display";
import { ConfigError, positive } from "../errors";
import type { Simulation, Timer } from "../sim/simulation";
import type { SimNode } from "../sim/node";
import type { Distribution } from "../sim/random";
import { request, response, type Request, type Response } from "../sim/http";
import { CONNECT_METHOD } from "./instance-node";
import { Listeners } from "./listeners";
import { defaultCheckId, consulHttpCheckStatus, resolveCheck, worstConsulStatus, type ConsulCheckStatus, type ConsulCheckDefinition, type ResolvedCheck } from "./consul-checks";
import { rememberRegistry } from "./registry-lookup";
import type { DiscoveredInstance, RegistrySource } from "./types";

/** Options of a {@link ConsulRegistry}. Defaults are in {@link CONSUL_REGISTRY_DEFAULTS}. */
export interface ConsulRegistryOptions {
  /** Node name. Default `consul`. */
  name?: string;
  /** How often critical services are reaped, ms (Consul: every 30 s). Default 30 000. */
  reapIntervalMs?: number;
  /**
   * What discovery clients reading this registry get: `"not-critical"` leaves out instances
   * with a critical check (Consul DNS's default), `"passing"` also leaves out warnings (the
   * HTTP API's `?passing`). Default `"not-critical"`.
   */
  clientQuery?: "not-critical" | "passing";
  /** Processing time of each registry request (ms or a distribution). Default 0. */
  serviceTime?: Distribution;
}

/** Defaults for {@link ConsulRegistryOptions}. */
export const CONSUL_REGISTRY_DEFAULTS = {
  name: "consul",
  reapIntervalMs: 30_000,
  clientQuery: "not-critical" as "not-critical" | "passing",
  serviceTime: 0 as Distribution,
} as const;

/** The body of a service registration. */
export interface ConsulServiceRegistration {
  /** Service instance id, unique in the registry, e.g. `orders-1`. */
  id: string;
  /** Service name, e.g. `orders`. */
  name: string;
  /** Node that serves the instance. Default: the id. */
  node?: string;
  /** Health checks. None means the instance always counts as passing. */
  checks?: ConsulCheckDefinition[];
}

/** A check's state now. */
export interface ConsulCheckView {
  readonly id: string;
  readonly kind: "ttl" | "http" | "tcp";
  readonly status: ConsulCheckStatus;
  /** Why: `HTTP 200`, `TTL expired`, `timeout after 10000 ms`, … */
  readonly output: string;
  /** Virtual time the check turned critical, ms (undefined unless critical). */
  readonly criticalSince: number | undefined;
}

/** A registered instance with its checks, as a health query returns it. */
export interface ConsulServiceEntry {
  readonly id: string;
  readonly service: string;
  readonly node: string;
  /** Worst of the checks' states. */
  readonly status: ConsulCheckStatus;
  readonly checks: readonly ConsulCheckView[];
}

/** What the registry reports to {@link ConsulRegistry.onEvent} listeners. */
export type ConsulRegistryEvent =
  | { readonly type: "registered"; readonly at: number; readonly id: string; readonly service: string }
  | { readonly type: "deregistered"; readonly at: number; readonly id: string; readonly service: string; readonly reason: "request" | "critical too long" }
  | { readonly type: "check"; readonly at: number; readonly id: string; readonly checkId: string; readonly from: ConsulCheckStatus; readonly to: ConsulCheckStatus; readonly output: string };

interface CheckState {
  readonly def: ResolvedCheck;
  status: ConsulCheckStatus;
  output: string;
  criticalSince: number | undefined;
  ttlTimer: Timer | undefined;
}

interface ServiceState {
  readonly id: string;
  readonly service: string;
  readonly node: string;
  readonly checks: CheckState[];
}

interface ConsulState {
  readonly services: Map<string, ServiceState>;
}

/** A Consul agent and catalog on the simulation. */
export class ConsulRegistry implements RegistrySource {
  /** The registry node. */
  readonly node: SimNode<ConsulState>;
  /** The options in effect, with every default filled in. */
  readonly options: Readonly<Required<ConsulRegistryOptions>>;
  private readonly events = new Listeners<ConsulRegistryEvent>();
  private readonly reaper: Timer;
  private stopped = false;

  constructor(
    private readonly sim: Simulation,
    options: ConsulRegistryOptions = {},
  ) {
    const o = { ...CONSUL_REGISTRY_DEFAULTS, ...options };
    const c = "ConsulRegistry";
    positive(c, "reapIntervalMs", o.reapIntervalMs);
    if (o.clientQuery !== "not-critical" && o.clientQuery !== "passing") throw new ConfigError(c, "clientQuery", o.clientQuery, 'one of "not-critical", "passing"');
    if (typeof o.name !== "string" || o.name === "") throw new ConfigError(c, "name", o.name, "a non-empty string");
    this.options = o;
    this.node = sim.service<ConsulState>(o.name, (req) => this.handle(req), { state: () => ({ services: new Map() }), serviceTime: o.serviceTime });
    this.reaper = sim.every(o.reapIntervalMs, () => this.node.up && this.reap());
    rememberRegistry(sim, this);
  }

  /**
   * Stops the reaper, every HTTP/TCP check (a probe under way finishes, then its loop ends) and
   * every TTL countdown, also for instances registered later. The node still answers requests,
   * and TTL reports still set their check's state, but no check turns critical on its own.
   */
  stop(): void {
    this.stopped = true;
    this.reaper.cancel();
    for (const entry of this.services.values()) this.stopChecks(entry);
  }

  /** Node name of the registry. */
  get name(): string {
    return this.node.name;
  }

  /** Subscribes to registrations, deregistrations and check state changes. */
  onEvent(listener: (event: ConsulRegistryEvent) => void): () => void {
    return this.events.add(listener);
  }

  private get services(): Map<string, ServiceState> {
    return this.node.state.services;
  }

  /** Registers a service instance and starts its checks (replacing an earlier registration with the same id). */
  register(reg: ConsulServiceRegistration): void {
    const c = "ConsulRegistry.register";
    if (typeof reg?.id !== "string" || reg.id === "") throw new ConfigError(c, "id", reg?.id, "a non-empty string");
    if (typeof reg.name !== "string" || reg.name === "") throw new ConfigError(c, "name", reg.name, "a non-empty string");
    const defs = reg.checks ?? [];
    const resolved = defs.map((d, i) => resolveCheck(d, defaultCheckId(reg.id, i, defs.length), c));
    this.stopChecks(this.services.get(reg.id));
    const entry: ServiceState = {
      id: reg.id,
      service: reg.name,
      node: reg.node ?? reg.id,
      checks: resolved.map((def) => ({ def, status: def.initialStatus, output: "registered", criticalSince: def.initialStatus === "critical" ? this.sim.now : undefined, ttlTimer: undefined })),
    };
    this.services.set(reg.id, entry);
    this.sim.trace.state(this.name, `registered ${reg.name}/${reg.id}${resolved.length > 0 ? ` (${resolved.map((d) => d.kind).join(", ")} checks)` : ""}`);
    this.events.emit({ type: "registered", at: this.sim.now, id: reg.id, service: reg.name });
    if (this.stopped) return;
    for (const check of entry.checks) {
      if (check.def.kind === "ttl") this.armTtl(entry, check);
      else void this.probeLoop(entry, check);
    }
  }

  /** Removes a service instance and stops its checks. False when unknown. */
  deregister(id: string): boolean {
    return this.remove(id, "request");
  }

  private remove(id: string, reason: "request" | "critical too long"): boolean {
    const entry = this.services.get(id);
    if (!entry) return false;
    this.stopChecks(entry);
    this.services.delete(id);
    this.sim.trace.state(this.name, `deregistered ${entry.service}/${id}${reason === "request" ? "" : " (critical too long)"}`);
    this.events.emit({ type: "deregistered", at: this.sim.now, id, service: entry.service, reason });
    return true;
  }

  private stopChecks(entry: ServiceState | undefined): void {
    for (const check of entry?.checks ?? []) check.ttlTimer?.cancel();
  }

  private current(entry: ServiceState): boolean {
    return this.services.get(entry.id) === entry;
  }

  private setStatus(entry: ServiceState, check: CheckState, status: ConsulCheckStatus, output: string): void {
    check.output = output;
    if (status === check.status) return;
    const from = check.status;
    check.status = status;
    check.criticalSince = status === "critical" ? this.sim.now : undefined;
    this.sim.trace.state(this.name, `${entry.id} ${check.def.id}: ${from} → ${status} (${output})`);
    this.events.emit({ type: "check", at: this.sim.now, id: entry.id, checkId: check.def.id, from, to: status, output });
  }

  private armTtl(entry: ServiceState, check: CheckState): void {
    if (check.def.kind !== "ttl" || this.stopped) return;
    check.ttlTimer?.cancel();
    check.ttlTimer = this.sim.schedule(check.def.ttlMs, () => {
      if (this.current(entry)) this.setStatus(entry, check, "critical", "TTL expired");
    });
  }

  /** Reports a TTL check's state, as `PUT /v1/agent/check/{pass|warn|fail}/{checkId}` does; it also restarts the TTL. */
  updateTtl(checkId: string, status: ConsulCheckStatus): "ok" | "unknown" | "not-ttl" {
    for (const entry of this.services.values()) {
      const check = entry.checks.find((ch) => ch.def.id === checkId);
      if (!check) continue;
      if (check.def.kind !== "ttl") return "not-ttl";
      this.setStatus(entry, check, status, `reported ${status}`);
      this.armTtl(entry, check);
      return "ok";
    }
    return "unknown";
  }

  private async probeLoop(entry: ServiceState, check: CheckState): Promise<void> {
    const def = check.def;
    if (def.kind === "ttl") return;
    while (this.current(entry) && !this.stopped) {
      if (this.node.up) {
        const probe = def.kind === "http" ? request("GET", def.path) : request(CONNECT_METHOD, "/");
        let status: ConsulCheckStatus;
        let output: string;
        try {
          const res = await this.node.call(entry.node, probe, { timeoutMs: def.timeoutMs });
          status = def.kind === "http" ? consulHttpCheckStatus(res.status) : "passing";
          output = def.kind === "http" ? `HTTP ${res.status}` : "connection accepted";
        } catch {
          status = "critical";
          output = `no answer within ${def.timeoutMs} ms`;
        }
        if (!this.current(entry) || this.stopped) return;
        this.setStatus(entry, check, status, output);
      }
      await this.sim.sleep(def.intervalMs);
    }
  }

  /** One run of the reaper (it also runs every `reapIntervalMs`). */
  reap(): void {
    const now = this.sim.now;
    for (const entry of [...this.services.values()]) {
      const overdue = entry.checks.some(
        (ch) => ch.status === "critical" && ch.def.deregisterCriticalServiceAfterMs !== undefined && now - ch.criticalSince! > ch.def.deregisterCriticalServiceAfterMs,
      );
      if (overdue) this.remove(entry.id, "critical too long");
    }
  }

  /** Every registered instance of `service` (or of all services) with its checks. */
  entries(service?: string): ConsulServiceEntry[] {
    return [...this.services.values()]
      .filter((e) => service === undefined || e.service === service)
      .map((e) => ({
        id: e.id,
        service: e.service,
        node: e.node,
        status: worstConsulStatus(e.checks.map((ch) => ch.status)),
        checks: e.checks.map((ch) => ({ id: ch.def.id, kind: ch.def.kind, status: ch.status, output: ch.output, criticalSince: ch.criticalSince })),
      }));
  }

  /**
   * A health query: by default the instances without a critical check (Consul DNS's default);
   * with `passing`, only instances whose checks all pass (the HTTP API's `?passing`).
   */
  healthy(service: string, options: { passing?: boolean } = {}): ConsulServiceEntry[] {
    return this.entries(service).filter((e) => (options.passing ? e.status === "passing" : e.status !== "critical"));
  }

  private handle(req: Request): Response {
    const [path, query = ""] = req.path.split("?") as [string, string?];
    let m: RegExpExecArray | null;
    if (req.method === "GET" && (m = /^\/v1\/health\/service\/([^/]+)$/.exec(path))) {
      const passing = query.split("&").some((p) => p === "passing" || p === "passing=true" || p === "passing=1");
      return response(200, passing ? this.healthy(decodeURIComponent(m[1]!), { passing: true }) : this.entries(decodeURIComponent(m[1]!)));
    }
    if (req.method === "PUT" && path === "/v1/agent/service/register") {
      try {
        this.register(req.body as ConsulServiceRegistration);
      } catch (error) {
        return response(400, { error: error instanceof Error ? error.message : String(error) });
      }
      return response(200);
    }
    if (req.method === "PUT" && (m = /^\/v1\/agent\/service\/deregister\/([^/]+)$/.exec(path))) {
      return this.deregister(decodeURIComponent(m[1]!)) ? response(200) : response(404, { error: "unknown service id" });
    }
    if (req.method === "PUT" && (m = /^\/v1\/agent\/check\/(pass|warn|fail)\/([^/]+)$/.exec(path))) {
      const status: ConsulCheckStatus = m[1] === "pass" ? "passing" : m[1] === "warn" ? "warning" : "critical";
      const result = this.updateTtl(decodeURIComponent(m[2]!), status);
      if (result === "ok") return response(200);
      return result === "unknown" ? response(404, { error: "unknown check id" }) : response(400, { error: "not a TTL check" });
    }
    return response(404, { error: `no route for ${req.method} ${path}` });
  }

  /** {@link RegistrySource}: `GET /v1/health/service/{service}`, with `?passing` when `clientQuery` is `"passing"`. */
  lookupRequest(service: string): Request {
    return request("GET", `/v1/health/service/${encodeURIComponent(service)}${this.options.clientQuery === "passing" ? "?passing" : ""}`);
  }

  /** {@link RegistrySource}: the instances a client may use (no critical ones; no warnings with `"passing"`). */
  parseLookup(res: Response): DiscoveredInstance[] {
    if (res.status !== 200 || !Array.isArray(res.body)) throw new Error(`registry answered ${res.status}`);
    return (res.body as ConsulServiceEntry[]).filter((e) => e.status !== "critical").map((e) => ({ id: e.id, service: e.service, node: e.node, status: e.status }));
  }

  /** The registry as a table: each instance's checks and their states. */
  [DISPLAY](): MimeBundle {
    const rows = this.entries().flatMap((e) =>
      (e.checks.length > 0 ? e.checks : [undefined]).map((ch) => ({
        service: e.service,
        instance: e.id,
        "instance status": e.status,
        check: ch?.id ?? "(none)",
        kind: ch?.kind ?? "",
        "check status": ch?.status ?? "passing",
        output: ch?.output ?? "",
        "critical since (s)": ch?.criticalSince === undefined ? "" : ch.criticalSince / 1000,
      })),
    );
    const head = markdown(`**${this.name}** at t=${this.sim.now / 1000} s — ${this.services.size} instance(s)`)[DISPLAY]();
    const t = rows.length > 0 ? table(rows)[DISPLAY]() : { "text/markdown": "_no services registered_", "text/plain": "(no services registered)" };
    return { "text/markdown": `${head["text/markdown"]}\n\n${t["text/markdown"]}`, "text/plain": `${head["text/plain"]}\n${t["text/plain"]}` };
  }
}
