/**
 * Event-sourced aggregates: state is a fold over the aggregate's stream. A repository loads
 * an aggregate by replaying its events (from the latest snapshot, when there is one), runs a
 * command through the aggregate's `decide` rule, and appends the resulting events with the
 * revision it loaded as the expected revision, so two writers cannot both decide on the same
 * state.
 */
import { DISPLAY, markdown, type MimeBundle } from "../display";
import { ConfigError, wholeNumber } from "../errors";
import { CommandRejectedError, WrongExpectedVersionError } from "./errors";
import type { EventData, EventStore, RecordedEvent } from "./event-store";

/** How to build and change one kind of aggregate. */
export interface AggregateType<S, C = never> {
  /** Stream prefix: aggregate `42` of type `account` lives in stream `account-42`. */
  readonly name: string;
  /** State before any event. */
  initial(): S;
  /** State after one more event (pure; no validation: events are facts). */
  apply(state: S, event: RecordedEvent): S;
  /**
   * The events a command produces, or a {@link CommandRejectedError} thrown when the rules
   * forbid it (validation happens here, against the current state).
   */
  decide?(state: S, command: C): EventData[];
}

/** Options of an {@link AggregateRepository}. */
export interface RepositoryOptions {
  /** Take a snapshot every this many events (0 = never). Default 0. */
  snapshotEvery?: number;
  /** Times a command is retried after a {@link WrongExpectedVersionError} (reload, decide again). Default 0. */
  retries?: number;
}

/** An aggregate as loaded. */
export interface Loaded<S> {
  id: string;
  state: S;
  /** Revision of the last applied event, -1 for a new aggregate. */
  revision: number;
  /** Events replayed to build it. */
  replayed: number;
  /** Revision of the snapshot it started from, or undefined. */
  snapshotRevision: number | undefined;
}

/** What executing a command did. */
export interface CommandResult<S> {
  events: RecordedEvent[];
  state: S;
  revision: number;
  /** Attempts made (1 + retries after conflicts). */
  attempts: number;
}

/** Loads and changes aggregates of one type. */
export class AggregateRepository<S, C = never> {
  readonly options: Readonly<Required<RepositoryOptions>>;
  private readonly snapshots = new Map<string, { revision: number; state: S }>();
  private readonly counts = { loads: 0, replayed: 0, snapshotsTaken: 0 };

  constructor(
    readonly store: EventStore,
    readonly type: AggregateType<S, C>,
    options: RepositoryOptions = {},
  ) {
    if (!type || typeof type.apply !== "function" || typeof type.initial !== "function") throw new ConfigError("AggregateRepository", "type", type, "{ name, initial(), apply(state, event) }");
    this.options = { snapshotEvery: wholeNumber("AggregateRepository", "snapshotEvery", options.snapshotEvery ?? 0, 0), retries: wholeNumber("AggregateRepository", "retries", options.retries ?? 0, 0) };
  }

  /** Stream of aggregate `id`. */
  streamOf(id: string): string {
    return `${this.type.name}-${id}`;
  }

  /** Loads, replaying events since the latest snapshot. */
  load(id: string): Loaded<S> {
    const snap = this.snapshots.get(id);
    const start = snap ? snap.revision + 1 : 0;
    const { state, revision, replayed } = this.store.fold(this.streamOf(id), snap ? structuredCloneSafe(snap.state) : this.type.initial(), (s, e) => this.type.apply(s, e), start);
    this.counts.loads++;
    this.counts.replayed += replayed;
    this.maybeSnapshot(id, state, revision);
    return { id, state, revision, replayed, snapshotRevision: snap?.revision };
  }

  private maybeSnapshot(id: string, state: S, revision: number): void {
    const n = this.options.snapshotEvery;
    if (n === 0 || revision < 0) return;
    const last = this.snapshots.get(id)?.revision ?? -1;
    // A snapshot at each multiple of N reached (revision counts from 0, so N events = revision N-1).
    if (Math.floor((revision + 1) / n) > Math.floor((last + 1) / n)) {
      this.snapshots.set(id, { revision, state: structuredCloneSafe(state) });
      this.counts.snapshotsTaken++;
    }
  }

  /** Snapshot of aggregate `id`, if one was taken. */
  snapshotOf(id: string): { revision: number; state: S } | undefined {
    return this.snapshots.get(id);
  }

  /** Loads, events replayed and snapshots taken so far. */
  get stats(): { loads: number; replayed: number; snapshotsTaken: number } {
    return { ...this.counts };
  }

  /**
   * Loads the aggregate, asks `decide` for the events, and appends them expecting the loaded
   * revision. A concurrent append makes it fail with {@link WrongExpectedVersionError} (or
   * reload and retry, with `retries`).
   * @throws {@link CommandRejectedError} when the rules refuse the command
   */
  async execute(id: string, command: C): Promise<CommandResult<S>> {
    const decide = this.type.decide;
    if (!decide) throw new ConfigError("AggregateRepository.execute", "type.decide", undefined, "a decide(state, command) function on the aggregate type");
    for (let attempt = 1; ; attempt++) {
      const loaded = this.load(id);
      const events = decide.call(this.type, loaded.state, command);
      try {
        const res = await this.store.appendToStream(this.streamOf(id), events, { expectedRevision: loaded.revision === -1 ? "no_stream" : loaded.revision });
        const recorded = this.store.readStream(this.streamOf(id), { from: loaded.revision + 1 });
        const state = recorded.reduce((s, e) => this.type.apply(s, e), loaded.state);
        this.maybeSnapshot(id, state, res.nextExpectedRevision);
        return { events: recorded, state, revision: res.nextExpectedRevision, attempts: attempt };
      } catch (error) {
        if (error instanceof WrongExpectedVersionError && attempt <= this.options.retries) continue;
        throw error;
      }
    }
  }
}

function structuredCloneSafe<T>(v: T): T {
  // Snapshots must not share objects with live state that `apply` might mutate.
  return v === null || typeof v !== "object" ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** State of the example bank account. */
export interface AccountState {
  opened: boolean;
  owner: string;
  /** Balance in cents. */
  balance: number;
  /** Events applied. */
  transactions: number;
}

/** Commands of the example bank account (amounts in cents). */
export type AccountCommand = { type: "Open"; owner: string } | { type: "Deposit"; amount: number } | { type: "Withdraw"; amount: number };

/** Options of {@link bankAccount}. */
export interface BankAccountOptions {
  /** How far below zero the balance may go, in cents. Default 0 (no overdraft). */
  overdraftLimit?: number;
}

/**
 * The example aggregate: a bank account with `AccountOpened`, `MoneyDeposited` and
 * `MoneyWithdrawn` events (amounts in cents) and an overdraft rule enforced in `decide`.
 * Version 1 of `MoneyDeposited` stored `{ amount: "12.50" }` (a decimal string of euros);
 * version 2 stores `{ amount: 1250 }` in cents — {@link moneyDepositedV1toV2} upcasts.
 */
export function bankAccount(options: BankAccountOptions = {}): AggregateType<AccountState, AccountCommand> {
  const limit = wholeNumber("bankAccount", "overdraftLimit", options.overdraftLimit ?? 0, 0);
  return {
    name: "account",
    initial: () => ({ opened: false, owner: "", balance: 0, transactions: 0 }),
    apply(state, event) {
      const amount = Number((event.data as { amount?: unknown }).amount);
      switch (event.type) {
        case "AccountOpened":
          return { ...state, opened: true, owner: String(event.data.owner), transactions: state.transactions + 1 };
        case "MoneyDeposited":
          return { ...state, balance: state.balance + amount, transactions: state.transactions + 1 };
        case "MoneyWithdrawn":
          return { ...state, balance: state.balance - amount, transactions: state.transactions + 1 };
        default:
          return state;
      }
    },
    decide(state, command) {
      switch (command.type) {
        case "Open":
          if (state.opened) throw new CommandRejectedError("Open", "the account is already open");
          return [{ type: "AccountOpened", data: { owner: command.owner } }];
        case "Deposit":
          if (!state.opened) throw new CommandRejectedError("Deposit", "the account is not open");
          if (!Number.isInteger(command.amount) || command.amount <= 0) throw new CommandRejectedError("Deposit", `amount must be a whole number of cents > 0, got ${command.amount}`);
          return [{ type: "MoneyDeposited", data: { amount: command.amount }, schemaVersion: 2 }];
        case "Withdraw":
          if (!state.opened) throw new CommandRejectedError("Withdraw", "the account is not open");
          if (!Number.isInteger(command.amount) || command.amount <= 0) throw new CommandRejectedError("Withdraw", `amount must be a whole number of cents > 0, got ${command.amount}`);
          if (state.balance - command.amount < -limit) throw new CommandRejectedError("Withdraw", `balance ${state.balance} − ${command.amount} would pass the overdraft limit of ${limit}`);
          return [{ type: "MoneyWithdrawn", data: { amount: command.amount } }];
      }
    },
  };
}

/** Upcaster of the example: `MoneyDeposited` v1 `{ amount: "12.50" }` (euros, string) → v2 `{ amount: 1250 }` (cents). */
export const moneyDepositedV1toV2 = {
  type: "MoneyDeposited",
  fromVersion: 1,
  upcast: (data: Record<string, unknown>) => ({ ...data, amount: Math.round(Number(data.amount) * 100) }),
};

/** A loaded aggregate, shown compactly. */
export function describeLoad<S>(loaded: Loaded<S>): { [DISPLAY](): MimeBundle } {
  return {
    [DISPLAY]: () =>
      markdown(
        `**${loaded.id}** at revision ${loaded.revision}: ${loaded.replayed} events replayed${loaded.snapshotRevision === undefined ? " from the start" : ` after the snapshot at revision ${loaded.snapshotRevision}`}; state \`${JSON.stringify(loaded.state)}\``,
      )[DISPLAY](),
  };
}
