/**
 * How the extension host and tsserver agree on which cell is which.
 *
 * VS Code names a cell document `vscode-notebook-cell:<notebook path>#<fragment>`; its
 * TypeScript client hands it to tsserver as `^/vscode-notebook-cell/<authority><path>#<fragment>`.
 * Both sides reduce those to the same key, `<path>#<fragment>`.
 */

/** The URI scheme of notebook cell documents. */
export const CELL_SCHEME = "vscode-notebook-cell";

/** File extension of SDE Lab notebooks; cells of other notebooks are not ours. */
export const NOTEBOOK_EXTENSION = ".sdenb";

const TS_FILE_NAME = /^\^?\/vscode-notebook-cell\/[^/]*(\/[^#]*)#(.+?)(?:\.ts)?$/;

/** The key of a cell from its tsserver file name; undefined for anything but an SDE Lab cell. */
export function cellKeyOfFileName(fileName: string): string | undefined {
  const m = TS_FILE_NAME.exec(fileName);
  if (!m || !m[1]!.endsWith(NOTEBOOK_EXTENSION)) return undefined;
  return `${m[1]}#${m[2]}`;
}

/** The key of a cell from its document URI's path and fragment. */
export function cellKeyOfUri(uri: { path: string; fragment: string }): string {
  return `${uri.path}#${uri.fragment}`;
}

/** The notebook (its path) a cell key belongs to. */
export function notebookOfKey(key: string): string {
  return key.slice(0, key.lastIndexOf("#"));
}

/**
 * Notebook order when nobody has told the plugin yet: VS Code numbers cells (a length letter,
 * then base-7 digits, before `s`) as it creates them, which is file order for a notebook
 * just opened.
 */
export function compareByCreation(a: string, b: string): number {
  const handle = (key: string) => key.slice(key.lastIndexOf("#") + 1).split("s")[0]!;
  const ha = handle(a);
  const hb = handle(b);
  return ha.length - hb.length || (ha < hb ? -1 : ha > hb ? 1 : 0);
}
