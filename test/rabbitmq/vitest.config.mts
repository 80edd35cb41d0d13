import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

/** `npm run test:rabbitmq`: the differential suite only (it needs AMQP_URL; scripts/test-rabbitmq.mjs provides one). */
export default defineConfig({
  resolve: {
    alias: [{ find: /^sde-lab$/, replacement: fileURLToPath(new URL("../../src/lab/index.ts", import.meta.url)) }],
  },
  test: {
    include: ["test/rabbitmq/**/*.test.ts"],
    root: fileURLToPath(new URL("../..", import.meta.url)),
    testTimeout: 30_000,
    fileParallelism: false,
  },
});
