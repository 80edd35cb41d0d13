/**
 * Backends for frontends: one small backend per kind of client (web, mobile, ...), owned by
 * that client's team, that answers a whole screen in one call — it fans out to the shared
 * services in parallel and keeps only the fields and items that screen shows. The
 * alternative is one general-purpose gateway: the client makes a call per service and gets
 * full payloads, or the gateway grows client-specific branches.
 *
 * {@link compareBffs} runs both for each client and measures what the client sees: round
 * trips, bytes received and latency.
 */
import { DISPLAY, table, type Displayable, type MimeBundle } from "../display";
import { ConfigError, nonNegative, oneOf, positive } from "../errors";
import { response, toRequest, type Request, type Response } from "../sim/http";
import type { NodeOptions, ServiceContext, SimNode } from "../sim/node";
import type { Simulation } from "../sim/simulation";
import { composeParts, fanOut, type AggregatePart } from "./aggregate";
import { ApiGateway } from "./gateway";
import { jsonBytes, shapePayload, type ShapeOptions } from "./shape";

/** One service call a screen needs, and how to cut its answer down. */
export interface BffPart extends ShapeOptions {
  /** Service node to call. */
  upstream: string;
  /** Request to send, e.g. `GET /users/7`. */
  request: string | Request;
  /** The screen still renders without it (`null` + an error entry). Default false. */
  optional?: boolean;
  /** Timeout of this call, ms. Default: the BFF's. */
  timeoutMs?: number;
}

/** What one screen shows: parts by name. */
export type BffScreen = Record<string, BffPart>;

/** Options of a {@link BackendForFrontend}. Defaults are in {@link BFF_DEFAULTS}. */
export interface BackendForFrontendOptions {
  /** Node name, e.g. `mobile-bff`. */
  name: string;
  /** Screens by name; a screen is served at `GET /screens/<name>`. */
  screens: Record<string, BffScreen>;
  /** Timeout of each service call, ms. */
  timeoutMs?: number;
  /** Skip services that are down or cut off (see the gateway's upstream rules). */
  healthChecks?: boolean;
  /** Capacity of the BFF node (workers, queue, per-request processing time). */
  node?: Pick<NodeOptions<undefined>, "concurrency" | "queueLimit" | "serviceTime">;
}

/** Defaults: Kong's 60 s upstream timeout; health checks on. */
export const BFF_DEFAULTS = { timeoutMs: 60_000, healthChecks: true } as const;

/** Totals of a {@link BackendForFrontend}. */
export interface BffStats {
  /** Screen requests answered. */
  requests: number;
  /** Calls made to services. */
  upstreamCalls: number;
  /** JSON bytes received from services. */
  upstreamBytes: number;
  /** JSON bytes sent to clients. */
  clientBytes: number;
}

/** A backend for one kind of client, as a simulated node. */
export class BackendForFrontend implements Displayable {
  readonly name: string;
  readonly node: SimNode<undefined>;
  readonly stats: BffStats = { requests: 0, upstreamCalls: 0, upstreamBytes: 0, clientBytes: 0 };
  private readonly screens: ReadonlyMap<string, AggregatePart[]>;

  constructor(
    readonly sim: Simulation,
    options: BackendForFrontendOptions,
  ) {
    if (typeof options?.name !== "string" || options.name === "") throw new ConfigError("BackendForFrontend", "name", options?.name, "a non-empty string");
    this.name = options.name;
    const timeoutMs = nonNegative("BackendForFrontend", "timeoutMs", options.timeoutMs ?? BFF_DEFAULTS.timeoutMs, Number.MIN_VALUE);
    const healthChecks = options.healthChecks ?? BFF_DEFAULTS.healthChecks;
    const screens = new Map<string, AggregatePart[]>();
    for (const [screen, parts] of Object.entries(options.screens ?? {})) screens.set(screen, toParts("BackendForFrontend", sim, `screens.${screen}`, parts));
    if (screens.size === 0) throw new ConfigError("BackendForFrontend", "screens", options.screens, "at least one screen");
    this.screens = screens;
    this.node = sim.service<undefined>(this.name, (req, ctx) => this.handle(req, ctx, timeoutMs, healthChecks), options.node ?? {});
  }

  /** The path that serves `screen`. */
  path(screen: string): string {
    return `/screens/${screen}`;
  }

  /** Its totals as a one-row table. */
  [DISPLAY](): MimeBundle {
    return table([{ bff: this.name, screens: [...this.screens.keys()].join(", "), ...this.stats }])[DISPLAY]();
  }

  private async handle(req: Request, ctx: ServiceContext<undefined>, timeoutMs: number, healthChecks: boolean): Promise<Response> {
    const screen = /^\/screens\/([^/?#]+)/.exec(req.path)?.[1];
    const parts = screen === undefined ? undefined : this.screens.get(screen);
    if (!parts) return response(404, { error: "unknown screen", path: req.path });
    this.sim.trace.note(this.name, `screen ${screen}: fan out to ${parts.map((p) => p.upstream).join(", ")}`);
    const outcomes = await fanOut(ctx, parts, req, { timeoutMs, healthChecks });
    const res = composeParts(outcomes);
    this.stats.requests++;
    this.stats.upstreamCalls += outcomes.length;
    this.stats.upstreamBytes += outcomes.reduce((sum, o) => sum + o.upstreamBytes, 0);
    this.stats.clientBytes += jsonBytes(res.body);
    return res;
  }
}

function toParts(component: string, sim: Simulation, at: string, screen: BffScreen): AggregatePart[] {
  const entries = Object.entries(screen ?? {});
  if (entries.length === 0) throw new ConfigError(component, at, screen, "at least one part");
  return entries.map(([name, part]) => {
    if (typeof part?.upstream !== "string" || !sim.hasNode(part.upstream)) {
      throw new ConfigError(component, `${at}.${name}.upstream`, part?.upstream, "the name of an existing service node (create services first)");
    }
    if (part.limit !== undefined) nonNegative(component, `${at}.${name}.limit`, part.limit);
    const shape: ShapeOptions = { ...(part.fields ? { fields: part.fields } : {}), ...(part.limit !== undefined ? { limit: part.limit } : {}) };
    return {
      name,
      upstream: part.upstream,
      request: part.request,
      optional: part.optional ?? false,
      ...(part.timeoutMs !== undefined ? { timeoutMs: part.timeoutMs } : {}),
      transform: (body: unknown) => shapePayload(body, shape),
    };
  });
}

/** How the client calls through the general gateway: all at once, or one after another. */
export type ClientCallPattern = "parallel" | "sequential";

/** Options of {@link compareBffs}. Defaults are in {@link BFF_COMPARISON_DEFAULTS}. */
export interface BffComparisonOptions {
  /** Each kind of client and the one screen it shows, e.g. `{ web: {...}, mobile: {...} }`. */
  clients: Record<string, BffScreen>;
  /** One-way latency between a client and the edge (its BFF or the gateway), ms: one for all, or per client. */
  clientLatencyMs?: number | Record<string, number>;
  /**
   * Client download speed in bytes per ms (125 ≈ 1 Mbit/s), one for all or per client;
   * `Infinity` ignores transfer time. Each response adds `bytes / bandwidth` ms when it
   * arrives; parallel downloads do not share the link (this favours the general gateway).
   */
  clientBandwidth?: number | Record<string, number>;
  /** How clients call the general gateway. */
  clientCalls?: ClientCallPattern;
  /** Screen name (BFF path `/screens/<screen>`). */
  screen?: string;
  /** Name of the general-purpose gateway node. */
  gatewayName?: string;
}

/** Defaults: 20 ms one-way to the edge, no bandwidth limit, parallel calls. */
export const BFF_COMPARISON_DEFAULTS = { clientLatencyMs: 20, clientBandwidth: Infinity, clientCalls: "parallel" as ClientCallPattern, screen: "home", gatewayName: "general-gateway" } as const;

/** What one client saw rendering its screen one way. */
export interface BffComparisonRow {
  client: string;
  approach: "BFF" | "general gateway";
  /** Calls the client made. */
  roundTrips: number;
  /** JSON bytes the client received. */
  bytesToClient: number;
  /** From the first request to the last byte, ms of virtual time. */
  latencyMs: number;
  /** Calls made to the services behind the edge. */
  serviceCalls: number;
}

/** The result of {@link compareBffs}: a row per client and approach. */
export class BffComparison implements Displayable {
  constructor(
    readonly rows: readonly BffComparisonRow[],
    /** The BFF of each client. */
    readonly bffs: Readonly<Record<string, BackendForFrontend>>,
    /** The general-purpose gateway. */
    readonly gateway: ApiGateway,
  ) {}

  /** The row for one client and approach. */
  row(client: string, approach: BffComparisonRow["approach"]): BffComparisonRow {
    const row = this.rows.find((r) => r.client === client && r.approach === approach);
    if (!row) throw new ConfigError("BffComparison.row", "client", client, `one of ${[...new Set(this.rows.map((r) => r.client))].join(", ")}`);
    return row;
  }

  [DISPLAY](): MimeBundle {
    return table(this.rows.map((r) => ({ ...r, latencyMs: Math.round(r.latencyMs * 100) / 100 })))[DISPLAY]();
  }
}

/**
 * For each client: renders its screen once through its own BFF (`<client>-bff`, one call,
 * shaped payload) and once through one general gateway (a call per part, full payloads),
 * and measures round trips, bytes and latency. Creates the nodes `<client>-app`,
 * `<client>-bff` and the gateway; services must exist. Runs the simulation (one client and
 * approach at a time, so they do not disturb each other).
 */
export async function compareBffs(sim: Simulation, options: BffComparisonOptions): Promise<BffComparison> {
  const clients = Object.entries(options?.clients ?? {});
  if (clients.length === 0) throw new ConfigError("compareBffs", "clients", options?.clients, "at least one client with its screen");
  const screen = options.screen ?? BFF_COMPARISON_DEFAULTS.screen;
  const pattern = oneOf("compareBffs", "clientCalls", options.clientCalls ?? BFF_COMPARISON_DEFAULTS.clientCalls, ["parallel", "sequential"]);
  const setting = (value: number | Record<string, number> | undefined, fallback: number, client: string) =>
    typeof value === "object" ? (value[client] ?? fallback) : (value ?? fallback);
  const latencyOf: Record<string, number> = {};
  const bandwidthOf: Record<string, number> = {};
  for (const [client] of clients) {
    const name = (parameter: string, value: unknown) => (typeof value === "object" ? `${parameter}.${client}` : parameter);
    latencyOf[client] = nonNegative("compareBffs", name("clientLatencyMs", options.clientLatencyMs), setting(options.clientLatencyMs, BFF_COMPARISON_DEFAULTS.clientLatencyMs, client));
    const bandwidth = setting(options.clientBandwidth, BFF_COMPARISON_DEFAULTS.clientBandwidth, client);
    bandwidthOf[client] = bandwidth === Infinity ? bandwidth : positive("compareBffs", name("clientBandwidth", options.clientBandwidth), bandwidth);
  }

  const upstreams = [...new Set(clients.flatMap(([, parts]) => Object.values(parts).map((p) => p.upstream)))];
  const bffs: Record<string, BackendForFrontend> = {};
  const apps: Record<string, SimNode<undefined>> = {};
  for (const [client, parts] of clients) {
    bffs[client] = new BackendForFrontend(sim, { name: `${client}-bff`, screens: { [screen]: parts } });
    apps[client] = sim.client(`${client}-app`);
  }
  // The general gateway knows services, not screens: one route per service, prefix stripped.
  const gateway = new ApiGateway(sim, {
    name: options.gatewayName ?? BFF_COMPARISON_DEFAULTS.gatewayName,
    routes: upstreams.map((u) => ({ prefix: `/${u}`, upstream: u, stripPrefix: true })),
  });
  for (const [client] of clients) {
    const latency = latencyOf[client]!;
    sim.network.setLink(`${client}-app`, `${client}-bff`, { latency });
    sim.network.setLink(`${client}-app`, gateway.name, { latency });
  }

  const rows: BffComparisonRow[] = [];
  await sim.run(async () => {
    for (const [client, parts] of clients) {
      const app = apps[client]!;
      const bandwidth = bandwidthOf[client]!;
      const download = async (res: Response) => {
        const bytes = jsonBytes(res.body);
        if (bandwidth !== Infinity && bytes > 0) await sim.sleep(bytes / bandwidth);
        return bytes;
      };

      const bff = bffs[client]!;
      const before = bff.stats.upstreamCalls;
      let start = sim.now;
      const bytes = await download(await app.call(bff.name, `GET ${bff.path(screen)}`));
      rows.push({ client, approach: "BFF", roundTrips: 1, bytesToClient: bytes, latencyMs: sim.now - start, serviceCalls: bff.stats.upstreamCalls - before });

      start = sim.now;
      const calls = Object.values(parts).map((p) => {
        const req = toRequest(p.request);
        return () => app.call(gateway.name, { ...req, path: `/${p.upstream}${req.path}` }).then(download);
      });
      let total = 0;
      if (pattern === "parallel") total = (await Promise.all(calls.map((c) => c()))).reduce((a, b) => a + b, 0);
      else for (const c of calls) total += await c();
      rows.push({ client, approach: "general gateway", roundTrips: calls.length, bytesToClient: total, latencyMs: sim.now - start, serviceCalls: calls.length });
    }
  });
  return new BffComparison(rows, bffs, gateway);
}
