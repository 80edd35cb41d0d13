// VS Code's Run All through the one run engine (src/kernel/run), on the regression notebook
// of issue 19: each expectError cell ends its kernel a different way; each next cell must run,
// in a fresh kernel (it throws if the variable set before the crash survived).
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { screenshot } from "./outer";
import { ERROR_MIME, finished, openAndShow, outputText, waitFor } from "./util";

const NOTEBOOK = "issue-19-expect-error-kernel-death.sdenb";

describe("Run All in VS Code with expectError cells that end their kernel", function () {
  afterEach(async function () {
    if (this.currentTest?.state === "failed") await screenshot("failed-run-all-expect-error-kernel-death");
  });

  it("Run All passes expectError cells that call process.exit, process.abort, SIGKILL or pass the memory limit, and runs each next cell in a fresh kernel", async function () {
    this.timeout(120_000);
    const config = vscode.workspace.getConfiguration("sdeLab.kernel");
    await config.update("memoryLimitMb", 128, vscode.ConfigurationTarget.Workspace);
    try {
      const { notebook } = await openAndShow(NOTEBOOK);
      const byId = (id: string) => notebook.getCells().find((c) => (c.metadata.sdeLab as { id?: string } | undefined)?.id === id)!;
      const started = Date.now();
      await vscode.commands.executeCommand("notebook.execute", notebook.uri);
      const last = byId("after-memory");
      await waitFor("Run All to reach the last cell", () => finished(last, started), 100_000);
      const dying = ["exit", "abort", "sigkill", "memory"].map(byId);
      assert.deepEqual(
        dying.map((c) => {
          const error = JSON.parse(outputText(c, ERROR_MIME) ?? "null") as { name: string; message: string } | null;
          return [c.executionSummary?.success, error?.name, error?.message.split(";")[0]];
        }),
        [
          [false, "KernelDied", "The kernel stopped because the code called process.exit(3)"],
          [false, "KernelDied", "The kernel stopped because the code called process.abort()"],
          [false, "KernelDied", "The kernel stopped because its process received SIGKILL (for example from process.kill(process.pid))"],
          [false, "KernelDied", "The kernel used more than its memory limit of 128 MB and was stopped (raise it with the setting sdeLab.kernel.memoryLimitMb)"],
        ],
      );
      const after = ["after-exit", "after-abort", "after-sigkill", "after-memory"].map(byId);
      assert.deepEqual(
        after.map((c) => [finished(c, started), c.executionSummary?.success, outputText(c, "text/plain"), c.executionSummary?.executionOrder]),
        [
          [true, true, "'fresh after exit'", 1],
          [true, true, "'fresh after abort'", 1],
          [true, true, "'fresh after SIGKILL'", 1],
          [true, true, "'fresh after the memory limit'", 1],
        ],
      );
    } finally {
      await config.update("memoryLimitMb", undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
