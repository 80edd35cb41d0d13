/**
 * Kernel output as notebook outputs: the MIME types VS Code uses for streams and errors, and
 * the mapping the headless runner uses when it writes results into a `.sdenb` file.
 */
import type { MimeBundle } from "../lab/display";
import type { CellError, CellOutput } from "./protocol";

/** VS Code's MIME type for standard output text. */
export const STDOUT_MIME = "application/vnd.code.notebook.stdout";
/** VS Code's MIME type for standard error text. */
export const STDERR_MIME = "application/vnd.code.notebook.stderr";
/** VS Code's MIME type for an error (`{ name, message, stack }` as JSON). */
export const ERROR_MIME = "application/vnd.code.notebook.error";

/** One output as MIME-typed text items, richest first. */
export interface OutputItems {
  items: { mime: string; data: string }[];
}

/** Orders a bundle's entries the way front ends pick them: richest first, plain text last. */
export function bundleItems(bundle: MimeBundle): { mime: string; data: string }[] {
  const rank = (mime: string) => (mime === "text/plain" ? 2 : mime === "application/json" ? 1 : 0);
  return Object.entries(bundle)
    .map(([mime, data]) => ({ mime, data }))
    .sort((a, b) => rank(a.mime) - rank(b.mime));
}

/**
 * Collects a cell's outputs: consecutive text of the same stream joins into one output, as
 * a terminal would show it.
 */
export class OutputCollector {
  readonly outputs: OutputItems[] = [];
  private lastStream: { mime: string; item: { mime: string; data: string } } | undefined;

  add(output: CellOutput): void {
    if (output.type === "stream") {
      const mime = output.name === "stdout" ? STDOUT_MIME : STDERR_MIME;
      if (this.lastStream?.mime === mime) {
        this.lastStream.item.data += output.text;
        return;
      }
      const item = { mime, data: output.text };
      this.outputs.push({ items: [item] });
      this.lastStream = { mime, item };
      return;
    }
    this.lastStream = undefined;
    this.outputs.push({ items: bundleItems(output.bundle) });
  }

  addError(error: CellError): void {
    this.lastStream = undefined;
    this.outputs.push({ items: [{ mime: ERROR_MIME, data: JSON.stringify(error) }] });
  }
}
