// The packaged VSIX that the packaging tests read (written by `npm run package`).
import { join } from "node:path";
import yauzl from "yauzl";

export const root = join(__dirname, "../../..");
export const vsixPath = join(root, "sde-lab.vsix");

/** Names of every entry in the zip at `file`. */
export function listEntries(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error("cannot open VSIX"));
      const names: string[] = [];
      zip.on("entry", (entry: yauzl.Entry) => {
        names.push(entry.fileName);
        zip.readEntry();
      });
      zip.on("end", () => resolve(names));
      zip.on("error", reject);
      zip.readEntry();
    });
  });
}

/** Uncompressed size of every entry in the zip at `file`, by name. */
export function entrySizes(file: string): Promise<Map<string, number>> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error("cannot open VSIX"));
      const sizes = new Map<string, number>();
      zip.on("entry", (entry: yauzl.Entry) => {
        sizes.set(entry.fileName, entry.uncompressedSize);
        zip.readEntry();
      });
      zip.on("end", () => resolve(sizes));
      zip.on("error", reject);
      zip.readEntry();
    });
  });
}
