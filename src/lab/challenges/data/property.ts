/** A fast-check property for a build challenge's pure stage: a fixed seed, so the same code gives the same report. */
import fc from "fast-check";

/**
 * Runs `test` on `numRuns` inputs; `test` returns undefined when the input passes, else one
 * sentence naming the broken invariant. On failure the shrunk input is re-run, so the sentence
 * and the counterexample describe the same input.
 */
export async function fcProperty<T>(arb: fc.Arbitrary<T>, numRuns: number, test: (t: T) => string | undefined, show: (t: T) => string) {
  const details = fc.check(fc.property(arb, (t) => test(t) === undefined), { seed: 20, numRuns });
  if (!details.failed) return { ok: true, runs: details.numRuns };
  const shrunk = details.counterexample?.[0] as T | undefined;
  let why: string | undefined;
  if (shrunk !== undefined) {
    try {
      why = test(shrunk);
    } catch (e) {
      why = `the solution threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
    }
  }
  return { ok: false, runs: details.numRuns, invariant: why ?? `the solution threw ${String(details.errorInstance)}`, counterexample: shrunk === undefined ? undefined : show(shrunk) };
}
