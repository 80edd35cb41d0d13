// VS Code's Run All through the notebook controller, against the `vscode` fake and the real
// kernel process: the same run engine as `sde-lab run` (test/unit/cli), so the same verdicts.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type * as vscode from "vscode";
import { fake, type FakeCellExecution, type FakeNotebookController } from "../fakes/vscode";
import { SdeNotebookController, type CellExecuted } from "../../../src/notebook/controller";
import { toNotebookData } from "../../../src/notebook/serializer";
import { parseNotebookBytes } from "../../../src/notebook/format";
import { PASSED_CHALLENGE_CONTEXT, RAN_CELL_CONTEXT, watchWalkthroughProgress } from "../../../src/content/challenge-watch";

const root = join(__dirname, "../../..");
const paths = { kernelPath: join(root, "dist/kernel.js"), labPath: join(root, "dist/lab/index.js") };
const ERROR_MIME = "application/vnd.code.notebook.error";

/** A notebook document as VS Code hands it to the controller, made from a .sdenb file's cells. */
function notebookFrom(file: string, sources?: { source: string; expectError?: boolean }[]) {
  const data = sources
    ? toNotebookData({ format: "sde-notebook", version: 1, metadata: {}, extra: {}, cells: sources.map((c) => ({ kind: "code", language: "typescript", source: c.source, metadata: c.expectError ? { expectError: true } : {}, extra: {} })) } as never)
    : toNotebookData(parseNotebookBytes(readFileSync(file)));
  const uri = { scheme: "file", fsPath: file, toString: () => `file://${file}` };
  const cells = data.cells.map((c, index) => ({
    index,
    kind: c.kind,
    metadata: c.metadata ?? {},
    outputs: [] as unknown[],
    document: { getText: () => c.value },
  }));
  return { notebook: { uri, notebookType: "sde-notebook", getCells: () => cells, cellAt: (i: number) => cells[i]! }, cells };
}

let controller: SdeNotebookController;
let fakeController: FakeNotebookController;
const log = { appendLine: (_line: string) => {} } as vscode.OutputChannel;

beforeEach(() => {
  fake.controllers.length = 0;
  fake.messages.length = 0;
  fake.commands.length = 0;
  fake.settings = {};
});
afterEach(() => controller?.dispose());

function newController(): void {
  controller = new SdeNotebookController(log, paths);
  fakeController = fake.controllers.at(-1)!;
}

/** Run All: VS Code calls the execute handler with every cell of the notebook. */
async function runAll(nb: ReturnType<typeof notebookFrom>): Promise<FakeCellExecution[]> {
  const before = fakeController.executions.length;
  await fakeController.executeHandler!(nb.cells, nb.notebook, fakeController);
  return fakeController.executions.slice(before);
}

const plain = (e: FakeCellExecution) => e.items().find(([mime]) => mime === "text/plain")?.[1];
const error = (e: FakeCellExecution) => JSON.parse(e.items().find(([mime]) => mime === ERROR_MIME)?.[1] ?? "null") as { name: string; message: string } | null;

describe("the setting sdeLab.rabbitmq.url", () => {
  it("reaches cells as process.env.AMQP_URL, over the one VS Code started with; empty leaves that one", async () => {
    const before = process.env.AMQP_URL;
    process.env.AMQP_URL = "amqp://from-the-environment";
    try {
      const nb = (file: string) => notebookFrom(join(root, "test/fixtures/workspace", file), [{ source: "process.env.AMQP_URL" }]);
      fake.settings["sdeLab.rabbitmq.url"] = " amqp://broker.test:5672 ";
      newController();
      const [set] = await runAll(nb("a.sdenb"));
      expect(plain(set!)).toBe("'amqp://broker.test:5672'");
      controller.dispose();
      fake.settings["sdeLab.rabbitmq.url"] = "";
      newController();
      const [unset] = await runAll(nb("b.sdenb"));
      expect(plain(unset!)).toBe("'amqp://from-the-environment'");
    } finally {
      if (before === undefined) delete process.env.AMQP_URL;
      else process.env.AMQP_URL = before;
    }
  }, 60_000);
});

describe("the notebook controller's Run All (through the run engine)", () => {
  it("passes expectError cells that end their kernel (exit, abort, SIGKILL, memory limit) and runs each next cell in a fresh kernel", async () => {
    fake.settings["sdeLab.kernel.memoryLimitMb"] = 128;
    newController();
    const executed: CellExecuted[] = [];
    controller.onDidExecuteCell((e) => executed.push(e));
    const nb = notebookFrom(join(root, "test/fixtures/regressions/issue-19-expect-error-kernel-death.sdenb"));
    const runs = await runAll(nb);
    // Every code cell ran (the markdown cell did not), in notebook order.
    expect(runs.map((e) => e.cell.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(runs.every((e) => e.ended !== undefined)).toBe(true);
    expect(executed.map((e) => [e.cell.index, e.status])).toEqual([
      [1, "ok"],
      [2, "expected-error"],
      [3, "ok"],
      [4, "expected-error"],
      [5, "ok"],
      [6, "expected-error"],
      [7, "ok"],
      [8, "expected-error"],
      [9, "ok"],
    ]);
    // The dying cells show why their kernel ended; VS Code marks them failed, as they did fail.
    expect(runs.filter((_, i) => i % 2 === 1).map((e) => [e.ended!.success, error(e)!.name, error(e)!.message.split(";")[0]])).toEqual([
      [false, "KernelDied", "The kernel stopped because the code called process.exit(3)"],
      [false, "KernelDied", "The kernel stopped because the code called process.abort()"],
      [false, "KernelDied", "The kernel stopped because its process received SIGKILL (for example from process.kill(process.pid))"],
      [false, "KernelDied", "The kernel used more than its memory limit of 128 MB and was stopped (raise it with the setting sdeLab.kernel.memoryLimitMb)"],
    ]);
    // Each next cell ran in a fresh kernel: the variable from before is gone (the cell would
    // throw otherwise), and its execution order starts again at 1.
    expect(runs.filter((_, i) => i % 2 === 0).slice(1).map((e) => [e.ended!.success, plain(e), e.executionOrder])).toEqual([
      [true, "'fresh after exit'", 1],
      [true, "'fresh after abort'", 1],
      [true, "'fresh after SIGKILL'", 1],
      [true, "'fresh after the memory limit'", 1],
    ]);
    // A death the cell asked for still tells the user once (the reason is on the cell too).
    expect(fake.messages.filter((m) => m.kind === "info").length).toBe(4);
  }, 120_000);

  it("stops at the first unexpected failure, a dead kernel included; a missing expected error fails its cell", async () => {
    newController();
    const nb = notebookFrom("/tmp/stop.sdenb", [
      { source: "const a = 1;" },
      { source: 'throw new RangeError("expected");', expectError: true },
      { source: "process.exit(3);" },
      { source: '"never runs"' },
    ]);
    const runs = await runAll(nb);
    expect(runs.map((e) => [e.cell.index, e.ended?.success, error(e)?.name ?? null])).toEqual([
      [0, true, null],
      [1, false, "RangeError"],
      [2, false, "KernelDied"],
    ]);
    const missing = notebookFrom("/tmp/missing.sdenb", [{ source: "1 + 1", expectError: true }, { source: '"never runs"' }]);
    const [only, ...rest] = await runAll(missing);
    expect([only!.ended?.success, error(only!)?.name, rest.length]).toEqual([false, "MissingExpectedError", 0]);
  });

  it("names the cell whose timer raised a late error, not the cell that runs at the time", async () => {
    newController();
    const nb = notebookFrom("/tmp/late.sdenb", [
      { source: 'setTimeout(() => Promise.reject(new RangeError("late boom")), 50);\n1' },
      { source: "await new Promise((r) => setTimeout(r, 300));\n2" },
    ]);
    const runs = await runAll(nb);
    expect(runs.map((e) => [e.ended?.success, plain(e)])).toEqual([
      [true, "1"],
      [true, "2"],
    ]);
    expect(fake.messages.filter((m) => m.kind === "warning").map((m) => m.text)).toEqual([
      "SDE Lab (/tmp/late.sdenb): Cell 1 raised RangeError: Unhandled promise rejection: late boom after it finished; the SDE Lab output channel has the details.",
    ]);
  });

  it("emits the cell-executed event the walkthrough listens to (content subscribes; the controller imports no content)", async () => {
    newController();
    const watch = watchWalkthroughProgress(controller.onDidExecuteCell);
    await runAll(notebookFrom("/tmp/one.sdenb", [{ source: "1" }]));
    watch.dispose();
    await new Promise((r) => setTimeout(r, 10));
    expect(fake.commands).toEqual([
      ["setContext", RAN_CELL_CONTEXT, false],
      ["setContext", RAN_CELL_CONTEXT, true],
    ]);
    expect(fake.commands.some((c) => c[1] === PASSED_CHALLENGE_CONTEXT)).toBe(false);
    // After dispose the walkthrough hears nothing more.
    await runAll(notebookFrom("/tmp/one.sdenb", [{ source: "2" }]));
    await new Promise((r) => setTimeout(r, 10));
    expect(fake.commands.length).toBe(2);
  });
});
