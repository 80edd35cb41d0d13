import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

export default defineConfig({
  resolve: {
    // Unit tests run the VS Code glue against a small fake of the `vscode` module;
    // the real API is exercised by the end-to-end suite.
    alias: { vscode: fileURLToPath(new URL("./test/unit/fakes/vscode.ts", import.meta.url)) },
  },
  test: {
    include: ["test/unit/**/*.test.ts"],
    globalSetup: ["test/unit/global-setup.ts"],
    testTimeout: 20_000,
  },
});
