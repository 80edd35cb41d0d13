/**
 * The simulated RabbitMQ broker (AMQP 0-9-1): exchanges (direct, fanout, topic, headers and
 * the default exchange), queues (FIFO, durable or not, exclusive, auto-delete, TTL,
 * max-length with overflow, dead-lettering with `x-death`; quorum queues with their delivery
 * count and limit), push delivery to consumers by prefetch and round robin, acks, requeues,
 * publisher confirms, and a broker node that faults can crash and restart (transient queues
 * and messages are lost, durable queues keep their persistent messages).
 *
 * Simplifications: one virtual host `/`; no priorities, stream queues, policies or
 * `x-max-length-bytes`; a quorum queue lives on the one node (no Raft replication); a lost
 * frame is retransmitted after 200 ms (TCP) and a network partition between a client and the
 * broker drops the connection at once (RabbitMQ would notice after missed heartbeats);
 * persisting a message takes no time.
 */
import { ConfigError } from "../../errors";
import { DISPLAY, markdown, table, type MimeBundle } from "../../display";
import type { Simulation } from "../../sim/simulation";
import { Random } from "../../sim/random";
import type { SimNode } from "../../sim/node";
import { byteLength, toBuffer, type Content } from "../content";
import { clientNode } from "../nodes";
import { AmqpChannelError, IllegalOperationError, type AmqpMethod } from "./errors";
import { send } from "../../sim/rpc";
import type { ClientFrame, ServerFrame } from "./protocol";
import { TopicMatcher, headersMatch } from "./routing";
import type { AmqpMessage, AssertExchangeOptions, AssertQueueOptions, ExchangeType, MessageProperties, ReturnedMessage } from "./types";
import { Connection } from "./channel";

/** Options of `new RabbitMQ(sim, options)`. Defaults in {@link RABBITMQ_DEFAULTS}. */
export interface RabbitMQOptions {
  /** Broker node name. Default `"rabbitmq"`. */
  name?: string;
}

/** Defaults of {@link RabbitMQOptions}. */
export const RABBITMQ_DEFAULTS = { name: "rabbitmq" } as const;

/** Counts of one queue. */
export interface QueueStats {
  /** Messages routed into the queue. */
  enqueued: number;
  /** Deliveries to consumers and `get`s, redeliveries included. */
  delivered: number;
  /** Of them, redeliveries (`redelivered = true`). */
  redelivered: number;
  acked: number;
  /** Messages put back by nack/reject with requeue or a closed channel. */
  requeued: number;
  /** Dead-lettered, by reason (`delivery_limit`: a quorum queue's `x-delivery-limit` was exceeded). */
  deadLettered: { rejected: number; expired: number; maxlen: number; delivery_limit?: number };
  /** Messages dropped without a dead-letter exchange (rejected, expired, overflow). */
  dropped: number;
  /** Publishes refused by `reject-publish` overflow. */
  refused: number;
}

/** @internal A message as a queue holds it. */
export interface StoredMessage {
  seq: number;
  content: Content;
  size: number;
  exchange: string;
  routingKey: string;
  properties: MessageProperties;
  persistent: boolean;
  expiresAt: number;
  redelivered: boolean;
  /** Quorum queues: how many times the message came back (nack/reject with requeue, channel closed). */
  deliveryCount?: number;
}

/** @internal */
export interface Binding {
  destination: string;
  /** Queue or exchange. */
  kind: "queue" | "exchange";
  routingKey: string;
  args: Record<string, unknown>;
  matcher?: TopicMatcher;
}

/** @internal */
export interface ExchangeState {
  name: string;
  type: ExchangeType;
  durable: boolean;
  autoDelete: boolean;
  internal: boolean;
  alternateExchange?: string;
  bindings: Binding[];
  /** An auto-delete exchange goes when its last binding goes (once it had one). */
  hadBinding?: boolean;
}

/** @internal */
export interface ConsumerReg {
  tag: string;
  queue: QueueState;
  channel: ServerChannel;
  noAck: boolean;
  /** Per-consumer unacked limit (0 = none), fixed when the consumer started. */
  prefetch: number;
  unacked: number;
  exclusive: boolean;
  /** Consumer priority (`x-priority`): higher gets messages first while it has room. Default 0. */
  priority: number;
}

/** @internal */
export interface Unacked {
  tag: number;
  message: StoredMessage;
  queue: QueueState;
  consumer?: ConsumerReg;
}

/** @internal The broker's side of a channel (the client knows only its number). */
export interface ServerChannel {
  id: number;
  conn: ServerConnection;
  unacked: Map<number, Unacked>;
  nextTag: number;
  consumers: Map<string, ConsumerReg>;
  /** Prefetch for consumers started from now on (global = false). */
  prefetchCount: number;
  /** Shared limit for the whole channel (global = true). */
  globalPrefetch: number;
  closed: boolean;
  confirm: boolean;
  publishSeq: number;
}

/** @internal One direction of a connection's byte stream: frames are handed over in the order sent (TCP). */
interface FrameStream {
  /** Segments sent and handed over so far (sequence numbers). */
  sent: number;
  next: number;
  /** Segments that arrived ahead of an earlier one. */
  held: Map<number, (() => void)[]>;
  /** Frames written at `outboxAt` and not yet sent. */
  outbox?: (() => void)[];
  outboxAt?: number;
}

/** @internal The broker's side of a connection. */
export interface ServerConnection {
  id: number;
  node: SimNode;
  channels: Map<number, ServerChannel>;
  closed: boolean;
  up: FrameStream;
  down: FrameStream;
  /** The authenticated user (a `userId` property must equal it). */
  user: string;
  /** The client's socket: where frames from the broker land. */
  client(frame: ServerFrame): void;
}

/** A lost frame is sent again after this long (TCP's retransmission). */
const RETRANSMIT_MS = 200;

/** @internal Normalised queue arguments. */
export interface QueueArgs {
  messageTtl?: number;
  expires?: number;
  deadLetterExchange?: string;
  deadLetterRoutingKey?: string;
  maxLength?: number;
  overflow: "drop-head" | "reject-publish" | "reject-publish-dlx";
  /** `x-single-active-consumer`: only the first consumer gets messages until it goes. */
  singleActiveConsumer: boolean;
  /** `x-queue-type`: `classic` (default) or `quorum` (replicated with Raft, always durable). */
  queueType: "classic" | "quorum";
  /** `x-delivery-limit` (quorum only): a message returned more often than this is dead-lettered or dropped. */
  deliveryLimit?: number;
}

/** @internal */
export class QueueState {
  private list: StoredMessage[] = [];
  private head = 0;
  readonly consumers: ConsumerReg[] = [];
  rr = 0;
  unacked = 0;
  hadConsumer = false;
  dispatchScheduled = false;
  expiryTimer?: { cancel(): void; at: number };
  expiresTimer?: { cancel(): void };
  readonly stats: QueueStats = { enqueued: 0, delivered: 0, redelivered: 0, acked: 0, requeued: 0, deadLettered: { rejected: 0, expired: 0, maxlen: 0 }, dropped: 0, refused: 0 };

  constructor(
    readonly name: string,
    readonly durable: boolean,
    readonly exclusiveOwner: ServerConnection | undefined,
    readonly autoDelete: boolean,
    readonly args: QueueArgs,
    readonly rawArgs: Record<string, unknown>,
  ) {}

  /** Ready messages. */
  get ready(): number {
    return this.list.length - this.head;
  }

  peek(): StoredMessage | undefined {
    return this.list[this.head];
  }

  shift(): StoredMessage | undefined {
    const m = this.list[this.head];
    if (m === undefined) return undefined;
    this.list[this.head++] = undefined as never;
    if (this.head > 1024 && this.head * 2 > this.list.length) {
      this.list = this.list.slice(this.head);
      this.head = 0;
    }
    return m;
  }

  push(m: StoredMessage): void {
    this.list.push(m);
  }

  /** Puts a message back where it was (by arrival order), as RabbitMQ does when it can. */
  requeue(m: StoredMessage): void {
    let lo = this.head;
    let hi = this.list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.list[mid]!.seq < m.seq) lo = mid + 1;
      else hi = mid;
    }
    if (lo === this.head && this.head > 0) {
      this.list[--this.head] = m;
      return;
    }
    this.list.splice(lo, 0, m);
  }

  /** Removes every ready message. */
  purge(): StoredMessage[] {
    const out = this.list.slice(this.head);
    this.list = [];
    this.head = 0;
    return out;
  }

  /** Ready messages, oldest first (a copy). */
  messages(): StoredMessage[] {
    return this.list.slice(this.head);
  }
}

const PREDECLARED: [string, ExchangeType][] = [
  ["amq.direct", "direct"],
  ["amq.fanout", "fanout"],
  ["amq.topic", "topic"],
  ["amq.headers", "headers"],
  ["amq.match", "headers"],
];

/** A simulated RabbitMQ broker. Clients connect with `await rabbit.connect()` (amqplib's `amqp.connect`). */
export class RabbitMQ {
  /** The broker's simulation node (crash it with `sim.faults.crash(rabbit.node.name)`). */
  readonly node: SimNode;
  /** @internal */ readonly exchanges = new Map<string, ExchangeState>();
  /** @internal */ readonly queues = new Map<string, QueueState>();
  /** @internal */ readonly connections = new Set<ServerConnection>();
  private seq = 0;
  /** Its own seeded source for server-generated names, so naming a queue draws nothing from the simulation's. */
  private readonly names: Random;
  private connSeq = 0;

  constructor(
    readonly sim: Simulation,
    options: RabbitMQOptions = {},
  ) {
    const name = options.name ?? RABBITMQ_DEFAULTS.name;
    if (typeof name !== "string" || name === "") throw new ConfigError("RabbitMQ", "name", name, "a non-empty string");
    const node = sim.service(name, () => {
      throw new Error("The RabbitMQ broker answers through its amqplib-shaped API, not node calls");
    }) as unknown as SimNode;
    const crash = node.crash.bind(node);
    node.crash = (loseState: boolean) => {
      crash(loseState);
      this.crashed();
    };
    this.node = node;
    this.names = new Random((Math.imul(sim.random.seed, 0x9e3779b1) ^ 0x52414242) >>> 0);
    this.declareDefaults();
  }

  private declareDefaults(): void {
    this.exchanges.set("", { name: "", type: "direct", durable: true, autoDelete: false, internal: false, bindings: [] });
    for (const [n, t] of PREDECLARED) if (!this.exchanges.has(n)) this.exchanges.set(n, { name: n, type: t, durable: true, autoDelete: false, internal: false, bindings: [] });
  }

  /** Opens a connection from a new client node (amqplib's `amqp.connect(url)`). */
  async connect(options: { name?: string } = {}): Promise<Connection> {
    const name = options.name ?? this.clientName();
    const node = clientNode(this.sim, name);
    if (!node.up) throw new IllegalOperationError(`${node.name} is down`);
    if (!this.node.up) throw new Error(`connect ECONNREFUSED: ${this.node.name} is down`);
    const stream = (): FrameStream => ({ sent: 0, next: 0, held: new Map() });
    const server: ServerConnection = { id: ++this.connSeq, node, channels: new Map(), closed: false, up: stream(), down: stream(), user: "guest", client: (frame) => client.receive(frame) };
    // The client gets a wire it can only send frames on; everything it learns comes back as frames.
    const client = new Connection(this.sim, node, this.node.name, { send: (frame) => this.toBroker(server, frame) });
    await client.open();
    return client;
  }

  private clientName(): string {
    let n: string;
    do n = `amqp-client-${++this.connSeq}`;
    while (this.sim.hasNode(n));
    this.connSeq--;
    return n;
  }

  // ---- frames on the wire --------------------------------------------------------------

  /** A client frame reaches the broker one network delay later, in order (a lost frame is retransmitted). */
  private toBroker(conn: ServerConnection, frame: ClientFrame): void {
    this.transmit(conn, "up", () => {
      if (this.node.up && !conn.closed) this.receive(conn, frame);
    });
  }

  /** @internal A broker frame reaches the client one network delay later, in order. */
  toClient(conn: ServerConnection, frame: ServerFrame): void {
    this.transmit(conn, "down", () => {
      if (conn.node.up) conn.client(frame);
    });
  }

  /**
   * The connection's TCP stream, on the simulation's one-way message primitive ({@link send}).
   * Frames written in the same instant travel as one segment (as a socket write coalesces
   * them), segments are handed over in the order they were sent, a lost segment is sent again
   * after {@link RETRANSMIT_MS}, and a partition drops the connection (RabbitMQ would notice
   * after missed heartbeats).
   */
  private transmit(conn: ServerConnection, direction: "up" | "down", handOver: () => void): void {
    const stream = direction === "up" ? conn.up : conn.down;
    if (stream.outbox && stream.outboxAt === this.sim.now) {
      stream.outbox.push(handOver);
      return;
    }
    const segment = [handOver];
    stream.outbox = segment;
    stream.outboxAt = this.sim.now;
    this.sim.schedule(0, () => {
      if (stream.outbox === segment) stream.outbox = undefined;
      this.ship(conn, direction, stream, segment);
    });
  }

  private ship(conn: ServerConnection, direction: "up" | "down", stream: FrameStream, segment: (() => void)[]): void {
    const seq = stream.sent++;
    const [from, to] = direction === "up" ? [conn.node.name, this.node.name] : [this.node.name, conn.node.name];
    const attempt = () => {
      const lost = send(this.sim, from, to, () => {
        stream.held.set(seq, segment);
        for (let next = stream.held.get(stream.next); next; next = stream.held.get(stream.next)) {
          stream.held.delete(stream.next++);
          for (const frame of next) frame();
        }
      });
      if (lost === "partition") this.dropConnection(conn, direction === "up" ? "network partition between client and broker" : "network partition between broker and client");
      else if (lost) this.sim.schedule(RETRANSMIT_MS, attempt);
    };
    attempt();
  }

  /** Serves one client frame: an RPC is answered with `reply` or `fail`; errors close the channel (or the connection). */
  private receive(conn: ServerConnection, frame: ClientFrame): void {
    if (frame.method === "BasicPublish") return this.publishFrame(conn, frame);
    if (frame.method === "ConnectionClose") return this.dropConnection(conn, "closed by client");
    const ch = "channel" in frame ? conn.channels.get(frame.channel) : undefined;
    if (frame.method === "BasicAck") {
      if (ch && !ch.closed) this.acknowledge(ch, frame.deliveryTag, frame.multiple, frame.outcome);
      return;
    }
    // Frames for a channel the broker already closed are discarded (AMQP: until Close-Ok).
    if ("channel" in frame && frame.method !== "ChannelOpen" && (!ch || ch.closed)) return;
    let result: unknown;
    try {
      result = this.answer(conn, ch!, frame);
    } catch (error) {
      if (!(error instanceof AmqpChannelError)) {
        this.toClient(conn, { type: "fail", id: frame.id, error: error as Error });
        return;
      }
      const e = error.operation ? error : new AmqpChannelError(error.code, error.replyText, frame.method);
      // The Channel.Close frame is the answer (one frame: the client rejects the call, then emits 'error' and 'close');
      // a connection error answers nothing: the connection closes and pending calls fail.
      if (ch) this.channelError(ch, e, frame.id);
      else this.dropConnection(conn, `${e.code} ${e.replyText}`, e);
      return;
    }
    this.toClient(conn, { type: "reply", id: frame.id, result });
  }

  /** The broker's work for one RPC frame; throws an {@link AmqpChannelError} to refuse. */
  private answer(conn: ServerConnection, ch: ServerChannel, f: Exclude<ClientFrame, { method: "BasicPublish" | "BasicAck" | "ConnectionClose" }>): unknown {
    switch (f.method) {
      case "ConnectionOpen":
        this.openConnection(conn);
        return {};
      case "ChannelOpen":
        conn.channels.set(f.channel, { id: f.channel, conn, unacked: new Map(), nextTag: 1, consumers: new Map(), prefetchCount: 0, globalPrefetch: 0, closed: false, confirm: false, publishSeq: 0 });
        return {};
      case "ChannelClose":
        this.closeChannel(ch);
        return {};
      case "ConfirmSelect":
        ch.confirm = true;
        return {};
      case "ExchangeDeclare":
        if (f.passive) {
          this.exchange(f.exchange, "ExchangeDeclare");
          return {};
        }
        this.assertExchange(f.exchange, f.type as ExchangeType, f.options);
        return { exchange: f.exchange };
      case "ExchangeDelete":
        this.deleteExchange(f.exchange, f.ifUnused);
        return {};
      case "QueueDeclare": {
        if (!f.passive) return this.assertQueue(conn, f.queue, f.options);
        const q = this.queue(conn, f.queue, "QueueDeclare");
        return { queue: f.queue, messageCount: q.ready, consumerCount: q.consumers.length };
      }
      case "QueueDelete":
        return this.deleteQueue(conn, f.queue, { ifUnused: f.ifUnused, ifEmpty: f.ifEmpty });
      case "QueuePurge":
        return this.purgeQueue(conn, f.queue);
      case "QueueBind":
      case "ExchangeBind":
        this.bind(f.method === "QueueBind" ? "queue" : "exchange", f.destination, f.source, f.pattern, f.args, conn);
        return {};
      case "QueueUnbind":
      case "ExchangeUnbind":
        this.unbind(f.method === "QueueUnbind" ? "queue" : "exchange", f.destination, f.source, f.pattern, f.args);
        return {};
      case "BasicQos":
        if (f.global) ch.globalPrefetch = f.count;
        else ch.prefetchCount = f.count;
        return {};
      case "BasicConsume":
        this.addConsumer(ch, this.queue(conn, f.queue, "BasicConsume"), f.consumerTag, f.noAck, f.exclusive, f.priority);
        return { consumerTag: f.consumerTag };
      case "BasicCancel": {
        const reg = ch.consumers.get(f.consumerTag);
        if (reg) this.cancelConsumer(reg);
        return { consumerTag: f.consumerTag };
      }
      case "BasicGet":
        return this.get(ch, this.queue(conn, f.queue, "BasicGet"), f.noAck);
      case "BasicRecover":
        this.acknowledge(ch, 0, true, "requeue");
        return {};
    }
  }

  /** basic.publish arrives: route it; return it if mandatory and unroutable; confirm it on a confirm channel. */
  private publishFrame(conn: ServerConnection, f: Extract<ClientFrame, { method: "BasicPublish" }>): void {
    const ch = conn.channels.get(f.channel);
    if (!ch || ch.closed) return;
    const seq = ch.confirm ? ++ch.publishSeq : 0;
    let routed: { queues: number; refused: boolean };
    try {
      routed = this.publish(conn, f.exchange, f.routingKey, f.content, f.properties);
    } catch (error) {
      if (!(error instanceof AmqpChannelError)) throw error;
      this.channelError(ch, error);
      return;
    }
    if (routed.queues === 0) {
      this.sim.metrics.counter("rabbitmq unroutable").inc();
      if (f.mandatory) {
        const { BCC: _bcc, ...headers } = f.properties.headers;
        void _bcc;
        const message: ReturnedMessage = { content: toBuffer(f.content), fields: { replyCode: 312, replyText: "NO_ROUTE", exchange: f.exchange, routingKey: f.routingKey }, properties: { ...f.properties, headers } };
        this.toClient(conn, { type: "return", channel: ch.id, message });
      }
    }
    if (seq > 0) this.toClient(conn, { type: "confirm", channel: ch.id, seq, ok: !routed.refused });
  }

  // ---- connections and channels --------------------------------------------------------

  /** @internal Registers a connection. */
  private openConnection(conn: ServerConnection): void {
    this.connections.add(conn);
    this.sim.trace.record("state", conn.node.name, this.node.name, "connection open");
    // A client process that dies closes its TCP connection: the broker notices at once.
    const node = conn.node;
    const crash = node.crash.bind(node);
    node.crash = (loseState: boolean) => {
      crash(loseState);
      for (const c of [...this.connections]) if (c.node === node) this.dropConnection(c, `${node.name} crashed`);
    };
  }

  /** @internal The connection is gone: channels close, unacked messages are requeued, exclusive queues deleted. */
  private dropConnection(conn: ServerConnection, reason: string, error?: AmqpChannelError): void {
    if (conn.closed) return;
    for (const ch of [...conn.channels.values()]) this.closeChannel(ch);
    conn.closed = true;
    this.connections.delete(conn);
    for (const q of [...this.queues.values()]) if (q.exclusiveOwner === conn) this.deleteQueueNow(q);
    this.sim.trace.record("state", conn.node.name, this.node.name, `connection closed (${reason})`);
    // A hard error is a Connection.Close frame on the wire; otherwise the socket closed and the client knows at once
    // (a partition would really take missed heartbeats).
    if (error) this.toClient(conn, { type: "connection-close", reason, error });
    else this.sim.wakeAt(this.sim.now, () => conn.client({ type: "connection-close", reason }));
  }

  /** @internal Broker-side channel close: requeue what it had unacked, cancel its consumers. */
  private closeChannel(ch: ServerChannel): void {
    if (ch.closed) return;
    ch.closed = true;
    ch.conn.channels.delete(ch.id);
    for (const c of [...ch.consumers.values()]) this.cancelConsumer(c);
    const back = [...ch.unacked.values()];
    ch.unacked.clear();
    for (const u of back) this.requeue(u);
  }

  /** @internal Closes a channel because of an error, and tells the client. */
  private channelError(ch: ServerChannel, error: AmqpChannelError, failed?: number): void {
    if (ch.closed) return;
    if (error.closesConnection) {
      this.sim.trace.record("state", this.node.name, ch.conn.node.name, `connection closed: ${error.code} ${error.replyText}`);
      this.dropConnection(ch.conn, `${error.code} ${error.replyText}`, error);
      return;
    }
    this.sim.trace.record("state", this.node.name, ch.conn.node.name, `channel ${ch.id} closed: ${error.code} ${error.replyText}`);
    this.sim.metrics.counter("rabbitmq channel errors").inc();
    this.closeChannel(ch);
    this.toClient(ch.conn, { type: "channel-close", channel: ch.id, error, failed });
  }

  // ---- broker restart --------------------------------------------------------------------

  private crashed(): void {
    this.sim.trace.state(this.node.name, "broker crashed: connections dropped; transient queues and messages lost");
    for (const conn of [...this.connections]) this.dropConnection(conn, "broker crashed");
    for (const q of [...this.queues.values()]) {
      if (!q.durable) {
        this.queues.delete(q.name);
        continue;
      }
      // A quorum queue writes every message to disk (its Raft log), persistent or not.
      const keep = q.purge().filter((m) => m.persistent || q.args.queueType === "quorum");
      for (const m of keep) q.push(m);
      q.consumers.length = 0;
      q.unacked = 0;
    }
    for (const [name, ex] of [...this.exchanges]) {
      if (!ex.durable) this.exchanges.delete(name);
      else ex.bindings = ex.bindings.filter((b) => (b.kind === "queue" ? this.queues.has(b.destination) : this.exchanges.get(b.destination)?.durable));
    }
  }

  // ---- declarations ------------------------------------------------------------------------

  /** @internal */
  private assertExchange(name: string, type: ExchangeType, options: AssertExchangeOptions): void {
    const valid: ExchangeType[] = ["direct", "fanout", "topic", "headers"];
    // An unknown type is a connection error in RabbitMQ (503 COMMAND_INVALID closes the connection).
    if (!valid.includes(type)) throw new AmqpChannelError(503, `COMMAND_INVALID - invalid exchange type '${String(type)}'`, "ExchangeDeclare");
    const existing = this.exchanges.get(name);
    if (name === "" || (name.startsWith("amq.") && !existing)) throw new AmqpChannelError(403, `ACCESS_REFUSED - exchange name '${name}' contains reserved prefix 'amq.'`, "ExchangeDeclare");
    const durable = options.durable ?? true;
    if (existing) {
      if (existing.type !== type) throw new AmqpChannelError(406, `PRECONDITION_FAILED - inequivalent arg 'type' for exchange '${name}' in vhost '/': received '${type}' but current is '${existing.type}'`, "ExchangeDeclare");
      const ae = options.alternateExchange ?? (options.arguments?.["alternate-exchange"] as string | undefined);
      const asked: [string, unknown, unknown][] = [
        ["durable", durable, existing.durable],
        ["auto_delete", options.autoDelete ?? false, existing.autoDelete],
        ["internal", options.internal ?? false, existing.internal],
        ["alternate-exchange", ae, existing.alternateExchange],
      ];
      for (const [arg, received, current] of asked) {
        if (received !== current) throw new AmqpChannelError(406, `PRECONDITION_FAILED - inequivalent arg '${arg}' for exchange '${name}' in vhost '/': received '${String(received ?? "none")}' but current is '${String(current ?? "none")}'`, "ExchangeDeclare");
      }
      return;
    }
    this.exchanges.set(name, {
      name,
      type,
      durable,
      autoDelete: options.autoDelete ?? false,
      internal: options.internal ?? false,
      alternateExchange: options.alternateExchange ?? (options.arguments?.["alternate-exchange"] as string | undefined),
      bindings: [],
    });
    this.sim.trace.state(this.node.name, `exchange ${name} (${type})`);
  }

  /** @internal */
  private exchange(name: string, operation?: string, method?: AmqpMethod): ExchangeState {
    const ex = this.exchanges.get(name);
    if (!ex) throw new AmqpChannelError(404, `NOT_FOUND - no exchange '${name}' in vhost '/'`, operation, method);
    return ex;
  }

  /** @internal */
  private deleteExchange(name: string, ifUnused: boolean): void {
    const ex = this.exchange(name, "ExchangeDelete");
    if (name === "" || name.startsWith("amq.")) throw new AmqpChannelError(403, `ACCESS_REFUSED - operation not permitted on the default exchange`, "ExchangeDelete");
    if (ifUnused && ex.bindings.length > 0) throw new AmqpChannelError(406, `PRECONDITION_FAILED - exchange '${name}' in vhost '/' in use`, "ExchangeDelete");
    this.deleteExchangeNow(ex);
  }

  /** @internal Declares (or checks) a queue; returns its name and counts. */
  private assertQueue(conn: ServerConnection, requested: string, options: AssertQueueOptions): { queue: string; messageCount: number; consumerCount: number } {
    const raw: Record<string, unknown> = { ...(options.arguments ?? {}) };
    const set = (k: string, v: unknown) => {
      if (v !== undefined) raw[k] = v;
    };
    set("x-message-ttl", options.messageTtl);
    set("x-expires", options.expires);
    set("x-dead-letter-exchange", options.deadLetterExchange);
    set("x-dead-letter-routing-key", options.deadLetterRoutingKey);
    set("x-max-length", options.maxLength);
    set("x-overflow", options.overflow);
    const name = requested === "" ? this.generatedName() : requested;
    const args = this.queueArgs(raw, name);
    const durable = options.durable ?? true;
    const exclusive = options.exclusive ?? false;
    const autoDelete = options.autoDelete ?? false;
    if (requested.startsWith("amq.")) throw new AmqpChannelError(403, `ACCESS_REFUSED - queue name '${requested}' contains reserved prefix 'amq.*'`, "QueueDeclare");
    const existing = this.queues.get(name);
    if (existing) {
      this.checkExclusive(conn, existing, "QueueDeclare");
      if (existing.durable !== durable) throw new AmqpChannelError(406, `PRECONDITION_FAILED - inequivalent arg 'durable' for queue '${name}' in vhost '/': received '${durable}' but current is '${existing.durable}'`, "QueueDeclare");
      if (existing.autoDelete !== autoDelete) throw new AmqpChannelError(406, `PRECONDITION_FAILED - inequivalent arg 'auto_delete' for queue '${name}' in vhost '/': received '${autoDelete}' but current is '${existing.autoDelete}'`, "QueueDeclare");
      // Only the arguments RabbitMQ knows are compared; others are kept but never checked.
      for (const k of new Set([...Object.keys(raw), ...Object.keys(existing.rawArgs)].filter((a) => KNOWN_QUEUE_ARGS.has(a)))) {
        const a = raw[k];
        const b = existing.rawArgs[k];
        if (a !== b) {
          throw new AmqpChannelError(
            406,
            `PRECONDITION_FAILED - inequivalent arg '${k}' for queue '${name}' in vhost '/': received ${a === undefined ? "none" : `the value '${String(a)}'`} but current is ${b === undefined ? "none" : `the value '${String(b)}'`}`,
            "QueueDeclare",
          );
        }
      }
      this.touch(existing);
      return { queue: name, messageCount: existing.ready, consumerCount: existing.consumers.length };
    }
    if (args.queueType === "quorum") {
      // A quorum queue is replicated and outlives any one connection (RabbitMQ's own checks and wording).
      const bad = !durable ? "non-durable" : exclusive ? "exclusive-owner" : autoDelete ? "auto-delete" : undefined;
      if (bad) throw new AmqpChannelError(406, `PRECONDITION_FAILED - invalid property '${bad}' for queue '${name}' in vhost '/'`, "QueueDeclare");
    }
    const q = new QueueState(name, durable, exclusive ? conn : undefined, autoDelete, args, raw);
    this.queues.set(name, q);
    this.touch(q);
    this.sim.trace.state(this.node.name, `queue ${name}${describeArgs(args)}`);
    return { queue: name, messageCount: 0, consumerCount: 0 };
  }

  private queueArgs(raw: Record<string, unknown>, name = ""): QueueArgs {
    const num = (k: string) => {
      const v = raw[k];
      if (v === undefined) return undefined;
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new AmqpChannelError(406, `PRECONDITION_FAILED - invalid arg '${k}' for queue: ${String(v)} (a whole number ≥ 0 of ms or messages)`, "QueueDeclare");
      return v;
    };
    const overflow = raw["x-overflow"] ?? "drop-head";
    if (overflow !== "drop-head" && overflow !== "reject-publish" && overflow !== "reject-publish-dlx") {
      throw new AmqpChannelError(406, `PRECONDITION_FAILED - invalid arg 'x-overflow' for queue: '${String(overflow)}' (drop-head, reject-publish or reject-publish-dlx)`, "QueueDeclare");
    }
    const dlx = raw["x-dead-letter-exchange"];
    const dlrk = raw["x-dead-letter-routing-key"];
    const queueType = raw["x-queue-type"] ?? "classic";
    if (queueType !== "classic" && queueType !== "quorum") {
      throw new AmqpChannelError(406, `PRECONDITION_FAILED - invalid arg 'x-queue-type' for queue: '${String(queueType)}' (the simulation has classic and quorum queues; streams are not simulated)`, "QueueDeclare");
    }
    if (queueType === "classic" && raw["x-delivery-limit"] !== undefined) {
      // RabbitMQ 3.10 refuses it: classic queues count no deliveries.
      throw new AmqpChannelError(406, `PRECONDITION_FAILED - invalid arg 'x-delivery-limit' for queue '${name}' in vhost '/' of queue type rabbit_classic_queue (only quorum queues have a delivery limit: add arguments: { "x-queue-type": "quorum" })`, "QueueDeclare");
    }
    return {
      messageTtl: num("x-message-ttl"),
      expires: num("x-expires"),
      maxLength: num("x-max-length"),
      deadLetterExchange: typeof dlx === "string" ? dlx : undefined,
      deadLetterRoutingKey: typeof dlrk === "string" ? dlrk : undefined,
      overflow,
      singleActiveConsumer: raw["x-single-active-consumer"] === true,
      queueType,
      // No limit unless set, as RabbitMQ 3.x (the differential suite's 3.10); 4.0 made it 20.
      deliveryLimit: num("x-delivery-limit"),
    };
  }

  /** A server-generated queue name: `amq.gen-` and 22 random URL-safe characters (from the seeded source), as RabbitMQ. */
  private generatedName(): string {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let name: string;
    do {
      name = "amq.gen-";
      for (let i = 0; i < 22; i++) name += alphabet[this.names.int(0, 63)];
    } while (this.queues.has(name));
    return name;
  }

  /** @internal */
  private queue(conn: ServerConnection | undefined, name: string, operation: string): QueueState {
    const q = this.queues.get(name);
    if (!q) throw new AmqpChannelError(404, `NOT_FOUND - no queue '${name}' in vhost '/'`, operation);
    if (conn) this.checkExclusive(conn, q, operation);
    return q;
  }

  private checkExclusive(conn: ServerConnection, q: QueueState, operation: string): void {
    if (q.exclusiveOwner && q.exclusiveOwner !== conn) throw new AmqpChannelError(405, `RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '${q.name}' in vhost '/'`, operation);
  }

  /** Resets the queue's `x-expires` clock. */
  private touch(q: QueueState): void {
    const ttl = q.args.expires;
    if (ttl === undefined) return;
    q.expiresTimer?.cancel();
    q.expiresTimer = this.sim.schedule(ttl, () => {
      if (this.queues.get(q.name) !== q || q.consumers.length > 0) return;
      this.sim.trace.state(this.node.name, `queue ${q.name} expired (unused for ${ttl} ms)`);
      this.deleteQueueNow(q);
    });
  }

  /** @internal */
  private deleteQueue(conn: ServerConnection, name: string, options: { ifUnused?: boolean; ifEmpty?: boolean }): { messageCount: number } {
    const q = this.queue(conn, name, "QueueDelete");
    if (options.ifUnused && q.consumers.length > 0) throw new AmqpChannelError(406, `PRECONDITION_FAILED - queue '${name}' in vhost '/' in use`, "QueueDelete");
    if (options.ifEmpty && q.ready > 0) throw new AmqpChannelError(406, `PRECONDITION_FAILED - queue '${name}' in vhost '/' not empty`, "QueueDelete");
    const count = q.ready;
    this.deleteQueueNow(q);
    return { messageCount: count };
  }

  private deleteQueueNow(q: QueueState): void {
    if (this.queues.get(q.name) !== q) return;
    this.queues.delete(q.name);
    q.expiryTimer?.cancel();
    q.expiresTimer?.cancel();
    // Consumers of a deleted queue are told (basic.cancel from the server; amqplib calls back with null).
    for (const c of [...q.consumers]) {
      this.cancelConsumer(c);
      const ch = c.channel;
      this.toClient(ch.conn, { type: "cancel", channel: ch.id, consumerTag: c.tag });
    }
    for (const e of this.exchanges.values()) this.removeBindings(e, (b) => b.kind === "queue" && b.destination === q.name);
  }

  /** Removes bindings of an exchange; an auto-delete exchange left with none is deleted. */
  private removeBindings(e: ExchangeState, drop: (b: Binding) => boolean): void {
    const before = e.bindings.length;
    e.bindings = e.bindings.filter((b) => !drop(b));
    if (e.autoDelete && e.hadBinding && before > 0 && e.bindings.length === 0 && this.exchanges.get(e.name) === e) this.deleteExchangeNow(e);
  }

  private deleteExchangeNow(ex: ExchangeState): void {
    this.exchanges.delete(ex.name);
    for (const e of [...this.exchanges.values()]) this.removeBindings(e, (b) => b.kind === "exchange" && b.destination === ex.name);
  }

  /** @internal */
  private purgeQueue(conn: ServerConnection, name: string): { messageCount: number } {
    const q = this.queue(conn, name, "QueuePurge");
    return { messageCount: q.purge().length };
  }

  /** @internal */
  private bind(kind: "queue" | "exchange", destination: string, source: string, routingKey: string, args: Record<string, unknown>, conn: ServerConnection): void {
    const operation = kind === "queue" ? "QueueBind" : "ExchangeBind";
    if (kind === "queue") this.queue(conn, destination, operation);
    else this.exchange(destination, operation);
    const ex = this.exchange(source, operation);
    if (source === "") throw new AmqpChannelError(403, `ACCESS_REFUSED - operation not permitted on the default exchange`, operation);
    if (ex.bindings.some((b) => b.kind === kind && b.destination === destination && b.routingKey === routingKey && sameArgs(b.args, args))) return;
    ex.bindings.push({ kind, destination, routingKey, args, matcher: ex.type === "topic" ? new TopicMatcher(routingKey) : undefined });
    ex.hadBinding = true;
  }

  /** @internal */
  private unbind(kind: "queue" | "exchange", destination: string, source: string, routingKey: string, args: Record<string, unknown>): void {
    const ex = this.exchange(source, kind === "queue" ? "QueueUnbind" : "ExchangeUnbind");
    this.removeBindings(ex, (b) => b.kind === kind && b.destination === destination && b.routingKey === routingKey && sameArgs(b.args, args));
  }

  // ---- routing and enqueueing ---------------------------------------------------------------

  /** Queues a message published to `exchange` with `routingKey` would reach (a dry run of the routing). */
  route(exchange: string, routingKey: string, headers: Record<string, unknown> = {}): string[] {
    const out = new Set<string>();
    this.routeInto(this.exchange(exchange), routingKey, headers, out, new Set());
    return [...out];
  }

  private routeInto(ex: ExchangeState, key: string, headers: Record<string, unknown>, out: Set<string>, seen: Set<string>): void {
    if (seen.has(ex.name)) return;
    seen.add(ex.name);
    const before = out.size;
    if (ex.name === "") {
      if (this.queues.has(key)) out.add(key);
      return;
    }
    for (const b of ex.bindings) {
      let hit: boolean;
      switch (ex.type) {
        case "direct":
          hit = b.routingKey === key;
          break;
        case "fanout":
          hit = true;
          break;
        case "topic":
          hit = b.matcher!.matches(key);
          break;
        case "headers":
          hit = headersMatch(b.args, headers);
          break;
      }
      if (!hit) continue;
      if (b.kind === "queue") out.add(b.destination);
      else {
        const dest = this.exchanges.get(b.destination);
        if (dest) this.routeInto(dest, key, headers, out, seen);
      }
    }
    if (out.size === before && ex.alternateExchange) {
      const alt = this.exchanges.get(ex.alternateExchange);
      if (alt) this.routeInto(alt, key, headers, out, seen);
    }
  }

  /**
   * @internal A publish arrives: route it, enqueue it in every matching queue, confirm it.
   * Returns the queues it reached and whether any refused it (reject-publish overflow).
   */
  private publish(conn: ServerConnection, exchange: string, routingKey: string, content: Content, properties: MessageProperties): { queues: number; refused: boolean } {
    const ex = this.exchange(exchange, undefined, "BasicPublish");
    if (ex.internal) throw new AmqpChannelError(403, `ACCESS_REFUSED - cannot publish to internal exchange '${exchange}' in vhost '/'`, undefined, "BasicPublish");
    if (properties.userId !== undefined && properties.userId !== conn.user) throw new AmqpChannelError(406, `PRECONDITION_FAILED - user_id property set to '${properties.userId}' but authenticated user was '${conn.user}'`, undefined, "BasicPublish");
    // Sender-selected distribution: CC and BCC headers add routing keys; BCC is removed before delivery.
    const cc = properties.headers["CC"];
    const bcc = properties.headers["BCC"];
    const extraKeys = [...(Array.isArray(cc) ? cc.map(String) : []), ...(Array.isArray(bcc) ? bcc.map(String) : [])];
    if (bcc !== undefined) {
      const { BCC: _bcc, ...rest } = properties.headers;
      void _bcc;
      properties = { ...properties, headers: rest };
    }
    const persistent = properties.deliveryMode === 2;
    const size = byteLength(content);
    let refused = false;
    // Fast path: the default exchange routes by queue name.
    if (ex.name === "" && extraKeys.length === 0) {
      const q = this.queues.get(routingKey);
      if (!q) return { queues: 0, refused };
      refused = !this.enqueue(q, { seq: ++this.seq, content, size, exchange, routingKey, properties, persistent, expiresAt: Infinity, redelivered: false });
      return { queues: 1, refused };
    }
    const targets = new Set<string>();
    this.routeInto(ex, routingKey, properties.headers, targets, new Set());
    for (const k of extraKeys) this.routeInto(ex, k, properties.headers, targets, new Set());
    for (const name of targets) {
      const q = this.queues.get(name)!;
      const ok = this.enqueue(q, { seq: ++this.seq, content, size, exchange, routingKey, properties, persistent, expiresAt: Infinity, redelivered: false });
      if (!ok) refused = true;
    }
    return { queues: targets.size, refused };
  }

  /** Puts a message at the tail of a queue, applying TTL and the length limit; false if refused. */
  private enqueue(q: QueueState, m: StoredMessage): boolean {
    const now = this.sim.now;
    const perMessage = m.properties.expiration !== undefined ? Number(m.properties.expiration) : undefined;
    const ttl = Math.min(q.args.messageTtl ?? Infinity, perMessage ?? Infinity);
    // Each queue gets its own message object (made by the caller), so it can be updated in place.
    const msg = m;
    msg.expiresAt = ttl === Infinity ? Infinity : now + ttl;
    if (ttl === 0) {
      // RabbitMQ: a TTL of 0 expires the message at once unless a consumer can take it right away.
      q.stats.enqueued++;
      const c = q.ready === 0 ? this.nextConsumer(q) : undefined;
      if (c) this.deliver(c, msg);
      else this.deadLetter(q, msg, "expired");
      return true;
    }
    const max = q.args.maxLength;
    if (max !== undefined && q.ready >= max) {
      if (q.args.overflow !== "drop-head") {
        q.stats.refused++;
        if (q.args.overflow === "reject-publish-dlx") this.deadLetter(q, msg, "maxlen");
        return false;
      }
      while (q.ready >= max && q.ready > 0) this.deadLetter(q, q.shift()!, "maxlen");
      if (max === 0) {
        q.stats.enqueued++;
        this.deadLetter(q, msg, "maxlen");
        return true;
      }
    }
    q.push(msg);
    q.stats.enqueued++;
    this.armExpiry(q);
    this.scheduleDispatch(q);
    return true;
  }

  /** Expires messages at the head of the queue when their time comes (only the head, as RabbitMQ). */
  private armExpiry(q: QueueState): void {
    const head = q.peek();
    if (!head || head.expiresAt === Infinity) return;
    if (q.expiryTimer && q.expiryTimer.at <= head.expiresAt) return;
    q.expiryTimer?.cancel();
    const at = head.expiresAt;
    const timer = this.sim.at(at, () => {
      if (q.expiryTimer === handle) q.expiryTimer = undefined;
      this.expireHead(q);
      this.armExpiry(q);
    });
    const handle = { cancel: () => timer.cancel(), at };
    q.expiryTimer = handle;
  }

  private expireHead(q: QueueState): void {
    const now = this.sim.now;
    for (let m = q.peek(); m && m.expiresAt <= now; m = q.peek()) this.deadLetter(q, q.shift()!, "expired");
  }

  /**
   * @internal Dead-letters a message from queue `q` for `reason`: republished to the queue's
   * dead-letter exchange with an updated `x-death` header, or dropped if there is none.
   */
  private deadLetter(q: QueueState, m: StoredMessage, reason: XDeath["reason"]): void {
    const dlx = q.args.deadLetterExchange;
    const ex = dlx !== undefined ? this.exchanges.get(dlx) : undefined;
    this.sim.trace.state(`queue ${q.name}`, `${reason}: ${ex ? `dead-lettered to ${dlx === "" ? "(default)" : dlx}` : "dropped"}`);
    if (!ex) {
      q.stats.dropped++;
      return;
    }
    q.stats.deadLettered[reason] = (q.stats.deadLettered[reason] ?? 0) + 1;
    const headers = { ...m.properties.headers };
    const deaths = Array.isArray(headers["x-death"]) ? [...(headers["x-death"] as XDeath[])] : [];
    const i = deaths.findIndex((d) => d.queue === q.name && d.reason === reason);
    const time: AmqpTimestamp = { "!": "timestamp", value: Math.floor(this.sim.now / 1000) };
    const entry: XDeath =
      i >= 0
        ? { ...deaths[i]!, count: deaths[i]!.count + 1, time }
        : { count: 1, reason, queue: q.name, time, exchange: m.exchange, "routing-keys": [m.routingKey], ...(m.properties.expiration !== undefined && reason === "expired" ? { "original-expiration": m.properties.expiration } : {}) };
    if (i >= 0) deaths.splice(i, 1);
    deaths.unshift(entry);
    headers["x-death"] = deaths;
    headers["x-first-death-queue"] ??= q.name;
    headers["x-first-death-reason"] ??= reason;
    headers["x-first-death-exchange"] ??= m.exchange;
    headers["x-last-death-queue"] = q.name;
    headers["x-last-death-reason"] = reason;
    headers["x-last-death-exchange"] = m.exchange;
    const properties: MessageProperties = { ...m.properties, headers };
    // The per-message TTL is removed so the message does not expire again where it lands.
    properties.expiration = undefined;
    const key = q.args.deadLetterRoutingKey ?? m.routingKey;
    const targets = new Set<string>();
    this.routeInto(ex, key, headers, targets, new Set());
    for (const name of targets) {
      const target = this.queues.get(name)!;
      // A fully automatic dead-letter cycle (no rejection in it) drops the message, as RabbitMQ does.
      if (deaths.some((d) => d.queue === name) && deaths.every((d) => d.reason !== "rejected")) {
        target.stats.dropped++;
        continue;
      }
      this.enqueue(target, { ...m, seq: ++this.seq, exchange: dlx!, routingKey: key, properties, redelivered: false, expiresAt: Infinity });
    }
  }

  // ---- consumers and delivery -----------------------------------------------------------------

  /** @internal */
  private addConsumer(ch: ServerChannel, q: QueueState, tag: string, noAck: boolean, exclusive: boolean, priority = 0): ConsumerReg {
    if (exclusive && q.consumers.length > 0) throw new AmqpChannelError(403, `ACCESS_REFUSED - queue '${q.name}' in vhost '/' in exclusive use`, "BasicConsume");
    if (q.consumers.some((c) => c.exclusive)) throw new AmqpChannelError(403, `ACCESS_REFUSED - queue '${q.name}' in vhost '/' in exclusive use`, "BasicConsume");
    if (ch.consumers.has(tag)) throw new AmqpChannelError(530, `NOT_ALLOWED - attempt to reuse consumer tag '${tag}'`, "BasicConsume");
    const reg: ConsumerReg = { tag, queue: q, channel: ch, noAck, prefetch: ch.prefetchCount, unacked: 0, exclusive, priority };
    q.consumers.push(reg);
    q.hadConsumer = true;
    ch.consumers.set(tag, reg);
    q.expiresTimer?.cancel();
    this.scheduleDispatch(q);
    return reg;
  }

  /** @internal */
  private cancelConsumer(c: ConsumerReg): void {
    const q = c.queue;
    const i = q.consumers.indexOf(c);
    if (i >= 0) q.consumers.splice(i, 1);
    c.channel.consumers.delete(c.tag);
    if (q.autoDelete && q.hadConsumer && q.consumers.length === 0) {
      this.sim.trace.state(this.node.name, `queue ${q.name} auto-deleted (last consumer gone)`);
      this.deleteQueueNow(q);
    } else this.touch(q);
  }

  /** @internal Runs a dispatch pass for the queue at the current time (once per tick). */
  private scheduleDispatch(q: QueueState): void {
    if (q.dispatchScheduled || q.consumers.length === 0 || q.ready === 0) return;
    q.dispatchScheduled = true;
    this.sim.schedule(0, () => {
      q.dispatchScheduled = false;
      this.dispatch(q);
    });
  }

  private hasRoom(c: ConsumerReg): boolean {
    if (c.noAck) return true;
    if (c.prefetch > 0 && c.unacked >= c.prefetch) return false;
    const ch = c.channel;
    if (ch.globalPrefetch > 0 && ch.unacked.size >= ch.globalPrefetch) return false;
    return true;
  }

  /**
   * The consumer the next message goes to: with a single active consumer, only the first
   * registered; otherwise the highest-priority consumers that have room under their prefetch,
   * round robin among equals (lower priorities get messages only while all higher are full).
   */
  private nextConsumer(q: QueueState): ConsumerReg | undefined {
    if (q.args.singleActiveConsumer) {
      const active = q.consumers[0];
      return active && this.hasRoom(active) ? active : undefined;
    }
    const n = q.consumers.length;
    let best: number | undefined;
    for (const c of q.consumers) if (this.hasRoom(c) && (best === undefined || c.priority > best)) best = c.priority;
    if (best === undefined) return undefined;
    for (let k = 0; k < n; k++) {
      const c = q.consumers[(q.rr + k) % n]!;
      if (c.priority === best && this.hasRoom(c)) {
        q.rr = (q.rr + k + 1) % n;
        return c;
      }
    }
    return undefined;
  }

  private dispatch(q: QueueState): void {
    if (this.queues.get(q.name) !== q || !this.node.up) return;
    const now = this.sim.now;
    while (q.ready > 0 && q.consumers.length > 0) {
      const head = q.peek()!;
      if (head.expiresAt < now) {
        this.deadLetter(q, q.shift()!, "expired");
        continue;
      }
      const chosen = this.nextConsumer(q);
      if (!chosen) break;
      this.deliver(chosen, q.shift()!);
    }
    this.armExpiry(q);
  }

  private deliver(c: ConsumerReg, m: StoredMessage): void {
    const q = c.queue;
    const ch = c.channel;
    const tag = ch.nextTag++;
    q.stats.delivered++;
    if (m.redelivered) q.stats.redelivered++;
    if (c.noAck) q.stats.acked++;
    else {
      ch.unacked.set(tag, { tag, message: m, queue: q, consumer: c });
      c.unacked++;
      q.unacked++;
    }
    const message: AmqpMessage = {
      content: toBuffer(m.content),
      fields: { consumerTag: c.tag, deliveryTag: tag, redelivered: m.redelivered, exchange: m.exchange, routingKey: m.routingKey },
      properties: deliveredProperties(q, m),
    };
    this.toClient(ch.conn, { type: "deliver", channel: ch.id, consumerTag: c.tag, message });
  }

  /** @internal basic.get: one message or none. */
  private get(ch: ServerChannel, q: QueueState, noAck: boolean): AmqpMessage | false {
    this.expireHead(q);
    this.touch(q);
    const m = q.shift();
    if (!m) return false;
    const tag = ch.nextTag++;
    q.stats.delivered++;
    if (m.redelivered) q.stats.redelivered++;
    if (noAck) q.stats.acked++;
    else {
      ch.unacked.set(tag, { tag, message: m, queue: q });
      q.unacked++;
    }
    return { content: toBuffer(m.content), fields: { deliveryTag: tag, redelivered: m.redelivered, exchange: m.exchange, routingKey: m.routingKey, messageCount: q.ready }, properties: deliveredProperties(q, m) };
  }

  private settle(u: Unacked): void {
    u.queue.unacked--;
    if (u.consumer) {
      u.consumer.unacked--;
      this.scheduleDispatch(u.queue);
    }
    // A global prefetch frees room for every consumer on the channel.
    for (const c of u.consumer?.channel.consumers.values() ?? []) if (c.queue !== u.queue) this.scheduleDispatch(c.queue);
  }

  private requeue(u: Unacked): void {
    if (this.queues.get(u.queue.name) !== u.queue) return;
    this.settle(u);
    let back: StoredMessage = { ...u.message, redelivered: true };
    if (u.queue.args.queueType === "quorum") {
      // Quorum queues count returns (3.x: a nack/reject with requeue and a closed channel alike)
      // and say so in x-delivery-count; past x-delivery-limit the message leaves the queue.
      const count = (u.message.deliveryCount ?? 0) + 1;
      const limit = u.queue.args.deliveryLimit;
      if (limit !== undefined && count > limit) {
        this.deadLetter(u.queue, u.message, "delivery_limit");
        return;
      }
      back = { ...back, deliveryCount: count };
    }
    u.queue.stats.requeued++;
    u.queue.requeue(back);
    this.armExpiry(u.queue);
    this.scheduleDispatch(u.queue);
  }

  /** @internal basic.ack / basic.nack / basic.reject from a client. */
  private acknowledge(ch: ServerChannel, tag: number, multiple: boolean, outcome: "ack" | "requeue" | "reject"): void {
    let list: Unacked[];
    if (multiple) {
      list = [...ch.unacked.values()].filter((u) => tag === 0 || u.tag <= tag);
      if (tag !== 0 && !ch.unacked.has(tag)) list = [];
    } else {
      const u = ch.unacked.get(tag);
      list = u ? [u] : [];
    }
    if (list.length === 0 && !(multiple && tag === 0)) {
      this.channelError(ch, new AmqpChannelError(406, `PRECONDITION_FAILED - unknown delivery tag ${tag}`, undefined, outcome === "ack" ? "BasicAck" : multiple ? "BasicNack" : "BasicReject"));
      return;
    }
    for (const u of list) {
      ch.unacked.delete(u.tag);
      if (this.queues.get(u.queue.name) !== u.queue) continue;
      if (outcome === "ack") {
        this.settle(u);
        u.queue.stats.acked++;
      } else if (outcome === "requeue") this.requeue(u);
      else {
        this.settle(u);
        this.deadLetter(u.queue, u.message, "rejected");
      }
    }
  }

  // ---- views -----------------------------------------------------------------------------------

  /**
   * The declared topology: exchanges (not the default or `amq.*` ones), queues (not exclusive
   * or server-named ones) and bindings, as the declarations that would recreate them on
   * another broker (used by {@link compareOnRealBroker}).
   */
  topology(): RabbitMQTopology {
    const exchanges = [...this.exchanges.values()]
      .filter((e) => e.name !== "" && !e.name.startsWith("amq."))
      .map((e) => ({ name: e.name, type: e.type, options: { durable: e.durable, autoDelete: e.autoDelete, internal: e.internal, alternateExchange: e.alternateExchange } }));
    const queues = [...this.queues.values()].filter((q) => !q.exclusiveOwner && !q.name.startsWith("amq.")).map((q) => ({ name: q.name, options: { durable: q.durable, autoDelete: q.autoDelete, arguments: { ...q.rawArgs } } }));
    const bindings = [...this.exchanges.values()].flatMap((e) => e.bindings.map((b) => ({ kind: b.kind, destination: b.destination, source: e.name, pattern: b.routingKey, args: { ...b.args } })));
    return { exchanges, queues, bindings };
  }

  /** Ready and unacked counts, consumers and stats of a queue. */
  queueInfo(name: string): { queue: string; messages: number; unacked: number; consumers: number; stats: QueueStats } {
    const q = this.queues.get(name);
    if (!q) throw new ConfigError("RabbitMQ.queueInfo", "name", name, `an existing queue (queues: ${[...this.queues.keys()].join(", ") || "none"})`);
    return { queue: name, messages: q.ready, unacked: q.unacked, consumers: q.consumers.length, stats: { ...q.stats, deadLettered: { ...q.stats.deadLettered } } };
  }

  /** The ready messages of a queue, oldest first: content and headers (a management-UI style peek). */
  peek(name: string): { content: Content; routingKey: string; redelivered: boolean; headers: Record<string, unknown> }[] {
    const q = this.queues.get(name);
    if (!q) throw new ConfigError("RabbitMQ.peek", "name", name, "an existing queue");
    return q.messages().map((m) => ({ content: m.content, routingKey: m.routingKey, redelivered: m.redelivered, headers: m.properties.headers }));
  }

  /** A table of queues: ready, unacked, consumers, delivered, acked, requeued, dead-lettered. */
  describe(): ReturnType<typeof table> {
    const rows = [...this.queues.values()].map((q) => ({
      queue: q.name,
      ready: q.ready,
      unacked: q.unacked,
      consumers: q.consumers.length,
      delivered: q.stats.delivered,
      acked: q.stats.acked,
      requeued: q.stats.requeued,
      "dead-lettered": q.stats.deadLettered.rejected + q.stats.deadLettered.expired + q.stats.deadLettered.maxlen,
      dropped: q.stats.dropped,
    }));
    return rows.length ? table(rows) : table([{ queues: "none yet" }]);
  }

  [DISPLAY](): MimeBundle {
    const head = markdown(`**RabbitMQ** \`${this.node.name}\`${this.node.up ? "" : " (down)"}: ${this.queues.size} queue(s), ${[...this.exchanges.keys()].filter((n) => n !== "" && !n.startsWith("amq.")).length} exchange(s), ${this.connections.size} connection(s)`)[DISPLAY]();
    const body = this.describe()[DISPLAY]();
    return { "text/markdown": `${head["text/markdown"]}\n\n${body["text/markdown"]}`, "text/plain": `${head["text/plain"]}\n${body["text/plain"]}` };
  }
}

/** One `x-death` entry (RabbitMQ's fields). */
export interface XDeath {
  count: number;
  reason: "rejected" | "expired" | "maxlen" | "delivery_limit";
  queue: string;
  /** When this queue last dead-lettered for this reason: virtual seconds, in amqplib's timestamp shape. */
  time: AmqpTimestamp;
  exchange: string;
  "routing-keys": string[];
  "original-expiration"?: string;
}

/** Declarations that recreate a broker's exchanges, queues and bindings ({@link RabbitMQ.topology}). */
export interface RabbitMQTopology {
  exchanges: { name: string; type: ExchangeType; options: { durable: boolean; autoDelete: boolean; internal: boolean; alternateExchange?: string } }[];
  queues: { name: string; options: { durable: boolean; autoDelete: boolean; arguments: Record<string, unknown> } }[];
  bindings: { kind: "queue" | "exchange"; destination: string; source: string; pattern: string; args: Record<string, unknown> }[];
}

/** A timestamp inside a header table, as amqplib decodes it. */
export interface AmqpTimestamp {
  "!": "timestamp";
  /** Seconds. */
  value: number;
}

/** Queue arguments RabbitMQ 3.10 compares when a queue is redeclared (others are never checked). */
const KNOWN_QUEUE_ARGS = new Set([
  "x-expires",
  "x-message-ttl",
  "x-dead-letter-exchange",
  "x-dead-letter-routing-key",
  "x-max-length",
  "x-max-length-bytes",
  "x-max-in-memory-length",
  "x-max-in-memory-bytes",
  "x-max-priority",
  "x-overflow",
  "x-queue-mode",
  "x-queue-type",
  "x-single-active-consumer",
  "x-delivery-limit",
  "x-quorum-initial-group-size",
  "x-queue-master-locator",
  "x-queue-leader-locator",
  "x-dead-letter-strategy",
  "x-initial-cluster-size",
  "x-max-age",
  "x-stream-max-segment-size-bytes",
]);

function sameArgs(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => a[k] === b[k]);
}

/** What a consumer sees: a quorum queue adds `x-delivery-count` (returns so far, 0 at first). */
function deliveredProperties(q: QueueState, m: StoredMessage): MessageProperties {
  if (q.args.queueType !== "quorum") return m.properties;
  return { ...m.properties, headers: { ...m.properties.headers, "x-delivery-count": m.deliveryCount ?? 0 } };
}

function describeArgs(a: QueueArgs): string {
  const parts: string[] = [];
  if (a.queueType === "quorum") parts.push(`quorum${a.deliveryLimit !== undefined ? `, delivery limit ${a.deliveryLimit}` : ""}`);
  if (a.messageTtl !== undefined) parts.push(`ttl ${a.messageTtl} ms`);
  if (a.maxLength !== undefined) parts.push(`max ${a.maxLength} (${a.overflow})`);
  if (a.deadLetterExchange !== undefined) parts.push(`dlx ${a.deadLetterExchange || "(default)"}`);
  return parts.length ? ` (${parts.join(", ")})` : "";
}
