import { describe, expect, it } from "vitest";
import { join } from "node:path";
import type { CellOutput, KernelEvent } from "../../../src/kernel/host/session";
import { newSession, root, run, value } from "./helpers";

const LOUD = 'for (let i = 0; i < 100000; i++) console.log(`line ${i}`);\nconst doneAt = Date.now();';

describe("bounded, batched output", () => {
  it("100,000 console.log lines: capped head and tail with a note, few messages, the cell ends within 2 s of its code", async () => {
    const k = newSession({ outputLimitKb: 64, outputLimitName: "setting sdeLab.kernel.outputLimitKb" });
    const outputs: CellOutput[] = [];
    const r = await k.execute(LOUD, { onOutput: (o) => outputs.push(o) });
    const endedAt = Date.now();
    expect(r.status).toBe("ok");
    expect(endedAt - Number(await value(k, "doneAt"))).toBeLessThan(2000);
    const text = outputs.map((o) => (o.type === "stream" ? o.text : "")).join("");
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(64 * 1024 + 200);
    expect(text.startsWith("line 0\nline 1\n")).toBe(true);
    expect(text.endsWith("line 99998\nline 99999\n")).toBe(true);
    const note = /… ([\d,]+) lines \(([\d.]+) [KM]B\) left out: a cell's output is capped at 64 KB \(setting sdeLab\.kernel\.outputLimitKb\) …/.exec(text);
    expect(note).not.toBeNull();
    // Every line is either shown or counted as left out.
    const shown = text.split("\n").filter((l) => /^line \d+$/.test(l)).length;
    expect(shown + Number(note![1]!.replace(/,/g, ""))).toBe(100_000);
    expect(outputs.length).toBeLessThan(20);
    const next = await run(k, '"next"');
    expect(next.shown).toEqual(["'next'"]);
    await k.dispose();
  });

  it("without batching every write is its own message (the baseline the batching removes)", async () => {
    const k = newSession({ outputBatchMs: 0 });
    let messages = 0;
    await k.execute("for (let i = 0; i < 1000; i++) console.log(i);", { onOutput: () => messages++ });
    expect(messages).toBe(1000);
    const b = newSession();
    let batched = 0;
    await b.execute("for (let i = 0; i < 1000; i++) console.log(i);", { onOutput: () => batched++ });
    expect(batched).toBe(1);
    await Promise.all([k.dispose(), b.dispose()]);
  });

  it("process.stdout.write from a cell reaches that cell", async () => {
    const k = newSession();
    const r = await run(k, 'process.stdout.write("direct\\n");\nprocess.stderr.write("err\\n");');
    expect([r.stdout, r.stderr]).toEqual(["direct\n", "err\n"]);
    await k.dispose();
  });

  it("a finished cell's timer prints as late output, never under the cell that runs now", async () => {
    const k = newSession();
    const events: KernelEvent[] = [];
    k.onEvent((e) => events.push(e));
    await run(k, 'setTimeout(() => console.log("from the first cell"), 100);');
    const now = await run(k, 'await new Promise((r) => setTimeout(r, 300));\nconsole.log("second");');
    expect(now.stdout).toBe("second\n");
    // Tagged with the first execution's id: the front end can name the cell that printed it.
    expect(events).toEqual([{ type: "late-output", output: { type: "stream", name: "stdout", text: "from the first cell\n" }, executionId: 1 }]);
    await k.dispose();
  });

  it("an unhandled rejection raised after its cell finished is reported as a late error", async () => {
    const k = newSession();
    const events: KernelEvent[] = [];
    k.onEvent((e) => events.push(e));
    await run(k, 'setTimeout(() => Promise.reject(new TypeError("too late")), 50);');
    const now = await run(k, "await new Promise((r) => setTimeout(r, 250));\n1");
    expect(now.result.status).toBe("ok");
    expect(events.map((e) => e.type === "late-error" && [e.error.name, e.error.message])).toEqual([["TypeError", "Unhandled promise rejection: too late"]]);
    await k.dispose();
  });
});

describe("readable lab stacks and sde-lab subpaths", () => {
  it("errors from lab code name the lab's classes and source files", async () => {
    const k = newSession();
    const r = await run(k, 'import { TokenBucket } from "sde-lab";\nnew TokenBucket({ capacity: 5, initialTokens: 9 });', "Cell 2");
    expect(r.result.status).toBe("error");
    const stack = r.result.status === "error" ? r.result.error.stack.split("\n") : [];
    expect(stack[0]).toMatch(/^ConfigError: /);
    expect(stack).toContainEqual(expect.stringMatching(/^ {4}at new TokenBucket \(sde-lab\/gateway\/token-bucket\.ts:\d+:\d+\)$/));
    expect(stack.at(-1)).toBe("    at Cell 2:2:1");
    expect(stack.join("\n")).not.toMatch(/dist\/|kernel\.js|node:internal/);
    await k.dispose();
  });

  it("loads the built sde-lab/challenges with the same library instance as sde-lab", async () => {
    const k = newSession();
    expect(await value(k, 'import * as challenges from "sde-lab/challenges";\ntypeof challenges')).toBe("'object'");
    const r = await run(k, 'import * as nope from "sde-lab/nope";');
    expect(r.result.status === "error" && r.result.error.message).toBe("'sde-lab/nope' is not part of sde-lab. Its modules are: 'sde-lab', 'sde-lab/challenges', 'sde-lab/scenarios'.");
    await k.dispose();
  });

  it("loads sde-lab/<name> from <name>.js beside the library", async () => {
    const labDir = join(root, "test/fixtures/lab-subpaths");
    const k = newSession({ labPath: join(labDir, "index.js") });
    expect(await value(k, 'import { scenario } from "sde-lab/scenarios";\nscenario')).toBe("'a scenario'");
    const r = await run(k, 'import * as x from "sde-lab/challengez";');
    expect(r.result.status === "error" && r.result.error.message).toBe("'sde-lab/challengez' is not part of sde-lab. Its modules are: 'sde-lab', 'sde-lab/scenarios'.");
    await k.dispose();
  });
});
