// Reference solutions of the server-side-discovery, bulkhead and sidecar build challenges,
// with switches that turn them into known-wrong answers. They live with the tests (reference
// solutions never ship); the bench imports them to time a full check.
import { response, type Response } from "sde-lab";
import type { LoadBalancerBuild } from "../../../src/lab/challenges/build-microservices/server-side-discovery";
import type { BulkheadBuild } from "../../../src/lab/challenges/build-microservices/bulkhead";
import type { SidecarBuild } from "../../../src/lab/challenges/build-microservices/sidecar";

export interface BalancerOptions {
  /** Marks unhealthy after this many failed probes (the rule says 2). */
  unhealthyAfter?: number;
  /** Healthy again after this many passing probes (the rule says 3). */
  healthyAfter?: number;
  /** Never brings an unhealthy instance back. */
  neverRecovers?: boolean;
  /** Answers undefined when nothing is healthy (fail closed). */
  failClosed?: boolean;
  /** Keeps a deregistered instance in the table. */
  keepDeregistered?: boolean;
  /** Random choice instead of round robin. */
  random?: boolean;
  /** Probes one instance after the other. */
  sequential?: boolean;
}
export function balancer(o: BalancerOptions = {}): LoadBalancerBuild {
  return {
    balancer(kit) {
      const table = new Map<string, { state: "initial" | "healthy" | "unhealthy"; fails: number; passes: number }>();
      let next = 0;
      let seed = 7;
      const apply = (id: string, ok: boolean) => {
        const e = table.get(id);
        if (!e) return;
        if (ok) {
          e.fails = 0;
          e.passes++;
          if (e.state === "initial" || (e.state === "unhealthy" && !o.neverRecovers && e.passes >= (o.healthyAfter ?? kit.healthyThreshold))) e.state = "healthy";
        } else {
          e.passes = 0;
          e.fails++;
          if (e.state === "healthy" && e.fails >= (o.unhealthyAfter ?? kit.unhealthyThreshold)) e.state = "unhealthy";
        }
      };
      return {
        register: (id) => void table.set(id, { state: "initial", fails: 0, passes: 0 }),
        deregister: (id) => void (o.keepDeregistered || table.delete(id)),
        async healthCheck() {
          const ids = [...table.keys()];
          if (o.sequential) for (const id of ids) apply(id, await kit.probe(id));
          else await Promise.all(ids.map(async (id) => apply(id, await kit.probe(id))));
        },
        route() {
          const all = [...table.keys()];
          const healthy = all.filter((id) => table.get(id)!.state === "healthy");
          const pool = healthy.length > 0 ? healthy : o.failClosed ? [] : all;
          if (pool.length === 0) return undefined;
          if (o.random) return pool[(seed = (seed * 48271) % 2147483647) % pool.length];
          return pool[next++ % pool.length];
        },
      };
    },
  };
}

export interface BulkheadVariant {
  /** Gives the permit back only after a success. */
  leakOnFailure?: boolean;
  /** Takes the newest waiting call first. */
  lifo?: boolean;
  /** Never rejects a waiting call, however long it waits. */
  noMaxWait?: boolean;
  /** No bound on the queue. */
  unboundedQueue?: boolean;
  /** One count of permits shared by every bulkhead (state kept outside the instance). */
  shared?: boolean;
}
export function bulkheads(o: BulkheadVariant = {}): BulkheadBuild {
  const global = { inUse: 0 };
  return {
    bulkhead({ maxConcurrent, maxQueue, maxWaitMs }, kit) {
      const local = { inUse: 0 };
      const permits = o.shared ? global : local;
      const waiting: { go: () => void; cancel: () => void }[] = [];
      const release = () => {
        permits.inUse--;
        const next = o.lifo ? waiting.pop() : waiting.shift();
        if (next) {
          permits.inUse++;
          next.cancel();
          next.go();
        }
      };
      return {
        async execute(call) {
          if (permits.inUse >= maxConcurrent) {
            if (!o.unboundedQueue && waiting.length >= maxQueue) throw kit.fullError("bulkhead full");
            await new Promise<void>((resolve, reject) => {
              const entry = { go: resolve, cancel: () => {} };
              if (!o.noMaxWait) {
                entry.cancel = kit.setTimer(maxWaitMs, () => {
                  waiting.splice(waiting.indexOf(entry), 1);
                  reject(kit.fullError(`waited ${maxWaitMs} ms`));
                });
              }
              waiting.push(entry);
            });
          } else permits.inUse++;
          if (o.leakOnFailure) {
            const value = await call();
            release();
            return value;
          }
          try {
            return await call();
          } finally {
            release();
          }
        },
      };
    },
  };
}

export interface SidecarVariant {
  /** Retries every method, POST included. */
  retryAll?: boolean;
  /** Never retries. */
  noRetry?: boolean;
  /** Retries a 500 too. */
  retry500?: boolean;
  /** Every try gets the full per-try timeout, whatever is left of the deadline. */
  untrimmed?: boolean;
  /** One long try bounded only by the deadline. */
  noPerTry?: boolean;
  /** Builds a new request instead of passing the app's on. */
  freshRequest?: boolean;
}
const IDEMPOTENT_METHODS = ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"];
export function sidecar(o: SidecarVariant = {}): SidecarBuild {
  return {
    proxy(kit) {
      return {
        async outbound(req) {
          const start = kit.now();
          const retries = !o.noRetry && (o.retryAll || IDEMPOTENT_METHODS.includes(req.method));
          let last: Response | undefined;
          for (let attempt = 1; attempt <= kit.maxAttempts; attempt++) {
            const left = start + kit.deadlineMs - kit.now();
            if (left <= 0) break;
            const headers = o.freshRequest ? { [kit.identityHeader]: kit.identity } : { ...req.headers, [kit.identityHeader]: kit.identity };
            const timeoutMs = o.noPerTry ? left : o.untrimmed ? kit.perTryTimeoutMs : Math.min(kit.perTryTimeoutMs, left);
            last = await kit.send({ ...req, headers }, { timeoutMs }).catch(() => undefined);
            const retryable = last === undefined || last.status === 503 || (o.retry500 === true && last.status === 500);
            if (!retryable || !retries) break;
            if (attempt < kit.maxAttempts) await kit.sleep(Math.min(25 * attempt, Math.max(0, start + kit.deadlineMs - kit.now())));
          }
          return last ?? response(504, { error: "upstream request timeout" });
        },
      };
    },
  };
}
