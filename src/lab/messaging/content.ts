/**
 * Message contents as both brokers carry them: strings or `Uint8Array`s (the lab uses no
 * Node `Buffer`). Strings are measured and hashed as their UTF-8 bytes, as a client library
 * would send them.
 */

/** A message key, value or body. */
export type Content = string | Uint8Array;

/** The UTF-8 bytes of a string (no `TextEncoder`: the lab builds without DOM or Node types). */
export function utf8(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else {
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
        const low = text.charCodeAt(i + 1);
        if (low >= 0xdc00 && low < 0xe000) {
          c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
          i++;
          out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
          continue;
        }
      }
      out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
  }
  return Uint8Array.from(out);
}

/** The bytes of a content value. */
export function toBytes(content: Content): Uint8Array {
  return typeof content === "string" ? utf8(content) : content;
}

/** Size in bytes of a content value (strings counted as UTF-8). */
export function byteLength(content: Content | null | undefined): number {
  if (content === null || content === undefined) return 0;
  if (typeof content !== "string") return content.length;
  let n = 0;
  for (let i = 0; i < content.length; i++) {
    const c = content.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** A short printable form of a content value for traces and tables. */
export function preview(content: Content | null | undefined, max = 24): string {
  if (content === null || content === undefined) return "null";
  const s = typeof content === "string" ? content : `<${content.length} bytes>`;
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** True when `value` is a valid content value. */
export function isContent(value: unknown): value is Content {
  return typeof value === "string" || value instanceof Uint8Array;
}
