// CQRS: commands append events; a projection builds the read model after a lag.
import { display, AggregateRepository, EventStore, Projection, Simulation, bankAccount, table, type RecordedEvent } from "sde-lab";

const sim = new Simulation({ seed: 1 });
const store = new EventStore(sim);
const accounts = new AggregateRepository(store, bankAccount());
const balances = new Projection(sim, store, {
  name: "balances",
  initial: () => new Map<string, { balance: number }>(),
  apply(view: Map<string, { balance: number }>, e: RecordedEvent) {
    const row = view.get(e.streamId) ?? { balance: 0 };
    if (e.type === "MoneyDeposited") row.balance += Number(e.data.amount);
    if (e.type === "MoneyWithdrawn") row.balance -= Number(e.data.amount);
    view.set(e.streamId, row);
  },
}, { lagMs: /*$1*/50 });

await sim.run(async () => {
  await accounts.execute("1", { type: "Open", owner: "ann" });
  await accounts.execute("1", { type: "Deposit", amount: 100 });
  display(table([{ when: "right after the deposit", ...balances.staleness() }])); // not visible yet
  await sim.sleep(/*$2*/60);
  /*$0*/
});
table([{ when: "after the lag", ...balances.staleness() }]);
