/**
 * Request aggregation (API composition): one client request fans out to several services in
 * parallel and the answers are composed into one. A part marked `optional` may fail without
 * failing the whole: its value becomes `null` and an entry in `errors`, and the answer is
 * flagged `partial` — the shape GraphQL uses for partial results (`data` + `errors`). A
 * required part that fails fails the whole request: 504 if it timed out, else 502.
 */
import { isSuccess, response, toRequest, type Request, type Response } from "../sim/http";
import type { ServiceContext } from "../sim/node";
import { callUpstream } from "./upstream";
import { jsonBytes } from "./shape";

/** One call of an aggregation. */
export interface AggregatePart {
  /** Key of this part in the composed answer. */
  name: string;
  /** Service node to call. */
  upstream: string;
  /** The request to send: fixed, or built from the client's request (e.g. to copy an id). */
  request: string | Request | ((incoming: Request) => string | Request);
  /** A failure of this part leaves a `null` and an error entry instead of failing all. Default false. */
  optional?: boolean;
  /** Timeout of this call, ms. Default: the route's. */
  timeoutMs?: number;
  /** Reshapes the part's body before composition (pick fields, trim lists). */
  transform?: (body: unknown) => unknown;
}

/** What happened to one part. */
export interface PartOutcome {
  readonly name: string;
  readonly upstream: string;
  readonly optional: boolean;
  readonly ok: boolean;
  /** The upstream's status, or the gateway's (502/503/504) when there was no answer. */
  readonly status: number;
  /** The (transformed) body when ok. */
  readonly value: unknown;
  /** Why it failed. */
  readonly error?: string;
  /** Bytes of the upstream's JSON body as received, before any transform. */
  readonly upstreamBytes: number;
  /** Time from the fan-out to this part's end, ms. */
  readonly latencyMs: number;
}

/** The composed body of an aggregated answer. */
export interface AggregateBody {
  /** Each part's value by name; `null` for a failed optional part. */
  data: Record<string, unknown>;
  /** One entry per failed optional part. */
  errors: { part: string; status: number; message: string }[];
  /** True when some optional part failed. */
  partial: boolean;
}

/** Calls every part at once and waits for all of them. */
export async function fanOut<S>(
  ctx: ServiceContext<S>,
  parts: readonly AggregatePart[],
  incoming: Request,
  options: { timeoutMs: number; healthChecks: boolean; headers?: Record<string, string> },
): Promise<PartOutcome[]> {
  const start = ctx.sim.now;
  return Promise.all(
    parts.map(async (part): Promise<PartOutcome> => {
      const base = toRequest(typeof part.request === "function" ? part.request(incoming) : part.request);
      const req: Request = { ...base, headers: { ...base.headers, ...options.headers } };
      const result = await callUpstream(ctx, part.upstream, req, part.timeoutMs ?? options.timeoutMs, options.healthChecks);
      const res = result.response;
      const common = { name: part.name, upstream: part.upstream, optional: part.optional ?? false, status: res.status, latencyMs: ctx.sim.now - start };
      if (result.kind === "answered" && isSuccess(res)) {
        return { ...common, ok: true, value: part.transform ? part.transform(res.body) : res.body, upstreamBytes: jsonBytes(res.body) };
      }
      const error = result.kind === "answered" ? `${part.upstream} answered ${res.status}` : `${result.kind} (${part.upstream})`;
      return { ...common, ok: false, value: null, error, upstreamBytes: result.kind === "answered" ? jsonBytes(res.body) : 0 };
    }),
  );
}

/** Composes part outcomes into one response (see the module comment for the rules). */
export function composeParts(outcomes: readonly PartOutcome[]): Response {
  const failedRequired = outcomes.find((o) => !o.ok && !o.optional);
  if (failedRequired) {
    const status = failedRequired.status === 504 ? 504 : 502;
    return response(status, { error: `required part "${failedRequired.name}" failed: ${failedRequired.error}`, part: failedRequired.name });
  }
  const body: AggregateBody = { data: {}, errors: [], partial: false };
  for (const o of outcomes) {
    body.data[o.name] = o.ok ? o.value : null;
    if (!o.ok) body.errors.push({ part: o.name, status: o.status, message: o.error ?? "failed" });
  }
  body.partial = body.errors.length > 0;
  return response(200, body, body.partial ? { "x-partial-response": "true" } : {});
}
