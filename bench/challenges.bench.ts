// Every build challenge with a reference solution (the references live with the tests, in
// test/unit/challenges/*-references.ts): its full check (every stage, every case) beside one
// plain run of its scenario, so the ratio says what the checker costs. Target (issue 20): a full
// check ≤ 3 s headless on the 2-core machine. `npm run bench challenges` runs it alone.
import { loadavg } from "node:os";
import type { Random } from "../src/lab/index";
import { challenges } from "../src/lab/challenges/index";
import type { CheckCase } from "../src/lab/challenges/build";
import { judge as judgeGateway } from "../src/lab/challenges/build-microservices/api-gateway";
import { judgeBalancer } from "../src/lab/challenges/build-microservices/server-side-discovery";
import { judgeBulkhead } from "../src/lab/challenges/build-microservices/bulkhead";
import { judgeSidecar } from "../src/lab/challenges/build-microservices/sidecar";
import { judgeBreaker } from "../src/lab/challenges/build-microservices/circuit-breaker";
import { judgeRetry } from "../src/lab/challenges/build-microservices/retry-backoff";
import { judgeTimeout } from "../src/lab/challenges/build-microservices/timeout";
import { scripted as runLimiterCase } from "../src/lab/challenges/build-microservices/rate-limiting";
import { judgeBff } from "../src/lab/challenges/build-microservices/bff";
import { judgeDiscovery } from "../src/lab/challenges/build-microservices/client-side-discovery";
import { judgeScripted } from "../src/lab/challenges/build-protocols/rest";
import { judgeQueries } from "../src/lab/challenges/build-protocols/graphql";
import { judge as judgeGrpc } from "../src/lab/challenges/build-protocols/grpc";
import { judgeWebSocketRun, runWebSocketCase } from "../src/lab/challenges/protocols-build/websocket";
import { runSseClientCase } from "../src/lab/challenges/protocols-build/sse";
import { runLongPollCase } from "../src/lab/challenges/protocols-build/long-polling";
import { runEventSourcingCase } from "../src/lab/challenges/data/event-sourcing";
import { runCqrsCase } from "../src/lab/challenges/data/cqrs";
import { runHotSplitCase } from "../src/lab/challenges/data/sharding";
import { runJoinCase } from "../src/lab/challenges/data/vertical";
import { runSpreadCase } from "../src/lab/challenges/data/ring";
import { runTwoPhaseCase } from "../src/lab/challenges/data/two-phase";
import { runSagaCase } from "../src/lab/challenges/data/saga";
import { runLoop } from "../src/lab/challenges/messaging-build/consumer-loop";
import { runPayments } from "../src/lab/challenges/messaging-build/idempotent-consumer";
import { runWorker } from "../src/lab/challenges/messaging-build/read-process-write";
import { runTopology } from "../src/lab/challenges/build-messaging/retry-topology";
import { runBoth } from "../src/lab/challenges/build-messaging/work-queue-both";
import { runTelemetry } from "../src/lab/challenges/build-messaging/telemetry";
import { gateway } from "../test/unit/challenges/gateway-references";
import { discovery, homeBff, limiters } from "../test/unit/challenges/microservices-references";
import { balancer, bulkheads, sidecar } from "../test/unit/challenges/infra-references";
import { breakers, deadlines, retries } from "../test/unit/challenges/resilience-references";
import { blog, profile, restResource } from "../test/unit/challenges/protocols-references";
import { lp, sse, wsClient } from "../test/unit/challenges/protocols-build-b-references";
import { cqrsSolution, esSolution } from "../test/unit/challenges/event-sourcing-references";
import { joinWith, orchestrator, participant, ring, shardingReference } from "../test/unit/challenges/data-references";
import { handler, loop, worker } from "../test/unit/challenges/messaging-a-references";
import { bothReference, rabbitReference, telemetryReference } from "../test/unit/challenges/messaging-b-references";
import { time } from "./harness";

/** One row: a challenge, a reference that passes it, and one plain run of its scenario (true when the reference held). */
interface Row {
  readonly id: keyof typeof challenges;
  readonly reference: unknown;
  /** The case the plain run plays, in words. */
  readonly scenario: string;
  plain(): Promise<boolean>;
}

const noFaults = (seed: number, size: number): CheckCase => ({ seed, size, faults: [] });
const outage = (at: number, untilMs: number) => ({ kind: "outage", label: "outage", at, params: { untilMs } });
const ok = async (outcome: Promise<{ ok: boolean }> | { ok: boolean }) => (await outcome).ok;

const rows: Row[] = [
  { id: "api-gateway", reference: gateway(), scenario: "seed 1, 30 requests", plain: () => ok(judgeGateway(gateway(), noFaults(1, 30))) },
  { id: "server-side-discovery", reference: balancer(), scenario: "seed 1, size 320", plain: () => ok(judgeBalancer(balancer(), noFaults(1, 320))) },
  { id: "bulkhead", reference: bulkheads(), scenario: "seed 1, size 20", plain: () => ok(judgeBulkhead(bulkheads(), noFaults(1, 20))) },
  { id: "sidecar", reference: sidecar(), scenario: "seed 1, size 60", plain: () => ok(judgeSidecar(sidecar(), noFaults(1, 60))) },
  { id: "circuit-breaker", reference: breakers(), scenario: "seed 100, an outage 150–350 ms", plain: () => ok(judgeBreaker(breakers(), { seed: 100, size: 300, faults: [outage(150, 350)] }, 4, true)) },
  { id: "retry-backoff", reference: retries(), scenario: "seed 200, an outage 0–150 ms", plain: () => ok(judgeRetry(retries(), { seed: 200, size: 30, faults: [outage(0, 150)] }, true)) },
  { id: "timeout", reference: deadlines(), scenario: "seed 100, size 16", plain: () => ok(judgeTimeout(deadlines(), noFaults(100, 16), (r: Random) => r.int(60, 250))) },
  { id: "rate-limiting", reference: limiters(), scenario: "seed 1, 40 requests (token bucket)", plain: () => ok(runLimiterCase(limiters(), noFaults(1, 40))) },
  { id: "bff", reference: homeBff(), scenario: "seed 1, size 8", plain: () => ok(judgeBff(homeBff(), noFaults(1, 8))) },
  { id: "client-side-discovery", reference: discovery(), scenario: "seed 1, size 60", plain: () => ok(judgeDiscovery(discovery(), noFaults(1, 60))) },
  { id: "rest", reference: restResource(), scenario: "seed 1, size 32", plain: () => ok(judgeScripted(restResource(), noFaults(1, 32))) },
  { id: "graphql", reference: blog(), scenario: "seed 1, size 3", plain: () => ok(judgeQueries(blog(), noFaults(1, 3))) },
  { id: "grpc", reference: profile(), scenario: "seed 1, size 12", plain: () => ok(judgeGrpc(profile(), noFaults(1, 12))) },
  { id: "websocket", reference: wsClient(), scenario: "seed 1, size 30", plain: async () => judgeWebSocketRun(await runWebSocketCase(wsClient(), noFaults(1, 30), 1, 30)) === undefined },
  { id: "sse", reference: sse(), scenario: "seed 1, size 25", plain: async () => (await runSseClientCase(sse(), noFaults(1, 25))).violation === undefined },
  { id: "long-polling", reference: lp(), scenario: "seed 1, size 30", plain: async () => (await runLongPollCase(lp(), noFaults(1, 30))).violation === undefined },
  { id: "event-sourcing", reference: esSolution(), scenario: "seed 100, 20 commands", plain: () => ok(runEventSourcingCase(esSolution(), noFaults(100, 20), true)) },
  { id: "cqrs", reference: cqrsSolution(), scenario: "seed 200, 30 events", plain: () => ok(runCqrsCase(cqrsSolution(), noFaults(200, 30), true)) },
  {
    id: "horizontal-sharding",
    reference: shardingReference,
    scenario: "seed 1, 2,000 reads on a hot range, one split",
    plain: () => ok(runHotSplitCase(shardingReference, { seed: 1, size: 2_000, faults: [{ kind: "hot-range", label: "" }] })),
  },
  { id: "vertical-partitioning", reference: joinWith(), scenario: "seed 1, 600 users, batched", plain: () => ok(runJoinCase(joinWith(), noFaults(1, 600), true)) },
  {
    id: "consistent-hashing",
    reference: ring(),
    scenario: "seed 1, 10,000 keys on 10 nodes, an 11th joins",
    plain: () => ok(runSpreadCase(ring(), { seed: 1, size: 10_000, faults: [{ kind: "join", label: "" }] })),
  },
  { id: "two-phase-commit", reference: participant(), scenario: "seed 100, size 6, no faults", plain: () => ok(runTwoPhaseCase(participant(), noFaults(100, 6))) },
  {
    id: "saga",
    reference: orchestrator(),
    scenario: "seed 200, flight refuses, 20 % of replies lost",
    plain: () => ok(runSagaCase(orchestrator(), { seed: 200, size: 1, faults: [{ kind: "step-fails", label: "", target: "flight" }, { kind: "lost-replies", label: "", params: { p: 0.2 } }] })),
  },
  {
    id: "kafka",
    reference: loop(),
    scenario: "seed 300, 2 consumers, one crashes",
    plain: () => ok(runLoop(loop(), { seed: 300, size: 100, faults: [{ kind: "consumers", label: "", params: { n: 2 } }, { kind: "crash", label: "", at: 100, target: "billing-1" }] })),
  },
  {
    id: "at-least-once",
    reference: handler(),
    scenario: "seed 700, a crash after a charge",
    plain: () => ok(runPayments(handler(), { seed: 700, size: 40, faults: [{ kind: "crash-point", label: "", target: "pay-3", params: { point: "after-charge" } }] })),
  },
  {
    id: "exactly-once",
    reference: worker(),
    scenario: "seed 800, a crash after a commit",
    plain: () => ok(runWorker(worker(), { seed: 800, size: 40, faults: [{ kind: "crash-point", label: "", params: { point: "after-commit", n: 1 } }] })),
  },
  { id: "rabbitmq", reference: rabbitReference, scenario: "seed 100, 10 jobs", plain: () => ok(runTopology(rabbitReference, noFaults(100, 10), false)) },
  { id: "kafka-vs-rabbitmq", reference: bothReference, scenario: "seed 100, 24 jobs", plain: () => ok(runBoth(bothReference, noFaults(100, 24))) },
  { id: "at-most-once", reference: telemetryReference, scenario: "seed 100, 30 points", plain: () => ok(runTelemetry(telemetryReference, noFaults(100, 30))) },
];

const TRIES = 5;
const TARGET_MS = 3_000;
const before = loadavg();
const table: string[] = [];
let over = 0;
for (const row of rows) {
  const check = challenges[row.id].check as (solution: unknown) => Promise<{ passed: boolean; headline: string }>;
  const plain = await time(`${row.id}: one plain run`, async () => {
    if (!(await row.plain())) throw new Error(`${row.id}: the reference failed its plain run (${row.scenario})`);
  }, 10, 2);
  const full = await time(`${row.id}: full check`, async () => {
    const report = await check(row.reference);
    if (!report.passed) throw new Error(`${row.id}: the reference did not pass: ${report.headline}`);
  }, TRIES, 1);
  const fits = full.p50 <= TARGET_MS;
  if (!fits) over++;
  table.push(`| ${row.id} | ${full.p50.toFixed(0)} | ${plain.p50.toFixed(1)} (${row.scenario}) | ${(full.p50 / plain.p50).toFixed(1)}× | ${fits ? "yes" : "**no**"} |`);
  console.log(`${row.id}: done`);
}
const after = loadavg();
const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(" / ");
console.log(`\nBuild challenges: full check (p50 of ${TRIES}) beside one plain run (p50 of 10), target ≤ ${TARGET_MS / 1000} s`);
console.log("| challenge | full check p50 (ms) | one plain run p50 (ms) | ratio | ≤ 3 s |");
console.log("| --- | ---: | ---: | ---: | :---: |");
for (const line of table) console.log(line);
console.log(`\n${rows.length - over} of ${rows.length} within ${TARGET_MS / 1000} s. Load average (1 / 5 / 15 min) before ${load(before)}, after ${load(after)}; the machine has 2 cores, so a load well above 2 stretches every number.`);
