#!/usr/bin/env node
/**
 * `npm run test:rabbitmq`: the differential suite (test/rabbitmq) against a real RabbitMQ.
 * Uses AMQP_URL when set; otherwise starts a throwaway local broker if `rabbitmq-server` is
 * installed (and stops it after, also on failure or Ctrl-C); otherwise says how to get one and
 * skips (exit 0). Extra arguments go to vitest; RECORD=1 rewrites test/rabbitmq/expected.json.
 */
import { spawnSync } from "node:child_process";
import { findBroker, INSTALL_HINT, start, stop } from "./rabbitmq-broker.mjs";

let url = process.env.AMQP_URL;
let started = false;
if (!url) {
  if (!findBroker()) {
    console.log(`test:rabbitmq skipped: no broker. Set AMQP_URL, or install one: ${INSTALL_HINT}`);
    process.exit(0);
  }
  const t0 = Date.now();
  url = await start();
  started = true;
  console.log(`started RabbitMQ at ${url} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => (stop(), process.exit(130)));
}
let run;
try {
  run = spawnSync("npx", ["vitest", "run", "--config", "test/rabbitmq/vitest.config.mts", ...process.argv.slice(2)], { stdio: "inherit", env: { ...process.env, AMQP_URL: url } });
} finally {
  if (started) stop();
}
process.exit(run?.status ?? 1);
