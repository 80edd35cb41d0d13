// The challenge framework: worst value over seeds, verdicts, hints, errors, rendering.
import { describe, expect, it } from "vitest";
import { ConfigError, DISPLAY, Simulation, dist } from "sde-lab";
import { defineChallenge } from "sde-lab/challenges";

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
