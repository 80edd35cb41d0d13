// The simulation's fast loop (woken code drained with microtasks) against its reference loop
// (one macrotask turn after every waking event, the loop before issue 24): every shipped
// notebook must give the same outputs, byte for byte, in both. Wall-clock durations aside.
import { describe, expect, it } from "vitest";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { root, runJson, type Report } from "./run";

const notebooks = readdirSync(join(root, "notebooks")).filter((f) => f.endsWith(".sdenb"));

/** Everything a learner sees: each cell's status and outputs, in order. */
function seen(report: Report): string {
  return JSON.stringify(report.notebooks.map((n) => n.cells.map((c) => ({ id: c.id, status: c.status, outputs: c.outputs }))));
}

describe("simulation loop determinism", () => {
  it.each(notebooks)(
    "%s: the same outputs, byte for byte, with the fast loop and the reference loop",
    (file) => {
      const fast = runJson(join("notebooks", file));
      const reference = runJson(join("notebooks", file), { SDE_LAB_SIM_LOOP: "macrotask" });
      expect(fast.ok).toBe(true);
      expect(reference.ok).toBe(true);
      // lab/sim-loop.test.ts checks that SDE_LAB_SIM_LOOP really selects the reference loop.
      expect(seen(fast)).toBe(seen(reference));
    },
    240_000,
  );
});
