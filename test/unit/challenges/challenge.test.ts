// The challenge framework: worst value over seeds, verdicts, hints, errors, rendering.
import { describe, expect, it } from "vitest";
import { ConfigError, DISPLAY, Simulation, dist } from "sde-lab";
import { challenges, defineChallenge } from "sde-lab/challenges";
import { expectSolution } from "../../../src/lab/challenges/challenge";

/** A tiny challenge: pick a concurrency so that 200 requests of ~10 ms finish within a budget. */
const speedy = defineChallenge<{ concurrency: number }, "p99" | "served">({
  id: "speedy",
  title: "Speedy service",
  statement: "Serve 200 requests with a p99 under 300 ms.",
  targets: [
    { metric: "p99", label: "p99 latency", op: "<=", value: 300, unit: "ms", hint: "Raise the concurrency." },
    { metric: "served", label: "requests served", op: ">=", value: 200, unit: "requests", hint: "Do not drop requests." },
  ],
  validate(solution) {
    if (!Number.isInteger(solution.concurrency) || solution.concurrency < 1) {
      throw new ConfigError("speedy", "concurrency", solution.concurrency, "a whole number ≥ 1");
    }
  },
  async run({ concurrency }, seed) {
    const sim = new Simulation({ seed });
    sim.service("s", async (_req, ctx) => {
      await ctx.work(dist.exponential(10));
      return { status: 200 };
    }, { concurrency, queueLimit: 1_000 });
    const web = sim.client("web");
    const latencies: number[] = [];
    await sim.run(async () => {
      await Promise.all(Array.from({ length: 200 }, async () => {
        const start = sim.now;
        await web.call("s", "GET /");
        latencies.push(sim.now - start);
      }));
    });
    latencies.sort((a, b) => a - b);
    return { p99: latencies[Math.ceil(latencies.length * 0.99) - 1]!, served: latencies.length };
  },
});

describe("challenges", () => {
  it("fail a weak solution with the worst seed's value and a hint per miss", async () => {
    const report = await speedy.check({ concurrency: 1 });
    expect(report.passed).toBe(false);
    expect(report.misses.map((m) => m.target.metric)).toEqual(["p99"]);
    const p99 = report.results[0]!;
    expect(p99.measured).toBeGreaterThan(300);
    expect(speedy.seeds).toContain(p99.seed);
    const bundle = report[DISPLAY]();
    expect(bundle["text/plain"]!.split("\n")[0]).toBe("Challenge speedy: FAILED (1 of 2 targets missed)");
    expect(bundle["text/markdown"]).toContain("❌ miss");
    expect(bundle["text/markdown"]).toContain("p99 latency: Raise the concurrency.");
    expect(bundle["text/markdown"]).not.toContain("Do not drop requests.");
  });

  it("pass a good solution on every seed", async () => {
    const report = await speedy.check({ concurrency: 64 });
    expect(report.passed).toBe(true);
    expect(report.headline).toBe("Challenge speedy: PASSED (2 of 2 targets, seeds 1, 2, 3)");
    // The worst p99 over the seeds is the largest one measured.
    expect(report.results[0]!.measured).toBeLessThanOrEqual(300);
  });

  it("report a solution that throws as a failure, not as a crashed cell", async () => {
    const broken = defineChallenge<null>({
      id: "broken",
      title: "Broken",
      statement: "",
      targets: [{ metric: "x", label: "x", op: "==", value: 1, hint: "" }],
      run() {
        throw new TypeError("boom");
      },
    });
    const report = await broken.check(null);
    expect(report.passed).toBe(false);
    expect(report.headline).toBe("Challenge broken: FAILED (the solution threw on seed 1: TypeError: boom)");
  });

  it("reject a malformed solution and a malformed spec with errors naming the parameter", async () => {
    await expect(speedy.check({ concurrency: 0 })).rejects.toThrow("speedy: concurrency must be a whole number ≥ 1, got 0");
    expect(() => defineChallenge({ id: "Bad Id", title: "", statement: "", targets: [], run: () => ({}) })).toThrow(ConfigError);
  });
});

describe("expectSolution (the shape check of build challenges)", () => {
  const f = (): void => undefined;
  it("returns a solution that has every member as a function, nested ones too", () => {
    const solution = { a: f, b: { c: f, d: f } };
    expect(expectSolution("toy", solution, ["a", "b.c", "b.d"])).toBe(solution);
  });
  it("names the expected shape when the solution or a nested object is missing, else the first member that is not a function", () => {
    const members = ["a", "b.c", "b.d"];
    expect(() => expectSolution("toy", null, members)).toThrow("toy: solution must be { a, b: { c, d } }, got null");
    expect(() => expectSolution("toy", 7, members)).toThrow("toy: solution must be { a, b: { c, d } }, got 7");
    expect(() => expectSolution("toy", { a: f }, members)).toThrow("toy: solution must be { a, b: { c, d } }, got {}");
    expect(() => expectSolution("toy", { a: 1, b: {} }, members)).toThrow("toy: a must be a function, got 1");
    expect(() => expectSolution("toy", { a: f, b: { c: f } }, members)).toThrow("toy: b.d must be a function, got undefined");
    expect(() => expectSolution("toy", { a: f, b: { c: f } }, members)).toThrow(ConfigError);
  });
  // The messages learners saw before the check moved into expectSolution, kept word for word.
  it.each([
    ["cqrs", null, "cqrs: solution must be { createProjector, query }, got null"],
    ["cqrs", { createProjector: f }, "cqrs: query must be a function, got undefined"],
    ["event-sourcing", { initial: f, evolve: f, decide: f, handle: "no" }, 'event-sourcing: handle must be a function, got "no"'],
    ["horizontal-sharding", 42, "horizontal-sharding: solution must be { createRouter, splitPoint }, got 42"],
    ["at-most-once", { createProducer: f, send: f }, "at-most-once: consume must be a function, got undefined"],
    ["kafka-vs-rabbitmq", { rabbit: {}, kafka: 0 }, 'kafka-vs-rabbitmq: solution must be { rabbit: { produce, worker }, kafka: { produce, worker, replay } }, got {"rabbit":{},"kafka":0}'],
    ["kafka-vs-rabbitmq", { rabbit: { produce: f, worker: f }, kafka: { produce: f, worker: f } }, "kafka-vs-rabbitmq: kafka.replay must be a function, got undefined"],
    ["kafka", "x", 'kafka: solution must be { start }, got "x"'],
  ] as const)("%s rejects %j with the same message as before", async (id, solution, message) => {
    const challenge = challenges[id] as { check(s: unknown): Promise<unknown> };
    await expect(challenge.check(solution)).rejects.toThrow(message);
  });
});
