// Console lines reach the runner as the raw arguments of a console call (VS Code's automation
// log, the page console): a printf-style format string and its values, e.g. mocha's
// ["✔ %s (%dms)", title, 12] or VS Code's ["%c INFO", "color: #33f", message]. This applies
// the substitutions the way a browser console does, so the log reads as text.

/**
 * Formats console arguments like `console.log` does: %s %d %i %f %o %O %j are replaced by
 * the next values, %c (CSS) consumes its value and prints nothing, %% is a percent sign;
 * values left over are appended with spaces.
 * @param {unknown[]} args
 * @returns {string}
 */
export function formatConsoleArgs(args) {
  if (args.length === 0) return "";
  const [first, ...rest] = args;
  if (typeof first !== "string") return args.map(show).join(" ");
  let next = 0;
  const text = first.replace(/%[sdifoOjc%]/g, (token) => {
    if (token === "%%") return "%";
    if (next >= rest.length) return token;
    const value = rest[next++];
    switch (token) {
      case "%c":
        return "";
      case "%d":
      case "%i":
        return String(typeof value === "number" ? Math.trunc(value) : Number.parseInt(String(value), 10));
      case "%f":
        return String(Number(value));
      default:
        return show(value);
    }
  });
  const left = rest.slice(next);
  // A logger that prefixes its own format (VS Code's "%c INFO" + color) passes the caller's
  // format string on as a value: format that one too.
  if (typeof left[0] === "string" && /%[sdifoOjc]/.test(left[0])) return `${text} ${formatConsoleArgs(left)}`.trim();
  return [text, ...left.map(show)].join(" ").trim();
}

function show(value) {
  if (typeof value === "string") return value;
  if (value === undefined) return "undefined";
  try {
    return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
  } catch {
    return String(value);
  }
}
