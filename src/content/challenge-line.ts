/**
 * Reads challenge verdicts from cell output. A challenge report's plain text starts with
 * `Challenge <id>: PASSED (...)` or `Challenge <id>: FAILED (...)` (docs/authoring.md). Pure.
 */

/** The id of the first challenge reported PASSED in these output texts, if any. */
export function passedChallenge(texts: readonly string[]): string | undefined {
  for (const text of texts) {
    for (const line of text.split("\n")) {
      const match = /^Challenge ([a-z0-9]+(?:-[a-z0-9]+)*): PASSED\b/.exec(line);
      if (match) return match[1];
    }
  }
  return undefined;
}

/** One stage of a build challenge as its report's plain text states it. */
export interface StageLine {
  readonly name: string;
  readonly passed: boolean;
  /** False when an earlier stage failed and this one was not run. */
  readonly ran: boolean;
}

/** One challenge verdict read from output text: its id, the verdict and, for build challenges, each stage. */
export interface ChallengeVerdict {
  readonly id: string;
  readonly passed: boolean;
  /** Empty for a knob challenge (its report has no stage lines). */
  readonly stages: readonly StageLine[];
}

const HEADLINE = /^Challenge ([a-z0-9]+(?:-[a-z0-9]+)*): (PASSED|FAILED)\b/;
// `  stage 2 of 3, survives crashes: failed (5 of 24 cases)` (BuildCheckReport.stageLines).
const STAGE = /^ {2}stage (\d+) of (\d+), (.+): (passed|failed|not run)\b/;

/** Every challenge verdict in these output texts, in order, with its stage lines. Pure. */
export function challengeVerdicts(texts: readonly string[]): ChallengeVerdict[] {
  const verdicts: { id: string; passed: boolean; stages: StageLine[] }[] = [];
  for (const text of texts) {
    let current: { id: string; passed: boolean; stages: StageLine[] } | undefined;
    for (const line of text.split("\n")) {
      const head = HEADLINE.exec(line);
      if (head) {
        current = { id: head[1]!, passed: head[2] === "PASSED", stages: [] };
        verdicts.push(current);
        continue;
      }
      const stage = current ? STAGE.exec(line) : null;
      if (current && stage && Number(stage[1]) === current.stages.length + 1) {
        current.stages.push({ name: stage[3]!, passed: stage[4] === "passed", ran: stage[4] !== "not run" });
      } else if (!stage) current = undefined;
    }
  }
  return verdicts;
}
