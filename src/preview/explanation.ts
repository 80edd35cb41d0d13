/**
 * Renders a pattern's explanation (markdown) for the preview with markdown-it and `html:
 * false`: any HTML in the text is shown escaped, never interpreted, and markdown-it's link
 * validation drops `javascript:` and similar URLs.
 */
import MarkdownIt from "markdown-it";

const md = new MarkdownIt({ html: false, linkify: false, typographer: false });

/** Safe HTML for a markdown string. */
export function renderExplanation(markdown: string): string {
  return md.render(markdown);
}
