/**
 * Rewrites error stacks for people: cell frames show the position in the cell
 * (`Cell 3:2:9`), and frames of the kernel itself and of Node internals are dropped.
 */
import type { CellPosition } from "./transform";

/** Maps a generated position of one executed cell back to the cell. */
export interface CellSource {
  /** Label shown in frames, e.g. `Cell 3`. */
  label: string;
  /** See {@link ./transform.TransformedCell.originalPosition}. */
  originalPosition(line: number, column: number): CellPosition | undefined;
}

const FRAME = /^(\s*at (?:.*?\()?)(.*?):(\d+):(\d+)(\)?)$/;

/** Where the kernel's own code and the lab's sources are, to name frames for people. */
export interface StackPaths {
  /** Files whose frames are dropped (the kernel bundle). */
  internalFiles: readonly string[];
  /** Folder of the lab's sources as its source map names them; frames there show as `sde-lab/…`. */
  labSources?: string;
}

/**
 * Cleans a V8 stack.
 * @param stack - `error.stack`
 * @param cells - executed cells by their script file name
 * @param paths - what to drop and what to rename
 */
export function cleanStack(stack: string, cells: ReadonlyMap<string, CellSource>, paths: StackPaths): string {
  const { internalFiles, labSources } = paths;
  const out: string[] = [];
  for (const line of stack.split("\n")) {
    if (!/^\s*at /.test(line)) {
      out.push(line);
      continue;
    }
    const m = FRAME.exec(line);
    if (!m) {
      // Frames without a position ("at new Promise (<anonymous>)") only add noise.
      continue;
    }
    const [, head, file, l, c, tail] = m as unknown as [string, string, string, string, string, string];
    const cell = cells.get(file);
    if (cell) {
      const pos = cell.originalPosition(Number(l), Number(c) - 1);
      if (!pos) continue; // kernel glue around the cell
      const where = `${cell.label}:${pos.line}:${pos.column}`;
      // The cell body itself runs in an anonymous wrapper; name the cell instead.
      out.push(/at <anonymous> \($/.test(head) ? `    at ${where}` : `${head.replace(/^\s*at /, "    at ")}${where}${tail}`);
      continue;
    }
    if (file.startsWith("node:") || file.startsWith("internal/") || internalFiles.includes(file)) continue;
    const labFile = labSources ? labRelative(file, labSources) : undefined;
    if (labFile !== undefined) {
      out.push(`${head.replace(/^\s*at /, "    at ")}sde-lab/${labFile}:${l}:${c}${tail}`);
      continue;
    }
    out.push(line);
  }
  return out.join("\n");
}

/** `gateway/token-bucket.ts` for a file under the lab's sources (either slash), else undefined. */
function labRelative(file: string, labSources: string): string | undefined {
  const norm = (p: string) => p.replace(/\\/g, "/");
  const dir = `${norm(labSources)}/`;
  const f = norm(file.startsWith("file://") ? decodeURIComponent(file.slice(7)) : file);
  return f.startsWith(dir) ? f.slice(dir.length) : undefined;
}
