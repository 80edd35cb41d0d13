#!/usr/bin/env node
/**
 * Starts and stops a throwaway RabbitMQ broker for the differential suite (test/rabbitmq) and
 * notebook 04's "run it on a real broker" section: the distribution's `rabbitmq-server`
 * (Debian's is 3.10.x), run without systemd, bound to 127.0.0.1 (AMQP, Erlang distribution
 * and epmd), with its data, logs and Erlang cookie in a fresh temporary folder so nothing
 * from an earlier run is left over and no system folder is touched.
 *
 *   node scripts/rabbitmq-broker.mjs start   # prints AMQP_URL=amqp://guest:guest@127.0.0.1:<port>
 *   node scripts/rabbitmq-broker.mjs stop
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Where the running broker's folder is recorded between `start` and `stop`. */
const STATE = join(tmpdir(), "sde-lab-rabbitmq.json");
/** The port the suite's broker listens on (not 5672, so a broker already running there is left alone). */
export const PORT = Number(process.env.SDE_LAB_RABBITMQ_PORT ?? 5673);
export const INSTALL_HINT = "sudo apt-get install -y rabbitmq-server   (Debian/Ubuntu; or: docker run -d -p 5672:5672 rabbitmq:3.10, then AMQP_URL=amqp://localhost)";

/** The rabbitmq-server and rabbitmqctl scripts, if installed (Debian's wrappers switch user, so the real ones are preferred). */
export function findBroker() {
  for (const dir of ["/usr/lib/rabbitmq/bin", "/usr/local/sbin", "/usr/sbin", "/opt/homebrew/sbin", "/usr/local/opt/rabbitmq/sbin"]) {
    if (existsSync(join(dir, "rabbitmq-server")) && existsSync(join(dir, "rabbitmqctl"))) return { server: join(dir, "rabbitmq-server"), ctl: join(dir, "rabbitmqctl") };
  }
  return undefined;
}

function env(base) {
  return {
    ...process.env,
    HOME: base, // the Erlang cookie lives here
    RABBITMQ_NODENAME: `sdelab${PORT}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: "127.0.0.1",
    RABBITMQ_NODE_PORT: String(PORT),
    RABBITMQ_DIST_PORT: String(PORT + 20000),
    ERL_EPMD_ADDRESS: "127.0.0.1",
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: "-kernel inet_dist_use_interface {127,0,0,1}",
    RABBITMQ_CTL_ERL_ARGS: "-kernel inet_dist_use_interface {127,0,0,1}",
    RABBITMQ_MNESIA_BASE: join(base, "mnesia"),
    RABBITMQ_LOG_BASE: join(base, "log"),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(base, "enabled_plugins"),
    RABBITMQ_CONFIG_FILE: join(base, "rabbitmq"),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(base, "advanced.config"),
    RABBITMQ_CONF_ENV_FILE: join(base, "rabbitmq-env.conf"),
    RABBITMQ_PID_FILE: join(base, "rabbit.pid"),
  };
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port (the AMQP listener opens last in RabbitMQ's boot). */
async function listening(port, deadline) {
  while (Date.now() < deadline) {
    const ok = await new Promise((resolve) => {
      const socket = connect({ host: "127.0.0.1", port }, () => (socket.end(), resolve(true)));
      socket.on("error", () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/** Starts the broker and waits until it accepts connections; resolves to its AMQP URL. */
export async function start() {
  const bin = findBroker();
  if (!bin) throw new Error(`rabbitmq-server is not installed. Get one with: ${INSTALL_HINT}`);
  if (existsSync(STATE)) stop();
  const base = mkdtempSync(join(tmpdir(), "sde-lab-rabbitmq-"));
  mkdirSync(join(base, "log"));
  writeFileSync(join(base, "enabled_plugins"), "[].\n");
  // Loopback only; the guest user may log in from 127.0.0.1 as usual.
  writeFileSync(join(base, "rabbitmq.conf"), `listeners.tcp.1 = 127.0.0.1:${PORT}\nloopback_users.guest = true\n`);
  writeFileSync(join(base, "advanced.config"), "[].\n");
  writeFileSync(join(base, "rabbitmq-env.conf"), "\n");
  const e = env(base);
  const child = spawn(bin.server, [], { env: e, detached: true, stdio: ["ignore", "ignore", "ignore"] });
  child.unref();
  writeFileSync(STATE, JSON.stringify({ base, pid: child.pid }));
  if (!(await listening(PORT, Date.now() + 120_000))) {
    let log = "";
    try {
      log = readFileSync(join(base, "log", `${e.RABBITMQ_NODENAME}.log`), "utf8").slice(-2000);
    } catch {
      // no log yet
    }
    stop();
    throw new Error(`rabbitmq-server did not open port ${PORT} within 120 s\n${log}`);
  }
  return `amqp://guest:guest@127.0.0.1:${PORT}`;
}

/** Stops the broker started by {@link start} (and its epmd) and removes its folder. */
export function stop() {
  if (!existsSync(STATE)) return;
  const { base, pid } = JSON.parse(readFileSync(STATE, "utf8"));
  const bin = findBroker();
  const e = env(base);
  if (bin) spawnSync(bin.ctl, ["-n", e.RABBITMQ_NODENAME, "stop"], { env: e, encoding: "utf8", timeout: 30_000 });
  try {
    process.kill(-pid, "SIGTERM");
  } catch {
    // already gone
  }
  // epmd was started by the broker for this run; it outlives the node unless asked to go.
  spawnSync("epmd", ["-kill"], { env: e, timeout: 5000 });
  rmSync(base, { recursive: true, force: true });
  rmSync(STATE, { force: true });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const cmd = process.argv[2];
  if (cmd === "start") console.log(`AMQP_URL=${await start()}`);
  else if (cmd === "stop") stop();
  else {
    console.error("usage: node scripts/rabbitmq-broker.mjs start|stop");
    process.exit(2);
  }
}
