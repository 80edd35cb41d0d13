/**
 * The pattern catalog: every pattern of the study guide, grouped by section. Read by the
 * extension (pickers, preview, walkthrough), the snippet build step and the tests.
 */
import type { PatternEntry, Section, SectionId } from "./types";
import { microservices } from "./sections/microservices";
import { distributedData } from "./sections/distributed-data";
import { protocols } from "./sections/protocols";
import { messaging } from "./sections/messaging";

export type { FollowUp, PatternEntry, Section, SectionId } from "./types";

/** The study guide's sections in reading order. */
export const SECTIONS: readonly Section[] = [
  { id: "microservices", title: "Microservice patterns", notebook: "01-microservices.sdenb" },
  { id: "distributed-data", title: "Distributed data", notebook: "02-distributed-data.sdenb" },
  { id: "protocols", title: "Communication protocols", notebook: "03-protocols.sdenb" },
  { id: "messaging", title: "Message brokers", notebook: "04-messaging.sdenb" },
];

/** Every pattern, in section order, then in the order its notebook teaches them. */
export const CATALOG: readonly PatternEntry[] = [...microservices, ...distributedData, ...protocols, ...messaging];

/** Thrown for a pattern id the catalog does not have. */
export class UnknownPatternError extends Error {
  override readonly name = "UnknownPatternError";
  constructor(readonly id: string) {
    const close = CATALOG.filter((p) => p.id.includes(id) || id.includes(p.id)).map((p) => p.id);
    super(
      `No pattern "${id}" in the SDE Lab catalog. ` +
        (close.length > 0 ? `Did you mean ${close.map((c) => `"${c}"`).join(" or ")}? ` : "") +
        `Known ids: ${CATALOG.map((p) => p.id).join(", ")}.`,
    );
  }
}

/** The entry with this id; throws {@link UnknownPatternError} naming the known ids. */
export function findPattern(id: string): PatternEntry {
  const entry = CATALOG.find((p) => p.id === id);
  if (!entry) throw new UnknownPatternError(id);
  return entry;
}

/** The section with this id. */
export function findSection(id: SectionId): Section {
  return SECTIONS.find((s) => s.id === id)!;
}

/** Patterns of one section, in teaching order. */
export function patternsOf(section: SectionId): readonly PatternEntry[] {
  return CATALOG.filter((p) => p.section === section);
}
