/**
 * Draws a replay: the topology laid out by dagre (a layered graph layout; the same nodes and
 * links give the same picture every run), messages moving along their links in virtual time,
 * node state as colour and badges, and controls: play/pause, speed, step to the next fault or
 * state change, a scrubber, a filter, and the trace lines of a clicked node or message.
 */
import dagre from "@dagrejs/dagre";
import type { ReplayData } from "../lab/viz/replay";
import { publish, subscribe } from "./bus";
import { button, el, fmtMs } from "./dom";
import { saveExport, xml } from "./export";
import { ReplayModel, type Flight, type NodeState } from "./replay-model";
import { onThemeChange, readTheme, type Theme } from "./theme";

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Real milliseconds a message takes to cross its link on screen. */
const TRAVEL_REAL_MS = 450;
/** Default length of a whole replay at 1× (real ms). */
const PLAY_REAL_MS = 30_000;
/** Most dots drawn one by one; past it they are counted per link. */
const MAX_DOTS = 400;

/** Lays the topology out: node boxes by name. */
export function layout(data: ReplayData, measure: (s: string) => number): { boxes: Box[]; width: number; height: number; edges: { from: number; to: number; points: { x: number; y: number }[] }[] } {
  const g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: "LR", nodesep: 28, ranksep: 70, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  data.nodes.forEach((name, i) => g.setNode(String(i), { width: Math.min(220, measure(name) + 24), height: 40 }));
  // One edge per node pair, in the direction of the first request, keeps the layers stable.
  const seen = new Set<string>();
  for (const [a, b] of data.links) {
    const key = a < b ? `${a}|${b}` : `${b}|${a}`;
    if (seen.has(key) || a === b) continue;
    seen.add(key);
    g.setEdge(String(a), String(b));
  }
  dagre.layout(g);
  const boxes = data.nodes.map((_, i) => {
    const n = g.node(String(i));
    return { x: n.x - n.width / 2, y: n.y - n.height / 2, w: n.width, h: n.height };
  });
  const edges = g.edges().map((e) => ({ from: Number(e.v), to: Number(e.w), points: g.edge(e).points ?? [] }));
  const graph = g.graph();
  return { boxes, width: Math.max(200, graph.width ?? 200), height: Math.max(80, graph.height ?? 80), edges };
}

export interface ReplayView {
  dispose(): void;
  /** Moves to virtual time `t` and draws. */
  seek(t: number): void;
  /** Draws the frame at the current time; returns ms spent (for the bench). */
  frame(): number;
}

export function renderReplay(root: HTMLElement, data: ReplayData): ReplayView {
  root.classList.add("sde-viz", "sde-replay");
  const model = new ReplayModel(data);
  const title = el("div", "sde-title", data.title);
  const canvas = el("canvas", "sde-stage");
  canvas.setAttribute("role", "img");
  const status = el("div", "sde-status");
  status.setAttribute("aria-live", "polite");
  const controls = el("div", "sde-controls");
  const scrub = el("input", "sde-scrub");
  scrub.type = "range";
  scrub.min = "0";
  scrub.max = String(data.end);
  scrub.step = "any";
  scrub.value = "0";
  scrub.setAttribute("aria-label", "Virtual time");
  const timeLabel = el("span", "sde-time", "0 ms");
  const speed = el("select", "sde-speed");
  speed.setAttribute("aria-label", "Speed");
  for (const s of [0.25, 0.5, 1, 2, 4, 8]) {
    const o = el("option", undefined, `${s}×`);
    o.value = String(s);
    if (s === 1) o.selected = true;
    speed.append(o);
  }
  const filter = el("input", "sde-filter");
  filter.type = "search";
  filter.placeholder = "filter: node or request";
  filter.setAttribute("aria-label", "Filter by node or request");
  const details = el("pre", "sde-lines");
  details.setAttribute("aria-label", "Trace lines");
  const notes = el("div", "sde-notes");
  for (const n of data.notes) notes.append(el("div", "sde-note", n));

  let time = 0;
  let playing = false;
  let last = 0;
  let raf = 0;
  let theme = readTheme();
  let selected: { node?: number; event?: number } = {};
  let hits: { box: Box; node?: number; event?: number }[] = [];
  const ctx = canvas.getContext("2d")!;
  const font = () => `12px ${theme.font}`;
  ctx.font = font();
  const lay = layout(data, (s) => ctx.measureText(s).width);
  const rate = () => (Math.max(1, data.end) / PLAY_REAL_MS) * Number(speed.value);
  const travel = () => Math.max(Math.max(1, data.end) / PLAY_REAL_MS, 1e-6) * TRAVEL_REAL_MS;

  const play = button("Play", "Play", () => toggle());
  const toggle = () => {
    playing = !playing;
    play.textContent = playing ? "Pause" : "Play";
    play.title = playing ? "Pause" : "Play";
    play.setAttribute("aria-label", play.title);
    if (playing) {
      if (time >= data.end) time = 0;
      last = performance.now();
      raf = requestAnimationFrame(tick);
    } else cancelAnimationFrame(raf);
  };
  const tick = (now: number) => {
    if (!playing) return;
    const dt = Math.min(100, now - last);
    last = now;
    setTime(Math.min(data.end, time + dt * rate()));
    if (time >= data.end) toggle();
    else raf = requestAnimationFrame(tick);
  };
  const stepNext = button("Next event", "Step to the next fault, drop or state change", () => {
    const next = model.nextNotable(time);
    if (next !== undefined) setTime(next);
  });
  const stepBack = button("Start", "Back to the start", () => setTime(0));
  const svgButton = button("SVG", "Export this frame as SVG", () => saveExport({ format: "svg", name: `${data.title} at ${Math.round(time)} ms`, data: frameSvg() }));
  const pngButton = button("PNG", "Export this frame as PNG", () => saveExport({ format: "png", name: `${data.title} at ${Math.round(time)} ms`, data: pngOf() }));
  controls.append(stepBack, play, stepNext, speed, scrub, timeLabel, filter, svgButton, pngButton);
  root.append(title, canvas, controls, status, notes, details, keyEvents());

  function keyEvents(): HTMLElement {
    const box = el("details", "sde-alt");
    box.append(el("summary", undefined, "Faults and state changes"));
    const list = el("ul");
    let shown = 0;
    for (let i = 0; i < model.size && shown < 300; i++) {
      const kind = model.kind(i);
      if (kind !== "fault" && kind !== "state" && kind !== "timeout") continue;
      shown++;
      const item = el("li");
      const t = model.t[i]!;
      const link = button(fmtMs(t), `Go to ${fmtMs(t)}`, () => setTime(t));
      item.append(link, document.createTextNode(` ${data.nodes[model.a[i]!]}: ${model.text(i)}`));
      list.append(item);
    }
    box.append(list);
    return box;
  }

  function setTime(t: number, fromBus = false): void {
    time = Math.max(0, Math.min(data.end, t));
    scrub.value = String(time);
    timeLabel.textContent = fmtMs(time);
    root.dataset.time = String(time);
    draw();
    if (data.runId && !fromBus) publish(data.runId, time, root);
  }

  const keep = (i: number): boolean => {
    const q = filter.value.trim().toLowerCase();
    if (!q) return true;
    return data.nodes[model.a[i]!]!.toLowerCase().includes(q) || data.nodes[model.b[i]!]!.toLowerCase().includes(q) || model.text(i).toLowerCase().includes(q);
  };

  function size(): { w: number; h: number; scale: number; ox: number; oy: number } {
    const avail = Math.max(320, Math.min(root.clientWidth || 720, 1400));
    const scale = Math.min(1.4, avail / lay.width);
    const w = Math.round(Math.max(lay.width * scale, 320));
    const h = Math.round(lay.height * scale + 24);
    return { w, h, scale, ox: (w - lay.width * scale) / 2, oy: 12 };
  }

  function draw(): number {
    const start = performance.now();
    const { w, h, scale, ox, oy } = size();
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
      canvas.style.width = `${w}px`;
      canvas.style.height = `${h}px`;
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = theme.bg;
    ctx.fillRect(0, 0, w, h);
    ctx.translate(ox, oy);
    ctx.scale(scale, scale);
    const states = model.statesAt(time);
    const pairs = model.partitionsAt(time);
    hits = [];
    // Links.
    for (const e of lay.edges) {
      const cut = pairs.has(e.from < e.to ? `${e.from}|${e.to}` : `${e.to}|${e.from}`);
      ctx.strokeStyle = cut ? theme.red : theme.grid;
      ctx.lineWidth = cut || theme.highContrast ? 2 : 1.5;
      ctx.setLineDash(cut ? [6, 4] : []);
      ctx.beginPath();
      const c1 = center(lay.boxes[e.from]!);
      const c2 = center(lay.boxes[e.to]!);
      ctx.moveTo(c1.x, c1.y);
      ctx.lineTo(c2.x, c2.y);
      ctx.stroke();
    }
    ctx.setLineDash([]);
    // Nodes.
    ctx.font = font();
    ctx.textBaseline = "middle";
    const q = filter.value.trim().toLowerCase();
    data.nodes.forEach((name, i) => {
      const b = lay.boxes[i]!;
      const st = states[i]!;
      const dim = q !== "" && !name.toLowerCase().includes(q);
      ctx.globalAlpha = dim ? 0.35 : 1;
      ctx.fillStyle = st.down ? mix(theme.red) : st.breaker === "OPEN" ? mix(theme.orange) : theme.bg;
      ctx.strokeStyle = st.down ? theme.red : st.breaker === "OPEN" ? theme.orange : st.breaker === "HALF_OPEN" ? theme.orange : selected.node === i ? theme.blue : theme.fg;
      ctx.lineWidth = selected.node === i || theme.highContrast ? 2.5 : 1.5;
      ctx.setLineDash(st.partitioned ? [5, 3] : []);
      roundRect(ctx, b);
      ctx.fill();
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = theme.fg;
      ctx.fillText(ellipsis(ctx, name, b.w - 12), b.x + 6, b.y + b.h / 2 - (badges(st).length ? 6 : 0));
      const tags = badges(st);
      if (tags.length) {
        ctx.font = `10px ${theme.font}`;
        ctx.fillStyle = st.down ? theme.red : theme.orange;
        ctx.fillText(ellipsis(ctx, tags.join(" · "), b.w - 12), b.x + 6, b.y + b.h / 2 + 9);
        ctx.font = font();
      }
      // Queue: a bar under the box, one pixel per open request (at most the box's width).
      if (st.open > 0) {
        ctx.fillStyle = theme.blue;
        ctx.fillRect(b.x, b.y + b.h + 2, Math.min(b.w, st.open * 3), 3);
      }
      ctx.globalAlpha = 1;
      hits.push({ box: b, node: i });
    });
    // Messages.
    const flights = model.flights(time, travel(), MAX_DOTS, q ? keep : undefined);
    for (const f of flights) drawFlight(f);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    const down = states.filter((s) => s.down).length;
    const open = states.filter((s) => s.breaker === "OPEN").length;
    const moving = flights.reduce((n, f) => n + f.count, 0);
    status.textContent = `${fmtMs(time)} of ${fmtMs(data.end)}: ${moving} message${moving === 1 ? "" : "s"} moving${down ? `, ${down} node${down === 1 ? "" : "s"} down` : ""}${open ? `, ${open} breaker${open === 1 ? "" : "s"} open` : ""}${pairs.size ? `, ${pairs.size} partition${pairs.size === 1 ? "" : "s"}` : ""}`;
    canvas.setAttribute("aria-label", `Replay ${data.title}. ${status.textContent}`);
    return performance.now() - start;

    function drawFlight(f: Flight): void {
      const p1 = center(lay.boxes[f.from]!);
      const p2 = center(lay.boxes[f.to]!);
      const p = f.kind === "drop" ? Math.min(f.progress, 0.5) : f.progress;
      const x = p1.x + (p2.x - p1.x) * p;
      const y = p1.y + (p2.y - p1.y) * p + (f.kind === "response" ? 5 : f.kind === "request" ? -5 : 0);
      const r = f.count > 1 ? Math.min(9, 3 + Math.log2(f.count) * 1.5) : 3.5;
      ctx.fillStyle = f.kind === "drop" ? theme.red : f.kind === "response" ? theme.green : theme.blue;
      ctx.beginPath();
      ctx.arc(x, y, r, 0, Math.PI * 2);
      ctx.fill();
      if (f.kind === "drop") {
        ctx.strokeStyle = theme.red;
        ctx.beginPath();
        ctx.moveTo(x - 5, y - 5);
        ctx.lineTo(x + 5, y + 5);
        ctx.moveTo(x + 5, y - 5);
        ctx.lineTo(x - 5, y + 5);
        ctx.stroke();
      }
      if (selected.event === f.index) {
        ctx.strokeStyle = theme.fg;
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.arc(x, y, r + 3, 0, Math.PI * 2);
        ctx.stroke();
      }
      hits.push({ box: { x: x - r - 2, y: y - r - 2, w: 2 * r + 4, h: 2 * r + 4 }, event: f.index });
    }
  }

  function pngOf(): string {
    return canvas.toDataURL("image/png");
  }

  function frameSvg(): string {
    const states = model.statesAt(time);
    const pairs = model.partitionsAt(time);
    const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${lay.width}" height="${lay.height + 30}" viewBox="0 -30 ${lay.width} ${lay.height + 30}" font-family="sans-serif" font-size="12">`, `<rect x="0" y="-30" width="100%" height="100%" fill="${xml(theme.bg)}"/>`, `<text x="8" y="-12" font-weight="bold" fill="${xml(theme.fg)}">${xml(`${data.title} at ${fmtMs(time)}`)}</text>`];
    for (const e of lay.edges) {
      const a = center(lay.boxes[e.from]!);
      const b = center(lay.boxes[e.to]!);
      const cut = pairs.has(e.from < e.to ? `${e.from}|${e.to}` : `${e.to}|${e.from}`);
      out.push(`<line x1="${a.x}" y1="${a.y}" x2="${b.x}" y2="${b.y}" stroke="${xml(cut ? theme.red : theme.muted)}"${cut ? ' stroke-dasharray="6 4"' : ""}/>`);
    }
    data.nodes.forEach((name, i) => {
      const b = lay.boxes[i]!;
      const st = states[i]!;
      out.push(`<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="6" fill="${xml(theme.bg)}" stroke="${xml(st.down ? theme.red : st.breaker === "OPEN" ? theme.orange : theme.fg)}"/>`);
      out.push(`<text x="${b.x + 6}" y="${b.y + 17}" fill="${xml(theme.fg)}">${xml(name)}</text>`);
      const tags = badges(st);
      if (tags.length) out.push(`<text x="${b.x + 6}" y="${b.y + 32}" font-size="10" fill="${xml(theme.orange)}">${xml(tags.join(" · "))}</text>`);
    });
    for (const f of model.flights(time, travel(), MAX_DOTS)) {
      const p1 = center(lay.boxes[f.from]!);
      const p2 = center(lay.boxes[f.to]!);
      const p = f.kind === "drop" ? Math.min(f.progress, 0.5) : f.progress;
      out.push(`<circle cx="${(p1.x + (p2.x - p1.x) * p).toFixed(1)}" cy="${(p1.y + (p2.y - p1.y) * p).toFixed(1)}" r="3.5" fill="${xml(f.kind === "drop" ? theme.red : f.kind === "response" ? theme.green : theme.blue)}"/>`);
    }
    out.push("</svg>");
    return out.join("\n");
  }

  canvas.addEventListener("click", (ev) => {
    const { scale, ox, oy } = size();
    const rect = canvas.getBoundingClientRect();
    const x = (ev.clientX - rect.left - ox) / scale;
    const y = (ev.clientY - rect.top - oy) / scale;
    // Messages sit on top of nodes: the last hit drawn wins.
    const hit = [...hits].reverse().find((h) => x >= h.box.x && x <= h.box.x + h.box.w && y >= h.box.y && y <= h.box.y + h.box.h);
    selected = hit ? (hit.event !== undefined ? { event: hit.event } : { node: hit.node! }) : {};
    showLines();
    draw();
  });

  function showLines(): void {
    if (selected.event !== undefined) {
      const i = selected.event;
      const text = model.text(i);
      const lines: string[] = [];
      // The message, and the events of the same link and text around it.
      for (let j = Math.max(0, i - 2000); j < Math.min(model.size, i + 2000) && lines.length < 40; j++) {
        if (j === i || ((model.a[j] === model.a[i] || model.b[j] === model.a[i]) && (model.text(j) === text || model.kind(j) !== "request"))) lines.push(`${j === i ? "▶" : " "} ${model.line(j)}`);
      }
      details.textContent = lines.join("\n");
    } else if (selected.node !== undefined) {
      const node = selected.node;
      const upto = model.upperBound(time);
      const lines: string[] = [];
      for (let j = upto - 1; j >= 0 && lines.length < 30; j--) if (model.a[j] === node || model.b[j] === node) lines.unshift(model.line(j));
      details.textContent = `${data.nodes[node]} — last ${lines.length} events up to ${fmtMs(time)}:\n${lines.join("\n")}`;
    } else details.textContent = "";
  }

  scrub.addEventListener("input", () => setTime(Number(scrub.value)));
  filter.addEventListener("input", () => draw());
  const stopTheme = onThemeChange(() => {
    theme = readTheme();
    draw();
  });
  const stopBus = data.runId ? subscribe(data.runId, (t, source) => source !== root && setTime(t, true)) : () => {};
  setTime(0);
  return {
    dispose() {
      playing = false;
      cancelAnimationFrame(raf);
      stopTheme();
      stopBus();
    },
    seek: (t: number) => setTime(t),
    frame: () => draw(),
  };
}

function badges(st: NodeState): string[] {
  const out: string[] = [];
  if (st.down) out.push("down");
  if (st.breaker && st.breaker !== "CLOSED") out.push(`breaker ${st.breaker}`);
  if (st.partitioned) out.push("partitioned");
  if (st.inDoubt) out.push("in doubt");
  if (st.open > 0) out.push(`${st.open} open`);
  return out;
}

function center(b: Box): { x: number; y: number } {
  return { x: b.x + b.w / 2, y: b.y + b.h / 2 };
}

function roundRect(ctx: CanvasRenderingContext2D, b: Box): void {
  ctx.beginPath();
  ctx.roundRect(b.x, b.y, b.w, b.h, 6);
}

function mix(colour: string): string {
  // A light wash of the colour behind the node's text, readable in every theme.
  return colour.startsWith("#") && colour.length === 7 ? `${colour}33` : colour;
}

function ellipsis(ctx: CanvasRenderingContext2D, s: string, width: number): string {
  if (ctx.measureText(s).width <= width) return s;
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (ctx.measureText(`${s.slice(0, mid)}…`).width <= width) lo = mid;
    else hi = mid - 1;
  }
  return `${s.slice(0, lo)}…`;
}

export type { Theme };
