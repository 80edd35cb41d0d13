/**
 * The scheduler's queue: a calendar queue of scheduled events ordered by time, then by
 * scheduling order (FIFO), plus a plain FIFO for events due at the current time.
 *
 * Calendar queue (R. Brown, "Calendar queues", CACM 1988): virtual time is cut into "days" of
 * `width` ms; day `d` holds every event with `floor(time / width) === d`, and lives in bucket
 * `d mod buckets` (a "year" is `buckets` days). Each bucket is a linked list sorted by
 * (time, seq). The next event is the head of the current day's bucket if it belongs to that
 * day; otherwise the next day's bucket is tried. With the width near a few times the mean gap
 * between upcoming events, a push and a pop touch one or two short buckets: O(1), where a
 * binary heap of a thousand pending timers pays ten levels of unpredictable comparisons. The
 * order is exact for any non-negative double: `floor(time / width)` never decreases as time
 * grows (IEEE division is monotone), so days order events the way their times do, and events
 * of one day are compared by their exact (time, seq) key. The width follows the events: the
 * queue re-estimates it from the gaps between its earliest events when its size doubles or
 * halves, and when pushes walk long buckets or pops scan many empty days (a changed density),
 * at most once per `size` operations, so the re-sort costs O(1) per event amortised. A year
 * with no due event (a few far-future timeouts) ends in one pass over the bucket heads.
 *
 * Most wake-ups are due "now" (a resolved call, `sim.wake`, `sleep(0)`). Such an event is
 * scheduled after every event already queued for the same time (sequence numbers only
 * grow), so a FIFO beside the calendar keeps the exact (time, seq) order at less cost still.
 *
 * Cancelled events (a call's timeout timer once the answer came) leave the calendar at once:
 * buckets are doubly linked, so the unlink is O(1), and the record becomes garbage while it is
 * young instead of surviving in the calendar until its time (copied by every young-generation
 * collection, then promoted: most of a gateway run's garbage-collection time before). Their
 * (time, seq) keys are kept in a sorted "ghost" list so that {@link EventQueue.size} still
 * counts them until the clock passes them, exactly as if they had stayed queued. A million
 * calls with 30 s timeouts thus hold 16 bytes each, not the whole finished call.
 */

/** Set on events whose callback resolves promises: their continuations run before the next event. */
export const WAKES = 1;
/** Set on events whose callback takes the event's `arg` (saves a closure per wake-up). */
export const HAS_ARG = 2;
/** Set once the event was cancelled. */
export const CANCELLED = 4;
/** Set while the event sits in the calendar (a cancel then unlinks it). */
const IN_HEAP = 8;
/** Set on events nobody holds a handle to: the queue reuses their record once fired. */
export const POOLED = 16;

const noop = (): void => {};

/** One scheduled callback; it is also the {@link Timer}-like handle that cancels it. */
export class SimEvent {
  /** @internal Calendar day, `floor(time / width)` for the queue's current width. */
  day = 0;
  /** @internal Next event in the same calendar bucket. */
  next: SimEvent | undefined = undefined;
  /** @internal Previous event in the same calendar bucket (so a cancel unlinks in O(1)). */
  prev: SimEvent | undefined = undefined;

  constructor(
    public time: number,
    public seq: number,
    public fn: (arg?: unknown) => void,
    public arg: unknown,
    /** {@link WAKES}, {@link HAS_ARG}, {@link CANCELLED}, {@link POOLED}. */
    public flags: number,
    private readonly queue: EventQueue,
  ) {}

  /** Stops the callback from firing (no effect if it already fired). */
  cancel(): void {
    const flags = this.flags;
    if (flags & CANCELLED) return;
    this.flags = flags | CANCELLED;
    // Let go of the callback and what it closes over (a whole call, its request, its answer).
    this.fn = noop;
    this.arg = undefined;
    if (flags & IN_HEAP) this.queue.unlink(this);
  }
}

/** Most fired records kept for reuse. */
const POOL_MAX = 4096;
/** Fewest buckets; the calendar doubles them when it holds twice as many events, halves them at half. */
const MIN_BUCKETS = 16;
/** Earliest events whose gaps set the day width. */
const SAMPLE = 32;
/**
 * Steps (bucket entries walked by pushes, empty days scanned by pops) per operation above which
 * the width is re-estimated; checked every `max(CHECK_MIN, size)` pushes.
 */
const STEPS_PER_OP = 6;
const CHECK_MIN = 1024;

/** (time, seq) order. */
const before = (a: SimEvent, b: SimEvent): boolean => a.time < b.time || (a.time === b.time && a.seq < b.seq);

export class EventQueue {
  /** Per bucket: its first and last event (lists sorted by (time, seq)). */
  private heads: (SimEvent | undefined)[] = new Array<SimEvent | undefined>(MIN_BUCKETS).fill(undefined);
  private tails: (SimEvent | undefined)[] = new Array<SimEvent | undefined>(MIN_BUCKETS).fill(undefined);
  private mask = MIN_BUCKETS - 1;
  /** Length of a day in ms. */
  private width = 1;
  /** Events in the calendar, cancelled ones included. */
  private count = 0;
  /** No event in the calendar has an earlier day; `index` is its bucket. */
  private day = 0;
  private index = 0;
  /** The calendar's first event once found, until it is popped or an earlier one comes. */
  private top: SimEvent | undefined = undefined;
  /** Bucket steps since the last check, and pushes left until the next. */
  private steps = 0;
  private untilCheck = CHECK_MIN;
  /** Events due at `nowTime`, in scheduling order; `head` is the next one. */
  private nowList: SimEvent[] = [];
  private head = 0;
  private nowTime = -1;
  /**
   * Keys of cancelled events unlinked from the calendar and not passed yet: a min-heap of
   * (time, seq) pairs in one typed array (16 bytes each, nothing for the garbage collector).
   */
  private ghosts = new Float64Array(0);
  private ghostCount = 0;
  /** Fired records nobody holds, for reuse. */
  private readonly pool: SimEvent[] = [];

  get size(): number {
    return this.count + this.nowList.length - this.head + this.ghostCount;
  }

  /** Time of the next event (cancelled ones included), or Infinity when there is none. */
  nextTime(): number {
    const top = this.count > 0 ? this.first() : undefined;
    const calendarTime = top !== undefined ? top.time : Infinity;
    return this.head < this.nowList.length && this.nowTime < calendarTime ? this.nowTime : calendarTime;
  }

  /** A new event record, reused from the pool when one is free. */
  make(time: number, seq: number, fn: (arg?: unknown) => void, arg: unknown, flags: number): SimEvent {
    const event = this.pool.pop();
    if (event === undefined) return new SimEvent(time, seq, fn, arg, flags, this);
    event.time = time;
    event.seq = seq;
    event.fn = fn;
    event.arg = arg;
    event.flags = flags;
    return event;
  }

  /** Gives a fired {@link POOLED} record back (its callback already read). */
  release(event: SimEvent): void {
    event.fn = noop;
    event.arg = undefined;
    if (this.pool.length < POOL_MAX) this.pool.push(event);
  }

  /** Adds an event; `now` is the clock, so events due now skip the calendar. */
  push(event: SimEvent, now: number): void {
    if (event.time === now) {
      if (this.head === this.nowList.length) {
        // Empty: start over at the current time.
        this.nowList.length = 0;
        this.head = 0;
        this.nowTime = now;
      }
      if (this.nowTime === now) {
        this.nowList.push(event);
        return;
      }
    }
    this.calendarPush(event);
  }

  /** The next event (cancelled ones included), without removing it. */
  peek(): SimEvent | undefined {
    if (this.head < this.nowList.length && this.nowFirst()) return this.nowList[this.head];
    return this.count > 0 ? this.first() : undefined;
  }

  /** Removes and returns the next event (cancelled ones included). */
  pop(): SimEvent | undefined {
    if (this.head < this.nowList.length && this.nowFirst()) {
      const first = this.nowList[this.head]!;
      this.nowList[this.head++] = undefined as unknown as SimEvent;
      if (this.head === this.nowList.length) {
        this.nowList.length = 0;
        this.head = 0;
      }
      if (this.ghostCount > 0) this.passGhosts(first.time, first.seq);
      return first;
    }
    if (this.count === 0) {
      this.passGhosts(Infinity, 0);
      return undefined;
    }
    return this.calendarPop(this.first());
  }

  /** Removes and returns the next event if it is due by `horizon`; undefined if none is. */
  popUntil(horizon: number): SimEvent | undefined {
    const head = this.head;
    const nowList = this.nowList;
    if (head < nowList.length && this.nowFirst()) {
      if (this.nowTime > horizon) return this.passHorizon(horizon);
      const first = nowList[head]!;
      nowList[head] = undefined as unknown as SimEvent;
      if (head + 1 === nowList.length) {
        nowList.length = 0;
        this.head = 0;
      } else this.head = head + 1;
      if (this.ghostCount > 0) this.passGhosts(first.time, first.seq);
      return first;
    }
    if (this.count === 0) return this.passHorizon(horizon);
    const top = this.top ?? this.first();
    if (top.time > horizon) return this.passHorizon(horizon);
    return this.calendarPop(top);
  }

  /** No event is due by `horizon`: the dropped cancelled events due by then count as passed. */
  passHorizon(horizon: number): undefined {
    if (this.ghostCount > 0) this.passGhosts(horizon, Infinity);
    return undefined;
  }

  /** Forgets the ghosts whose key comes before (time, seq): the queue would have popped them by now. */
  private passGhosts(time: number, seq: number): void {
    const g = this.ghosts;
    while (this.ghostCount > 0 && (g[0]! < time || (g[0] === time && g[1]! < seq))) {
      // Pop the smallest key: move the last pair into the root and sift it down.
      const n = --this.ghostCount;
      const t = g[2 * n]!;
      const q = g[2 * n + 1]!;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        let c = l;
        const r = l + 1;
        if (r < n && (g[2 * r]! < g[2 * l]! || (g[2 * r] === g[2 * l] && g[2 * r + 1]! < g[2 * l + 1]!))) c = r;
        if (g[2 * c]! > t || (g[2 * c] === t && g[2 * c + 1]! > q)) break;
        g[2 * i] = g[2 * c]!;
        g[2 * i + 1] = g[2 * c + 1]!;
        i = c;
      }
      g[2 * i] = t;
      g[2 * i + 1] = q;
    }
  }

  /** Keeps the key of a cancelled event dropped from the calendar. */
  private addGhost(time: number, seq: number): void {
    let g = this.ghosts;
    let i = this.ghostCount++;
    if (2 * i === g.length) {
      const grown = new Float64Array(Math.max(64, g.length * 2));
      grown.set(g);
      this.ghosts = g = grown;
    }
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (g[2 * p]! < time || (g[2 * p] === time && g[2 * p + 1]! < seq)) break;
      g[2 * i] = g[2 * p]!;
      g[2 * i + 1] = g[2 * p + 1]!;
      i = p;
    }
    g[2 * i] = time;
    g[2 * i + 1] = seq;
  }

  clear(): void {
    this.heads = new Array<SimEvent | undefined>(MIN_BUCKETS).fill(undefined);
    this.tails = new Array<SimEvent | undefined>(MIN_BUCKETS).fill(undefined);
    this.mask = MIN_BUCKETS - 1;
    this.count = 0;
    this.day = 0;
    this.index = 0;
    this.top = undefined;
    this.nowList = [];
    this.head = 0;
    this.ghosts = new Float64Array(0);
    this.ghostCount = 0;
  }

  /** True when the FIFO's head comes before the calendar's first event (one at the same time was scheduled earlier). */
  private nowFirst(): boolean {
    if (this.count === 0) return true;
    const top = this.top ?? this.first();
    return top.time > this.nowTime || (top.time === this.nowTime && top.seq > this.nowList[this.head]!.seq);
  }

  /** The calendar's first event; the calendar must not be empty. Leaves `day`/`index` on it. */
  private first(): SimEvent {
    if (this.top !== undefined) return this.top;
    const heads = this.heads;
    const mask = this.mask;
    let day = this.day;
    let i = this.index;
    // Days in order, for at most one year: the first head that belongs to its day is the first event.
    for (let k = 0; k <= mask; k++) {
      const head = heads[i];
      if (head !== undefined && head.day === day) {
        this.steps += k;
        this.day = day;
        this.index = i;
        return (this.top = head);
      }
      day++;
      i = (i + 1) & mask;
    }
    // A year without events: the earliest head is the first event (every bucket is sorted).
    let best: SimEvent | undefined;
    for (let b = 0; b <= mask; b++) {
      const head = heads[b];
      if (head !== undefined && (best === undefined || before(head, best))) best = head;
    }
    this.steps += 2 * (mask + 1);
    this.day = best!.day;
    this.index = best!.day & mask;
    return (this.top = best!);
  }

  /** Removes `top`, the calendar's first event (found by {@link first}). */
  private calendarPop(top: SimEvent): SimEvent {
    const i = this.index;
    const next = top.next;
    this.heads[i] = next;
    if (next === undefined) this.tails[i] = undefined;
    else {
      top.next = undefined;
      next.prev = undefined;
    }
    this.top = undefined;
    const n = --this.count;
    top.flags &= ~IN_HEAP;
    if (this.ghostCount > 0) this.passGhosts(top.time, top.seq);
    if (n < (this.mask + 1) >> 1 && this.mask >= MIN_BUCKETS) this.resize((this.mask + 1) >> 1);
    return top;
  }

  private calendarPush(event: SimEvent): void {
    if (this.count >= 2 * (this.mask + 1)) this.resize(2 * (this.mask + 1));
    else if (--this.untilCheck <= 0) this.check();
    event.flags |= IN_HEAP;
    this.count++;
    this.insert(event);
    const top = this.top;
    if (top !== undefined && before(event, top)) this.top = event;
  }

  /** Links `event` into its day's bucket, in (time, seq) order. */
  private insert(event: SimEvent): void {
    const day = Math.floor(event.time / this.width);
    event.day = day;
    // `& mask` is `day mod buckets` for every whole number (and 0 for Infinity).
    const i = day & this.mask;
    if (day < this.day) {
      // Only after popUntil or runUntil stopped short of the first event, or a resize.
      this.day = day;
      this.index = i;
    }
    const tail = this.tails[i];
    if (tail === undefined) {
      this.heads[i] = event;
      this.tails[i] = event;
      return;
    }
    // Usually the latest in its bucket (always when its time equals the tail's: seq grows).
    if (before(tail, event)) {
      tail.next = event;
      event.prev = tail;
      this.tails[i] = event;
      return;
    }
    let prev = this.heads[i]!;
    if (before(event, prev)) {
      event.next = prev;
      prev.prev = event;
      this.heads[i] = event;
      return;
    }
    let steps = 1;
    for (let node = prev.next!; before(node, event); node = node.next!) {
      prev = node;
      steps++;
    }
    this.steps += steps;
    const next = prev.next!;
    event.next = next;
    event.prev = prev;
    next.prev = event;
    prev.next = event;
  }

  /** @internal Takes a cancelled event out of the calendar; its key stays counted as a ghost. */
  unlink(event: SimEvent): void {
    const i = event.day & this.mask;
    const prev = event.prev;
    const next = event.next;
    if (prev === undefined) this.heads[i] = next;
    else prev.next = next;
    if (next === undefined) this.tails[i] = prev;
    else next.prev = prev;
    event.prev = undefined;
    event.next = undefined;
    event.flags &= ~IN_HEAP;
    this.count--;
    if (this.top === event) this.top = undefined;
    this.addGhost(event.time, event.seq);
  }

  /** Re-estimates the width if pushes and pops took many steps since the last check. */
  private check(): void {
    const ops = Math.max(CHECK_MIN, this.count);
    if (this.steps > STEPS_PER_OP * ops) this.resize(this.mask + 1);
    this.steps = 0;
    this.untilCheck = ops;
  }

  /**
   * Moves every event into `buckets` buckets with a width of about three mean gaps between the
   * earliest events (Brown's estimate: gaps over twice the mean are left out as outliers).
   */
  private resize(buckets: number): void {
    this.resizeFrom(this.drain(), buckets);
  }

  /** Unlinks every event, bucket by bucket from the current day (so mostly in time order). */
  private drain(): SimEvent[] {
    const all: SimEvent[] = [];
    const heads = this.heads;
    const mask = this.mask;
    for (let k = 0; k <= mask; k++) {
      const b = (this.index + k) & mask;
      for (let node = heads[b]; node !== undefined; ) {
        const next = node.next;
        node.next = undefined;
        node.prev = undefined;
        all.push(node);
        node = next;
      }
    }
    return all;
  }

  /** {@link resize} from events already unlinked. */
  private resizeFrom(all: SimEvent[], buckets: number): void {
    this.heads = new Array<SimEvent | undefined>(buckets).fill(undefined);
    this.tails = new Array<SimEvent | undefined>(buckets).fill(undefined);
    this.mask = buckets - 1;
    this.width = estimateWidth(all, this.width);
    this.top = undefined;
    this.day = Infinity;
    this.index = 0;
    for (let k = 0; k < all.length; k++) this.insert(all[k]!);
    if (all.length === 0) this.day = 0;
    this.steps = 0;
    this.untilCheck = Math.max(CHECK_MIN, this.count);
  }
}

/**
 * Three times the mean gap between the {@link SAMPLE} earliest distinct event times, leaving out
 * gaps over twice the mean; `fallback` when there are not two distinct times. Kept large enough
 * that days stay whole numbers a double holds exactly (2^40 days up to the latest sampled time).
 */
function estimateWidth(events: readonly SimEvent[], fallback: number): number {
  const n = events.length;
  if (n < 2) return fallback;
  // The SAMPLE smallest times: a bounded max-heap in a typed array, one pass over the events.
  const heap = new Float64Array(Math.min(SAMPLE, n));
  let size = 0;
  for (let k = 0; k < n; k++) {
    const t = events[k]!.time;
    if (size < heap.length) {
      let i = size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (heap[p]! >= t) break;
        heap[i] = heap[p]!;
        i = p;
      }
      heap[i] = t;
    } else if (t < heap[0]!) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= size) break;
        const r = l + 1;
        const c = r < size && heap[r]! > heap[l]! ? r : l;
        if (heap[c]! <= t) break;
        heap[i] = heap[c]!;
        i = c;
      }
      heap[i] = t;
    }
  }
  const sample = Array.from(heap.subarray(0, size)).sort((a, b) => a - b);
  const span = sample[size - 1]! - sample[0]!;
  if (!(span > 0) || !Number.isFinite(span)) return fallback;
  const mean = span / (size - 1);
  let sum = 0;
  let gaps = 0;
  for (let k = 1; k < size; k++) {
    const gap = sample[k]! - sample[k - 1]!;
    if (gap > 0 && gap <= 2 * mean) {
      sum += gap;
      gaps++;
    }
  }
  const width = gaps > 0 ? (3 * sum) / gaps : 3 * mean;
  return Math.max(width, sample[size - 1]! / 2 ** 40, Number.MIN_VALUE);
}
