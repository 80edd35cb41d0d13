// `sde-lab check`: runs notebooks up to their check cells and prints each challenge's stages.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { challengeVerdicts } from "../../../src/content/challenge-line";
import { formatPattern } from "../../../src/cli/check";

const root = join(__dirname, "../../..");
const fixtures = join(root, "test/fixtures/cli");

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, "dist/cli.js"), ...args], { encoding: "utf8", cwd: root, timeout: 60_000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe("sde-lab check", () => {
  it("prints each stage and exits 1 when a stage fails, without running cells after the last check", () => {
    const r = cli("check", join(fixtures, "check-fails-stage-2.sdenb"));
    expect(r.code).toBe(1);
    expect(r.out).toContain("  ✗ doubling: 1 of 2 stages\n      1. small numbers            passed\n      2. large numbers            failed\n");
    expect(r.out).toContain("✗ 1 of 1 challenges have a failing stage");
    expect(r.out).not.toContain("cells after the last check");
  });

  it("gives the issue's JSON shape with --json and exits 0 when every stage passes", () => {
    const r = cli("check", "--json", join(fixtures, "check-passes.sdenb"), join(fixtures, "check-fails-stage-2.sdenb"));
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out) as { patterns: { id: string; stages: { name: string; passed: boolean }[] }[] };
    expect(report.patterns.map((p) => [p.id, p.stages])).toEqual([
      ["doubling", [{ name: "small numbers", passed: true }, { name: "large numbers", passed: true }]],
      ["doubling", [{ name: "small numbers", passed: true }, { name: "large numbers", passed: false }]],
    ]);
    const ok = cli("check", join(fixtures, "check-passes.sdenb"));
    expect(ok.code).toBe(0);
    expect(ok.out).toContain("✓ 1 challenges, every stage passed");
  });

  it("refuses bad usage with exit 2", () => {
    expect(cli("check").code).toBe(2);
    expect(cli("check", "--timeout", "soon", join(fixtures, "check-passes.sdenb")).code).toBe(2);
    expect(cli("check", join(fixtures, "does-not-exist.sdenb")).code).toBe(2);
  });
});

describe("challenge verdicts in output text", () => {
  it("read the headline and the stage lines of a build report, and a knob report's headline alone", () => {
    const build = ["Challenge retry-backoff: FAILED at stage 2 of 3, survives faults (5 of 24 cases failed)", "  stage 1 of 3, works: passed (20 cases)", "  stage 2 of 3, survives faults: failed (5 of 24 cases)", "  stage 3 of 3, holds at scale: not run", "what broke: ..."].join("\n");
    expect(challengeVerdicts([build, "Challenge bff: PASSED (3 of 3 targets, seeds 1, 2, 3)\n  stage 1 of 1, x: passed"])).toEqual([
      { id: "retry-backoff", passed: false, stages: [{ name: "works", passed: true, ran: true }, { name: "survives faults", passed: false, ran: true }, { name: "holds at scale", passed: false, ran: false }] },
      { id: "bff", passed: true, stages: [{ name: "x", passed: true, ran: true }] },
    ]);
    expect(challengeVerdicts(["no report here", "  stage 1 of 2, works: passed"])).toEqual([]);
  });

  it("format a failed check cell as one line naming the error", () => {
    expect(formatPattern({ id: "x", file: "f", stages: [], error: "the check cell failed: ConfigError: bad" })).toBe("  ✗ x: the check cell failed: ConfigError: bad\n");
  });
});
