/** Catalog entries of the "Message brokers" section, in the order its notebook teaches them. */
import type { PatternEntry } from "../types";

const notebook = "04-messaging.sdenb";

export const messaging: readonly PatternEntry[] = [
  {
    id: "kafka",
    section: "messaging",
    title: "Kafka: a partitioned, replicated log",
    summary: "Producers append keyed records to partitions; consumer groups pull them and commit offsets; records stay after reading.",
    whenToUse: [
      "High-volume event streams that several independent services read at their own pace.",
      "Events that must stay in order per entity (per user, per account): key by that entity.",
      "When new consumers must replay history, or state must be rebuilt from the log.",
    ],
    whenNotToUse: [
      "Per-message routing rules, priorities or delayed retries: a broker with exchanges does that for you.",
      "A handful of messages per second where running and tuning a cluster costs more than it gives.",
      "When each message must go to exactly one of many workers that scale freely: consumers beyond the partition count sit idle.",
    ],
    explanation: [
      "A topic is split into **partitions**, each an append-only log replicated to several brokers. A producer picks the partition from the key (`toPositive(murmur2(key)) % partitions`), so all records of one key land in one partition, in order; records without a key are spread (round robin in kafkajs, a partition per batch in the Java client's sticky partitioner).",
      "",
      "Consumers in a **group** share the partitions: each partition has exactly one owner in the group. They **pull** batches from the leader and **commit offsets** (the next offset to read) to the group coordinator. When a member joins, leaves or stops heartbeating past the session timeout, the group rebalances and the new owners resume from the committed offsets.",
      "",
      "Records are not deleted when read: they stay until time or size retention removes old segments, or compaction keeps only the latest record per key. A new group can read everything again from offset 0.",
      "",
      "What an acknowledgement promises is the producer's choice: `acks=1` answers once the leader has the record (lost if the leader dies before a follower copies it), `acks=all` once every in-sync replica has it, and `min.insync.replicas` refuses `acks=all` writes (NOT_ENOUGH_REPLICAS) when too few replicas are in sync. An **idempotent producer** numbers its batches so the leader drops a retried duplicate. A record that keeps failing is moved to a **retry topic** and finally a **dead-letter topic** rather than retried in place, which would stall its partition.",
      "",
      "When every in-sync replica is down the partition stays offline until one returns; `unclean.leader.election.enable` (false by default since Kafka 0.11) lets a replica that is behind lead at once and lose the acknowledged records it never copied. With several requests in flight (kafkajs: no limit by default; Java's `max.in.flight.requests.per.connection`: 5) a retried batch can land behind later ones; an idempotent producer keeps order with up to 5 in flight because the leader refuses a sequence gap (OUT_OF_ORDER_SEQUENCE_NUMBER) and the Java client resends in order (kafkajs asks for `maxInFlightRequests: 1` with idempotence).",
    ].join("\n"),
    interview: {
      answer:
        "Kafka is a distributed commit log. A topic has partitions, each an ordered, append-only log replicated to a leader and followers. Producers choose the partition by hashing the key, so one key's records stay in order; there is no order across partitions. Consumers pull: a consumer group splits the partitions between its members, each member fetches batches and commits the offset it has processed up to. If a member dies, the coordinator notices after the session timeout, rebalances, and another member continues from the committed offset, so anything processed but not committed is processed again. Reads do not delete: retention or compaction does, so other groups can replay. Durability comes from acks=all with min.insync.replicas of two on a replication factor of three. Parallelism is capped by the partition count, which is why you choose it up front and key by the entity whose order matters.",
      followUps: [
        { question: "How do you keep the events of one order in sequence?", answer: "Use the order id as the key: the default partitioner sends a key to one partition, and a partition is read in order by one consumer of the group. Idempotent producers keep retries from reordering batches." },
        { question: "What happens when you add partitions?", answer: "New records of a key may map to a different partition, so per-key order breaks across the change; existing data does not move. Plan the count ahead, or migrate to a new topic." },
        { question: "Why is my consumer lag growing?", answer: "Consumers process slower than producers write, or some partitions are idle because there are fewer partitions than consumers or the keys are skewed. Add partitions and consumers, speed up processing, or fix the hot key." },
      ],
    },
    notebook: { file: notebook, cell: "kafka" },
    snippet: "snippets/kafka.ts",
    diagram: "media/diagrams/kafka.mmd",
    exports: ["Simulation", "Kafka", "Partitioners", "PartitionAssigners", "partitionForKey", "table"],
    related: ["rabbitmq", "kafka-vs-rabbitmq", "at-least-once", "exactly-once"],
    challenge: "kafka",
  },
  {
    id: "rabbitmq",
    section: "messaging",
    title: "RabbitMQ: exchanges, queues and acknowledgements",
    summary: "Publishers send to exchanges that route by key or headers into queues; the broker pushes to consumers up to their prefetch; an ack deletes the message.",
    whenToUse: [
      "Task queues: work spread over competing consumers, each message done once.",
      "Routing rules decided by the broker: by key pattern, by headers, to many queues at once.",
      "Per-message retries and parking of failures with dead-letter exchanges and TTLs.",
    ],
    whenNotToUse: [
      "When consumers must replay history or late readers need old messages: an acked message is gone.",
      "Very high throughput streams where batching and sequential disk writes matter most.",
      "When strict ordering matters and several consumers or requeues are involved.",
    ],
    explanation: [
      "A publisher sends a message to an **exchange** with a routing key. The exchange copies it into every **queue** whose binding matches: *direct* (equal key), *fanout* (all), *topic* (`*` one word, `#` zero or more) or *headers* (`x-match` all or any).",
      "",
      "The broker **pushes** messages to consumers, round robin among competing consumers, up to each consumer's **prefetch** of unacknowledged messages. An **ack** deletes the message; a **nack/reject** with requeue puts it back (flagged `redelivered`); without requeue, or when its TTL runs out or the queue is over its maximum length, it is dropped, or **dead-lettered** with an `x-death` header saying why if the queue names a dead-letter exchange (with `x-overflow: reject-publish` a full queue refuses new messages instead).",
      "",
      "Mistakes close the channel: publishing to a missing exchange is a 404, acking an unknown delivery tag is a 406.",
      "",
      "A **publisher confirm** says the broker took a message; only a persistent message on a durable queue survives a broker restart. **Request/reply** works over queues: the request names a reply queue (`replyTo`) and a `correlationId`, which the caller matches, dropping replies it gave up on.",
      "",
      "A **quorum queue** (`x-queue-type: quorum`, replicated with Raft and always durable) counts how often each message came back (`x-delivery-count`); past `x-delivery-limit` it dead-letters the message with reason `delivery_limit`, or drops it, so a poison message nacked with requeue cannot loop for ever as it does on a classic queue. RabbitMQ 4.0 sets the limit to 20 by default; 3.x has none.",
    ].join("\n"),
    interview: {
      answer:
        "RabbitMQ is a smart broker: producers publish to exchanges, never to consumers, and the exchange routes each message into queues by bindings. A direct exchange matches the key exactly, fanout copies to every bound queue, topic matches dot-separated words where star is one word and hash is zero or more, and headers matches on header values. The broker then pushes messages to consumers. Prefetch caps how many unacknowledged messages a consumer holds, which is how you balance fast and slow workers. A consumer acks after processing, and only then is the message deleted; if its channel dies first, the message is requeued and redelivered, so handlers must be idempotent. Nack without requeue, an expired TTL or a full queue send the message to the queue's dead-letter exchange, when it has one, which is the usual way to build retries and parking queues. Ordering holds only for one consumer without requeues.",
      followUps: [
        { question: "How do you retry a failed message after a delay?", answer: "Reject it without requeue into a retry queue that has a message TTL and dead-letters back to the work exchange; the x-death count tells you how many attempts were made, so you can park it after a limit." },
        { question: "What does prefetch do and how do you size it?", answer: "It limits unacknowledged messages per consumer. Too high and one slow consumer hoards the queue; too low and consumers wait a round trip per message. Start around the number of messages a consumer handles in one round trip time, then measure." },
        { question: "How do you avoid losing messages?", answer: "Durable queues and persistent messages survive a broker restart, publisher confirms tell the producer the broker took responsibility, and manual acks after processing make the broker redeliver what a dead consumer did not finish." },
      ],
    },
    notebook: { file: notebook, cell: "rabbitmq" },
    snippet: "snippets/rabbitmq.ts",
    diagram: "media/diagrams/rabbitmq.mmd",
    exports: ["Simulation", "RabbitMQ", "AmqpChannelError", "table"],
    related: ["kafka", "kafka-vs-rabbitmq", "at-least-once"],
    challenge: "rabbitmq",
  },
  {
    id: "kafka-vs-rabbitmq",
    section: "messaging",
    title: "Kafka vs RabbitMQ",
    summary: "Pull from a retained log vs push from a queue that forgets: replay, ordering, routing and throughput measured side by side.",
    whenToUse: [
      "Choose Kafka for event streams read by many services, replay, per-key order and high throughput.",
      "Choose RabbitMQ for task distribution, rich routing, per-message retries and priorities.",
    ],
    whenNotToUse: [
      "Do not pick by popularity: list what must happen to a message after it is consumed, and who else needs it.",
      "Do not use either as a database you query: both are transport, with different memories.",
    ],
    explanation: [
      "RabbitMQ is a **smart broker with simple consumers**: it routes, tracks each message per consumer, pushes, and forgets a message once acked. Kafka is a **simple broker with smart consumers**: it appends to partitioned logs, consumers pull and track their own position, and the log keeps records for everyone.",
      "",
      "Consequences you can measure: a late reader can replay a Kafka topic but not an acked RabbitMQ queue; Kafka keeps order per partition, RabbitMQ loses it with requeues and competing consumers; RabbitMQ routes subsets to queues, a Kafka reader filters what it reads; Kafka moves many records per request, RabbitMQ spends a frame per delivery and per ack.",
    ].join("\n"),
    interview: {
      answer:
        "The core difference is memory and who does the work. RabbitMQ is a smart broker with dumb consumers: exchanges route each message into queues, the broker pushes it to a consumer, and once acked the message is gone. Kafka is a dumb broker with smart consumers: producers append to partitioned logs, consumers pull batches and remember their own offsets, and records stay until retention, so any new consumer group can replay history. That gives Kafka per-partition ordering, replay and very high throughput from batching and sequential disk writes, at the cost of coarse routing and parallelism capped by partitions. RabbitMQ gives flexible routing by key patterns and headers, per-message acks, dead-lettering and priorities, which suits task queues and workflows, but ordering breaks with requeues and several consumers and there is no replay. I pick Kafka for event streams and RabbitMQ for work distribution.",
      followUps: [
        { question: "Can RabbitMQ replay messages?", answer: "Classic and quorum queues cannot: acked messages are deleted. RabbitMQ streams add an append-only log with offsets, which narrows the gap, but that is a different queue type with Kafka-like semantics." },
        { question: "Can Kafka route like a topic exchange?", answer: "Only by topic choice and partition key on the producer side; consumers subscribe to whole topics and filter. Kafka Streams or a router service can fan out into per-purpose topics." },
        { question: "Which one gives exactly-once?", answer: "Kafka offers transactions with idempotent producers and read_committed consumers for consume-transform-produce inside Kafka. Neither can make an external side effect exactly-once; that needs idempotent consumers." },
      ],
    },
    notebook: { file: notebook, cell: "kafka-vs-rabbitmq" },
    snippet: "snippets/kafka-vs-rabbitmq.ts",
    diagram: "media/diagrams/kafka-vs-rabbitmq.mmd",
    exports: ["compareKafkaRabbitMQ", "Simulation", "Kafka", "RabbitMQ"],
    related: ["kafka", "rabbitmq"],
    challenge: "kafka-vs-rabbitmq",
  },
  {
    id: "at-most-once",
    section: "messaging",
    title: "At-most-once delivery",
    summary: "Acknowledge or commit before processing: a crash never repeats a message, but loses what was acknowledged and not yet done.",
    whenToUse: [
      "Metrics, telemetry and logs where a small loss is acceptable and a double count is not.",
      "Notifications whose value expires quickly, so a late retry is worse than none.",
    ],
    whenNotToUse: [
      "Payments, orders, anything a customer would notice missing.",
      "When the consumer crashes often or batches are large: the loss grows with the batch.",
    ],
    explanation: [
      "The consumer commits the offset (Kafka) or acks (RabbitMQ, or `noAck` consumers) **before** it processes the message. If it crashes in between, the broker already counts the message as done and never delivers it again: lost.",
      "",
      "Nothing is ever processed twice, and the loss per crash is bounded by what was committed ahead of processing: a whole fetched batch if you commit per batch, one message if you commit per message.",
    ].join("\n"),
    interview: {
      answer:
        "At-most-once means each message is processed zero or one times, never twice. You get it by acknowledging before doing the work: with Kafka, commit the offset of a batch and then process it; with RabbitMQ, use automatic acknowledgement or ack on receipt; with a producer, send without retries. If the consumer crashes after the commit and before the work, the broker considers those messages consumed and will not deliver them again, so they are lost. The size of the loss is what was committed ahead of processing, so committing per small chunk bounds it. It is the cheapest guarantee, no deduplication and no retries, and it fits telemetry, metrics or expiring notifications where a duplicate would be worse than a gap. It is wrong for anything with money or state, where you want at-least-once with idempotent consumers instead.",
      followUps: [
        { question: "How many messages can one crash lose?", answer: "Everything acknowledged but not yet processed: a committed batch, or all prefetched messages of a noAck consumer. Smaller commit chunks shrink it at the cost of more commit requests." },
        { question: "Is Kafka's auto-commit at-most-once?", answer: "Not reliably either way: it commits on a timer, so a crash can lose records committed before processing or repeat records processed since the last commit. Choose the commit point explicitly." },
        { question: "Where does a producer lose messages?", answer: "With acks=0 or no retries: a dropped request or a leader failover loses records the producer believes sent. acks=1 loses what the leader had not replicated when it died." },
      ],
    },
    notebook: { file: notebook, cell: "at-most-once" },
    snippet: "snippets/at-most-once.ts",
    diagram: "media/diagrams/at-most-once.mmd",
    exports: ["Simulation", "Kafka", "table"],
    related: ["at-least-once", "exactly-once", "kafka"],
    challenge: "at-most-once",
  },
  {
    id: "at-least-once",
    section: "messaging",
    title: "At-least-once delivery with an idempotent consumer",
    summary: "Process first, then acknowledge: nothing is lost, crashes cause redeliveries, and a dedup store keyed by message id makes them harmless.",
    whenToUse: [
      "The default for business events: orders, payments, emails, anything that must not be lost.",
      "Whenever the handler can be made idempotent: by a dedup table, upserts or natural keys.",
    ],
    whenNotToUse: [
      "Side effects that cannot be deduplicated (a third-party call without an idempotency key) unless you add one.",
      "When the dedup store cannot be updated atomically with the effect: a crash between them re-applies the effect.",
    ],
    explanation: [
      "The consumer does the work, **then** commits or acks. A crash after the work and before the commit makes the broker deliver the message again: nothing is lost, some messages are processed twice.",
      "",
      "An **idempotent consumer** makes the second time harmless: it records each message id in the same database transaction as the effect, and skips ids it has already seen. Producers help by waiting for the broker's acknowledgement and retrying (Kafka's idempotent producer then drops the duplicates those retries would store), and RabbitMQ marks redeliveries with `redelivered`.",
    ].join("\n"),
    interview: {
      answer:
        "At-least-once means no message is lost but some are processed more than once. The consumer processes first and acknowledges after, and producers retry until the broker confirms. If the consumer dies after processing but before committing the offset or sending the ack, the broker redelivers, to it or to another group member after a rebalance, so the effect happens twice. That is why at-least-once always comes with idempotent consumers. The common design is a processed-messages table: in the same database transaction as the side effect, insert the message id, and skip the message if the id is already there. Upserts keyed by business ids or conditional updates work too. For calls to other systems, pass an idempotency key. With that in place you get effectively-once results on an at-least-once pipe, which is what most payment and order systems run on.",
      followUps: [
        { question: "Why must the dedup insert be in the same transaction as the effect?", answer: "Otherwise a crash between them leaves either the effect without the id, which is applied again on redelivery, or the id without the effect, which is then skipped and lost." },
        { question: "How long do you keep processed ids?", answer: "At least as long as a redelivery can arrive: the retention of the source plus the longest consumer outage you accept; many systems keep days and prune by time." },
        { question: "What causes redeliveries besides crashes?", answer: "Rebalances while a batch is in flight, commit failures, processing longer than the poll interval or session timeout, producer retries without idempotence, and RabbitMQ channel closes with unacked messages." },
      ],
    },
    notebook: { file: notebook, cell: "at-least-once" },
    snippet: "snippets/at-least-once.ts",
    diagram: "media/diagrams/at-least-once.mmd",
    exports: ["Simulation", "Kafka", "table"],
    related: ["at-most-once", "exactly-once", "rabbitmq"],
    challenge: "at-least-once",
  },
  {
    id: "exactly-once",
    section: "messaging",
    title: "Exactly-once with Kafka transactions",
    summary: "Consume, transform and produce in one transaction with the input offsets; read_committed readers see each result once.",
    whenToUse: [
      "Stream processing that reads Kafka and writes Kafka: aggregations, enrichment, routing between topics.",
      "When duplicates downstream are expensive and every step stays inside Kafka.",
    ],
    whenNotToUse: [
      "When the effect leaves Kafka (a database, an email, an API call): use an idempotent consumer there.",
      "Latency-critical paths: read_committed readers wait for the transaction to commit.",
    ],
    explanation: [
      "A **transactional producer** (a `transactionalId`, idempotent by design) sends the output records and, with `sendOffsets`, the consumer offsets of the input it has read, then commits. Commit markers make all of it visible at once; abort markers hide it.",
      "",
      "Downstream consumers with **read_committed** isolation read only up to the last stable offset and skip aborted records. If the worker crashes mid-transaction, a new instance with the same transactional id fences the old one and aborts its transaction, and the input is read again from the offsets committed with the last successful transaction: no loss, no duplicates.",
    ].join("\n"),
    interview: {
      answer:
        "Kafka's exactly-once is for consume-transform-produce pipelines that stay inside Kafka. Three pieces work together. The idempotent producer gives each batch a producer id and sequence number so the broker drops retried duplicates. Transactions let a producer with a transactional id write to several partitions and also commit the consumer group's input offsets with sendOffsets, atomically: either the outputs and the new offsets become visible together, or neither does. Consumers downstream use read_committed isolation, so they stop at the last stable offset and skip aborted records. If a worker crashes mid-transaction, the next instance with the same transactional id bumps the epoch, which fences the zombie and aborts its open transaction, and processing restarts from the last committed offsets. The limit is the boundary: a side effect outside Kafka, like a database write or an email, is not covered, so there you still need an idempotent consumer.",
      followUps: [
        { question: "What is a zombie and how is it fenced?", answer: "An old instance that is still alive after a new one took over, for example after a long GC pause. The new instance's initTransactions bumps the producer epoch; the broker rejects the old epoch, so the zombie cannot commit." },
        { question: "What does read_committed cost?", answer: "Latency: the reader cannot pass an open transaction, so records wait until their transaction commits, and a stuck transaction holds readers up until the transaction timeout aborts it." },
        { question: "Do I get exactly-once with a database sink?", answer: "Not from Kafka transactions. Write the offsets into the database in the same transaction as the data and seek to them on start, or make the writes idempotent." },
      ],
    },
    notebook: { file: notebook, cell: "exactly-once" },
    snippet: "snippets/exactly-once.ts",
    diagram: "media/diagrams/exactly-once.mmd",
    exports: ["Simulation", "Kafka", "compareDeliveryGuarantees", "table"],
    related: ["at-least-once", "at-most-once", "kafka"],
    challenge: "exactly-once",
  },
];
