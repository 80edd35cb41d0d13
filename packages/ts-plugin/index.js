// Two folders below the extension root both here (packages/ts-plugin) and where the VSIX puts
// it (node_modules/sde-lab-ts-plugin), so one relative path serves both.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- tsserver loads plugins as CommonJS
module.exports = require("../../dist/tsplugin.js").default;
