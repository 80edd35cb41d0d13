/**
 * Watches a kernel's resident memory from outside the kernel: heap, Buffers and ArrayBuffers
 * alike, and even while the kernel is stuck in a loop (it never has to answer).
 *
 * Linux reads `/proc/<pid>/status`; macOS asks `ps`. Windows has neither cheaply, so there
 * only V8's heap limit applies (documented in the README).
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";

/** Resident set size of process `pid` in bytes, or undefined when it cannot be read. */
export type RssReader = (pid: number) => Promise<number | undefined>;

/** The reader for this platform, or undefined where none is available. */
export function platformRssReader(platform = process.platform): RssReader | undefined {
  if (platform === "linux") return async (pid) => readProcRss(pid);
  if (platform === "darwin") return psRss;
  return undefined;
}

function readProcRss(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "latin1");
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function psRss(pid: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile("ps", ["-o", "rss=", "-p", String(pid)], (error, stdout) => {
      const kb = Number(stdout.trim());
      resolve(error || !Number.isFinite(kb) || kb <= 0 ? undefined : kb * 1024);
    });
  });
}

/** Options of {@link watchMemory}. */
export interface MemoryWatchOptions {
  /** The process to watch. */
  pid: number;
  /** Resident bytes above which {@link onExceeded} is called (once). */
  limitBytes: number;
  /** Time between samples (ms). */
  intervalMs: number;
  /** Called with the sampled size when it is above the limit. */
  onExceeded(rssBytes: number): void;
  /** Reads a process's resident size; default: this platform's reader. */
  read?: RssReader;
}

/** Samples until stopped or the limit is crossed; returns the function that stops it. */
export function watchMemory(options: MemoryWatchOptions): () => void {
  const read = options.read ?? platformRssReader();
  if (!read) return () => {};
  let stopped = false;
  let busy = false;
  const timer = setInterval(() => {
    if (busy || stopped) return;
    busy = true;
    void read(options.pid).then((rss) => {
      busy = false;
      if (stopped || rss === undefined || rss <= options.limitBytes) return;
      stop();
      options.onExceeded(rss);
    });
  }, options.intervalMs);
  timer.unref();
  const stop = () => {
    stopped = true;
    clearInterval(timer);
  };
  return stop;
}
