/**
 * Turns what a kernel session says outside any execution into events about cells: output and
 * errors raised after their cell finished are attributed to the cell whose code raised them
 * (the kernel tags them with that execution's id), never to the cell that happens to run.
 */
import type { CellError, CellOutput, KernelEvent } from "../host/session";
import { EventEmitter } from "./event";

/** An error raised by a cell's async work after the cell had finished. */
export interface LateError<C> {
  /** The cell whose code raised it; `undefined` when the kernel could not tell. */
  cell: C | undefined;
  error: CellError;
  /** True when that cell is marked `expectError`: it was meant to fail, so this is no news. */
  expected: boolean;
}

/** Output printed by a cell's async work after the cell had finished. */
export interface LateOutput<C> {
  /** The cell whose code printed it; `undefined` when the kernel could not tell. */
  cell: C | undefined;
  output: CellOutput;
}

/** The kernel's state is gone. */
export interface KernelRestart {
  /** One sentence saying why, e.g. "The kernel stopped because the code called process.exit(3); …". */
  reason: string;
  /** True when the user asked for it (Restart Kernel, an interrupt that needed a restart). */
  requested: boolean;
}

/** Executions remembered for attribution; a cell older than this is reported without a name. */
const REMEMBERED = 1000;

/** Routes one session's events to the cells they belong to. */
export class MessageHandler<C extends { readonly expectError: boolean }> {
  private readonly cells = new Map<number, C>();
  private readonly lateError = new EventEmitter<LateError<C>>();
  private readonly lateOutput = new EventEmitter<LateOutput<C>>();
  private readonly restarted = new EventEmitter<KernelRestart>();

  /** An error raised after its cell finished. */
  readonly onLateError = this.lateError.event;
  /** Output printed after its cell finished. */
  readonly onLateOutput = this.lateOutput.event;
  /** The kernel's state was lost (it died, was restarted, or was replaced on interrupt). */
  readonly onRestarted = this.restarted.event;

  /** Remembers which cell an execution runs, for the events that may come after it. */
  started(executionId: number, cell: C): void {
    if (this.cells.size >= REMEMBERED) this.cells.delete(this.cells.keys().next().value!);
    this.cells.set(executionId, cell);
  }

  /** Handles one event of the session. */
  handle(event: KernelEvent): void {
    switch (event.type) {
      case "late-error": {
        const cell = this.cellOf(event.executionId);
        this.lateError.fire({ cell, error: event.error, expected: cell?.expectError === true });
        return;
      }
      case "late-output":
        this.lateOutput.fire({ cell: this.cellOf(event.executionId), output: event.output });
        return;
      case "restarted":
        this.restarted.fire({ reason: event.reason, requested: event.requested });
        return;
    }
  }

  dispose(): void {
    this.cells.clear();
    this.lateError.dispose();
    this.lateOutput.dispose();
    this.restarted.dispose();
  }

  private cellOf(executionId: number | undefined): C | undefined {
    return executionId === undefined ? undefined : this.cells.get(executionId);
  }
}
