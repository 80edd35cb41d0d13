// A Chromium for driving the browser VS Code (end-to-end tests, `npm start`'s checks):
// CHROMIUM_PATH when set, else Debian's `chromium` when installed, else the headless
// Chromium shipped inside the npm package `@sparticuz/chromium` (no download: the binary is
// in its tarball), unpacked once into .vscode-test/ next to the cached VS Code.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const SYSTEM_CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

/** Flags for a headless Chromium in a container (root, no GPU, small /dev/shm). */
const COMMON_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

function log(message) {
  process.stderr.write(`[chromium] ${message}\n`);
}

/** @returns {string} the version of the installed @sparticuz/chromium */
function packageVersion() {
  // The package's exports hide package.json; its main file sits in build/.
  const main = createRequire(import.meta.url).resolve("@sparticuz/chromium");
  return JSON.parse(readFileSync(join(dirname(main), "..", "package.json"), "utf8")).version;
}

/**
 * Unpacks @sparticuz/chromium into a project-local folder. Its `executablePath()` unpacks
 * into `os.tmpdir()` and reuses any `chromium` already there without checking its version,
 * so the temp dir is pointed at a folder named after the package version for that call.
 */
async function unpackNpmChromium() {
  const version = packageVersion();
  const dir = join(root, ".vscode-test", `chromium-${version}`);
  const binary = join(dir, "chromium");
  const stamp = join(dir, "unpacked.json");
  if (existsSync(binary) && existsSync(stamp)) return { dir, binary };
  log(`unpacking Chromium from the npm package @sparticuz/chromium ${version} into ${dir} (about 200 MB, a few seconds, once)`);
  const started = Date.now();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    const { default: chromium } = await import("@sparticuz/chromium");
    const path = await chromium.executablePath();
    if (resolve(path) !== binary) throw new Error(`@sparticuz/chromium unpacked to ${path}, expected ${binary}`);
  } catch (error) {
    throw new Error(
      /ENOSPC/.test(String(error))
        ? `not enough disk space to unpack Chromium (about 200 MB) into ${dir}: free some space, then run again`
        : `could not unpack Chromium from @sparticuz/chromium into ${dir}: ${error instanceof Error ? error.message : error}. Run \`npm install\` again to restore the package.`,
      { cause: error },
    );
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
  // The package's fonts.conf names Lambda's folders (/tmp/fonts): point fontconfig at the
  // unpacked fonts and the system's own, with its cache inside the folder.
  writeFileSync(
    join(dir, "fonts.conf"),
    `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${join(dir, "fonts", "fonts")}</dir>\n  <dir>/usr/share/fonts</dir>\n  <dir>/usr/local/share/fonts</dir>\n  <cachedir>${join(dir, "fonts-cache")}</cachedir>\n</fontconfig>\n`,
  );
  writeFileSync(stamp, JSON.stringify({ version }));
  log(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { dir, binary };
}

/**
 * Finds or unpacks a Chromium for playwright-core.
 * @returns {Promise<{ executablePath: string, args: string[], env: Record<string, string>, source: string }>}
 */
export async function findChromium() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH is ${fromEnv}, which does not exist: point it at a Chrome or Chromium binary, or unset it to use the one from npm.`);
    return { executablePath: fromEnv, args: COMMON_ARGS, env: {}, source: "CHROMIUM_PATH" };
  }
  const system = SYSTEM_CHROMIUM.find((p) => existsSync(p));
  if (system) return { executablePath: system, args: COMMON_ARGS, env: {}, source: "system" };
  const { dir, binary } = await unpackNpmChromium();
  // The package's shared libraries and fonts sit next to the binary; fontconfig needs telling.
  return {
    executablePath: binary,
    args: [...COMMON_ARGS, "--no-zygote", "--disable-features=AudioServiceOutOfProcess"],
    env: { FONTCONFIG_FILE: join(dir, "fonts.conf"), LD_LIBRARY_PATH: [dir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(":") },
    source: "npm @sparticuz/chromium",
  };
}

/**
 * Launches a persistent playwright-core context with the Chromium found above; when it
 * cannot start, says why (missing shared libraries, by name) and what to do.
 * @param {import("playwright-core").BrowserType} chromiumType playwright-core's `chromium`
 * @param {string} profileDir
 * @param {import("playwright-core").LaunchOptions & import("playwright-core").BrowserContextOptions} options
 */
export async function launchChromium(chromiumType, profileDir, options) {
  const found = await findChromium();
  try {
    return await chromiumType.launchPersistentContext(profileDir, {
      ...options,
      executablePath: found.executablePath,
      headless: true,
      args: found.args,
      env: { ...process.env, ...found.env },
    });
  } catch (error) {
    throw new Error(cannotStart(found, error instanceof Error ? error.message : String(error)), { cause: error });
  }
}

/** Debian packages of the few system libraries the npm Chromium links (see `ldd`). */
const DEBIAN_PACKAGES = { libnss3: "libnss3", libnssutil3: "libnss3", libsmime3: "libnss3", libnspr4: "libnspr4", libplc4: "libnspr4", libplds4: "libnspr4", libexpat: "libexpat1" };

function cannotStart(found, reason) {
  const ldd = spawnSync("ldd", [found.executablePath], { encoding: "utf8", env: { ...process.env, ...found.env } });
  const missing = (ldd.stdout ?? "")
    .split("\n")
    .filter((l) => l.includes("not found"))
    .map((l) => l.trim().split(/\s/)[0]);
  const packages = [...new Set(missing.map((lib) => DEBIAN_PACKAGES[lib.replace(/\.so.*$/, "")] ?? "chromium"))];
  const fix =
    missing.length > 0
      ? `It is missing the shared libraries ${missing.join(", ")}: install them (Debian/Ubuntu: \`sudo apt-get install -y ${packages.join(" ")}\`), or set CHROMIUM_PATH to a Chrome or Chromium that runs here.`
      : "Set CHROMIUM_PATH to a Chrome or Chromium that runs here (Debian/Ubuntu: `sudo apt-get install -y chromium`), or unset it to use the one from npm.";
  return `Chromium (${found.source}: ${found.executablePath}) could not start. ${fix}\n${reason.split("\n").slice(0, 12).join("\n")}`;
}
