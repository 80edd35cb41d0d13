/**
 * The scheduler's queue: a binary min-heap of scheduled events ordered by time, then by
 * scheduling order (FIFO), plus a plain FIFO for events due at the current time.
 *
 * Most wake-ups are due "now" (a resolved call, `sim.wake`, `sleep(0)`). Such an event is
 * scheduled after every event already in the heap for the same time (sequence numbers only
 * grow), so a FIFO beside the heap keeps the exact (time, seq) order without a heap push/pop.
 * The heap keeps each event's time in a typed array beside it, so ordering compares numbers
 * without loading the event objects (they are only loaded to break ties).
 */

/** Set on events whose callback resolves promises: their continuations run before the next event. */
export const WAKES = 1;
/** Set on events whose callback takes the event's `arg` (saves a closure per wake-up). */
export const HAS_ARG = 2;
/** Set once the event was cancelled. */
export const CANCELLED = 4;

/** One scheduled callback; it is also the {@link Timer}-like handle that cancels it. */
export class SimEvent {
  constructor(
    readonly time: number,
    readonly seq: number,
    readonly fn: (arg?: unknown) => void,
    readonly arg: unknown,
    /** {@link WAKES}, {@link HAS_ARG}, {@link CANCELLED}. */
    public flags: number,
  ) {}

  /** Stops the callback from firing (no effect if it already fired). */
  cancel(): void {
    this.flags |= CANCELLED;
  }
}

export class EventQueue {
  private events: SimEvent[] = [];
  private times = new Float64Array(64);
  private count = 0;
  /** Events due at `nowTime`, in scheduling order; `head` is the next one. */
  private nowList: SimEvent[] = [];
  private head = 0;
  private nowTime = -1;

  get size(): number {
    return this.count + this.nowList.length - this.head;
  }

  /** Time of the next event, or Infinity when there is none. */
  nextTime(): number {
    const heapTime = this.count > 0 ? this.times[0]! : Infinity;
    return this.head < this.nowList.length && this.nowTime < heapTime ? this.nowTime : heapTime;
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
    this.heapPush(event);
  }

  peek(): SimEvent | undefined {
    if (this.head < this.nowList.length && this.nowFirst()) return this.nowList[this.head];
    return this.count > 0 ? this.events[0] : undefined;
  }

  /** Removes and returns the next event. */
  pop(): SimEvent | undefined {
    if (this.head < this.nowList.length && this.nowFirst()) {
      const first = this.nowList[this.head]!;
      this.nowList[this.head++] = undefined as unknown as SimEvent;
      if (this.head === this.nowList.length) {
        this.nowList.length = 0;
        this.head = 0;
      }
      return first;
    }
    return this.heapPop();
  }

  /** Removes and returns the next event if it is due by `horizon`; undefined if none is. */
  popUntil(horizon: number): SimEvent | undefined {
    const head = this.head;
    const nowList = this.nowList;
    if (head < nowList.length && this.nowFirst()) {
      if (this.nowTime > horizon) return undefined;
      const first = nowList[head]!;
      nowList[head] = undefined as unknown as SimEvent;
      if (head + 1 === nowList.length) {
        nowList.length = 0;
        this.head = 0;
      } else this.head = head + 1;
      return first;
    }
    if (this.count === 0 || this.times[0]! > horizon) return undefined;
    return this.heapPop();
  }

  clear(): void {
    this.events = [];
    this.count = 0;
    this.nowList = [];
    this.head = 0;
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

  private heapPop(): SimEvent | undefined {
    const n = this.count - 1;
    if (n < 0) return undefined;
    this.count = n;
    const times = this.times;
    const events = this.events;
    const top = events[0]!;
    const last = events.pop()!;
    if (n === 0) return top;
    // Bottom-up: move the hole down along the smaller children to a leaf (one comparison per
    // level), then sift `last` up from there: it usually belongs near the bottom.
    let i = 0;
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
    const time = last.time;
    const seq = last.seq;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const t = times[parent]!;
      if (t < time || (t === time && events[parent]!.seq < seq)) break;
      times[i] = t;
      events[i] = events[parent]!;
      i = parent;
    }
    times[i] = time;
    events[i] = last;
    return top;
  }
}
