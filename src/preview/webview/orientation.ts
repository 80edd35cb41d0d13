/** Which way round a Mermaid diagram is laid out; pure, unit-tested. */

/**
 * The same diagram laid out the other way round (left-to-right vs top-to-bottom), when its
 * kind has a direction: flowcharts by their header, state diagrams by a top-level
 * `direction` line. Sequence diagrams have one layout.
 */
export function otherOrientation(source: string): string | undefined {
  const flow = /^(\s*(?:flowchart|graph)\s+)(LR|RL|TB|TD|BT)\b/m;
  const m = flow.exec(source);
  if (m && source.trimStart().startsWith(m[1]!.trim())) return source.replace(flow, `$1${m[2] === "LR" || m[2] === "RL" ? "TB" : "LR"}`);
  if (/^\s*stateDiagram(-v2)?\b/.test(source)) {
    const direction = /^( {1,2}|\t)direction\s+(LR|RL|TB|BT)\s*$/m;
    const d = direction.exec(source);
    if (d) return source.replace(direction, `$1direction ${d[2] === "LR" || d[2] === "RL" ? "TB" : "LR"}`);
    return source.replace(/^(\s*stateDiagram(?:-v2)?\s*\n)/, "$1  direction LR\n");
  }
  return undefined;
}

