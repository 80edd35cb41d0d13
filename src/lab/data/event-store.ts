/**
 * An in-memory event store shaped like EventStoreDB's client: append-only streams, appends
 * guarded by an expected revision (optimistic concurrency), reads forwards and backwards
 * from a stream or from the global log (`$all`), catch-up subscriptions (history, then
 * live), and upcasters that turn old event versions into the current one on read.
 *
 * Revisions count from 0 within a stream; positions count from 0 across the whole store. A
 * stream that does not exist has revision -1. Appends are atomic: a batch is stored whole or
 * not at all. Unlike EventStoreDB there is no disk, no `$`-system streams and no
 * deletion; appends and reads resolve on the same tick (no network).
 */
import { DISPLAY, table, type Displayable, type MimeBundle } from "../display";
import { ConfigError, wholeNumber } from "../errors";
import type { Simulation } from "../sim/simulation";
import { MalformedEventError, WrongExpectedVersionError, type ExpectedRevision } from "./errors";

/** Plain JSON object data of an event. */
export type EventPayload = Record<string, unknown>;

/** An event to append. */
export interface EventData<D extends EventPayload = EventPayload> {
  /** What happened, past tense: `MoneyDeposited`. */
  type: string;
  /** The event's facts: a plain JSON object. */
  data: D;
  /** Correlation ids, causation, user… Optional. */
  metadata?: EventPayload;
  /** Schema version of `data`, a whole number ≥ 1. Default 1. */
  schemaVersion?: number;
}

/** An event as stored. */
export interface RecordedEvent<D extends EventPayload = EventPayload> {
  streamId: string;
  type: string;
  data: D;
  metadata: EventPayload;
  /** Version of `data` after upcasting (the stored version is in `storedVersion`). */
  schemaVersion: number;
  /** Version the event was written with. */
  storedVersion: number;
  /** Position within its stream, from 0. */
  revision: number;
  /** Position in the whole store, from 0. */
  position: number;
  /** Virtual time of the append, ms (0 without a simulation). */
  time: number;
}

/** Options of one append. */
export interface AppendOptions {
  /**
   * What the writer believes the stream's revision is: `"any"` (no check, the default),
   * `"no_stream"` (it must not exist), `"stream_exists"`, or the exact revision of the last
   * event the writer read. A mismatch throws {@link WrongExpectedVersionError} and appends nothing.
   */
  expectedRevision?: ExpectedRevision;
}

/** What an append did. */
export interface AppendResult {
  /** The stream's revision after the append: pass it as the next `expectedRevision`. */
  nextExpectedRevision: number;
  /** Global position of the last appended event. */
  position: number;
}

/** Options of a read. */
export interface ReadOptions {
  /** `"forwards"` (default) or `"backwards"`. */
  direction?: "forwards" | "backwards";
  /** First revision (stream) or position (`$all`) to read; default the start (forwards) or the end (backwards). */
  from?: number;
  /** Most events returned. Default all. */
  maxCount?: number;
}

/** Turns `data` of `type` at `fromVersion` into `fromVersion + 1`. */
export interface Upcaster {
  type: string;
  fromVersion: number;
  upcast(data: EventPayload): EventPayload;
}

/** A running subscription. */
export interface Subscription {
  /** Position of the last event delivered (-1 before any). */
  readonly checkpoint: number;
  /** True once the history was delivered and live events flow. */
  readonly live: boolean;
  /** Stops deliveries. */
  unsubscribe(): void;
}

/** Options of {@link EventStore.subscribeToAll}. */
export interface SubscribeOptions {
  /** Deliver events after this position (a saved checkpoint); default -1, the whole history. */
  afterPosition?: number;
  /** Only events of these streams (prefix match with a trailing `*`, e.g. `account-*`). */
  streams?: readonly string[];
}

interface Stored {
  streamId: string;
  type: string;
  data: EventPayload;
  metadata: EventPayload;
  version: number;
  revision: number;
  position: number;
  time: number;
}

interface Sub {
  deliver(e: RecordedEvent): void;
  match(stream: string): boolean;
  active: boolean;
  checkpoint: number;
  live: boolean;
}

/** The event store. Pass a {@link Simulation} to stamp events with virtual time. */
export class EventStore {
  private readonly log: Stored[] = [];
  private readonly streams = new Map<string, Stored[]>();
  private readonly upcasters = new Map<string, (data: EventPayload) => EventPayload>();
  private readonly latestVersion = new Map<string, number>();
  private readonly subs: Sub[] = [];
  private readonly counts = { appends: 0, conflicts: 0 };

  constructor(readonly sim?: Simulation) {}

  /** Events in the store. */
  get size(): number {
    return this.log.length;
  }

  /** Position of the last event (-1 when empty). */
  get lastPosition(): number {
    return this.log.length - 1;
  }

  /** Stream names, in order of creation. */
  get streamIds(): string[] {
    return [...this.streams.keys()];
  }

  /** Successful appends and appends refused by a revision check. */
  get stats(): { appends: number; conflicts: number; events: number; streams: number } {
    return { ...this.counts, events: this.log.length, streams: this.streams.size };
  }

  /** Revision of the stream's last event, -1 when the stream does not exist. */
  revision(streamId: string): number {
    return (this.streams.get(streamId)?.length ?? 0) - 1;
  }

  /**
   * Appends events to a stream, atomically, after checking the expected revision.
   * @throws {@link WrongExpectedVersionError} when the revision does not match (nothing appended)
   * @throws {@link MalformedEventError} when an event has no type or non-JSON data (nothing appended)
   */
  async appendToStream(streamId: string, events: EventData | readonly EventData[], options: AppendOptions = {}): Promise<AppendResult> {
    // Like a request to a server, the append lands after the caller yields: two writers that
    // both read revision N and both append "expecting N" really do race, and one loses.
    await Promise.resolve();
    return this.appendNow(streamId, events, options);
  }

  /** {@link appendToStream} without the promise, for hot loops and benchmarks. */
  appendNow(streamId: string, events: EventData | readonly EventData[], options: AppendOptions = {}): AppendResult {
    if (typeof streamId !== "string" || streamId === "") throw new ConfigError("EventStore.appendToStream", "streamId", streamId, "a non-empty string");
    const batch = Array.isArray(events) ? (events as readonly EventData[]) : [events as EventData];
    batch.forEach((e, i) => checkEvent(streamId, i, e));
    // EventStoreDB's client takes revisions as bigint; accept those too.
    const given = options.expectedRevision ?? "any";
    const expected: ExpectedRevision = typeof given === "bigint" ? Number(given) : given;
    const stream = this.streams.get(streamId);
    const actual = (stream?.length ?? 0) - 1;
    const okRevision =
      expected === "any" ? true : expected === "no_stream" ? actual === -1 : expected === "stream_exists" ? actual >= 0 : typeof expected === "number" && Number.isInteger(expected) ? expected === actual : badExpected(expected);
    if (!okRevision) {
      this.counts.conflicts++;
      this.sim?.trace.state("event store", `append to ${streamId} refused: expected ${String(expected)}, at ${actual}`);
      throw new WrongExpectedVersionError(streamId, expected, actual);
    }
    const list = stream ?? [];
    if (!stream) this.streams.set(streamId, list);
    const time = this.sim?.now ?? 0;
    const first = this.log.length;
    for (const e of batch) {
      const s: Stored = { streamId, type: e.type, data: e.data, metadata: e.metadata ?? {}, version: e.schemaVersion ?? 1, revision: list.length, position: this.log.length, time };
      list.push(s);
      this.log.push(s);
    }
    this.counts.appends++;
    if (this.sim) this.sim.trace.state("event store", `${streamId} += ${batch.map((e) => e.type).join(", ")} (rev ${list.length - 1})`);
    if (this.subs.length) for (let p = first; p < this.log.length; p++) this.publish(this.log[p]!);
    return { nextExpectedRevision: list.length - 1, position: this.log.length - 1 };
  }

  /** Registers an upcaster: on read, `type` events at `fromVersion` become `fromVersion + 1` (chained up to the newest). */
  registerUpcaster(upcaster: Upcaster): this {
    if (!upcaster || typeof upcaster.type !== "string" || typeof upcaster.upcast !== "function") throw new ConfigError("EventStore.registerUpcaster", "upcaster", upcaster, "{ type, fromVersion, upcast(data) }");
    wholeNumber("EventStore.registerUpcaster", "fromVersion", upcaster.fromVersion);
    this.upcasters.set(`${upcaster.type}@${upcaster.fromVersion}`, upcaster.upcast);
    this.latestVersion.set(upcaster.type, Math.max(this.latestVersion.get(upcaster.type) ?? 1, upcaster.fromVersion + 1));
    return this;
  }

  private view(s: Stored): RecordedEvent {
    let data = s.data;
    let version = s.version;
    if (this.upcasters.size) {
      for (let up = this.upcasters.get(`${s.type}@${version}`); up; up = this.upcasters.get(`${s.type}@${version}`)) {
        data = up(data);
        version++;
      }
    }
    return { streamId: s.streamId, type: s.type, data, metadata: s.metadata, schemaVersion: version, storedVersion: s.version, revision: s.revision, position: s.position, time: s.time };
  }

  /** Events of one stream (empty when it does not exist). */
  readStream(streamId: string, options: ReadOptions = {}): RecordedEvent[] {
    return this.read(this.streams.get(streamId) ?? [], options);
  }

  /** Events of every stream in global order (`$all`). */
  readAll(options: ReadOptions = {}): RecordedEvent[] {
    return this.read(this.log, options);
  }

  private read(list: readonly Stored[], options: ReadOptions): RecordedEvent[] {
    const backwards = options.direction === "backwards";
    if (options.direction !== undefined && options.direction !== "forwards" && !backwards) throw new ConfigError("EventStore.read", "direction", options.direction, '"forwards" or "backwards"');
    const max = options.maxCount === undefined ? Infinity : wholeNumber("EventStore.read", "maxCount", options.maxCount, 0);
    const out: RecordedEvent[] = [];
    if (backwards) {
      const from = Math.min(list.length - 1, options.from ?? list.length - 1);
      for (let i = from; i >= 0 && out.length < max; i--) out.push(this.view(list[i]!));
    } else {
      for (let i = Math.max(0, options.from ?? 0); i < list.length && out.length < max; i++) out.push(this.view(list[i]!));
    }
    return out;
  }

  /**
   * Folds a stream into state without building event objects: the replay fast path for
   * aggregates (upcasters still apply).
   */
  fold<S>(streamId: string, initial: S, apply: (state: S, event: RecordedEvent) => S, fromRevision = 0): { state: S; revision: number; replayed: number } {
    const list = this.streams.get(streamId) ?? [];
    let state = initial;
    for (let i = fromRevision; i < list.length; i++) state = apply(state, this.view(list[i]!));
    return { state, revision: list.length - 1, replayed: Math.max(0, list.length - fromRevision) };
  }

  /**
   * A catch-up subscription to `$all`: `handler` gets every event after `afterPosition`
   * (the history, at once), then each new event as it is appended.
   */
  subscribeToAll(handler: (event: RecordedEvent) => void, options: SubscribeOptions = {}): Subscription {
    const patterns = options.streams;
    const match = patterns ? (s: string) => patterns.some((p) => (p.endsWith("*") ? s.startsWith(p.slice(0, -1)) : s === p)) : () => true;
    const sub: Sub = { deliver: handler, match, active: true, checkpoint: options.afterPosition ?? -1, live: false };
    for (let p = sub.checkpoint + 1; p < this.log.length && sub.active; p++) {
      const s = this.log[p]!;
      if (match(s.streamId)) handler(this.view(s));
      sub.checkpoint = p;
    }
    sub.live = true;
    this.subs.push(sub);
    return {
      get checkpoint() {
        return sub.checkpoint;
      },
      get live() {
        return sub.live;
      },
      unsubscribe: () => {
        sub.active = false;
        const i = this.subs.indexOf(sub);
        if (i >= 0) this.subs.splice(i, 1);
      },
    };
  }

  /** A catch-up subscription to one stream. */
  subscribeToStream(streamId: string, handler: (event: RecordedEvent) => void, options: { afterPosition?: number } = {}): Subscription {
    return this.subscribeToAll(handler, { ...options, streams: [streamId] });
  }

  private publish(s: Stored): void {
    for (const sub of [...this.subs]) {
      if (!sub.active) continue;
      if (sub.match(s.streamId)) sub.deliver(this.view(s));
      sub.checkpoint = s.position;
    }
  }

  /** Streams with their event counts, as a table. */
  [DISPLAY](): MimeBundle {
    const rows = [...this.streams].slice(0, 20).map(([stream, list]) => ({ stream, events: list.length, revision: list.length - 1, "last event": list.at(-1)?.type ?? "" }));
    if (this.streams.size > 20) rows.push({ stream: `… ${this.streams.size - 20} more`, events: 0, revision: 0, "last event": "" });
    return table(rows.length ? rows : [{ stream: "(empty store)", events: 0, revision: -1, "last event": "" }])[DISPLAY]();
  }
}

/** Shows events as a compact table (type, stream, revision, data). */
export function eventTable(events: readonly RecordedEvent[], limit = 20): Displayable {
  const rows: Record<string, string | number>[] = events.slice(0, limit).map((e) => ({ position: e.position, stream: e.streamId, revision: e.revision, type: e.type, v: e.schemaVersion, data: JSON.stringify(e.data) }));
  if (events.length > limit) rows.push({ position: "…", stream: `${events.length - limit} more events`, revision: "", type: "", v: "", data: "" });
  return table(rows);
}

function badExpected(expected: unknown): never {
  throw new ConfigError("EventStore.appendToStream", "expectedRevision", expected, '"any", "no_stream", "stream_exists" or a whole-number revision');
}

function checkEvent(stream: string, index: number, e: EventData): void {
  if (e === null || typeof e !== "object") throw new MalformedEventError(stream, index, `it is ${e === null ? "null" : typeof e}, not an object`);
  if (typeof e.type !== "string" || e.type.trim() === "") throw new MalformedEventError(stream, index, `"type" must be a non-empty string, got ${JSON.stringify(e.type)}`);
  if (!isPlainObject(e.data)) throw new MalformedEventError(stream, index, `"data" of ${e.type} must be a plain JSON object, got ${Array.isArray(e.data) ? "an array" : e.data === null ? "null" : typeof e.data}`);
  const bad = nonJson(e.data, "data");
  if (bad) throw new MalformedEventError(stream, index, `${bad} in ${e.type} is not JSON (events must survive serialisation)`);
  if (e.metadata !== undefined && !isPlainObject(e.metadata)) throw new MalformedEventError(stream, index, `"metadata" must be a plain JSON object when given`);
  if (e.schemaVersion !== undefined && (!Number.isInteger(e.schemaVersion) || e.schemaVersion < 1)) throw new MalformedEventError(stream, index, `"schemaVersion" must be a whole number ≥ 1, got ${String(e.schemaVersion)}`);
}

function isPlainObject(v: unknown): v is EventPayload {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The path of the first value JSON cannot carry faithfully, if any. */
function nonJson(v: unknown, path: string, depth = 0): string | undefined {
  if (depth > 32) return `${path} (nested too deep)`;
  if (v === null || typeof v === "string" || typeof v === "boolean") return undefined;
  if (typeof v === "number") return Number.isFinite(v) ? undefined : `${path} = ${v}`;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const b = nonJson(v[i], `${path}[${i}]`, depth + 1);
      if (b) return b;
    }
    return undefined;
  }
  if (isPlainObject(v)) {
    for (const k in v) {
      const b = nonJson(v[k], `${path}.${k}`, depth + 1);
      if (b) return b;
    }
    return undefined;
  }
  return `${path} (${typeof v === "object" ? (v as object).constructor?.name ?? "object" : typeof v})`;
}
