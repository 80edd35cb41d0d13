/**
 * Message contents as both brokers carry them: strings or `Uint8Array`s (the lab needs no
 * Node `Buffer`; RabbitMQ bodies become Buffers where the runtime has one, as amqplib's are).
 * Strings are measured and hashed as their UTF-8 bytes, as a client library would send them.
 */

import type { MessageContent } from "./rabbitmq/types";

/** A message key, value or body. */
export type Content = string | Uint8Array;

/** The part of Node's `Buffer` class the lab uses. */
interface BufferClass {
  from(content: Content): MessageContent;
  isBuffer(value: unknown): boolean;
}

/**
 * The runtime's Node `Buffer` class, or undefined where there is none (the kernel has one). It
 * is read through `globalThis` because the lab builds without Node types.
 */
function runtimeBuffer(): BufferClass | undefined {
  return (globalThis as { Buffer?: BufferClass }).Buffer;
}

/**
 * True when `value` is a Node `Buffer`: amqplib sends only a Buffer (it throws "content is not
 * a buffer" for a string or a plain `Uint8Array`). Where the runtime has no `Buffer`, any
 * `Uint8Array` passes.
 */
export function isBuffer(value: unknown): boolean {
  const B = runtimeBuffer();
  return B ? B.isBuffer(value) : value instanceof Uint8Array;
}

/** A message body as a Buffer when the runtime has one (the kernel does), as amqplib hands bodies to consumers; else its bytes. */
export function toBuffer(content: Content): MessageContent {
  const B = runtimeBuffer();
  if (B) return B.from(content);
  return (typeof content === "string" ? utf8(content) : content) as MessageContent;
}

/** The UTF-8 bytes of a string (no `TextEncoder`: the lab builds without DOM or Node types). */
export function utf8(text: string): Uint8Array {
  const n = text.length;
  let ascii = true;
  for (let i = 0; i < n; i++) {
    if (text.charCodeAt(i) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }
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

const NON_ASCII = /[\u0080-\uffff]/;
let lastString = "";
let lastSize = 0;

/** Size in bytes of a content value (strings counted as UTF-8). */
export function byteLength(content: Content | null | undefined): number {
  if (content === null || content === undefined) return 0;
  if (typeof content !== "string") return content.length;
  if (content.length < 64) return utf8Length(content);
  // The same large payload is often sent many times: remember the last one measured.
  if (content === lastString) return lastSize;
  const size = NON_ASCII.test(content) ? utf8Length(content) : content.length;
  lastString = content;
  lastSize = size;
  return size;
}

function utf8Length(content: string): number {
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
