/**
 * The client side, shaped like amqplib's promise API: a `Connection` with
 * `createChannel()` / `createConfirmChannel()`, and channels with `assertExchange`,
 * `assertQueue`, `bindQueue`, `publish`, `sendToQueue`, `consume`, `ack`, `nack`, `reject`,
 * `prefetch`, `get`, `cancel`, `close` and `'error'` / `'close'` / `'return'` events.
 *
 * Every method crosses the simulated network: RPCs resolve after a round trip, `publish` and
 * `ack` return at once and reach the broker one network delay later (so a broker-side error
 * such as an unknown exchange closes the channel a moment later, as with the real client).
 * Differences from amqplib: contents are strings or `Uint8Array`s rather than Buffers; an
 * `'error'` event nobody listens to is recorded in `channel.closedBy` and the trace instead
 * of crashing the process.
 */
import { ConfigError } from "../../errors";
import { DISPLAY, table, type MimeBundle } from "../../display";
import type { SimNode } from "../../sim/node";
import { isContent, preview, type Content } from "../content";
import { AmqpChannelError, AmqpConnectionError, IllegalOperationError } from "./errors";
import { tracing } from "../nodes";
import type { RabbitMQ, ServerChannel, ServerConnection } from "./broker";
import type { AmqpMessage, AssertExchangeOptions, AssertQueueOptions, ConsumeOptions, ExchangeType, MessageProperties, PublishOptions, ReturnedMessage } from "./types";
import { toBuffer } from "./broker";

type Listener = (...args: never[]) => void;

/** Headers without `BCC` (the broker never shows blind copies). */
function stripBcc(headers: Record<string, unknown>): Record<string, unknown> {
  if (!("BCC" in headers)) return headers;
  const { BCC: _bcc, ...rest } = headers;
  void _bcc;
  return rest;
}

/** A small event emitter (the lab uses no Node APIs). */
class Emitter {
  private readonly handlers = new Map<string, Listener[]>();
  /** Adds a listener. */
  on(event: string, listener: Listener): this {
    const list = this.handlers.get(event) ?? [];
    list.push(listener);
    this.handlers.set(event, list);
    return this;
  }
  /** Adds a listener that runs once. */
  once(event: string, listener: Listener): this {
    const wrapped = ((...args: never[]) => {
      this.off(event, wrapped);
      listener(...args);
    }) as Listener;
    return this.on(event, wrapped);
  }
  /** Removes a listener. */
  off(event: string, listener: Listener): this {
    const list = this.handlers.get(event);
    if (list) this.handlers.set(event, list.filter((l) => l !== listener));
    return this;
  }
  /** Listeners of an event. */
  listenerCount(event: string): number {
    return this.handlers.get(event)?.length ?? 0;
  }
  protected emit(event: string, ...args: unknown[]): boolean {
    const list = this.handlers.get(event);
    if (!list || list.length === 0) return false;
    for (const l of [...list]) (l as (...a: unknown[]) => void)(...args);
    return true;
  }
}

/** Counts of a channel. */
export interface ChannelStats {
  published: number;
  delivered: number;
  acked: number;
  nacked: number;
  rejected: number;
  returned: number;
}

/** A connection to the simulated broker (amqplib's `ChannelModel`). */
export class Connection extends Emitter {
  /** @internal */ readonly server: ServerConnection;
  private closed = false;
  private readonly channels = new Set<Channel>();

  /** @internal */
  constructor(
    private readonly broker: RabbitMQ,
    /** The client's simulation node (crash it to kill the client process). */
    readonly node: SimNode,
    readonly id: number,
  ) {
    super();
    this.server = {
      id,
      node,
      channels: new Set(),
      closed: false,
      lastToBroker: 0,
      lastToClient: 0,
      user: "guest",
      // The client learns at once (a closed socket); a partition would really take heartbeat timeouts.
      dropped: (reason, error) => {
        if (error) broker.toClient(this.server, () => this.lost(reason, error));
        else void broker.sim.wakeAt(broker.sim.now, () => this.lost(reason));
      },
    };
  }

  /** @internal Opens the connection (one round trip). */
  async handshake(): Promise<void> {
    if (!this.node.up) throw new IllegalOperationError(`${this.node.name} is down`);
    if (!this.broker.node.up) throw new Error(`connect ECONNREFUSED: ${this.broker.node.name} is down`);
    await new Promise<void>((resolve) => this.broker.toBroker(this.server, () => {
      this.broker.openConnection(this.server);
      this.broker.toClient(this.server, () => resolve());
    }));
  }

  /** @internal The broker dropped the connection. */
  lost(reason: string, cause?: AmqpChannelError): void {
    if (this.closed) return;
    this.closed = true;
    // amqplib's order: the connection's 'error', then each channel's 'close', then the connection's 'close'.
    const graceful = reason === "closed by client";
    if (!graceful) this.emit("error", cause ? new AmqpConnectionError(cause.code, cause.replyText) : new AmqpConnectionError(320, `CONNECTION_FORCED - ${reason}`));
    for (const ch of this.channels) ch.connectionLost();
    this.emit("close");
  }

  /** A new channel. */
  async createChannel(): Promise<Channel> {
    return this.open(new Channel(this.broker, this));
  }

  /** A new channel in confirm mode: each publish is acknowledged by the broker. */
  async createConfirmChannel(): Promise<ConfirmChannel> {
    return this.open(new ConfirmChannel(this.broker, this));
  }

  private async open<C extends Channel>(ch: C): Promise<C> {
    if (this.closed) throw new IllegalOperationError("Connection closed");
    await ch.openOnBroker();
    this.channels.add(ch);
    return ch;
  }

  /** Closes the connection: its channels close and their unacked messages go back to their queues. */
  async close(): Promise<void> {
    if (this.closed) throw new IllegalOperationError("Connection closed");
    await new Promise<void>((resolve) => this.broker.toBroker(this.server, () => {
      this.broker.dropConnection(this.server, "closed by client");
      resolve();
    }));
  }
}

/** A channel (amqplib's promise-API `Channel`). */
export class Channel extends Emitter {
  /** @internal */ readonly server: ServerChannel;
  readonly stats: ChannelStats = { published: 0, delivered: 0, acked: 0, nacked: 0, rejected: 0, returned: 0 };
  /** Set when the broker closed the channel because of an error. */
  closedBy?: AmqpChannelError;
  private closed = false;
  private readonly callbacks = new Map<string, (msg: AmqpMessage | null) => void>();
  private readonly pending = new Set<(e: Error) => void>();
  private consumerSeq = 0;

  /** @internal */
  constructor(
    protected readonly broker: RabbitMQ,
    readonly connection: Connection,
  ) {
    super();
    this.server = {
      id: broker.newChannelId(),
      conn: connection.server,
      unacked: new Map(),
      nextTag: 1,
      consumers: new Map(),
      prefetchCount: 0,
      globalPrefetch: 0,
      closed: false,
      confirm: false,
      publishSeq: 0,
      deliver: (m, tag) => this.onDeliver(m, tag),
      closedByBroker: (e) => this.onBrokerClose(e),
      confirmed: (seq, ok) => this.onConfirm(seq, ok),
      returned: (m) => this.onReturn(m),
      cancelled: (tag) => this.onCancelled(tag),
    };
  }

  /** Channel number. */
  get id(): number {
    return this.server.id;
  }

  /** True once closed (by you, by an error, or with its connection). */
  get isClosed(): boolean {
    return this.closed;
  }

  /** @internal */
  async openOnBroker(): Promise<void> {
    await this.rpc("ChannelOpen", () => {
      this.server.conn.channels.add(this.server);
    });
  }

  private get name(): string {
    return this.connection.node.name;
  }

  private check(): void {
    if (this.closed) throw new IllegalOperationError("Channel closed", this.closedBy);
  }

  /** Runs `fn` at the broker after one network delay and answers after another. */
  protected rpc<T>(operation: string, fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new IllegalOperationError("Channel closed", this.closedBy));
    const b = this.broker;
    const conn = this.server.conn;
    return new Promise<T>((resolve, reject) => {
      this.pending.add(reject);
      b.toBroker(conn, () => {
        if (this.server.closed && operation !== "ChannelOpen") return;
        let result: T;
        try {
          result = fn();
        } catch (error) {
          if (error instanceof AmqpChannelError) {
            const e = error.operation ? error : new AmqpChannelError(error.code, error.replyText, operation);
            // A connection error answers nothing: the connection closes and pending calls fail.
            if (!e.closesConnection)
              b.toClient(conn, () => {
                this.pending.delete(reject);
                reject(e);
              });
            b.channelError(this.server, e);
            return;
          }
          b.toClient(conn, () => {
            this.pending.delete(reject);
            reject(error as Error);
          });
          return;
        }
        b.toClient(conn, () => {
          this.pending.delete(reject);
          resolve(result);
        });
      });
    });
  }

  private onBrokerClose(error: AmqpChannelError): void {
    if (this.closed) return;
    this.closed = true;
    this.closedBy = error;
    for (const reject of this.pending) reject(new Error(`Channel ended, no reply will be forthcoming (closed by the broker: ${error.code} ${error.replyText})`));
    this.pending.clear();
    this.failConfirms(new Error(`channel closed: ${error.message}`));
    if (!this.emit("error", error)) this.broker.sim.trace.note(this.name, `unhandled channel error: ${error.code} ${error.replyText}`);
    this.emit("close");
  }

  /** @internal */
  connectionLost(): void {
    if (this.closed) return;
    this.closed = true;
    for (const reject of this.pending) reject(new Error("Channel ended, no reply will be forthcoming (the connection closed)"));
    this.pending.clear();
    this.failConfirms(new Error("channel closed: connection lost"));
    this.emit("close");
  }

  protected failConfirms(error: Error): void {
    void error;
  }

  protected onConfirm(seq: number, ok: boolean): void {
    void seq;
    void ok;
  }

  private onCancelled(tag: string): void {
    const cb = this.callbacks.get(tag);
    this.callbacks.delete(tag);
    if (!cb || this.closed) return;
    try {
      cb(null);
    } catch (e) {
      this.broker.sim.trace.note(this.name, `consumer callback threw: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private onReturn(message: ReturnedMessage): void {
    this.stats.returned++;
    this.emit("return", message);
  }

  private onDeliver(message: AmqpMessage, tag: string): void {
    if (this.closed) return;
    const cb = this.callbacks.get(tag);
    if (!cb) return;
    this.stats.delivered++;
    if (tracing(this.broker.sim)) this.broker.sim.trace.record("response", this.broker.node.name, this.name, `deliver #${message.fields.deliveryTag} ${message.fields.routingKey}${message.fields.redelivered ? " (redelivered)" : ""}`);
    try {
      const out = cb(message) as unknown;
      if (out instanceof Promise) out.catch((e: unknown) => this.broker.sim.trace.note(this.name, `consumer callback failed: ${e instanceof Error ? e.message : String(e)}`));
    } catch (e) {
      this.broker.sim.trace.note(this.name, `consumer callback threw: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  // ---- declarations ----------------------------------------------------------------------

  /** Declares an exchange (or checks an existing one has the same type). */
  assertExchange(exchange: string, type: ExchangeType, options: AssertExchangeOptions = {}): Promise<{ exchange: string }> {
    return this.rpc("ExchangeDeclare", () => {
      this.broker.assertExchange(exchange, type, options);
      return { exchange };
    });
  }

  /** Checks an exchange exists (404 closes the channel if not); resolves to `{}` as amqplib. */
  checkExchange(exchange: string): Promise<Record<string, never>> {
    return this.rpc("ExchangeDeclare", () => {
      this.broker.exchange(exchange, "ExchangeDeclare");
      return {};
    });
  }

  /** Deletes an exchange. */
  deleteExchange(exchange: string, options: { ifUnused?: boolean } = {}): Promise<Record<string, never>> {
    return this.rpc("ExchangeDelete", () => {
      this.broker.deleteExchange(exchange, options.ifUnused ?? false);
      return {};
    });
  }

  /** Declares a queue (a server-named one with `""`); redeclaring with other arguments fails with 406. */
  assertQueue(queue = "", options: AssertQueueOptions = {}): Promise<{ queue: string; messageCount: number; consumerCount: number }> {
    return this.rpc("QueueDeclare", () => this.broker.assertQueue(this.server.conn, queue, options));
  }

  /** Checks a queue exists (404 closes the channel if not). */
  checkQueue(queue: string): Promise<{ queue: string; messageCount: number; consumerCount: number }> {
    return this.rpc("QueueDeclare", () => {
      const q = this.broker.queue(this.server.conn, queue, "QueueDeclare");
      return { queue, messageCount: q.ready, consumerCount: q.consumers.length };
    });
  }

  /** Deletes a queue. */
  deleteQueue(queue: string, options: { ifUnused?: boolean; ifEmpty?: boolean } = {}): Promise<{ messageCount: number }> {
    return this.rpc("QueueDelete", () => this.broker.deleteQueue(this.server.conn, queue, options));
  }

  /** Removes a queue's ready messages. */
  purgeQueue(queue: string): Promise<{ messageCount: number }> {
    return this.rpc("QueuePurge", () => this.broker.purgeQueue(this.server.conn, queue));
  }

  /** Binds a queue to an exchange with a routing pattern (and arguments for headers exchanges). */
  bindQueue(queue: string, source: string, pattern: string, args: Record<string, unknown> = {}): Promise<Record<string, never>> {
    return this.rpc("QueueBind", () => {
      this.broker.bind("queue", queue, source, pattern, args, this.server.conn);
      return {};
    });
  }

  /** Removes a binding. */
  unbindQueue(queue: string, source: string, pattern: string, args: Record<string, unknown> = {}): Promise<Record<string, never>> {
    return this.rpc("QueueUnbind", () => {
      this.broker.unbind("queue", queue, source, pattern, args);
      return {};
    });
  }

  /** Binds exchange `destination` to `source` (exchange-to-exchange, a RabbitMQ extension). */
  bindExchange(destination: string, source: string, pattern: string, args: Record<string, unknown> = {}): Promise<Record<string, never>> {
    return this.rpc("ExchangeBind", () => {
      this.broker.bind("exchange", destination, source, pattern, args, this.server.conn);
      return {};
    });
  }

  /** Removes an exchange-to-exchange binding. */
  unbindExchange(destination: string, source: string, pattern: string, args: Record<string, unknown> = {}): Promise<Record<string, never>> {
    return this.rpc("ExchangeUnbind", () => {
      this.broker.unbind("exchange", destination, source, pattern, args);
      return {};
    });
  }

  // ---- publishing ---------------------------------------------------------------------------

  /**
   * Publishes a message. Returns true at once (the write buffer is never full here); the
   * broker routes it one network delay later. A missing exchange then closes the channel
   * with 404.
   */
  publish(exchange: string, routingKey: string, content: Content, options: PublishOptions = {}): boolean {
    this.check();
    if (!isContent(content)) throw new ConfigError("channel.publish", "content", content, "a string or a Uint8Array");
    if (typeof exchange !== "string") throw new ConfigError("channel.publish", "exchange", exchange, 'an exchange name ("" for the default exchange)');
    if (typeof routingKey !== "string") throw new ConfigError("channel.publish", "routingKey", routingKey, "a string");
    const headers: Record<string, unknown> = options.headers ? { ...options.headers } : {};
    // As amqplib: CC and BCC travel as headers (arrays of strings); the broker routes by them and strips BCC.
    const list = (v: string | string[] | undefined) => (v === undefined ? undefined : Array.isArray(v) ? v.map(String) : [String(v)]);
    if (options.CC !== undefined) headers["CC"] = list(options.CC);
    if (options.BCC !== undefined) headers["BCC"] = list(options.BCC);
    const deliveryMode = options.persistent !== undefined ? (options.persistent ? 2 : 1) : options.deliveryMode;
    // All 14 properties, in amqplib's order, undefined where not set.
    const properties: MessageProperties = {
      contentType: options.contentType,
      contentEncoding: options.contentEncoding,
      headers,
      deliveryMode,
      priority: options.priority,
      correlationId: options.correlationId,
      replyTo: options.replyTo,
      expiration: options.expiration === undefined ? undefined : String(options.expiration),
      messageId: options.messageId,
      timestamp: options.timestamp,
      type: options.type,
      userId: options.userId,
      appId: options.appId,
      clusterId: undefined,
    };
    const seq = this.server.confirm ? ++this.server.publishSeq : 0;
    this.stats.published++;
    const b = this.broker;
    if (tracing(b.sim)) b.sim.trace.record("request", this.name, b.node.name, `publish ${exchange === "" ? "(default)" : exchange} ${routingKey} ${preview(content, 16)}`);
    b.toBroker(this.server.conn, () => {
      if (this.server.closed) return;
      let routed: { queues: number; refused: boolean };
      try {
        routed = b.publish(this.server.conn, exchange, routingKey, content, properties);
      } catch (error) {
        if (error instanceof AmqpChannelError) {
          b.channelError(this.server, error);
          return;
        }
        throw error;
      }
      if (routed.queues === 0) {
        b.sim.metrics.counter("rabbitmq unroutable").inc();
        if (options.mandatory) {
          const returned: ReturnedMessage = { content: toBuffer(content), fields: { replyCode: 312, replyText: "NO_ROUTE", exchange, routingKey }, properties: { ...properties, headers: stripBcc(properties.headers) } };
          b.toClient(this.server.conn, () => this.server.returned(returned));
        }
      }
      if (seq > 0) b.toClient(this.server.conn, () => this.server.confirmed(seq, !routed.refused));
    });
    return true;
  }

  /** Publishes straight to a queue through the default exchange. */
  sendToQueue(queue: string, content: Content, options: PublishOptions = {}): boolean {
    return this.publish("", queue, content, options);
  }

  // ---- consuming ------------------------------------------------------------------------------

  /**
   * Starts a consumer: the broker pushes messages to `onMessage` (up to the prefetch limit
   * unacknowledged), round robin among the queue's consumers.
   */
  consume(queue: string, onMessage: (msg: AmqpMessage | null) => void, options: ConsumeOptions = {}): Promise<{ consumerTag: string }> {
    if (typeof onMessage !== "function") return Promise.reject(new ConfigError("channel.consume", "onMessage", onMessage, "a function (msg) => { ... }"));
    const tag = options.consumerTag ?? `amq.ctag-${this.id}-${++this.consumerSeq}`;
    this.callbacks.set(tag, onMessage);
    return this.rpc("BasicConsume", () => {
      const q = this.broker.queue(this.server.conn, queue, "BasicConsume");
      const priority = options.priority ?? options.arguments?.["x-priority"] ?? 0;
      if (typeof priority !== "number" || !Number.isInteger(priority)) throw new ConfigError("channel.consume", "priority", priority, "a whole number (higher is served first)");
      this.broker.addConsumer(this.server, q, tag, options.noAck ?? false, options.exclusive ?? false, priority);
      return { consumerTag: tag };
    });
  }

  /** Stops a consumer (its unacked messages stay unacked until acked or the channel closes). Its callback is not called again. */
  async cancel(consumerTag: string): Promise<{ consumerTag: string }> {
    const out = await this.rpc("BasicCancel", () => {
      const reg = this.server.consumers.get(consumerTag);
      if (reg) this.broker.cancelConsumer(reg);
      return { consumerTag };
    });
    this.callbacks.delete(consumerTag);
    return out;
  }

  /** Pulls one message, or `false` when the queue is empty. */
  get(queue: string, options: { noAck?: boolean } = {}): Promise<AmqpMessage | false> {
    return this.rpc("BasicGet", () => this.broker.get(this.server, this.broker.queue(this.server.conn, queue, "BasicGet"), options.noAck ?? false));
  }

  /** Limits unacknowledged messages per consumer started after this call (per channel with `global`). 0 = no limit. */
  prefetch(count: number, global = false): Promise<Record<string, never>> {
    if (!Number.isInteger(count) || count < 0 || count > 65_535) return Promise.reject(new ConfigError("channel.prefetch", "count", count, "a whole number from 0 (no limit) to 65535"));
    return this.rpc("BasicQos", () => {
      if (global) this.server.globalPrefetch = count;
      else this.server.prefetchCount = count;
      return {};
    });
  }

  /** Alias of {@link prefetch} (amqplib's `qos`). */
  qos(count: number, global = false): Promise<Record<string, never>> {
    return this.prefetch(count, global);
  }

  private settle(message: AmqpMessage, multiple: boolean, outcome: "ack" | "requeue" | "reject"): void {
    this.check();
    if (!message || typeof message.fields?.deliveryTag !== "number") throw new ConfigError("channel.ack", "message", message, "a message received from consume() or get()");
    const tag = message.fields.deliveryTag;
    const b = this.broker;
    if (tracing(b.sim)) b.sim.trace.record("request", this.name, b.node.name, `${outcome === "ack" ? "ack" : outcome === "requeue" ? "nack (requeue)" : "reject"} #${tag}${multiple ? " (multiple)" : ""}`);
    b.toBroker(this.server.conn, () => {
      if (!this.server.closed) b.acknowledge(this.server, tag, multiple, outcome);
    });
  }

  /** Acknowledges a message (and every earlier one with `allUpTo`): the broker deletes it. An unknown tag closes the channel with 406. */
  ack(message: AmqpMessage, allUpTo = false): void {
    this.stats.acked++;
    this.settle(message, allUpTo, "ack");
  }

  /** Acknowledges every outstanding message. */
  ackAll(): void {
    this.check();
    const b = this.broker;
    b.toBroker(this.server.conn, () => {
      if (!this.server.closed) b.acknowledge(this.server, 0, true, "ack");
    });
  }

  /** Negative acknowledgement: requeue (default, `redelivered` set) or dead-letter/drop it. */
  nack(message: AmqpMessage, allUpTo = false, requeue = true): void {
    this.stats.nacked++;
    this.settle(message, allUpTo, requeue ? "requeue" : "reject");
  }

  /** Nacks every outstanding message. */
  nackAll(requeue = true): void {
    this.check();
    const b = this.broker;
    b.toBroker(this.server.conn, () => {
      if (!this.server.closed) b.acknowledge(this.server, 0, true, requeue ? "requeue" : "reject");
    });
  }

  /** Rejects one message: requeue (default) or dead-letter/drop it. */
  reject(message: AmqpMessage, requeue = true): void {
    this.stats.rejected++;
    this.settle(message, false, requeue ? "requeue" : "reject");
  }

  /** Requeues every unacknowledged message of this channel. */
  recover(): Promise<Record<string, never>> {
    return this.rpc("BasicRecover", () => {
      this.broker.acknowledge(this.server, 0, true, "requeue");
      return {};
    });
  }

  /** Closes the channel: its unacked messages go back to their queues (redelivered). */
  async close(): Promise<void> {
    this.check();
    await this.rpc("ChannelClose", () => this.broker.closeChannel(this.server));
    this.closed = true;
    this.emit("close");
  }

  [DISPLAY](): MimeBundle {
    return table([{ channel: this.id, connection: this.name, state: this.closed ? (this.closedBy ? `closed (${this.closedBy.code})` : "closed") : "open", unacked: this.server.unacked.size, ...this.stats }])[DISPLAY]();
  }
}

/** A channel in confirm mode (amqplib's `ConfirmChannel`): `publish` takes a callback, `waitForConfirms` waits for all. */
export class ConfirmChannel extends Channel {
  private readonly unconfirmed = new Map<number, { cb?: (err: Error | null) => void; waiters: ((err: Error | null) => void)[] }>();
  /** Publishes acked and nacked by the broker so far. */
  readonly confirms = { acked: 0, nacked: 0 };

  /** @internal */
  override async openOnBroker(): Promise<void> {
    await super.openOnBroker();
    await this.rpc("ConfirmSelect", () => {
      this.server.confirm = true;
    });
  }

  /** Publishes; `callback(null)` once the broker has taken the message, `callback(err)` if it refused it. */
  override publish(exchange: string, routingKey: string, content: Content, options: PublishOptions = {}, callback?: (err: Error | null) => void): boolean {
    const out = super.publish(exchange, routingKey, content, options);
    this.unconfirmed.set(this.server.publishSeq, { cb: callback, waiters: [] });
    return out;
  }

  /** Sends to a queue with a confirm callback. */
  override sendToQueue(queue: string, content: Content, options: PublishOptions = {}, callback?: (err: Error | null) => void): boolean {
    return this.publish("", queue, content, options, callback);
  }

  protected override onConfirm(seq: number, ok: boolean): void {
    const entry = this.unconfirmed.get(seq);
    if (!entry) return;
    this.unconfirmed.delete(seq);
    if (ok) this.confirms.acked++;
    else this.confirms.nacked++;
    const err = ok ? null : new Error("message nacked");
    entry.cb?.(err);
    for (const w of entry.waiters) w(err);
  }

  protected override failConfirms(error: Error): void {
    for (const [, entry] of this.unconfirmed) {
      entry.cb?.(error);
      for (const w of entry.waiters) w(error);
    }
    this.unconfirmed.clear();
  }

  /**
   * Resolves when every publish so far is confirmed; rejects if any was nacked or the channel
   * closed first. As amqplib, it resolves to one `undefined` per publish it waited for.
   */
  waitForConfirms(): Promise<void> {
    const waits = [...this.unconfirmed.values()].map(
      (entry) =>
        new Promise<void>((resolve, reject) => {
          entry.waiters.push((err) => (err ? reject(err) : resolve()));
        }),
    );
    return Promise.all(waits) as Promise<unknown> as Promise<void>;
  }
}
