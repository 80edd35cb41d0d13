/**
 * Everything a cell prints passes through here on its way to the host: stream text is
 * gathered into batches (one message per ~30 ms or 64 KB instead of one per line), and each
 * execution's output is capped. Past the cap the head already sent stays, the last part is
 * kept in memory, and when the cell ends one line says what was left out, then the tail.
 */
import type { MimeBundle } from "../../lab/display";
import type { FromKernel } from "../protocol";

/** Settings of an {@link OutputGate}. */
export interface OutputGateOptions {
  /** Bytes of output one execution may send (head + tail). */
  limitBytes: number;
  /** Setting or flag that sets the limit, named in the note. */
  limitName: string;
  /** Longest time text waits in a batch (ms); 0 sends every write at once. */
  batchMs: number;
  /** A batch is sent as soon as it holds this many bytes. */
  batchBytes: number;
  /** Sends one message to the host. */
  send(message: FromKernel): void;
  /** A timer that the cell's own timer tracking does not see. */
  schedule(callback: () => void, ms: number): void;
}

type Stream = "stdout" | "stderr";

interface Chunk {
  id: number;
  name: Stream;
  text: string;
}

interface Budget {
  sent: number;
  cut: boolean;
  tail: { name: Stream; text: string }[];
  tailBytes: number;
  droppedBytes: number;
  droppedLines: number;
  droppedDisplays: number;
}

/** Budgets of executions that ended long ago are dropped after this many. */
const MAX_BUDGETS = 64;

/** Batches and caps a kernel's output. */
export class OutputGate {
  private pending: Chunk[] = [];
  private pendingBytes = 0;
  private scheduled = false;
  private readonly budgets = new Map<number, Budget>();
  private readonly headBytes: number;
  private readonly tailLimit: number;

  constructor(private readonly options: OutputGateOptions) {
    // A quarter of the cap for the tail: the end of a long output usually says how it ended.
    this.tailLimit = Math.floor(options.limitBytes / 4);
    this.headBytes = options.limitBytes - this.tailLimit;
  }

  /** Text written to a stream by execution `id`. */
  stream(id: number, name: Stream, text: string): void {
    if (text.length === 0) return;
    const budget = this.budget(id);
    if (budget.cut) {
      this.keepTail(budget, name, text);
      return;
    }
    const bytes = Buffer.byteLength(text);
    if (budget.sent + bytes > this.headBytes) {
      // Send what still fits, up to its last whole line, and keep the rest as the tail.
      const room = this.headBytes - budget.sent;
      let head = sliceBytes(text, room);
      const nl = head.lastIndexOf("\n");
      head = nl >= 0 ? head.slice(0, nl + 1) : "";
      if (head) this.enqueue(id, name, head);
      budget.sent += Buffer.byteLength(head);
      budget.cut = true;
      this.keepTail(budget, name, text.slice(head.length));
      return;
    }
    budget.sent += bytes;
    this.enqueue(id, name, text);
  }

  /** A rich output of execution `id`. */
  display(id: number, bundle: MimeBundle): void {
    const budget = this.budget(id);
    let bytes = 0;
    for (const mime in bundle) bytes += bundle[mime]!.length;
    if (budget.cut || budget.sent + bytes > this.headBytes) {
      budget.cut = true;
      budget.droppedDisplays++;
      return;
    }
    budget.sent += bytes;
    this.flush();
    this.options.send({ type: "display", id, bundle });
  }

  /** Sends everything gathered so far. */
  flush(): void {
    if (this.pending.length === 0) return;
    const chunks = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    for (const c of chunks) this.options.send({ type: "stream", id: c.id, name: c.name, text: c.text });
  }

  /**
   * Execution `id` has ended: everything is sent, and a cut output gets its note and tail.
   * Output its timers print later starts a fresh budget for the late output.
   */
  finish(id: number): void {
    const budget = this.budgets.get(id);
    this.budgets.delete(id);
    if (budget?.cut) {
      this.trimTail(budget);
      // The tail starts on a whole line.
      const first = budget.tail[0];
      if (first) {
        const nl = first.text.indexOf("\n");
        const partial = nl >= 0 ? first.text.slice(0, nl + 1) : first.text;
        if (partial.length < first.text.length || budget.tail.length > 1) {
          budget.droppedBytes += Buffer.byteLength(partial);
          budget.droppedLines += 1;
          first.text = first.text.slice(partial.length);
        }
      }
      this.enqueue(id, "stderr", this.note(budget));
      for (const t of budget.tail) if (t.text) this.enqueue(id, t.name, t.text);
    }
    this.flush();
  }

  private note(b: Budget): string {
    const parts = [`${b.droppedLines.toLocaleString("en-US")} lines (${formatBytes(b.droppedBytes)})`];
    if (b.droppedDisplays > 0) parts.push(`${b.droppedDisplays} displayed output${b.droppedDisplays === 1 ? "" : "s"}`);
    const limitKb = Math.round(this.options.limitBytes / 1024);
    return `\n… ${parts.join(" and ")} left out: a cell's output is capped at ${limitKb} KB (${this.options.limitName}) …\n`;
  }

  private budget(id: number): Budget {
    let b = this.budgets.get(id);
    if (!b) {
      if (this.budgets.size >= MAX_BUDGETS) this.budgets.delete(this.budgets.keys().next().value!);
      b = { sent: 0, cut: false, tail: [], tailBytes: 0, droppedBytes: 0, droppedLines: 0, droppedDisplays: 0 };
      this.budgets.set(id, b);
    }
    return b;
  }

  private keepTail(b: Budget, name: Stream, text: string): void {
    if (!text) return;
    const last = b.tail.at(-1);
    if (last && last.name === name) last.text += text;
    else b.tail.push({ name, text });
    b.tailBytes += text.length;
    // Trim from the front once the tail is well over its size, so trimming stays rare.
    if (b.tailBytes > this.tailLimit * 2) this.trimTail(b);
  }

  private trimTail(b: Budget): void {
    let excess = b.tailBytes - this.tailLimit;
    while (excess > 0 && b.tail.length > 0) {
      const first = b.tail[0]!;
      const cut = first.text.length <= excess ? first.text : first.text.slice(0, excess);
      b.droppedBytes += Buffer.byteLength(cut);
      b.droppedLines += countLines(cut);
      if (cut.length === first.text.length) b.tail.shift();
      else first.text = first.text.slice(cut.length);
      excess -= cut.length;
      b.tailBytes -= cut.length;
    }
  }

  private enqueue(id: number, name: Stream, text: string): void {
    const last = this.pending.at(-1);
    if (last && last.id === id && last.name === name) last.text += text;
    else this.pending.push({ id, name, text });
    this.pendingBytes += text.length;
    if (this.options.batchMs === 0 || this.pendingBytes >= this.options.batchBytes) {
      this.flush();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      this.options.schedule(() => {
        this.scheduled = false;
        this.flush();
      }, this.options.batchMs);
    }
  }
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/** The longest prefix of `text` whose UTF-8 form fits in `bytes`. */
function sliceBytes(text: string, bytes: number): string {
  if (bytes <= 0) return "";
  if (Buffer.byteLength(text) <= bytes) return text;
  const buf = Buffer.from(text).subarray(0, bytes);
  // Drop a character cut in half (U+FFFD at the end).
  return buf.toString("utf8").replace(/\uFFFD$/, "");
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
