// Full checks of the server-side-discovery, bulkhead and sidecar build challenges (every
// stage, every case) beside one plain run of each scenario. Target (issue 20): a full check
// ≤ 3 s headless on the 2-core machine.
import { challenges } from "../src/lab/challenges/index";
import { judgeBalancer } from "../src/lab/challenges/build-microservices/server-side-discovery";
import { judgeBulkhead } from "../src/lab/challenges/build-microservices/bulkhead";
import { judgeSidecar } from "../src/lab/challenges/build-microservices/sidecar";
import { balancer, bulkheads, sidecar } from "../test/unit/challenges/infra-references";
import { report, time } from "./harness";

const RUNS = 5;
const rows = [
  { id: "server-side-discovery", judge: () => judgeBalancer(balancer(), { seed: 1, faults: [], size: 320 }), check: () => challenges["server-side-discovery"].check(balancer()) },
  { id: "bulkhead", judge: () => judgeBulkhead(bulkheads(), { seed: 1, faults: [], size: 20 }), check: () => challenges.bulkhead.check(bulkheads()) },
  { id: "sidecar", judge: () => judgeSidecar(sidecar(), { seed: 1, faults: [], size: 60 }), check: () => challenges.sidecar.check(sidecar()) },
];
for (const r of rows) {
  const plain = await time(`${r.id}: one plain run of the scenario (seed 1, no faults)`, async () => {
    if (!(await r.judge()).ok) throw new Error(`the ${r.id} reference failed its plain run`);
  }, 10, 2);
  const full = await time(`${r.id}: full check of the reference (3 stages, 50 cases)`, async () => {
    if (!(await r.check()).passed) throw new Error(`the ${r.id} reference did not pass`);
  }, RUNS, 1);
  report(`${r.id}: build challenge check vs one plain run`, plain, [full]);
  console.log(`\n${r.id}: full check p50 ${full.p50.toFixed(0)} ms (target ≤ 3000 ms) ${full.p50 <= 3_000 ? "OK" : "OVER TARGET"}; ${(full.p50 / plain.p50).toFixed(1)}× one plain run`);
}
