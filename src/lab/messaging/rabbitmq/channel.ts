/**
 * The client side, shaped like amqplib's promise API: a `Connection` with
 * `createChannel()` / `createConfirmChannel()`, and channels with `assertExchange`,
 * `assertQueue`, `bindQueue`, `publish`, `sendToQueue`, `consume`, `ack`, `nack`, `reject`,
 * `prefetch`, `get`, `cancel`, `close` and `'error'` / `'close'` / `'return'` events.
 *
 * The client talks to the broker only in frames (protocol.ts) over the simulated network, and
 * knows only what came back in a frame: RPCs resolve after a round trip, `publish` and `ack`
 * return at once and reach the broker one network delay later (so a broker-side error such as
 * an unknown exchange closes the channel a moment later, as with the real client).
 * Differences from amqplib: an `'error'` event nobody listens to is recorded in `channel.closedBy` and the trace instead of crashing the
 * process.
 */
import { ConfigError } from "../../errors";
import { DISPLAY, table, type MimeBundle } from "../../display";
import type { SimNode } from "../../sim/node";
import type { Simulation } from "../../sim/simulation";
import { isBuffer, preview } from "../content";
import { AmqpConnectionError, IllegalOperationError, type AmqpChannelError } from "./errors";
import type { ClientFrame, ServerFrame, Wire } from "./protocol";
import { tracing } from "../nodes";
import type { AmqpMessage, AssertExchangeOptions, AssertQueueOptions, ConsumeOptions, ExchangeType, MessageProperties, PublishOptions, ReturnedMessage } from "./types";

type Listener = (...args: never[]) => void;

function describe(value: unknown): string {
  if (typeof value === "string") return "a string";
  if (value instanceof Uint8Array) return "a Uint8Array that is not a Buffer";
  return value === null ? "null" : typeof value;
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

/** A call waiting for the broker's answer. */
interface Pending {
  channel?: Channel;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** Distributive Omit, so each frame keeps its own fields. */
type Request<F> = F extends unknown ? Omit<F, "id"> : never;
type RpcFrame = Request<Extract<ClientFrame, { id: number }>>;

/** A connection to the simulated broker (amqplib's `ChannelModel`). */
export class Connection extends Emitter {
  private closed = false;
  private readonly channels = new Map<number, Channel>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private nextChannel = 1;
  private closing?: () => void;

  /** @internal */
  constructor(
    /** @internal */ readonly sim: Simulation,
    /** The client's simulation node (crash it to kill the client process). */
    readonly node: SimNode,
    /** @internal The broker's node name (for traces). */
    readonly brokerName: string,
    private readonly wire: Wire,
  ) {
    super();
  }

  /** @internal Opens the connection (one round trip). */
  async open(): Promise<void> {
    await this.call({ method: "ConnectionOpen" });
  }

  /** @internal Sends an RPC frame and waits for its answer. */
  call<T>(frame: RpcFrame, channel?: Channel): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { channel, resolve: resolve as (v: unknown) => void, reject });
      this.wire.send({ ...frame, id } as ClientFrame);
    });
  }

  /** @internal Sends a one-way frame. */
  post(frame: Extract<ClientFrame, { method: "BasicPublish" | "BasicAck" }>): void {
    this.wire.send(frame);
  }

  /** @internal A frame from the broker lands. */
  receive(frame: ServerFrame): void {
    switch (frame.type) {
      case "reply":
      case "fail": {
        const p = this.pending.get(frame.id);
        if (!p) return;
        this.pending.delete(frame.id);
        if (frame.type === "reply") p.resolve(frame.result);
        else p.reject(frame.error);
        return;
      }
      case "connection-close":
        this.lost(frame.reason, frame.error);
        return;
      default:
        this.channels.get(frame.channel)?.receive(frame);
    }
  }

  /** @internal Rejects one waiting call with the broker's error. */
  settle(id: number, error: Error): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.reject(error);
  }

  /** @internal Fails the calls a channel still waits for. */
  failPending(channel: Channel, error: Error): void {
    for (const [id, p] of this.pending) {
      if (p.channel !== channel) continue;
      this.pending.delete(id);
      p.reject(error);
    }
  }

  private lost(reason: string, cause?: AmqpChannelError): void {
    if (this.closed) return;
    this.closed = true;
    // amqplib's order: the connection's 'error', then each channel's 'close', then the connection's 'close'.
    const graceful = reason === "closed by client";
    if (!graceful) this.emit("error", cause ? new AmqpConnectionError(cause.code, cause.replyText) : new AmqpConnectionError(320, `CONNECTION_FORCED - ${reason}`));
    for (const ch of this.channels.values()) ch.connectionLost();
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new Error("Channel ended, no reply will be forthcoming (the connection closed)"));
    }
    this.emit("close");
    this.closing?.();
  }

  /** A new channel. */
  async createChannel(): Promise<Channel> {
    return this.openChannel(new Channel(this, this.nextChannel++));
  }

  /** A new channel in confirm mode: each publish is acknowledged by the broker. */
  async createConfirmChannel(): Promise<ConfirmChannel> {
    return this.openChannel(new ConfirmChannel(this, this.nextChannel++));
  }

  private async openChannel<C extends Channel>(ch: C): Promise<C> {
    if (this.closed) throw new IllegalOperationError("Connection closed");
    this.channels.set(ch.id, ch);
    await ch.openOnBroker();
    return ch;
  }

  /** @internal */
  forget(ch: Channel): void {
    this.channels.delete(ch.id);
  }

  /** Closes the connection: its channels close and their unacked messages go back to their queues. */
  async close(): Promise<void> {
    if (this.closed) throw new IllegalOperationError("Connection closed");
    await new Promise<void>((resolve) => {
      this.closing = resolve;
      this.wire.send({ method: "ConnectionClose", id: this.nextId++ });
    });
  }
}

/** A channel (amqplib's promise-API `Channel`). */
export class Channel extends Emitter {
  readonly stats: ChannelStats = { published: 0, delivered: 0, acked: 0, nacked: 0, rejected: 0, returned: 0 };
  /** Set when the broker closed the channel because of an error. */
  closedBy?: AmqpChannelError;
  private closed = false;
  private readonly callbacks = new Map<string, (msg: AmqpMessage | null) => void>();
  /** Delivery tags received and not yet settled (what the client knows of its unacked messages). */
  private readonly unsettled = new Set<number>();
  private consumerSeq = 0;
  /** @internal Publishes sent on this channel in confirm mode (the broker counts the same). */
  protected publishSeq = 0;
  /** @internal */
  protected confirmMode = false;

  /** @internal */
  constructor(
    readonly connection: Connection,
    /** Channel number on its connection. */
    readonly id: number,
  ) {
    super();
  }

  /** True once closed (by you, by an error, or with its connection). */
  get isClosed(): boolean {
    return this.closed;
  }

  private get sim(): Simulation {
    return this.connection.sim;
  }

  /** @internal */
  async openOnBroker(): Promise<void> {
    await this.rpc({ method: "ChannelOpen", channel: this.id });
  }

  private get name(): string {
    return this.connection.node.name;
  }

  private check(): void {
    if (this.closed) throw new IllegalOperationError("Channel closed", this.closedBy);
  }

  /** Sends an RPC frame for this channel and waits for the broker's answer. */
  protected rpc<T>(frame: Request<Extract<ClientFrame, { id: number; channel: number }>>): Promise<T> {
    if (this.closed) return Promise.reject(new IllegalOperationError("Channel closed", this.closedBy));
    return this.connection.call<T>(frame as RpcFrame, this);
  }

  /** @internal A frame for this channel lands. */
  receive(frame: Exclude<ServerFrame, { type: "reply" | "fail" | "connection-close" }>): void {
    switch (frame.type) {
      case "deliver":
        return this.onDeliver(frame.message, frame.consumerTag);
      case "cancel":
        return this.onCancelled(frame.consumerTag);
      case "return":
        return this.onReturn(frame.message);
      case "confirm":
        return this.onConfirm(frame.seq, frame.ok);
      case "channel-close":
        if (frame.failed !== undefined) this.connection.settle(frame.failed, frame.error);
        return this.onBrokerClose(frame.error);
    }
  }

  private onBrokerClose(error: AmqpChannelError): void {
    if (this.closed) return;
    this.closed = true;
    this.closedBy = error;
    this.connection.forget(this);
    this.unsettled.clear();
    this.connection.failPending(this, new Error(`Channel ended, no reply will be forthcoming (closed by the broker: ${error.code} ${error.replyText})`));
    this.failConfirms(new Error(`channel closed: ${error.message}`));
    if (!this.emit("error", error)) this.sim.trace.note(this.name, `unhandled channel error: ${error.code} ${error.replyText}`);
    this.emit("close");
  }

  /** @internal */
  connectionLost(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsettled.clear();
    this.connection.failPending(this, new Error("Channel ended, no reply will be forthcoming (the connection closed)"));
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
      this.sim.trace.note(this.name, `consumer callback threw: ${e instanceof Error ? e.message : String(e)}`);
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
    this.unsettled.add(message.fields.deliveryTag);
    if (tracing(this.sim)) this.sim.trace.record("response", this.connection.brokerName, this.name, `deliver #${message.fields.deliveryTag} ${message.fields.routingKey}${message.fields.redelivered ? " (redelivered)" : ""}`);
    try {
      const out = cb(message) as unknown;
      if (out instanceof Promise) out.catch((e: unknown) => this.sim.trace.note(this.name, `consumer callback failed: ${e instanceof Error ? e.message : String(e)}`));
    } catch (e) {
      this.sim.trace.note(this.name, `consumer callback threw: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  // ---- declarations ----------------------------------------------------------------------

  /** Declares an exchange (or checks an existing one has the same type and options: 406 if not). */
  assertExchange(exchange: string, type: ExchangeType, options: AssertExchangeOptions = {}): Promise<{ exchange: string }> {
    return this.rpc({ method: "ExchangeDeclare", channel: this.id, exchange, type, options, passive: false });
  }

  /** Checks an exchange exists (404 closes the channel if not); resolves to `{}` as amqplib. */
  checkExchange(exchange: string): Promise<Record<string, never>> {
    return this.rpc({ method: "ExchangeDeclare", channel: this.id, exchange, type: "direct", options: {}, passive: true });
  }

  /** Deletes an exchange. */
  deleteExchange(exchange: string, options: { ifUnused?: boolean } = {}): Promise<Record<string, never>> {
    return this.rpc({ method: "ExchangeDelete", channel: this.id, exchange, ifUnused: options.ifUnused ?? false });
  }

  /** Declares a queue (a server-named one with `""`); redeclaring with other arguments fails with 406. */
  assertQueue(queue = "", options: AssertQueueOptions = {}): Promise<{ queue: string; messageCount: number; consumerCount: number }> {
    return this.rpc({ method: "QueueDeclare", channel: this.id, queue, options, passive: false });
  }

  /** Checks a queue exists (404 closes the channel if not). */
  checkQueue(queue: string): Promise<{ queue: string; messageCount: number; consumerCount: number }> {
    return this.rpc({ method: "QueueDeclare", channel: this.id, queue, options: {}, passive: true });
  }

  /** Deletes a queue. */
  deleteQueue(queue: string, options: { ifUnused?: boolean; ifEmpty?: boolean } = {}): Promise<{ messageCount: number }> {
    return this.rpc({ method: "QueueDelete", channel: this.id, queue, ifUnused: options.ifUnused ?? false, ifEmpty: options.ifEmpty ?? false });
  }

  /** Removes a queue's ready messages. */
  purgeQueue(queue: string): Promise<{ messageCount: number }> {
    return this.rpc({ method: "QueuePurge", channel: this.id, queue });
  }

  /** Binds a queue to an exchange with a routing pattern (and arguments for headers exchanges). */
  bindQueue(queue: string, source: string, pattern: string, args: Record<string, unknown> = {}): Promise<Record<string, never>> {
    return this.rpc({ method: "QueueBind", channel: this.id, destination: queue, source, pattern, args });
  }

  /** Removes a binding. */
  unbindQueue(queue: string, source: string, pattern: string, args: Record<string, unknown> = {}): Promise<Record<string, never>> {
    return this.rpc({ method: "QueueUnbind", channel: this.id, destination: queue, source, pattern, args });
  }

  /** Binds exchange `destination` to `source` (exchange-to-exchange, a RabbitMQ extension). */
  bindExchange(destination: string, source: string, pattern: string, args: Record<string, unknown> = {}): Promise<Record<string, never>> {
    return this.rpc({ method: "ExchangeBind", channel: this.id, destination, source, pattern, args });
  }

  /** Removes an exchange-to-exchange binding. */
  unbindExchange(destination: string, source: string, pattern: string, args: Record<string, unknown> = {}): Promise<Record<string, never>> {
    return this.rpc({ method: "ExchangeUnbind", channel: this.id, destination, source, pattern, args });
  }

  // ---- publishing ---------------------------------------------------------------------------

  /**
   * Publishes a message. Returns true at once (the write buffer is never full here); the
   * broker routes it one network delay later. A missing exchange then closes the channel
   * with 404.
   */
  publish(exchange: string, routingKey: string, content: Uint8Array, options: PublishOptions = {}): boolean {
    this.check();
    if (!isBuffer(content)) throw new TypeError(`content is not a buffer: publish and sendToQueue take a Buffer, as amqplib does (got ${describe(content)}); write Buffer.from(text)`);
    if (typeof exchange !== "string") throw new ConfigError("channel.publish", "exchange", exchange, 'an exchange name ("" for the default exchange)');
    if (typeof routingKey !== "string") throw new ConfigError("channel.publish", "routingKey", routingKey, "a string");
    const headers: Record<string, unknown> = options.headers ? { ...options.headers } : {};
    // As amqplib: CC and BCC travel as headers (arrays of strings); the broker routes by them and strips BCC.
    const list = (v: string | string[]) => (Array.isArray(v) ? v.map(String) : [String(v)]);
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
    if (this.confirmMode) this.publishSeq++;
    this.stats.published++;
    if (tracing(this.sim)) this.sim.trace.record("request", this.name, this.connection.brokerName, `publish ${exchange === "" ? "(default)" : exchange} ${routingKey} ${preview(content, 16)}`);
    this.connection.post({ method: "BasicPublish", channel: this.id, exchange, routingKey, content, properties, mandatory: options.mandatory ?? false });
    return true;
  }

  /** Publishes straight to a queue through the default exchange. */
  sendToQueue(queue: string, content: Uint8Array, options: PublishOptions = {}): boolean {
    return this.publish("", queue, content, options);
  }

  // ---- consuming ------------------------------------------------------------------------------

  /**
   * Starts a consumer: the broker pushes messages to `onMessage` (up to the prefetch limit
   * unacknowledged), to the highest-priority consumers with room, round robin among equals.
   * `onMessage(null)` means the broker cancelled the consumer (its queue was deleted).
   */
  consume(queue: string, onMessage: (msg: AmqpMessage | null) => void, options: ConsumeOptions = {}): Promise<{ consumerTag: string }> {
    if (typeof onMessage !== "function") return Promise.reject(new ConfigError("channel.consume", "onMessage", onMessage, "a function (msg) => { ... }"));
    const priority = options.priority ?? options.arguments?.["x-priority"] ?? 0;
    if (typeof priority !== "number" || !Number.isInteger(priority)) return Promise.reject(new ConfigError("channel.consume", "priority", priority, "a whole number (higher is served first)"));
    const consumerTag = options.consumerTag ?? `amq.ctag-${this.id}-${++this.consumerSeq}`;
    this.callbacks.set(consumerTag, onMessage);
    return this.rpc({ method: "BasicConsume", channel: this.id, queue, consumerTag, noAck: options.noAck ?? false, exclusive: options.exclusive ?? false, priority });
  }

  /** Stops a consumer (its unacked messages stay unacked until acked or the channel closes). Its callback is not called again. */
  async cancel(consumerTag: string): Promise<{ consumerTag: string }> {
    const out = await this.rpc<{ consumerTag: string }>({ method: "BasicCancel", channel: this.id, consumerTag });
    this.callbacks.delete(consumerTag);
    return out;
  }

  /** Pulls one message, or `false` when the queue is empty. */
  async get(queue: string, options: { noAck?: boolean } = {}): Promise<AmqpMessage | false> {
    const noAck = options.noAck ?? false;
    const m = await this.rpc<AmqpMessage | false>({ method: "BasicGet", channel: this.id, queue, noAck });
    if (m && !noAck) this.unsettled.add(m.fields.deliveryTag);
    return m;
  }

  /** Limits unacknowledged messages per consumer started after this call (per channel with `global`). 0 = no limit. */
  prefetch(count: number, global = false): Promise<Record<string, never>> {
    if (!Number.isInteger(count) || count < 0 || count > 65_535) return Promise.reject(new ConfigError("channel.prefetch", "count", count, "a whole number from 0 (no limit) to 65535"));
    return this.rpc({ method: "BasicQos", channel: this.id, count, global });
  }

  /** Alias of {@link prefetch} (amqplib's `qos`). */
  qos(count: number, global = false): Promise<Record<string, never>> {
    return this.prefetch(count, global);
  }

  private settle(message: AmqpMessage, multiple: boolean, outcome: "ack" | "requeue" | "reject"): void {
    this.check();
    if (!message || typeof message.fields?.deliveryTag !== "number") throw new ConfigError("channel.ack", "message", message, "a message received from consume() or get()");
    const tag = message.fields.deliveryTag;
    if (tracing(this.sim)) this.sim.trace.record("request", this.name, this.connection.brokerName, `${outcome === "ack" ? "ack" : outcome === "requeue" ? "nack (requeue)" : "reject"} #${tag}${multiple ? " (multiple)" : ""}`);
    if (multiple) for (const t of this.unsettled) if (t <= tag) this.unsettled.delete(t);
    this.unsettled.delete(tag);
    this.connection.post({ method: "BasicAck", channel: this.id, deliveryTag: tag, multiple, outcome });
  }

  private settleAll(outcome: "ack" | "requeue" | "reject"): void {
    this.check();
    this.unsettled.clear();
    this.connection.post({ method: "BasicAck", channel: this.id, deliveryTag: 0, multiple: true, outcome });
  }

  /** Acknowledges a message (and every earlier one with `allUpTo`): the broker deletes it. An unknown tag closes the channel with 406. */
  ack(message: AmqpMessage, allUpTo = false): void {
    this.stats.acked++;
    this.settle(message, allUpTo, "ack");
  }

  /** Acknowledges every outstanding message. */
  ackAll(): void {
    this.settleAll("ack");
  }

  /** Negative acknowledgement: requeue (default, `redelivered` set) or dead-letter/drop it. */
  nack(message: AmqpMessage, allUpTo = false, requeue = true): void {
    this.stats.nacked++;
    this.settle(message, allUpTo, requeue ? "requeue" : "reject");
  }

  /** Nacks every outstanding message. */
  nackAll(requeue = true): void {
    this.settleAll(requeue ? "requeue" : "reject");
  }

  /** Rejects one message: requeue (default) or dead-letter/drop it. */
  reject(message: AmqpMessage, requeue = true): void {
    this.stats.rejected++;
    this.settle(message, false, requeue ? "requeue" : "reject");
  }

  /** Requeues every unacknowledged message of this channel. */
  async recover(): Promise<Record<string, never>> {
    const out = await this.rpc<Record<string, never>>({ method: "BasicRecover", channel: this.id });
    this.unsettled.clear();
    return out;
  }

  /** Closes the channel: its unacked messages go back to their queues (redelivered). */
  async close(): Promise<void> {
    this.check();
    await this.rpc({ method: "ChannelClose", channel: this.id });
    this.closed = true;
    this.unsettled.clear();
    this.connection.forget(this);
    this.emit("close");
  }

  [DISPLAY](): MimeBundle {
    return table([{ channel: this.id, connection: this.name, state: this.closed ? (this.closedBy ? `closed (${this.closedBy.code})` : "closed") : "open", unacked: this.unsettled.size, ...this.stats }])[DISPLAY]();
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
    await this.rpc({ method: "ConfirmSelect", channel: this.id });
    this.confirmMode = true;
  }

  /** Publishes; `callback(null)` once the broker has taken the message, `callback(err)` if it refused it. */
  override publish(exchange: string, routingKey: string, content: Uint8Array, options: PublishOptions = {}, callback?: (err: Error | null) => void): boolean {
    const out = super.publish(exchange, routingKey, content, options);
    this.unconfirmed.set(this.publishSeq, { cb: callback, waiters: [] });
    return out;
  }

  /** Sends to a queue with a confirm callback. */
  override sendToQueue(queue: string, content: Uint8Array, options: PublishOptions = {}, callback?: (err: Error | null) => void): boolean {
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
