/**
 * Response shaping for backends-for-frontends: keep only the fields a screen shows, only the
 * first n items of a list, and measure payloads as the bytes of their JSON (UTF-8).
 */
import { utf8 } from "./hmac";

/** How to cut a payload down for one screen. */
export interface ShapeOptions {
  /** Fields to keep: of the object, or of each object in a list. Default: all. */
  fields?: readonly string[];
  /** Items to keep from a list (the first ones). Default: all. */
  limit?: number;
}

/** `body` cut down by `options`; other values pass unchanged. */
export function shapePayload(body: unknown, options: ShapeOptions): unknown {
  if (Array.isArray(body)) {
    const items = options.limit === undefined ? body : body.slice(0, options.limit);
    return items.map((item) => pick(item, options.fields));
  }
  return pick(body, options.fields);
}

function pick(value: unknown, fields: readonly string[] | undefined): unknown {
  if (!fields || typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of fields) if (f in source) out[f] = source[f];
  return out;
}

/** Size of `value` as JSON in UTF-8 bytes (0 for `undefined`, which sends no body). */
export function jsonBytes(value: unknown): number {
  if (value === undefined) return 0;
  const text = JSON.stringify(value);
  return text === undefined ? 0 : utf8(text).length;
}
