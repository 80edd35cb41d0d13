/**
 * V8 flags the kernel process runs with, besides its heap limit (`--max-old-space-size`).
 *
 * `--max-semi-space-size=32` (MB; V8's default ceiling on a 64-bit host is 16): a simulation's
 * requests in flight are young objects (promises, calls, requests, responses), so every
 * young-generation collection copies all of them; with a twice larger nursery it runs half
 * as often for the same copying. Measured on the 2-core machine, 8 processes each way taking
 * turns: a gateway run of 100 k requests went from a median of 67 k to 88 k simulated requests
 * per CPU second (1.3×; single processes ranged 49–77 k and 61–94 k). 64 MB was slower than
 * 32 (the nursery no longer fits the cache); see the "Node's default V8 flags" row of
 * `npm run bench e2e`.
 */
export const KERNEL_V8_FLAGS: readonly string[] = ["--max-semi-space-size=32"];
