// The Run All benchmark notebook: 1,000 trivial cells. Generated (not stored) and shared by
// the e2e suite (real VS Code) and bench/kernel.bench.ts (headless runner), so both time the
// same file.
export const THOUSAND_CELLS = 1000;

/** The notebook's text, in the canonical .sdenb layout. */
export function thousandCellsNotebook() {
  const cells = Array.from({ length: THOUSAND_CELLS }, () => ({ kind: "code", language: "typescript", source: ["1 + 1"], metadata: {} }));
  return `${JSON.stringify({ format: "sde-notebook", version: 1, metadata: {}, cells }, null, 2)}\n`;
}
