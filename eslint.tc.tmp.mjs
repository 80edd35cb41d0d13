import base from "./eslint.config.mjs";
import tseslint from "typescript-eslint";
export default [
  ...base,
  { files: ["**/*.ts"], languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: "/work/wt/api" } },
    plugins: { "@typescript-eslint": tseslint.plugin },
    rules: { "@typescript-eslint/no-floating-promises": "error", "@typescript-eslint/no-misused-promises": "error" } },
];
