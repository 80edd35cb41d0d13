// The seeded case generators of the crash-point build challenges: moving them onto one shared
// generator (seeded-cases.ts) must not change a single case. The fixture holds every case of
// every case stage as the code before that move generated them (same seeds, same fault
// schedules, same labels), written once and never regenerated.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";
import type * as BuildModule from "../../../src/lab/challenges/build";
import type { BuildChallengeSpec, CaseStage, CheckCase } from "../../../src/lab/challenges/build";

const specs = vi.hoisted(() => new Map<string, unknown>());
vi.mock("../../../src/lab/challenges/build", async (importOriginal) => {
  const build = await importOriginal<typeof BuildModule>();
  return {
    ...build,
    defineBuildChallenge: <S>(spec: BuildChallengeSpec<S>) => {
      specs.set(spec.id, spec);
      return build.defineBuildChallenge(spec);
    },
  };
});

const IDS = ["at-most-once", "at-least-once", "kafka-vs-rabbitmq", "exactly-once", "two-phase-commit"] as const;
const FIXTURE = fileURLToPath(new URL("../../fixtures/challenge-cases/crash-point-cases.json", import.meta.url));

async function generated(): Promise<Record<string, CheckCase[][]>> {
  await import("sde-lab/challenges");
  const out: Record<string, CheckCase[][]> = {};
  for (const id of IDS) {
    const spec = specs.get(id) as BuildChallengeSpec<unknown> | undefined;
    if (!spec) throw new Error(`${id} was not defined through defineBuildChallenge`);
    out[id] = spec.stages.filter((s): s is CaseStage<unknown> => "cases" in s).map((s) => [...(typeof s.cases === "function" ? s.cases() : s.cases)]);
  }
  return out;
}

describe("crash-point challenges' cases", () => {
  it("are the cases the code generated before the shared generator, case for case", async () => {
    const now = await generated();
    const before = JSON.parse(readFileSync(FIXTURE, "utf8")) as Record<string, CheckCase[][]>;
    expect(Object.keys(before)).toEqual([...IDS]);
    for (const id of IDS) {
      expect(now[id]!.flat().length, id).toBeGreaterThan(40);
      // Every seed, size, fault, label and parameter, stage by stage (key order aside).
      expect(now[id], id).toStrictEqual(before[id]);
    }
  });
});
