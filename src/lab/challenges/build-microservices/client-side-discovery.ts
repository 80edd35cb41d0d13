/**
 * Build challenge "client-side-discovery": the learner writes a discovery client (registry
 * cache, periodic refresh, round robin over UP instances, ejecting an instance that keeps
 * failing). The checker drives it from a simulated `web` node calling `orders` instances, and
 * crashes instances, takes the registry down, marks instances DOWN and adds new ones.
 */
import { ConfigError, Simulation } from "sde-lab";
import { defineBuildChallenge, type CaseOutcome, type CheckCase, type FaultSpec } from "../build";
import { seededCases } from "../seeded-cases";

/** One instance as the registry lists it. */
export interface RegistryInstance {
  readonly id: string;
  readonly status: "UP" | "DOWN" | "STARTING";
}

/** What the lab gives your client. */
export interface DiscoveryKit {
  /** Asks the registry for the instances of `orders`. A network call: rejects when the registry is down or slow. */
  fetchInstances(): Promise<RegistryInstance[]>;
  /** Virtual time, ms. */
  now(): number;
  /** Consecutive failed calls after which an instance is ejected (3). */
  readonly ejectAfterFailures: number;
  /** How long an ejected instance stays out, ms (5000). */
  readonly ejectForMs: number;
}

/** Your client. The lab calls `refresh` every second and `choose` + `report` for every request. */
export interface DiscoveryClient {
  /** Updates the cache from the registry. When the fetch fails, keep the cache you had. */
  refresh(): Promise<void>;
  /** The id of the instance for the next call, round robin over the usable ones; undefined when there is none. */
  choose(): string | undefined;
  /** How the call to `id` went: true for a 200, false for an error or a timeout. */
  report(id: string, ok: boolean): void;
}

export interface DiscoveryBuild {
  client(kit: DiscoveryKit): DiscoveryClient;
}

const EJECT_AFTER = 3;
const EJECT_MS = 5_000;
const REFRESH_MS = 1_000;
const REQUEST_EVERY_MS = 40;

/** One run of the scenario on one case (exported for tests; not in the index). */
export async function judgeDiscovery(solution: DiscoveryBuild, c: CheckCase): Promise<CaseOutcome> {
  const sim = new Simulation({ seed: c.seed, traceLimit: 6_000 });
  sim.network.setDefaults({ latency: 1 });
  const statuses = new Map<string, RegistryInstance["status"]>();
  const n = Math.max(2, Math.min(6, 2 + (c.seed % 3)));
  for (let i = 1; i <= n; i++) statuses.set(`orders-${i}`, "UP");
  const addService = (id: string) => sim.service(id, async (_req, ctx) => (await ctx.work({ kind: "uniform", min: 5, max: 15 }), { served: id }));
  for (const id of statuses.keys()) addService(id);
  sim.service("registry", async (_req, ctx) => (await ctx.work(2), [...statuses].map(([id, status]) => ({ id, status }))));
  const web = sim.client("web");
  let cache: RegistryInstance[] = [];
  let fetches = 0;
  const kit: DiscoveryKit = {
    async fetchInstances() {
      fetches++;
      const r = await web.call("registry", "GET /apps/orders", { timeoutMs: 200 });
      const list = (r.body as RegistryInstance[]).map((x) => ({ ...x }));
      cache = list;
      return list.map((x) => ({ ...x }));
    },
    now: () => sim.now,
    ejectAfterFailures: EJECT_AFTER,
    ejectForMs: EJECT_MS,
  };
  const client = solution.client(kit);
  for (const key of ["refresh", "choose", "report"] as const) {
    if (typeof client?.[key] !== "function") throw new ConfigError("client(kit)", key, client?.[key], "a function");
  }
  for (const f of c.faults) {
    const at = f.at ?? 0;
    if (f.kind === "crash") sim.faults.crash(f.target!, { at });
    if (f.kind === "registry-down") {
      sim.faults.crash("registry", { at });
      sim.at(at + Number(f.params?.forMs ?? 3_000), () => sim.faults.restart("registry"));
    }
    if (f.kind === "mark-down") sim.at(at, () => (statuses.set(f.target!, "DOWN"), sim.trace.note("registry", `${f.target} marked DOWN`)));
    if (f.kind === "add") sim.at(at, () => (addService(f.target!), statuses.set(f.target!, "UP"), sim.trace.note("registry", `${f.target} registered UP`)));
  }
  const failures = new Map<string, number>();
  const ejectedUntil = new Map<string, number>();
  let recent: string[] = [];
  let eligibleKey = "";
  let problem: { sentence: string; at: number } | undefined;
  const end = c.size * REQUEST_EVERY_MS;
  await sim.run(async () => {
    // Every refresh() must ask the registry (the answer may fail; asking is what counts).
    const refresh = async () => {
      const before = fetches;
      const at = sim.now;
      await client.refresh().catch(() => undefined);
      if (fetches === before) problem ??= { sentence: `refresh() at ${at} ms did not ask the registry (kit.fetchInstances())`, at };
    };
    await refresh();
    const refresher = sim.every(REFRESH_MS, () => void refresh());
    for (let t = 0; t < end && !problem; t += REQUEST_EVERY_MS) {
      await sim.sleep(Math.max(0, t - sim.now));
      if (problem) break;
      const up = cache.filter((x) => x.status === "UP").map((x) => x.id);
      const eligible = up.filter((id) => (ejectedUntil.get(id) ?? -1) <= sim.now);
      const key = eligible.join(",");
      if (key !== eligibleKey) [eligibleKey, recent] = [key, []];
      const id = client.choose();
      const at = sim.now;
      if (id === undefined) {
        if (eligible.length > 0) problem = { sentence: `choose() gave no instance at ${at} ms although ${eligible.join(", ")} ${eligible.length === 1 ? "was" : "were"} UP in the last registry answer and not ejected`, at };
        continue;
      }
      if (!up.includes(id)) {
        problem = { sentence: `choose() gave ${id} at ${at} ms, which the last registry answer ${cache.some((x) => x.id === id) ? `lists as ${cache.find((x) => x.id === id)!.status}` : "does not list"} (UP: ${up.join(", ") || "none"})`, at };
        continue;
      }
      if (eligible.length > 0 && !eligible.includes(id)) {
        problem = { sentence: `choose() gave ${id} at ${at} ms, ejected after ${EJECT_AFTER} failed calls in a row until ${ejectedUntil.get(id)} ms`, at };
        continue;
      }
      // Round robin: with k usable instances, no instance twice within k choices.
      if (eligible.length > 1 && recent.slice(-(eligible.length - 1)).includes(id)) {
        problem = { sentence: `choose() gave ${id} at ${at} ms again before every usable instance had its turn (usable: ${eligible.join(", ")}; last choices: ${recent.slice(-(eligible.length - 1)).join(", ")})`, at };
        continue;
      }
      recent.push(id);
      const ok = await web.call(id, "GET /orders/1", { timeoutMs: 100 }).then(
        (r) => r.status === 200,
        () => false,
      );
      const count = ok ? 0 : (failures.get(id) ?? 0) + 1;
      failures.set(id, count);
      if (count >= EJECT_AFTER && (ejectedUntil.get(id) ?? -1) <= sim.now) {
        ejectedUntil.set(id, sim.now + EJECT_MS);
        failures.set(id, 0);
        sim.trace.note("web", `${id} should now be ejected for ${EJECT_MS} ms`);
      }
      client.report(id, ok);
    }
    refresher.cancel();
  });
  return problem ? { ok: false, invariant: problem.sentence, sim, at: problem.at } : { ok: true, sim };
}

const faultsFor = (i: number): FaultSpec[] => {
  const victim = `orders-${1 + (i % 2)}`;
  const all: FaultSpec[] = [
    { kind: "crash", label: `${victim} crashes at ${400 + 30 * i} ms (the registry still lists it UP)`, at: 400 + 30 * i, target: victim },
    { kind: "registry-down", label: `the registry is down from ${1_500 + 40 * i} ms for 3 s`, at: 1_500 + 40 * i, params: { forMs: 3_000 } },
    { kind: "mark-down", label: `orders-2 marked DOWN at ${700 + 50 * i} ms`, at: 700 + 50 * i, target: "orders-2" },
    { kind: "add", label: `orders-9 registers UP at ${1_200 + 20 * i} ms`, at: 1_200 + 20 * i, target: "orders-9" },
  ];
  return all.filter((_, j) => j === i % 4 || ((i >> 2) & (1 << j)) !== 0);
};

export const clientSideDiscoveryBuild = defineBuildChallenge<DiscoveryBuild>({
  id: "client-side-discovery",
  title: "Build a discovery client: cache, refresh, round robin, eject",
  statement: [
    "Write the client a service uses to find `orders` instances, as Eureka's and Ribbon's clients do. The lab calls `refresh()` every second, and for each request `choose()`, then the call, then `report(id, ok)`.",
    "- **Cache and refresh**: `refresh()` asks the registry (`kit.fetchInstances()`) and keeps the answer. When the registry is down the fetch rejects: keep the cache you had, do not empty it.",
    "- **Round robin over UP instances**: `choose()` answers from the cache, never with an instance that is not `UP` in the latest answer, and gives each usable instance its turn before any gets a second.",
    `- **Eject failing ones**: after \`kit.ejectAfterFailures\` (${EJECT_AFTER}) failed calls in a row to an instance, leave it out for \`kit.ejectForMs\` (${EJECT_MS} ms); a success resets its count, and an instance that comes back starts from zero. The registry may still list it UP: it notices a crash only when the lease runs out.`,
    "```ts\ninterface DiscoveryBuild { client(kit: DiscoveryKit): DiscoveryClient }\ninterface DiscoveryClient { refresh(): Promise<void>; choose(): string | undefined; report(id: string, ok: boolean): void }\ninterface DiscoveryKit { fetchInstances(): Promise<{ id: string; status: \"UP\" | \"DOWN\" | \"STARTING\" }[]>; now(): number; ejectAfterFailures: number; ejectForMs: number }\n```",
    "The checker sends a request every 40 ms and crashes an instance the registry still lists, takes the registry down for 3 s, marks an instance DOWN and registers a new one.",
  ].join("\n\n"),
  validate(solution) {
    if (typeof solution?.client !== "function") throw new ConfigError(`challenges["client-side-discovery"].check`, "client", solution?.client, "a function (kit) => DiscoveryClient");
  },
  stages: [
    { name: "works", goal: "only UP instances, each in turn", cases: seededCases(6, 1, () => ({ faults: [], size: 60 })), minSize: 2, run: judgeDiscovery },
    { name: "survives faults", goal: "a crashed instance is ejected, a registry outage keeps the cache, DOWN and new instances are seen after a refresh", cases: seededCases(24, 100, (i) => ({ faults: faultsFor(i), size: 100 })), minSize: 2, run: judgeDiscovery },
  ],
  hints: {
    nudge: "Read the first failure: it names the choice, the time, and what the last registry answer said. Keep that answer in the client between calls.",
    approach: "Keep three things: the last list the registry gave, a position for the round robin, and per instance a count of failures in a row and the time until which it is out. `choose` filters the list down to what is usable right now, then takes the next one.",
    keyIdea: "A failed refresh must not touch the cache: only replace it when the fetch succeeds. And the round robin should walk the usable list, so an ejected or DOWN instance does not cost a turn.",
  },
});
