/**
 * How a cell's `import`s resolve: `sde-lab` and its subpaths (`sde-lab/scenarios` loads
 * `scenarios.js` beside the bundled library), `node:` built-ins, and packages installed in
 * the notebook's folder or a folder above it, as Node resolves them from a file there.
 */
import { createRequire } from "node:module";
import { readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** A package the cell imports is not installed where the notebook can see it. */
export class PackageNotFoundError extends Error {
  override readonly name = "PackageNotFoundError";
  constructor(
    /** The package name, e.g. `left-pad` or `@scope/pkg`. */
    readonly packageName: string,
    /** The notebook's folder, where resolution starts. */
    readonly folder: string,
  ) {
    super(
      `The package '${packageName}' is not installed: it was looked for in the notebook's folder (${folder}) and the folders above it. ` +
        `Install it there with: cd "${folder}" && npm install ${packageName}`,
    );
  }
}

/** `sde-lab/<name>` names no module of the bundled library. */
export class UnknownLabModuleError extends Error {
  override readonly name = "UnknownLabModuleError";
  constructor(spec: string, available: readonly string[]) {
    super(`'${spec}' is not part of sde-lab. Its modules are: ${available.map((m) => `'${m}'`).join(", ")}.`);
  }
}

/** Loads modules for cells of one notebook. */
export class ModuleLoader {
  /** `require` as if called from a file in the notebook's folder. */
  readonly require: NodeJS.Require;
  private readonly labDir: string;

  constructor(
    private readonly folder: string,
    private readonly labPath: string,
  ) {
    // The file need not exist: only its folder matters to resolution.
    this.require = createRequire(join(folder, "notebook.js"));
    this.labDir = dirname(labPath);
  }

  /** Loads `spec` with require(); throws the errors above for what is missing. */
  load(spec: string): unknown {
    const path = this.labModule(spec);
    if (path) return this.require(path);
    try {
      return this.require(spec);
    } catch (error) {
      throw this.explain(spec, error);
    }
  }

  /** Resolves `spec` to a file, with the same errors as {@link load}. */
  resolve(spec: string): string {
    const path = this.labModule(spec);
    if (path) return path;
    try {
      return this.require.resolve(spec);
    } catch (error) {
      throw this.explain(spec, error);
    }
  }

  /** The file of `sde-lab` or `sde-lab/<name>`, or undefined for other specifiers. */
  private labModule(spec: string): string | undefined {
    if (spec === "sde-lab") return this.labPath;
    if (!spec.startsWith("sde-lab/")) return undefined;
    const name = spec.slice("sde-lab/".length);
    const available = this.labModules();
    if (!available.includes(spec)) throw new UnknownLabModuleError(spec, available);
    return join(this.labDir, `${name}.js`);
  }

  private labModules(): string[] {
    let files: string[] = [];
    try {
      files = readdirSync(this.labDir).filter((f) => f.endsWith(".js"));
    } catch {
      // No folder: only "sde-lab" itself can be named.
    }
    const main = basename(this.labPath);
    return ["sde-lab", ...files.filter((f) => f !== main).map((f) => `sde-lab/${f.slice(0, -3)}`)];
  }

  private explain(spec: string, error: unknown): unknown {
    const code = (error as { code?: string }).code;
    const message = (error as { message?: string }).message ?? "";
    // Only a missing package itself, not a module missing inside an installed package.
    if (code === "MODULE_NOT_FOUND" && message.startsWith(`Cannot find module '${spec}'`) && !spec.startsWith(".") && !spec.startsWith("/")) {
      return new PackageNotFoundError(packageName(spec), this.folder);
    }
    return error;
  }
}

/** `lodash/fp` → `lodash`; `@scope/pkg/sub` → `@scope/pkg`. */
export function packageName(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}
