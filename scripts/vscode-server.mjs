// A real VS Code for machines that cannot download one: the npm package `code-server`
// bundles VS Code with a Node extension host. It needs Node 24 to install and run, which the
// npm package `node` provides, so both live in a git-ignored cache folder, not in the
// project's dependencies (a plain `npm ci` on Node 20 would refuse code-server).
//
// Used by `npm start` (when no desktop `code` is on PATH) and by the end-to-end tests.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";

/** Pinned versions: the end-to-end tests use VS Code internals (automation hooks). */
export const CODE_SERVER_VERSION = "4.139.1";
export const VSCODE_VERSION = "1.139.1";
export const NODE24_VERSION = "24.9.0";

const root = resolve(import.meta.dirname, "..");
export const cacheDir = join(root, ".vscode-test", `code-server-${CODE_SERVER_VERSION}`);
const node24Bin = join(cacheDir, "node_modules", "node", "bin");
const entry = join(cacheDir, "node_modules", "code-server", "out", "node", "entry.js");
const stampFile = join(cacheDir, "installed.json");
const stamp = JSON.stringify({ codeServer: CODE_SERVER_VERSION, node: NODE24_VERSION });

function log(message) {
  process.stderr.write(`[vscode-server] ${message}\n`);
}

/** True when the cache holds the pinned code-server, installed completely. */
export function isInstalled() {
  return existsSync(entry) && existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp;
}

function npm(args, env) {
  const result = spawnSync("npm", args, { cwd: cacheDir, stdio: ["ignore", "inherit", "inherit"], env });
  if (result.status !== 0) throw new Error(`npm ${args.join(" ")} failed in ${cacheDir} (exit ${result.status})`);
}

/**
 * Installs code-server into the cache unless the pinned version is already there.
 * Takes about 80 s and 750 MB the first time; later calls return at once.
 */
export function ensureCodeServer() {
  if (isInstalled()) return;
  if (!hasKerberosHeaders()) {
    throw new Error(
      "code-server's native modules need the Kerberos headers: install them with `sudo apt-get install -y libkrb5-dev` (Debian/Ubuntu), then run again.",
    );
  }
  log(`installing code-server ${CODE_SERVER_VERSION} (VS Code ${VSCODE_VERSION}) into ${cacheDir}; this takes a minute or two, once`);
  rmSync(cacheDir, { recursive: true, force: true });
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(
    join(cacheDir, "package.json"),
    JSON.stringify(
      {
        name: "sde-lab-vscode-cache",
        private: true,
        description: "Cache of a real VS Code (code-server) for SDE Lab's npm start and end-to-end tests.",
        // npm 11 asks which dependency install scripts may run; these three must.
        allowScripts: { node: true, "code-server": true, argon2: true },
      },
      null,
      2,
    ),
  );
  const quiet = ["--no-audit", "--no-fund", "--loglevel=error"];
  // Run from inside `npm test`, the environment carries npm_* variables naming Node 20, and
  // npm puts that Node first on the PATH of install scripts; code-server's checks for 24.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== "NODE" && k !== "INIT_CWD"));
  // Step 1: a Node 24 binary from the registry. Step 2: code-server, installed by that Node.
  npm(["install", ...quiet, `node@${NODE24_VERSION}`], env);
  npm(["install", ...quiet, `code-server@${CODE_SERVER_VERSION}`], { ...env, PATH: `${node24Bin}:${env.PATH}` });
  if (!existsSync(entry)) throw new Error(`code-server did not install: ${entry} is missing`);
  writeFileSync(stampFile, stamp);
}

function hasKerberosHeaders() {
  return ["/usr/include/gssapi/gssapi.h", "/usr/include/krb5.h", "/usr/include/gssapi.h"].some((p) => existsSync(p));
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
 * Starts code-server on a loopback port and resolves once it answers HTTP. `env` reaches the
 * extension host (the end-to-end suite reads its mode and results folder from it).
 * @returns {Promise<{url: string, port: number, stop: () => Promise<void>, output: () => string}>}
 */
export async function startServer({ folder, profile, port, extraArgs = [], env = {} }) {
  port ??= await freePort();
  const args = [
    entry,
    "--auth",
    "none",
    "--bind-addr",
    `127.0.0.1:${port}`,
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
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`code-server exited early (code ${child.exitCode}):\n${output}`);
    try {
      const res = await fetch(`${url}healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
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
