/**
 * Colours from VS Code's theme variables (the output webview copies them onto its document),
 * re-read whenever the theme changes, so charts follow light, dark and high contrast live.
 */

export interface Theme {
  fg: string;
  muted: string;
  grid: string;
  bg: string;
  font: string;
  /** Series colours, in order. */
  palette: string[];
  red: string;
  orange: string;
  green: string;
  blue: string;
  highContrast: boolean;
  border: string;
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  return v || fallback;
}

/** The current theme. */
export function readTheme(): Theme {
  const style = getComputedStyle(document.body ?? document.documentElement);
  const classes = document.body?.classList;
  const highContrast = !!classes && (classes.contains("vscode-high-contrast") || classes.contains("vscode-high-contrast-light"));
  const dark = !!classes && (classes.contains("vscode-dark") || classes.contains("vscode-high-contrast"));
  const fg = cssVar(style, "--vscode-editor-foreground", dark ? "#cccccc" : "#333333");
  const red = cssVar(style, "--vscode-charts-red", "#e51400");
  const orange = cssVar(style, "--vscode-charts-orange", "#d18616");
  const green = cssVar(style, "--vscode-charts-green", "#388a34");
  const blue = cssVar(style, "--vscode-charts-blue", "#1a85ff");
  const purple = cssVar(style, "--vscode-charts-purple", "#652d90");
  const yellow = cssVar(style, "--vscode-charts-yellow", "#bf8803");
  return {
    fg,
    muted: cssVar(style, "--vscode-descriptionForeground", fg),
    grid: highContrast ? cssVar(style, "--vscode-contrastBorder", fg) : dark ? "rgba(255,255,255,0.12)" : "rgba(0,0,0,0.1)",
    bg: cssVar(style, "--vscode-notebook-outputContainerBackgroundColor", cssVar(style, "--vscode-editor-background", dark ? "#1e1e1e" : "#ffffff")),
    font: cssVar(style, "--vscode-font-family", "sans-serif"),
    palette: [blue, orange, green, red, purple, yellow],
    red,
    orange,
    green,
    blue,
    highContrast,
    border: cssVar(style, "--vscode-contrastBorder", cssVar(style, "--vscode-panel-border", dark ? "#555" : "#ccc")),
  };
}

const listeners = new Set<() => void>();
let observer: MutationObserver | undefined;

/** Calls `fn` after every theme change; returns the function that stops it. */
export function onThemeChange(fn: () => void): () => void {
  listeners.add(fn);
  if (!observer && typeof MutationObserver !== "undefined") {
    observer = new MutationObserver(() => {
      for (const l of [...listeners]) l();
    });
    // VS Code swaps the body's vscode-light/-dark/-high-contrast class and the style's variables.
    observer.observe(document.body, { attributes: true, attributeFilter: ["class", "style"] });
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ["class", "style"] });
  }
  return () => void listeners.delete(fn);
}
