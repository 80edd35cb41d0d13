/**
 * Messages between the diagram preview's host side (src/preview/panel.ts) and its webview
 * (src/preview/webview/main.ts). Plain data only: both sides import this file's types.
 */

/** Host → webview: show a diagram with its explanation. */
export interface ShowMessage {
  readonly type: "show";
  /** Title above the explanation, e.g. "Circuit breaker". */
  readonly title: string;
  /** File name shown under the diagram and used for export names. */
  readonly name: string;
  /** Mermaid source. */
  readonly source: string;
  /** The explanation, already rendered by markdown-it with `html: false` (escaped text). */
  readonly explanationHtml: string;
}

/** Host → webview: send the current diagram as SVG text or PNG data for a save. */
export interface ExportRequest {
  readonly type: "export";
  readonly format: ExportFormat;
  readonly requestId: number;
}

export type HostMessage = ShowMessage | ExportRequest;

export type ExportFormat = "svg" | "png";

/** The webview's theme family, from VS Code's body classes. */
export type PreviewTheme = "light" | "dark" | "high-contrast" | "high-contrast-light";

/** Webview → host. */
export type WebviewMessage =
  | { readonly type: "ready" }
  /** A diagram was drawn (`ok`) or Mermaid rejected it (`error` with its message and line). */
  | { readonly type: "rendered"; readonly ok: true; readonly theme: PreviewTheme; readonly svg: string; readonly name: string }
  | { readonly type: "rendered"; readonly ok: false; readonly theme: PreviewTheme; readonly error: string; readonly name: string }
  /** The user pressed an export button: the data to save (SVG text or a PNG data URL). */
  | { readonly type: "save"; readonly format: ExportFormat; readonly data: string; readonly name: string }
  /** Answer to an {@link ExportRequest}. */
  | { readonly type: "exported"; readonly requestId: number; readonly format: ExportFormat; readonly data?: string; readonly error?: string };
