/**
 * Exchange routing rules: topic patterns (`*` one word, `#` zero or more words, words split
 * on dots) and headers matching (`x-match` all or any).
 */

/** Splits a routing key or pattern into words: the empty key has none (so `*` does not match it, `#` does). */
function words(s: string): string[] {
  return s === "" ? [] : s.split(".");
}

/** True when a topic binding pattern matches a routing key, with RabbitMQ's rules. */
export function topicMatches(pattern: string, routingKey: string): boolean {
  return matchWords(words(pattern), 0, words(routingKey), 0);
}

function matchWords(p: string[], i: number, k: string[], j: number): boolean {
  for (;;) {
    if (i === p.length) return j === k.length;
    const w = p[i]!;
    if (w === "#") {
      // Collapse repeated '#', then try every number of words for it (zero included).
      while (i + 1 < p.length && p[i + 1] === "#") i++;
      if (i + 1 === p.length) return true;
      for (let skip = j; skip <= k.length; skip++) if (matchWords(p, i + 1, k, skip)) return true;
      return false;
    }
    if (j === k.length) return false;
    if (w !== "*" && w !== k[j]) return false;
    i++;
    j++;
  }
}

/** A topic matcher with a per-key memo (bindings see the same keys over and over). */
export class TopicMatcher {
  private readonly memo = new Map<string, boolean>();
  constructor(readonly pattern: string) {}
  matches(routingKey: string): boolean {
    let v = this.memo.get(routingKey);
    if (v === undefined) {
      v = topicMatches(this.pattern, routingKey);
      if (this.memo.size > 10_000) this.memo.clear();
      this.memo.set(routingKey, v);
    }
    return v;
  }
}

/**
 * Headers exchange matching: binding arguments must equal the message's headers — all of
 * them (`x-match: all`, the default) or at least one (`any`). Arguments starting with `x-`
 * are compared only under `all-with-x` and `any-with-x` (`x-match` itself never is). A binding
 * with nothing to compare matches every message under `all` and none under `any`.
 */
export function headersMatch(bindingArgs: Record<string, unknown>, headers: Record<string, unknown> | undefined): boolean {
  const mode = bindingArgs["x-match"] ?? "all";
  const withX = mode === "all-with-x" || mode === "any-with-x";
  const h = headers ?? {};
  const entries = Object.entries(bindingArgs).filter(([k]) => k !== "x-match" && (withX || !k.startsWith("x-")));
  if (mode === "any" || mode === "any-with-x") return entries.some(([k, v]) => k in h && sameValue(h[k], v));
  return entries.every(([k, v]) => k in h && sameValue(h[k], v));
}

function sameValue(a: unknown, b: unknown): boolean {
  // A binding argument with no value only asks for the header's presence.
  if (b === undefined || b === null) return true;
  return a === b;
}
