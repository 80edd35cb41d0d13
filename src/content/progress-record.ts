/**
 * The learner's progress per pattern, as plain data (kept in the extension's globalState, so
 * it is per user and survives restarts). Pure: the VS Code side is progress-store.ts.
 */
import type { ChallengeVerdict } from "./challenge-line";

/** Things a learner does with a pattern besides its challenge. */
export type Milestone = "read" | "ran" | "snippet" | "diagram";

/** What is done for one pattern. */
export interface PatternProgress {
  /** Its section was shown in a notebook editor. */
  readonly read?: boolean;
  /** A cell of its section ran. */
  readonly ran?: boolean;
  /** Its snippet was inserted. */
  readonly snippet?: boolean;
  /** Its architecture diagram was previewed. */
  readonly diagram?: boolean;
  /** Most stages of its challenge passed in one check (counted from the first). */
  readonly stagesPassed?: number;
  /** Stages its challenge has (from the last report seen). */
  readonly stages?: number;
}

/** Progress of every pattern, keyed by catalog id. */
export type ProgressRecord = Readonly<Record<string, PatternProgress>>;

/** The record with one milestone marked (the same object when it was marked already). */
export function withMilestone(record: ProgressRecord, id: string, milestone: Milestone): ProgressRecord {
  if (record[id]?.[milestone]) return record;
  return { ...record, [id]: { ...record[id], [milestone]: true } };
}

/**
 * The record with a challenge verdict applied: stages passed count from the first (a build
 * report stops at the first failing stage); the best result is kept, a later failing run does
 * not take a passed stage away. A knob challenge counts as one stage.
 */
export function withVerdict(record: ProgressRecord, verdict: ChallengeVerdict): ProgressRecord {
  const stages = verdict.stages.length > 0 ? verdict.stages.length : 1;
  const leading = verdict.stages.length > 0 ? verdict.stages.findIndex((s) => !s.passed) : verdict.passed ? -1 : 0;
  const passed = leading < 0 ? stages : leading;
  const before = record[verdict.id];
  const best = before?.stages === stages ? Math.max(before.stagesPassed ?? 0, passed) : passed;
  if (before?.stages === stages && before.stagesPassed === best) return record;
  return { ...record, [verdict.id]: { ...before, stages, stagesPassed: best } };
}

/** True when every stage of the pattern's challenge has passed. */
export function challengeDone(p: PatternProgress | undefined): boolean {
  return p?.stages !== undefined && p.stages > 0 && p.stagesPassed === p.stages;
}

/** What is done, in words for the Patterns view: "read · ran · diagram · stage 2 of 3". */
export function describeProgress(p: PatternProgress | undefined): string {
  if (!p) return "";
  const parts: string[] = (["read", "ran", "snippet", "diagram"] as const).filter((m) => p[m]).map((m) => (m === "snippet" ? "snippet inserted" : m === "diagram" ? "diagram previewed" : m));
  if (p.stages) parts.push(challengeDone(p) ? `all ${p.stages} stages passed` : `stage ${p.stagesPassed ?? 0} of ${p.stages}`);
  return parts.join(" · ");
}

/** The pattern a notebook cell id belongs to: the longest catalog id equal to it or prefixing `<id>-`. */
export function patternOfCellId(cellId: string | undefined, ids: readonly string[]): string | undefined {
  if (!cellId) return undefined;
  let best: string | undefined;
  for (const id of ids) {
    if ((cellId === id || cellId.startsWith(`${id}-`)) && id.length > (best?.length ?? 0)) best = id;
  }
  return best;
}
