/** Catalog entries of the "Distributed data" section, in the order its notebook teaches them. */
import type { PatternEntry } from "../types";

const file = "02-distributed-data.sdenb";
const faces = (id: string) => ({ notebook: { file, cell: id }, snippet: `snippets/${id}.ts`, diagram: `media/diagrams/${id}.mmd`, challenge: id });

export const distributedData: readonly PatternEntry[] = [
  {
    id: "horizontal-sharding",
    section: "distributed-data",
    title: "Horizontal sharding",
    summary: "Split one table's rows over several databases by a shard key: by key ranges or by a hash of the key.",
    whenToUse: [
      "One database can no longer hold the data or take the write load.",
      "Most queries name the shard key (a user id, a tenant id), so they touch one shard.",
      "Range sharding when range scans matter; hash sharding when even load matters more.",
    ],
    whenNotToUse: [
      "The data fits one machine with replicas: sharding adds routing, resharding and cross-shard queries.",
      "Queries mostly filter or join on fields other than the shard key: each becomes a scatter-gather.",
      "You need transactions across many rows that would land on different shards.",
    ],
    explanation: [
      "Horizontal sharding puts different **rows** of the same table on different database nodes. A router (in the application, a proxy, or the database itself) maps the shard key of each request to the shard that holds it.",
      "**Range sharding** assigns contiguous key ranges (user ids 1–1000 to `s1`, 1001–2000 to `s2`). Neighbouring keys stay together, so a range scan touches one or two shards; but if new keys are the busy ones, the last range becomes a hot spot, and the fix is to split it. HBase regions, Bigtable tablets and MongoDB's ranged shard keys work this way.",
      "**Hash sharding** assigns `hash(key) mod N` (or a position on a consistent-hash ring). Sequential ids spread evenly, but order is gone: a scan over a key range, or a query on any other field, must ask every shard and merge the answers (scatter-gather).",
      "Either way, a query that does not name the shard key costs N requests instead of one, and changing the number of shards moves data: how much depends on the placement (see consistent hashing).",
      "Each shard is usually **replicated** on N nodes. With leaderless quorums (Dynamo, Cassandra), a write waits for W acks and a read for R answers; when R + W > N every read overlaps the latest write's replicas, when R + W ≤ N a read can return an old value. A **hot key** overloads its shard whatever the hash; **salting** it over k sub-keys spreads the writes, and every read then sums k keys. A query on another field uses a **local** index (one per shard, always fresh, the query asks every shard) or a **global** index partitioned by the indexed value (one shard to ask, but each write also updates a remote index shard asynchronously, so the index lags).",
    ].join("\n\n"),
    interview: {
      answer:
        "Horizontal sharding splits a table's rows across databases by a shard key, so each node holds and serves only part of the data. The router maps a key to a shard either by range, which keeps neighbouring keys together and makes range scans cheap but invites hot spots when recent keys are busy, or by hash, which spreads load evenly but turns every range scan and every query on another field into a scatter-gather over all shards. Choosing the shard key is the big decision: it should appear in almost every query, have many distinct values, and spread writes. Costs I would name: cross-shard joins and transactions move into the application, resharding moves data, and per-shard monitoring is needed to spot hot shards. In the lab, with most reads on the newest ids, the last of three equal ranges took 2.7 times the mean load, and one split brought it to 1.8–1.9; the same data hash-sharded was evenly loaded but answered a 50-user scan by asking all three shards.",
      followUps: [
        { question: "How do you pick a shard key?", answer: "High cardinality, present in most queries, and not monotonic if writes must spread: a user or tenant id is typical; a timestamp is a classic hot-spot key unless you range-shard on purpose." },
        { question: "How do you fix a hot shard?", answer: "Split its range (range sharding), add a random or hashed prefix to the hot key, or move the hot tenant to its own shard; with hashing, a hot single key needs caching or key splitting." },
        { question: "How do you reshard without downtime?", answer: "Copy the moving ranges in the background, replicate changes made meanwhile, switch the router, then delete the old copies; placement that moves few keys (consistent hashing, many small ranges) keeps it cheap." },
      ],
    },
    ...faces("horizontal-sharding"),
    exports: ["ShardedStore", "RangeSharding", "hashSharding", "Simulation"],
    related: ["consistent-hashing", "vertical-partitioning"],
  },
  {
    id: "vertical-partitioning",
    section: "distributed-data",
    title: "Vertical partitioning",
    summary: "Put different tables, or different columns of a table, on different databases.",
    whenToUse: [
      "Parts of the schema have different sizes, access patterns or owners (a service per bounded context).",
      "A few large, rarely read columns (blobs, long texts) slow down the hot rows beside them.",
      "Tables that are joined often can stay together on one node.",
    ],
    whenNotToUse: [
      "Hot queries join the tables you would separate: every such join becomes two or more round trips.",
      "One table is itself too big or too busy: that needs horizontal sharding.",
      "You need a transaction across the separated tables.",
    ],
    explanation: [
      "Vertical partitioning splits the **schema**, not the rows: `users` on one database, `orders` on another, or the `bio` column of `users` on a third. Each node is smaller, can be sized and tuned for its data, and can belong to one team or service.",
      "The price is the join. Inside one database a join is one query; across partitions the application reads one side, then asks the other partition for the matching rows, and joins in memory: at least two sequential round trips, and every matching row of both sides crosses the network. Reading a whole row whose columns live on two partitions costs two requests.",
      "Place tables that are joined on hot paths together, and move away what is big and rarely read with them.",
    ].join("\n\n"),
    interview: {
      answer:
        "Vertical partitioning splits a database by schema: whole tables, or groups of columns, live on different nodes. You do it when parts of the data have different sizes, load or owners, for example when each microservice owns its tables, or when a large blob column makes the hot rows expensive to read and cache. The node for each part stays smaller and can be tuned for it. The cost shows up in joins: across partitions the database can no longer join for you, so the application reads one side, then fetches the matching rows from the other, and joins in memory. That is at least two sequential round trips and more rows on the wire; in the lab's run a user-orders join went from one round trip and 4 ms to two round trips and 8 ms. Transactions across partitions need 2PC or a saga. So I keep tables that hot queries join together, and split off what is big or rarely used with them.",
      followUps: [
        { question: "How is it different from horizontal sharding?", answer: "Sharding splits rows of one table by a key and keeps the schema whole on each shard; vertical partitioning splits the schema. Large systems do both: a service's tables on its own cluster, sharded by key." },
        { question: "How do you serve a page that needs data from two partitions?", answer: "Batch the second lookup (an IN list, not N+1 queries), cache, or keep a denormalised copy of the few columns the page needs, updated by events (a CQRS read model)." },
        { question: "What happens to foreign keys?", answer: "The database cannot enforce them across nodes; the application or asynchronous checks must, and deletes need a plan (soft deletes, events to the other side)." },
      ],
    },
    ...faces("vertical-partitioning"),
    exports: ["VerticalStore", "Simulation"],
    related: ["horizontal-sharding", "cqrs"],
  },
  {
    id: "consistent-hashing",
    section: "distributed-data",
    title: "Consistent hashing",
    summary: "Place keys on a hash ring so that adding or removing a node moves only about 1/N of the keys.",
    whenToUse: [
      "Nodes join and leave (caches, storage nodes) and moving keys is expensive.",
      "Clients must agree on the owner of a key without a central directory.",
      "You need replicas on distinct nodes: walk the ring to the next R nodes.",
    ],
    whenNotToUse: [
      "The node set never changes: `hash mod N` is simpler and spreads just as well.",
      "You need range scans over keys: hashing destroys key order.",
      "A few keys are hot: consistent hashing spreads keys, not load per key.",
    ],
    explanation: [
      "With `hash(key) mod N`, changing N changes the owner of almost every key: going from 4 to 5 nodes keeps a key only when `h mod 4 = h mod 5`, so about 80 % of keys move. A **consistent-hash ring** (Karger et al., 1997) hashes both nodes and keys onto a circle; a key belongs to the first node clockwise. A new node takes over only the arcs in front of its points, about 1/(N+1) of the keys, all from its neighbours and all to itself; a removed node's keys go to its successors.",
      "With one point per node, arcs differ wildly in length and so does the load. **Virtual nodes** give each node many points (Cassandra, Dynamo, ketama clients): the spread shrinks roughly as 1/√V, and weights become a matter of giving a bigger node more points. **Replicas** are the next R distinct nodes clockwise.",
      "**Rendezvous hashing** (highest random weight) needs no ring: every node scores the key and the highest score wins, with the same minimal movement, at O(N) hashes per lookup.",
      "**Fixed hash slots** (Redis Cluster): `CRC16(key) mod 16384` picks one of 16,384 slots and an explicit table maps slots to nodes, so adding a node moves whole slots (its fair share of keys), chosen by the operator; a hash tag (`{user42}:cart`) hashes only the part in braces, so related keys share a slot.",
    ].join("\n\n"),
    interview: {
      answer:
        "Consistent hashing maps both keys and nodes onto a hash ring; a key belongs to the first node clockwise from its hash. The point is what happens when membership changes: with hash mod N, going from four to five nodes moves about 80 % of the keys, which for a cache means a wave of misses and for storage a huge migration. On a ring, the new node only takes over the arcs in front of its points, about one fifth of the keys, and every moved key goes to the new node. To even out the load, each node gets many virtual nodes: in the lab, ten nodes with one point each had a spread of about 90 % of the mean, with 100 points about 10 %, with 1,000 about 3 %. Weights are just more points. Replication walks clockwise to the next distinct nodes, as Dynamo and Cassandra do. Rendezvous hashing gives the same minimal movement without a ring.",
      followUps: [
        { question: "Why virtual nodes?", answer: "A few random points cut the ring into very uneven arcs; many points per node average that out (spread ≈ 1/√V), spread a leaving node's keys over many successors, and make weights easy." },
        { question: "What does it not solve?", answer: "Hot keys (one key's load stays on one node) and range queries (order is lost); it also needs every client to see the same membership." },
        { question: "Ring or rendezvous hashing?", answer: "Both move ~1/(N+1) of keys; the ring looks up in O(log points) with memory for the points, rendezvous in O(N) hashes with no state, which suits small node sets." },
      ],
    },
    ...faces("consistent-hashing"),
    exports: ["HashRing", "ModNHashing", "RendezvousHashing", "movement", "loadStats", "vnodeSpread", "sampleKeys", "table"],
    related: ["horizontal-sharding"],
  },
  {
    id: "two-phase-commit",
    section: "distributed-data",
    title: "Two-phase commit",
    summary: "Commit one transaction across several databases atomically: prepare and vote, then commit or abort everywhere.",
    whenToUse: [
      "A few resource managers inside one trust and failure domain must commit atomically (XA, a database's own shards).",
      "You cannot accept the intermediate states a saga exposes.",
      "The coordinator is highly available (replicated log) and transactions are short.",
    ],
    whenNotToUse: [
      "Across services owned by different teams or over the internet: locks held during a coordinator outage stop everyone.",
      "High-throughput paths: two round trips and several forced log writes per commit.",
      "Participants that cannot hold locks for long or do not support prepare.",
    ],
    explanation: [
      "The coordinator sends **PREPARE** to every participant. A participant that can commit takes its locks, forces a prepare record to its log and votes **YES**: from then on it must be able to commit, and it may not change its mind. Any **NO** (or a missing vote) makes the coordinator abort. If every vote is YES, the coordinator forces a **COMMIT** record (the commit point), sends COMMIT, collects acks, and forgets the transaction.",
      "With **presumed abort**, the coordinator writes nothing before the decision and does not force or ack aborts: if it has no record of a transaction, the answer is abort.",
      "The weak spot is the window after a YES vote. A participant in doubt cannot decide alone: it holds its locks and asks the coordinator (and, with cooperative termination, its peers). If every participant voted YES and the coordinator is down, nobody knows the outcome, so everybody waits, holding locks, until it comes back. That is 2PC's **blocking** problem; three-phase commit and consensus-replicated coordinators (Spanner, for example) exist to avoid it.",
    ].join("\n\n"),
    interview: {
      answer:
        "Two-phase commit makes one transaction atomic across several databases. In phase one the coordinator asks every participant to prepare; each one takes its locks, forces a prepare record to disk and votes yes, which is a promise it can still commit whatever happens, or votes no. In phase two, if all voted yes the coordinator forces a commit record, which is the real commit point, and tells everyone to commit; any no or timeout means abort. The cost is two round trips and several forced log writes on the critical path: in the lab a commit took 15 ms against 8 ms locally. The real problem is blocking: after voting yes a participant may not decide alone, so if the coordinator crashes at that moment every participant waits with its locks held until it recovers. The lab shows ten seconds of blocked locks for a ten-second outage. So I use 2PC inside one system with a replicated coordinator, and sagas across services.",
      followUps: [
        { question: "What is presumed abort?", answer: "The coordinator logs nothing before deciding and does not force or ack aborts; when asked about a transaction it has no record of, it answers abort. It saves log writes and messages for the common abort case." },
        { question: "Can a participant time out and decide on its own?", answer: "Only before voting YES (then it aborts). After YES it must learn the decision: from the coordinator, or from a peer that knows it or that has not voted yet and therefore aborts." },
        { question: "How do real systems avoid the blocking?", answer: "They make the coordinator's decision highly available: Spanner and CockroachDB store transaction state in consensus-replicated groups, so a crashed coordinator is replaced, not waited for." },
      ],
    },
    ...faces("two-phase-commit"),
    exports: ["TwoPhaseCommit", "Simulation"],
    related: ["saga"],
  },
  {
    id: "saga",
    section: "distributed-data",
    title: "Saga",
    summary: "A sequence of local transactions; when one fails, compensating transactions undo the completed ones in reverse order.",
    whenToUse: [
      "A business transaction spans services that each own their data.",
      "Every step has a meaningful undo (cancel a booking, refund a payment).",
      "Temporary inconsistency visible to others is acceptable, or can be masked with a pending state.",
    ],
    whenNotToUse: [
      "Intermediate states must never be visible (balance transfers inside one bank's ledger).",
      "Steps cannot be compensated (an email sent, money paid out) and cannot be moved after the point of no return.",
      "All the data lives in one database: use its transaction.",
    ],
    explanation: [
      "A saga (Garcia-Molina and Salem, 1987) runs a long business transaction as local transactions T1…Tn, each committed at once in its own service. If Ti fails, the compensations C(i−1)…C1 run in reverse order and semantically undo what was done: the end state is all steps done, or all completed steps undone.",
      "Steps before the **pivot** are compensatable; the pivot is the point of no return; steps after it must be **retriable** until they succeed. Compensations are retried too, so they, and retried steps, must be **idempotent**. A step that timed out may have happened, so it is compensated as well.",
      "**Orchestration**: an orchestrator sends the commands and keeps the saga's state, which is easy to follow and test. **Choreography**: services react to each other's events; nothing central, but the flow is spread over the services.",
      "A saga has no isolation: others see intermediate states (an order that will be cancelled). Countermeasures include a **semantic lock** (a PENDING state others respect), commutative updates, and ordering the steps so that the risky ones come first.",
      "A **fuzzy (non-repeatable) read** is a saga reading one value in two steps while another saga's committed step changes it in between: an order charged one price and invoiced another. **Reread value** removes it: the later step checks the value is still the one the saga acted on, and if not it fails, so the saga compensates and starts again with fresh reads (in the lab, a median of 7 of 20 orders inconsistent over 8 seeds without it, none with it).",
      "**Try-confirm-cancel (TCC)** reserves instead of booking: each service offers try (hold the resource), confirm and cancel, all idempotent; the coordinator confirms every hold or cancels every hold, and a hold nobody confirms expires on the service's own timer.",
    ].join("\n\n"),
    interview: {
      answer:
        "A saga replaces one distributed transaction with a sequence of local transactions, each committed in its own service, plus a compensating action for each. If step three fails, the compensations for steps two and one run, in that order, so the system ends either fully done or fully undone, semantically. Compensations and retried steps must be idempotent because they get retried. I design around the pivot: compensatable steps first, then the step that cannot be undone, then steps that only ever retry, so risky steps like reserving stock come before charging the card. It can be orchestrated, with a coordinator that keeps state and is easy to trace, or choreographed through events, which is decoupled but harder to follow. The big trade-off is isolation: other readers see intermediate states. In the lab, a shipping service shipped ten orders that were later cancelled; creating orders as PENDING, a semantic lock, brought that to zero.",
      followUps: [
        { question: "Orchestration or choreography?", answer: "Orchestration when the flow has several steps or changes often: one place holds the state and the logic. Choreography for two or three services reacting to events, where a central coordinator would be overkill." },
        { question: "What if a compensation fails?", answer: "Retry it (it is idempotent) with backoff; if it keeps failing, mark the saga failed and alert a human. It must never be silently dropped." },
        { question: "How do you handle dirty reads?", answer: "Semantic locks (PENDING states), commutative updates, re-reading values before acting, and ordering steps so that the ones likely to fail come first." },
      ],
    },
    ...faces("saga"),
    exports: ["SagaOrchestrator", "Choreography", "sagaIsolationDemo", "Simulation", "response"],
    related: ["two-phase-commit", "event-sourcing"],
  },
  {
    id: "event-sourcing",
    section: "distributed-data",
    title: "Event sourcing",
    summary: "Store every change as an immutable event in an append-only stream; current state is a fold over the events.",
    whenToUse: [
      "The history itself matters: audits, finance, undo, debugging what happened.",
      "Several read models or services need to react to every change.",
      "Writes must be checked against the current state under concurrency (optimistic concurrency per stream).",
    ],
    whenNotToUse: [
      "Simple CRUD data whose history nobody needs.",
      "Teams new to it on a deadline: schema evolution, replays and projections add real work.",
      "Queries across many aggregates that you would have to build read models for first.",
    ],
    explanation: [
      "Instead of updating a row, an event-sourced aggregate appends facts (`MoneyDeposited`, `MoneyWithdrawn`) to its own stream. Loading it means replaying the stream through an `apply` function; a command is validated against that state (`decide`) and produces new events.",
      "Every append carries an **expected revision**: the revision the writer loaded. If another writer appended meanwhile, the append fails with a wrong-expected-version error and appends nothing; the command reloads and decides again. That is optimistic concurrency per stream, with no locks.",
      "Long streams get **snapshots** every N events, so a load replays at most N−1 events. Old event shapes are **upcast** on read, so the code only knows the newest version. **Subscriptions** deliver the history and then live events to projections and other services.",
    ].join("\n\n"),
    interview: {
      answer:
        "Event sourcing stores state as the sequence of events that produced it, in append-only streams, one per aggregate, such as an account with MoneyDeposited and MoneyWithdrawn. To handle a command you load the stream, fold the events into the current state, check the business rules, like the overdraft limit, and append the new events with the revision you loaded as the expected version. If someone else appended in between, the store rejects the append and you reload and retry; in the lab, two writers at the same expected version always end with exactly one success. Long streams get snapshots, so a load replays only the events since the last one, and old event versions are upcast when read. The benefits are a complete audit trail, the ability to rebuild or add read models by replaying, and natural integration through subscriptions. The costs are schema evolution of events forever, eventual consistency in read models, and a learning curve.",
      followUps: [
        { question: "How do you change an event's schema?", answer: "Never rewrite stored events; add a version and an upcaster that turns old versions into the new shape on read (or a new event type), and keep consumers tolerant of unknown fields." },
        { question: "Do snapshots replace the events?", answer: "No: a snapshot is a cache of the fold at a revision. The events stay the source of truth; snapshots can be deleted and rebuilt." },
        { question: "How do you query across accounts?", answer: "Not from the event store: build a read model with a projection that subscribes to the events (CQRS)." },
      ],
    },
    ...faces("event-sourcing"),
    exports: ["EventStore", "AggregateRepository", "bankAccount", "moneyDepositedV1toV2", "eventTable", "WrongExpectedVersionError", "describeLoad"],
    related: ["cqrs", "saga"],
  },
  {
    id: "cqrs",
    section: "distributed-data",
    title: "CQRS",
    summary: "Separate the write model (commands that validate and emit events) from read models built for queries, updated asynchronously.",
    whenToUse: [
      "Reads and writes have very different shapes or loads (many views of the same data).",
      "Queries need denormalised data from several aggregates or services.",
      "Often paired with event sourcing, whose log feeds the read models; an ordinary database with an outbox or change data capture works too.",
    ],
    whenNotToUse: [
      "Simple CRUD where one model serves both sides well.",
      "Users must always read their own writes at once and you cannot route those reads specially.",
      "The team cannot operate projections (lag monitoring, rebuilds).",
    ],
    explanation: [
      "Command Query Responsibility Segregation splits the model in two. **Commands** go to handlers that validate them against the write model and record the result, here as events. **Queries** read **read models**: denormalised views built by projections that follow the event log.",
      "Projections run asynchronously, so a read model **lags** the write side: a read right after a write may not see it. Measure the lag, show stale data honestly, or for a user's own writes wait until the projection's checkpoint has passed the write's position.",
      "A projection keeps a checkpoint and skips events it has already applied (idempotent), so redelivery is harmless, and a new or fixed projection is built by replaying the log from position 0.",
      "Carrying changes from an ordinary database to the read side is a dual write: save, then publish, and a crash in between loses the event. The **transactional outbox** saves the event in the same local transaction and a relay (or change data capture on the database log) publishes it, at least once.",
    ].join("\n\n"),
    interview: {
      answer:
        "CQRS separates writes from reads. Commands go to a handler that validates them against the write model and records what happened, typically as events; queries never touch that model but read denormalised read models that projections build from the events, shaped for each screen. Each side can then scale and evolve on its own: one write model, many read models, each in the store that suits its queries. The price is eventual consistency. Projections run asynchronously, so a read right after a write may not see it; in the lab, a balance read right after a deposit still showed the old value until the projection caught up 50 ms later. I handle that by measuring lag, by letting a client wait until the read model's checkpoint passes the position of its own write, or by answering from the command result. Projections keep checkpoints and are idempotent, so they can be rebuilt from the log at any time.",
      followUps: [
        { question: "Does CQRS require event sourcing?", answer: "No. The write side can be a normal database that publishes changes (an outbox or change data capture); event sourcing just makes the log a natural feed for projections." },
        { question: "How do you rebuild a read model?", answer: "Deploy the new projection, replay the log from position 0 into a new table while the old one serves, then switch reads over once it has caught up." },
        { question: "How do you give users read-your-writes?", answer: "Return the write's position with the command result and let the query wait (briefly) until the read model's checkpoint has reached it, or read that user's data from the write side." },
      ],
    },
    ...faces("cqrs"),
    exports: ["Projection", "EventStore", "AggregateRepository", "bankAccount", "Simulation"],
    related: ["event-sourcing", "vertical-partitioning"],
  },
];
