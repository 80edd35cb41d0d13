// Event sourcing: an account as a stream of events, guarded by expected revisions.
import { display, AggregateRepository, EventStore, bankAccount, describeLoad, eventTable } from "sde-lab";

const store = new EventStore();
const accounts = new AggregateRepository(store, bankAccount({ overdraftLimit: /*$1*/0 }), { snapshotEvery: /*$2*/100 });

await accounts.execute("7", { type: "Open", owner: "ann" });
await accounts.execute("7", { type: "Deposit", amount: 500 });
await accounts.execute("7", { type: "Withdraw", amount: /*$3*/200 });
/*$0*/
display(describeLoad(accounts.load("7")));
eventTable(store.readStream("account-7"));
