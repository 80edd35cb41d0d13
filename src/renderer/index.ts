/**
 * SDE Lab's notebook renderer: charts (`application/vnd.sde-lab.chart+json`) and replays
 * (`application/vnd.sde-lab.replay+json`). Data only: every name is drawn as canvas text or
 * put in text nodes, nothing is fetched, no markup is parsed.
 */
// First: uPlot reads navigator.language as it loads.
import "./locale-guard";
import uplotCss from "uplot/dist/uPlot.min.css";
import type { ChartData } from "../lab/viz/chart";
import type { ReplayData } from "../lab/viz/replay";
import { renderChart } from "./chart-view";
import { el } from "./dom";
import { setExportChannel, type ExportMessage } from "./export";
import { renderReplay } from "./replay-view";
import styles from "./styles.css";

/** The parts of VS Code's renderer API used here (vscode-notebook-renderer). */
interface OutputItem {
  readonly id: string;
  readonly mime: string;
  json(): unknown;
}
interface RendererContext {
  readonly postMessage?: (message: unknown) => void;
}

const CHART_MIME = "application/vnd.sde-lab.chart+json";
const REPLAY_MIME = "application/vnd.sde-lab.replay+json";

const views = new Map<string, { dispose(): void }>();

function addStyles(): void {
  if (document.getElementById("sde-lab-renderer-styles")) return;
  const style = document.createElement("style");
  style.id = "sde-lab-renderer-styles";
  style.textContent = `${uplotCss}\n${styles}`;
  document.head.append(style);
}

function valid(data: unknown, kind: "chart" | "replay"): boolean {
  if (typeof data !== "object" || data === null || (data as { v?: unknown }).v !== 1) return false;
  if (kind === "chart") return Array.isArray((data as ChartData).series) && Array.isArray((data as ChartData).annotations);
  const r = data as ReplayData;
  return Array.isArray(r.nodes) && Array.isArray(r.dt) && Array.isArray(r.k) && r.k.length === r.dt.length;
}

export function activate(context: RendererContext) {
  if (context.postMessage) {
    const post = context.postMessage.bind(context);
    setExportChannel((m: ExportMessage) => post(m));
  }
  return {
    renderOutputItem(item: OutputItem, element: HTMLElement): void {
      addStyles();
      views.get(item.id)?.dispose();
      views.delete(item.id);
      element.replaceChildren();
      const root = el("div");
      element.append(root);
      const kind = item.mime === REPLAY_MIME ? "replay" : item.mime === CHART_MIME ? "chart" : undefined;
      let data: unknown;
      try {
        data = item.json();
      } catch {
        data = undefined;
      }
      if (!kind || !valid(data, kind)) {
        root.append(el("div", "sde-note", `SDE Lab cannot draw this output (${item.mime}): it is not chart or replay data of a known version.`));
        return;
      }
      try {
        views.set(item.id, kind === "chart" ? renderChart(root, data as ChartData) : renderReplay(root, data as ReplayData));
      } catch (error) {
        root.append(el("div", "sde-note", `SDE Lab could not draw this ${kind}: ${String(error)}`));
      }
    },
    disposeOutputItem(id?: string): void {
      if (id === undefined) {
        for (const v of views.values()) v.dispose();
        views.clear();
        return;
      }
      views.get(id)?.dispose();
      views.delete(id);
    },
  };
}
