// Flat config: typescript-eslint's recommended rules over all TypeScript, the type-aware
// promise rules over src/ and test/, plus Node globals
// for the build scripts, plus the layering (ARCHITECTURE): where code runs decides what it
// may import, and a forbidden import fails `npm run lint` (part of `npm test` and CI).
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

const noVscode = { name: "vscode", message: "Only the VS Code glue (src/extension.ts, src/notebook/ except format.ts) may import vscode." };
/**
 * Packages the lab may use: pure JavaScript, no Node APIs, no clock or randomness of their own
 * on the paths we call — the real implementations the protocols section measures — and
 * fast-check, which build challenges use to attack a pure part (always with a fixed seed).
 */
// fast-check: the build challenges' property stages (src/lab/challenges) check pure parts with
// it, always with a fixed seed, so the same solution gives the same report.
const labPackages = ["graphql", "dataloader", "protobufjs", "fast-check"];
/** The lab runs inside cells and in any JavaScript runtime: only its own files (and labPackages). */
const labOnly = (escape) => ({
  patterns: [
    // "sde-lab" is the lab's own public API: the subpath entries (scenarios, challenges) use it.
    { regex: `^(?!\\.|sde-lab$|(${labPackages.join("|")})(/|$))`, message: `src/lab imports only its own files and ${labPackages.join(", ")}: no Node APIs, no other packages (cells must stay deterministic and portable).` },
    { group: [`${escape}*`], message: "src/lab imports only its own files." },
  ],
});
/** Node built-ins: not in code that runs in a browser or is pure data. */
const noNode = { group: ["node:*", "fs", "path", "child_process", "os", "crypto"], message: "No Node APIs here: this code also runs where Node is not." };
/** Imports of every sibling folder of src/ except `own`. */
const otherLayers = (own) => ["catalog", "cli", "content", "editor", "kernel", "lab", "notebook", "preview", "tsplugin"].filter((d) => d !== own).map((d) => `../${d}/*`);
/** The notebook glue never imports content features: they subscribe to the controller's events. */
const noContent = { group: ["../content", "../content/*"], message: "src/notebook/ never imports src/content/ (that was an import loop): content features subscribe to SdeNotebookController.onDidExecuteCell instead." };
const layers = [
  // Kernel code runs in the CLI and in the kernel process: no VS Code.
  { files: ["src/kernel/*.ts"], paths: [noVscode], patterns: [{ group: ["./host/*", "./process/*", "./run/*"], message: "Shared kernel modules are imported by host, process and run engine, not the other way round." }] },
  { files: ["src/kernel/host/**/*.ts"], paths: [noVscode], patterns: [{ group: ["../process/*"], message: "The host never loads the code that runs cells: that lives only in the kernel process." }, { group: ["../run", "../run/*"], message: "The run engine drives the host, not the other way round." }] },
  { files: ["src/kernel/process/**/*.ts"], paths: [noVscode], patterns: [{ group: ["../host/*", "../run", "../run/*"], message: "The kernel process knows nothing of its host; talk through ../protocol." }] },
  // The one run engine: driven by the controller, the CLI and the tests, so no VS Code in it.
  { files: ["src/kernel/run/**/*.ts"], paths: [noVscode], patterns: [{ group: ["../process/*"], message: "The run engine drives kernels through ../host/session, never the code that runs cells." }] },
  { files: ["src/notebook/**/*.ts"], patterns: [noContent] },
  { files: ["src/cli/**/*.ts", "src/tsplugin/**/*.ts"], paths: [noVscode] },
  // After the src/notebook/** entry: a file's last matching entry sets the whole rule.
  { files: ["src/notebook/format.ts"], paths: [noVscode], patterns: [noContent] },
  // The catalog is pure data, read by the extension, the build and the tests: no VS Code, no Node.
  { files: ["src/catalog/**/*.ts"], paths: [noVscode], patterns: [noNode, { group: ["../*", "!../types", "../../*"], message: "The catalog is pure data: it imports only its own files." }] },
  // The editor support runs inside tsserver (the TS plugin); only its diagnostics glue talks to VS Code.
  { files: ["src/editor/**/*.ts"], ignores: ["src/editor/notebook-diagnostics.ts"], paths: [noVscode], patterns: [{ group: otherLayers("editor"), message: "src/editor runs inside tsserver: it imports only its own files (and the lab's types)." }] },
  { files: ["src/editor/notebook-diagnostics.ts"], patterns: [{ group: otherLayers("editor"), message: "src/editor imports only its own files." }] },
  // Content features (snippets, pickers, walkthrough) read the catalog and notebooks; they never run cells.
  { files: ["src/content/**/*.ts"], patterns: [{ group: ["../kernel/*", "../editor/*", "../preview/*", "../cli/*", "../lab/*"], message: "src/content uses the catalog and the notebook format only; it never runs or checks cells." }] },
  // The diagram preview: extension side, plus a browser bundle that only talks through ../messages.
  { files: ["src/preview/*.ts"], patterns: [{ group: ["../kernel/*", "../editor/*", "../notebook/*", "../cli/*", "../lab/*"], message: "src/preview shows diagrams from the catalog; it has no kernel, editor or notebook code." }] },
  { files: ["src/preview/webview/**/*.ts"], paths: [noVscode], patterns: [noNode, { group: ["../*", "!../messages", "../../*"], message: "The webview runs in a browser: it imports only its own files, ../messages and mermaid." }] },
];

export default tseslint.config(
  {
    ignores: ["bench/results/**", "dist/**", "node_modules/**", ".vscode-test/**", "test-results/**", "coverage/**", "*.vsix", "test/fixtures/**", "test/e2e/workspace/tryout/**"],
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
    // Type-aware rules: a promise nobody awaits or handles, or one passed where a void callback
    // is expected, loses its rejection. Layering probes (test/unit/architecture) are not files
    // of the project, so they are linted without type information.
    files: ["src/**/*.ts", "test/**/*.ts"],
    ignores: ["**/probe.ts"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
    },
  },
  ...layers.map(({ files, ignores, paths, patterns }) => ({
    files,
    ...(ignores ? { ignores } : {}),
    rules: { "no-restricted-imports": ["error", { paths: paths ?? [], patterns: patterns ?? [] }] },
  })),
  { files: ["src/lab/*.ts"], rules: { "no-restricted-imports": ["error", labOnly("../")] } },
  { files: ["src/lab/*/*.ts"], rules: { "no-restricted-imports": ["error", labOnly("../../")] } },
  { files: ["src/lab/*/*/*.ts"], rules: { "no-restricted-imports": ["error", labOnly("../../../")] } },
  {
    // Snippets are notebook cells: the last expression is the value the cell shows.
    files: ["snippets/**/*.ts"],
    rules: { "@typescript-eslint/no-unused-expressions": "off" },
  },
);
