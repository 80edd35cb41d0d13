// Two-phase commit: crash the coordinator after it logged COMMIT and watch participants block.
import { display, Simulation, TwoPhaseCommit } from "sde-lab";

const sim = new Simulation({ seed: 1 });
const tpc = new TwoPhaseCommit(sim, { participants: ["bank", "shop"], decisionTimeoutMs: /*$1*/1000 });

await sim.run(async () => {
  void tpc.execute({
    writes: { bank: { alice: -50 }, shop: { "order-7": "paid" } },
    crashCoordinator: /*$2*/"after-commit-logged",
    restartAfterMs: /*$3*/5_000,
  });
  await sim.sleep(3_000);
  display(tpc.locks()); // held while in doubt
  await sim.sleep(5_000);
  /*$0*/
});
tpc.report("T1");
