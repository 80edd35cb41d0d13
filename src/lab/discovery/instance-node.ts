/**
 * The node behind a service instance: it answers application requests with a handler, health
 * probes on `GET /health`, and TCP connection probes (a `CONNECT` request) without running the
 * handler, as a listening socket accepts a connection before the application sees anything.
 */
import type { Simulation } from "../sim/simulation";
import type { Handler, SimNode } from "../sim/node";
import type { Distribution } from "../sim/random";
import { ok, response } from "../sim/http";

/** Options for the node of a service instance. */
export interface InstanceNodeOptions {
  /** Answers application requests. Default: 200 with `{ instance: <id> }`. */
  handler?: Handler<undefined>;
  /** Processing time of each application request (ms or a distribution). Default 0. */
  serviceTime?: Distribution;
  /** Requests handled at once. Default unlimited. */
  concurrency?: number;
}

/** The method of a simulated TCP connection probe. */
export const CONNECT_METHOD = "CONNECT";

/** What the instance's `/health` endpoint answers. */
export interface HealthEndpoint {
  /** HTTP status `GET /health` answers: 200 healthy, 429 overloaded (a Consul warning), 5xx failing. */
  healthStatus: number;
}

/**
 * Creates the node of an instance named `id`. Health probes and connection probes do not wait
 * for the application's service time; they still need the node to be up and reachable.
 */
export function createInstanceNode(sim: Simulation, id: string, health: HealthEndpoint, options: InstanceNodeOptions = {}): SimNode<undefined> {
  const app = options.handler ?? (() => ok({ instance: id }));
  const serviceTime = options.serviceTime ?? 0;
  return sim.service<undefined>(
    id,
    async (req, ctx) => {
      if (req.method === CONNECT_METHOD) return response(200, { connected: id });
      if (req.method === "GET" && req.path.split("?")[0] === "/health") return response(health.healthStatus, { instance: id });
      if (serviceTime !== 0) await ctx.work(serviceTime);
      return app(req, ctx);
    },
    options.concurrency === undefined ? {} : { concurrency: options.concurrency },
  );
}
