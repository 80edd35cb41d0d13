/**
 * Outputs SDE Lab lets VS Code render: only the kinds it produces itself, and markdown without
 * raw HTML. VS Code's markdown renderer passes HTML through (`<img onerror>` runs), so HTML in
 * markdown is turned into text here, the way markdown-it's `html: false` shows it: `<` outside
 * code becomes `&lt;`. Code blocks and code spans stay as they are (markdown shows them
 * literally anyway).
 *
 * Pure: used by the kernel process (live outputs) and the notebook serializer (saved ones).
 */
import type { MarkdownIt } from "markdown-it";

/** MIME types SDE Lab produces and lets VS Code render. Anything else is kept, not shown. */
export const RENDERED_MIMES: ReadonlySet<string> = new Set([
  "text/plain",
  "text/markdown",
  "application/json",
  "image/png",
  "application/vnd.code.notebook.stdout",
  "application/vnd.code.notebook.stderr",
  "application/vnd.code.notebook.error",
  // Charts and replays: JSON data that only SDE Lab's own renderer reads, and draws as text.
  "application/vnd.sde-lab.chart+json",
  "application/vnd.sde-lab.replay+json",
]);

/** Whether outputs of this MIME type may be rendered. */
export function isRenderedMime(mime: string): boolean {
  return RENDERED_MIMES.has(mime);
}

let parser: MarkdownIt | undefined;

/**
 * `text` with every HTML tag shown as text. Fenced and indented code is found by markdown-it
 * itself (so this agrees with the renderer on where code is); code spans only when they open
 * and close on one line outside tables, anything less certain is escaped.
 */
export function sanitizeMarkdown(text: string): string {
  if (!text.includes("<")) return text;
  // Loaded on first use: most outputs hold no "<", and the kernel starts faster without it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  parser ??= new (require("markdown-it") as new (options: { html: boolean }) => MarkdownIt)({ html: false });
  const lines = text.split("\n");
  const code = new Uint8Array(lines.length);
  const mark = (tokens: ReturnType<MarkdownIt["parse"]>) => {
    for (const t of tokens) {
      if ((t.type === "fence" || t.type === "code_block") && t.map) {
        const [start, end] = t.map;
        // A fence's own marker lines are not code, but they hold no `<` that matters either.
        for (let i = start; i < end; i++) code[i] = 1;
      }
    }
  };
  mark(parser.parse(text, {}));
  // A code span may cross a line break inside a paragraph: a backtick run left open on one line
  // can close on a later one, so that line's own "spans" pair up differently in markdown than
  // they do line by line. After an open run, no span is trusted until the paragraph ends.
  let open = false;
  return lines
    .map((line, i) => {
      if (code[i] || line.trim() === "") {
        open = false;
        return line;
      }
      const { text: safe, unclosed } = escapeLine(line, !open);
      open ||= unclosed;
      return safe;
    })
    .join("\n");
}

/**
 * Escapes `<` on one line of inline content, except inside a same-line code span when `trust`
 * allows spans. `unclosed`: the line leaves a backtick run open, which a later line may close.
 */
function escapeLine(line: string, trust: boolean): { text: string; unclosed: boolean } {
  // A pipe may split a table row inside what looks like a code span: trust no span there.
  const spans = trust && !line.includes("|");
  let unclosed = false;
  let out = "";
  let i = 0;
  while (i < line.length) {
    const ch = line[i]!;
    if (ch === "\\") {
      out += line.slice(i, i + 2).replace(/</g, "&lt;");
      i += 2;
      continue;
    }
    if (ch === "`") {
      let run = 1;
      while (line[i + run] === "`") run++;
      const fence = "`".repeat(run);
      let close = line.indexOf(fence, i + run);
      // The closing run must be exactly as long.
      while (close >= 0 && line[close + run] === "`") {
        let j = close;
        while (line[j] === "`") j++;
        close = line.indexOf(fence, j);
      }
      if (close >= 0) {
        const span = line.slice(i, close + run);
        out += spans ? span : span.replace(/</g, "&lt;");
        i = close + run;
        continue;
      }
      unclosed = true;
      out += fence;
      i += run;
      continue;
    }
    out += ch === "<" ? "&lt;" : ch;
    i++;
  }
  return { text: out, unclosed };
}
