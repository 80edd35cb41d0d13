// The seeded case generators of the build challenges: moving them onto one shared generator
// (seeded-cases.ts) must not change a single case. Each fixture holds every case of every case
// stage as the code before that move generated them (same seeds, same sizes, same fault
// schedules, labels and parameters, same order), written once and never regenerated (edited
// only where a label was deliberately fixed: "the 3th commit" reads "the 3rd commit"):
// crash-point-cases.json for the five crash-point challenges, seed-loop-cases.json for the
// other build challenges, whose stages looped over seeds by hand.
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

const CRASH_POINT_IDS = ["at-most-once", "at-least-once", "kafka-vs-rabbitmq", "exactly-once", "two-phase-commit"] as const;
const SEED_LOOP_IDS = [
  "rabbitmq",
  "kafka",
  "client-side-discovery",
  "server-side-discovery",
  "api-gateway",
  "bff",
  "sidecar",
  "timeout",
  "retry-backoff",
  "circuit-breaker",
  "bulkhead",
  "rate-limiting",
  "rest",
  "grpc",
  "graphql",
  "long-polling",
  "websocket",
  "sse",
  "vertical-partitioning",
  "horizontal-sharding",
  "consistent-hashing",
  "saga",
  "cqrs",
  "event-sourcing",
] as const;
const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/challenge-cases/${name}`, import.meta.url));

/** Every case of every case stage of the challenges `ids`, stage by stage, as the code generates them now. */
async function generated(ids: readonly string[]): Promise<Record<string, CheckCase[][]>> {
  await import("sde-lab/challenges");
  const out: Record<string, CheckCase[][]> = {};
  for (const id of ids) {
    const spec = specs.get(id) as BuildChallengeSpec<unknown> | undefined;
    if (!spec) throw new Error(`${id} was not defined through defineBuildChallenge`);
    out[id] = spec.stages.filter((s): s is CaseStage<unknown> => "cases" in s).map((s) => [...(typeof s.cases === "function" ? s.cases() : s.cases)]);
  }
  return out;
}

describe("crash-point challenges' cases", () => {
  it("are the cases the code generated before the shared generator, case for case", async () => {
    const now = await generated(CRASH_POINT_IDS);
    const before = JSON.parse(readFileSync(fixture("crash-point-cases.json"), "utf8")) as Record<string, CheckCase[][]>;
    expect(Object.keys(before)).toEqual([...CRASH_POINT_IDS]);
    for (const id of CRASH_POINT_IDS) {
      expect(now[id]!.flat().length, id).toBeGreaterThan(40);
      // Every seed, size, fault, label and parameter, stage by stage (key order aside).
      expect(now[id], id).toStrictEqual(before[id]);
    }
  });
});

describe("the other build challenges' cases", () => {
  it("are the cases the hand-written seed loops generated, case for case", async () => {
    const now = await generated(SEED_LOOP_IDS);
    const before = JSON.parse(readFileSync(fixture("seed-loop-cases.json"), "utf8")) as Record<string, CheckCase[][]>;
    expect(Object.keys(before)).toEqual([...SEED_LOOP_IDS]);
    for (const id of SEED_LOOP_IDS) {
      expect(before[id]!.length, `${id}: case stages`).toBeGreaterThan(0);
      // Every seed, size, fault, label and parameter, stage by stage (key order aside).
      expect(now[id], id).toStrictEqual(before[id]);
    }
  });
});
