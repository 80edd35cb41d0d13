/**
 * Backends for frontends: one small backend per kind of client (web, mobile, ...), owned by
 * that client's team, that answers a whole screen in one call — it fans out to the shared
 * services in parallel and keeps only the fields and items that screen shows. The
 * alternative is one general-purpose gateway: the client makes a call per service and gets
 * full payloads, or the gateway grows client-specific branches.
 *
 * `compareBffs` in `sde-lab/scenarios` runs both for each client and measures what the client sees: round
 * trips, bytes received and latency.
 */
import { DISPLAY, table, type Displayable, type MimeBundle } from "../display";
import { ConfigError, nonNegative } from "../errors";
import { response, type Request, type Response } from "../sim/http";
import type { NodeOptions, ServiceContext, SimNode } from "../sim/node";
import type { Simulation } from "../sim/simulation";
import { composeParts, fanOut, type AggregatePart } from "./aggregate";
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

