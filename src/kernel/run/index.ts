/**
 * The run engine, driven by the notebook controller, `sde-lab run` and the tests. No VS Code
 * here (lint keeps it so): see ./engine for the policy it owns.
 */
export { RunEngine, type CellRun, type RunCell, type RunEngineOptions, type RunObserver, type RunSummary } from "./engine";
export { KernelProvider } from "./kernel-provider";
export { EventEmitter, type Disposable, type Event } from "./event";
export type { KernelRestart, LateError, LateOutput } from "./message-handler";
export { continuesRun, MISSING_EXPECTED_ERROR, verdict, type CellStatus } from "./verdict";
