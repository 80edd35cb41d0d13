/**
 * The lab's one hash function for placing keys: MurmurHash3, x86 32-bit variant (Austin
 * Appleby's public-domain algorithm), over the key's UTF-8 bytes, seed 0 unless given.
 * It is stable across machines, runs and versions of the lab, so a notebook shows the same
 * placements every time; it is fast and spreads similar keys (`user-1`, `user-2`) evenly.
 * It is not cryptographic. `murmur3("hello") === 0x248bfa47` (the reference value).
 */

/** MurmurHash3 x86_32 of the UTF-8 bytes of `key`, as an unsigned 32-bit integer. */
export function murmur3(key: string, seed = 0): number {
  // ASCII (the usual key): char codes are the bytes, so hash them in one pass with no
  // allocation; fall back to encoding UTF-8 at the first non-ASCII character.
  const n = key.length;
  let h = seed >>> 0;
  const blocks = n & ~3;
  for (let i = 0; i < blocks; i += 4) {
    const a = key.charCodeAt(i);
    const b = key.charCodeAt(i + 1);
    const c = key.charCodeAt(i + 2);
    const d = key.charCodeAt(i + 3);
    if ((a | b | c | d) >= 0x80) return hashBytes(utf8(key), seed);
    h = mixBlock(h, a | (b << 8) | (c << 16) | (d << 24));
  }
  const rest = n & 3;
  let k = 0;
  for (let i = rest - 1; i >= 0; i--) {
    const c = key.charCodeAt(blocks + i);
    if (c >= 0x80) return hashBytes(utf8(key), seed);
    k = (k << 8) | c;
  }
  return finish(h, k, rest, n);
}

function hashBytes(bytes: readonly number[], seed: number): number {
  const n = bytes.length;
  let h = seed >>> 0;
  const blocks = n & ~3;
  for (let i = 0; i < blocks; i += 4) h = mixBlock(h, bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
  const rest = n & 3;
  let k = 0;
  if (rest === 3) k ^= bytes[blocks + 2]! << 16;
  if (rest >= 2) k ^= bytes[blocks + 1]! << 8;
  if (rest >= 1) k ^= bytes[blocks]!;
  return finish(h, k, rest, n);
}

function mixBlock(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finish(h: number, k: number, rest: number, length: number): number {
  if (rest > 0) {
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** UTF-8 bytes of `s`; a lone surrogate becomes U+FFFD, as TextEncoder does. */
function utf8(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return out;
}
