/**
 * The pattern catalog's shape. One {@link PatternEntry} per pattern of the study guide is the
 * single source of truth for snippets, diagrams, both pickers, the walkthrough and the
 * coverage test; nothing else lists the patterns. Pure data: no `vscode`, no Node APIs.
 */

/** A study-guide section; each has one notebook. */
export type SectionId = "microservices" | "distributed-data" | "protocols" | "messaging";

/** A section of the study guide and the notebook that teaches it. */
export interface Section {
  readonly id: SectionId;
  /** Shown as the group label in the pickers. */
  readonly title: string;
  /** File name under `notebooks/`, e.g. `01-microservices.sdenb`. */
  readonly notebook: string;
}

/** A question an interviewer asks after the 60-second answer, with a good reply. */
export interface FollowUp {
  readonly question: string;
  readonly answer: string;
}

/** One pattern: what it is, when to use it, and where each of its four faces lives. */
export interface PatternEntry {
  /** Kebab-case, unique. Names the snippet (`snippets/<id>.ts`), the diagram
   * (`media/diagrams/<id>.mmd`), the notebook heading cell and the challenge. */
  readonly id: string;
  readonly section: SectionId;
  /** Short title, e.g. "Circuit breaker". */
  readonly title: string;
  /** One line, shown in the pickers. */
  readonly summary: string;
  /** When the pattern pays off (each a short sentence). */
  readonly whenToUse: readonly string[];
  /** When it costs more than it gives. */
  readonly whenNotToUse: readonly string[];
  /** Markdown (no HTML), a few paragraphs; shown beside the diagram in the preview. */
  readonly explanation: string;
  /** A 60-second interview answer and exactly three follow-up questions. */
  readonly interview: {
    readonly answer: string;
    readonly followUps: readonly [FollowUp, FollowUp, FollowUp];
  };
  /** Where the pattern is taught: the section's notebook and the id of its heading cell
   * (by convention the cell id equals the pattern id). */
  readonly notebook: { readonly file: string; readonly cell: string };
  /** Path of the snippet from the repository root: `snippets/<id>.ts`. */
  readonly snippet: string;
  /** Path of the architecture diagram from the repository root: `media/diagrams/<id>.mmd`. */
  readonly diagram: string;
  /** Names exported by `sde-lab` that the pattern's cells and snippet use. */
  readonly exports: readonly string[];
  /** Ids of related patterns (any section). */
  readonly related: readonly string[];
  /** Id of the pattern's challenge in `sde-lab/challenges` (usually the pattern id). */
  readonly challenge: string;
}
