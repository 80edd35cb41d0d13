/** DOM helpers that only ever create text nodes from data: no markup is parsed, ever. */

/** An element with a class and text (set through textContent, so `<img onerror>` stays text). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A button with a text label and an accessible name. */
export function button(label: string, title: string, onClick: () => void): HTMLButtonElement {
  const b = el("button", "sde-btn", label);
  b.type = "button";
  b.title = title;
  b.setAttribute("aria-label", title);
  b.addEventListener("click", onClick);
  return b;
}

/** Formats virtual milliseconds for labels. */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return "";
  if (Math.abs(ms) >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms * 10) / 10} ms`;
}
