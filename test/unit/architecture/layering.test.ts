import { describe, expect, it } from "vitest";
import { ESLint } from "eslint";
import { join } from "node:path";

const eslint = new ESLint({ cwd: join(__dirname, "../../..") });

/** Rule ids of the errors lint reports for `code` placed at `file`. */
async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(__dirname, "../../..", file) });
  return result!.messages.map((m) => `${m.ruleId}`);
}

describe("the layering enforces itself (npm run lint)", () => {
  it.each([
    ["src/kernel/process/probe.ts", 'import * as vscode from "vscode";\nexport const x = vscode;'],
    ["src/kernel/host/probe.ts", 'import type * as vscode from "vscode";\nexport type X = typeof vscode;'],
    ["src/kernel/process/probe.ts", 'import { KernelSession } from "../host/session";\nexport const x = KernelSession;'],
    ["src/kernel/host/probe.ts", 'import { transformCell } from "../process/transform";\nexport const x = transformCell;'],
    ["src/lab/sim/probe.ts", 'import { readFileSync } from "node:fs";\nexport const x = readFileSync;'],
    ["src/lab/sim/probe.ts", 'import { OutputGate } from "../../kernel/process/output-gate";\nexport const x = OutputGate;'],
    ["src/lab/probe.ts", 'import MarkdownIt from "markdown-it";\nexport const x = MarkdownIt;'],
    ["src/lab/probe.ts", 'import { x } from "sde-lab-extra";\nexport const y = x;'],
    ["src/notebook/format.ts", 'import * as vscode from "vscode";\nexport const x = vscode;'],
    // The notebook glue never imports content features (it was a loop: content imports notebook).
    ["src/notebook/controller.ts", 'import { watchWalkthroughProgress } from "../content/challenge-watch";\nexport const x = watchWalkthroughProgress;'],
    ["src/notebook/format.ts", 'import { pick } from "../content/pick";\nexport const x = pick;'],
    // The run engine is driven by the CLI and tests too: no VS Code, and no kernel-process code.
    ["src/kernel/run/probe.ts", 'import * as vscode from "vscode";\nexport const x = vscode;'],
    ["src/kernel/run/probe.ts", 'import { transformCell } from "../process/transform";\nexport const x = transformCell;'],
    ["src/kernel/host/probe.ts", 'import { RunEngine } from "../run";\nexport const x = RunEngine;'],
    ["src/catalog/sections/probe.ts", 'import * as vscode from "vscode";\nexport const x = vscode;'],
    ["src/catalog/probe.ts", 'import { readFileSync } from "node:fs";\nexport const x = readFileSync;'],
    ["src/editor/probe.ts", 'import { KernelHost } from "../kernel/host/host";\nexport const x = KernelHost;'],
    ["src/content/probe.ts", 'import { KernelHost } from "../kernel/host/host";\nexport const x = KernelHost;'],
    ["src/preview/probe.ts", 'import { NotebookSerializer } from "../notebook/serializer";\nexport const x = NotebookSerializer;'],
    ["src/preview/webview/probe.ts", 'import { CATALOG } from "../../catalog/index";\nexport const x = CATALOG;'],
  ])("rejects a forbidden import in %s", async (file, code) => {
    expect(await problems(file, code)).toContain("no-restricted-imports");
  }, 180_000); // a real file (src/notebook/format.ts) is linted with type information: a program is built

  it.each([
    ["src/lab/sim/probe.ts", 'import { Simulation } from "./simulation";\nimport { DISPLAY } from "../display";\nexport const x = [Simulation, DISPLAY];'],
    ["src/lab/challenges/probe.ts", 'import { Simulation } from "sde-lab";\nexport const x = Simulation;'],
    ["src/kernel/process/probe.ts", 'import type { FromKernel } from "../protocol";\nimport { runInThisContext } from "node:vm";\nexport type X = FromKernel;\nexport const y = runInThisContext;'],
    ["src/notebook/probe.ts", 'import * as vscode from "vscode";\nexport const x = vscode;'],
    ["src/notebook/probe.ts", 'import { RunEngine } from "../kernel/run";\nexport const x = RunEngine;'],
    ["src/kernel/run/probe.ts", 'import { KernelSession } from "../host/session";\nexport const x = KernelSession;'],
    ["src/content/probe.ts", 'import { NOTEBOOK_TYPE } from "../notebook/serializer";\nexport const x = NOTEBOOK_TYPE;'],
    ["src/content/probe.ts", 'import * as vscode from "vscode";\nimport { CATALOG } from "../catalog/index";\nexport const x = [vscode, CATALOG];'],
    ["src/catalog/sections/probe.ts", 'import type { PatternEntry } from "../types";\nexport type X = PatternEntry;'],
  ])("allows what the layer may use in %s", async (file, code) => {
    expect(await problems(file, code)).toEqual([]);
  });
});
