/**
 * Build challenge "server-side-discovery": the learner writes the load balancer's health
 * checker and routing table, the part of an AWS ALB, NGINX or Envoy that probes every
 * registered instance, marks it unhealthy after N failed probes in a row and healthy again
 * after M passing ones, and routes round robin over the healthy instances only.
 *
 * The checker hosts it on a simulated `lb` node in front of `orders-*` instances, calls one
 * round of the health check every second and a route every 25 ms, and crashes, hangs,
 * partitions, blips, registers and deregisters instances. It keeps its own record of every
 * probe's result, so it knows at each moment which instances the rules make healthy.
 */
import { ConfigError, Simulation } from "sde-lab";
import { defineBuildChallenge, type CaseOutcome, type CheckCase, type FaultSpec } from "../build";
import { seededCases } from "../seeded-cases";

/** What the lab gives your balancer. */
export interface HealthCheckKit {
  /**
   * Sends `GET /health` to an instance and waits at most `timeoutMs`. Resolves true for a
   * 200, false for anything else: an error, no answer in time, a partitioned link. Never rejects.
   */
  probe(id: string): Promise<boolean>;
  /** Virtual time, ms. */
  now(): number;
  /** Failed probes in a row after which a healthy instance is marked unhealthy (2, ALB's default). */
  readonly unhealthyThreshold: number;
  /** Passing probes in a row after which an unhealthy instance is healthy again (3). */
  readonly healthyThreshold: number;
  /** How often the lab calls `healthCheck()`, ms (1000). */
  readonly intervalMs: number;
  /** How long one probe waits, ms (400). */
  readonly timeoutMs: number;
}

/** Your balancer: the health-check loop's round and the routing table. */
export interface LoadBalancer {
  /** A new instance: it starts untested and takes traffic after its first passing probe. */
  register(id: string): void;
  /** The instance leaves: never route to it again, and stop probing it. */
  deregister(id: string): void;
  /** One round of the health check: probe every registered instance and update the table. The lab calls it every `intervalMs`. */
  healthCheck(): Promise<void>;
  /** The instance for the next request: round robin over the healthy ones. When none is healthy, fail open (every registered instance, round robin). Undefined only when none is registered. */
  route(): string | undefined;
}

export interface LoadBalancerBuild {
  balancer(kit: HealthCheckKit): LoadBalancer;
}

const INTERVAL = 1_000;
const TIMEOUT = 400;
const UNHEALTHY = 2;
const HEALTHY = 3;
const REQUEST_EVERY_MS = 25;
/** How long the balancer may lag behind a probe result (a round may wait for its slowest probe). */
const GRACE = TIMEOUT + 50;

type HealthState = "initial" | "healthy" | "unhealthy";
interface Model {
  state: HealthState;
  /** When the state last changed. */
  since: number;
  wasHealthy: boolean;
  fails: number;
  passes: number;
  /** Passing probes in a row since it was marked unhealthy (for the sentence). */
  registeredAt: number;
}

/** One run of the scenario on one case (exported for tests and the bench; not in the index). */
export async function judgeBalancer(solution: LoadBalancerBuild, c: CheckCase): Promise<CaseOutcome> {
  const sim = new Simulation({ seed: c.seed, traceLimit: 5_000 });
  sim.network.setDefaults({ latency: 1 });
  const lbNode = sim.client("lb");
  const n = 3 + (c.seed % 3);
  const addService = (id: string) =>
    sim.service(id, async (req, ctx) => {
      await ctx.work(req.path === "/health" ? 1 : { kind: "uniform", min: 5, max: 15 });
      return { served: id };
    });
  const model = new Map<string, Model>();
  const deregisteredAt = new Map<string, number>();
  const downSince = new Map<string, number>();
  const openRounds: Set<string>[] = [];
  const record = (id: string, ok: boolean) => {
    const m = model.get(id);
    if (!m) return;
    const to = (state: HealthState) => {
      m.state = state;
      m.since = sim.now;
      if (state === "healthy") m.wasHealthy = true;
      sim.trace.note("lb", `${id} is ${state} by the rules`);
    };
    if (ok) {
      m.fails = 0;
      m.passes++;
      if (m.state === "initial" || (m.state === "unhealthy" && m.passes >= HEALTHY)) to("healthy");
    } else {
      m.passes = 0;
      m.fails++;
      if (m.state === "healthy" && m.fails >= UNHEALTHY) to("unhealthy");
    }
  };
  const kit: HealthCheckKit = {
    async probe(id) {
      for (const round of openRounds) round.add(id);
      let ok: boolean;
      try {
        ok = (await lbNode.call(id, "GET /health", { timeoutMs: TIMEOUT })).status === 200;
      } catch {
        ok = false;
      }
      record(id, ok);
      return ok;
    },
    now: () => sim.now,
    unhealthyThreshold: UNHEALTHY,
    healthyThreshold: HEALTHY,
    intervalMs: INTERVAL,
    timeoutMs: TIMEOUT,
  };
  const lb = solution.balancer(kit);
  for (const key of ["register", "deregister", "healthCheck", "route"] as const) {
    if (typeof lb?.[key] !== "function") throw new ConfigError("balancer(kit)", key, lb?.[key], "a function");
  }
  const register = (id: string) => {
    addService(id);
    model.set(id, { state: "initial", since: sim.now, wasHealthy: false, fails: 0, passes: 0, registeredAt: sim.now });
    lb.register(id);
  };
  for (let i = 1; i <= n; i++) register(`orders-${i}`);

  let problem: { sentence: string; at: number } | undefined;
  const fail = (sentence: string) => (problem ??= { sentence, at: sim.now });
  for (const f of c.faults) {
    const at = f.at ?? 0;
    const id = f.target!;
    const until = at + Number(f.params?.forMs ?? 0);
    const down = () => void (downSince.has(id) || downSince.set(id, sim.now));
    const up = () => void downSince.delete(id);
    // Faults aimed at an instance this case does not have (orders-5 with three instances) are skipped.
    if (f.kind !== "register" && !model.has(id)) continue;
    if (f.kind === "crash") {
      sim.at(at, () => (sim.faults.crash(id), down()));
      if (until > at) sim.at(until, () => (sim.faults.restart(id), up()));
    } else if (f.kind === "hang") {
      sim.at(at, () => (sim.faults.slow(id, 2_000), down()));
      if (until > at) sim.at(until, () => (sim.faults.slow(id, 1), up()));
    } else if (f.kind === "partition" || f.kind === "blip") {
      sim.at(at, () => (sim.faults.partition("lb", id), down()));
      sim.at(until, () => (sim.faults.heal("lb", id), up()));
    } else if (f.kind === "register") {
      sim.at(at, () => (sim.trace.note("lb", `${id} registers`), register(id)));
    } else if (f.kind === "deregister") {
      sim.at(at, () => {
        sim.trace.note("lb", `${id} deregisters`);
        model.delete(id);
        deregisteredAt.set(id, sim.now);
        lb.deregister(id);
      });
    }
  }

  // Load spread: within a stretch where the same instances are healthy (for at least GRACE),
  // each gets its turn and none gets more than two requests above another.
  let segmentKey = "";
  let counts = new Map<string, number>();
  let segmentRoutes = 0;
  const end = c.size * REQUEST_EVERY_MS;
  const rounds: Promise<void>[] = [];
  await sim.run(async () => {
    const round = async () => {
      const expected = [...model.keys()];
      const seen = new Set<string>();
      openRounds.push(seen);
      const at = sim.now;
      try {
        await lb.healthCheck();
      } catch (error) {
        fail(`healthCheck() at ${at} ms threw ${error instanceof Error ? error.message : String(error)}`);
      }
      openRounds.splice(openRounds.indexOf(seen), 1);
      const missed = expected.filter((id) => model.has(id) && !seen.has(id));
      if (missed.length > 0) fail(`healthCheck() at ${at} ms did not probe ${missed.join(", ")} (every round probes every registered instance with kit.probe(id))`);
    };
    const loop = sim.every(INTERVAL, () => void rounds.push(round()), 0);
    // Routes are plain timer callbacks (route() is synchronous): no microtask drain per request.
    const routeOnce = () => {
      const now = sim.now;
      const registered = [...model.keys()];
      const healthy = registered.filter((id) => model.get(id)!.state === "healthy");
      const stable = healthy.filter((id) => now - model.get(id)!.since >= GRACE);
      const leaving = registered.filter((id) => {
        const m = model.get(id)!;
        return m.state !== "healthy" && m.wasHealthy && now - m.since < GRACE;
      });
      // With no instance healthy for GRACE the balancer may be failing open (or catching up).
      const failOpen = stable.length === 0;
      const id = lb.route();
      if (id === undefined) {
        if (registered.length > 0) {
          fail(
            failOpen
              ? `route() gave no instance at ${now} ms, when none was healthy: an ALB fails open and sends traffic to every registered instance (${registered.join(", ")})`
              : `route() gave no instance at ${now} ms although ${healthy.join(", ")} ${healthy.length === 1 ? "was" : "were"} healthy`,
          );
        }
        return;
      }
      if (!model.has(id)) {
        fail(deregisteredAt.has(id) ? `route() gave ${id} at ${now} ms, which deregistered at ${deregisteredAt.get(id)} ms` : `route() gave ${id} at ${now} ms, which is not registered`);
        return;
      }
      const m = model.get(id)!;
      const dead = downSince.has(id) ? ` (it has been unreachable since ${downSince.get(id)} ms)` : "";
      if (!failOpen && !healthy.includes(id) && !leaving.includes(id)) {
        if (m.state === "initial") fail(`route() gave ${id} at ${now} ms, which has not passed a probe since it registered at ${m.registeredAt} ms${dead}`);
        else if (m.passes > 0) fail(`route() gave ${id} at ${now} ms, which has passed only ${m.passes} probe${m.passes === 1 ? "" : "s"} in a row since it was marked unhealthy at ${m.since} ms (healthy again after ${HEALTHY})`);
        else fail(`route() gave ${id} at ${now} ms, marked unhealthy at ${m.since} ms after ${UNHEALTHY} failed probes in a row${dead}; healthy: ${healthy.join(", ")}`);
        return;
      }
      // Fairness is judged over every registered instance when none is healthy, else over the
      // instances healthy for at least GRACE; any change of the table starts a new stretch.
      const allOpen = healthy.length === 0 && leaving.length === 0;
      const members = allOpen ? registered : stable;
      const key = `${allOpen ? "open" : "healthy"}:${members.join(",")}|${healthy.join(",")}|${leaving.join(",")}`;
      if (key !== segmentKey) [segmentKey, counts, segmentRoutes] = [key, new Map(members.map((x) => [x, 0])), 0];
      segmentRoutes++;
      if (counts.has(id)) counts.set(id, counts.get(id)! + 1);
      if (members.length > 1 && segmentRoutes >= 2 * members.length) {
        const starved = members.find((x) => counts.get(x) === 0);
        const values = [...counts.values()];
        const spread = Math.max(...values) - Math.min(...values);
        const what = allOpen ? "registered (none healthy, so all take traffic)" : "healthy";
        if (starved) fail(`${starved} was ${what} but got none of the last ${segmentRoutes} requests up to ${now} ms (round robin over ${members.join(", ")})`);
        else if (spread > 2) {
          const most = members.reduce((a, b) => (counts.get(a)! >= counts.get(b)! ? a : b));
          const least = members.reduce((a, b) => (counts.get(a)! <= counts.get(b)! ? a : b));
          fail(`load spread: ${most} got ${counts.get(most)} requests and ${least} ${counts.get(least)} of the last ${segmentRoutes} up to ${now} ms, while both were ${what} (round robin keeps them within 2)`);
        }
      }
      // The request itself is only traced: its fate is not judged, and sending it would triple the events.
      sim.trace.record("request", "lb", id, "GET /orders/1 (routed)");
    };
    const tick = () => {
      if (problem) return;
      routeOnce();
      if (sim.now + REQUEST_EVERY_MS < end) sim.schedule(REQUEST_EVERY_MS, tick);
    };
    sim.schedule(REQUEST_EVERY_MS, tick);
    await sim.sleep(end);
    loop.cancel();
    await Promise.all(rounds);
  });
  return problem ? { ok: false, invariant: problem.sentence, sim, at: problem.at } : { ok: true, sim };
}

const RUN_SIZE = 320; // 8 s of requests

/** Stage 2: crashes, hangs, partitions, blips, a new instance and a leaving one, mixed per case. */
function faultsFor(i: number): FaultSpec[] {
  const v = `orders-${1 + (i % 3)}`;
  const w = `orders-${1 + ((i + 1) % 3)}`;
  const t = 1_100 + 70 * i;
  const all: FaultSpec[] = [
    { kind: "crash", label: `${v} crashes at ${t} ms and restarts 3 s later`, at: t, target: v, params: { forMs: 3_000 } },
    { kind: "hang", label: `${w} hangs (answers nothing in time) from ${t + 600} ms for 3.5 s`, at: t + 600, target: w, params: { forMs: 3_500 } },
    { kind: "partition", label: `lb ⇹ ${v} partitioned from ${t + 300} ms for 2.5 s`, at: t + 300, target: v, params: { forMs: 2_500 } },
    { kind: "blip", label: `lb ⇹ ${w} cut for 300 ms around the probe at ${Math.ceil(t / 1_000) * 1_000 + 1_000} ms (one failed probe)`, at: Math.ceil(t / 1_000) * 1_000 + 900, target: w, params: { forMs: 300 } },
    { kind: "register", label: `orders-9 registers at ${t + 200} ms`, at: t + 200, target: "orders-9" },
    { kind: "deregister", label: `${w} deregisters at ${t + 1_500} ms`, at: t + 1_500, target: w },
  ];
  const picked = all.filter((_, j) => j === i % 6 || j === (i + 2) % 6 || (i >= 12 && j === (i + 3) % 6));
  // A partition and a crash of the same instance overlap confusingly; keep the crash.
  return picked.filter((f) => !(f.kind === "partition" && picked.some((g) => g.kind === "crash" && g.target === f.target)));
}

/** Stage 3: every instance becomes unreachable, then some come back (and one registers meanwhile). */
function outageFor(i: number): FaultSpec[] {
  const t = 1_500 + 90 * i;
  const faults: FaultSpec[] = [];
  for (let k = 1; k <= 3; k++) {
    const id = `orders-${k}`;
    const kind = (i + k) % 3 === 0 ? "hang" : (i + k) % 3 === 1 ? "crash" : "partition";
    const forMs = k === 1 + (i % 3) ? 2_500 + 100 * (i % 5) : 60_000;
    faults.push({ kind, label: `${id} ${kind === "partition" ? "is cut off from lb" : kind === "hang" ? "hangs" : "crashes"} at ${t + 40 * k} ms${forMs < 60_000 ? ` for ${forMs} ms` : " for good"}`, at: t + 40 * k, target: id, params: { forMs } });
  }
  for (let k = 4; k <= 5; k++) faults.push({ kind: "crash", label: `orders-${k} (if there is one) crashes at ${t} ms for good`, at: t, target: `orders-${k}`, params: { forMs: 60_000 } });
  if (i % 2 === 0) faults.push({ kind: "register", label: `orders-9 registers at ${t + 3_000} ms, during the outage`, at: t + 3_000, target: "orders-9" });
  return faults;
}

export const serverSideDiscoveryBuild = defineBuildChallenge<LoadBalancerBuild>({
  id: "server-side-discovery",
  title: "Build the balancer's health checker and routing table",
  statement: [
    "Write the part of a server-side load balancer (an AWS ALB, NGINX Plus, Envoy) that decides where requests go. The lab hosts it on the `lb` node in front of `orders-*` instances, calls `healthCheck()` every second and `route()` for every request (one each 25 ms), and tells it when instances `register` and `deregister`.",
    `- **Health-check loop**: each round probes every registered instance (\`kit.probe(id)\`, which waits ${TIMEOUT} ms at most). After \`kit.unhealthyThreshold\` (${UNHEALTHY}) failed probes in a row a healthy instance becomes unhealthy; after \`kit.healthyThreshold\` (${HEALTHY}) passing probes in a row it is healthy again. A new instance takes traffic after its first passing probe. (An ALB's defaults: every 30 s, 5 s timeout, unhealthy after 2, healthy after 5; the lab runs the clock faster.)`,
    "- **Routing table**: `route()` answers round robin over the healthy instances, never an unhealthy or deregistered one. When no instance is healthy, fail open as an ALB does: route round robin over every registered instance (a chance that some answer beats a certain 503).",
    "```ts\ninterface LoadBalancerBuild { balancer(kit: HealthCheckKit): LoadBalancer }\ninterface LoadBalancer { register(id: string): void; deregister(id: string): void; healthCheck(): Promise<void>; route(): string | undefined }\ninterface HealthCheckKit { probe(id: string): Promise<boolean>; now(): number; unhealthyThreshold: number; healthyThreshold: number; intervalMs: number; timeoutMs: number }\n```",
    `The checker records every probe's result and judges each route against those rules (it forgives a lag of up to ${GRACE} ms, one probe timeout, after a probe answers). Over 50 cases it crashes instances, makes them hang, partitions them from the balancer, cuts a link for a single probe, registers new ones, deregisters others, and takes every instance down at once.`,
  ].join("\n\n"),
  validate(solution) {
    if (typeof solution?.balancer !== "function") throw new ConfigError(`challenges["server-side-discovery"].check`, "balancer", solution?.balancer, "a function (kit) => LoadBalancer");
  },
  stages: [
    { name: "works", goal: "every round probes every instance; requests go round robin over the healthy ones", cases: seededCases(6, 1, () => ({ faults: [], size: 120 })), minSize: 2, run: judgeBalancer },
    {
      name: "survives faults",
      goal: "unhealthy after 2 failed probes, healthy after 3 passing, never a deregistered instance, load spread within 2",
      cases: seededCases(24, 100, (i) => ({ faults: faultsFor(i), size: RUN_SIZE })),
      minSize: 2,
      run: judgeBalancer,
    },
    {
      name: "all unhealthy",
      goal: "with no healthy instance it fails open over the registered ones, and returns to the healthy ones as they recover",
      cases: seededCases(20, 300, (i) => ({ faults: outageFor(i), size: RUN_SIZE })),
      minSize: 2,
      run: judgeBalancer,
    },
  ],
  hints: {
    nudge: "Read the first failure: it names the route, the time, and what the probes of that instance said. Your balancer needs to remember, per instance, more than healthy or not.",
    approach: "Keep per instance its state and two counters: failed probes in a row and passing probes in a row. A probe result resets the other counter and may flip the state. Start all probes of a round together and update each instance as its own answer arrives. route() builds the list it may use right now and walks it with a position that persists between calls.",
    keyIdea: "A flip needs a streak, not one result: a single failed probe must not take an instance out, and a single passing one must not bring an unhealthy one back. And the list route() walks changes when the table changes: when it is empty, walk every registered instance instead of answering nothing.",
  },
});
