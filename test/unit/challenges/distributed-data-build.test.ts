// The distributed-data build challenges: each reference passes every stage on every case, the
// known-wrong answers fail at the stage that targets their mistake, the starter fails stage 1
// with a sentence that says what is wrong, and a full check stays within 3 s.
import { describe, expect, it } from "vitest";
import { challenges, type RingSolution } from "sde-lab/challenges";
import { joinWith, medianOfReads, orchestrator, participant, ring, shardingReference, SortedRouter } from "./data-references";
import { failedStage, invariant, timed } from "./report-helpers";

// ---------- horizontal sharding ----------
describe("horizontal-sharding build challenge", () => {
  const c = challenges["horizontal-sharding"];
  it("the reference passes every stage, in ≤ 3 s", async () => {
    const { value, ms } = await timed(() => c.check(shardingReference));
    expect(value.headline, invariant(value)).toMatch(/^Challenge horizontal-sharding: PASSED \(3 of 3 stages, \d+ cases\)/);
    expect(value.stages.map((s) => s.cases).reduce((a, b) => a + b)).toBeGreaterThanOrEqual(300 + 20);
    expect(ms).toBeLessThan(3_000);
  });
  it("the starter (every id on the first shard) fails stage 1 naming the id and its owner", async () => {
    const r = await c.check({ createRouter: (ranges) => ({ route: () => ranges[0]!.shard, scanShards: () => [], split: () => {} }), splitPoint: (r) => r.from + 1 });
    expect(failedStage(r)).toBe(1);
    expect(invariant(r)).toMatch(/^(route\(\d+\) returned s1, but s\d+ owns ids \d+–\d+|scanShards\(\d+, \d+\) returned nothing, but exactly \[s\d+(, s\d+)*\] hold ids)/);
  });
  it("a constant scan answer fails stage 1", async () => {
    const r = await c.check({ createRouter: (ranges) => Object.assign(new SortedRouter(ranges), { scanShards: () => [ranges[0]!.shard] }), splitPoint: medianOfReads });
    expect(failedStage(r)).toBe(1);
    expect(invariant(r)).toMatch(/^scanShards/);
  });
  it("hash routing (not shown in the notebook) fails stage 1", async () => {
    const r = await c.check({ createRouter: (ranges) => ({ route: (id) => ranges[id % ranges.length]!.shard, scanShards: () => ranges.map((x) => x.shard), split: () => {} }), splitPoint: medianOfReads });
    expect(failedStage(r)).toBe(1);
  });
  it("a router that ignores the new shard fails stage 2", async () => {
    const r = await c.check({ createRouter: (ranges) => new SortedRouter(ranges, false, true), splitPoint: medianOfReads });
    expect(failedStage(r)).toBe(2);
    expect(invariant(r)).toMatch(/after split\(\d+, "n1"\)/);
  });
  it("an off-by-one split (the cut id stays) fails stage 2", async () => {
    const r = await c.check({ createRouter: (ranges) => new SortedRouter(ranges, true), splitPoint: medianOfReads });
    expect(failedStage(r)).toBe(2);
  });
  it("splitting at the middle of the ids instead of the reads fails stage 3 with the share", async () => {
    const r = await c.check({ createRouter: (ranges) => new SortedRouter(ranges), splitPoint: (range) => Math.floor((range.from + range.to + 1) / 2) });
    expect(failedStage(r)).toBe(3);
    expect(invariant(r)).toMatch(/left \d+ % of its \d+ reads on one half \(limit 60 %\)/);
  });
});

// ---------- vertical partitioning ----------
describe("vertical-partitioning build challenge", () => {
  const c = challenges["vertical-partitioning"];
  it("the reference (batches of 50, retried on timeout) passes every stage, in ≤ 3 s", async () => {
    const { value, ms } = await timed(() => c.check(joinWith()));
    expect(value.headline, invariant(value)).toMatch(/^Challenge vertical-partitioning: PASSED \(3 of 3 stages, 45 cases\)/);
    expect(ms).toBeLessThan(3_000);
  });
  it("the starter (an empty page) fails stage 1 counting the missing orders", async () => {
    const r = await c.check({ ordersOfCountry: async () => [] });
    expect(failedStage(r)).toBe(1);
    expect(invariant(r)).toMatch(/^\d+ of the \d+ orders of the \d+ users in NO are missing from the page/);
  });
  it("dropping the last partial batch (ignores part of the input) fails", async () => {
    const r = await c.check(joinWith({ dropLast: true }));
    expect(failedStage(r)).toBe(1);
  });
  it("one query per user (N+1) fails stage 2 with the count", async () => {
    const r = await c.check(joinWith({ perUser: true }));
    expect(failedStage(r)).toBe(2);
    expect(invariant(r)).toMatch(/made \d+ answered queries for \d+ users; batching 50 ids per query needs at most \d+/);
  });
  it("one query with every id (over the in-list limit, not shown in the notebook) fails stage 2", async () => {
    const r = await c.check(joinWith({ batch: 10_000 }));
    expect(failedStage(r)).toBe(2);
    expect(invariant(r)).toMatch(/at most 50 per query/);
  });
  it("no retry on a lost message fails stage 3", async () => {
    const r = await c.check(joinWith({ retries: false }));
    expect(failedStage(r)).toBe(3);
    expect(invariant(r)).toMatch(/TimeoutError/);
  });
  it("a wrong join key (order id as user id) fails stage 1", async () => {
    const base = joinWith();
    const r = await c.check({ ordersOfCountry: async (db, country) => (await base.ordersOfCountry(db, country)).map((row) => ({ ...row, userId: row.orderId })) });
    expect(failedStage(r)).toBe(1);
  });
});

// ---------- consistent hashing ----------
describe("consistent-hashing build challenge", () => {
  const c = challenges["consistent-hashing"];
  it("the reference ring passes every stage, in ≤ 3 s", async () => {
    const { value, ms } = await timed(() => c.check(ring()));
    expect(value.headline, invariant(value)).toMatch(/^Challenge consistent-hashing: PASSED \(3 of 3 stages, \d+ cases\)/);
    expect(ms).toBeLessThan(3_000);
  });
  it("the starter (every key on the first node, no replicas) fails stage 1", async () => {
    const r = await c.check({ createRing: () => { const ns: string[] = []; return { addNode: (n) => void ns.push(n), removeNode: () => {}, lookup: () => ns[0]!, replicas: () => [] }; } });
    expect(failedStage(r)).toBe(1);
    expect(invariant(r)).toMatch(/^(lookup|replicas)\(/);
  });
  it("replicas that repeat a node (vnodes of one machine next to each other) fail stage 1", async () => {
    const r = await c.check(ring({ repeatReplicas: true }));
    expect(failedStage(r)).toBe(1);
    expect(invariant(r)).toMatch(/a node appears twice|must return/);
  });
  it("a ring that ignores the 11th node fails stage 2, saying the newcomer owns 0 keys", async () => {
    const r = await c.check(ring({ cap: 10 }));
    expect(failedStage(r)).toBe(2);
    expect(invariant(r)).toMatch(/the new node owns 0 of 300 keys/);
  });
  it("hash mod N (not shown in the notebook) fails stage 2: keys move between old nodes", async () => {
    const modN: RingSolution = {
      createRing: (o) => {
        const ns: string[] = [];
        const at = (k: string, i = 0) => ns[(o.hash(k) + i) % ns.length]!;
        return { addNode: (n) => void ns.push(n), removeNode: (n) => void ns.splice(ns.indexOf(n), 1), lookup: (k) => at(k), replicas: (k, r) => Array.from({ length: Math.min(r, ns.length) }, (_, i) => at(k, i)) };
      },
    };
    const r = await c.check(modN);
    expect(failedStage(r)).toBeGreaterThanOrEqual(1);
    expect(failedStage(r)).toBeLessThanOrEqual(2);
  });
  it("one point per node (ignores vnodes) fails stage 3 with the busiest node's share", async () => {
    const r = await c.check(ring({ oneVnode: true }));
    expect(failedStage(r)).toBe(3);
    expect(invariant(r)).toMatch(/the busiest of 10 nodes holds \d+ of \d+ keys, [\d.]+× the mean/);
  });
});

// ---------- two-phase commit ----------
describe("two-phase-commit build challenge", () => {
  const c = challenges["two-phase-commit"];
  it("the reference participant passes every stage, in ≤ 3 s", async () => {
    const { value, ms } = await timed(() => c.check(participant()));
    expect(value.headline, invariant(value)).toMatch(/^Challenge two-phase-commit: PASSED \(3 of 3 stages, 55 cases\)/);
    expect(ms).toBeLessThan(3_000);
  });
  it("the starter (always YES, nothing logged or applied) fails stage 1", async () => {
    const r = await c.check({ createParticipant: () => ({ prepare: async () => "yes", commit: async () => {}, abort: async () => {}, recover: async () => {} }) });
    expect(failedStage(r)).toBe(1);
    expect(invariant(r)).toMatch(/voted YES on T\d before its PREPARED record was durable|never applied/);
  });
  it("voting YES before the PREPARED record is durable fails", async () => {
    const r = await c.check(participant({ voteBeforeDurable: true }));
    expect(failedStage(r)).toBe(1);
    expect(invariant(r)).toMatch(/voted YES on T\d before its PREPARED record was durable/);
  });
  it("voting YES against the database's constraints fails stage 1", async () => {
    const r = await c.check(participant({ ignoreConstraints: true }));
    expect(failedStage(r)).toBe(1);
  });
  it("keeping the writes only in memory (ignores the crash) fails stage 2", async () => {
    const r = await c.check(participant({ forgetOnRestart: true }));
    expect(failedStage(r)).toBe(2);
    expect(invariant(r)).toMatch(/decided COMMIT for T\d, but \w+ never applied it/);
  });
  it("keeping the writes in memory outside the instance (a module-level map; survives the simulated crash, not a real one) fails stage 2", async () => {
    const r = await c.check(participant({ outsideMemory: new Map() }));
    expect(failedStage(r)).toBe(2);
    expect(invariant(r)).toMatch(/^\w+ applied T\d after a restart with writes its log does not hold: they came from memory outside the log/);
  });
  it("deciding alone when in doubt (presumed abort at the participant) fails stage 3", async () => {
    const r = await c.check(participant({ decideAlone: true }));
    expect(failedStage(r), invariant(r)).toBeGreaterThanOrEqual(2);
    expect(invariant(r)).toMatch(/decided COMMIT for T\d, but \w+ never applied it/);
  });
  it("never asking the coordinator (not shown in the notebook) fails stage 3", async () => {
    const r = await c.check(participant({ neverAsk: true }));
    expect(failedStage(r), invariant(r)).toBe(3);
    expect(invariant(r)).toMatch(/never applied it/);
  });
});

// ---------- saga ----------
describe("saga build challenge", () => {
  const c = challenges.saga;
  it("the reference orchestrator passes every stage, in ≤ 3 s", async () => {
    const { value, ms } = await timed(() => c.check(orchestrator()));
    expect(value.headline, invariant(value)).toMatch(/^Challenge saga: PASSED \(3 of 3 stages, 60 cases\)/);
    expect(ms).toBeLessThan(3_000);
  });
  it("the starter (claims completed, calls nothing) fails stage 1", async () => {
    const r = await c.check({ run: async () => "completed" });
    expect(failedStage(r)).toBe(1);
    expect(invariant(r)).toMatch(/must end compensated|none of the 5 steps took effect/);
  });
  it("compensating forwards fails stage 1 naming the later step still held", async () => {
    const r = await c.check(orchestrator({ forward: true }));
    expect(failedStage(r)).toBe(1);
    expect(invariant(r)).toMatch(/compensated \w+ while \w+, a later step, was still held/);
  });
  it("undoing after a failure past the pivot (no retries) fails stage 2", async () => {
    const r = await c.check(orchestrator({ noRetryAfterPivot: true }));
    expect(failedStage(r)).toBe(2);
    expect(invariant(r)).toMatch(/compensated \w+ after the pivot|which is the pivot/);
  });
  it("giving up on an unavailable compensation fails stage 2", async () => {
    const r = await c.check(orchestrator({ noCompRetry: true }));
    expect(failedStage(r)).toBe(2);
    expect(invariant(r)).toMatch(/still held/);
  });
  it("undoing only the steps that answered ok (ignores a lost reply) fails stage 3", async () => {
    const r = await c.check(orchestrator({ onlyOk: true, noActRetry: true }));
    expect(failedStage(r)).toBe(3);
    expect(invariant(r)).toMatch(/still held/);
  });
});
