/**
 * Snippet files (`snippets/<id>.ts`) are plain TypeScript with tab stops written as comments
 * in front of a token: `/*$1*\/50`. This module turns such a file into a VS Code snippet body
 * (`${1:50}`) or into the plain code (`50`). Pure: used by the build step that writes the
 * `contributes.snippets` file and by the Insert Pattern Snippet command.
 */

/** `/*$N*\/` followed by a token: an identifier, a number (with `_` separators) or a string literal. */
const TAB_STOP = /\/\*\$(\d+)\*\/((?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|-?[0-9][0-9_.]*|[A-Za-z_$][\w$]*)?)/g;

/** Thrown for a snippet file whose tab stops break the rules of docs/authoring.md. */
export class SnippetSyntaxError extends Error {
  override readonly name = "SnippetSyntaxError";
}

/** Escapes text for a snippet body: `$` and `\` are syntax everywhere, `}` inside a placeholder. */
function escapeSnippetText(text: string, inPlaceholder = false): string {
  return text.replace(inPlaceholder ? /[\\$}]/g : /[\\$]/g, (c) => `\\${c}`);
}

/**
 * The VS Code snippet body of a snippet file: `/*$N*\/token` → `${N:token}`, `/*$0*\/` → `$0`,
 * everything else escaped. `file` names the source in errors.
 */
export function toSnippetBody(source: string, file = "snippet"): string {
  let out = "";
  let last = 0;
  const seen = new Set<number>();
  for (const match of source.matchAll(TAB_STOP)) {
    const n = Number(match[1]);
    const token = match[2] ?? "";
    out += escapeSnippetText(source.slice(last, match.index));
    if (n === 0) {
      if (seen.has(0)) throw new SnippetSyntaxError(`${file}: the final cursor /*$0*/ appears twice; keep one.`);
      out += `$0${escapeSnippetText(token)}`;
    } else {
      if (token === "") throw new SnippetSyntaxError(`${file}: tab stop /*$${n}*/ must be followed by a name, a number or a string literal.`);
      out += seen.has(n) ? `$${n}` : `\${${n}:${escapeSnippetText(token, true)}}`;
    }
    seen.add(n);
    last = match.index + match[0].length;
  }
  out += escapeSnippetText(source.slice(last));
  const numbered = [...seen].filter((n) => n > 0).sort((a, b) => a - b);
  numbered.forEach((n, i) => {
    if (n !== i + 1) throw new SnippetSyntaxError(`${file}: tab stops must be numbered 1, 2, 3… without gaps; found ${numbered.join(", ")}.`);
  });
  return out;
}

/** The snippet as runnable code: tab-stop comments removed, tokens kept. */
export function toPlainCode(source: string): string {
  return source.replace(TAB_STOP, (_m, _n: string, token: string | undefined) => token ?? "");
}

/** One entry of a VS Code `contributes.snippets` file. */
export interface SnippetContribution {
  readonly prefix: string;
  readonly description: string;
  readonly body: readonly string[];
}

/** The snippet's prefix for a pattern id: `sde-<id>`. */
export function snippetPrefix(id: string): string {
  return `sde-${id}`;
}

/** The `contributes.snippets` entry of a pattern's snippet file. */
export function snippetContribution(entry: { readonly id: string; readonly summary: string }, source: string, file = entry.id): SnippetContribution {
  const body = toSnippetBody(source.replace(/\r\n/g, "\n").replace(/\n$/, ""), file);
  return { prefix: snippetPrefix(entry.id), description: entry.summary, body: body.split("\n") };
}
