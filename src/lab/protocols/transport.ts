/**
 * TCP-like connections between simulated nodes, under every protocol of this section.
 *
 * A connection is reliable and ordered, like TCP: a segment the network loses is sent again
 * after a retransmission timeout (RTO, 200 ms — Linux's minimum — doubling while it keeps
 * getting lost), and segments behind it wait, because TCP hands bytes to the application in
 * order. That is the head-of-line blocking HTTP/2 still has under loss. During a partition
 * TCP keeps retransmitting, so an open connection just goes quiet; {@link networkDrop} is
 * the other kind of outage, where the connections break (a Wi-Fi hand-over, a NAT or load
 * balancer reset) and both ends learn it at once.
 *
 * Opening a connection costs one round trip (SYN, SYN-ACK); the first request rides with
 * the final ACK. Simplifications: no TLS (it would add one or two round trips per new
 * connection), no congestion window or slow start, no packet size: a frame is one segment.
 */
import { positive } from "../errors";
import { CallError } from "../sim/call-errors";
import type { Simulation, Timer } from "../sim/simulation";
import { roundTrip, send } from "../sim/rpc";

/** The two ends of a connection. */
export type Side = "client" | "server";

/** One unit an application hands to a connection: its size on the wire and what it means. */
export interface Frame {
  /** Bytes on the wire, framing and headers included. */
  bytes: number;
  /** How the trace shows it (`GET /posts`, `200 (1.2 KB)`, `ping`); omit to keep it out of the trace. */
  label?: string;
  /** The decoded content, for the receiving side. */
  data: unknown;
}

/** Why a connection ended. */
export type CloseReason = "closed" | "reset";

/** Counts of one connection. */
export interface ConnectionStats {
  /** Bytes client → server, framing included. */
  bytesUp: number;
  /** Bytes server → client, framing included. */
  bytesDown: number;
  framesUp: number;
  framesDown: number;
  /** Segments sent again after a loss. */
  retransmits: number;
}

/** Options of the transport, per simulation. Defaults are in {@link TRANSPORT_DEFAULTS}. */
export interface TransportOptions {
  /** Retransmission timeout after a lost segment, ms; doubles per consecutive loss. */
  rtoMs?: number;
  /** Longest retransmission timeout, ms. */
  maxRtoMs?: number;
  /** Wait before the first SYN is sent again, ms (RFC 6298's initial RTO). */
  synRtoMs?: number;
  /** A connect attempt that gets no answer gives up after this long, ms. */
  connectTimeoutMs?: number;
  /**
   * Link speed in bytes per ms, each direction of each node pair (125 ≈ 1 Mbit/s).
   * `Infinity` (the default) makes size cost no time.
   */
  bandwidth?: number;
}

/** Defaults: Linux's 200 ms minimum RTO and 120 s maximum, RFC 6298's 1 s initial RTO for a SYN. */
export const TRANSPORT_DEFAULTS = { rtoMs: 200, maxRtoMs: 120_000, synRtoMs: 1_000, connectTimeoutMs: 20_000, bandwidth: Infinity } as const;

/** A connection could not be opened, or broke while a call was waiting on it. */
export class ConnectionError extends CallError {
  override name = "ConnectionError";
  constructor(
    message: string,
    /** `ECONNREFUSED` (nothing listening, or the node is down), `ETIMEDOUT` (no answer), `ECONNRESET` (broke while open). */
    readonly code: "ECONNREFUSED" | "ETIMEDOUT" | "ECONNRESET",
  ) {
    // A refused connect certainly did nothing; a reset may have happened after the server acted.
    super(message, code === "ECONNRESET" ? "info" : "fail");
  }
}

/** What a server does with a new connection. */
export type ConnectionListener = (connection: Connection) => void;

interface Pending {
  frame: Frame;
  arrived: boolean;
}

/** A reliable, ordered, two-way connection between a client node and a server node. */
export class Connection {
  /** Counts of this connection. */
  readonly stats: ConnectionStats = { bytesUp: 0, bytesDown: 0, framesUp: 0, framesDown: 0, retransmits: 0 };
  /** Receives frames sent by the client. Set by the server side. */
  onServerFrame: (frame: Frame) => void = () => {};
  /** Receives frames sent by the server. Set by the client side. */
  onClientFrame: (frame: Frame) => void = () => {};
  /** Told when the connection ends, on the server side. */
  onServerClose: (reason: CloseReason) => void = () => {};
  /** Told when the connection ends, on the client side. */
  onClientClose: (reason: CloseReason) => void = () => {};

  private isOpen = true;
  /** Set by {@link silentDrop}: every segment is lost from now on and neither side is told. */
  private silent = false;
  private readonly queues: Record<Side, Pending[]> = { client: [], server: [] };

  constructor(
    private readonly wire: Wire,
    /** Number of the connection in its simulation, from 1. */
    readonly id: number,
    readonly client: string,
    readonly server: string,
    /** What runs over it (`http/1.1`, `h2`, `websocket`), for traces and counts. */
    readonly protocol: string,
  ) {}

  /** False once closed or reset. */
  get open(): boolean {
    return this.isOpen;
  }

  /** True after {@link silentDrop} struck it: still open at both ends, but nothing gets through. */
  get silenced(): boolean {
    return this.silent;
  }

  /** @internal Makes the connection a black hole (see {@link silentDrop}). */
  silence(): void {
    this.silent = true;
  }

  /** Sends a frame from one side; it arrives after the network's delay, in order, even across losses. */
  send(from: Side, frame: Frame): void {
    if (!this.isOpen) return;
    const up = from === "client";
    if (up) {
      this.stats.bytesUp += frame.bytes;
      this.stats.framesUp++;
    } else {
      this.stats.bytesDown += frame.bytes;
      this.stats.framesDown++;
    }
    const pending: Pending = { frame, arrived: false };
    this.queues[from].push(pending);
    this.attempt(from, pending, this.wire.options.rtoMs);
  }

  private attempt(from: Side, pending: Pending, rto: number): void {
    if (!this.isOpen) return;
    const sim = this.wire.sim;
    const [a, b] = from === "client" ? [this.client, this.server] : [this.server, this.client];
    if (this.silent) {
      // The path lost this connection's state (a NAT or load balancer timed it out): every
      // segment vanishes, TCP keeps resending with a doubling timeout, and no error comes back.
      this.stats.retransmits++;
      sim.schedule(rto, () => this.attempt(from, pending, Math.min(rto * 2, this.wire.options.maxRtoMs)));
      return;
    }
    // The segment occupies the link whether or not it is lost on the way.
    const lost = send(
      sim,
      a,
      b,
      () => {
        pending.arrived = true;
        this.flush(from);
      },
      this.wire.departure(a, b, pending.frame.bytes),
    );
    if (lost) {
      this.stats.retransmits++;
      if (pending.frame.label) sim.trace.record("drop", a, b, `${pending.frame.label} lost (${lost}), resent in ${rto} ms`);
      sim.schedule(rto, () => this.attempt(from, pending, Math.min(rto * 2, this.wire.options.maxRtoMs)));
    }
  }

  private flush(from: Side): void {
    const queue = this.queues[from];
    const sim = this.wire.sim;
    while (this.isOpen && queue[0]?.arrived) {
      const { frame } = queue.shift()!;
      const [a, b] = from === "client" ? [this.client, this.server] : [this.server, this.client];
      if (!sim.node(b).up) {
        // The peer's process is gone: its host answers with a reset.
        this.reset(`${b} is down`);
        return;
      }
      if (frame.data === CLOSE_MARK) {
        this.end("closed");
        return;
      }
      if (frame.label) sim.trace.record(from === "client" ? "request" : "response", a, b, frame.label);
      if (from === "client") this.onServerFrame(frame);
      else this.onClientFrame(frame);
    }
  }

  /**
   * Closes gracefully from one side (a FIN after what was already sent): the other side
   * learns it once the frames before it have arrived.
   */
  close(from: Side): void {
    if (!this.isOpen) return;
    this.send(from, { bytes: 0, data: CLOSE_MARK });
  }

  /**
   * Breaks the connection at once; both sides are told `reset`. With `from` on a silenced
   * connection only that side learns it: its RST is lost like everything else, so the other
   * end stays open (a half-open connection).
   */
  reset(why = "reset", from?: Side): void {
    if (!this.isOpen) return;
    this.wire.sim.trace.note(from === "server" ? this.server : this.client, `connection ${this.id} ${from === "server" ? `to ${this.client}` : `to ${this.server}`} reset (${why})`);
    this.end("reset", this.silent ? from : undefined);
  }

  private end(reason: CloseReason, only?: Side): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.queues.client.length = 0;
    this.queues.server.length = 0;
    this.wire.forget(this);
    const sim = this.wire.sim;
    sim.wake(() => {
      if (only !== "server") this.onClientClose(reason);
      if (only !== "client") this.onServerClose(reason);
    }, undefined);
  }
}

const CLOSE_MARK = Symbol("FIN");

/** The connections of one simulation, its listeners and its link queues. */
export class Wire {
  readonly options: Required<TransportOptions>;
  private readonly listeners = new Map<string, ConnectionListener>();
  private readonly live = new Set<Connection>();
  private readonly busyUntil = new Map<string, number>();
  private opened = 0;

  constructor(
    readonly sim: Simulation,
    options: TransportOptions = {},
  ) {
    this.options = { ...TRANSPORT_DEFAULTS, ...options };
  }

  /** Connections opened so far in this simulation. */
  get connectionsOpened(): number {
    return this.opened;
  }

  /** Open connections. */
  get connections(): readonly Connection[] {
    return [...this.live];
  }

  /** @internal When a frame of `bytes` leaves `from` for `to`, given the link's speed. */
  departure(from: string, to: string, bytes: number): number {
    const now = this.sim.now;
    if (this.options.bandwidth === Infinity) return now;
    const key = `${from}\u0000${to}`;
    const start = Math.max(now, this.busyUntil.get(key) ?? 0);
    const done = start + bytes / this.options.bandwidth;
    this.busyUntil.set(key, done);
    return done;
  }

  /** @internal */
  forget(connection: Connection): void {
    this.live.delete(connection);
  }

  /** Accepts connections for `protocol` at `node`. */
  listen(node: string, protocol: string, listener: ConnectionListener): void {
    this.listeners.set(`${node}\u0000${protocol}`, listener);
  }

  /** True when `node` accepts `protocol`. */
  listening(node: string, protocol: string): boolean {
    return this.listeners.has(`${node}\u0000${protocol}`);
  }

  /**
   * Opens a connection from `client` to `server` (one round trip). A lost SYN is sent again
   * after 1 s, 2 s, 4 s… until {@link TransportOptions.connectTimeoutMs}.
   * @throws {@link ConnectionError} `ECONNREFUSED` when the server is down or does not listen, `ETIMEDOUT` when no answer came
   */
  connect(client: string, server: string, protocol: string): Promise<Connection> {
    const sim = this.sim;
    sim.node(client);
    sim.node(server);
    const start = sim.now;
    const key = `${server}\u0000${protocol}`;
    return new Promise<Connection>((resolve, reject) => {
      let done = false;
      let timer: Timer | undefined;
      const fail = (error: ConnectionError) => {
        done = true;
        timer?.cancel();
        sim.wake(reject, error);
      };
      // Each SYN is one round trip (SYN, SYN-ACK); a retransmission does not cancel the
      // earlier SYNs, so whichever answer lands first opens the connection.
      const syn = (rto: number) => {
        roundTrip<boolean>(sim, {
          from: client,
          to: server,
          timeoutMs: Infinity,
          serve: (exchange) => exchange.reply(this.listeners.has(key)),
          refused: () => new ConnectionError(`${client} could not connect to ${server} (${protocol}): connection refused — ${server} is down`, "ECONNREFUSED"),
          timedOut: () => new ConnectionError(`${client} could not connect to ${server} (${protocol})`, "ETIMEDOUT"),
        }).then(
          (listening) => {
            if (done) return;
            const listener = this.listeners.get(key);
            if (!listening || !listener) {
              sim.trace.note(client, `connect to ${server} refused`);
              return fail(new ConnectionError(`${client} could not connect to ${server} (${protocol}): connection refused — nothing on ${server} accepts ${protocol}`, "ECONNREFUSED"));
            }
            done = true;
            timer?.cancel();
            const connection = new Connection(this, ++this.opened, client, server, protocol);
            this.live.add(connection);
            listener(connection);
            resolve(connection);
          },
          (error: ConnectionError) => {
            if (done) return;
            sim.trace.note(client, `connect to ${server} refused`);
            fail(error);
          },
        );
        if (sim.now + rto - start >= this.options.connectTimeoutMs) {
          timer = sim.schedule(Math.max(0, start + this.options.connectTimeoutMs - sim.now), () => {
            if (done) return;
            sim.trace.note(client, `connect to ${server} timed out`);
            fail(new ConnectionError(`${client} could not connect to ${server} (${protocol}): no answer within ${this.options.connectTimeoutMs} ms`, "ETIMEDOUT"));
          });
          return;
        }
        timer = sim.schedule(rto, () => {
          if (!done) syn(rto * 2);
        });
      };
      syn(this.options.synRtoMs);
    });
  }
}

const wires = new WeakMap<Simulation, Wire>();

/** The transport of `sim` (created on first use, with `options` if given then). */
export function wireOf(sim: Simulation, options?: TransportOptions): Wire {
  let wire = wires.get(sim);
  if (!wire) wires.set(sim, (wire = new Wire(sim, options)));
  return wire;
}

/** Options of {@link networkDrop}. */
export interface NetworkDropOptions {
  /** When the drop starts, ms of virtual time. Default: now. */
  at?: number;
  /** How long the nodes stay unreachable, ms. */
  durationMs: number;
}

/**
 * A network drop between `client` and `server`: at `at`, every open connection between them
 * breaks (both ends see a reset, as after a Wi-Fi hand-over or a NAT reset) and the link is
 * partitioned; after `durationMs` it heals. New connections fail until then.
 */
export function networkDrop(sim: Simulation, client: string, server: string, options: NetworkDropOptions): void {
  positive("networkDrop", "durationMs", options?.durationMs);
  const start = () => {
    for (const c of wireOf(sim).connections) {
      if ((c.client === client && c.server === server) || (c.client === server && c.server === client)) c.reset("network drop");
    }
  };
  const at = options.at ?? sim.now;
  sim.faults.partition(client, server, { at });
  if (at <= sim.now) start();
  else sim.at(at, start);
  sim.faults.heal(client, server, { at: at + options.durationMs });
}

/** Options of {@link silentDrop}. */
export interface SilentDropOptions {
  /** When it strikes, ms of virtual time. Default: now. */
  at?: number;
}

/**
 * A silent drop between `client` and `server`: at `at`, every connection open between them
 * becomes a black hole. Both ends still think it is open, but nothing sent on it arrives
 * and no error ever comes back — what happens when a NAT, firewall or load balancer forgets
 * an idle flow, or a peer's host vanishes without a reset. TCP just keeps resending (here
 * forever; Linux gives up after about 15 minutes). Only a heartbeat with a timeout notices.
 * New connections between the two nodes work (the path itself is fine), unlike
 * {@link networkDrop}, where both ends learn at once and the link is down for a while.
 */
export function silentDrop(sim: Simulation, client: string, server: string, options: SilentDropOptions = {}): void {
  sim.node(client);
  sim.node(server);
  const strike = () => {
    let n = 0;
    for (const c of wireOf(sim).connections) {
      if ((c.client === client && c.server === server) || (c.client === server && c.server === client)) {
        c.silence();
        n++;
      }
    }
    sim.trace.record("fault", client, server, `silent drop ${client} ⇹ ${server}: ${n} connection${n === 1 ? "" : "s"} open, nothing gets through`);
  };
  const at = options?.at ?? sim.now;
  if (at <= sim.now) strike();
  else sim.at(at, strike);
}
