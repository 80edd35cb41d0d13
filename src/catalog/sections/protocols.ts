/** Catalog entries of the "Communication protocols" section, in the order its notebook teaches them. */
import type { PatternEntry } from "../types";

export const protocols: readonly PatternEntry[] = [];
