/**
 * uPlot builds an Intl.DateTimeFormat from navigator.language when it loads. Some systems
 * report a POSIX locale ("en-US@posix") that Intl rejects, and the renderer would fail to
 * load for every output. Imported first, this swaps such a tag for one Intl accepts.
 */
try {
  new Intl.DateTimeFormat(navigator.language);
} catch {
  const fallback = (navigator.language || "").split(/[@.]/)[0] || "en-US";
  let tag = "en-US";
  try {
    new Intl.DateTimeFormat(fallback);
    tag = fallback;
  } catch {
    // keep en-US
  }
  Object.defineProperty(navigator, "language", { value: tag, configurable: true });
}

export {};
