/**
 * Errors for bad arguments to the lab API, and the small validators every component uses, so
 * a wrong option always names the component, the parameter and the bad value.
 */

/** A lab API was given an argument outside its valid range. */
export class ConfigError extends RangeError {
  override readonly name = "ConfigError";
  /**
   * @param component - what was being configured, e.g. `TokenBucket`
   * @param parameter - the option name, e.g. `capacity`
   * @param value - the value given
   * @param rule - what the value must be, e.g. `a whole number ≥ 1`
   */
  constructor(
    readonly component: string,
    readonly parameter: string,
    readonly value: unknown,
    readonly rule: string,
  ) {
    super(`${component}: ${parameter} must be ${rule}, got ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Checks a finite number ≥ `min` (default 0). */
export function nonNegative(component: string, parameter: string, value: number, min = 0): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new ConfigError(component, parameter, value, min === 0 ? "a finite number ≥ 0" : `a finite number ≥ ${min}`);
  }
  return value;
}

/** Checks a finite number > 0. */
export function positive(component: string, parameter: string, value: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(component, parameter, value, "a finite number > 0");
  }
  return value;
}

/** Checks a whole number ≥ `min` (default 1). */
export function wholeNumber(component: string, parameter: string, value: number, min = 1): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new ConfigError(component, parameter, value, `a whole number ≥ ${min}`);
  }
  return value;
}

/** Checks a probability or rate in [0, 1]. */
export function fraction(component: string, parameter: string, value: number): number {
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
    throw new ConfigError(component, parameter, value, "a number from 0 to 1");
  }
  return value;
}

/** Checks a value is one of the allowed strings. */
export function oneOf<T extends string>(component: string, parameter: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) throw new ConfigError(component, parameter, value, `one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`);
  return value;
}
