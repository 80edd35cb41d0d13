// `npm start` opens a working copy of notebooks/, not the tracked files: running cells saves
// outputs (and VS Code autosaves edits), which would leave the repository modified.
//
// The copy lives in the user's cache folder. Each start brings it up to date with the
// shipped notebooks without ever overwriting the learner's work:
// - a notebook missing from the copy is copied;
// - a notebook the learner has not edited (same cells as the shipped version last copied;
//   outputs do not count, running cells is not editing) is replaced by a newer shipped one;
// - a notebook the learner edited is kept; a newer shipped version is written next to it as
//   `<name>.shipped.sdenb`, and the start says so.
// What was last copied is remembered in `<copy folder>.shipped.json` next to the copy, so the
// learner's folder holds only notebooks.
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";


/**
 * Where the working copy goes: SDE_LAB_NOTEBOOKS when set, else `sde-lab/notebooks` in the
 * platform's cache folder (XDG_CACHE_HOME or ~/.cache on Linux).
 * @param {NodeJS.ProcessEnv} env
 */
export function workingCopyDir(env = process.env) {
  if (env.SDE_LAB_NOTEBOOKS) return env.SDE_LAB_NOTEBOOKS;
  const home = homedir();
  const cache =
    process.platform === "darwin"
      ? join(home, "Library", "Caches")
      : process.platform === "win32"
        ? (env.LOCALAPPDATA ?? join(home, "AppData", "Local"))
        : (env.XDG_CACHE_HOME ?? join(home, ".cache"));
  return join(cache, "sde-lab", "notebooks");
}

/**
 * A fingerprint of what the learner writes in a notebook: each cell's kind, language and
 * source. Outputs, execution counts and formatting are left out. A file that does not parse
 * gets the hash of its bytes, so it counts as edited.
 * @param {string} text
 */
export function cellsFingerprint(text) {
  let cells;
  try {
    const parsed = JSON.parse(text);
    cells = Array.isArray(parsed?.cells)
      ? parsed.cells.map((c) => [c?.kind, c?.language, Array.isArray(c?.source) ? c.source.join("") : c?.source])
      : undefined;
  } catch {
    cells = undefined;
  }
  return createHash("sha256")
    .update(cells === undefined ? `raw:${text}` : JSON.stringify(cells))
    .digest("hex");
}

/**
 * Brings `workDir` up to date with the `.sdenb` files of `shippedDir`.
 * @param {string} shippedDir the tracked notebooks
 * @param {string} workDir the learner's copy
 * @returns {{ created: boolean, copied: string[], updated: string[], kept: { name: string, shipped: string }[] }}
 */
export function syncWorkingCopy(shippedDir, workDir) {
  const manifestFile = `${workDir.replace(/[\\/]+$/, "")}.shipped.json`;
  const created = !existsSync(manifestFile);
  mkdirSync(workDir, { recursive: true });
  /** @type {Record<string, string>} name -> fingerprint of the shipped version last copied */
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, "utf8"));
  } catch {
    manifest = {};
  }
  const result = { created, copied: [], updated: [], kept: [] };
  for (const name of readdirSync(shippedDir).filter((n) => n.endsWith(".sdenb")).sort()) {
    const source = join(shippedDir, name);
    const target = join(workDir, name);
    const shipped = cellsFingerprint(readFileSync(source, "utf8"));
    if (!existsSync(target)) {
      copyFileSync(source, target);
      manifest[name] = shipped;
      result.copied.push(name);
      continue;
    }
    if (manifest[name] === shipped) continue; // shipped version unchanged since last copy
    const current = cellsFingerprint(readFileSync(target, "utf8"));
    if (current === manifest[name] || current === shipped) {
      // Not edited by the learner (or edited into exactly the new version): take the new one.
      copyFileSync(source, target);
      manifest[name] = shipped;
      result.updated.push(name);
    } else {
      const aside = name.replace(/\.sdenb$/, ".shipped.sdenb");
      copyFileSync(source, join(workDir, aside));
      manifest[name] = shipped;
      result.kept.push({ name, shipped: aside });
    }
  }
  writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  return result;
}
