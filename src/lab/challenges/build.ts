/**
 * Build challenges (issue 20): the learner writes a pattern's core against a small interface,
 * and the checker attacks it stage by stage, CodeCrafters style (works → survives faults →
 * holds at scale), the way Maelstrom attacks a Gossip Glomers node: every stage runs the
 * solution over generated cases (seed × fault schedule × size) or over fast-check inputs,
 * and judges invariants, not sample outputs.
 *
 * On a failing stage the first failing case is shrunk (faults dropped one at a time while it
 * still fails, then smaller sizes down to the stage's `minSize`, within a fixed number of
 * runs) and the report shows the smallest case found, the one sentence naming the invariant
 * that broke, and that run's trace as a Mermaid sequence diagram. Nothing here reads a wall
 * clock or an unseeded RNG: the same code gives the same report.
 *
 * The report's plain text is machine-readable for progress tracking and `sde-lab check`:
 *
 * ```text
 * Challenge retry: FAILED at stage 2 of 3, survives faults (5 of 24 cases failed)
 *   stage 1 of 3, works: passed (20 cases)
 *   stage 2 of 3, survives faults: failed (5 of 24 cases)
 *   stage 3 of 3, holds at scale: not run
 * ```
 */
import { ConfigError, DISPLAY, display, mermaid, table, type Displayable, type MimeBundle, type Simulation } from "sde-lab";

/** One fault in a case's schedule; one item per fault so the shrinker can drop it. */
export interface FaultSpec {
  /** Machine-readable kind the stage's run() understands: "crash", "partition", "loss", "latency", "reorder", "crash-point", ... */
  readonly kind: string;
  /** Words for the report: "crash the consumer between commit() and the offset commit". */
  readonly label: string;
  /** Virtual time (ms) or step index where it strikes, when that applies. */
  readonly at?: number;
  /** Node / step / message it targets, when that applies. */
  readonly target?: string;
  /** Extra parameters for run(). */
  readonly params?: Readonly<Record<string, number | string | boolean>>;
}

/** One attack: a seed, a fault schedule and a load size. Deterministic: same case, same run. */
export interface CheckCase {
  readonly seed: number;
  readonly faults: readonly FaultSpec[];
  /** Load (requests, messages, keys, nodes…); the shrinker tries smaller sizes ≥ minSize. */
  readonly size: number;
}

/** What one run of the learner's code on one case gave. */
export interface CaseOutcome {
  readonly ok: boolean;
  /** On failure: ONE sentence naming the invariant that broke, with the numbers
   *  ("order-7 was charged twice after the consumer restarted"). */
  readonly invariant?: string;
  /** The run's simulation, so the report can draw its trace as a sequence diagram. */
  readonly sim?: Simulation;
  /**
   * Virtual time (ms) at which the invariant broke, when known: the diagram is drawn around
   * it. Without it the diagram is drawn around the case's first timed fault, else from the start.
   */
  readonly at?: number;
  /**
   * On failure, what kind of failure this is, when a run tells several apart. The shrinker
   * keeps a smaller case only if it fails with the same kind, so a solution whose state
   * leaks from one run into the next cannot turn the report into a different failure.
   */
  readonly kind?: string;
}

/** A stage that runs the learner's code over generated cases (seeds × fault schedules). */
export interface CaseStage<S> {
  /** Short name: "works", "survives crashes", "holds at scale". */
  readonly name: string;
  /** One line: what must hold. */
  readonly goal: string;
  /** ≥ 20 cases for any stage that injects faults; generated deterministically. */
  readonly cases: readonly CheckCase[] | (() => readonly CheckCase[]);
  /** Smallest size the shrinker may try (default 1). */
  readonly minSize?: number;
  run(solution: S, c: CheckCase): Promise<CaseOutcome> | CaseOutcome;
}

/** A stage for a pure part, checked with fast-check (the stage shrinks with fast-check itself). */
export interface PropertyStage<S> {
  readonly name: string;
  readonly goal: string;
  /** Returns ok, how many inputs ran, and on failure the shrunk counterexample in words. */
  property(solution: S): Promise<{ ok: boolean; runs: number; counterexample?: string; invariant?: string }>;
}

/** A stage of a build challenge: generated cases, or a fast-check property. */
export type BuildStage<S> = CaseStage<S> | PropertyStage<S>;

/** Three hint levels, shown one at a time when asked; NONE may contain answer code. */
export interface Hints {
  /** Level 1: where to look. */
  readonly nudge: string;
  /** Level 2: the shape of a solution, in words. */
  readonly approach: string;
  /** Level 3: the one idea that makes the hard stage pass, still without code. */
  readonly keyIdea: string;
}

/** Everything that defines a build challenge. */
export interface BuildChallengeSpec<S> {
  /** Catalog id of the pattern. */
  readonly id: string;
  readonly title: string;
  /** Markdown: what to build, the interface to implement (TS signature), what the checker attacks. */
  readonly statement: string;
  /** 2–4 stages, CodeCrafters style: works → survives faults → holds at scale / edge case. */
  readonly stages: readonly BuildStage<S>[];
  readonly hints: Hints;
  /** Throws ConfigError for a solution of the wrong shape (before anything runs). */
  validate?(solution: S): void;
}

/** One stage's outcome. */
export interface StageResult {
  readonly name: string;
  readonly passed: boolean;
  /** False: an earlier stage failed, so this one was not run. */
  readonly ran: boolean;
  /** Cases run (inputs, for a property stage). */
  readonly cases: number;
  /** Cases that failed (1 for a failed property stage: fast-check stops at the first). */
  readonly failed: number;
  /** Smallest failing case after shrinking, its invariant sentence and trace (Mermaid sequence). */
  readonly failure?: { readonly case?: CheckCase; readonly counterexample?: string; readonly invariant: string; readonly sequence?: string };
}

/** Report: renders as a compact per-stage table + failure (shrunk case, one sentence, sequence diagram).
 *  Plain-text first line: `Challenge <id>: PASSED (3 of 3 stages, 64 cases)` or
 *  `Challenge <id>: FAILED at stage 2 of 3, survives crashes (5 of 24 cases failed)`. */
export interface BuildReport {
  readonly id: string;
  readonly passed: boolean;
  readonly stages: readonly StageResult[];
  readonly headline: string;
}

/** A build challenge ready to check solutions. */
export interface BuildChallenge<S> {
  readonly id: string;
  readonly title: string;
  readonly statement: string;
  readonly stages: readonly { name: string; goal: string }[];
  /** Runs stages in order; stops at the first failing stage; never throws for a failing or throwing
   *  solution (a throw is a failed case with the error as the invariant sentence). */
  check(solution: S): Promise<BuildCheckReport>;
  /** Hint level 1, 2 or 3 (as markdown). */
  hint(level: 1 | 2 | 3): string;
}

/** Limits of the shrinker and the rendering, in one place. */
export const BUILD_CHECK_LIMITS = {
  /** Runs the shrinker may spend on one failing case (keeps a check well under its 3 s budget). */
  shrinkRuns: 24,
  /** Trace events drawn in the failure's sequence diagram. */
  diagramEvents: 24,
  /** Events drawn before the failure point, when the diagram is centred on one. */
  eventsBefore: 16,
  /** Longest invariant sentence shown (a thrown error's message can be long). */
  sentenceChars: 400,
  /** Fewest cases in a stage that injects faults. */
  faultCases: 20,
} as const;

function isPropertyStage<S>(stage: BuildStage<S>): stage is PropertyStage<S> {
  return typeof (stage as PropertyStage<S>).property === "function";
}

/** Builds a build challenge from its spec, validating the spec itself. */
export function defineBuildChallenge<S>(spec: BuildChallengeSpec<S>): BuildChallenge<S> {
  const where = "defineBuildChallenge";
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(spec.id)) throw new ConfigError(where, "id", spec.id, "kebab-case");
  if (spec.stages.length < 2 || spec.stages.length > 4) throw new ConfigError(where, "stages", spec.stages.length, "2 to 4 stages");
  for (const [i, stage] of spec.stages.entries()) {
    if (!stage.name || !stage.goal) throw new ConfigError(where, `stages[${i}]`, stage.name, "a stage with a name and a goal");
    if (!isPropertyStage(stage) && typeof stage.run !== "function") throw new ConfigError(where, `stages[${i}].run`, stage.run, "a function (or a property stage)");
    if (!isPropertyStage(stage) && Array.isArray(stage.cases)) validateCases(spec.id, i, stage.cases);
  }
  for (const key of ["nudge", "approach", "keyIdea"] as const) {
    if (typeof spec.hints?.[key] !== "string" || spec.hints[key].trim() === "") throw new ConfigError(where, `hints.${key}`, spec.hints?.[key], "a non-empty markdown string");
  }
  return {
    id: spec.id,
    title: spec.title,
    statement: spec.statement,
    stages: spec.stages.map((s) => ({ name: s.name, goal: s.goal })),
    async check(solution: S): Promise<BuildCheckReport> {
      spec.validate?.(solution);
      const results: StageResult[] = [];
      let failed = false;
      for (const [i, stage] of spec.stages.entries()) {
        if (failed) {
          results.push({ name: stage.name, passed: false, ran: false, cases: 0, failed: 0 });
          continue;
        }
        const result = isPropertyStage(stage) ? await runPropertyStage(stage, solution) : await runCaseStage(spec.id, i, stage, solution);
        results.push(result);
        failed = !result.passed;
      }
      showFailingRun(spec.id, results);
      return new BuildCheckReport(spec.id, spec.title, spec.stages.map((s) => s.goal), results);
    },
    hint(level: 1 | 2 | 3): string {
      if (level !== 1 && level !== 2 && level !== 3) throw new ConfigError(`challenges["${spec.id}"].hint`, "level", level, "1, 2 or 3");
      const text = level === 1 ? spec.hints.nudge : level === 2 ? spec.hints.approach : spec.hints.keyIdea;
      const label = level === 1 ? "nudge" : level === 2 ? "approach" : "the key idea";
      // Plain text: VS Code shows a collapsed cell as its first source line, asterisks and all.
      return `Hint ${level} of 3 (${label})\n\n${text}`;
    },
  };
}

function validateCases(id: string, stage: number, cases: readonly CheckCase[]): void {
  const where = `defineBuildChallenge("${id}")`;
  if (cases.length === 0) throw new ConfigError(where, `stages[${stage}].cases`, cases.length, "at least one case");
  if (cases.some((c) => c.faults.length > 0) && cases.length < BUILD_CHECK_LIMITS.faultCases) {
    throw new ConfigError(where, `stages[${stage}].cases`, cases.length, `at least ${BUILD_CHECK_LIMITS.faultCases} cases in a stage that injects faults`);
  }
  for (const c of cases) {
    if (!Number.isInteger(c.size) || c.size < 0) throw new ConfigError(where, `stages[${stage}].cases[].size`, c.size, "a whole number ≥ 0");
  }
}

/** One case run; a throw (from the solution or the stage) is a failed case whose sentence is the error. */
async function runCase<S>(stage: CaseStage<S>, solution: S, c: CheckCase): Promise<CaseOutcome> {
  try {
    const outcome = await stage.run(solution, c);
    if (outcome.ok) return outcome;
    return { ...outcome, invariant: outcome.invariant ?? "the stage's invariant did not hold (the stage gave no sentence)" };
  } catch (error) {
    return { ok: false, invariant: `the solution threw ${describeError(error)}` };
  }
}

async function runCaseStage<S>(id: string, index: number, stage: CaseStage<S>, solution: S): Promise<StageResult> {
  const cases = typeof stage.cases === "function" ? stage.cases() : stage.cases;
  validateCases(id, index, cases);
  let failures = 0;
  let first: { c: CheckCase; outcome: CaseOutcome } | undefined;
  for (const c of cases) {
    const outcome = await runCase(stage, solution, c);
    if (!outcome.ok) {
      failures++;
      first ??= { c, outcome };
    }
  }
  if (!first) return { name: stage.name, passed: true, ran: true, cases: cases.length, failed: 0 };
  const shrunk = await shrink(stage, solution, first.c, first.outcome);
  const result: StageResult = {
    name: stage.name,
    passed: false,
    ran: true,
    cases: cases.length,
    failed: failures,
    failure: { case: shrunk.c, invariant: sentence(shrunk.outcome.invariant!), sequence: sequenceOf(shrunk.c, shrunk.outcome) },
  };
  if (shrunk.outcome.sim) failingRuns.set(result, shrunk.outcome.sim);
  return result;
}

/** The simulation of each failed stage's smallest failing case, for its replay (kept off the public result type). */
const failingRuns = new WeakMap<StageResult, Simulation>();

/**
 * Shows the failing case's run as a replay while the check cell runs, so the learner can watch
 * it; the report stays the cell's last output (tools and tests read the verdict there). Only
 * inside a kernel: in plain Node `display` would print the replay's summary to the console.
 */
function showFailingRun(id: string, results: readonly StageResult[]): void {
  if (!(globalThis as { [k: symbol]: unknown })[Symbol.for("sde-lab.displaySink")]) return;
  const failed = results.find((r) => r.ran && !r.passed);
  const sim = failed && failingRuns.get(failed);
  // A run that traced nothing (a pure function under test) has nothing to watch.
  if (!sim || !failed.failure?.case || sim.trace.events.length === 0) return;
  display(sim.replay({ title: `Challenge ${id}: the smallest failing case, ${describeCase(failed.failure.case)}` }));
}

async function runPropertyStage<S>(stage: PropertyStage<S>, solution: S): Promise<StageResult> {
  try {
    const r = await stage.property(solution);
    if (r.ok) return { name: stage.name, passed: true, ran: true, cases: r.runs, failed: 0 };
    const invariant = sentence(r.invariant ?? (r.counterexample ? `the property failed for ${r.counterexample}` : "the property failed"));
    return { name: stage.name, passed: false, ran: true, cases: r.runs, failed: 1, failure: { counterexample: r.counterexample, invariant } };
  } catch (error) {
    return { name: stage.name, passed: false, ran: true, cases: 1, failed: 1, failure: { invariant: sentence(`the solution threw ${describeError(error)}`) } };
  }
}

/**
 * Makes a failing case smaller while it still fails: first drops faults one at a time, then
 * tries sizes from `minSize` upwards (the smallest failing size wins), then drops faults once
 * more (a smaller load may need fewer of them). Spends at most `shrinkRuns` runs.
 */
async function shrink<S>(stage: CaseStage<S>, solution: S, start: CheckCase, outcome: CaseOutcome): Promise<{ c: CheckCase; outcome: CaseOutcome }> {
  let best = { c: start, outcome };
  let budget: number = BUILD_CHECK_LIMITS.shrinkRuns;
  const attempt = async (c: CheckCase): Promise<boolean> => {
    if (budget <= 0) return false;
    budget--;
    const o = await runCase(stage, solution, c);
    if (o.ok || o.kind !== outcome.kind) return false;
    best = { c, outcome: o };
    return true;
  };
  const dropFaults = async () => {
    for (let i = 0; i < best.c.faults.length && budget > 0; ) {
      const faults = best.c.faults.filter((_, j) => j !== i);
      if (!(await attempt({ ...best.c, faults }))) i++;
    }
  };
  await dropFaults();
  const minSize = Math.max(0, stage.minSize ?? 1);
  if (best.c.size > minSize) {
    // Ascending candidates: minSize, then doubling, so the first failure found is small.
    const sizes: number[] = [];
    for (let s = minSize; s < best.c.size; s = Math.max(s + 1, s * 2)) sizes.push(s);
    let lastPass = -1;
    for (const size of sizes) {
      if (budget <= 0) break;
      if (await attempt({ ...best.c, size })) break;
      lastPass = size;
    }
    // Narrow between the last passing size and the failing one (bisection).
    let lo = lastPass;
    while (budget > 0 && lo >= minSize && best.c.size - lo > 1) {
      const mid = Math.floor((lo + best.c.size) / 2);
      if (!(await attempt({ ...best.c, size: mid }))) lo = mid;
    }
    await dropFaults();
  }
  return best;
}

/** The failing run's trace as Mermaid sequence source, a short window around the failure. */
function sequenceOf(c: CheckCase, outcome: CaseOutcome): string | undefined {
  const sim = outcome.sim;
  if (!sim) return undefined;
  const events = sim.trace.events;
  const limit = BUILD_CHECK_LIMITS.diagramEvents;
  const pivot = outcome.at ?? c.faults.map((f) => f.at).find((t): t is number => typeof t === "number" && Number.isFinite(t) && t >= 0);
  let startIndex = 0;
  if (pivot !== undefined && events.length > limit) {
    const firstAfter = events.findIndex((e) => e.time >= pivot);
    const anchor = firstAfter < 0 ? events.length : firstAfter;
    startIndex = Math.max(0, Math.min(anchor - BUILD_CHECK_LIMITS.eventsBefore, events.length - limit));
  }
  // An empty diagram says nothing: leave it out (the sentence and the case remain).
  if (events.length === 0) return undefined;
  const from = events[startIndex]!.time;
  // Events before `from` at the same time would be drawn too; skip them with a filter on identity.
  const window = new Set(events.slice(startIndex, startIndex + limit));
  return sim.trace.diagram({ limit, filter: (e) => window.has(e), title: `seed ${c.seed}, from ${from} ms` });
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** One sentence, bounded: the first line of the text, cut at the limit. */
function sentence(text: string): string {
  const line = text.split("\n")[0]!.trim();
  const max = BUILD_CHECK_LIMITS.sentenceChars;
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** A case in words: "seed 7, size 3, faults: crash orders at 120 ms; drop 10% of messages". */
export function describeCase(c: CheckCase): string {
  const faults = c.faults.length === 0 ? "no faults" : `faults: ${c.faults.map((f) => f.label).join("; ")}`;
  return `seed ${c.seed}, size ${c.size}, ${faults}`;
}

/** The verdict of {@link BuildChallenge.check}: a per-stage table plus, on failure, the shrunk case. */
export class BuildCheckReport implements BuildReport, Displayable {
  readonly passed: boolean;
  constructor(
    readonly id: string,
    readonly title: string,
    /** Goal of each stage, in order (for the table). */
    readonly goals: readonly string[],
    readonly stages: readonly StageResult[],
  ) {
    this.passed = stages.every((s) => s.passed);
  }

  /** Cases run over all stages. */
  get cases(): number {
    return this.stages.reduce((n, s) => n + s.cases, 0);
  }

  /** Stages passed, counted from the first. */
  get stagesPassed(): number {
    const i = this.stages.findIndex((s) => !s.passed);
    return i < 0 ? this.stages.length : i;
  }

  /** The failed stage, if any. */
  get failedStage(): StageResult | undefined {
    return this.stages.find((s) => s.ran && !s.passed);
  }

  /** First line of the plain form; progress tracking, the walkthrough and tests read it. */
  get headline(): string {
    const n = this.stages.length;
    if (this.passed) return `Challenge ${this.id}: PASSED (${n} of ${n} stages, ${this.cases} cases)`;
    const i = this.stagesPassed;
    const s = this.stages[i]!;
    return `Challenge ${this.id}: FAILED at stage ${i + 1} of ${n}, ${s.name} (${s.failed} of ${s.cases} cases failed)`;
  }

  /** One machine-readable line per stage: `  stage 2 of 3, survives crashes: failed (5 of 24 cases)`. */
  get stageLines(): string[] {
    const n = this.stages.length;
    return this.stages.map((s, i) => {
      const verdict = !s.ran ? "not run" : s.passed ? `passed (${s.cases} cases)` : `failed (${s.failed} of ${s.cases} cases)`;
      return `  stage ${i + 1} of ${n}, ${s.name}: ${verdict}`;
    });
  }

  [DISPLAY](): MimeBundle {
    const rows = this.stages.map((s, i) => ({
      stage: `${i + 1}. ${s.name}`,
      goal: this.goals[i] ?? "",
      cases: s.ran ? (s.passed ? `${s.cases}` : `${s.failed} of ${s.cases} failed`) : "",
      verdict: !s.ran ? "⏸ not run" : s.passed ? "✅ pass" : "❌ fail",
    }));
    const grid = table(rows, ["stage", "goal", "cases", "verdict"])[DISPLAY]();
    const md: string[] = [this.passed ? `**✅ ${this.title}: all ${this.stages.length} stages pass**` : `**❌ ${this.title}: stage ${this.stagesPassed + 1} of ${this.stages.length} fails**`, "", grid["text/markdown"]!];
    const plain: string[] = [this.headline, ...this.stageLines];
    const f = this.failedStage?.failure;
    if (f) {
      md.push("", `**What broke:** ${escapeMd(f.invariant)}`);
      plain.push(`what broke: ${f.invariant}`);
      if (f.case) {
        md.push("", `**Smallest failing case:** ${escapeMd(describeCase(f.case))}`);
        plain.push(`smallest failing case: ${describeCase(f.case)}`);
      }
      if (f.counterexample) {
        md.push("", `**Smallest counterexample:** ${escapeMd(f.counterexample)}`);
        plain.push(`smallest counterexample: ${f.counterexample}`);
      }
      if (f.sequence) {
        md.push("", "**That run, as a sequence diagram:**", "", mermaid(f.sequence)[DISPLAY]()["text/markdown"]!);
        plain.push("trace (Mermaid):", f.sequence);
      }
      md.push("", `_Stuck? \`challenges["${this.id}"].hint(1)\` gives a nudge; 2 and 3 say more._`);
    }
    return { "text/markdown": md.join("\n"), "text/plain": plain.join("\n") };
  }
}

/** Text that markdown will not read as emphasis or HTML. */
function escapeMd(s: string): string {
  return s.replace(/[\\`*_<>[\]]/g, (c) => `\\${c}`);
}
