/** Catalog entries of the "Message brokers" section, in the order its notebook teaches them. */
import type { PatternEntry } from "../types";

export const messaging: readonly PatternEntry[] = [];
