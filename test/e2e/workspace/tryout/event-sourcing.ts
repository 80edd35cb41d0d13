import { WrongExpectedVersionError } from "sde-lab";
import type { AccountCommand, AccountEvent, AccountState, AccountStore, EventSourcingBuildSolution } from "sde-lab/challenges";

const eventSourcingSolution: EventSourcingBuildSolution = {
  initial: (): AccountState => ({ open: false, balance: 0 }),
  evolve(state: AccountState, event: AccountEvent): AccountState {
    if (event.type === "AccountOpened") return { open: true, balance: state.balance };
    if (event.type === "MoneyDeposited") return { ...state, balance: state.balance + event.data.amount };
    return { ...state, balance: state.balance - event.data.amount };
  },
  decide(state: AccountState, command: AccountCommand): AccountEvent[] {
    if (command.type === "Open") {
      if (state.open) throw new Error("already open");
      return [{ type: "AccountOpened", data: { owner: command.owner } }];
    }
    if (!state.open) throw new Error("account is not open");
    if (!Number.isInteger(command.amount) || command.amount <= 0) throw new Error("amount must be whole cents > 0");
    if (command.type === "Deposit") return [{ type: "MoneyDeposited", data: { amount: command.amount } }];
    if (command.amount > state.balance) throw new Error("insufficient funds");
    return [{ type: "MoneyWithdrawn", data: { amount: command.amount } }];
  },
  async handle(store: AccountStore, command: AccountCommand) {
    for (;;) {
      const snapshot = await store.readSnapshot(store.stream);
      let state = snapshot?.state ?? this.initial();
      let revision = snapshot?.revision ?? -1;
      for (const e of await store.readStream(store.stream, { from: revision + 1 })) { state = this.evolve(state, e); revision = e.revision; }
      let events: AccountEvent[];
      try { events = this.decide(state, command); } catch { return "rejected"; }
      try { await store.appendToStream(store.stream, events, { expectedRevision: revision }); return "accepted"; }
      catch (e) { if (!(e instanceof WrongExpectedVersionError)) throw e; }
    }
  },
};
