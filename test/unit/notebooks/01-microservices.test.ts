// Notebook 01 runs headlessly, and what its prose claims about each run holds: relations
// ("p99 falls at least 2×", "the fixed window lets nearly twice its limit through"), not
// pinned table rows. Each challenge's check cell shows the starter failing.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseNotebook } from "../../../src/notebook/format";
import { microservices } from "../../../src/catalog/sections/microservices";
import { cellsOf, root, runJson } from "./run";

const FILE = "notebooks/01-microservices.sdenb";
const PATTERNS = ["api-gateway", "rate-limiting", "bff", "client-side-discovery", "server-side-discovery", "circuit-breaker", "retry-backoff", "timeout", "bulkhead", "sidecar"];

const report = runJson(FILE);
const nb = cellsOf(report);
const source = parseNotebook(readFileSync(join(root, FILE), "utf8"));

/** Rows of a markdown table output of a cell (the `index`-th output, default the last). */
function rows(id: string, index = -1): Record<string, string>[] {
  const md = nb.item(id, "text/markdown", index);
  if (md === undefined) throw new Error(`cell ${id} has no markdown output at ${index}`);
  const lines = md.split("\n").filter((l) => l.startsWith("|"));
  const split = (l: string) => l.slice(1, -1).split(" | ").map((c) => c.trim());
  const head = split(lines[0]!);
  return lines.slice(2).map((l) => Object.fromEntries(split(l).map((c, i) => [head[i]!, c])));
}
const num = (s: string | undefined) => Number(String(s).replace(/,/g, ""));
const row = (table: Record<string, string>[], key: string, value: string) => {
  const found = table.find((r) => r[key] === value);
  if (!found) throw new Error(`no row with ${key} = ${value}`);
  return found;
};
const text = (id: string) => nb.items(id).map((i) => i.data).join("\n");

describe("01-microservices", () => {
  it("runs to the end without an error", () => {
    expect(report.ok).toBe(true);
    expect(nb.cells.filter((c) => c.status !== "ok" && c.status !== "skipped").map((c) => c.id)).toEqual([]);
  });

  it("has the authoring layout for each of the ten patterns, in catalog order", () => {
    const ids = source.cells.map((c) => c.id ?? "");
    const headings = PATTERNS.map((p) => ids.indexOf(p));
    expect(headings.every((i) => i >= 0)).toBe(true);
    expect([...headings].sort((a, b) => a - b)).toEqual(headings);
    for (const p of PATTERNS) {
      for (const suffix of ["-diagram", "-tradeoffs", "-differs", "-interview", "-challenge", "-starter", "-check"]) expect(ids, `${p}${suffix}`).toContain(`${p}${suffix}`);
      const cell = source.cells.find((c) => c.id === p)!;
      // VS Code runs no command: links from notebook markdown; the heading cell's status bar
      // carries "Preview diagram" and "Insert snippet", and the prose points there.
      expect(cell.source).toMatch(new RegExp(`^## `));
      expect(cell.source).toContain("**Preview diagram**");
      expect(cell.source).not.toContain("command:");
      // A knob challenge has one hint cell; a build challenge three (nudge, approach, key idea).
      const hints = source.cells.filter((c) => c.id === `${p}-hint` || /^-hint-[123]$/.test((c.id ?? "").slice(p.length)) && c.id!.startsWith(p));
      expect(hints.length === 1 || hints.length === 3, `${p} hint cells`).toBe(true);
      for (const h of hints) expect(h.metadata, h.id).toMatchObject({ collapsed: true });
      const diagram = source.cells.find((c) => c.id === `${p}-diagram`)!.source;
      expect(diagram).toBe("```mermaid\n" + readFileSync(join(root, "media/diagrams", `${p}.mmd`), "utf8").trimEnd() + "\n```");
    }
  });

  it("each interview cell holds the catalog's 60-second answer verbatim", () => {
    for (const entry of microservices) {
      expect(source.cells.find((c) => c.id === `${entry.id}-interview`)!.source).toBe(`### 60-second interview answer\n\n${entry.interview.answer}`);
    }
    expect(microservices.map((e) => e.id)).toEqual(PATTERNS);
  });

  it("every check cell shows its challenge failing with the starter's values", () => {
    for (const p of PATTERNS) expect(nb.item(`${p}-check`, "text/plain")!.split("\n")[0], p).toMatch(new RegExp(`^Challenge ${p}: FAILED`));
  });

  it("every section runs on its own in a fresh kernel (as after a restart)", () => {
    const raw = JSON.parse(readFileSync(join(root, FILE), "utf8")) as { cells: { id: string }[] };
    const starts = PATTERNS.map((p) => raw.cells.findIndex((c) => c.id === p));
    const dir = mkdtempSync(join(tmpdir(), "sde-nb01-"));
    try {
      const files = PATTERNS.map((p, i) => {
        const file = join(dir, `${p}.sdenb`);
        writeFileSync(file, JSON.stringify({ ...raw, cells: raw.cells.slice(starts[i], starts[i + 1] ?? raw.cells.length) }));
        return file;
      });
      const r = spawnSync(process.execPath, [join(root, "dist/cli.js"), "run", "--json", ...files], { encoding: "utf8", cwd: root, timeout: 120_000 });
      const sections = JSON.parse(r.stdout) as { ok: boolean; notebooks: { cells: { id?: string; status: string }[] }[] };
      const failed = sections.notebooks.flatMap((n, i) => n.cells.filter((c) => c.status !== "ok").map((c) => `${PATTERNS[i]}: ${c.id} ${c.status}`));
      expect(failed).toEqual([]);
      expect(sections.ok).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("every section imports what it uses, so it runs after a kernel restart", () => {
    // Each pattern's first code cell and its check cell start with an import from sde-lab.
    for (const p of PATTERNS) {
      const start = source.cells.findIndex((c) => c.id === p);
      const firstCode = source.cells.slice(start).find((c) => c.kind === "code")!;
      expect(firstCode.source, p).toMatch(/^(\/\/.*\n)*import .* from "sde-lab(\/scenarios)?";/);
      expect(source.cells.find((c) => c.id === `${p}-check`)!.source).toContain('from "sde-lab/challenges"');
    }
  });

  it("API gateway: 200, 401, 403, 404 in check order; a slow upstream answers 504 within the route timeout", () => {
    expect(rows("api-gateway-healthy", 0).map((r) => r.status)).toEqual(["200", "401", "403", "404"]);
    const [slow, users] = rows("api-gateway-fault", 0);
    expect(slow!.status).toBe("504");
    expect(num(slow!["waited (ms)"])).toBeLessThan(150); // the route timeout is 100 ms, orders takes 150
    expect(users!.status).toBe("200");
  });

  it("rate limiting: the fixed window lets nearly twice its limit through at the boundary, the sliding log at most its limit", () => {
    const t = rows("rate-limiting-compare");
    const at = (name: string) => num(t.find((r) => r.limiter!.startsWith(name))!["let through between t = 0.9 s and 1.1 s"]);
    expect(at("fixed window")).toBeGreaterThanOrEqual(18);
    expect(at("sliding window log")).toBeLessThanOrEqual(10);
    expect(at("sliding window counter")).toBeLessThanOrEqual(10);
    expect(at("leaky bucket")).toBeLessThan(at("token bucket"));
    const g = rows("rate-limiting-gateway");
    const burst = g.filter((r) => r.when === "burst at t = 0");
    expect(burst.filter((r) => r.status === "200")).toHaveLength(5);
    expect(burst.filter((r) => r.status === "429" && r["retry-after (s)"] === "1")).toHaveLength(5);
    expect(g.filter((r) => r.when === "t ≈ 1 s" && r.status === "200")).toHaveLength(2);
  });

  it("BFF: one round trip instead of two, over 10× fewer bytes, the screen ready at least 2× sooner", () => {
    const t = rows("bff-run");
    const bff = row(t, "path", "mobile BFF");
    const gw = row(t, "path", "general gateway");
    expect([num(bff["round trips"]), num(gw["round trips"])]).toEqual([1, 2]);
    expect(num(gw["bytes to the phone"]) / num(bff["bytes to the phone"])).toBeGreaterThan(10);
    expect(num(gw["screen ready after (ms)"]) / num(bff["screen ready after (ms)"])).toBeGreaterThan(2);
  });

  it("client-side discovery: the dead instance is used for over a minute; self-preservation keeps it; Consul drops it within 15 s", () => {
    const fault = text("client-side-discovery-fault");
    const stale = Number(/\*\*(\d+) s\*\* after the crash/.exec(fault)![1]);
    expect(stale).toBeGreaterThan(60);
    expect(stale).toBeLessThan(180);
    const small = rows("client-side-discovery-small")[0]!;
    expect(num(small.renewalsLastMinute)).toBeLessThan(num(small.threshold));
    expect(small["self-preservation on"]).toBe("yes");
    expect(num(small["calls to the dead instance"])).toBeGreaterThan(50);
    const consulLast = Number(/the last at t = ([\d.]+) s/.exec(text("client-side-discovery-consul-run"))![1]);
    expect(consulLast - 100).toBeLessThan(15);
  });

  it("server-side discovery: two hops per request, and dead-instance requests come back as 504", () => {
    expect(text("server-side-discovery-build")).toMatch(/ 2 hops\/request/);
    const statuses = rows("server-side-discovery-build", 0);
    expect(num(row(statuses, "status", "504").count)).toBeGreaterThan(0);
    expect(text("server-side-discovery-build")).toMatch(/(\d+) timed out \(outcome unknown\), \1 sent to a dead instance/);
  });

  it("circuit breaker: nobody gives up with it, p99 falls at least 2×, peak in flight at least 5×; it opens on the slow-call rate", () => {
    const t = rows("circuit-breaker-build");
    const none = row(t, "setup", "no breaker");
    const cb = row(t, "setup", "breaker on B → C");
    expect(num(none["users gave up"])).toBeGreaterThan(200);
    expect(num(cb["users gave up"])).toBe(0);
    expect(num(none["p99 (ms)"]) / num(cb["p99 (ms)"])).toBeGreaterThanOrEqual(2);
    expect(num(none["peak in flight at A"]) / num(cb["peak in flight at A"])).toBeGreaterThanOrEqual(5);
    expect(num(cb["failed fast"])).toBeGreaterThan(0);
    const transitions = rows("circuit-breaker-states");
    expect(transitions[0]).toMatchObject({ from: "CLOSED", to: "OPEN" });
    expect(transitions[0]!.why).toMatch(/^slow-call rate/);
    expect(text("circuit-breaker-states")).toContain("HALF_OPEN --> CLOSED");
  });

  it("retry storm: without jitter every client retries in the same 100 ms; full jitter cuts that peak at least 5× and serves everyone", () => {
    const t = rows("retry-backoff-build", 0);
    const none = row(t, "retry", "none");
    const full = row(t, "retry", "full");
    const decorrelated = row(t, "retry", "decorrelated");
    expect(num(none["peak retries per 100 ms"])).toBe(1000);
    expect(num(none["gave up"])).toBeGreaterThan(500);
    expect(num(none["peak retries per 100 ms"]) / num(full["peak retries per 100 ms"])).toBeGreaterThanOrEqual(5);
    expect(num(full.succeeded)).toBe(1000);
    expect(num(decorrelated["peak retries per 100 ms"])).toBeLessThan(num(full["peak retries per 100 ms"]));
    expect(num(decorrelated["last done (s)"])).toBeGreaterThan(num(full["last done (s)"]));
    // One scale: every chart has the same x axis and y range.
    const charts = text("retry-backoff-build").match(/x-axis[^\n]*\n\s*y-axis[^\n]*/g)!;
    expect(charts).toHaveLength(4);
    expect(new Set(charts).size).toBe(1);
  });

  it("timeout: both kinds deliver the same reports; the cooperative one stops most abandoned work", () => {
    const t = rows("timeout-build");
    const aggressive = row(t, "kind", "aggressive");
    const cooperative = row(t, "kind", "cooperative");
    expect(aggressive.delivered).toBe(cooperative.delivered);
    expect(num(aggressive["finished for nobody"])).toBe(num(aggressive["timed out"]));
    expect(num(cooperative["stopped early"])).toBeGreaterThan(0.9 * num(cooperative["timed out"]));
    expect(num(cooperative["work done (ms)"])).toBeLessThan(0.7 * num(aggressive["work done (ms)"]));
  });

  it("bulkhead: /home stays fast while C is slow, and more orders are served than with the breaker alone", () => {
    const t = rows("bulkhead-build", 0);
    const bh = row(t, "setup", "bulkhead on B → C");
    const cb = row(t, "setup", "breaker on B → C");
    expect(num(bh["/home p99 (ms)"])).toBeLessThanOrEqual(20);
    expect(num(cb["/home p99 (ms)"]) / num(bh["/home p99 (ms)"])).toBeGreaterThan(10);
    expect(num(bh["users gave up"])).toBe(0);
    expect(num(bh["/orders ok"])).toBeGreaterThan(num(cb["/orders ok"]));
    const wrapped = rows("bulkhead-wrap", 0)[0]!;
    expect(num(wrapped["p99 (ms)"])).toBeLessThan(200);
    expect(num(wrapped["/orders ok"])).toBeLessThan(num(bh["/orders ok"]));
    expect(text("bulkhead-wrap")).toContain("Policies, outermost first: retry → breaker → timeout → bulkhead → call");
  });

  it("sidecar: more checkouts succeed, the rogue caller gets 403, and deduplication on the edge's key prevents every double charge", () => {
    const t = rows("sidecar-build");
    const plain = row(t, "setup", "no sidecars");
    const meshed = t.find((r) => r.setup!.startsWith("sidecars"))!;
    const ok = (r: Record<string, string>) => num(r["checkouts ok"]!.split("/")[0]);
    expect(ok(meshed)).toBeGreaterThan(ok(plain));
    expect(plain["rogue caller got"]).toMatch(/200/);
    expect(meshed["rogue caller got"]).toBe("403, 403, 403");
    expect(num(meshed["double charges"])).toBe(0);
    const d = rows("sidecar-dedupe");
    const without = row(d, "setup", "slow payments, no dedupe");
    const withKey = row(d, "setup", "slow payments, dedupe on the key");
    expect(num(without["double charges"])).toBeGreaterThan(0);
    expect(num(withKey["double charges"])).toBe(0);
    expect(num(withKey["orders charged"])).toBe(num(without["orders charged"]));
  });
  it("charts the cascade, the retry storm and the bulkhead as the prose says", () => {
    const CHART = "application/vnd.sde-lab.chart+json";
    type Data = { runId?: string; series: { name: string; y: (number | null)[] }[]; yCategories?: string[]; annotations: { at: number; until?: number; label: string }[] };
    const charts = (id: string) => nb.cell(id).outputs.flatMap((o) => o.items.filter((i) => i.mime === CHART).map((i) => JSON.parse(i.data) as Data));
    const peak = (d: Data, name: string) => Math.max(...d.series.find((s) => s.name === name)!.y.filter((v): v is number => v !== null));
    const [latency, states] = charts("circuit-breaker-chart");
    // Without the breaker p99 climbs to the users' 2 s patience; the breaker cuts the peak.
    expect(peak(latency!, "no breaker")).toBeGreaterThan(1_900);
    expect(peak(latency!, "breaker on B → C")).toBeLessThan(peak(latency!, "no breaker"));
    expect(latency!.annotations[0]).toMatchObject({ at: 2_000, until: 10_000 });
    // The breaker opens about a second into C's slow spell and is OPEN again after each probe.
    const opened = states!.annotations.filter((a) => / OPEN$/.test(a.label)).map((a) => a.at);
    expect(opened[0]).toBeGreaterThan(2_000);
    expect(opened[0]).toBeLessThan(3_500);
    expect(opened.length).toBeGreaterThanOrEqual(3);
    const replay = nb.cell("circuit-breaker-replay").outputs[0]!.items.find((i) => i.mime === "application/vnd.sde-lab.replay+json")!;
    expect((JSON.parse(replay.data) as { runId: string }).runId).toBe(latency!.runId);
    // No jitter: one synchronized wave of all 1,000 clients; full jitter spreads it 5× lower at least.
    const [storm] = charts("retry-backoff-chart");
    expect(peak(storm!, "none")).toBeGreaterThanOrEqual(5 * peak(storm!, "full"));
    // The bulkhead keeps p99 near C's 500 ms while no protection reaches the 2 s patience.
    const [bulk] = charts("bulkhead-chart");
    expect(peak(bulk!, "bulkhead on B → C")).toBeLessThan(peak(bulk!, "no protection") / 3);
    for (const id of ["circuit-breaker-chart", "circuit-breaker-replay", "retry-backoff-chart", "bulkhead-chart"]) {
      const bytes = nb.cell(id).outputs.reduce((n, o) => n + o.items.reduce((m, i) => m + i.data.length, 0), 0);
      expect(bytes, id).toBeLessThan(200_000);
    }
  });
});
