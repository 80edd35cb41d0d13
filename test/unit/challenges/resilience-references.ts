// Reference solutions of the resilience build challenges, with switches for known-wrong
// variants. They live with the tests (and the bench), never in the shipped lab.
import { response, TimeoutError, type Response } from "sde-lab";
import type { Breaker, BreakerBuild, BreakerOptions, BreakerState } from "../../../src/lab/challenges/build-microservices/circuit-breaker";
import type { RetryBuild } from "../../../src/lab/challenges/build-microservices/retry-backoff";
import type { TimeoutBuild } from "../../../src/lab/challenges/build-microservices/timeout";

export interface BreakerFlaws {
  /** Counts every result ever, not the last N. */
  allCalls?: boolean;
  /** Never leaves OPEN. */
  neverHalfOpens?: boolean;
  /** Permits every call in HALF_OPEN (still judges after N results). */
  unlimitedProbes?: boolean;
  /** Opens only above the threshold (resilience4j opens at or above). */
  strictlyAbove?: boolean;
  /** Ignores minimumNumberOfCalls. */
  noMinimum?: boolean;
  /** Does not cap the minimum at the window size. */
  uncappedMinimum?: boolean;
}

export function breakers(f: BreakerFlaws = {}): BreakerBuild {
  return {
    breaker(o: BreakerOptions): Breaker {
      let state: BreakerState = "CLOSED";
      let window: boolean[] = [];
      let trials: boolean[] = [];
      let permits = 0;
      let openedAt = 0;
      const minCalls = f.noMinimum ? 1 : f.uncappedMinimum ? o.minimumNumberOfCalls : Math.min(o.minimumNumberOfCalls, o.slidingWindowSize);
      const over = (r: boolean[]) => {
        const rate = (100 * r.filter((ok) => !ok).length) / r.length;
        return f.strictlyAbove ? rate > o.failureRateThreshold : rate >= o.failureRateThreshold;
      };
      return {
        tryAcquirePermission(now) {
          if (state === "OPEN") {
            if (f.neverHalfOpens || now <= openedAt + o.waitDurationInOpenState) return false;
            [state, permits, trials] = ["HALF_OPEN", o.permittedNumberOfCallsInHalfOpenState, []];
          }
          if (state === "HALF_OPEN") {
            if (f.unlimitedProbes) return true;
            if (permits === 0) return false;
            permits--;
          }
          return true;
        },
        onResult(success, now) {
          if (state === "CLOSED") {
            window.push(success);
            if (!f.allCalls && window.length > o.slidingWindowSize) window.shift();
            if (window.length >= minCalls && over(window)) [state, openedAt] = ["OPEN", now];
          } else if (state === "HALF_OPEN") {
            trials.push(success);
            if (trials.length < o.permittedNumberOfCallsInHalfOpenState) return;
            if (over(trials)) [state, openedAt] = ["OPEN", now];
            else [state, window] = ["CLOSED", []];
          }
        },
        state: () => state,
      };
    },
  };
}

export interface RetryFlaws {
  noJitter?: boolean;
  retryAll?: boolean;
  oneTooMany?: boolean;
  shift?: boolean;
  equalJitter?: boolean;
  no429ForPost?: boolean;
}
export function retries(f: RetryFlaws = {}): RetryBuild {
  const build: RetryBuild = {
    delay(retry, base, cap, random) {
      const u = random();
      const ceiling = Math.min(cap, f.shift ? base << retry : base * 2 ** retry);
      if (f.noJitter) return ceiling;
      return f.equalJitter ? ceiling / 2 + (u * ceiling) / 2 : u * ceiling;
    },
    retryable(status, idempotent) {
      if (f.retryAll) return status === undefined || status >= 400;
      if (status === 429) return f.no429ForPost ? idempotent : true;
      return status === undefined || status >= 500 ? idempotent : false;
    },
    async call(kit) {
      const limit = kit.maxAttempts + (f.oneTooMany ? 1 : 0);
      for (let n = 0; ; n++) {
        let answer: Response | undefined;
        let error: unknown;
        try {
          answer = await kit.attempt();
        } catch (e) {
          error = e;
        }
        if (n + 1 >= limit || !build.retryable(answer?.status, kit.idempotent)) {
          if (answer) return answer;
          throw error;
        }
        await kit.sleep(build.delay(n, kit.baseMs, kit.capMs, kit.random));
      }
    },
  };
  return build;
}

export interface DeadlineFlaws {
  /** The same timeout on every call, whatever is left. */
  fixedMs?: number;
  /** The whole starting budget on every call, not what is left. */
  startingBudget?: boolean;
  /** No margin: the call gets everything up to the deadline. */
  noMargin?: boolean;
  /** Never stops: calls with at least 1 ms even when the budget is spent. */
  alwaysCall?: boolean;
  /** Answers 200 with the parts it has after a timeout. */
  partial?: boolean;
}
export function deadlines(f: DeadlineFlaws = {}): TimeoutBuild {
  return {
    async handle(kit) {
      const parts: Record<string, unknown> = {};
      const start = kit.deadline - kit.now() - kit.marginMs;
      for (const service of ["inventory", "pricing", "shipping"] as const) {
        let budget = kit.deadline - kit.now() - (f.noMargin ? 0 : kit.marginMs);
        if (f.startingBudget) budget = start;
        if (f.fixedMs) budget = f.fixedMs;
        if (f.alwaysCall) budget = Math.max(1, budget);
        if (budget <= 0) return response(504, { error: "DEADLINE_EXCEEDED" });
        try {
          parts[service] = (await kit.call(service, `/${service}?order=${kit.orderId}`, { timeoutMs: budget })).body;
        } catch (error) {
          if (!(error instanceof TimeoutError) || !f.partial) return response(504, { error: "DEADLINE_EXCEEDED" });
          break;
        }
      }
      return response(200, parts);
    },
  };
}
