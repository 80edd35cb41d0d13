/**
 * The scheduler's queue: a binary min-heap of scheduled events ordered by time, then by
 * scheduling order (FIFO), plus a plain FIFO for events due at the current time.
 *
 * Most wake-ups are due "now" (a resolved call, `sim.wake`, `sleep(0)`). Such an event is
 * scheduled after every event already in the heap for the same time (sequence numbers only
 * grow), so a FIFO beside the heap keeps the exact (time, seq) order without a heap push/pop.
 * The heap keeps each event's time in a typed array beside it, so ordering compares numbers
 * without loading the event objects (they are only loaded to break ties).
 *
 * Cancelled events (a call's timeout timer once the answer came) give back their callback at
 * once, so nothing they point to stays alive. When they make up most of the heap, the heap is
 * rebuilt without them; their (time, seq) keys are kept in a sorted "ghost" list so that
 * {@link EventQueue.size} still counts them until the clock passes them, exactly as if they
 * had stayed in the heap. A million calls with 30 s timeouts thus hold 16 bytes each, not the
 * whole finished call.
 */

/** Set on events whose callback resolves promises: their continuations run before the next event. */
export const WAKES = 1;
/** Set on events whose callback takes the event's `arg` (saves a closure per wake-up). */
export const HAS_ARG = 2;
/** Set once the event was cancelled. */
export const CANCELLED = 4;
/** Set while the event sits in the heap (a cancel then counts towards a rebuild). */
const IN_HEAP = 8;
/** Set on events nobody holds a handle to: the queue reuses their record once fired. */
export const POOLED = 16;

const noop = (): void => {};

/** One scheduled callback; it is also the {@link Timer}-like handle that cancels it. */
export class SimEvent {
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
    if (flags & IN_HEAP) this.queue.cancelledInHeap++;
  }
}

/** Rebuild the heap once at least this many of its events are cancelled, and they are half of it. */
const REBUILD_MIN = 4096;
/** Most fired records kept for reuse. */
const POOL_MAX = 4096;

export class EventQueue {
  private events: SimEvent[] = [];
  private times = new Float64Array(64);
  private count = 0;
  /** Events due at `nowTime`, in scheduling order; `head` is the next one. */
  private nowList: SimEvent[] = [];
  private head = 0;
  private nowTime = -1;
  /** @internal Cancelled events still in the heap (see {@link SimEvent.cancel}). */
  cancelledInHeap = 0;
  /**
   * Keys of cancelled events dropped by a rebuild and not passed yet: a second min-heap of
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
    const heapTime = this.count > 0 ? this.times[0]! : Infinity;
    return this.head < this.nowList.length && this.nowTime < heapTime ? this.nowTime : heapTime;
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

  /** Adds an event; `now` is the clock, so events due now skip the heap. */
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
    if (this.cancelledInHeap >= REBUILD_MIN && this.cancelledInHeap * 2 >= this.count) this.rebuild();
    this.heapPush(event);
  }

  /** The next event (cancelled ones included), without removing it. */
  peek(): SimEvent | undefined {
    if (this.head < this.nowList.length && this.nowFirst()) return this.nowList[this.head];
    return this.count > 0 ? this.events[0] : undefined;
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
    return this.heapPop();
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
    if (this.count === 0 || this.times[0]! > horizon) return this.passHorizon(horizon);
    return this.heapPop();
  }

  /** No event is due by `horizon`: the dropped cancelled events due by then count as passed. */
  passHorizon(horizon: number): undefined {
    if (this.ghostCount > 0) this.passGhosts(horizon, Infinity);
    return undefined;
  }

  /** Forgets the ghosts whose key comes before (time, seq): the heap would have popped them by now. */
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

  /** Keeps the key of a cancelled event dropped from the heap. */
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
    this.events = [];
    this.count = 0;
    this.nowList = [];
    this.head = 0;
    this.cancelledInHeap = 0;
    this.ghosts = new Float64Array(0);
    this.ghostCount = 0;
  }

  /** True when the FIFO's head comes before the heap's top (heap events at the same time were scheduled earlier). */
  private nowFirst(): boolean {
    if (this.count === 0) return true;
    const top = this.times[0]!;
    return top > this.nowTime || (top === this.nowTime && this.events[0]!.seq > this.nowList[this.head]!.seq);
  }

  private heapPush(event: SimEvent): void {
    let i = this.count++;
    if (i === this.times.length) {
      const grown = new Float64Array(i * 2);
      grown.set(this.times);
      this.times = grown;
    }
    event.flags |= IN_HEAP;
    const times = this.times;
    const events = this.events;
    const time = event.time;
    events.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const t = times[parent]!;
      // Sequence numbers only grow, so an equal time never moves a new event up.
      if (t <= time) break;
      times[i] = t;
      events[i] = events[parent]!;
      i = parent;
    }
    times[i] = time;
    events[i] = event;
  }

  private heapPop(): SimEvent {
    const n = this.count - 1;
    this.count = n;
    const events = this.events;
    const top = events[0]!;
    const flags = top.flags;
    if (flags & CANCELLED) this.cancelledInHeap--;
    top.flags = flags & ~IN_HEAP;
    if (this.ghostCount > 0) this.passGhosts(top.time, top.seq);
    const last = events.pop()!;
    if (n === 0) return top;
    this.siftDown(0, n, last, this.times[n]!);
    return top;
  }

  /**
   * Places (`event`, `time`, `seq`) into the hole at `i` of a heap of `n` events. Bottom-up:
   * move the hole down along the smaller children to a leaf (one comparison per level), then
   * sift the event up from there: it usually belongs near the bottom.
   */
  private siftDown(i: number, n: number, event: SimEvent, time: number): void {
    const times = this.times;
    const events = this.events;
    const seq = event.seq;
    const start = i;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let child = l;
      if (r < n) {
        const tl = times[l]!;
        const tr = times[r]!;
        if (tr < tl || (tr === tl && events[r]!.seq < events[l]!.seq)) child = r;
      }
      times[i] = times[child]!;
      events[i] = events[child]!;
      i = child;
    }
    while (i > start) {
      const parent = (i - 1) >> 1;
      const t = times[parent]!;
      if (t < time || (t === time && events[parent]!.seq < seq)) break;
      times[i] = t;
      events[i] = events[parent]!;
      i = parent;
    }
    times[i] = time;
    events[i] = event;
  }

  /**
   * Drops the cancelled events from the heap and heapifies the rest. The order events come
   * out in is unchanged: it is the (time, seq) order, whatever the heap's shape.
   */
  private rebuild(): void {
    const events = this.events;
    const times = this.times;
    let kept = 0;
    for (let i = 0; i < this.count; i++) {
      const event = events[i]!;
      if (event.flags & CANCELLED) {
        event.flags &= ~IN_HEAP;
        this.addGhost(event.time, event.seq);
        continue;
      }
      events[kept] = event;
      times[kept] = times[i]!;
      kept++;
    }
    events.length = kept;
    this.count = kept;
    this.cancelledInHeap = 0;
    for (let i = (kept >> 1) - 1; i >= 0; i--) this.siftDown(i, kept, events[i]!, times[i]!);
  }
}
