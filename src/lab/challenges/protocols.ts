/** Challenges of the "Communication protocols" section, keyed by catalog id. */
import type { Challenge } from "./challenge";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each challenge has its own solution type; the index keeps them apart.
export const protocolsChallenges = {} satisfies Record<string, Challenge<any>>;
