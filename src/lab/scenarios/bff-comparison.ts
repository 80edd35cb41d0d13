/**
 * Web and mobile clients rendering their home screen through their own BFF and through one
 * general-purpose gateway, measured side by side (round trips, bytes, latency).
 */
import { ApiGateway, BackendForFrontend, ConfigError, DISPLAY, jsonPayloadBytes as jsonBytes, table, toRequest, type BffScreen, type Displayable, type MimeBundle, type Response, type SimNode, type Simulation } from "sde-lab";
import { nonNegative, oneOf, positive } from "./checks";

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
