/**
 * Reads challenge verdicts from cell output. A challenge report's plain text starts with
 * `Challenge <id>: PASSED (...)` or `Challenge <id>: FAILED (...)` (docs/authoring.md). Pure.
 */

/** The id of the first challenge reported PASSED in these output texts, if any. */
export function passedChallenge(texts: readonly string[]): string | undefined {
  for (const text of texts) {
    for (const line of text.split("\n")) {
      const match = /^Challenge ([a-z0-9]+(?:-[a-z0-9]+)*): PASSED\b/.exec(line);
      if (match) return match[1];
    }
  }
  return undefined;
}
