// Orchestrated saga: step 3 fails, the completed steps are compensated in reverse order.
import { display, SagaOrchestrator, Simulation, response } from "sde-lab";

const sim = new Simulation({ seed: 1 });
for (const name of ["flight", "hotel", "car"]) {
  sim.service(name, (req) => (name === /*$1*/"car" && req.path.endsWith("/book") ? response(409, { error: "sold out" }) : { ok: true }));
}
const saga = new SagaOrchestrator(sim, {
  name: "trip",
  steps: ["flight", "hotel", "car"].map((s) => ({ name: s, service: s, action: `POST /${s}/book`, compensation: `POST /${s}/cancel` })),
});
const run = await sim.run(() => saga.run());
/*$0*/
display(run);
run.sequence();
