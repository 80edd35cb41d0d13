export { rabbitRetryBuild as workQueueOnBothBuild } from "./retry-topology";
