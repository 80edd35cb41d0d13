// The build-challenge framework (issue 20): stages in order, every case run, shrinking of the
// first failing case, a throw as a failed case, deterministic and bounded reports, hints.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ConfigError, DISPLAY, Random, Simulation } from "sde-lab";
import { defineBuildChallenge, type CheckCase, type FaultSpec } from "../../../src/lab/challenges/build";

type Max = (xs: readonly number[]) => number;

/** Faults of the toy: "negatives" turns the input negative; "noise" is harmless (the shrinker must drop it). */
const negatives: FaultSpec = { kind: "negatives", label: "every number is negative", at: 5 };
const noise: FaultSpec = { kind: "noise", label: "a harmless note in the trace", at: 1 };

function input(c: CheckCase): number[] {
  const random = new Random(c.seed);
  const xs = Array.from({ length: c.size }, () => random.int(1, 100));
  return c.faults.some((f) => f.kind === "negatives") ? xs.map((x) => -x) : xs;
}

/** Runs the toy inside a simulation so the report has a trace to draw. */
async function judge(solution: Max, c: CheckCase) {
  const sim = new Simulation({ seed: c.seed });
  const xs = input(c);
  let got = Number.NaN;
  await sim.run(async () => {
    for (const [i, x] of xs.entries()) {
      await sim.sleep(1);
      sim.trace.record("request", "checker", "max", `push #${i} = ${x}`);
    }
    for (const f of c.faults) sim.trace.record("fault", "checker", "max", f.label);
    got = solution(xs);
    sim.trace.record("response", "max", "checker", `answer ${got}`);
  });
  const want = Math.max(...xs);
  return got === want ? { ok: true, sim } : { ok: false, sim, invariant: `max of [${xs.join(", ")}] is ${want}, the solution said ${got}`, at: sim.now };
}

let runs = 0;
const maxChallenge = defineBuildChallenge<Max>({
  id: "toy-max",
  title: "The largest number",
  statement: "Write `max(xs)`.",
  hints: { nudge: "Look at every number.", approach: "Keep the best so far.", keyIdea: "Start from the first number, not from zero." },
  validate(solution) {
    if (typeof solution !== "function") throw new ConfigError("toy-max", "solution", solution, "a function");
  },
  stages: [
    {
      name: "works",
      goal: "the largest of a few positive numbers",
      cases: Array.from({ length: 5 }, (_, i) => ({ seed: i + 1, faults: [], size: 6 })),
      run: (s, c) => (runs++, judge(s, c)),
    },
    {
      name: "survives negatives",
      goal: "the largest number, even when all are negative",
      minSize: 1,
      cases: () => Array.from({ length: 20 }, (_, i) => ({ seed: 100 + i, size: 12, faults: i % 2 === 0 ? [noise, negatives, noise] : [noise] })),
      run: (s, c) => (runs++, judge(s, c)),
    },
    {
      name: "any input",
      goal: "agrees with Math.max on any non-empty array",
      async property(s) {
        const r = await fc.check(fc.property(fc.array(fc.integer(), { minLength: 1, maxLength: 20 }), (xs) => s(xs) === Math.max(...xs)), { seed: 7, numRuns: 200 });
        return r.failed ? { ok: false, runs: r.numRuns, counterexample: `xs = ${JSON.stringify(r.counterexample?.[0])}`, invariant: "the answer differs from the largest element" } : { ok: true, runs: r.numRuns };
      },
    },
  ],
});

const reference: Max = (xs) => xs.reduce((a, b) => (b > a ? b : a));

describe("build challenges", () => {
  it("pass a correct solution with the contract's headline and a stage line per stage", async () => {
    const report = await maxChallenge.check(reference);
    expect(report.passed).toBe(true);
    expect(report.headline).toBe("Challenge toy-max: PASSED (3 of 3 stages, 225 cases)");
    const plain = report[DISPLAY]()["text/plain"]!.split("\n");
    expect(plain[0]).toBe(report.headline);
    expect(plain.slice(1, 4)).toEqual(["  stage 1 of 3, works: passed (5 cases)", "  stage 2 of 3, survives negatives: passed (20 cases)", "  stage 3 of 3, any input: passed (200 cases)"]);
  });

  it("stop at the first failing stage, count every case of it, and mark later stages not run", async () => {
    const report = await maxChallenge.check(() => 0);
    expect(report.passed).toBe(false);
    expect(report.headline).toBe("Challenge toy-max: FAILED at stage 1 of 3, works (5 of 5 cases failed)");
    expect(report.stages.map((s) => [s.ran, s.passed])).toEqual([[true, false], [false, false], [false, false]]);
    expect(report[DISPLAY]()["text/plain"]).toContain("  stage 3 of 3, any input: not run");
  });

  it("shrink the first failing case: irrelevant faults dropped, size down to minSize", async () => {
    const clampsAtZero: Max = (xs) => Math.max(0, ...xs);
    const report = await maxChallenge.check(clampsAtZero);
    expect(report.headline).toBe("Challenge toy-max: FAILED at stage 2 of 3, survives negatives (10 of 20 cases failed)");
    const f = report.stages[1]!.failure!;
    expect(f.case).toEqual({ seed: 100, size: 1, faults: [negatives] });
    expect(f.invariant).toMatch(/^max of \[-\d+\] is -\d+, the solution said 0$/);
    // The diagram is that (shrunk) run's trace.
    expect(f.sequence).toMatch(/^sequenceDiagram/);
    expect(f.sequence).toContain("every number is negative");
    expect(f.sequence).toContain("answer 0");
    const md = report[DISPLAY]()["text/markdown"]!;
    expect(md).toContain("```mermaid");
    expect(md).toContain("**Smallest failing case:** seed 100, size 1, faults: every number is negative");
  });

  it("shrink only to a case that fails the same kind of way, when the run names kinds", async () => {
    // A solution whose state leaks between runs can fail a rerun for another reason; the
    // report must keep the failure the check found, not swap in that one.
    const toy = (smallKind: string | undefined) =>
      defineBuildChallenge<Max>({
        id: "toy-kinds",
        title: "Kinds",
        statement: "Write `max(xs)`.",
        hints: { nudge: "a", approach: "b", keyIdea: "c" },
        validate() {},
        stages: [
          { name: "works", goal: "always", cases: [{ seed: 1, faults: [], size: 1 }], run: () => ({ ok: true }) },
          {
            name: "kinds",
            goal: "never",
            minSize: 1,
            cases: Array.from({ length: 20 }, (_, i) => ({ seed: i + 1, faults: [], size: 12 })),
            run: (_s, c) => (c.size >= 12 ? { ok: false, invariant: "the original failure", kind: "memory" } : { ok: false, invariant: "another failure", kind: smallKind }),
          },
        ],
      });
    const other = (await toy(undefined).check((xs) => Math.max(...xs))).stages[1]!.failure!;
    expect([other.case?.size, other.invariant]).toEqual([12, "the original failure"]);
    const same = (await toy("memory").check((xs) => Math.max(...xs))).stages[1]!.failure!;
    expect([same.case?.size, same.invariant]).toEqual([1, "another failure"]);
  });

  it("bound the shrinker's runs, so a failing check stays fast", async () => {
    runs = 0;
    await maxChallenge.check((xs) => Math.max(0, ...xs));
    // 5 + 20 cases, then at most 24 shrink runs.
    expect(runs).toBeGreaterThan(25);
    expect(runs).toBeLessThanOrEqual(25 + 24);
  });

  it("report a fast-check stage's shrunk counterexample", async () => {
    // Wrong only for arrays that contain a value ≥ 1000 (the cases never do; fast-check finds it).
    const report = await maxChallenge.check((xs) => Math.max(...xs.map((x) => Math.min(x, 999))));
    expect(report.headline).toBe("Challenge toy-max: FAILED at stage 3 of 3, any input (1 of 200 cases failed)".replace("200", String(report.stages[2]!.cases)));
    expect(report.stages[2]!.failure!.counterexample).toBe("xs = [1000]");
  });

  it("treat a throwing solution as a failed case whose sentence is the error", async () => {
    const report = await maxChallenge.check(() => {
      throw new Error("not implemented yet: write max(xs)");
    });
    expect(report.headline).toBe("Challenge toy-max: FAILED at stage 1 of 3, works (5 of 5 cases failed)");
    expect(report.stages[0]!.failure!.invariant).toBe("the solution threw Error: not implemented yet: write max(xs)");
  });

  it("give the same report for the same code, and keep it under 20 KB", async () => {
    const wrong: Max = (xs) => Math.max(0, ...xs);
    const a = (await maxChallenge.check(wrong))[DISPLAY]();
    const b = (await maxChallenge.check(wrong))[DISPLAY]();
    expect(a).toEqual(b);
    for (const text of Object.values(a)) expect(Buffer.byteLength(text)).toBeLessThan(20_000);
  });

  it("draw a bounded window of a long trace around the failure", async () => {
    const long = defineBuildChallenge<Max>({
      ...specOf(maxChallenge),
      stages: [
        { name: "long", goal: "g", minSize: 500, cases: [{ seed: 1, size: 500, faults: [] }], run: (s, c) => judge(s, c) },
        { name: "unused", goal: "g", cases: [{ seed: 1, size: 1, faults: [] }], run: (s, c) => judge(s, c) },
      ],
    });
    const f = (await long.check(() => -1)).stages[0]!.failure!;
    expect(f.case!.size).toBe(500);
    const arrows = f.sequence!.split("\n").filter((l) => l.includes(">>"));
    expect(arrows.length).toBeLessThanOrEqual(24);
    // The window ends at the failure: the answer is drawn, the first pushes are not.
    expect(f.sequence).toContain("answer -1");
    expect(f.sequence).not.toContain("push #0 ");
  });

  it("give hints one level at a time, as markdown", () => {
    expect(maxChallenge.hint(1)).toBe("Hint 1 of 3 (nudge)\n\nLook at every number.");
    expect(maxChallenge.hint(3)).toContain("Start from the first number");
    expect(() => maxChallenge.hint(4 as 1)).toThrow(ConfigError);
  });

  it("reject a solution of the wrong shape before anything runs", async () => {
    runs = 0;
    await expect(maxChallenge.check(42 as unknown as Max)).rejects.toThrow(ConfigError);
    expect(runs).toBe(0);
  });

  it("reject a malformed spec with a ConfigError naming the field", () => {
    const base = specOf(maxChallenge);
    expect(() => defineBuildChallenge({ ...base, id: "Not Kebab" })).toThrow(/id/);
    expect(() => defineBuildChallenge({ ...base, stages: [base.stages[0]!] })).toThrow(/2 to 4 stages/);
    const fewFaultCases = { name: "f", goal: "g", cases: [{ seed: 1, size: 1, faults: [negatives] }], run: () => ({ ok: true }) };
    expect(() => defineBuildChallenge({ ...base, stages: [base.stages[0]!, fewFaultCases] })).toThrow(/at least 20 cases/);
    expect(() => defineBuildChallenge({ ...base, hints: { ...base.hints, keyIdea: " " } })).toThrow(/hints.keyIdea/);
  });
});

/** A spec to vary in the tests (the public challenge does not expose its run functions). */
function specOf(_c: typeof maxChallenge) {
  return {
    id: "toy-max",
    title: "The largest number",
    statement: "Write `max(xs)`.",
    hints: { nudge: "a", approach: "b", keyIdea: "c" },
    stages: [
      { name: "works", goal: "g", cases: [{ seed: 1, size: 3, faults: [] }], run: (s: Max, c: CheckCase) => judge(s, c) },
      { name: "again", goal: "g", cases: [{ seed: 2, size: 3, faults: [] }], run: (s: Max, c: CheckCase) => judge(s, c) },
    ],
  };
}
