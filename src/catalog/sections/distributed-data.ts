/** Catalog entries of the "Distributed data" section, in the order its notebook teaches them. */
import type { PatternEntry } from "../types";

export const distributedData: readonly PatternEntry[] = [];
