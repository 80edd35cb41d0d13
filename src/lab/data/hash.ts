/**
 * The lab's one hash function for placing keys: MurmurHash3, x86 32-bit variant (Austin
 * Appleby's public-domain algorithm), over the key's UTF-8 bytes, seed 0 unless given.
 * It is stable across machines, runs and versions of the lab, so a notebook shows the same
 * placements every time; it is fast and spreads similar keys (`user-1`, `user-2`) evenly.
 * It is not cryptographic. `murmur3("hello") === 0x248bfa47` (the reference value).
 */

/** MurmurHash3 x86_32 of the UTF-8 bytes of `key`, as an unsigned 32-bit integer. */
export function murmur3(key: string, seed = 0): number {
  let h = seed >>> 0;
  let block = 0;
  let filled = 0; // bytes in `block`
  let length = 0;
  const push = (byte: number) => {
    block |= byte << (filled * 8);
    if (++filled === 4) {
      h = mix(h, block);
      block = 0;
      filled = 0;
    }
    length++;
  };
  for (let i = 0; i < key.length; i++) {
    let c = key.charCodeAt(i);
    if (c < 0x80) {
      // Fast path for ASCII, the usual key: whole blocks straight from char codes.
      block |= c << (filled * 8);
      length++;
      if (++filled === 4) {
        h = mix(h, block);
        block = 0;
        filled = 0;
      }
      continue;
    }
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < key.length) {
      const d = key.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c >= 0xd800 && c < 0xe000) c = 0xfffd; // a lone surrogate encodes as U+FFFD, as TextEncoder does
    if (c < 0x800) {
      push(0xc0 | (c >> 6));
      push(0x80 | (c & 63));
    } else if (c < 0x10000) {
      push(0xe0 | (c >> 12));
      push(0x80 | ((c >> 6) & 63));
      push(0x80 | (c & 63));
    } else {
      push(0xf0 | (c >> 18));
      push(0x80 | ((c >> 12) & 63));
      push(0x80 | ((c >> 6) & 63));
      push(0x80 | (c & 63));
    }
  }
  if (filled > 0) {
    let k = block;
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

function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}
