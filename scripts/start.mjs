// `npm start`: build, then open a working copy of notebooks/ in a real VS Code with SDE Lab
// loaded (the extension opens 00-welcome.sdenb on a folder's first start).
// - Desktop VS Code (`code` on PATH): runs it with --extensionDevelopmentPath on this folder.
// - Otherwise: serves the cached browser VS Code (code-server, the one the end-to-end tests
//   use; installed on first use) behind a connection-token gate on a fixed loopback port
//   (SDE_LAB_PORT, default 8739), and prints the URL. Ctrl-C stops it cleanly.
// The working copy (scripts/workcopy.mjs) keeps the tracked notebooks unmodified.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { newToken, startTokenProxy } from "./token-proxy.mjs";
import { ensureCodeServer, installVsix, prepareProfile, startServer } from "./vscode-server.mjs";
import { syncWorkingCopy, workingCopyDir } from "./workcopy.mjs";

const root = resolve(import.meta.dirname, "..");
const DEFAULT_PORT = 8739;
const WELCOME = "00-welcome.sdenb";

function step(message) {
  console.log(`[start] ${message}`);
}

function fail(message) {
  console.error(`\n${message}`);
  process.exit(1);
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function onPath(command) {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

function prepareNotebooks() {
  const dir = workingCopyDir();
  const sync = syncWorkingCopy(join(root, "notebooks"), dir);
  step(`notebooks: working copy in ${dir} (the files in notebooks/ stay as shipped)`);
  if (sync.copied.length > 0 && !sync.created) step(`  new: ${sync.copied.join(", ")}`);
  if (sync.updated.length > 0) step(`  updated to the shipped version: ${sync.updated.join(", ")}`);
  for (const k of sync.kept) step(`  ${k.name} has your edits, so it was kept; the newer shipped version is ${k.shipped}`);
  if (sync.created) step(`  first start: ${WELCOME} opens once the editor is up`);
  return { dir };
}

function requestedPort() {
  const raw = process.env.SDE_LAB_PORT;
  if (raw === undefined || raw === "") return { port: DEFAULT_PORT, fixed: false };
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`SDE_LAB_PORT must be a port number from 1 to 65535; it is "${raw}".`);
  return { port, fixed: true };
}

if (onPath("code") && !process.env.SDE_LAB_BROWSER) {
  step("building the extension");
  run("npm", ["run", "build", "--silent"]);
  const { dir } = prepareNotebooks();
  run("code", ["--extensionDevelopmentPath", root, dir]);
  console.log(`Opened ${dir} in VS Code with SDE Lab loaded from this folder (run \`npm run watch\` to rebuild on save).`);
} else {
  step("packaging the extension (sde-lab.vsix)");
  run("npm", ["run", "package", "--silent"]);
  try {
    await ensureCodeServer();
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  const { dir } = prepareNotebooks();
  // A profile kept between starts, so settings persist. Workspace Trust stays on; the gate
  // trusts the working copy (and nothing else) in the browser's trust list.
  const profile = prepareProfile(join(root, ".vscode-test", "start-profile"), {
    "security.workspace.trust.enabled": true,
    "workbench.startupEditor": "none",
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "chat.disableAIFeatures": true,
  });
  step("installing sde-lab.vsix into the served VS Code");
  installVsix(join(root, "sde-lab.vsix"), profile);
  // code-server listens on a socket only this user can reach; the token gate is the way in.
  const socketDir = mkdtempSync(join(tmpdir(), "sde-lab-"));
  const socket = join(socketDir, "code-server.sock");
  step("starting VS Code");
  const server = await startServer({ folder: dir, profile, socket });
  const token = newToken();
  const wanted = requestedPort();
  let proxy;
  try {
    proxy = await startTokenProxy({ socketPath: socket, port: wanted.port, token, trustFolder: dir });
  } catch (error) {
    if (error?.code !== "EADDRINUSE" || wanted.fixed) {
      await server.stop();
      rmSync(socketDir, { recursive: true, force: true });
      fail(
        error?.code === "EADDRINUSE"
          ? `Port ${wanted.port} (SDE_LAB_PORT) is in use: choose another, e.g. SDE_LAB_PORT=${wanted.port + 1} npm start.`
          : `Could not listen on 127.0.0.1:${wanted.port}: ${error?.message ?? error}`,
      );
    }
    step(`port ${wanted.port} is in use, so a free one is used; set SDE_LAB_PORT to choose`);
    proxy = await startTokenProxy({ socketPath: socket, port: 0, token, trustFolder: dir });
  }
  const base = `http://127.0.0.1:${proxy.port}/`;
  const query = new URLSearchParams({ folder: dir, tkn: token });
  const url = `${base}?${query}`;
  console.log(`\nSDE Lab is running in VS Code (browser edition, VS Code 1.139).\nOpen ${url}\nPress Ctrl-C to stop.\n`);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    // VS Code first: its end closes the browser's tunnels through the gate.
    await server.stop();
    await proxy.close();
    rmSync(socketDir, { recursive: true, force: true });
    console.log("Stopped.");
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  // Keep the process alive until a signal arrives.
  setInterval(() => {}, 1 << 30);
}
