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
/** "median (min–max)" of a seed sweep, as the cells print it. */
const sweep = (s: string | undefined) => {
  const [med, lo, hi] = String(s).replace(/,/g, "").match(/[\d.]+/g)!.map(Number);
  return { med: med!, lo: lo!, hi: hi! };
};
/** A markdown cell's text with line breaks folded, for quoting numbers. */
const prose = (id: string) => source.cells.find((c) => c.id === id)!.source.replace(/\s+/g, " ");

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
    const stale = Number(/the last \*\*(\d+) s\*\* after the crash/.exec(fault)![1]);
    const sweptFault = rows("client-side-discovery-fault", 1)[0]!;
    const after = sweep(sweptFault["last one, s after the crash"]);
    expect(after.lo).toBeGreaterThan(60); // over a minute in every seed of 1–8
    expect(after.hi).toBeLessThan(180);
    expect(stale).toBeGreaterThanOrEqual(after.lo);
    const dead = sweep(sweptFault["calls to the dead instance"]);
    const read = prose("client-side-discovery-read");
    expect(read).toContain(`for ${stale} s after the crash`);
    expect(read).toContain(`came ${after.lo} to ${after.hi} s after the crash (median ${after.med} s), and ${dead.lo} to ${dead.hi} requests`);
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
    const timedOut = sweep(row(statuses, "status", "504")["answers, median (range) over seeds 1–8"]);
    expect(timedOut.lo).toBeGreaterThan(0); // every seed sends some requests to the dead instance
    expect(prose("server-side-discovery-read")).toContain(`over seeds 1–8, ${timedOut.lo} to ${timedOut.hi} requests (median ${timedOut.med},`);
    expect(text("server-side-discovery-build")).toMatch(/(\d+) timed out \(outcome unknown\), \1 sent to a dead instance/);
  });

  it("circuit breaker: in every seed nobody gives up with it, p99 falls at least 2×, peak in flight at least 5×; it opens on the slow-call rate", () => {
    const t = rows("circuit-breaker-build");
    const none = row(t, "setup", "no breaker");
    const cb = row(t, "setup", "breaker on B → C");
    const [noneGaveUp, noneP99, cbP99, nonePeak, cbPeak] = [sweep(none["users gave up"]), sweep(none["p99 (ms)"]), sweep(cb["p99 (ms)"]), sweep(none["peak in flight at A"]), sweep(cb["peak in flight at A"])];
    expect(noneGaveUp.lo).toBeGreaterThan(200);
    expect(sweep(cb["users gave up"]).hi).toBe(0);
    expect(noneP99.lo / cbP99.hi).toBeGreaterThanOrEqual(2); // the best unprotected seed against the worst protected one
    expect(nonePeak.lo / cbPeak.hi).toBeGreaterThanOrEqual(5);
    expect(sweep(cb["failed fast"]).lo).toBeGreaterThan(0);
    const read = prose("circuit-breaker-read");
    expect(read).toContain(`${noneGaveUp.med} of 600 users give up after 2 s in the median seed (${noneGaveUp.lo} to ${noneGaveUp.hi} over seeds 1–8)`);
    expect(read).toContain(`to ${cbP99.med} ms (${cbP99.lo} to ${cbP99.hi})`);
    expect(read).toContain(`from ${nonePeak.med} to ${cbPeak.med} (${cbPeak.lo} to ${cbPeak.hi}), at least 5× fewer in every seed`);
    const transitions = rows("circuit-breaker-states");
    expect(transitions[0]).toMatchObject({ from: "CLOSED", to: "OPEN" });
    expect(transitions[0]!.why).toMatch(/^slow-call rate/);
    expect(text("circuit-breaker-states")).toContain("HALF_OPEN --> CLOSED");
  });

  it("retry storm: without jitter every client retries in the same 100 ms; full jitter cuts that peak at least 5× and serves everyone, in every seed", () => {
    const t = rows("retry-backoff-build");
    const [none, full, equal, decorrelated] = ["none", "full", "equal", "decorrelated"].map((k) => row(t, "retry", k));
    const peak = (r: Record<string, string>) => sweep(r["peak retries per 100 ms"]);
    expect(peak(none!).lo).toBeGreaterThanOrEqual(990);
    expect(sweep(none!["gave up"]).lo).toBeGreaterThan(500);
    expect(peak(none!).lo / peak(full!).hi).toBeGreaterThanOrEqual(5);
    expect(sweep(full!.succeeded).lo).toBe(1000);
    expect(peak(decorrelated!).hi).toBeLessThan(peak(full!).lo);
    expect(sweep(decorrelated!["last done (s)"]).lo).toBeGreaterThan(sweep(full!["last done (s)"]).hi);
    const read = prose("retry-backoff-read");
    expect(read).toContain(`(a peak of ${peak(none!).lo} to ${peak(none!).hi.toLocaleString("en")} over seeds 1–5)`);
    expect(read).toContain(`at most ${peak(full!).med} retries in any 100 ms in the median seed (${peak(full!).lo} to ${peak(full!).hi})`);
    expect(read).toContain(`(${peak(decorrelated!).med} at the peak, ${peak(decorrelated!).lo} to ${peak(decorrelated!).hi})`);
    expect(read).toContain(`peaks at ${peak(equal!).med} (${peak(equal!).lo} to ${peak(equal!).hi})`);
    // One scale: every chart (seed 1) has the same x axis and y range.
    const charts = text("retry-backoff-build").match(/x-axis[^\n]*\n\s*y-axis[^\n]*/g)!;
    expect(charts).toHaveLength(4);
    expect(new Set(charts).size).toBe(1);
  });

  it("timeout: both kinds deliver the same reports in every seed; the cooperative one stops most abandoned work", () => {
    const t = rows("timeout-build");
    const aggressive = row(t, "kind", "aggressive");
    const cooperative = row(t, "kind", "cooperative");
    expect(aggressive.delivered).toBe(cooperative.delivered);
    expect(aggressive["finished for nobody"]).toBe(aggressive["timed out"]);
    const [stopped, timedOut, forNobody] = [sweep(cooperative["stopped early"]), sweep(cooperative["timed out"]), sweep(cooperative["finished for nobody"])];
    expect(stopped.med).toBeGreaterThan(0.9 * timedOut.med);
    expect(forNobody.hi).toBeLessThanOrEqual(0.1 * timedOut.lo);
    const saved = sweep(cooperative["work saved vs aggressive %"]);
    expect(saved.lo).toBeGreaterThanOrEqual(30); // at least 30 % less work in every seed
    const read = prose("timeout-read");
    const delivered = sweep(aggressive.delivered);
    expect(read).toContain(`${delivered.med} of 100 in the median seed (${delivered.lo} to ${delivered.hi} over seeds 1–8)`);
    expect(read).toContain(`all but ${forNobody.lo} to ${forNobody.hi} of them`);
    expect(read).toContain(`${saved.med} % less work in the median seed (${saved.lo} to ${saved.hi} %)`);
  });

  it("bulkhead: in every seed /home stays fast while C is slow, and more orders are served than with the breaker alone", () => {
    const t = rows("bulkhead-build", 0);
    const bh = row(t, "setup", "bulkhead on B → C");
    const cb = row(t, "setup", "breaker on B → C");
    const [bhHome, cbHome, bhOrders, cbOrders] = [sweep(bh["/home p99 (ms)"]), sweep(cb["/home p99 (ms)"]), sweep(bh["/orders ok"]), sweep(cb["/orders ok"])];
    expect(bhHome.hi).toBeLessThanOrEqual(20);
    expect(cbHome.lo / bhHome.hi).toBeGreaterThan(10);
    expect(sweep(bh["users gave up"]).hi).toBe(0);
    expect(bhOrders.lo).toBeGreaterThan(cbOrders.hi);
    expect(prose("bulkhead-read")).toContain(`against ${cbHome.med} ms in the median seed (${cbHome.lo} to ${cbHome.hi})`);
    expect(prose("bulkhead-read")).toContain(`(${bhOrders.med}, ${bhOrders.lo} to ${bhOrders.hi}) than with the breaker (${cbOrders.med}, ${cbOrders.lo} to ${cbOrders.hi})`);
    const wrapped = rows("bulkhead-wrap", 0)[0]!;
    const [wrapP99, wrapOrders, retried] = [sweep(wrapped["p99 (ms)"]), sweep(wrapped["/orders ok"]), sweep(wrapped["calls retried"])];
    expect(wrapP99.hi).toBeLessThan(200);
    expect(wrapOrders.hi).toBeLessThan(bhOrders.lo);
    expect(prose("bulkhead-wrap-read")).toContain(`p99 ${wrapP99.med} ms in the median seed, ${wrapP99.lo} to ${wrapP99.hi}`);
    expect(prose("bulkhead-wrap-read")).toContain(`only ${retried.med} calls again in the median seed (${retried.lo} to ${retried.hi})`);
    expect(text("bulkhead-wrap")).toContain("Policies, outermost first: retry → breaker → timeout → bulkhead → call");
  });

  it("sidecar: more checkouts succeed in every seed, the rogue caller gets 403, and deduplication on the edge's key prevents every double charge", () => {
    const t = rows("sidecar-build");
    const plain = row(t, "setup", "no sidecars");
    const meshed = t.find((r) => r.setup!.startsWith("sidecars"))!;
    const ok = (r: Record<string, string>) => sweep(r["checkouts ok of 200"]);
    expect(ok(meshed).lo).toBeGreaterThan(ok(plain).hi); // the worst meshed seed beats the best plain one
    expect(sweep(plain["rogue calls refused, of 3"]).hi).toBe(0);
    expect(sweep(meshed["rogue calls refused, of 3"]).lo).toBe(3);
    expect(sweep(meshed["double charges"]).hi).toBe(0);
    const read = prose("sidecar-read");
    expect(read).toContain(`${ok(plain).med} of 200 checkouts succeed in the median seed (${ok(plain).lo} to ${ok(plain).hi})`);
    expect(read).toContain(`${ok(meshed).med} of 200 checkouts succeed in the median seed (${ok(meshed).lo} to ${ok(meshed).hi})`);
    expect(text("sidecar-log")).toMatch(/\d+ of the orders sidecar's outbound calls needed a retry \(seed 1\)/);
    const d = rows("sidecar-dedupe");
    const without = row(d, "setup", "slow payments, no dedupe");
    const withKey = row(d, "setup", "slow payments, dedupe on the key");
    expect(sweep(without["double charges"]).lo).toBeGreaterThan(0);
    expect(sweep(withKey["double charges"]).hi).toBe(0);
    expect(withKey["orders charged"]).toBe(without["orders charged"]);
    const lucky = sweep(withKey["checkouts ok of 200"]);
    expect(prose("sidecar-dedupe-read")).toContain(`${lucky.med} in the median seed, ${lucky.lo} to ${lucky.hi} over seeds 1–4`);
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
