import { describe, expect, it } from "vitest";
import type { KernelEvent } from "../../../src/kernel/session";
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

  it("stops a synchronous infinite loop within 1 s and runs the next cell in a fresh kernel", async () => {
    const k = newSession();
    await run(k, "const before = 1;");
    const events: KernelEvent[] = [];
    k.onEvent((e) => events.push(e));
    const pending = k.execute("while (true) {}");
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    await k.interrupt();
    const result = await pending;
    const took = performance.now() - t0;
    expect(took).toBeLessThan(1000);
    expect(result.status).toBe("interrupted");
    expect(result.status === "interrupted" && result.restarted).toBe(true);
    expect(result.status === "interrupted" && result.error.stack).toContain("state cleared");
    expect(events).toEqual([{ type: "restarted", reason: "interrupt of a busy cell" }]);
    expect(await value(k, "typeof before")).toBe("'undefined'");
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

  it("restart clears state", async () => {
    const k = newSession();
    await run(k, "const x = 1;");
    await k.restart();
    expect(await value(k, "typeof x")).toBe("'undefined'");
    await k.dispose();
  });

  it("process.exit ends only the kernel, with a clear message", async () => {
    const k = newSession();
    const r = await run(k, "process.exit(3)");
    expect(r.result.status === "error" && r.result.error.name).toBe("KernelDied");
    expect(r.result.status === "error" && r.result.error.message).toBe("The kernel stopped: the code called process.exit(3).");
    expect(await value(k, "40 + 2")).toBe("42");
    await k.dispose();
  });

  it("a memory blow-up ends only the kernel", async () => {
    const k = newSession({ memoryLimitMb: 48 });
    const r = await run(k, "const hog: number[][] = [];\nwhile (true) hog.push(new Array(1e6).fill(1));");
    expect(r.result.status === "error" && r.result.error.message).toBe("The kernel ran out of memory (limit 48 MB) and was stopped.");
    expect(await value(k, "'alive'")).toBe("'alive'");
    await k.dispose();
  }, 30_000);

  it("times out a cell when asked to", async () => {
    const k = newSession();
    const r = await k.execute("await new Promise(() => {})", { timeoutMs: 100 });
    expect(r.status).toBe("interrupted");
    expect(r.status === "interrupted" && r.error.message).toBe("Timed out after 100 ms");
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

  it("rejects bad options with the parameter named", () => {
    expect(() => newSession({ memoryLimitMb: 4 })).toThrow(new RangeError("memoryLimitMb must be at least 16, got 4"));
    expect(() => newSession({ interruptGraceMs: -1 })).toThrow(new RangeError("interruptGraceMs must be ≥ 0, got -1"));
  });
});
