/** Catalog entries of the "Microservice patterns" section, in the order its notebook teaches them. */
import type { PatternEntry } from "../types";

export const microservices: readonly PatternEntry[] = [];
