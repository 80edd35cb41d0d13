/**
 * `npm run test:rabbitmq`: every scenario against a real RabbitMQ (AMQP_URL) and the
 * simulation, outcomes compared. With RECORD=1 the broker's outcomes (and the simulation's,
 * for known differences) are written to expected.json, which the unit test
 * (test/unit/lab/rabbitmq-differential.test.ts) checks the simulation against without a broker.
 */
import { writeFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { runOnBroker, runOnSim, type Outcome } from "./harness";
import { scenarios } from "./scenarios";
import { loadExpected, saveExpected, type Recorded } from "./expected";

const url = process.env.AMQP_URL;
const record = process.env.RECORD === "1";
const expected = loadExpected();
const recorded: Record<string, Recorded> = {};
const tally = { agree: 0, known: 0, differ: [] as string[] };
const runId = Math.random().toString(36).slice(2, 8);

describe.skipIf(!url)(`the simulation against RabbitMQ at ${url ?? "(no AMQP_URL)"}`, () => {
  for (const s of scenarios) {
    it(s.name, async () => {
      const broker: Outcome = await runOnBroker(s, url!, runId, scenarios.indexOf(s));
      const sim = await runOnSim(s);
      const same = isDeepStrictEqual(sim, broker);
      if (same) tally.agree++;
      else if (s.knownDifference) tally.known++;
      else tally.differ.push(s.name);
      if (process.env.DIFF_DIR) writeFileSync(`${process.env.DIFF_DIR}/${scenarios.indexOf(s)}.json`, JSON.stringify({ name: s.name, broker, sim }, null, 1));
      if (record) recorded[s.name] = s.knownDifference ? { broker, sim } : { broker };
      else expect(broker, "the broker's outcome changed from the recording in expected.json").toEqual(expected[s.name]?.broker);
      if (s.knownDifference) expect(sim, `a known difference (${s.knownDifference.why}) now agrees: remove knownDifference`).not.toEqual(broker);
      else expect(sim).toEqual(broker);
    }, 30_000);
  }
  afterAll(() => {
    if (record) saveExpected(recorded);
    console.log(`differential: ${scenarios.length} scenarios; ${tally.agree} agree, ${tally.known} known differences, ${tally.differ.length} differ${tally.differ.length ? `:\n  - ${tally.differ.join("\n  - ")}` : ""}`);
  });
});
