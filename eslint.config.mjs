// Flat config: typescript-eslint's recommended rules over all TypeScript, plus Node globals
// for the build scripts.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

export default tseslint.config(
  {
    ignores: ["bench/results/**", "dist/**", "node_modules/**", ".vscode-test/**", "test-results/**", "coverage/**", "*.vsix", "test/fixtures/**"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.{js,mjs,cjs}"],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      eqeqeq: ["error", "always"],
    },
  },
  {
    // Snippets are notebook cells: the last expression is the value the cell shows.
    files: ["snippets/**/*.ts"],
    rules: { "@typescript-eslint/no-unused-expressions": "off" },
  },
);
