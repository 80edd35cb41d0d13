/**
 * Challenges: a statement, a scenario, numeric targets and a checker, in the spirit of
 * Gossip Glomers / Maelstrom. The learner writes a solution (usually a function that wires
 * the pattern with the public `sde-lab` API); {@link Challenge.check} runs it on the
 * scenario under several seeds and reports, per target, the worst value measured and a
 * verdict, with a hint for every miss.
 *
 * Challenges live in `sde-lab/challenges` and reach the core only through the public
 * `sde-lab` API, so whatever a challenge needs a learner can use too.
 */
import { ConfigError, DISPLAY, type Displayable, type MimeBundle, table } from "sde-lab";

/** How a measured value is compared with a target's value. */
export type Comparison = "<" | "<=" | ">" | ">=" | "==";

/** One numeric goal, e.g. "/home p99 ≤ 50 ms". */
export interface Target<M extends string = string> {
  /** Key of the value in the scenario's measurements. */
  readonly metric: M;
  /** What is measured, in words: "/home p99 while C is slow". */
  readonly label: string;
  readonly op: Comparison;
  readonly value: number;
  /** Unit shown after numbers ("ms", "%", "requests"). */
  readonly unit?: string;
  /** What to try when this target is missed. */
  readonly hint: string;
}

/** Everything that defines a challenge. */
export interface ChallengeSpec<S, M extends string = string> {
  /** Kebab-case; by convention the catalog id of the pattern it practises. */
  readonly id: string;
  readonly title: string;
  /** Markdown (no HTML): what to build and under which conditions. */
  readonly statement: string;
  readonly targets: readonly Target<M>[];
  /** Seeds the scenario runs under. Default {@link DEFAULT_SEEDS}. */
  readonly seeds?: readonly number[];
  /**
   * Runs the scenario with the learner's solution under one seed and returns the measured
   * value of every target's metric. Must be deterministic for a given seed.
   */
  run(solution: S, seed: number): Promise<Readonly<Record<M, number>>> | Readonly<Record<M, number>>;
  /** Rejects a solution of the wrong shape before anything runs (throw a ConfigError). */
  validate?(solution: S): void;
}

/** Seeds used when a challenge names none: three runs, so one lucky seed cannot pass. */
export const DEFAULT_SEEDS: readonly number[] = [1, 2, 3];

/** One target's outcome over all seeds. */
export interface TargetResult {
  readonly target: Target;
  /** The worst value over the seeds (highest for `<`/`<=`, lowest for `>`/`>=`, the one
   * furthest from the value for `==`); `NaN` when the scenario did not report it. */
  readonly measured: number;
  /** Seed that gave {@link measured}. */
  readonly seed: number;
  readonly passed: boolean;
}

/** The checker's verdict; renders as a table (target, measured, verdict) plus hints. */
export class ChallengeReport implements Displayable {
  /** True when every target passed under every seed. */
  readonly passed: boolean;
  constructor(
    readonly id: string,
    readonly title: string,
    readonly seeds: readonly number[],
    readonly results: readonly TargetResult[],
    /** Set when the solution threw instead of running: the seed and the message. */
    readonly error?: { readonly seed: number; readonly message: string },
  ) {
    this.passed = !error && results.every((r) => r.passed);
  }

  /** The targets that were missed. */
  get misses(): readonly TargetResult[] {
    return this.results.filter((r) => !r.passed);
  }

  /** First line of the plain form; tests and the walkthrough read it. */
  get headline(): string {
    if (this.error) return `Challenge ${this.id}: FAILED (the solution threw on seed ${this.error.seed}: ${this.error.message})`;
    const missed = this.misses.length;
    return this.passed
      ? `Challenge ${this.id}: PASSED (${this.results.length} of ${this.results.length} targets, seeds ${this.seeds.join(", ")})`
      : `Challenge ${this.id}: FAILED (${missed} of ${this.results.length} targets missed)`;
  }

  [DISPLAY](): MimeBundle {
    const rows = this.results.map((r) => ({
      target: `${r.target.label} ${r.target.op} ${formatNumber(r.target.value)}${unit(r.target)}`,
      measured: Number.isNaN(r.measured) ? "not reported" : `${formatNumber(r.measured)}${unit(r.target)}`,
      "worst seed": r.seed,
      verdict: r.passed ? "✅ pass" : "❌ miss",
    }));
    const grid = table(rows, ["target", "measured", "worst seed", "verdict"])[DISPLAY]();
    const hints = this.error
      ? [`Fix the error and run the check again: ${this.error.message}`]
      : this.misses.map((r) => `${r.target.label}: ${r.target.hint}`);
    const title = this.passed ? `**✅ ${this.title}: passed** on seeds ${this.seeds.join(", ")}` : `**❌ ${this.title}: not yet**`;
    const markdown = [title, "", grid["text/markdown"]!, ...(hints.length > 0 ? ["", "**Hints**", "", ...hints.map((h) => `- ${h}`)] : [])].join("\n");
    const plain = [this.headline, grid["text/plain"]!, ...hints.map((h) => `hint: ${h}`)].join("\n");
    return { "text/markdown": markdown, "text/plain": plain };
  }
}

/** A challenge ready to check solutions. */
export interface Challenge<S> {
  readonly id: string;
  readonly title: string;
  readonly statement: string;
  readonly targets: readonly Target[];
  readonly seeds: readonly number[];
  /** Runs the solution under every seed; never throws for a failing solution. */
  check(solution: S): Promise<ChallengeReport>;
}

/** For a challenge's `validate`: throws a ConfigError unless the solution's `parameter` is a function. */
export function expectFunction(component: string, parameter: string, value: unknown): void {
  if (typeof value !== "function") throw new ConfigError(component, parameter, value, "a function");
}

/**
 * For a build challenge's `validate`: checks that `solution` is an object holding a function at
 * each of `members`, in order, and returns it. A dotted member (`"kafka.replay"`) is a function
 * of a nested object; a nested object that is missing counts as a solution of the wrong shape.
 *
 * Throws a ConfigError naming the parameter the learner got wrong: `solution` (with the expected
 * shape, e.g. `{ rabbit: { produce }, kafka: { replay } }`, made from `members`) when the solution
 * or one of its nested objects is missing, else the first member that is not a function.
 *
 * @param component - the challenge id, the ConfigError's component
 * @param solution - what the learner passed to `check`
 * @param members - the functions the solution must have, e.g. `["createProjector", "query"]`
 */
export function expectSolution<S>(component: string, solution: S, members: readonly string[]): S {
  const paths = members.map((m) => m.split("."));
  const nested = [...new Set(paths.filter((p) => p.length > 1).map((p) => p[0]!))];
  const record = solution as Record<string, unknown> | null | undefined;
  if (!record || typeof record !== "object" || nested.some((key) => !record[key])) {
    throw new ConfigError(component, "solution", solution, shapeOf(paths));
  }
  for (const path of paths) {
    const value = path.reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], record);
    expectFunction(component, path.join("."), value);
  }
  return solution;
}

/** `[["a"], ["b", "c"], ["b", "d"]]` → `{ a, b: { c, d } }`, the shape a ConfigError shows. */
function shapeOf(paths: readonly (readonly string[])[]): string {
  const heads = [...new Set(paths.map((p) => p[0]!))];
  const parts = heads.map((head) => {
    const inner = paths.filter((p) => p[0] === head && p.length > 1).map((p) => p.slice(1));
    return inner.length > 0 ? `${head}: ${shapeOf(inner)}` : head;
  });
  return `{ ${parts.join(", ")} }`;
}

/** Builds a challenge from its spec, validating the spec itself. */
export function defineChallenge<S, M extends string = string>(spec: ChallengeSpec<S, M>): Challenge<S> {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(spec.id)) throw new ConfigError("defineChallenge", "id", spec.id, "kebab-case");
  if (spec.targets.length === 0) throw new ConfigError("defineChallenge", "targets", spec.targets, "at least one target");
  const seeds = spec.seeds ?? DEFAULT_SEEDS;
  if (seeds.length === 0) throw new ConfigError("defineChallenge", "seeds", seeds, "at least one seed");
  return {
    id: spec.id,
    title: spec.title,
    statement: spec.statement,
    targets: spec.targets,
    seeds,
    async check(solution: S): Promise<ChallengeReport> {
      spec.validate?.(solution);
      const measured: Record<string, number>[] = [];
      for (const seed of seeds) {
        try {
          measured.push({ ...(await spec.run(solution, seed)) });
        } catch (error) {
          const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          return new ChallengeReport(spec.id, spec.title, seeds, [], { seed, message });
        }
      }
      const results = spec.targets.map((target) => worst(target, seeds, measured));
      return new ChallengeReport(spec.id, spec.title, seeds, results);
    },
  };
}

function worst(target: Target, seeds: readonly number[], measured: readonly Record<string, number>[]): TargetResult {
  let pick: TargetResult | undefined;
  seeds.forEach((seed, i) => {
    const value = measured[i]![target.metric];
    const v = typeof value === "number" ? value : Number.NaN;
    const passed = !Number.isNaN(v) && compare(v, target.op, target.value);
    const badness = Number.isNaN(v) ? Infinity : distance(v, target);
    if (!pick || (pick.passed && !passed) || (pick.passed === passed && badness > distance(pick.measured, target))) {
      pick = { target, measured: v, seed, passed };
    }
  });
  return pick!;
}

/** How far a value is on the wrong side of the target (larger is worse). */
function distance(v: number, target: Target): number {
  if (Number.isNaN(v)) return Infinity;
  switch (target.op) {
    case "<":
    case "<=":
      return v;
    case ">":
    case ">=":
      return -v;
    case "==":
      return Math.abs(v - target.value);
  }
}

function compare(v: number, op: Comparison, value: number): boolean {
  switch (op) {
    case "<":
      return v < value;
    case "<=":
      return v <= value;
    case ">":
      return v > value;
    case ">=":
      return v >= value;
    case "==":
      return v === value;
  }
}

function unit(target: Target): string {
  if (!target.unit) return "";
  return target.unit === "%" ? "%" : ` ${target.unit}`;
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString("en-US") : String(Number(n.toPrecision(4)));
}
