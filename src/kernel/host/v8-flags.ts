/**
 * V8 flags the kernel process runs with, besides its heap limit (`--max-old-space-size`).
 *
 * `--max-semi-space-size=32` (MB; V8's default ceiling on a 64-bit host is 16): a simulation's
 * requests in flight are young objects (promises, calls, requests, responses), so every
 * young-generation collection copies all of them; with a twice larger nursery it runs half
 * as often for the same copying. Measured on the 2-core machine: a gateway run of 100 k
 * requests went from 55–60 k to 95–104 k simulated requests per second, and the shipped
 * notebooks headless from 17.1 s to 14.6 s. 64 MB was slower than 32 (the nursery no longer
 * fits the cache); see the "kernel flags" row of `npm run bench e2e`.
 */
export const KERNEL_V8_FLAGS: readonly string[] = ["--max-semi-space-size=32"];
