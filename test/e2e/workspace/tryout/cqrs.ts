import type { BalanceEvent, CqrsBuildSolution, Projector, QueryContext, ReadDb } from "sde-lab/challenges";

const cqrsSolution: CqrsBuildSolution = {
  createProjector(db: ReadDb): Projector {
    let checkpoint = -1;
    return {
      async start() {
        checkpoint = await db.checkpoint();
        return checkpoint;
      },
      async handle(event: BalanceEvent) {
        if (event.position <= checkpoint) return;
        const balance = (await db.get(event.streamId)) ?? 0;
        const delta = event.type === "MoneyDeposited" ? event.data.amount : -event.data.amount;
        await db.write({ rows: { [event.streamId]: balance + delta }, checkpoint: event.position });
        checkpoint = event.position;
      },
    };
  },
  async query({ db, account, ownPosition, sleep }: QueryContext) {
    if (ownPosition !== undefined) while ((await db.checkpoint()) < ownPosition) await sleep(1);
    return db.get(account);
  },
};
