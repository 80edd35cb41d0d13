/**
 * Gateway routes: which upstream service answers a request, chosen by path prefix, method
 * and `Host` header, with the route's timeout, required grants and optional rate limiter.
 *
 * Matching: a route applies when its host (if given) equals the request's `Host` (case
 * ignored, port dropped), its methods (if given) include the request's, and its prefix is a
 * whole-segment prefix of the path (`/orders` matches `/orders` and `/orders/7`, not
 * `/orders-old`). Among matching routes the most specific wins — a route with a host before
 * one without, then the longer prefix — and declaration order breaks ties. A path that
 * matches but with the wrong method gets 404, as in Kong (which reports "no Route matched").
 */
import { ConfigError, nonNegative } from "../errors";
import type { Request } from "../sim/http";
import type { Simulation } from "../sim/simulation";
import type { AggregatePart } from "./aggregate";
import type { RateLimiter } from "./rate-limiter";

/** What every route has. */
export interface RouteBase {
  /** A name for traces and tables. Default: `METHOD host prefix`. */
  name?: string;
  /** Path prefix, starting with `/`; `/` matches everything. */
  prefix: string;
  /** Methods accepted, e.g. `["GET"]`. Default: any. */
  methods?: string[];
  /** `Host` header value the route is for (virtual hosting). Default: any host. */
  host?: string;
  /** Grants (scopes or roles) the caller must all hold, else 403. Default: none. */
  requires?: string[];
  /** How long the gateway waits for the upstream, ms. Default: the gateway's `timeoutMs`. */
  timeoutMs?: number;
  /** A limiter for this route only, instead of the gateway's. */
  rateLimiter?: RateLimiter;
}

/** Forwards matching requests to an upstream service. */
export interface ProxyRoute extends RouteBase {
  /** Service node name, or several to balance over (round robin among healthy ones). */
  upstream: string | string[];
  /** Remove the prefix before forwarding (Kong's `strip_path`). Default false. */
  stripPrefix?: boolean;
}

/** Answers matching requests by calling several services in parallel and composing one answer. */
export interface AggregateRoute extends RouteBase {
  /** The calls to make. */
  aggregate: AggregatePart[];
}

/** A route of an {@link ApiGateway}. */
export type GatewayRoute = ProxyRoute | AggregateRoute;

/** A validated route with its defaults filled in. */
export interface CompiledRoute {
  readonly name: string;
  readonly index: number;
  readonly spec: GatewayRoute;
  readonly prefix: string;
  readonly methods: readonly string[] | undefined;
  readonly host: string | undefined;
  readonly requires: readonly string[];
  readonly timeoutMs: number;
}

/** True for a route that fans out. */
export function isAggregateRoute(route: GatewayRoute): route is AggregateRoute {
  return "aggregate" in route;
}

/** Upstream node names a route may call. */
export function routeTargets(route: GatewayRoute): string[] {
  return isAggregateRoute(route) ? route.aggregate.map((p) => p.upstream) : typeof route.upstream === "string" ? [route.upstream] : [...route.upstream];
}

/**
 * Checks routes against the simulation (every upstream must be an existing node, so create
 * services before the gateway) and fills defaults.
 * @throws ConfigError naming the route and parameter
 */
export function compileRoutes(component: string, sim: Simulation, routes: readonly GatewayRoute[], defaultTimeoutMs: number): CompiledRoute[] {
  if (!Array.isArray(routes as unknown)) throw new ConfigError(component, "routes", routes, "an array of routes");
  return routes.map((spec, index) => {
    const at = `routes[${index}]`;
    if (typeof spec?.prefix !== "string" || !spec.prefix.startsWith("/")) throw new ConfigError(component, `${at}.prefix`, spec?.prefix, "a path starting with /");
    const prefix = spec.prefix.length > 1 ? spec.prefix.replace(/\/+$/, "") : "/";
    const targets = routeTargets(spec);
    if (isAggregateRoute(spec)) {
      if (spec.aggregate.length === 0) throw new ConfigError(component, `${at}.aggregate`, spec.aggregate, "at least one part");
      const names = new Set<string>();
      spec.aggregate.forEach((part, i) => {
        if (typeof part.name !== "string" || part.name === "" || names.has(part.name)) throw new ConfigError(component, `${at}.aggregate[${i}].name`, part.name, "a unique non-empty name");
        names.add(part.name);
        if (part.timeoutMs !== undefined) nonNegative(component, `${at}.aggregate[${i}].timeoutMs`, part.timeoutMs);
      });
    } else if (targets.length === 0) throw new ConfigError(component, `${at}.upstream`, spec.upstream, "a service name or a non-empty list of them");
    targets.forEach((target, i) => {
      if (typeof target !== "string" || !sim.hasNode(target)) {
        const parameter = isAggregateRoute(spec) ? `${at}.aggregate[${i}].upstream` : Array.isArray(spec.upstream) ? `${at}.upstream[${i}]` : `${at}.upstream`;
        throw new ConfigError(component, parameter, target, "the name of an existing service node (create services before the gateway)");
      }
    });
    const methods = spec.methods?.map((m) => m.toUpperCase());
    if (methods && methods.length === 0) throw new ConfigError(component, `${at}.methods`, spec.methods, "a non-empty list (or omitted for any method)");
    const timeoutMs = spec.timeoutMs === undefined ? defaultTimeoutMs : nonNegative(component, `${at}.timeoutMs`, spec.timeoutMs, Number.MIN_VALUE);
    const host = spec.host === undefined ? undefined : normaliseHost(spec.host);
    const name = spec.name ?? `${methods ? methods.join(",") + " " : ""}${host ? host : ""}${prefix}`;
    return { name, index, spec, prefix, methods, host, requires: spec.requires ?? [], timeoutMs };
  });
}

/** The route for `req`, or undefined (→ 404). */
export function matchRoute(routes: readonly CompiledRoute[], req: Request): CompiledRoute | undefined {
  const path = pathOnly(req.path);
  const host = req.headers["host"] === undefined ? undefined : normaliseHost(req.headers["host"]);
  let best: CompiledRoute | undefined;
  for (const r of routes) {
    if (r.host !== undefined && r.host !== host) continue;
    if (r.methods && !r.methods.includes(req.method.toUpperCase())) continue;
    if (!prefixMatches(r.prefix, path)) continue;
    if (!best || moreSpecific(r, best)) best = r;
  }
  return best;
}

/** The path the upstream sees: the prefix removed when the route strips it. */
export function upstreamPath(route: CompiledRoute, path: string): string {
  if (isAggregateRoute(route.spec) || !route.spec.stripPrefix || route.prefix === "/") return path;
  const rest = path.slice(route.prefix.length);
  return rest === "" || rest.startsWith("?") ? `/${rest}` : rest;
}

function moreSpecific(a: CompiledRoute, b: CompiledRoute): boolean {
  if ((a.host !== undefined) !== (b.host !== undefined)) return a.host !== undefined;
  return a.prefix.length > b.prefix.length;
}

function prefixMatches(prefix: string, path: string): boolean {
  if (prefix === "/") return true;
  return path === prefix || path.startsWith(`${prefix}/`);
}

function pathOnly(path: string): string {
  const q = path.search(/[?#]/);
  return q < 0 ? path : path.slice(0, q);
}

function normaliseHost(host: string): string {
  return host.trim().toLowerCase().replace(/:\d+$/, "");
}
