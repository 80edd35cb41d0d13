/**
 * Composition of policies, as cockatiel's `wrap`: the first policy is the outermost.
 */
import { ConfigError } from "../errors";
import { DISPLAY, isDisplayable, type MimeBundle } from "../display";
import { NEVER_CANCELLED, type CancelSignal, type ResiliencePolicy } from "./policy";

/** Several policies run as one; see {@link wrap}. */
export class WrappedPolicy implements ResiliencePolicy {
  constructor(readonly policies: readonly ResiliencePolicy[]) {}

  /** Runs `fn` inside every policy, the first one outermost. Each policy passes its signal inward. */
  execute<T>(fn: (signal: CancelSignal) => Promise<T> | T, signal: CancelSignal = NEVER_CANCELLED): Promise<T> {
    const policies = this.policies;
    const run = (i: number, s: CancelSignal): Promise<T> | T => (i === policies.length ? fn(s) : policies[i]!.execute((inner) => run(i + 1, inner), s));
    try {
      return Promise.resolve(run(0, signal));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The order of the policies, then each one's own display. */
  [DISPLAY](): MimeBundle {
    const names = this.policies.map(nameOf);
    const head = `Policies, outermost first: ${[...names, "call"].join(" → ")}`;
    const parts = this.policies.flatMap((p) => (isDisplayable(p) ? [p[DISPLAY]()] : []));
    return {
      "text/markdown": [head, ...parts.map((p) => p["text/markdown"] ?? p["text/plain"] ?? "")].join("\n\n"),
      "text/plain": [head, ...parts.map((p) => p["text/plain"] ?? "")].join("\n"),
    };
  }
}

function nameOf(policy: ResiliencePolicy): string {
  const named = (policy as { options?: { name?: unknown } }).options?.name;
  return typeof named === "string" ? named : policy.constructor.name;
}

/**
 * Composes policies like cockatiel's `wrap`: `wrap(retry, breaker, timeout).execute(fn)`
 * retries calls that go through the breaker, and each attempt has its own timeout. Order
 * matters: with the timeout outside the retry instead, one deadline would cover every
 * attempt and its waits.
 */
export function wrap(...policies: ResiliencePolicy[]): WrappedPolicy {
  if (policies.length === 0) throw new ConfigError("wrap", "policies", policies, "at least one policy");
  policies.forEach((p, i) => {
    if (typeof p !== "object" || p === null || typeof p.execute !== "function") throw new ConfigError("wrap", `policies[${i}]`, p, "a policy with an execute(fn) method");
  });
  return new WrappedPolicy(policies);
}
