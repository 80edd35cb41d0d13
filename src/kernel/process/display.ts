/**
 * Renders a cell's values as MIME bundles. Realm-safe: it never relies on `instanceof` or
 * constructor identity, only on `Symbol.for` hooks and `Object.prototype.toString` tags.
 */
import { inspect } from "node:util";
import { DISPLAY, isDisplayable, safeJson, type MimeBundle } from "../../lab/display";
import { isRenderedMime, sanitizeMarkdown } from "../safe-outputs";

/**
 * The bundle for a value, or `undefined` when nothing should show (the value `undefined`).
 * Objects with a display hook render themselves; plain data gets JSON next to its text form.
 */
export function toBundle(value: unknown): MimeBundle | undefined {
  if (value === undefined) return undefined;
  if (isDisplayable(value)) {
    try {
      const bundle = value[DISPLAY]();
      if (bundle && typeof bundle === "object" && Object.keys(bundle).length > 0) return safeBundle(bundle);
    } catch (error) {
      return { "text/plain": `${inspect(value, inspectOptions)}\n(its display hook threw: ${String(error)})` };
    }
  }
  const plain = inspect(value, inspectOptions);
  if (isPlainData(value)) return { "application/json": safeJson(value, 2), "text/plain": plain };
  return { "text/plain": plain };
}

const inspectOptions = { depth: 4, colors: false, maxArrayLength: 200, maxStringLength: 10_000, breakLength: 100 };

/** Arrays and plain objects (any realm) whose JSON form says everything inspect would. */
function isPlainData(value: unknown, depth = 0): boolean {
  if (depth > 20) return false;
  if (value === null || typeof value === "string" || typeof value === "boolean") return depth > 0;
  if (typeof value === "number") return depth > 0 && Number.isFinite(value);
  if (typeof value !== "object") return false;
  const tag = Object.prototype.toString.call(value);
  if (tag === "[object Array]") return (value as unknown[]).every((v) => isPlainData(v, depth + 1));
  if (tag !== "[object Object]") return false;
  const proto = Object.getPrototypeOf(value) as object | null;
  // A plain object's prototype is some realm's Object.prototype, whose own prototype is null.
  if (proto !== null && Object.getPrototypeOf(proto) !== null) return false;
  return Object.values(value as object).every((v) => isPlainData(v, depth + 1));
}

/**
 * Only what SDE Lab renders: markdown without raw HTML, and none of the kinds VS Code would
 * run (`text/html`, `application/javascript`); a bundle left empty says what was dropped.
 */
export function safeBundle(bundle: MimeBundle): MimeBundle {
  const out: Record<string, string> = {};
  const dropped: string[] = [];
  for (const [mime, data] of Object.entries(bundle)) {
    if (typeof data !== "string") continue;
    if (!isRenderedMime(mime)) dropped.push(mime);
    else out[mime] = mime === "text/markdown" ? sanitizeMarkdown(data) : data;
  }
  if (Object.keys(out).length === 0 && dropped.length > 0) {
    out["text/plain"] = `(an output of type ${dropped.join(", ")} is not shown: SDE Lab renders only text, markdown, JSON and PNG images)`;
  }
  return out;
}
