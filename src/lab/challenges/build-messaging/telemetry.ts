export { rabbitRetryBuild as telemetryBuild } from "./retry-topology";
