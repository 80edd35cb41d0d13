/**
 * The simulation's side of the differential suite (test/rabbitmq), without a broker: every
 * scenario runs on `new RabbitMQ(sim)` and must produce what RabbitMQ 3.10.8 produced when the
 * scenario was recorded (expected.json). Known differences must still differ, in the
 * recorded way. `npm run test:rabbitmq` runs the same scenarios against a live broker.
 */
import { describe, expect, it } from "vitest";
import { isDeepStrictEqual } from "node:util";
import { runOnSim } from "../../rabbitmq/harness";
import { scenarios } from "../../rabbitmq/scenarios";
import { loadExpected } from "../../rabbitmq/expected";

const expected = loadExpected();

describe("RabbitMQ simulation against recorded RabbitMQ 3.10 outcomes", () => {
  it("has at least 40 scenarios, each recorded", () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(40);
    expect(scenarios.filter((s) => !expected[s.name]).map((s) => s.name)).toEqual([]);
    expect(new Set(scenarios.map((s) => s.name)).size).toBe(scenarios.length);
  });

  for (const s of scenarios) {
    it(s.name, async () => {
      const rec = expected[s.name]!;
      const sim = await runOnSim(s);
      if (s.knownDifference) {
        expect(isDeepStrictEqual(sim, rec.broker), `known difference now agrees with RabbitMQ: ${s.knownDifference.why}`).toBe(false);
        expect(sim).toStrictEqual(rec.sim);
      } else expect(sim).toStrictEqual(rec.broker);
    });
  }
});
