// seededCases itself: what it hands each case's builder, and the errors a challenge author gets
// for a count or first seed it cannot use (at definition time, not when the check runs).
import { describe, expect, it } from "vitest";
import { Random } from "sde-lab";
import { seededCases } from "../../../src/lab/challenges/seeded-cases";

describe("seededCases", () => {
  it("numbers seeds from firstSeed and gives each case a Random seeded with its own seed", () => {
    const make = seededCases(3, 40, (i, random, seed) => ({ faults: [{ kind: "k", label: `case ${i}`, at: random.int(0, 1_000_000) }], size: seed - 40 }));
    const cases = make();
    expect(cases.map((c) => c.seed)).toEqual([40, 41, 42]);
    expect(cases.map((c) => c.size)).toEqual([0, 1, 2]);
    expect(cases.map((c) => c.faults[0]!.at)).toEqual([40, 41, 42].map((s) => new Random(s).int(0, 1_000_000)));
    // Each call builds the cases again, the same ones.
    expect(make()).not.toBe(cases);
    expect(make()).toStrictEqual(cases);
  });

  it.each([0, -1, 2.5, Number.NaN])("refuses count %s with a RangeError naming count and the value", (count) => {
    expect(() => seededCases(count, 1, () => ({ faults: [], size: 1 }))).toThrow(RangeError);
    expect(() => seededCases(count, 1, () => ({ faults: [], size: 1 }))).toThrow(`seededCases: count must be a whole number ≥ 1, got ${count}`);
  });

  it.each([-1, 0.5, Number.POSITIVE_INFINITY])("refuses firstSeed %s with a RangeError naming firstSeed and the value", (firstSeed) => {
    expect(() => seededCases(2, firstSeed, () => ({ faults: [], size: 1 }))).toThrow(RangeError);
    expect(() => seededCases(2, firstSeed, () => ({ faults: [], size: 1 }))).toThrow(`seededCases: firstSeed must be a whole number ≥ 0, got ${firstSeed}`);
  });
});
