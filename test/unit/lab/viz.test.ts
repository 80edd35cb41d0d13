import { describe, expect, it } from "vitest";
import { CHART_MIME } from "../../../src/lab/viz/chart";
import { REPLAY_MIME, replay } from "../../../src/lab/viz/replay";
import {
  CircuitBreaker,
  ConfigError,
  DISPLAY,
  Sampler,
  Simulation,
  bars,
  breakerStates,
  chart,
  faultMarks,
  ok,
  perWindow,
  response,
  type ChartData,
  type ReplayData,
} from "../../../src/lab/index";
import { minMaxDownsample } from "../../../src/lab/viz/downsample";
import { toBundle } from "../../../src/kernel/process/display";
import { bundleItems } from "../../../src/kernel/outputs";

const HOSTILE = `<img src=x onerror=alert(1)>`;

function chartData(bundle: Record<string, string>): ChartData {
  return JSON.parse(bundle[CHART_MIME]!) as ChartData;
}

describe("min/max downsampling", () => {
  it("keeps every extreme, the first and last point, and fits the budget", () => {
    const x = Array.from({ length: 100_000 }, (_, i) => i);
    // A noisy series with one spike and one dip that striding would miss.
    const y: (number | null)[] = x.map((i) => Math.sin(i / 500) * 10 + ((i * 7919) % 13));
    y[31_337] = 1_000;
    y[77_777] = -1_000;
    const d = minMaxDownsample({ x, y }, 2_000);
    expect(d.x.length).toBeLessThanOrEqual(2_000);
    expect(d.x.length).toBeGreaterThan(1_000);
    expect(Math.max(...(d.y as number[]))).toBe(1_000);
    expect(Math.min(...(d.y as number[]))).toBe(-1_000);
    expect(d.x[d.y.indexOf(1_000)]).toBe(31_337);
    expect(d.x[0]).toBe(0);
    expect(d.x.at(-1)).toBe(99_999);
    // x stays ascending, so the line is drawn left to right.
    for (let i = 1; i < d.x.length; i++) expect(d.x[i]!).toBeGreaterThanOrEqual(d.x[i - 1]!);
    // Every bucket's own max survives, not only the global one.
    const bucket = d.bucketWidth;
    const bucketMax = Math.max(...(y.slice(1, 1 + Math.floor(bucket)) as number[]));
    expect(d.y).toContain(bucketMax);
  });

  it("keeps a gap as a gap", () => {
    const x = Array.from({ length: 1_000 }, (_, i) => i);
    const y = x.map((i) => (i >= 400 && i < 600 ? null : i));
    const d = minMaxDownsample({ x, y }, 100);
    expect(d.y).toContain(null);
  });
});

describe("chart", () => {
  it("carries the data, a markdown and a text summary, richest first", () => {
    const c = chart({
      title: "p99 latency",
      series: [{ name: "p99", points: [[0, 10], [100, 40], [200, 900], [300, 20]] }],
      yLabel: "ms",
      annotations: [{ at: 150, label: "breaker opened" }],
      runId: "run-1",
    });
    const b = c[DISPLAY]();
    expect(Object.keys(b)[0]).toBe(CHART_MIME);
    const d = chartData(b);
    expect(d.series[0]!.y).toEqual([10, 40, 900, 20]);
    expect(d.runId).toBe("run-1");
    expect(d.notes).toEqual([]);
    expect(b["text/plain"]).toContain("p99 (4 points): min 10, median 20, max 900 ms");
    expect(b["text/plain"]).toContain("150 breaker opened");
    expect(b["text/markdown"]).toContain("| p99 | 4 | 10 | 20 | 900 |");
  });

  it("downsamples 100,000 points with a visible note and stays under the byte cap", () => {
    const pts = Array.from({ length: 100_000 }, (_, i) => [i * 0.5, (i % 1000) + (i === 54_321 ? 99_999 : 0)] as [number, number]);
    const c = chart({ title: "big", series: [{ name: "a", points: pts }, { name: "b", points: pts.map(([x, y]) => [x, y / 2] as [number, number]) }] });
    const b = c[DISPLAY]();
    const d = chartData(b);
    const bytes = Object.values(b).reduce((n, v) => n + v.length, 0);
    expect(bytes).toBeLessThan(200_000);
    expect(d.series[0]!.y.length).toBeLessThanOrEqual(4_000);
    expect(Math.max(...(d.series[0]!.y as number[]))).toBe(100_320);
    expect(d.notes.join(" ")).toMatch(/a: 100,000 points downsampled to [\d,]+ \(min and max per/);
    expect(b["text/plain"]).toContain("note: a: 100,000 points downsampled");
    // The summary speaks of the full data, not the kept points.
    expect(b["text/plain"]).toContain("a (100000 points): min 0, median 500, max 100,320");
  });

  it("halves the point budget until the JSON fits, even when asked for more points", () => {
    const pts = Array.from({ length: 60_000 }, (_, i) => [i + 0.123, Math.PI * i] as [number, number]);
    const c = chart({ title: "wide", series: [{ name: "s", points: pts }], maxPoints: 60_000 });
    expect(c[DISPLAY]()[CHART_MIME]!.length).toBeLessThanOrEqual(180_000);
    expect(c.data.notes[0]).toContain("downsampled");
  });

  it("keeps hostile labels as data: JSON text, escaped markdown", () => {
    const c = chart({ title: HOSTILE, series: [{ name: HOSTILE, points: [[0, 1]] }], annotations: [{ at: 0, label: HOSTILE }] });
    const b = toBundle(c)!;
    const d = chartData(b);
    expect(d.title).toBe(HOSTILE);
    expect(d.series[0]!.name).toBe(HOSTILE);
    expect(d.annotations[0]!.label).toBe(HOSTILE);
    expect(b["text/markdown"]).not.toContain("<img");
    expect(b["text/markdown"]).toContain("&lt;img");
    // The kernel passes the chart kind through, first, so VS Code picks SDE Lab's renderer.
    expect(bundleItems(b)[0]!.mime).toBe(CHART_MIME);
  });

  it("leaves out y ≤ 0 on a log scale and says how many", () => {
    const c = chart({ title: "log", log: true, series: [{ name: "s", points: [[0, 0], [1, 10], [2, -1], [3, 100]] }] });
    expect(c.data.series[0]!.y).toEqual([null, 10, null, 100]);
    expect(c.data.notes).toContain("s: 2 points with y ≤ 0 left out on the log scale");
  });

  it("names the bad field", () => {
    expect(() => chart({ title: "t", series: [] })).toThrow(ConfigError);
    expect(() => chart({ title: "t", series: [{ name: "s", points: [[NaN, 1]] }] })).toThrow("chart: series[0].points[0].x must be a finite number, got NaN");
    expect(() => chart({ title: "t", kind: "pie" as never, series: [{ name: "s", points: [] }] })).toThrow(/kind must be one of line, step, area, bar, scatter/);
  });
});

describe("ready charts", () => {
  it("breaker state over time and latency percentiles from one run share its id", async () => {
    const sim = new Simulation({ seed: 3 });
    let failing = false;
    sim.service("orders", () => (failing ? response(500) : ok({})));
    const web = sim.client("web");
    const breaker = new CircuitBreaker(sim, { name: "orders-breaker", slidingWindowSize: 10, minimumNumberOfCalls: 5, failureRateThreshold: 50, waitDurationInOpenState: 2_000 });
    sim.at(3_000, () => (failing = true));
    sim.at(6_000, () => (failing = false));
    await sim.run(async () => {
      for (let i = 0; i < 200; i++) {
        await breaker
          .execute(async () => {
            const r = await web.call("orders", "GET /orders");
            if (r.status >= 500) throw new Error(`status ${r.status}`);
            return r;
          })
          .catch(() => undefined);
        await sim.sleep(50);
      }
    });
    const states = breakerStates(sim.trace);
    expect(states.data.runId).toBe(sim.runId);
    expect(states.data.yCategories).toEqual(["CLOSED", "HALF_OPEN", "OPEN"]);
    expect(states.data.series[0]!.y).toContain(2);
    expect(states.data.annotations.some((a) => /orders-breaker OPEN/.test(a.label) && a.at >= 3_000)).toBe(true);
    expect(states[DISPLAY]()["text/plain"]).toContain("max OPEN");
    const latency = sim.metrics.histogram("latency web → orders").overTime({ windowMs: 1_000 });
    expect(latency.data.runId).toBe(sim.runId);
    expect(latency.data.series.map((s) => s.name)).toEqual(["p50", "p99"]);
    const r = replay(sim);
    expect(r.data.runId).toBe(sim.runId);
  });

  it("a sampler reads gauges without adding events to the run", async () => {
    const run = async (withSampler: boolean) => {
      const sim = new Simulation({ seed: 9 });
      sim.service("slow", async () => {
        await sim.sleep(30);
        return ok({});
      });
      const c = sim.client("c");
      let open = 0;
      const sampler = withSampler ? new Sampler(sim, { everyMs: 10, gauges: { open: () => open } }) : undefined;
      await sim.run(async () => {
        await Promise.all(
          Array.from({ length: 20 }, async (_, i) => {
            await sim.sleep(i * 5);
            open++;
            await c.call("slow", "GET /");
            open--;
          }),
        );
      });
      return { fired: sim.eventsFired, now: sim.now, sampler };
    };
    const a = await run(false);
    const b = await run(true);
    expect(b.fired).toBe(a.fired);
    expect(b.now).toBe(a.now);
    b.sampler!.sample();
    const pts = b.sampler!.points("open");
    expect(Math.max(...pts.map((p) => p[1]))).toBeGreaterThanOrEqual(5);
    expect(pts.at(-1)![1]).toBe(0);
  });

  it("draws a change where it happened, even when a quiet stretch follows (regression: steps drawn late)", async () => {
    const sim = new Simulation({ seed: 1 });
    sim.service("db", async () => ok({}));
    const c = sim.client("c");
    let locks = 0;
    const sampler = new Sampler(sim, { everyMs: 100, gauges: { locks: () => locks } });
    await sim.run(async () => {
      await sim.sleep(20);
      await c.call("db", "GET /"); // trace events from t = 20 (the first is sampled)
      await sim.sleep(30);
      locks = 2;
      await c.call("db", "GET /"); // t ≈ 54: not due (next at 100), the change is held
      await sim.sleep(5_000); // quiet: no trace event for 5 s
      locks = 0;
      await c.call("db", "GET /");
    });
    const pts = sampler.points("locks");
    // Before the fix the 2 first appeared after t = 5,000 (the next trace event after t = 100).
    const firstTwo = pts.find(([, v]) => v === 2);
    expect(firstTwo).toBeDefined();
    expect(firstTwo![0]).toBeGreaterThanOrEqual(50);
    expect(firstTwo![0]).toBeLessThan(100);
    expect(pts.at(-1)![1]).toBe(0);
    expect(pts.at(-1)![0]).toBeGreaterThan(5_000);
    // A change that is undone before the next due sample is not invented.
    expect(pts.filter(([, v]) => v !== 0 && v !== 2)).toEqual([]);
  });

  it("counts per window, bars by category, and faults as spans", async () => {
    const w = perWindow("retries", { full: [0, 10, 20, 150], equal: [5, 105] }, { windowMs: 100 });
    expect(w.data.series[0]!.y).toEqual([3, 1]);
    expect(w.data.series[1]!.y).toEqual([1, 1]);
    const b = bars("shard load", { before: { "shard 0": 900, "shard 1": 100 }, after: { "shard 0": 450, "shard 1": 100, "shard 2": 450 } });
    expect(b.data.xCategories).toEqual(["shard 0", "shard 1", "shard 2"]);
    expect(b.data.series[0]!.y).toEqual([900, 100, null]);
    const sim = new Simulation();
    sim.service("db", () => ok({}));
    sim.faults.crash("db", { at: 100 });
    sim.faults.restart("db", { at: 500 });
    await sim.runFor(1_000);
    const marks = faultMarks(sim.trace);
    expect(marks).toEqual([{ at: 100, until: 500, label: "db crash" }]);
  });
});

describe("replay", () => {
  it("carries nodes, links and every event, and a text summary", async () => {
    const sim = new Simulation({ seed: 1 });
    sim.service(HOSTILE, () => ok({}));
    const c = sim.client("web");
    await sim.run(async () => {
      for (let i = 0; i < 5; i++) await c.call(HOSTILE, "GET /x");
    });
    const b = replay(sim)[DISPLAY]();
    expect(Object.keys(b)[0]).toBe(REPLAY_MIME);
    const d = JSON.parse(b[REPLAY_MIME]!) as ReplayData;
    expect(d.nodes).toEqual(["web", HOSTILE]);
    expect(d.links).toEqual([[0, 1, 5], [1, 0, 5]]);
    expect(d.k.length).toBe(10);
    expect(d.n).toBeUndefined();
    expect(b["text/plain"]).toContain("5 request, 5 response");
    expect(b["text/markdown"]).not.toContain("<img");
  });

  it("counts dense traffic per bucket with a note, keeping every fault, under 200 KB", async () => {
    const sim = new Simulation({ seed: 2 });
    sim.service("api", () => ok({}));
    const c = sim.client("load");
    sim.faults.crash("api", { at: 2_000 });
    sim.faults.restart("api", { at: 2_500 });
    await sim.run(async () => {
      for (let i = 0; i < 25_000; i++) {
        void c.call("api", "GET /item").catch(() => undefined);
        await sim.sleep(0.2);
      }
      await sim.sleep(2_000);
    });
    const b = sim.replay()[DISPLAY]();
    const bytes = Object.values(b).reduce((n, v) => n + v.length, 0);
    expect(bytes).toBeLessThan(200_000);
    const d = JSON.parse(b[REPLAY_MIME]!) as ReplayData;
    expect(d.n).toBeDefined();
    const traffic = d.k.reduce((n, k, i) => n + (k <= 1 ? d.n![i]! : 0), 0);
    const recorded = sim.trace.events.filter((e) => e.kind === "request" || e.kind === "response").length;
    expect(traffic).toBe(recorded);
    expect(d.k.filter((k) => d.kinds[k] === "fault").length).toBe(2);
    expect(d.notes.join(" ")).toMatch(/counted per link/);
  });
});
