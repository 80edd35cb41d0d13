/**
 * Seed sweeps: run the same scenario over several seeds and show each number as
 * "median (min–max)", the house rule for any number that changes with the seed
 * (docs/authoring.md). {@link sweep} runs one function per seed; {@link spread} turns the
 * per-seed numbers (one list, or one record per seed) into those strings.
 */

import { ConfigError } from "./errors";

/** How {@link spread} prints a median and its range. Every field is optional. */
export interface SpreadOptions {
  /**
   * Digits after the decimal point for the median and both ends of the range (`toFixed`).
   * Default: none, each number printed as JavaScript prints it (`2.5`, `300`).
   */
  readonly decimals?: number;
  /**
   * The median of an even count: `"upper"` takes the upper of the two middle values (always one
   * of the runs); `"mean"` averages the two (`9.5` from 9 and 10). An odd count has one middle
   * either way. Default `"upper"`.
   */
  readonly median?: "upper" | "mean";
  /**
   * Text printed right after the median, e.g. `" %"` gives `38 % (30–46)`. Default: none.
   */
  readonly unit?: string;
  /**
   * When every value is the same (a single value included), print it once (`5`) instead of
   * `5 (5–5)`. Default `false`: the range is printed even when it is empty, so a column reads
   * the same whatever the seeds gave.
   */
  readonly collapse?: boolean;
}

const SPREAD_DEFAULTS = { median: "upper", unit: "", collapse: false } as const;

/**
 * Runs `run` once per seed, one after another in the order given, and returns the results in
 * that order (`results[i]` is the run of `seeds[i]`).
 *
 * @param seeds - a count `n` (the seeds 1 to n, the house default being 8), or the list of
 *   seeds: whole numbers, each at most once
 * @param run - builds and runs the scenario for one seed (usually a fresh `Simulation({ seed })`)
 * @returns the results of every run, in seed order
 * @throws ConfigError when the count is not a whole number ≥ 1, the list is empty or holds a
 *   non-integer or repeated seed, or `run` is not a function
 *
 * @example
 * const runs = await sweep(8, (seed) => runCascade(new Simulation({ seed, traceLimit: 0 })));
 * table([spread(runs.map((r) => ({ ok: r.ok, "users gave up": r.timedOut })))]);
 */
export async function sweep<T>(seeds: number | readonly number[], run: (seed: number) => T | Promise<T>): Promise<T[]> {
  const list = seedList(seeds);
  if (typeof run !== "function") throw new ConfigError("sweep", "run", run, "a function (seed) => result");
  const results: T[] = [];
  // One at a time: each run owns its simulation, and the order of results is the seed order.
  for (const seed of list) results.push(await run(seed));
  return results;
}

function seedList(seeds: number | readonly number[]): number[] {
  if (typeof seeds === "number") {
    if (!Number.isSafeInteger(seeds) || seeds < 1) throw new ConfigError("sweep", "seeds", seeds, "a whole number ≥ 1 (the seeds 1 to n) or a list of seeds");
    return Array.from({ length: seeds }, (_, i) => i + 1);
  }
  if (!Array.isArray(seeds) || seeds.length === 0) throw new ConfigError("sweep", "seeds", seeds, "a non-empty list of whole numbers, or a count ≥ 1");
  const seen = new Set<number>();
  seeds.forEach((seed: unknown, i) => {
    if (typeof seed !== "number" || !Number.isSafeInteger(seed)) throw new ConfigError("sweep", `seeds[${i}]`, seed, "a whole number");
    if (seen.has(seed)) throw new ConfigError("sweep", `seeds[${i}]`, seed, "a seed not already in the list (each seed runs once)");
    seen.add(seed);
  });
  return [...seeds];
}

/**
 * The median and range of per-seed numbers, as text: `"261 (231–313)"`.
 *
 * Given a list of numbers, returns one string. Given one record per seed (column name →
 * number), returns one record of strings with the same columns in the same order: a table row,
 * ready to sit beside label columns (`{ setup, ...spread(records) }`).
 *
 * The median is the middle value after sorting; for an even count see
 * {@link SpreadOptions.median}. The range is the lowest and highest value, joined by an en dash.
 *
 * @param values - the numbers (finite), at least one; or records that all have the same columns
 * @param options - decimals, median of an even count, unit, collapse ({@link SpreadOptions})
 * @throws ConfigError when the list is empty, a value is not a finite number, a record lacks a
 *   column of the first record, or an option is out of range
 *
 * @example
 * spread([313, 231, 261]); // "261 (231–313)"
 * spread([2, 13, 9, 10], { median: "mean" }); // "9.5 (2–13)"
 * spread([{ ok: 344, p99: 2000 }, { ok: 287, p99: 2000 }]); // { ok: "344 (287–344)", p99: "2000 (2000–2000)" }
 */
export function spread(values: readonly number[], options?: SpreadOptions): string;
/**
 * One record per seed (column name → number) to one table row: each column's
 * "median (min–max)", the columns in the first record's order.
 *
 * @param records - one per seed, at least one, all with the columns of the first
 * @param options - as for a list of numbers, applied to every column ({@link SpreadOptions})
 * @throws ConfigError when the list is empty, a record lacks a column of the first record or
 *   holds a value that is not a finite number, or an option is out of range
 *
 * @example
 * table([{ setup: "no breaker", ...spread(runs.map((r) => ({ ok: r.ok, "users gave up": r.timedOut }))) }]);
 */
export function spread<K extends string>(records: readonly { readonly [column in K]: number }[], options?: SpreadOptions): { [column in K]: string };
export function spread(values: readonly (number | Readonly<Record<string, number>>)[], options: SpreadOptions = {}): string | Record<string, string> {
  const format = formatter(options);
  if (!Array.isArray(values) || values.length === 0) throw new ConfigError("spread", "values", values, "a non-empty list of numbers, or of records (one per seed)");
  const first = values[0];
  if (typeof first === "object" && first !== null) {
    const records = values as readonly Readonly<Record<string, number>>[];
    const row: Record<string, string> = {};
    for (const column of Object.keys(first)) {
      row[column] = format(
        records.map((record, i) => {
          if (typeof record !== "object" || record === null || !(column in record)) {
            throw new ConfigError("spread", `values[${i}]`, record, `a record with the columns of values[0] (${Object.keys(first).map((c) => JSON.stringify(c)).join(", ")})`);
          }
          return finite(record[column], `values[${i}][${JSON.stringify(column)}]`);
        }),
      );
    }
    return row;
  }
  return format(values.map((v, i) => finite(v, `values[${i}]`)));
}

function finite(value: unknown, parameter: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new ConfigError("spread", parameter, value, "a finite number");
  return value;
}

/** Checks the options once and returns the function that prints one column. */
function formatter(options: SpreadOptions): (values: number[]) => string {
  // An option given as undefined takes its default, as if it were left out.
  const { decimals } = options;
  const median = options.median ?? SPREAD_DEFAULTS.median, unit = options.unit ?? SPREAD_DEFAULTS.unit;
  const collapse = options.collapse ?? SPREAD_DEFAULTS.collapse;
  if (decimals !== undefined && (!Number.isInteger(decimals) || decimals < 0 || decimals > 20)) {
    throw new ConfigError("spread", "decimals", decimals, "a whole number from 0 to 20");
  }
  if (median !== "upper" && median !== "mean") throw new ConfigError("spread", "median", median, 'one of "upper", "mean"');
  if (typeof unit !== "string") throw new ConfigError("spread", "unit", unit, "a string");
  if (typeof collapse !== "boolean") throw new ConfigError("spread", "collapse", collapse, "true or false");
  const number = (x: number) => (decimals === undefined ? String(x) : x.toFixed(decimals));
  return (values) => {
    const s = [...values].sort((a, b) => a - b);
    const upper = s[s.length >> 1]!;
    const mid = median === "upper" ? upper : (s[(s.length - 1) >> 1]! + upper) / 2;
    const lo = s[0]!, hi = s[s.length - 1]!;
    const head = `${number(mid)}${unit}`;
    return collapse && lo === hi ? head : `${head} (${number(lo)}–${number(hi)})`;
  };
}
