/**
 * Consul health-check definitions and the rules that turn probe results into check states.
 *
 * - TTL: the application itself reports `pass`/`warn`/`fail` before the TTL runs out; if it
 *   stays silent for a whole TTL the check turns `critical` ("a dead man's switch").
 * - HTTP: the agent sends `GET <path>` every interval: 2xx is `passing`, 429 Too Many Requests
 *   is `warning`, anything else or no answer within the timeout (10 s by default) is `critical`.
 * - TCP: the agent opens a connection every interval: accepted is `passing`, otherwise
 *   `critical` (timeout 10 s by default).
 *
 * A new check starts `critical` unless given another initial status, so an instance only takes
 * traffic once it has been seen healthy. `deregisterCriticalServiceAfterMs` removes the whole
 * service once the check has been critical for longer than that; Consul raises values below
 * one minute to one minute.
 */
import { ConfigError, oneOf, positive } from "../errors";

/** State of a Consul check. */
export type ConsulCheckStatus = "passing" | "warning" | "critical";

/** The check states, best first. */
export const CONSUL_CHECK_STATUSES: readonly ConsulCheckStatus[] = ["passing", "warning", "critical"];

interface CheckBase {
  /** Check id. Default `service:<service id>` (with `:1`, `:2`, … when a service has several checks). */
  id?: string;
  /** Status until the first result. Default `critical` (Consul's default). */
  initialStatus?: ConsulCheckStatus;
  /** Deregister the service after the check has been critical for longer than this, ms. Off when unset; at least 60 000. */
  deregisterCriticalServiceAfterMs?: number;
}

/** A TTL check: the application must report within every TTL. */
export interface TtlCheckDefinition extends CheckBase {
  kind: "ttl";
  /** Time to live, ms. */
  ttlMs: number;
}

/** An HTTP check run by the agent. */
export interface HttpCheckDefinition extends CheckBase {
  kind: "http";
  /** Time between the end of one probe and the start of the next, ms (Consul requires it). */
  intervalMs: number;
  /** How long a probe may take, ms. Default 10 000. */
  timeoutMs?: number;
  /** Path probed with `GET`. Default `/health`. */
  path?: string;
}

/** A TCP check run by the agent. */
export interface TcpCheckDefinition extends CheckBase {
  kind: "tcp";
  /** Time between the end of one probe and the start of the next, ms (Consul requires it). */
  intervalMs: number;
  /** How long a connection attempt may take, ms. Default 10 000. */
  timeoutMs?: number;
}

/** A Consul health check. */
export type ConsulCheckDefinition = TtlCheckDefinition | HttpCheckDefinition | TcpCheckDefinition;

/** Consul's defaults for checks. */
export const CONSUL_CHECK_DEFAULTS = {
  timeoutMs: 10_000,
  path: "/health",
  initialStatus: "critical" as ConsulCheckStatus,
  /** Consul's lower bound for `deregister_critical_service_after`. */
  minDeregisterCriticalServiceAfterMs: 60_000,
} as const;

/** A check definition with every default filled in. */
export type ResolvedCheck =
  | (Required<Omit<TtlCheckDefinition, "deregisterCriticalServiceAfterMs">> & { deregisterCriticalServiceAfterMs: number | undefined })
  | (Required<Omit<HttpCheckDefinition, "deregisterCriticalServiceAfterMs">> & { deregisterCriticalServiceAfterMs: number | undefined })
  | (Required<Omit<TcpCheckDefinition, "deregisterCriticalServiceAfterMs">> & { deregisterCriticalServiceAfterMs: number | undefined });

/** The default check ids of a service's checks, as Consul generates them. */
export function defaultCheckId(serviceId: string, index: number, count: number): string {
  return count === 1 ? `service:${serviceId}` : `service:${serviceId}:${index + 1}`;
}

/** Validates a check and fills in its defaults (raising a deregister timeout below one minute to one minute). */
export function resolveCheck(def: ConsulCheckDefinition, id: string, component: string): ResolvedCheck {
  const kind = oneOf(component, "check.kind", def?.kind, ["ttl", "http", "tcp"]);
  const initialStatus = oneOf(component, "check.initialStatus", def.initialStatus ?? CONSUL_CHECK_DEFAULTS.initialStatus, CONSUL_CHECK_STATUSES);
  let deregister = def.deregisterCriticalServiceAfterMs;
  if (deregister !== undefined) {
    positive(component, "check.deregisterCriticalServiceAfterMs", deregister);
    deregister = Math.max(deregister, CONSUL_CHECK_DEFAULTS.minDeregisterCriticalServiceAfterMs);
  }
  const base = { id: def.id ?? id, initialStatus, deregisterCriticalServiceAfterMs: deregister };
  if (kind === "ttl") {
    return { ...base, kind, ttlMs: positive(component, "check.ttlMs", (def as TtlCheckDefinition).ttlMs) };
  }
  const d = def as HttpCheckDefinition | TcpCheckDefinition;
  const intervalMs = positive(component, "check.intervalMs", d.intervalMs);
  const timeoutMs = positive(component, "check.timeoutMs", d.timeoutMs ?? CONSUL_CHECK_DEFAULTS.timeoutMs);
  if (kind === "tcp") return { ...base, kind, intervalMs, timeoutMs };
  const path = (d as HttpCheckDefinition).path ?? CONSUL_CHECK_DEFAULTS.path;
  if (typeof path !== "string" || !path.startsWith("/")) throw new ConfigError(component, "check.path", path, "a path starting with /");
  return { ...base, kind, intervalMs, timeoutMs, path };
}

/** The check state an HTTP status gives: 2xx passing, 429 warning, anything else critical. */
export function consulHttpCheckStatus(status: number): ConsulCheckStatus {
  if (status >= 200 && status < 300) return "passing";
  if (status === 429) return "warning";
  return "critical";
}

/** The worst of several check states (critical > warning > passing); `passing` for none. */
export function worstConsulStatus(statuses: Iterable<ConsulCheckStatus>): ConsulCheckStatus {
  let worst = 0;
  for (const s of statuses) worst = Math.max(worst, CONSUL_CHECK_STATUSES.indexOf(s));
  return CONSUL_CHECK_STATUSES[worst]!;
}
