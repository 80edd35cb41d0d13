// How the build-challenge tests read a check: which stage failed, the sentence that says why,
// and how long the check took (wall clock, for the ≤ 3 s budget).
import type { BuildReport } from "sde-lab/challenges";

/** Stage (1-based) a report failed at, or 0 when it passed. */
export const failedStage = (r: BuildReport): number => (r.passed ? 0 : r.stages.findIndex((s) => s.ran && !s.passed) + 1);

/** The failing case's invariant sentence, or "" when every stage passed. */
export const invariant = (r: BuildReport): string => r.stages.find((s) => s.failure)?.failure?.invariant ?? "";

/** Runs `f` once and gives its value with the wall time it took, in ms. */
export async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await f();
  return { value, ms: performance.now() - start };
}
