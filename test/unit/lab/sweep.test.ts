// The seed-sweep helpers the notebooks' sweep cells print with: run order, the median of odd
// and even counts, ties, negative and decimal values, records as table rows, and the errors.
import { describe, expect, it } from "vitest";
import { ConfigError, Simulation, spread, sweep } from "sde-lab";

describe("sweep", () => {
  it("runs seeds 1..n for a count, in order, and returns the results in seed order", async () => {
    const order: number[] = [];
    const results = await sweep(4, async (seed) => {
      order.push(seed);
      const sim = new Simulation({ seed, traceLimit: 0 });
      await sim.runUntil(10 * seed);
      return sim.now;
    });
    expect(order).toEqual([1, 2, 3, 4]);
    expect(results).toEqual([10, 20, 30, 40]);
  });

  it("runs a given list of seeds in the order given, sync functions too", async () => {
    expect(await sweep([5, -2, 0], (seed) => seed * 10)).toEqual([50, -20, 0]);
  });

  it("runs one seed at a time, never two at once", async () => {
    let running = 0, most = 0;
    await sweep(3, async () => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 1));
      running--;
    });
    expect(most).toBe(1);
  });

  it("gives the same numbers as the same seeds run by hand", async () => {
    const draw = (seed: number) => new Simulation({ seed }).random.int(1, 1_000_000);
    expect(await sweep(8, draw)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map(draw));
  });

  it("rejects a bad seed count or list, naming the parameter and the value", async () => {
    await expect(sweep(0, (s) => s)).rejects.toThrow(ConfigError);
    await expect(sweep(0, (s) => s)).rejects.toThrow("sweep: seeds must be a whole number ≥ 1 (the seeds 1 to n) or a list of seeds, got 0");
    await expect(sweep(2.5, (s) => s)).rejects.toThrow("got 2.5");
    await expect(sweep([], (s) => s)).rejects.toThrow("sweep: seeds must be a non-empty list of whole numbers, or a count ≥ 1, got []");
    await expect(sweep([1, 2, 1.5], (s) => s)).rejects.toThrow("sweep: seeds[2] must be a whole number, got 1.5");
    await expect(sweep([1, 2, 1], (s) => s)).rejects.toThrow("sweep: seeds[2] must be a seed not already in the list (each seed runs once), got 1");
    await expect(sweep(3, "run" as never)).rejects.toThrow('sweep: run must be a function (seed) => result, got "run"');
  });

  it("passes on an error thrown by a run", async () => {
    await expect(sweep(3, (seed) => { if (seed === 2) throw new Error("seed 2 failed"); return seed; })).rejects.toThrow("seed 2 failed");
  });
});

describe("spread", () => {
  it("prints the middle value and the range of an odd count", () => {
    expect(spread([313, 231, 261])).toBe("261 (231–313)");
    expect(spread([5, 1, 4, 2, 3])).toBe("3 (1–5)");
  });

  it("takes the upper middle of an even count by default, the mean of the two on request", () => {
    const eight = [13, 2, 9, 11, 10, 4, 9, 12]; // sorted: 2 4 9 9 10 11 12 13
    expect(spread(eight)).toBe("10 (2–13)");
    expect(spread(eight, { median: "mean" })).toBe("9.5 (2–13)");
    expect(spread([1, 3], { median: "mean" })).toBe("2 (1–3)");
    expect(spread([1, 3])).toBe("3 (1–3)");
  });

  it("keeps the range when every value is the same, unless asked to collapse", () => {
    expect(spread([0, 0, 0, 0])).toBe("0 (0–0)");
    expect(spread([2000, 2000, 2000], { decimals: 1 })).toBe("2000.0 (2000.0–2000.0)");
    expect(spread([100, 100, 100, 100], { collapse: true })).toBe("100");
    expect(spread([13, 18, 14, 15], { collapse: true, median: "mean" })).toBe("14.5 (13–18)");
  });

  it("prints a single value with its (empty) range, or alone when collapsing", () => {
    expect(spread([7])).toBe("7 (7–7)");
    expect(spread([29], { unit: " %", collapse: true })).toBe("29 %");
  });

  it("sorts numerically, with negative and decimal values", () => {
    expect(spread([-5, 10, -20, 3, 0])).toBe("0 (-20–10)");
    expect(spread([1.5, -0.25, 2.75, 0.5])).toBe("1.5 (-0.25–2.75)");
    expect(spread([2.654, 2.71, 2.738], { decimals: 2 })).toBe("2.71 (2.65–2.74)");
    expect(spread([1, 2, 12.5, 18.5], { decimals: 1 })).toBe("12.5 (1.0–18.5)");
  });

  it("takes the default for an option given as undefined", () => {
    expect(spread([1, 3], { median: undefined, decimals: undefined, unit: undefined, collapse: undefined })).toBe("3 (1–3)");
  });

  it("puts the unit after the median", () => {
    expect(spread([50, 75, 50, 50, 60, 50], { unit: " %" })).toBe("50 % (50–75)");
  });

  it("leaves its input in the order given", () => {
    const xs = [3, 1, 2];
    spread(xs);
    expect(xs).toEqual([3, 1, 2]);
  });

  it("turns one record per seed into one row, column by column, in the first record's order", () => {
    const runs = [{ ok: 344, "p99 (ms)": 2000, gaveUp: 261 }, { ok: 287, "p99 (ms)": 2000, gaveUp: 313 }, { ok: 369, "p99 (ms)": 2000, gaveUp: 231 }];
    const row = spread(runs);
    expect(row).toEqual({ ok: "344 (287–369)", "p99 (ms)": "2000 (2000–2000)", gaveUp: "261 (231–313)" });
    expect(Object.keys(row)).toEqual(["ok", "p99 (ms)", "gaveUp"]);
    expect(spread(runs, { collapse: true })["p99 (ms)"]).toBe("2000");
  });

  it("rejects bad input, naming the parameter and the value", () => {
    expect(() => spread([])).toThrow(ConfigError);
    expect(() => spread([])).toThrow("spread: values must be a non-empty list of numbers, or of records (one per seed), got []");
    expect(() => spread([1, Number.NaN, 3])).toThrow("spread: values[1] must be a finite number, got NaN");
    expect(() => spread([1, Infinity])).toThrow("got Infinity");
    expect(() => spread([{ a: 1, b: 2 }, { a: 3 } as never])).toThrow('spread: values[1] must be a record with the columns of values[0] ("a", "b"), got {"a":3}');
    expect(() => spread([{ a: 1 }, { a: "2" as never }])).toThrow('spread: values[1]["a"] must be a finite number, got "2"');
    expect(() => spread([1, 2], { decimals: -1 })).toThrow("spread: decimals must be a whole number from 0 to 20, got -1");
    expect(() => spread([1, 2], { decimals: 1.5 })).toThrow("got 1.5");
    expect(() => spread([1, 2], { median: "lower" as never })).toThrow('spread: median must be one of "upper", "mean", got "lower"');
    expect(() => spread([1, 2], { unit: 5 as never })).toThrow("spread: unit must be a string, got 5");
    expect(() => spread([1, 2], { collapse: "yes" as never })).toThrow('spread: collapse must be true or false, got "yes"');
  });
});
