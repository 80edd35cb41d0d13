/** Why a kernel process ended, in one sentence a learner can act on. */

/** What is known about a kernel process that ended on its own. */
export interface KernelExit {
  /** Exit code, when it exited. */
  code: number | null;
  /** Signal, when one ended it. */
  signal: NodeJS.Signals | null;
  /** The end of what the process wrote to stderr outside any cell (V8's fatal messages). */
  stderrTail: string;
  /** Set when the host's memory watchdog ended it: resident bytes when it was stopped. */
  rssBytes?: number;
  /** Set when the process could not be started. */
  spawnError?: Error;
}

/** The limit and where the learner changes it, for the messages. */
export interface MemoryLimit {
  mb: number;
  /** E.g. `the setting sdeLab.kernel.memoryLimitMb`, or `--memory-limit`. */
  name: string;
}

const NEXT = "the next run starts a fresh kernel";

/** One sentence: what ended the kernel, and what happens next. */
export function describeExit(exit: KernelExit, limit: MemoryLimit): string {
  const memory = `The kernel used more than its memory limit of ${limit.mb} MB and was stopped (raise it with ${limit.name}); ${NEXT}.`;
  if (exit.spawnError) return `The kernel process could not start (${exit.spawnError.message}).`;
  if (exit.rssBytes !== undefined) return memory;
  if (/heap out of memory|Reached heap limit|Allocation failed/i.test(exit.stderrTail)) return memory;
  if (exit.signal === "SIGABRT") return `The kernel stopped because the code called process.abort(); ${NEXT}.`;
  if (exit.signal === "SIGSEGV" || exit.signal === "SIGBUS") return `The kernel crashed (${exit.signal}, for example a native stack overflow); ${NEXT}.`;
  if (exit.signal) return `The kernel stopped because its process received ${exit.signal} (for example from process.kill(process.pid)); ${NEXT}.`;
  return `The kernel stopped because the code called process.exit(${exit.code ?? 0}); ${NEXT}.`;
}
