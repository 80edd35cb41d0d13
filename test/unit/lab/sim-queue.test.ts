// The scheduler's calendar queue against a trivially correct reference: every pending event in
// an array, the next one found by a linear scan over (time, seq). Random push / pop / popUntil /
// cancel sequences with equal times, due-now events, tiny and huge gaps, and cancelled events
// unlinked at once (counted as pending until the clock passes them).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { CANCELLED, EventQueue, type SimEvent } from "../../../src/lab/sim/queue";
import { Random } from "../../../src/lab/sim";

type Op =
  | { kind: "push"; delay: number; reuse: number }
  | { kind: "burst"; n: number; delay: number; spread: number; cancel: number }
  | { kind: "pop" }
  | { kind: "popUntil"; ahead: number }
  | { kind: "cancel"; pick: number }
  | { kind: "peek" };

const delay = fc.oneof(
  fc.constant(0),
  fc.constantFrom(1, 2, 5, 30_000, 1e9, 1e15),
  fc.double({ min: 0, max: 10, noNaN: true }),
  fc.integer({ min: 1, max: 1000 }).map((k) => k * 1e-9),
);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("push" as const), delay, reuse: fc.integer({ min: -3, max: 20 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("burst" as const),
      n: fc.integer({ min: 1, max: 400 }),
      delay,
      spread: fc.constantFrom(0, 1e-6, 1, 100, 1e6),
      cancel: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
  },
  { weight: 5, arbitrary: fc.constant({ kind: "pop" as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("popUntil" as const), ahead: fc.oneof(fc.double({ min: 0, max: 20, noNaN: true }), fc.constantFrom(0, 30_000, 1e12)) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("cancel" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: "peek" as const }) },
);

const before = (a: SimEvent, b: SimEvent) => a.time < b.time || (a.time === b.time && a.seq < b.seq);
const cancelled = (e: SimEvent) => (e.flags & CANCELLED) !== 0;

/** Runs `ops` on a queue and the reference side by side; throws at the first difference. */
function check(ops: readonly Op[]): void {
  const queue = new EventQueue();
  const pending: SimEvent[] = [];
  const made: SimEvent[] = [];
  let seq = 0;
  let now = 0;
  const noop = () => {};
  const push = (time: number) => {
    const event = queue.make(time, seq++, noop, undefined, 0);
    made.push(event);
    pending.push(event);
    queue.push(event, now);
    return event;
  };
  const first = () => pending.reduce<SimEvent | undefined>((m, e) => (m === undefined || before(e, m) ? e : m), undefined);
  /** The queue gave `event`: every pending event before it must be a dropped cancelled one. */
  const came = (event: SimEvent) => {
    const i = pending.indexOf(event);
    expect(i, "popped an event that is not pending").toBeGreaterThanOrEqual(0);
    for (const e of pending) if (before(e, event)) expect(cancelled(e), `event ${e.seq} (t=${e.time}) skipped before ${event.seq} (t=${event.time})`).toBe(true);
    for (let k = pending.length - 1; k >= 0; k--) if (pending[k] === event || before(pending[k]!, event)) pending.splice(k, 1);
  };
  /** Nothing is due by `horizon`: pending events due by then must all be dropped cancelled ones. */
  const passed = (horizon: number) => {
    for (let k = pending.length - 1; k >= 0; k--) {
      const e = pending[k]!;
      if (e.time <= horizon) {
        expect(cancelled(e), `event ${e.seq} (t=${e.time}) missed by popUntil(${horizon})`).toBe(true);
        pending.splice(k, 1);
      }
    }
  };
  for (const o of ops) {
    switch (o.kind) {
      case "push": {
        // A negative `reuse` picks the time of a pending event (equal times), if one is due by now or later.
        const same = o.reuse < 0 ? pending.filter((e) => e.time >= now)[-o.reuse - 1] : undefined;
        push(same ? same.time : now + o.delay);
        break;
      }
      case "burst":
        for (let k = 0; k < o.n; k++) {
          const event = push(now + o.delay + ((k * 7919) % o.n) * (o.spread / o.n));
          if ((k * 0.618) % 1 < o.cancel) event.cancel();
        }
        break;
      case "pop": {
        const event = queue.pop();
        if (event === undefined) {
          expect(pending.every(cancelled), "pop() gave nothing but events are pending").toBe(true);
          pending.length = 0;
        } else {
          came(event);
          now = event.time;
        }
        break;
      }
      case "popUntil": {
        const horizon = now + o.ahead;
        const event = queue.popUntil(horizon);
        if (event === undefined) {
          passed(horizon);
          now = horizon; // as runUntil does
        } else {
          expect(event.time).toBeLessThanOrEqual(horizon);
          came(event);
          now = event.time;
        }
        break;
      }
      case "cancel":
        if (made.length > 0) made[o.pick % made.length]!.cancel();
        break;
      case "peek": {
        const event = queue.peek();
        const f = first();
        if (event === undefined) expect(pending.every(cancelled)).toBe(true);
        else {
          expect(queue.nextTime()).toBe(event.time);
          for (const e of pending) if (before(e, event)) expect(cancelled(e)).toBe(true);
        }
        if (f !== undefined && !cancelled(f)) expect(event).toBe(f);
        break;
      }
    }
    expect(queue.size, "pending count (cancelled events count until the clock passes them)").toBe(pending.length);
  }
  // Drain: the rest comes out in (time, seq) order.
  for (let event = queue.pop(); event !== undefined; event = queue.pop()) came(event);
  expect(pending.every(cancelled)).toBe(true);
  expect(queue.size).toBe(0);
}

describe("EventQueue (calendar queue) against a sorted reference", () => {
  it("gives events in (time, seq) order and counts pending ones exactly, for random operation sequences", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => check(ops)),
      { numRuns: 300 },
    );
  });

  it("keeps the order for 200 k events with a few far in the future, and with most timers cancelled", () => {
    for (const far of [0, 5]) {
      const queue = new EventQueue();
      const random = new Random(11);
      const noop = () => {};
      let seq = 0;
      let now = 0;
      let last: SimEvent | undefined;
      let fired = 0;
      let disorder = 0;
      const push = (time: number) => queue.push(queue.make(time, seq++, noop, undefined, 0), now);
      for (let k = 0; k < far; k++) push(1e12 + k);
      for (let k = 0; k < 2_000; k++) push(random.uniform(0, 1));
      while (queue.size > 0) {
        const event = queue.pop();
        if (event === undefined) continue;
        if (last !== undefined && !before(last, event)) disorder++;
        last = event;
        now = event.time;
        if (cancelled(event)) continue;
        fired++;
        if (seq < 200_000) {
          // A message 0–10 µs ahead; a 30 s timeout, cancelled nine times in ten.
          push(now + random.uniform(0, 0.01));
          const timeout = queue.make(now + 30_000, seq++, noop, undefined, 0);
          queue.push(timeout, now);
          if (random.chance(0.9)) timeout.cancel();
        }
      }
      expect(disorder).toBe(0);
      expect(fired).toBeGreaterThan(100_000);
      expect(last!.time).toBe(far > 0 ? 1e12 + far - 1 : last!.time);
    }
  });
});
