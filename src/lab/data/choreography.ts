/**
 * A choreographed saga: no orchestrator; services react to each other's events through an
 * event bus node. Each service's handlers get an event and return the events it emits (a
 * success, or a failure that makes the earlier services compensate). Delivery is
 * at-least-once with retries; each service skips an event id it has already handled
 * (idempotent consumer) and keeps the events it emitted in an outbox until the bus has them,
 * and the bus drops a re-sent event id, so loss and redelivery neither lose nor double events. The flow lives only in the handlers: {@link history} and the
 * sequence diagram rebuild it from the bus's log.
 */
import { DISPLAY, markdown, table, type Displayable, type MimeBundle } from "../display";
import { ConfigError, nonNegative, wholeNumber } from "../errors";
import type { Simulation } from "../sim/simulation";
import { request } from "../sim/http";
import type { ServiceContext } from "../sim/node";
import { DuplicateNodeError } from "./errors";

/** An event on the bus. */
export interface ChoreographyEvent {
  /** Unique id (deduplication key). */
  id: string;
  type: string;
  /** Correlates every event of one saga. */
  sagaId: string;
  data: Record<string, unknown>;
  /** Service that emitted it. */
  source: string;
}

/** What a handler emits: an event without id, saga id and source (filled in). */
export interface EmittedEvent {
  type: string;
  data?: Record<string, unknown>;
}

/** Handles one event type at a service. */
export type ChoreographyHandler = (event: ChoreographyEvent, ctx: ServiceContext<undefined>) => EmittedEvent[] | void | Promise<EmittedEvent[] | void>;

/** Options of a {@link Choreography}. Defaults are in {@link CHOREOGRAPHY_DEFAULTS}. */
export interface ChoreographyOptions {
  /** Event bus node name. Default `"event-bus"`. */
  bus?: string;
  /** How long the bus waits for a service to take an event, ms. Default 1000. */
  deliveryTimeoutMs?: number;
  /** Delivery attempts per event and subscriber. Default 10. */
  deliveryAttempts?: number;
  /** Pause between attempts, ms. Default 100. */
  retryDelayMs?: number;
}

/** Defaults of {@link ChoreographyOptions}. */
export const CHOREOGRAPHY_DEFAULTS = { bus: "event-bus", deliveryTimeoutMs: 1000, deliveryAttempts: 10, retryDelayMs: 100 } as const;

/** Services reacting to each other's events. */
export class Choreography {
  readonly options: Readonly<Required<ChoreographyOptions>>;
  private readonly handlers = new Map<string, Map<string, ChoreographyHandler>>();
  /** Every event published, in order, with its time. */
  readonly log: (ChoreographyEvent & { time: number })[] = [];
  private seq = 0;
  private readonly published = new Set<string>();

  constructor(
    readonly sim: Simulation,
    options: ChoreographyOptions = {},
  ) {
    const d = CHOREOGRAPHY_DEFAULTS;
    const c = "Choreography";
    this.options = {
      bus: options.bus ?? d.bus,
      deliveryTimeoutMs: nonNegative(c, "deliveryTimeoutMs", options.deliveryTimeoutMs ?? d.deliveryTimeoutMs, 1),
      deliveryAttempts: wholeNumber(c, "deliveryAttempts", options.deliveryAttempts ?? d.deliveryAttempts),
      retryDelayMs: nonNegative(c, "retryDelayMs", options.retryDelayMs ?? d.retryDelayMs),
    };
    sim.service(this.options.bus, (req) => {
      const event = req.body as ChoreographyEvent;
      if (this.published.has(event.id)) return { accepted: true, duplicate: true }; // a re-sent publish
      this.published.add(event.id);
      this.log.push({ ...event, time: sim.now });
      for (const [service, map] of this.handlers) if (map.has(event.type)) void this.deliver(service, event);
      return { accepted: true };
    });
  }

  /**
   * Adds a service node whose handlers react to event types.
   * @example choreo.service("payments", { OrderCreated: (e) => e.data.total > 100 ? [{ type: "PaymentFailed" }] : [{ type: "PaymentCharged" }] })
   */
  service(name: string, handlers: Readonly<Record<string, ChoreographyHandler>>): this {
    if (this.handlers.has(name) || this.sim.hasNode(name)) throw new DuplicateNodeError("Choreography", name);
    const map = new Map(Object.entries(handlers));
    for (const [type, h] of map) if (typeof h !== "function") throw new ConfigError("Choreography.service", `handlers.${type}`, h, "a function (event, ctx) => events to emit");
    this.handlers.set(name, map);
    // Outbox: the events a handled event produced, kept with their ids until the bus took
    // them. A redelivered event is not handled again (idempotent consumer) but its unsent
    // outbox entries are sent again, so a lost publish is never lost for good.
    const outbox = new Map<string, { event: ChoreographyEvent; sent: boolean }[]>();
    this.sim.service(name, async (req, ctx) => {
      const event = req.body as ChoreographyEvent;
      let pending = outbox.get(event.id);
      if (!pending) {
        const out = (await map.get(event.type)!(event, ctx)) ?? [];
        pending = out.map((e) => ({ event: { id: `e${++this.seq}`, type: e.type, sagaId: event.sagaId, data: e.data ?? {}, source: name }, sent: false }));
        outbox.set(event.id, pending);
      }
      for (const entry of pending) {
        if (entry.sent) continue;
        await ctx.call(this.options.bus, request("POST", `/publish/${entry.event.type}`, { body: entry.event }), { timeoutMs: this.options.deliveryTimeoutMs });
        entry.sent = true;
      }
      return { handled: true };
    });
    return this;
  }

  private async emit(source: string, sagaId: string, e: EmittedEvent): Promise<void> {
    const event: ChoreographyEvent = { id: `e${++this.seq}`, type: e.type, sagaId, data: e.data ?? {}, source };
    await this.sim.node(source).call(this.options.bus, request("POST", `/publish/${e.type}`, { body: event }), { timeoutMs: this.options.deliveryTimeoutMs });
  }

  private async deliver(service: string, event: ChoreographyEvent): Promise<void> {
    for (let attempt = 1; attempt <= this.options.deliveryAttempts; attempt++) {
      try {
        const res = await this.sim.node(this.options.bus).call(service, request("POST", `/events/${event.type}`, { body: event }), { timeoutMs: this.options.deliveryTimeoutMs });
        if (res.status < 500) return;
      } catch {
        // lost or timed out: try again (at-least-once)
      }
      await this.sim.sleep(this.options.retryDelayMs);
    }
    this.sim.trace.state(this.options.bus, `gave up delivering ${event.type} (${event.sagaId}) to ${service}`);
  }

  /** Starts a saga: `from` (a node; created as a client if missing) publishes the first event. */
  async start(from: string, sagaId: string, first: EmittedEvent): Promise<void> {
    if (!this.sim.hasNode(from)) this.sim.client(from);
    await this.emit(from, sagaId, first);
  }

  /** The events of one saga, in order. */
  history(sagaId: string): Displayable {
    const rows = this.log.filter((e) => e.sagaId === sagaId).map((e) => ({ "t ms": Math.round(e.time * 100) / 100, event: e.type, from: e.source, data: JSON.stringify(e.data) }));
    return rows.length ? table(rows) : markdown(`_No events for ${sagaId}._`);
  }

  /** Event types of one saga, in order (for assertions). */
  eventTypes(sagaId: string): string[] {
    return this.log.filter((e) => e.sagaId === sagaId).map((e) => e.type);
  }

  [DISPLAY](): MimeBundle {
    const rows = [...this.handlers].map(([service, map]) => ({ service, "reacts to": [...map.keys()].join(", ") }));
    return table(rows)[DISPLAY]();
  }
}
