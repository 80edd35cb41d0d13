/**
 * kafkajs's retry schedule: attempt n waits `initialRetryTime · multiplier^n`, randomised by
 * ± `factor`, capped at `maxRetryTime`; retriable errors only, at most `retries` times.
 */
import type { Simulation } from "../../sim/simulation";
import { wholeNumber, nonNegative, fraction } from "../../errors";
import { KafkaJSError, KafkaJSNumberOfRetriesExceeded } from "./errors";

/** Retry options, as kafkajs's `retry` (defaults in {@link KAFKA_RETRY_DEFAULTS}). */
export interface RetryOptions {
  /** Retries after the first attempt. Default 5 (idempotent producers: unlimited). */
  retries?: number;
  /** First wait in ms. Default 300. */
  initialRetryTime?: number;
  /** Randomisation of each wait, ± this fraction. Default 0.2. */
  factor?: number;
  /** Growth of the wait per retry. Default 2. */
  multiplier?: number;
  /** Longest single wait in ms. Default 30 000. */
  maxRetryTime?: number;
}

/** kafkajs's retry defaults. */
export const KAFKA_RETRY_DEFAULTS = { retries: 5, initialRetryTime: 300, factor: 0.2, multiplier: 2, maxRetryTime: 30_000 } as const;

/** Checks retry options and fills in defaults. */
export function retryOptions(component: string, options: RetryOptions = {}, retries: number = KAFKA_RETRY_DEFAULTS.retries): Required<RetryOptions> {
  const r = options.retries ?? retries;
  if (r !== Number.MAX_SAFE_INTEGER) wholeNumber(component, "retry.retries", r, 0);
  return {
    retries: r,
    initialRetryTime: nonNegative(component, "retry.initialRetryTime", options.initialRetryTime ?? KAFKA_RETRY_DEFAULTS.initialRetryTime),
    factor: fraction(component, "retry.factor", options.factor ?? KAFKA_RETRY_DEFAULTS.factor),
    multiplier: nonNegative(component, "retry.multiplier", options.multiplier ?? KAFKA_RETRY_DEFAULTS.multiplier, 1),
    maxRetryTime: nonNegative(component, "retry.maxRetryTime", options.maxRetryTime ?? KAFKA_RETRY_DEFAULTS.maxRetryTime),
  };
}

/** Runs `attempt` with kafkajs's retry schedule on virtual time. */
export async function withRetries<T>(sim: Simulation, options: Required<RetryOptions>, attempt: (n: number) => Promise<T>, onRetry?: (error: KafkaJSError, n: number) => void): Promise<T> {
  const start = sim.now;
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!(error instanceof KafkaJSError) || !error.retriable) throw error;
      if (n >= options.retries) throw new KafkaJSNumberOfRetriesExceeded(error, n, sim.now - start);
      onRetry?.(error, n);
      const base = Math.min(options.maxRetryTime, options.initialRetryTime * options.multiplier ** n);
      const wait = Math.min(options.maxRetryTime, base * (1 - options.factor + 2 * options.factor * sim.random.next()));
      await sim.sleep(Math.round(wait));
    }
  }
}
