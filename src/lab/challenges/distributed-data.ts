/** Challenges of the "Distributed data" section, keyed by catalog id. */
import {
  AggregateRepository,
  CommandRejectedError,
  EventStore,
  Projection,
  SagaOrchestrator,
  ShardedStore,
  Simulation,
  TwoPhaseCommit,
  VerticalStore,
  bankAccount,
  ConfigError,
  dist,
  loadStats,
  movement,
  response,
  sampleKeys,
  type Placement,
  type RecordedEvent,
  type SagaStep,
  type ShardStrategy,
} from "sde-lab";
import { defineChallenge, expectFunction, type Challenge } from "./challenge";
import type { BuildChallenge } from "./build";
import { horizontalShardingBuild } from "./data/sharding";
import { verticalPartitioningBuild } from "./data/vertical";
import { consistentHashingBuild } from "./data/ring";
import { twoPhaseCommitBuild } from "./data/two-phase";
import { sagaBuild } from "./data/saga";
import { eventSourcingBuild } from "./data/event-sourcing";
import { cqrsBuild } from "./data/cqrs";



/** Solution of the horizontal-sharding warm-up (a strategy, not code). */
export interface ShardingWarmupSolution {
  /** Builds the strategy over shards `s1`…`s4` (called once per seed). */
  strategy: () => ShardStrategy;
}

/** Solution of the vertical-partitioning challenge. */
export interface PartitioningSolution {
  /** Partition node → tables (`"users"`) or columns (`"users.bio"`) it holds. */
  partitions: Record<string, string[]>;
}

/** Solution of the consistent-hashing challenge. */
export interface PlacementSolution {
  /** Builds a placement over these node ids. */
  build: (nodes: readonly string[]) => Placement;
}

/** Solution of the two-phase-commit challenge: the protocol's timers, ms. */
export interface TwoPhaseTimersSolution {
  voteTimeoutMs: number;
  decisionTimeoutMs: number;
  statusIntervalMs: number;
}

/** Solution of the saga challenge. */
export interface SagaSolution {
  /** The steps over the services `flight`, `hotel`, `car` and `payment`. */
  steps: SagaStep[];
}

/** Solution of the event-sourcing challenge. */
export interface EventSourcingSolution {
  /** Times a withdrawal reloads and decides again after a WrongExpectedVersionError. */
  retries: number;
  /** Snapshot every this many events (0 = never). */
  snapshotEvery: number;
}

/** What the CQRS challenge's `read` gets. */
export interface ReadContext {
  sim: Simulation;
  /** The read model: stream id → balance in cents. */
  view: Projection<Map<string, number>>;
  /** The account the client just deposited to. */
  account: string;
  /** Global position of that deposit in the event store. */
  position: number;
}

/** Solution of the CQRS challenge. */
export interface CqrsSolution {
  /** Reads the account's balance from the read model right after the client's own deposit. */
  read: (ctx: ReadContext) => Promise<number | undefined> | number | undefined;
}

const fn = expectFunction;

export const distributedDataChallenges = {
  "horizontal-sharding": horizontalShardingBuild,
  "horizontal-sharding-warmup": defineChallenge<ShardingWarmupSolution, "hotShardLoad" | "scanShards" | "keysLost">({
    id: "horizontal-sharding-warmup",
    title: "Shard 2,000 users over 4 shards without a hot shard",
    statement:
      "Users 1–2,000 live on shards `s1`…`s4`. New users are busy: 80 % of the 2,000 reads go to ids 1,501–2,000, the rest spread over 1–1,500. An admin page scans ids 100–199. Build a `ShardStrategy` so that no shard gets much more than its share of requests and the scan stays on one or two shards.",
    targets: [
      { metric: "hotShardLoad", label: "busiest shard's requests over the mean", op: "<=", value: 1.3, hint: "Equal key ranges are not equal load: give the hot ids narrower ranges (RangeSharding with uneven ranges)." },
      { metric: "scanShards", label: "shards asked by the scan of ids 100–199", op: "<=", value: 2, hint: "Hash sharding spreads load but scatters every range scan over all shards; ranges keep neighbours together." },
      { metric: "keysLost", label: "users not found after loading", op: "==", value: 0, hint: "Every id 1–2,000 must fall into some range." },
    ],
    validate: (s) => fn("horizontal-sharding", "strategy", s?.strategy),
    async run(solution, seed) {
      const sim = new Simulation({ seed });
      const store = new ShardedStore(sim, { strategy: solution.strategy() });
      let lost = 0;
      let scanShards = 0;
      await sim.run(async () => {
        for (let id = 1; id <= 2000; id++) await store.put(id, { id });
        store.resetCounters();
        for (let i = 0; i < 2000; i++) {
          const id = sim.random.chance(0.8) ? sim.random.int(1501, 2000) : sim.random.int(1, 1500);
          if ((await store.get(id)) === undefined) lost++;
        }
        scanShards = (await store.scan(100, 199)).shards.length;
      });
      const shards = store.stats().shards;
      return { hotShardLoad: Math.max(...shards.map((s) => s.loadOverMean)), scanShards, keysLost: lost };
    },
  }),

  "vertical-partitioning": verticalPartitioningBuild,
  "vertical-partitioning-warmup": defineChallenge<PartitioningSolution, "orderPageMs" | "largestPartitionShare">({
    id: "vertical-partitioning-warmup",
    title: "Split the shop's database without slowing the order page",
    statement:
      "The shop has `users` (with a large `bio` column), `orders` and `reviews` (long texts). The order-history page joins users with orders. Place tables and columns on partition nodes so that the order page stays a single round trip and no partition holds more than 60 % of the bytes.",
    targets: [
      { metric: "orderPageMs", label: "order page (users ⋈ orders) latency", op: "<=", value: 5, unit: "ms", hint: "Keep the tables a hot join reads together on one partition; across partitions the join takes two round trips." },
      { metric: "largestPartitionShare", label: "largest partition's share of the bytes", op: "<=", value: 60, unit: "%", hint: "Move big, rarely joined data away: a column such as users.bio, or the reviews table." },
    ],
    validate(s) {
      if (!s || typeof s.partitions !== "object") throw new ConfigError("vertical-partitioning", "partitions", s?.partitions, '{ "db-name": ["table", "table.column"] }');
    },
    async run(solution, seed) {
      const sim = new Simulation({ seed });
      const db = new VerticalStore(sim, { partitions: solution.partitions });
      let ms = 0;
      await sim.run(async () => {
        for (let u = 1; u <= 50; u++) await db.insert("users", { id: u, name: `user ${u}`, bio: "b".repeat(400 + sim.random.int(0, 200)) });
        for (let o = 1; o <= 200; o++) await db.insert("orders", { id: o, userId: sim.random.int(1, 50), total: sim.random.int(5, 500) });
        for (let r = 1; r <= 100; r++) await db.insert("reviews", { id: r, userId: sim.random.int(1, 50), text: "r".repeat(300) });
        ms = (await db.join("users", "orders", { on: "userId", where: (u) => u.id === 7 })).latencyMs;
      });
      const sizes = db.sizes();
      const total = sizes.reduce((a, s) => a + s.bytes, 0);
      return { orderPageMs: ms, largestPartitionShare: (Math.max(...sizes.map((s) => s.bytes)) / total) * 100 };
    },
  }),

  "consistent-hashing": consistentHashingBuild,
  "consistent-hashing-warmup": defineChallenge<PlacementSolution, "movedPct" | "maxOverMean" | "movedElsewhere">({
    id: "consistent-hashing-warmup",
    title: "Place 100,000 keys on 10 cache nodes, then add an 11th",
    statement:
      "Build a placement for 10 cache nodes (their names change with the seed). Keys must spread evenly, and adding an 11th node must move only the keys the new node takes over: about 1/11 of them.",
    targets: [
      { metric: "movedPct", label: "keys moved when the 11th node joins", op: "<=", value: 12, unit: "%", hint: "hash mod N remaps almost every key when N changes; a consistent-hash ring (or rendezvous hashing) moves about 1/(N+1)." },
      { metric: "movedElsewhere", label: "moved keys that went to an old node", op: "==", value: 0, hint: "With consistent hashing every moved key moves to the new node." },
      { metric: "maxOverMean", label: "busiest node's keys over the mean", op: "<=", value: 1.15, hint: "One point per node leaves arcs of very different lengths: give each node hundreds of virtual nodes." },
    ],
    validate: (s) => fn("consistent-hashing", "build", s?.build),
    run(solution, seed) {
      const nodes = sampleKeys(10, `cache${seed}-`);
      const ks = sampleKeys(100_000, `s${seed}:user:`);
      const before = solution.build(nodes);
      const after = solution.build([...nodes, `cache${seed}-new`]);
      const m = movement(ks, before, after);
      return { movedPct: m.fraction * 100, movedElsewhere: m.moved - m.movedTo(`cache${seed}-new`), maxOverMean: loadStats(before, ks).maxOverMean };
    },
  }),

  "two-phase-commit": twoPhaseCommitBuild,
  "two-phase-commit-warmup": defineChallenge<TwoPhaseTimersSolution, "abortMs" | "blockedAfterRecoveryMs" | "statusQueries" | "disagreements">({
    id: "two-phase-commit-warmup",
    title: "Tune 2PC's timers: abort fast, unblock fast, without flooding",
    statement:
      "Three participants. Scenario A: `stock` is down; the transaction must abort quickly. Scenario B: the coordinator crashes right after logging COMMIT and restarts 2 s later; the in-doubt participants must learn the outcome soon after it is back, without hammering it with status queries meanwhile.",
    targets: [
      { metric: "abortMs", label: "time to abort with a participant down", op: "<=", value: 300, unit: "ms", hint: "The coordinator waits voteTimeoutMs for votes before it aborts." },
      { metric: "blockedAfterRecoveryMs", label: "in doubt after the coordinator is back", op: "<=", value: 300, unit: "ms", hint: "A participant asks after decisionTimeoutMs, then every statusIntervalMs: shorten them." },
      { metric: "statusQueries", label: "status queries per participant while blocked", op: "<=", value: 25, hint: "Asking every few milliseconds floods a recovering coordinator: keep the interval in the hundreds of ms." },
      { metric: "disagreements", label: "participants deciding differently", op: "==", value: 0, hint: "Never let a participant decide alone after voting YES." },
    ],
    validate(s) {
      for (const k of ["voteTimeoutMs", "decisionTimeoutMs", "statusIntervalMs"] as const) if (typeof s?.[k] !== "number") throw new ConfigError("two-phase-commit", k, s?.[k], "a number of ms");
    },
    async run(s, seed) {
      const opts = { participants: ["bank", "shop", "stock"], voteTimeoutMs: s.voteTimeoutMs, decisionTimeoutMs: s.decisionTimeoutMs, statusIntervalMs: s.statusIntervalMs };
      const a = new Simulation({ seed });
      const tpcA = new TwoPhaseCommit(a, opts);
      a.faults.crash("stock");
      const aborted = await a.run(() => tpcA.execute({ writes: { bank: { x: 1 } } }));
      const b = new Simulation({ seed });
      b.network.setDefaults({ latency: dist.uniform(1, 3) });
      const tpcB = new TwoPhaseCommit(b, opts);
      await b.run(async () => {
        void tpcB.execute({ writes: { bank: { x: 1 }, shop: { y: 2 } }, crashCoordinator: "after-commit-logged", restartAfterMs: 2_000 });
        await b.sleep(20_000);
      });
      const report = tpcB.report("T1");
      const restartAt = report.rows[0]!.votedAt! + 2_000;
      const decided = report.rows.map((r) => r.decidedAt ?? Infinity);
      return {
        abortMs: aborted.outcome === "aborted" ? aborted.latencyMs : Infinity,
        blockedAfterRecoveryMs: Math.max(...decided) - restartAt,
        statusQueries: Math.max(...report.rows.map((r) => r.statusQueries)),
        disagreements: tpcA.check().problems.length + tpcB.check().problems.length,
      };
    },
  }),

  saga: sagaBuild,
  "saga-warmup": defineChallenge<SagaSolution, "inconsistent" | "refunds" | "completedPct">({
    id: "saga-warmup",
    title: "Book trips without charging customers you then refund",
    statement:
      "A trip books a `flight`, a `hotel` and a `car`, and charges the card at `payment`. Cars are scarce: about a third of car bookings fail. Every service answers `POST /book` and `POST /cancel` (payment: `POST /charge` and `POST /refund`). Order the steps, pick each step's kind and compensations, so that 40 trips end consistent and nobody is charged and then refunded.",
    targets: [
      { metric: "inconsistent", label: "trips left half-booked", op: "==", value: 0, hint: "Every step before the point of no return needs a compensation, and a failing step must trigger them in reverse order." },
      { metric: "refunds", label: "customers charged and then refunded", op: "==", value: 0, hint: "Put the step that must not be undone (the charge) last, as the pivot, after the steps that may fail." },
      { metric: "completedPct", label: "trips completed", op: ">=", value: 50, unit: "%", hint: "A saga that books nothing is consistent too: the trip must actually be booked when the car is available." },
    ],
    validate(s) {
      if (!Array.isArray(s?.steps)) throw new ConfigError("saga", "steps", s?.steps, "an array of saga steps");
    },
    async run(solution, seed) {
      const sim = new Simulation({ seed });
      const held = new Map<string, Set<string>>();
      let refunds = 0;
      for (const service of ["flight", "hotel", "car", "payment"]) {
        const set = new Set<string>();
        held.set(service, set);
        sim.service(service, async (req, ctx) => {
          await ctx.work(dist.uniform(2, 8));
          const id = req.headers["saga-id"]!;
          const undo = /\/(cancel|refund)$/.test(req.path);
          if (!undo && service === "car" && sim.random.chance(0.33)) return response(409, { error: "no car available" });
          if (undo) {
            if (service === "payment" && set.has(id)) refunds++;
            set.delete(id);
          } else set.add(id);
          return { ok: true };
        });
      }
      const saga = new SagaOrchestrator(sim, { name: "trip", steps: solution.steps });
      const runs = await sim.run(async () => {
        const out = [];
        for (let i = 0; i < 40; i++) out.push(await saga.run({ id: `trip-${i}` }));
        return out;
      });
      let inconsistent = 0;
      for (const r of runs) {
        const holding = [...held.values()].filter((set) => set.has(r.id)).length;
        if (!(holding === 0 || (r.status === "COMPLETED" && holding === held.size))) inconsistent++;
      }
      return { inconsistent, refunds, completedPct: (runs.filter((r) => r.status === "COMPLETED").length / runs.length) * 100 };
    },
  }),

  "event-sourcing": eventSourcingBuild,
  "event-sourcing-warmup": defineChallenge<EventSourcingSolution, "withdrawals" | "overdrawn" | "replayed">({
    id: "event-sourcing-warmup",
    title: "Twenty concurrent withdrawals from one event-sourced account",
    statement:
      "An account holds €15.00 after 1,500 deposits of one cent. Twenty clients withdraw €1.50 each at the same moment through an `AggregateRepository` over `bankAccount()`. Exactly ten withdrawals fit. Configure the repository so that all ten go through, none overdraws, and loading the account afterwards replays few events.",
    targets: [
      { metric: "withdrawals", label: "withdrawals that went through", op: "==", value: 10, hint: "Concurrent appends at one expected revision conflict; let a losing command reload and decide again (retries)." },
      { metric: "overdrawn", label: "final balance below zero (cents)", op: "==", value: 0, hint: "Never append without the expected revision you decided on." },
      { metric: "replayed", label: "events replayed to load the account", op: "<=", value: 100, hint: "Snapshots every N events bound the replay to fewer than N." },
    ],
    // The scenario has no randomness: one seed says all.
    seeds: [1],
    validate(s) {
      if (!Number.isInteger(s?.retries) || s.retries < 0) throw new ConfigError("event-sourcing", "retries", s?.retries, "a whole number ≥ 0");
      if (!Number.isInteger(s?.snapshotEvery) || s.snapshotEvery < 0) throw new ConfigError("event-sourcing", "snapshotEvery", s?.snapshotEvery, "a whole number ≥ 0");
    },
    async run(s) {
      const store = new EventStore();
      store.appendNow("account-1", [{ type: "AccountOpened", data: { owner: "ann" } }, ...Array.from({ length: 1500 }, () => ({ type: "MoneyDeposited", data: { amount: 1 }, schemaVersion: 2 }))]);
      const repo = new AggregateRepository(store, bankAccount(), { retries: s.retries, snapshotEvery: s.snapshotEvery });
      const results = await Promise.allSettled(Array.from({ length: 20 }, () => repo.execute("1", { type: "Withdraw", amount: 150 })));
      const loaded = repo.load("1");
      const unexpected = results.find((r) => r.status === "rejected" && !(r.reason instanceof CommandRejectedError) && (r.reason as Error).name !== "WrongExpectedVersionError");
      if (unexpected) throw (unexpected as PromiseRejectedResult).reason;
      return { withdrawals: results.filter((r) => r.status === "fulfilled").length, overdrawn: Math.max(0, -loaded.state.balance), replayed: loaded.replayed };
    },
  }),

  cqrs: cqrsBuild,
  "cqrs-warmup": defineChallenge<CqrsSolution, "staleReads" | "meanReadMs">({
    id: "cqrs-warmup",
    title: "Read your own writes from a lagging read model",
    statement:
      "Fifty clients each deposit to their own account and immediately read the balance from the `balances` projection, which lags 20–60 ms behind the event store. Write `read` so that no client sees a balance without its own deposit, and reads stay fast (no fixed long sleeps).",
    targets: [
      { metric: "staleReads", label: "reads missing the client's own deposit", op: "==", value: 0, hint: "The client knows the position of its write: wait until the projection's checkpoint has reached it." },
      { metric: "meanReadMs", label: "mean time a read takes", op: "<=", value: 60, unit: "ms", hint: "Poll the checkpoint every few ms instead of sleeping a fixed, pessimistic time." },
    ],
    validate: (s) => fn("cqrs", "read", s?.read),
    async run(solution, seed) {
      const sim = new Simulation({ seed });
      const store = new EventStore(sim);
      const view = new Projection<Map<string, number>>(sim, store, { name: "balances", initial: () => new Map<string, number>(), apply: (m: Map<string, number>, e: RecordedEvent) => void m.set(e.streamId, (m.get(e.streamId) ?? 0) + Number(e.data.amount ?? 0)) }, { lagMs: dist.uniform(20, 60) });
      let stale = 0;
      let total = 0;
      await sim.run(() =>
        Promise.all(
          Array.from({ length: 50 }, async (_, i) => {
            await sim.sleep(i * 7);
            const account = `account-${i}`;
            // Amounts differ per client, so a constant answer is stale too.
            const amount = 100 + i * 10;
            const { position } = await store.appendToStream(account, { type: "MoneyDeposited", data: { amount } });
            const start = sim.now;
            const balance = await solution.read({ sim, view, account, position });
            total += sim.now - start;
            if (balance !== amount) stale++;
          }),
        ),
      );
      return { staleReads: stale, meanReadMs: total / 50 };
    },
  }),
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each challenge has its own solution type; the index keeps them apart.
} satisfies Record<string, Challenge<any> | BuildChallenge<any>>;
