/**
 * The Preview Architecture Diagram panel (host side): one webview panel, reused, showing a
 * `.mmd` diagram drawn by the bundled Mermaid beside the pattern's explanation. It follows
 * the file live (saved changes on disk and unsaved edits in an editor) and saves SVG or PNG
 * exports through a save dialog.
 */
import * as vscode from "vscode";
import { uriExists } from "../uri-exists";
import { randomBytes } from "node:crypto";
import { basename } from "node:path";
import { CATALOG, type PatternEntry } from "../catalog/index";
import { renderExplanation } from "./explanation";
import { makeNonce, previewHtml } from "./html";
import type { ExportFormat, HostMessage, PreviewTheme, ShowMessage, WebviewMessage } from "./messages";

/** `viewType` of the panel (also the `activeWebviewPanelId` context value). */
export const PREVIEW_VIEW_TYPE = "sdeLab.diagramPreview";

/** What the preview last drew; read by the tests through an internal command. */
export interface PreviewState {
  readonly name: string;
  readonly ok: boolean;
  readonly theme: PreviewTheme;
  readonly svg?: string;
  readonly error?: string;
  /** Increases with every draw. */
  readonly renders: number;
  /** Times the host re-read the file and sent it (for diagnosing live updates). */
  readonly reloads?: number;
  /** The start of the source last sent to the page. */
  readonly sent?: string;
}

/** The diagram shown: a file, and the catalog entry it belongs to if any. */
interface Shown {
  readonly uri: vscode.Uri;
  readonly entry: PatternEntry | undefined;
}

/** The catalog entry whose diagram file is named like `uri` (`<id>.mmd`). */
export function entryForDiagram(uri: vscode.Uri): PatternEntry | undefined {
  const id = basename(uri.path).replace(/\.mmd$/i, "");
  return CATALOG.find((p) => p.id === id);
}

export class DiagramPreview implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private shown: Shown | undefined;
  private watch: vscode.Disposable[] = [];
  private state: PreviewState | undefined;
  private renders = 0;
  private reloads = 0;
  private sent = "";
  private nextRequest = 1;
  private readonly pending = new Map<number, (m: Extract<WebviewMessage, { type: "exported" }>) => void>();
  private readonly renderedEmitter = new vscode.EventEmitter<PreviewState>();
  private readonly disposables: vscode.Disposable[] = [this.renderedEmitter];
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;
  /** `mtime:size` of the shown file when it was last read. */
  private drawnStat: string | undefined;

  /** Fires after every draw (or failed parse) in the webview. */
  readonly onDidRender = this.renderedEmitter.event;

  constructor(private readonly extensionUri: vscode.Uri) {
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (this.shown && e.document.uri.toString() === this.shown.uri.toString()) this.scheduleReload();
      }),
    );
  }

  /** The last draw, if the panel has drawn anything. */
  get lastState(): PreviewState | undefined {
    return this.state && { ...this.state, reloads: this.reloads, sent: this.sent };
  }

  /** Shows a catalog pattern's diagram (the workspace's copy if it has one, else the shipped one). */
  async showPattern(entry: PatternEntry): Promise<void> {
    await this.show({ uri: await this.diagramUri(entry), entry });
  }

  /** Shows a `.mmd` file; the explanation comes from the catalog entry of the same name. */
  async showFile(uri: vscode.Uri): Promise<void> {
    await this.show({ uri, entry: entryForDiagram(uri) });
  }

  /**
   * Gets the drawn diagram from the webview and saves it: to `target`, or where the user
   * picks in a save dialog. Returns the file written, or undefined if the user cancelled.
   */
  async export(format: ExportFormat, target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    if (!this.panel || !this.shown) throw new Error("Open a diagram with SDE Lab: Preview Architecture Diagram first, then export it.");
    const requestId = this.nextRequest++;
    const answer = new Promise<Extract<WebviewMessage, { type: "exported" }>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new Error("The diagram preview did not answer the export request within 10 s; is it still open?"));
      }, 10_000);
      this.pending.set(requestId, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
    await this.post({ type: "export", format, requestId });
    const result = await answer;
    if (!result.data) throw new Error(`The diagram could not be exported as ${format.toUpperCase()}: ${result.error ?? "no data"}.`);
    return this.save(format, result.data, basename(this.shown.uri.path), target);
  }

  dispose(): void {
    this.stopWatching();
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }

  private async diagramUri(entry: PatternEntry): Promise<vscode.Uri> {
    // Authors working in the repository see their edits live; everyone else gets the shipped file.
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const candidate = vscode.Uri.joinPath(folder.uri, entry.diagram);
      if (await uriExists(candidate)) return candidate;
    }
    return vscode.Uri.joinPath(this.extensionUri, entry.diagram);
  }

  private async show(shown: Shown): Promise<void> {
    const sameFile = this.shown?.uri.toString() === shown.uri.toString();
    this.shown = shown;
    const panel = this.ensurePanel();
    panel.title = `Diagram: ${shown.entry?.title ?? basename(shown.uri.path)}`;
    panel.reveal(undefined, true);
    if (!sameFile) this.startWatching(shown.uri);
    await this.reload();
  }

  private ensurePanel(): vscode.WebviewPanel {
    if (this.panel) return this.panel;
    const roots = [vscode.Uri.joinPath(this.extensionUri, "dist", "preview"), vscode.Uri.joinPath(this.extensionUri, "media", "preview")];
    const panel = vscode.window.createWebviewPanel(PREVIEW_VIEW_TYPE, "Diagram", { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      localResourceRoots: roots,
    });
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, "media", "preview", "icon.svg");
    const webview = panel.webview;
    webview.html = previewHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, "dist", "preview", "webview.js")).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, "media", "preview", "preview.css")).toString(),
      nonce: makeNonce((n) => randomBytes(n)),
    });
    const listeners = [webview.onDidReceiveMessage((m: WebviewMessage) => void this.onMessage(m))];
    panel.onDidDispose(() => {
      for (const l of listeners) l.dispose();
      this.stopWatching();
      this.panel = undefined;
      this.shown = undefined;
    });
    this.panel = panel;
    return panel;
  }

  private async onMessage(message: WebviewMessage): Promise<void> {
    switch (message.type) {
      case "ready":
        // A fresh page (first open, or re-created after being hidden) asks for its content.
        await this.reload();
        return;
      case "rendered":
        this.state = message.ok
          ? { name: message.name, ok: true, theme: message.theme, svg: message.svg, renders: ++this.renders }
          : { name: message.name, ok: false, theme: message.theme, error: message.error, renders: ++this.renders };
        this.renderedEmitter.fire(this.state);
        return;
      case "exported":
        this.pending.get(message.requestId)?.(message);
        this.pending.delete(message.requestId);
        return;
      case "save":
        try {
          await this.save(message.format, message.data, message.name);
        } catch (error) {
          void vscode.window.showErrorMessage(`SDE Lab: ${(error as Error).message}`);
        }
        return;
    }
  }

  private async save(format: ExportFormat, data: string, name: string, target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const fileName = `${name.replace(/\.mmd$/i, "")}.${format}`;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const uri =
      target ??
      (await vscode.window.showSaveDialog({
        title: `Export the diagram as ${format.toUpperCase()}`,
        saveLabel: "Export",
        defaultUri: folder ? vscode.Uri.joinPath(folder, fileName) : undefined,
        filters: format === "svg" ? { "SVG image": ["svg"] } : { "PNG image": ["png"] },
      }));
    if (!uri) return undefined;
    const bytes = format === "svg" ? new TextEncoder().encode(data) : Buffer.from(data.replace(/^data:image\/png;base64,/, ""), "base64");
    await vscode.workspace.fs.writeFile(uri, bytes);
    return uri;
  }

  private startWatching(uri: vscode.Uri): void {
    this.stopWatching();
    const dir = vscode.Uri.joinPath(uri, "..");
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(dir, basename(uri.path)));
    // File watchers miss some changes (files outside the workspace, remote hosts, writes made
    // by this extension host), so the file's modification time is also checked every second
    // against the version last drawn.
    const poll = setInterval(() => {
      if (!this.panel?.visible || this.drawnStat === undefined) return;
      vscode.workspace.fs.stat(uri).then(
        (stat) => {
          if (`${stat.mtime}:${stat.size}` !== this.drawnStat) this.scheduleReload();
        },
        () => undefined,
      );
    }, 1_000);
    this.watch = [watcher, watcher.onDidChange(() => this.scheduleReload()), watcher.onDidCreate(() => this.scheduleReload()), new vscode.Disposable(() => clearInterval(poll))];
  }

  private stopWatching(): void {
    this.drawnStat = undefined;
    for (const d of this.watch) d.dispose();
    this.watch = [];
  }

  private scheduleReload(): void {
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => void this.reload(), 150);
  }

  private async reload(): Promise<void> {
    const shown = this.shown;
    if (!shown || !this.panel) return;
    const name = basename(shown.uri.path);
    let source: string;
    try {
      const stat = await vscode.workspace.fs.stat(shown.uri);
      this.drawnStat = `${stat.mtime}:${stat.size}`;
      source = await readText(shown.uri);
    } catch (error) {
      source = `%% ${String(error)}`;
      void vscode.window.showErrorMessage(`SDE Lab could not read the diagram ${name}: ${(error as Error).message}`);
    }
    const explanation = shown.entry
      ? `${shown.entry.summary}\n\n${shown.entry.explanation}`
      : `This diagram has no entry in the SDE Lab catalog (no pattern with the id \`${name.replace(/\.mmd$/i, "")}\`), so there is no explanation to show.`;
    const message: ShowMessage = { type: "show", title: shown.entry?.title ?? name, name, source, explanationHtml: renderExplanation(explanation) };
    this.reloads++;
    this.sent = source.slice(0, 120);
    await this.post(message);
  }

  private async post(message: HostMessage): Promise<void> {
    await this.panel?.webview.postMessage(message);
  }
}


/** The text of a file: the editor's unsaved text if it is open, else the file on disk. */
async function readText(uri: vscode.Uri): Promise<string> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open) return open.getText();
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}
