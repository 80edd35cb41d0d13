// Event store throughput: appending 1,000,000 events (batches of 100, with validation and an
// expected-revision check) and replaying them into an aggregate's state, against the obvious
// implementation (push plain objects into an array, reduce over it) in the same run.
// Target: replay ≥ 1,000,000 events/s.
import { EventStore, type RecordedEvent } from "../src/lab/data/event-store";
import { report, time } from "./harness";

const EVENTS = 1_000_000;
const BATCH = 100;
const RUNS = 5;
const batch = Array.from({ length: BATCH }, (_, i) => ({ type: i % 3 ? "MoneyDeposited" : "MoneyWithdrawn", data: { amount: (i % 7) + 1 }, schemaVersion: 1 }));

let store = new EventStore();
const appendLab = await time(
  `lab EventStore.appendNow × ${EVENTS / BATCH} batches of ${BATCH}`,
  () => {
    store = new EventStore();
    for (let i = 0; i < EVENTS / BATCH; i++) store.appendNow("account-1", batch, { expectedRevision: i === 0 ? "no_stream" : i * BATCH - 1 });
  },
  RUNS,
  1,
);
let plain: { type: string; data: { amount: number } }[] = [];
const appendBase = await time(
  `baseline: array.push × ${EVENTS}`,
  () => {
    plain = [];
    for (let i = 0; i < EVENTS / BATCH; i++) for (const e of batch) plain.push({ type: e.type, data: e.data });
  },
  RUNS,
  1,
);
report(`Append ${EVENTS.toLocaleString("en")} events`, appendBase, [appendLab]);

const apply = (balance: number, e: RecordedEvent) => balance + (e.type === "MoneyDeposited" ? 1 : -1) * (e.data.amount as number);
let folded = 0;
const replayLab = await time(`lab EventStore.fold (replay) of ${EVENTS} events`, () => void (folded = store.fold("account-1", 0, apply).state), RUNS, 1);
let reduced = 0;
const replayBase = await time(`baseline: array.reduce over ${EVENTS} events`, () => void (reduced = plain.reduce((b, e) => b + (e.type === "MoneyDeposited" ? 1 : -1) * e.data.amount, 0)), RUNS, 1);
const readLab = await time(`lab EventStore.readStream (materialise ${EVENTS} events)`, () => void store.readStream("account-1"), RUNS, 1);
report(`Replay ${EVENTS.toLocaleString("en")} events`, replayBase, [replayLab, readLab]);
if (folded !== reduced) throw new Error(`replay disagrees: ${folded} vs ${reduced}`);

const rate = (t: { p50: number }) => Math.round(EVENTS / (t.p50 / 1000));
console.log(`\nappend: ${rate(appendLab).toLocaleString("en")} events/s (baseline ${rate(appendBase).toLocaleString("en")}); replay: ${rate(replayLab).toLocaleString("en")} events/s (baseline ${rate(replayBase).toLocaleString("en")}) — target ≥ 1,000,000 ${rate(replayLab) >= 1_000_000 ? "OK" : "BELOW TARGET"}`);
