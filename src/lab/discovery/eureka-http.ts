/**
 * The HTTP routes of the Eureka registry node, with the paths of Eureka's REST API:
 * `POST /eureka/apps/{app}` registers, `PUT /eureka/apps/{app}/{id}` renews (404 when the
 * instance is unknown, which tells it to register again), `DELETE /eureka/apps/{app}/{id}`
 * cancels, `GET /eureka/apps/{app}` and `GET /eureka/apps` read.
 */
import { response, type Request, type Response } from "../sim/http";
import type { EurekaInstanceInfo, EurekaRegistration } from "./eureka-registry";

/** What the routes need from the registry. */
export interface EurekaApi {
  register(app: string, registration: EurekaRegistration): void;
  renew(app: string, id: string): boolean;
  cancel(app: string, id: string): boolean;
  /** What readers of one application get (from the response cache when it is on). */
  readApp(app: string): readonly EurekaInstanceInfo[];
  /** What readers of the whole registry get. */
  readAll(): readonly EurekaInstanceInfo[];
}

/** Answers one request to the registry node. */
export function routeEurekaRequest(req: Request, api: EurekaApi): Response {
  const path = req.path.split("?")[0]!;
  const m = /^\/eureka\/apps(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(path);
  if (!m) return response(404, { error: `no route for ${req.method} ${path}` });
  const app = m[1] === undefined ? undefined : decodeURIComponent(m[1]);
  const id = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
  if (req.method === "GET" && id === undefined) {
    if (app === undefined) return response(200, { applications: groupByApp(api.readAll()) });
    const instances = api.readApp(app);
    return instances.length === 0 ? response(404, { error: `unknown application ${app}` }) : response(200, { application: app, instances });
  }
  if (req.method === "POST" && app !== undefined && id === undefined) {
    const body = req.body as Partial<EurekaRegistration> | undefined;
    if (!body || typeof body.id !== "string") return response(400, { error: "registration needs an id" });
    try {
      api.register(app, body as EurekaRegistration);
    } catch (error) {
      return response(400, { error: error instanceof Error ? error.message : String(error) });
    }
    return response(204);
  }
  if (req.method === "PUT" && app !== undefined && id !== undefined) {
    return api.renew(app, id) ? response(200) : response(404, { error: `${app}/${id} is not registered` });
  }
  if (req.method === "DELETE" && app !== undefined && id !== undefined) {
    return api.cancel(app, id) ? response(200) : response(404, { error: `${app}/${id} is not registered` });
  }
  return response(405, { error: `${req.method} not allowed on ${path}` });
}

function groupByApp(instances: readonly EurekaInstanceInfo[]): Record<string, EurekaInstanceInfo[]> {
  const out: Record<string, EurekaInstanceInfo[]> = {};
  for (const i of instances) (out[i.app] ??= []).push(i);
  return out;
}
