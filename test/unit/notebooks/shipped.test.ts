// Every shipped notebook runs headlessly to the end, and the numbers its prose relies on hold.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseNotebook } from "../../../src/notebook/format";
import { root, runJson } from "./run";

const notebooks = readdirSync(join(root, "notebooks")).filter((f) => f.endsWith(".sdenb"));

describe("shipped notebooks", () => {
  it("include the welcome notebook", () => {
    expect(notebooks).toContain("00-welcome.sdenb");
  });

  it.each(notebooks)("%s has unique cell ids", (file) => {
    const ids = parseNotebook(readFileSync(join(root, "notebooks", file), "utf8")).cells.flatMap((c) => (c.id ? [c.id] : []));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(notebooks)("%s runs headlessly to the end", (file) => {
    const report = runJson(join("notebooks", file));
    expect(report.ok).toBe(true);
  });

  it("welcome: state, await, streaming, rich display and the deliberate error show what the prose says", () => {
    const cells = runJson("notebooks/00-welcome.sdenb").notebooks[0]!.cells;
    const out = (id: string) => cells.find((c) => c.id === id)!.outputs;
    expect(out("use-state")[0]!.items.at(-1)!.data).toBe("6");
    expect(out("await")[0]!.items.at(-1)!.data).toBe("'pong'");
    expect(out("console").map((o) => o.items[0]!.mime)).toEqual([
      "application/vnd.code.notebook.stdout",
      "application/vnd.code.notebook.stderr",
      "application/vnd.code.notebook.stdout",
    ]);
    const display = out("display").map((o) => o.items[0]!);
    expect(display[2]!.data.startsWith("```mermaid\nsequenceDiagram")).toBe(true);
    const error = JSON.parse(out("error").at(-1)!.items[0]!.data) as { stack: string };
    expect(error.stack.split("\n").slice(0, 3)).toEqual([
      "RangeError: rate must be ≥ 0, got -0.2",
      "    at priceWithTax (Cell 12:3:11)",
      "    at Cell 12:7:1",
    ]);
  });

  describe("01-microservices: the numbers the prose relies on", () => {
    const cells = runJson("notebooks/01-microservices.sdenb").notebooks[0]!.cells;
    const items = (id: string) => cells.find((c) => c.id === id)!.outputs.map((o) => o.items[0]!);
    const json = (id: string, index = -1) => JSON.parse(items(id).at(index)!.data) as Record<string, unknown>;
    const markdown = (id: string, index: number) => items(id)[index]!.data;

    it("gateway: 401, 403, 404 in order, 5 of a burst of 10 limited, 504 from a slow upstream", () => {
      expect(markdown("gateway-healthy", 0)).toContain("| alice GET /orders/42 | 200 |\n| no key GET /orders/42 | 401 |\n| bob GET /orders/42 | 403 |\n| alice GET /nowhere | 404 |");
      expect(json("gateway-fault")).toEqual({ burstAccepted: 5, burstLimited: 5, retryAfterSeconds: "1", slowOrderStatus: 504 });
    });

    it("BFF: the mobile BFF sends 1,856 fewer bytes in one round trip less, and answers in 250 ms instead of 647", () => {
      expect(json("bff-numbers")).toEqual({ mobileBytesSaved: 1856, mobileRoundTripsSaved: 1, mobileLatencyMs: { bff: 250, generalGateway: 647 } });
    });

    it("discovery: a dead instance is used for 142 s (documented lease) or 202 s (as implemented); server-side costs a hop", () => {
      const stale = markdown("discovery-stale", 0);
      expect(stale).toContain("| documented | 80.732 | 170.732 | 205.539 | 233.713 | 242.126 | 142.126 | 18 | 0 | 700 |");
      expect(stale).toContain("| as-implemented | 80.732 | 260.732 | 265.539 | 293.713 | 302.126 | 202.126 | 25 | 0 | 700 |");
      const compare = markdown("discovery-compare", 0);
      expect(compare).toContain("| client-side | 1 | 2 | 73 | web-1, web-2, web-3 | 142.126–159.922 | 57 | 57 | 0 | 2100 |");
      expect(compare).toContain("| server-side | 2 | 4 | 25 | lb | 142.126 | 53 | 53 | 0 | 2100 |");
    });

    it("circuit breaker: p99 at A falls from 5680 ms to 861 ms and peak in-flight from 294 to 36", () => {
      const t = markdown("breaker-run", 0);
      expect(t).toContain("| no breaker | 600 | 0 | 0 | 5680 | 5470 | 294 | 294 |");
      expect(t).toContain("| breaker on B → C | 406 | 194 | 0 | 861 | 414 | 36 | 36 |");
      expect(markdown("breaker-trace", 0)).toContain("breaker OPEN (slow-call rate 50% ≥ 50% of 10 calls)");
    });

    it("retry storm: no jitter peaks at 1000 per 100 ms, full jitter at 110", () => {
      const t = markdown("retry-run", 0);
      expect(t).toContain("| none | 1000 | 5500 | 250 | 750 | 32031 |");
      expect(t).toContain("| full | 110 | 2000 | 1000 | 0 | 2022 |");
      expect(markdown("retry-run", 1)).toContain("xychart-beta");
    });

    it("timeout: the aggressive timeout wastes the work of 80 calls, the cooperative one stops 76 of them", () => {
      const [aggressive, cooperative] = JSON.parse(items("timeout-run").at(-1)!.data) as Record<string, number>[];
      expect(aggressive).toMatchObject({ ok: 20, "timed out": 80, "wasted work (calls)": 80, "stopped early": 0, "work done (ms)": 23880 });
      expect(cooperative).toMatchObject({ ok: 20, "timed out": 80, "wasted work (calls)": 4, "stopped early": 76, "work done (ms)": 14070 });
    });

    it("sidecar: 129/200 checkouts without, 195/200 with, no double charge, and the rogue caller gets 403", () => {
      const t = markdown("sidecar-run", 0);
      expect(t).toContain("| no sidecars | 129/200 | 203 | 0 | 200, 502, 200 | 0 | 13 |");
      expect(t).toContain("| with sidecars | 195/200 | 280 | 0 | 403, 403, 403 | 1083 | 47 |");
    });
  });
});
