// Reference solutions of the rate-limiting, bff and client-side-discovery build challenges,
// with switches that turn them into known-wrong answers. They live with the tests (reference
// solutions never ship); the bench imports them to time a full check.
import type { Response } from "sde-lab";
import type { BffBuild, HomeScreen } from "../../../src/lab/challenges/build-microservices/bff";
import type { DiscoveryBuild, RegistryInstance } from "../../../src/lab/challenges/build-microservices/client-side-discovery";
import type { LimiterBuild } from "../../../src/lab/challenges/build-microservices/rate-limiting";

// ---- rate-limiting -------------------------------------------------------------------------

export interface BucketOptions {
  noCap?: boolean;
  startEmpty?: boolean;
  closedWindow?: boolean;
  fixedWindow?: boolean;
}
export function limiters(o: BucketOptions = {}): LimiterBuild {
  return {
    tokenBucket({ capacity, refillPerSecond }) {
      let tokens = o.startEmpty ? 0 : capacity;
      let last: number | undefined;
      return {
        tryAcquire(now) {
          if (last !== undefined) tokens += ((now - last) * refillPerSecond) / 1000;
          if (!o.noCap) tokens = Math.min(capacity, tokens);
          last = now;
          if (tokens < 1) return false;
          tokens -= 1;
          return true;
        },
      };
    },
    slidingWindow({ limit, windowMs }) {
      let log: number[] = [];
      let windowStart = 0;
      let count = 0;
      return {
        tryAcquire(now) {
          if (o.fixedWindow) {
            if (now - windowStart >= windowMs) [windowStart, count] = [now - (now % windowMs), 0];
            return count < limit ? (count++, true) : false;
          }
          log = log.filter((t) => (o.closedWindow ? t >= now - windowMs : t > now - windowMs));
          if (log.length >= limit) return false;
          log.push(now);
          return true;
        },
      };
    },
  };
}

// ---- bff -----------------------------------------------------------------------------------

export interface BffOptions {
  sequential?: boolean;
  failFast?: boolean;
  noTimeout?: boolean;
  skipRecs?: boolean;
}
const PARTS = ["profile", "orders", "recs"] as const;
export function homeBff(o: BffOptions = {}): BffBuild {
  return {
    async home(kit) {
      const parts = o.skipRecs ? PARTS.filter((p) => p !== "recs") : PARTS;
      const call = (p: (typeof PARTS)[number]) => kit.call(p, `/${p}?user=${kit.userId}`, { timeoutMs: o.noTimeout ? 10_000 : kit.timeoutMs });
      let results: PromiseSettledResult<Response>[];
      if (o.sequential) {
        results = [];
        for (const p of parts) results.push(await call(p).then((value) => ({ status: "fulfilled" as const, value }), (reason) => ({ status: "rejected" as const, reason })));
      } else if (o.failFast) {
        results = (await Promise.all(parts.map(call))).map((value) => ({ status: "fulfilled" as const, value }));
      } else results = await Promise.allSettled(parts.map(call));
      const screen: HomeScreen = { missing: [] };
      parts.forEach((p, i) => {
        const r = results[i]!;
        if (r.status === "fulfilled" && r.value.status === 200) screen[p] = r.value.body;
        else screen.missing.push(p);
      });
      if (o.skipRecs) screen.missing.push("recs");
      return screen;
    },
  };
}

// ---- client-side-discovery -----------------------------------------------------------------

export interface DiscoveryOptions {
  emptyOnFailure?: boolean;
  noEject?: boolean;
  ignoreStatus?: boolean;
  random?: boolean;
}
export function discovery(o: DiscoveryOptions = {}): DiscoveryBuild {
  return {
    client(kit) {
      let cache: RegistryInstance[] = [];
      let next = 0;
      let seed = 7;
      const failures = new Map<string, number>();
      const outUntil = new Map<string, number>();
      return {
        async refresh() {
          try {
            cache = await kit.fetchInstances();
          } catch {
            if (o.emptyOnFailure) cache = [];
          }
        },
        choose() {
          const usable = cache.filter((x) => (o.ignoreStatus || x.status === "UP") && (outUntil.get(x.id) ?? -1) <= kit.now());
          if (usable.length === 0) return undefined;
          if (o.random) return usable[(seed = (seed * 48271) % 2147483647) % usable.length]!.id;
          return usable[next++ % usable.length]!.id;
        },
        report(id, ok) {
          const n = ok ? 0 : (failures.get(id) ?? 0) + 1;
          failures.set(id, n);
          if (!o.noEject && n >= kit.ejectAfterFailures) {
            outUntil.set(id, kit.now() + kit.ejectForMs);
            failures.set(id, 0);
          }
        },
      };
    },
  };
}
