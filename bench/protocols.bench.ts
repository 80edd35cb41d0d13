// Protocols: (1) encode + decode of the spec's example message with Protobuf through the
// lab (protobufjs with a schema check) against JSON.stringify + JSON.parse, in the same run:
// bytes and operations per second. (2) The posts screen over REST, GraphQL (with and
// without DataLoader) and gRPC: simulated events per second of wall time, against the
// cheapest possible waking event (a bare sim.sleep loop) in the same run, so a notebook's
// comparison stays instant. Target: a whole five-approach comparison (5 loads each) under
// 1 s. The events of a screen load carry real serialisation work (JSON, Protobuf, GraphQL
// execution), so their rate is far below the bare loop's; the ratio shows how far.
import { performance } from "node:perf_hooks";
import { EXAMPLE_PROTO, ProtoSchema, SCREEN_APPROACHES, comparePostsScreen, loadPostsScreen, protocolLab } from "../src/lab/protocols/index";
import { report, time } from "./harness";

const OPS = 10_000;
const User = ProtoSchema.parse(EXAMPLE_PROTO).type("User");
const value = { id: 150, name: "alice", active: true };
const protoBytes = User.encode(value).length;
const jsonBytes = new TextEncoder().encode(JSON.stringify(value)).length;

let sink = 0;
const json = await time(`JSON.stringify + JSON.parse × ${OPS}`, () => {
  for (let i = 0; i < OPS; i++) sink += (JSON.parse(JSON.stringify({ ...value, id: i })) as { id: number }).id;
}, 200);
const proto = await time(`lab Protobuf encode (verify + protobufjs) + decode × ${OPS}`, () => {
  for (let i = 0; i < OPS; i++) sink += User.decode(User.encode({ ...value, id: i })).id as number;
}, 200);
report("Encode + decode of {id, name, active}", json, [proto]);
const opsPerSecond = (t: { p50: number }) => Math.round((OPS / t.p50) * 1000);
console.log(`\nbytes: Protobuf ${protoBytes}, JSON ${jsonBytes} (JSON is ${(jsonBytes / protoBytes).toFixed(2)}× larger)`);
console.log(`ops/s (p50): JSON ${opsPerSecond(json).toLocaleString("en")}, Protobuf via the lab ${opsPerSecond(proto).toLocaleString("en")} (${(opsPerSecond(proto) / opsPerSecond(json)).toFixed(2)}× JSON)`);
if (sink === 0) throw new Error("nothing ran");

const bareSim = new (await import("../src/lab/sim/simulation")).Simulation();
const SLEEPS = 20_000;
await bareSim.run(async () => {
  for (let i = 0; i < 2_000; i++) await bareSim.sleep(1);
});
const b0 = performance.now();
await bareSim.run(async () => {
  for (let i = 0; i < SLEEPS; i++) await bareSim.sleep(1);
});
const bare = SLEEPS / ((performance.now() - b0) / 1000);

console.log("\nPosts screen, 20 loads per approach on one lab: simulated events per second of wall time");
console.log("| approach | loads | events | wall ms | events/s | vs bare sim.sleep | ms per load |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
console.log(`| bare sim.sleep(1) loop (baseline) | | ${SLEEPS} | | ${Math.round(bare).toLocaleString("en")} | 1.00× | |`);
const LOADS = 20;
let slowest = Infinity;
for (const approach of SCREEN_APPROACHES) {
  // Warm up the JIT with one lab, then measure a fresh one.
  const warm = protocolLab();
  await warm.sim.run(async () => {
    for (let i = 0; i < 5; i++) await loadPostsScreen(warm, approach);
  });
  const lab = protocolLab();
  const t0 = performance.now();
  await lab.sim.run(async () => {
    for (let i = 0; i < LOADS; i++) await loadPostsScreen(lab, approach);
  });
  const wall = performance.now() - t0;
  const perSecond = lab.sim.eventsFired / (wall / 1000);
  slowest = Math.min(slowest, perSecond);
  console.log(`| ${approach} | ${LOADS} | ${lab.sim.eventsFired} | ${wall.toFixed(1)} | ${Math.round(perSecond).toLocaleString("en")} | ${(perSecond / bare).toFixed(2)}× | ${(wall / LOADS).toFixed(2)} |`);
}
const whole = await time("comparePostsScreen() (5 approaches × 5 loads)", () => comparePostsScreen(), 20, 3);
console.log(`\ncomparePostsScreen(): p50 ${whole.p50.toFixed(1)} ms, p95 ${whole.p95.toFixed(1)} ms (target < 1000 ms) ${whole.p50 < 1000 ? "OK" : "OVER TARGET"}`);
console.log(`slowest approach: ${Math.round(slowest).toLocaleString("en")} events/s, ${(slowest / bare).toFixed(3)}× the bare event rate`);
