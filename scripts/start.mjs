// `npm start`: build, then open notebooks/ in a real VS Code with SDE Lab loaded.
// - Desktop VS Code (`code` on PATH): runs it with --extensionDevelopmentPath on this folder.
// - Otherwise: serves the cached browser VS Code (code-server, the one the end-to-end tests
//   use) on a loopback port with the packaged extension installed, and prints the URL.
// Ctrl-C stops the server cleanly.
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { ensureCodeServer, installVsix, prepareProfile, startServer } from "./vscode-server.mjs";

const root = resolve(import.meta.dirname, "..");
const notebooks = join(root, "notebooks");

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function onPath(command) {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

if (onPath("code") && !process.env.SDE_LAB_BROWSER) {
  run("npm", ["run", "build", "--silent"]);
  run("code", ["--extensionDevelopmentPath", root, notebooks]);
  console.log("Opened notebooks/ in VS Code with SDE Lab loaded from this folder (run `npm run watch` to rebuild on save).");
} else {
  run("npm", ["run", "package", "--silent"]);
  try {
    ensureCodeServer();
  } catch (error) {
    console.error(`\n${error.message}`);
    process.exit(1);
  }
  // A profile kept between starts, so settings and open editors persist. The notebooks are
  // this project's own, so the workspace-trust prompt is turned off for this profile only.
  const profile = prepareProfile(join(root, ".vscode-test", "start-profile"), {
    "security.workspace.trust.enabled": false,
    "workbench.startupEditor": "none",
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "chat.disableAIFeatures": true,
  });
  installVsix(join(root, "sde-lab.vsix"), profile);
  const port = process.env.SDE_LAB_PORT ? Number(process.env.SDE_LAB_PORT) : undefined;
  const server = await startServer({ folder: notebooks, profile, port });
  const url = `${server.url}?folder=${encodeURIComponent(notebooks)}`;
  console.log(`\nSDE Lab is running in VS Code (browser edition, VS Code 1.139).\nOpen ${url}\nPress Ctrl-C to stop.\n`);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await server.stop();
    console.log("Stopped.");
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  // Keep the process alive until a signal arrives.
  setInterval(() => {}, 1 << 30);
}
