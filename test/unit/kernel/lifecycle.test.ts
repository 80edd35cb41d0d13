import { describe, expect, it } from "vitest";
import { RESTARTED_ON_INTERRUPT, type KernelEvent } from "../../../src/kernel/host/session";
import { KERNEL_V8_FLAGS } from "../../../src/kernel/host/v8-flags";
import { newSession, run, value } from "./helpers";

describe("interrupt, restart and crashes", () => {
  it("interrupts pending async work at once and keeps state", async () => {
    const k = newSession();
    await run(k, "const kept = 'still here';");
    const pending = k.execute("await new Promise(() => {});\nconsole.log('never');");
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    await k.interrupt();
    const result = await pending;
    expect(performance.now() - t0).toBeLessThan(100);
    expect(result.status === "interrupted" && result.restarted).toBe(false);
    expect(await value(k, "kept")).toBe("'still here'");
    await k.dispose();
  });

  it("cancels the timers of an interrupted cell", async () => {
    const k = newSession();
    const outputs: string[] = [];
    const pending = k.execute("setTimeout(() => console.log('late tick'), 150);\nawait new Promise(() => {});", {
      onOutput: (o) => o.type === "stream" && outputs.push(o.text),
    });
    await new Promise((r) => setTimeout(r, 30));
    await k.interrupt();
    await pending;
    const late: KernelEvent[] = [];
    k.onEvent((e) => late.push(e));
    await new Promise((r) => setTimeout(r, 250));
    expect(outputs).toEqual([]);
    expect(late).toEqual([]);
    await k.dispose();
  });

  it("stops a synchronous infinite loop with SIGINT and keeps every variable", async () => {
    const k = newSession();
    await run(k, "const before = 1;");
    const events: KernelEvent[] = [];
    k.onEvent((e) => events.push(e));
    const pid = k.pid;
    const pending = k.execute("let spins = 0;\nwhile (true) { spins++; }");
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    await k.interrupt();
    const result = await pending;
    expect(performance.now() - t0).toBeLessThan(500);
    expect(result.status).toBe("interrupted");
    expect(result.status === "interrupted" && result.restarted).toBe(false);
    expect(result.status === "interrupted" && result.error.stack).toBe("Interrupted: the cell was stopped; the kernel keeps its variables.");
    expect(events).toEqual([]);
    expect(k.pid).toBe(pid);
    expect(await value(k, "before")).toBe("1");
    // The loop ran: the variable it counted in is there, and large.
    expect(Number(await value(k, "spins"))).toBeGreaterThan(1000);
    await k.dispose();
  });

  it("restarts within 1 s a loop that SIGINT cannot break (inside a promise continuation)", async () => {
    const k = newSession();
    await run(k, "const before = 1;");
    const events: KernelEvent[] = [];
    k.onEvent((e) => events.push(e));
    const pending = k.execute("await null;\nwhile (true) {}");
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    await k.interrupt();
    const result = await pending;
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(result.status === "interrupted" && result.restarted).toBe(true);
    expect(result.status === "interrupted" && result.error.message).toBe(RESTARTED_ON_INTERRUPT);
    expect(events).toEqual([{ type: "restarted", reason: "interrupt of a busy cell", requested: true }]);
    // The replacement was started during the grace period: the next cell runs at once.
    expect(await value(k, "typeof before")).toBe("'undefined'");
    expect(performance.now() - t0).toBeLessThan(1000);
    await k.dispose();
  });

  it("a timed-out busy cell is interrupted the same way and earlier state survives", async () => {
    const k = newSession();
    await run(k, "const kept = 'yes';");
    const r = await k.execute("while (true) {}", { timeoutMs: 300 });
    expect(r.status === "interrupted" && [r.timedOut, r.restarted, r.error.name, r.error.message]).toEqual([true, false, "Timeout", "Timed out after 300 ms"]);
    expect(await value(k, "kept")).toBe("'yes'");
    await k.dispose();
  });

  it("interrupts a running simulation at once and keeps the kernel's state", async () => {
    const k = newSession();
    await run(k, 'import { Simulation } from "sde-lab";\nconst sim = new Simulation();\nsim.every(1, () => {});');
    const pending = k.execute("await sim.run(); // never empties: a periodic timer");
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    await k.interrupt();
    const result = await pending;
    expect(performance.now() - t0).toBeLessThan(150);
    expect(result.status === "interrupted" && result.restarted).toBe(false);
    expect(await value(k, "sim.now > 0")).toBe("true");
    await k.dispose();
  });

  it("restart clears state, and tells listeners it was asked for", async () => {
    const k = newSession();
    await run(k, "const x = 1;");
    const events: KernelEvent[] = [];
    k.onEvent((e) => events.push(e));
    await k.restart();
    expect(events).toEqual([{ type: "restarted", reason: "restart requested", requested: true }]);
    expect(await value(k, "typeof x")).toBe("'undefined'");
    await k.dispose();
  });

  it("runs cells in a process of its own", async () => {
    const k = newSession();
    const pid = Number(await value(k, "process.pid"));
    expect(pid).toBe(k.pid);
    expect(pid).not.toBe(process.pid);
    await k.dispose();
  });

  for (const [code, message] of [
    ["process.exit(3)", "The kernel stopped because the code called process.exit(3); the next run starts a fresh kernel."],
    ["process.abort()", "The kernel stopped because the code called process.abort(); the next run starts a fresh kernel."],
    ["process.kill(process.pid)", "The kernel stopped because its process received SIGTERM (for example from process.kill(process.pid)); the next run starts a fresh kernel."],
    ['process.kill(process.pid, "SIGKILL")', "The kernel stopped because its process received SIGKILL (for example from process.kill(process.pid)); the next run starts a fresh kernel."],
  ] as const) {
    it(`${code} ends only the kernel, with one clear sentence, and the next cell runs in a fresh one`, async () => {
      const k = newSession();
      await run(k, "const x = 1;");
      const events: KernelEvent[] = [];
      k.onEvent((e) => events.push(e));
      const r = await run(k, code);
      expect(r.result.status === "error" && r.result.error).toEqual({ name: "KernelDied", message, stack: `KernelDied: ${message}` });
      expect(events).toEqual([{ type: "restarted", reason: message, requested: false }]);
      expect(await value(k, "typeof x")).toBe("'undefined'");
      await k.dispose();
    });
  }

  it("a heap blow-up ends only the kernel, naming the limit and how to raise it", async () => {
    const k = newSession({ memoryLimitMb: 64, memoryLimitName: "--memory-limit <mb>" });
    const r = await run(k, "const hog: number[][] = [];\nwhile (true) hog.push(new Array(1e6).fill(1));");
    expect(r.result.status === "error" && r.result.error.message).toBe(
      "The kernel used more than its memory limit of 64 MB and was stopped (raise it with --memory-limit <mb>); the next run starts a fresh kernel.",
    );
    expect(r.stderr).not.toContain("FATAL ERROR");
    expect(await value(k, "'alive'")).toBe("'alive'");
    await k.dispose();
  }, 30_000);

  it("1.2 GB of Uint8Arrays with a 256 MB limit ends the kernel within 500 ms of crossing it, even in a busy loop", async () => {
    const k = newSession({ memoryLimitMb: 256 });
    // The cell reports its resident size after each block; the watchdog may strike before the
    // report that crosses, so the last report is the (conservative) crossing time.
    let crossedAt = 0;
    const r = await k.execute(
      'const blocks: Uint8Array[] = [];\nlet total = 0;\nwhile (total < 1.2e9) { const b = new Uint8Array(16e6).fill(1); blocks.push(b); total += b.length;\n  const rss = process.memoryUsage.rss(); if (rss > 200 * 1024 * 1024) require("node:fs").writeSync(1, `rss ${rss}\\n`); }\n"survived"',
      { onOutput: (o) => o.type === "stream" && o.text.includes("rss ") && crossedAt === 0 && (crossedAt = performance.now()) },
    );
    const ended = performance.now();
    expect(r.status === "error" && r.error.message).toBe(
      "The kernel used more than its memory limit of 256 MB and was stopped (raise it with the memory limit option); the next run starts a fresh kernel.",
    );
    expect(crossedAt).toBeGreaterThan(0);
    expect(ended - crossedAt).toBeLessThan(500 + 200); // + the wait for the kernel's last stderr
    expect(await value(k, "'alive'")).toBe("'alive'");
    await k.dispose();
  }, 30_000);

  it("times out a cell when asked to", async () => {
    const k = newSession();
    const r = await k.execute("await new Promise(() => {})", { timeoutMs: 100 });
    expect(r.status).toBe("interrupted");
    expect(r.status === "interrupted" && r.error.message).toBe("Timed out after 100 ms");
    expect(r.status === "interrupted" && r.timedOut).toBe(true);
    await k.dispose();
  });

  it("runs queued executions in order and cancels them on interrupt", async () => {
    const k = newSession();
    const order: string[] = [];
    const a = k.execute("await new Promise((r) => setTimeout(r, 50)); console.log('a')", { onOutput: () => order.push("a") });
    const b = k.execute("console.log('b')", { onOutput: () => order.push("b") });
    await Promise.all([a, b]);
    expect(order).toEqual(["a", "b"]);
    const slow = k.execute("await new Promise(() => {})");
    const queued = k.execute("console.log('never')");
    await new Promise((r) => setTimeout(r, 20));
    await k.interrupt();
    expect((await slow).status).toBe("interrupted");
    const q = await queued;
    expect(q.status === "interrupted" && q.error.message).toBe("Not run: the kernel was interrupted");
    await k.dispose();
  });

  it("runs cells with the heap limit and the kernel's V8 flags (a nursery that fits a simulation's requests in flight)", async () => {
    const k = newSession({ memoryLimitMb: 512 });
    expect(KERNEL_V8_FLAGS).toContain("--max-semi-space-size=32");
    expect(await value(k, "process.execArgv.join(' ')")).toBe(`'${["--max-old-space-size=512", ...KERNEL_V8_FLAGS].join(" ")}'`);
    await k.dispose();
  });

  it("rejects bad options with the parameter named", () => {
    expect(() => newSession({ memoryLimitMb: 4 })).toThrow(new RangeError("memoryLimitMb must be at least 16, got 4"));
    expect(() => newSession({ interruptGraceMs: -1 })).toThrow(new RangeError("interruptGraceMs must be ≥ 0, got -1"));
    expect(() => newSession({ outputLimitKb: 0 })).toThrow(new RangeError("outputLimitKb must be at least 1, got 0"));
    expect(() => newSession({ memorySampleMs: 500 })).toThrow(new RangeError("memorySampleMs must be in (0, 250], got 500"));
  });
});
