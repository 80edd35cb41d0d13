/**
 * Charts and replays in a real VS Code: SDE Lab's notebook renderer draws them in light, dark
 * and high contrast, scrubbing the replay moves the charts of the same run, a hostile node
 * name stays text, and export writes a valid SVG and PNG.
 */
import * as assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import * as vscode from "vscode";
import { ask, hasOuterRunner, screenshot } from "./outer";
import { openAndShow, outputItems, runCells, waitFor, workspaceUri } from "./util";

interface VizFrame {
  charts: number;
  replays: number;
  chartTimes: (string | null)[];
  replayTime: string | null;
  titles: string[];
  legend: string[];
  images: number;
  pwned: string | null;
  clicked: boolean;
}
const HOSTILE = "<img src=x onerror=alert(1)>";
const viz = async (request: Record<string, unknown> = {}) => (await ask<{ frames: VizFrame[] }>({ event: "viz-check", ...request })).frames.find((f) => f.replays > 0 || f.charts > 0);
const setTheme = (theme: string | undefined) => vscode.workspace.getConfiguration("workbench").update("colorTheme", theme, vscode.ConfigurationTarget.Global);

describe("charts and replays", function () {
  this.timeout(120_000);

  it("charts and a replay render, follow the scrubber, keep hostile names as text, and export SVG and PNG", async function () {
    if (!hasOuterRunner) this.skip();
    // Other notebooks' outputs (02's saga replay, 04's rebalance replay) live in webviews too:
    // close them so the frames found below are this notebook's.
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    const { notebook } = await openAndShow("viz.sdenb");
    await runCells(notebook, undefined, 60_000);
    const cell = notebook.cellAt(1);
    const mimes = outputItems(cell).map(([m]) => m);
    assert.ok(mimes.includes("application/vnd.sde-lab.chart+json"), mimes.join(", "));
    assert.ok(mimes.includes("application/vnd.sde-lab.replay+json"), mimes.join(", "));

    let frame: VizFrame | undefined;
    for (let i = 0; i < 20 && !(frame && frame.charts >= 2 && frame.replays >= 1); i++) frame = await viz();
    assert.ok(frame, "no output frame holds SDE Lab charts");
    assert.equal(frame.charts, 2);
    assert.equal(frame.replays, 1);
    // The hostile name is a title, a legend entry and a node: text, never an element.
    assert.ok(frame.titles.includes(`Latency of ${HOSTILE}`), frame.titles.join(" | "));
    assert.ok(frame.legend.includes(HOSTILE), frame.legend.join(" | "));
    assert.equal(frame.images, 0);
    assert.equal(frame.pwned, null);

    // Scrubbing the replay moves the cursor of both charts of the same run.
    const moved = await viz({ scrub: 2_500 });
    assert.equal(moved!.replayTime, "2500");
    assert.deepEqual(moved!.chartTimes, ["2500", "2500"]);

    for (const [theme, name] of [
      ["Default Light Modern", "light"],
      ["Default Dark Modern", "dark"],
      ["Default High Contrast", "high-contrast"],
    ] as const) {
      await setTheme(theme);
      await new Promise((r) => setTimeout(r, 1_500));
      await screenshot(`viz-${name}`);
    }
    await setTheme(undefined);

    // Export: the next save goes to a fixed file instead of a dialog.
    for (const [label, file, check] of [
      ["SVG", "chart-export.svg", (b: Buffer) => b.toString("utf8").startsWith("<svg")],
      ["PNG", "chart-export.png", (b: Buffer) => b.readUInt32BE(0) === 0x89504e47],
    ] as const) {
      const target = workspaceUri(file);
      await vscode.commands.executeCommand("sdeLab.internal.nextExportTarget", target);
      const clicked = await viz({ click: label });
      assert.ok(clicked!.clicked, `no ${label} button on the chart`);
      // The file appears before its last byte is written: wait for a whole one.
      const whole = () => {
        try {
          return existsSync(target.fsPath) && check(readFileSync(target.fsPath));
        } catch {
          return false; // too short to hold a header yet
        }
      };
      await waitFor(`${file} to be written`, () => whole(), 15_000).catch(() => undefined);
      assert.ok(whole(), `${file} is not a valid ${label}`);
      const image = await ask<{ ok: boolean; width: number }>({ event: "image-check", file: target.fsPath, mime: label === "SVG" ? "image/svg+xml" : "image/png" });
      assert.ok(image.ok && image.width > 0, JSON.stringify(image));
    }
  });
});
