import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

export default defineConfig({
  resolve: {
    // Unit tests run the VS Code glue against a small fake of the `vscode` module;
    // the real API is exercised by the end-to-end suite.
    // `sde-lab` and its subpaths resolve to the lab's sources, as tsconfig's paths say.
    alias: [
      { find: /^vscode$/, replacement: fileURLToPath(new URL("./test/unit/fakes/vscode.ts", import.meta.url)) },
      { find: /^sde-lab$/, replacement: fileURLToPath(new URL("./src/lab/index.ts", import.meta.url)) },
      { find: /^sde-lab\/(scenarios|challenges)$/, replacement: fileURLToPath(new URL("./src/lab/", import.meta.url)) + "$1/index.ts" },
    ],
  },
  test: {
    include: ["test/unit/**/*.test.ts"],
    globalSetup: ["test/unit/global-setup.ts"],
    testTimeout: 20_000,
  },
});
