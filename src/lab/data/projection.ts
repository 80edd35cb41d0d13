/**
 * CQRS read side: a projection folds events from the store's global log into a read model
 * (a denormalised view shaped for queries). It runs asynchronously: each event reaches the
 * projection `lagMs` of virtual time after it was appended, so a query right after a write
 * may not see it. The projection keeps a checkpoint (the last position applied), skips
 * events at or before it (idempotent on redelivery), and can be rebuilt from position 0.
 */
import { DISPLAY, markdown, table, type MimeBundle } from "../display";
import { ConfigError } from "../errors";
import type { Simulation } from "../sim/simulation";
import { checkDistribution, sample, type Distribution } from "../sim/random";
import { Histogram } from "../sim/metrics";
import type { EventStore, RecordedEvent, Subscription } from "./event-store";

/** How a read model is built. */
export interface ProjectionDefinition<R> {
  /** Name in traces and tables. */
  readonly name: string;
  /** The empty read model. */
  initial(): R;
  /** Applies one event (mutate `model` or return a new one). */
  apply(model: R, event: RecordedEvent): R | void;
  /** Only events of streams with these prefixes (e.g. `["account-"]`). Default all. */
  readonly streams?: readonly string[];
}

/** Options of a {@link Projection}. Defaults are in {@link PROJECTION_DEFAULTS}. */
export interface ProjectionOptions {
  /** Delay from append to the projection applying the event, ms (a number or a distribution). Default 50. */
  lagMs?: Distribution;
}

/** Defaults of {@link ProjectionOptions}. */
export const PROJECTION_DEFAULTS = { lagMs: 50 as Distribution } as const;

/** How far a read model is behind the write side. */
export interface Staleness {
  /** Events appended but not yet applied. */
  behindEvents: number;
  /** Age of the oldest unapplied event, ms (0 when caught up). */
  behindMs: number;
}

/** A running projection and its read model. */
export class Projection<R> {
  readonly options: Readonly<Required<ProjectionOptions>>;
  private current: R;
  private position = -1;
  private sub: Subscription | undefined;
  private generation = 0;
  private applied = 0;
  private lastScheduled = 0;
  private readonly pending: RecordedEvent[] = [];
  /** Append-to-apply delay of every live event applied, ms (catch-up reads are not counted). */
  readonly lag: Histogram;

  constructor(
    readonly sim: Simulation,
    readonly store: EventStore,
    readonly definition: ProjectionDefinition<R>,
    options: ProjectionOptions = {},
  ) {
    if (!definition || typeof definition.apply !== "function" || typeof definition.initial !== "function") throw new ConfigError("Projection", "definition", definition, "{ name, initial(), apply(model, event) }");
    this.options = { lagMs: checkDistribution("Projection", "lagMs", options.lagMs ?? PROJECTION_DEFAULTS.lagMs) };
    this.current = definition.initial();
    this.lag = new Histogram(`${definition.name} lag`);
    this.start(-1);
  }

  private start(after: number): void {
    const generation = this.generation;
    const prefixes = this.definition.streams;
    this.sub = this.store.subscribeToAll(
      (event) => {
        if (prefixes && !prefixes.some((p) => event.streamId.startsWith(p))) return;
        if (!this.sub) {
          // History at subscription time: applied at once (a catch-up read, not lag).
          this.applyEvent(event, false);
          return;
        }
        this.pending.push(event);
        // Events are applied in log order: one never overtakes an earlier one.
        const at = Math.max(this.lastScheduled, this.sim.now + Math.max(0, sample(this.sim.random, this.options.lagMs)));
        this.lastScheduled = at;
        this.sim.at(at, () => {
          if (generation !== this.generation) return;
          const i = this.pending.indexOf(event);
          if (i >= 0) this.pending.splice(i, 1);
          this.applyEvent(event, true);
        });
      },
      { afterPosition: after },
    );
  }

  private applyEvent(event: RecordedEvent, live: boolean): void {
    // Idempotent: a redelivered or out-of-order older event is skipped by its position.
    if (event.position <= this.position) return;
    const out = this.definition.apply(this.current, event);
    if (out !== undefined) this.current = out;
    this.position = event.position;
    this.applied++;
    if (live) this.lag.record(this.sim.now - event.time);
  }

  /** The read model now (possibly behind the write side). */
  get model(): R {
    return this.current;
  }

  /** Global position of the last event applied (-1 before any). */
  get checkpoint(): number {
    return this.position;
  }

  /** Events applied since the start or the last rebuild. */
  get eventsApplied(): number {
    return this.applied;
  }

  /** Runs `query` against the read model. */
  query<T>(query: (model: R) => T): T {
    return query(this.current);
  }

  /** How far behind the write side the read model is now. */
  staleness(): Staleness {
    const oldest = this.pending.reduce((m, e) => Math.min(m, e.time), Infinity);
    return { behindEvents: this.pending.length, behindMs: oldest === Infinity ? 0 : this.sim.now - oldest };
  }

  /**
   * Throws the read model away and replays the whole log from position 0 (at once), then
   * follows live events again: how a buggy or new projection is fixed.
   */
  rebuild(definition?: ProjectionDefinition<R>): this {
    this.sub?.unsubscribe();
    this.generation++;
    if (definition) (this as { definition: ProjectionDefinition<R> }).definition = definition;
    this.pending.length = 0;
    this.current = this.definition.initial();
    this.position = -1;
    this.applied = 0;
    this.sub = undefined;
    this.start(-1);
    this.sim.trace.state(this.definition.name, `rebuilt from position 0: ${this.applied} events replayed`);
    return this;
  }

  /** Stops following the log. */
  stop(): void {
    this.sub?.unsubscribe();
    this.generation++;
  }

  [DISPLAY](): MimeBundle {
    const s = this.staleness();
    const lag = this.lag.count ? `, lag p50 ${this.lag.percentile(50)} ms / p99 ${this.lag.percentile(99)} ms` : "";
    const head = `**${this.definition.name}**: checkpoint ${this.position} of ${this.store.lastPosition}, ${s.behindEvents} events behind${lag}`;
    const m = this.current;
    if (m instanceof Map) {
      const rows = [...m].slice(0, 15).map(([k, v]) => ({ key: String(k), ...(typeof v === "object" && v !== null ? (v as Record<string, unknown>) : { value: v }) }));
      const t = table(rows)[DISPLAY]();
      return { "text/markdown": `${head}\n\n${t["text/markdown"]}`, "text/plain": `${head.replace(/\*\*/g, "")}\n${t["text/plain"]}` };
    }
    return markdown(`${head}\n\nread model: \`${JSON.stringify(m)?.slice(0, 400)}\``)[DISPLAY]();
  }
}
