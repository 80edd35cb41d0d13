import { describe, expect, it } from "vitest";
// @ts-expect-error plain .mjs helper of the end-to-end runner, no declarations
import { formatConsoleArgs } from "../e2e/console-format.mjs";

const format = formatConsoleArgs as (args: unknown[]) => string;

describe("e2e console formatting", () => {
  it("applies mocha's format string", () => {
    expect(format(["  ✔ %s (%dms)", "runs all cells", 812.7])).toBe("✔ runs all cells (812ms)");
  });

  it("drops %c styles as a browser console does", () => {
    expect(format(["%c INFO", "color: #33f", "[exthost] started"])).toBe("INFO [exthost] started");
    expect(format(["%c INFO %s%s", "color: #33f", "a", "b"])).toBe("INFO ab");
    // VS Code's logger in front of mocha's own format string
    expect(format(["%c INFO", "color: #33f", "%s%s", "  ", "SDE Lab in a real VS Code"])).toBe("INFO SDE Lab in a real VS Code");
  });

  it("keeps plain text, %% and leftover values", () => {
    expect(format(["100%% done", 1, { a: 1 }])).toBe('100% done 1 {"a":1}');
    expect(format(["no values %s"])).toBe("no values %s");
    expect(format([42, "x"])).toBe("42 x");
  });
});
