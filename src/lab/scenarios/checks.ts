/** Option checks for scenarios, on the public ConfigError (scenarios reach the core only through "sde-lab"). */
import { ConfigError } from "sde-lab";

/** Checks a finite number ≥ `min` (default 0). */
export function nonNegative(component: string, parameter: string, value: number, min = 0): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) throw new ConfigError(component, parameter, value, `a finite number ≥ ${min}`);
  return value;
}

/** Checks a finite number > 0. */
export function positive(component: string, parameter: string, value: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) throw new ConfigError(component, parameter, value, "a finite number > 0");
  return value;
}

/** Checks a whole number ≥ `min` (default 1). */
export function wholeNumber(component: string, parameter: string, value: number, min = 1): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) throw new ConfigError(component, parameter, value, `a whole number ≥ ${min}`);
  return value;
}

/** Checks a value is one of the allowed strings. */
export function oneOf<T extends string>(component: string, parameter: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) throw new ConfigError(component, parameter, value, `one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`);
  return value;
}
