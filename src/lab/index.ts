/**
 * The `sde-lab` module that notebook cells import:
 * `import { display } from "sde-lab"`.
 *
 * Simulations (clock, network, faults, patterns, brokers) are exported from here as they land.
 */
export {
  DISPLAY,
  DISPLAY_SINK,
  bundle,
  display,
  isDisplayable,
  json,
  markdown,
  mermaid,
  table,
  text,
  type Displayable,
  type MimeBundle,
  type TableRow,
} from "./display";
export * from "./sim/index";
export { ConfigError } from "./errors";
export * from "./resilience/index";
export * from "./gateway/index";
export * from "./sidecar/index";
export * from "./discovery/index";
export * from "./messaging/index";
