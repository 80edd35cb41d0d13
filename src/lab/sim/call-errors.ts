/**
 * How a client operation ended, as Jepsen and Maelstrom classify it: `ok` (it happened),
 * `fail` (it certainly did not happen) or `info` (unknown: it may have happened). A timeout
 * is `info`; counting it as a failure is how at-least-once duplicates get missed.
 */
import type { Response } from "./http";

/** How a client operation ended. */
export type Outcome = "ok" | "fail" | "info";

/** An error of a simulated call, with its {@link Outcome}. */
export class CallError extends Error {
  override name = "CallError";
  constructor(
    message: string,
    readonly outcome: Outcome,
  ) {
    super(message);
  }
}

/** The caller stopped waiting. The callee may still have done the work: outcome `info`. */
export class TimeoutError extends CallError {
  override name = "TimeoutError";
  constructor(
    readonly target: string,
    readonly timeoutMs: number,
  ) {
    super(`no answer from ${target} within ${timeoutMs} ms`, "info");
  }
}

/** The call was refused before it was sent (e.g. an open circuit): outcome `fail`. */
export class RejectedError extends CallError {
  override name = "RejectedError";
  constructor(message: string) {
    super(message, "fail");
  }
}

/**
 * The outcome of a call that returned `result` or threw it: 2xx–4xx answers are `ok` (the
 * server decided), 5xx are `fail`, a {@link CallError} says its own, anything else is `info`.
 */
export function outcomeOf(result: Response | unknown): Outcome {
  if (result instanceof CallError) return result.outcome;
  if (result && typeof result === "object" && typeof (result as Response).status === "number") {
    return (result as Response).status >= 500 ? "fail" : "ok";
  }
  return "info";
}
