/**
 * cockatiel's `ConsecutiveBreaker`: the circuit opens after `threshold` failures in a row.
 */
import { wholeNumber } from "../errors";
import type { BreakerStrategy } from "./breaker-strategy";

/**
 * Opens the circuit once `threshold` calls in a row have failed; any success starts the
 * count again (cockatiel `ConsecutiveBreaker` semantics). Slow calls do not count: the rule
 * only sees failures. Simple and quick to react, but blind to a steady 40 % failure rate
 * that never produces a long run.
 */
export class ConsecutiveBreaker implements BreakerStrategy {
  readonly semantics = "cockatiel ConsecutiveBreaker (consecutive failures)";
  private run = 0;

  /** @param threshold - failures in a row that open the circuit, a whole number ≥ 1 */
  constructor(readonly threshold: number) {
    wholeNumber("ConsecutiveBreaker", "threshold", threshold);
  }

  /** Failures in a row so far. */
  get consecutiveFailures(): number {
    return this.run;
  }

  record(failure: boolean): string | undefined {
    if (!failure) {
      this.run = 0;
      return undefined;
    }
    return ++this.run >= this.threshold ? `${this.run} consecutive failures ≥ ${this.threshold}` : undefined;
  }

  reset(): void {
    this.run = 0;
  }

  describe(): Record<string, number | string> {
    return { "consecutive failures": this.run, threshold: this.threshold };
  }
}
