// Charts and replays in Chromium (the engine of VS Code's output webview):
// - drawing a 100,000-point chart with SDE Lab's renderer, beside uPlot's own baseline (one
//   bare `new uPlot(...)` with the same 100,000 points, as in uPlot's "100k points" demo);
// - one replay frame with 50,000 events (12 nodes; a frame at each of 200 times across the
//   run), beside a baseline canvas frame that only clears and draws 400 dots;
// - the renderer bundle's minified size (target ≤ 600 KB).
// Targets: chart ≤ 100 ms, replay frame p95 ≤ 16.7 ms (60 fps). SDE_BENCH_SHOTS=<dir> also saves
// screenshots of both in light, dark and high contrast.
import * as esbuild from "esbuild";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { findChromium } from "../scripts/chromium.mjs";
import type { ReplayData } from "../src/lab/viz/replay";
import { report, summarize } from "./harness";

// npm run bench runs from the project root (this file runs from a bundle in bench/results).
const root = process.cwd();
const shots = process.env.SDE_BENCH_SHOTS ? resolve(process.env.SDE_BENCH_SHOTS) : undefined;

async function bundle(contents: string, minify = false): Promise<string> {
  const out = await esbuild.build({
    stdin: { contents, resolveDir: root, loader: "ts" },
    bundle: true,
    write: false,
    format: "iife",
    minify,
    platform: "browser",
    target: "es2022",
    loader: { ".css": "text" },
    logLevel: "warning",
  });
  return out.outputFiles[0]!.text;
}

function replayData(events: number): ReplayData {
  const nodes = ["gateway", "web", "orders", "payments", "inventory", "shipping", "users", "search", "cart", "reviews", "kafka", "db"];
  const links: [number, number, number][] = [];
  const d: ReplayData = { v: 1, title: "50,000 events", runId: "bench", end: 0, nodes, links, kinds: ["request", "response", "drop", "timeout", "fault", "state", "note"], strings: ["GET /x", "200", "503 lost (loss)", "crash", "restart", "breaker OPEN (failure rate 60 %)", "breaker CLOSED (trial calls passed)"], dt: [], k: [], a: [], b: [], s: [], total: events, notes: [] };
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const count = new Map<string, number>();
  for (let i = 0; i < events; i++) {
    const from = Math.floor(rnd() * 6);
    const to = 6 + Math.floor(rnd() * 6);
    const r = rnd();
    const kind = i % 5000 === 2500 ? 4 : i % 7000 === 100 ? 5 : r < 0.5 ? 0 : r < 0.97 ? 1 : 2;
    const [a, b] = kind === 1 ? [to, from] : [from, to];
    d.dt.push(0.2);
    d.k.push(kind);
    d.a.push(a);
    d.b.push(b);
    d.s.push(kind === 0 ? 0 : kind === 1 ? 1 : kind === 2 ? 2 : kind === 4 ? (i % 10000 === 2500 ? 3 : 4) : 5);
    if (kind <= 2) count.set(`${a},${b}`, (count.get(`${a},${b}`) ?? 0) + 1);
  }
  d.end = events * 0.2;
  for (const [k, n] of count) {
    const [a, b] = k.split(",").map(Number) as [number, number];
    links.push([a, b, n]);
  }
  return d;
}

const THEMES: Record<string, { body: string; vars: Record<string, string> }> = {
  light: { body: "vscode-light", vars: { "--vscode-editor-foreground": "#3b3b3b", "--vscode-editor-background": "#ffffff", "--vscode-charts-blue": "#1a85ff", "--vscode-charts-red": "#e51400", "--vscode-charts-orange": "#d18616", "--vscode-charts-green": "#388a34", "--vscode-descriptionForeground": "#717171" } },
  dark: { body: "vscode-dark", vars: { "--vscode-editor-foreground": "#cccccc", "--vscode-editor-background": "#1f1f1f", "--vscode-charts-blue": "#3794ff", "--vscode-charts-red": "#f14c4c", "--vscode-charts-orange": "#d18616", "--vscode-charts-green": "#89d185", "--vscode-descriptionForeground": "#9d9d9d" } },
  hc: { body: "vscode-high-contrast", vars: { "--vscode-editor-foreground": "#ffffff", "--vscode-editor-background": "#000000", "--vscode-charts-blue": "#3794ff", "--vscode-charts-red": "#f48771", "--vscode-charts-orange": "#ffa500", "--vscode-charts-green": "#89d185", "--vscode-contrastBorder": "#6fc3df", "--vscode-descriptionForeground": "#ffffff" } },
};

const renderer = await bundle(`import { activate } from "./src/renderer/index.ts"; import uPlot from "uplot"; (window as any).sde = activate({}); (window as any).uPlot = uPlot;`);
const minified = await esbuild.build({ entryPoints: [join(root, "src/renderer/index.ts")], bundle: true, write: false, format: "esm", minify: true, platform: "browser", target: "es2022", loader: { ".css": "text" }, keepNames: true, legalComments: "none" });
const size = minified.outputFiles[0]!.contents.length;
const { executablePath, args, env } = await findChromium();
const browser = await chromium.launch({ executablePath, args, env: { ...process.env, ...env } });
// No locale: the machine's POSIX one ("en-US@posix") also checks the renderer's locale guard.
const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
await page.setContent(`<!doctype html><html><head></head><body class="vscode-light"><div id="out" style="width:900px"></div></body></html>`);
await page.addScriptTag({ content: renderer });
const data = replayData(50_000);

const chartRuns: number[] = [];
const baseRuns: number[] = [];
const N = 100_000;
for (let run = 0; run < 7; run++) {
  const [base, ours] = await page.evaluate(async (n) => {
    const x = Array.from({ length: n }, (_, i) => i);
    const y = x.map((i) => Math.sin(i / 1000) * 50 + ((i * 7919) % 23));
    const out = document.getElementById("out")!;
    out.replaceChildren();
    const box = document.createElement("div");
    out.append(box);
    const w = window as unknown as { uPlot: new (o: unknown, d: unknown, t: HTMLElement) => { destroy(): void }; sde: { renderOutputItem(i: unknown, e: HTMLElement): void; disposeOutputItem(id?: string): void } };
    let t0 = performance.now();
    const u = new w.uPlot({ width: 800, height: 260, scales: { x: { time: false } }, series: [{}, { stroke: "red" }] }, [x, y], box);
    // uPlot draws in a microtask after the constructor: wait for it, in both cases.
    await new Promise((r) => setTimeout(r, 0));
    const base = performance.now() - t0;
    u.destroy();
    box.remove();
    const chart = { v: 1, title: "100,000 points", xLabel: "virtual time (ms)", yLabel: "ms", log: false, series: [{ name: "p99", kind: "line", x, y, points: n }], annotations: [{ at: 30000, label: "breaker OPEN" }, { at: 50000, until: 60000, label: "db crash" }], notes: [] };
    const el = document.createElement("div");
    out.append(el);
    t0 = performance.now();
    w.sde.renderOutputItem({ id: "c", mime: "application/vnd.sde-lab.chart+json", json: () => chart }, el);
    await new Promise((r) => setTimeout(r, 0));
    const ours = performance.now() - t0;
    w.sde.disposeOutputItem("c");
    return [base, ours];
  }, N);
  if (run > 0) {
    baseRuns.push(base!);
    chartRuns.push(ours!);
  }
}
report("Chart of 100,000 points, until drawn (ms, Chromium)", summarize("uPlot baseline: new uPlot(100k points)", baseRuns), [summarize("SDE Lab renderer: renderOutputItem(chart of 100k points)", chartRuns)]);

const frames = await page.evaluate((replay) => {
  const out = document.getElementById("out")!;
  out.replaceChildren();
  const el = document.createElement("div");
  out.append(el);
  const w = window as unknown as { sde: { renderOutputItem(i: unknown, e: HTMLElement): void } };
  const t0 = performance.now();
  w.sde.renderOutputItem({ id: "r", mime: "application/vnd.sde-lab.replay+json", json: () => replay }, el);
  const open = performance.now() - t0;
  const scrub = el.querySelector<HTMLInputElement>("input.sde-scrub")!;
  const ours: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = (replay.end * i) / 200;
    const s = performance.now();
    scrub.value = String(t);
    scrub.dispatchEvent(new Event("input"));
    ours.push(performance.now() - s);
  }
  // Baseline: a canvas of the same size, cleared, 400 dots drawn.
  const c = document.createElement("canvas");
  c.width = 900;
  c.height = 400;
  out.append(c);
  const ctx = c.getContext("2d")!;
  const base: number[] = [];
  for (let i = 0; i < 200; i++) {
    const s = performance.now();
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, 900, 400);
    ctx.fillStyle = "#1a85ff";
    for (let d = 0; d < 400; d++) {
      ctx.beginPath();
      ctx.arc((d * 37 + i) % 900, (d * 53) % 400, 3.5, 0, Math.PI * 2);
      ctx.fill();
    }
    base.push(performance.now() - s);
  }
  c.remove();
  return { ours, base, open };
}, data);
report("Replay of 50,000 events: one frame while scrubbing (ms, Chromium)", summarize("baseline: clear a canvas and draw 400 dots", frames.base), [summarize("SDE Lab replay: seek + draw a frame", frames.ours)]);
console.log(`\nReplay of 50,000 events: decoded, checkpointed, laid out and first frame drawn in ${frames.open.toFixed(1)} ms`);
console.log(`Renderer bundle (minified, as packaged): ${(size / 1024).toFixed(1)} KB (target ≤ 600 KB)`);

if (shots) {
  mkdirSync(shots, { recursive: true });
  for (const [name, theme] of Object.entries(THEMES)) {
    await page.evaluate(
      ({ theme, replay }) => {
        document.body.className = theme.body;
        for (const [k, v] of Object.entries(theme.vars)) document.body.style.setProperty(k, v);
        document.body.style.background = theme.vars["--vscode-editor-background"]!;
        const out = document.getElementById("out")!;
        out.replaceChildren();
        const w = window as unknown as { sde: { renderOutputItem(i: unknown, e: HTMLElement): void } };
        const hostile = "<img src=x onerror=alert(1)>";
        const x = Array.from({ length: 600 }, (_, i) => i * 100);
        const chart = { v: 1, title: `Latency and breaker ${hostile}`, xLabel: "virtual time (ms)", yLabel: "ms", log: false, runId: "bench", series: [{ name: "p50", kind: "line", x, y: x.map((t) => 20 + (t > 20000 && t < 30000 ? 300 : 0) + ((t * 13) % 7)), points: 600 }, { name: hostile, kind: "line", x, y: x.map((t) => 60 + (t > 20000 && t < 30000 ? 900 : 0) + ((t * 7) % 40)), points: 600 }], annotations: [{ at: 21000, label: "breaker OPEN" }, { at: 25000, until: 30000, label: "db crash" }], notes: ["p99: 100,000 points downsampled to 4,000 (min and max per 15 ms of x kept)"] };
        const a = document.createElement("div");
        const b = document.createElement("div");
        out.append(a, b);
        w.sde.renderOutputItem({ id: "shot-c", mime: "application/vnd.sde-lab.chart+json", json: () => chart }, a);
        w.sde.renderOutputItem({ id: "shot-r", mime: "application/vnd.sde-lab.replay+json", json: () => ({ ...replay, nodes: [...replay.nodes.slice(0, 11), hostile] }) }, b);
        const scrub = b.querySelector<HTMLInputElement>("input.sde-scrub")!;
        scrub.value = String(2500 * 0.2 + 20);
        scrub.dispatchEvent(new Event("input"));
      },
      { theme, replay: data },
    );
    await page.screenshot({ path: join(shots, `viz-${name}.png`), fullPage: true });
    console.log(`screenshot: ${join(shots, `viz-${name}.png`)}`);
  }
  const pwned = await page.evaluate(() => document.querySelectorAll("img").length);
  console.log(`hostile names: ${pwned} <img> elements in the page (expected 0)`);
}
await browser.close();
