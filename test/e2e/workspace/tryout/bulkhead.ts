import type { BulkheadBuild } from "sde-lab/challenges";

const semaphoreBulkhead: BulkheadBuild = {
  bulkhead({ maxConcurrent, maxQueue, maxWaitMs }, kit) {
    let inUse = 0;
    const waiting: { grant: () => void; cancelTimer: () => void }[] = [];
    const release = () => {
      const next = waiting.shift();
      if (next) { next.cancelTimer(); next.grant(); } else inUse--;
    };
    const acquire = () => new Promise<void>((resolve, reject) => {
      if (inUse < maxConcurrent) { inUse++; return resolve(); }
      if (waiting.length >= maxQueue) return reject(kit.fullError(`bulkhead full: ${inUse} running, ${waiting.length} waiting`));
      const entry = { grant: resolve, cancelTimer: () => {} };
      entry.cancelTimer = kit.setTimer(maxWaitMs, () => {
        waiting.splice(waiting.indexOf(entry), 1);
        reject(kit.fullError(`waited ${maxWaitMs} ms without a permit`));
      });
      waiting.push(entry);
    });
    return {
      async execute(call) {
        await acquire();
        try { return await call(); } finally { release(); }
      },
    };
  },
};
