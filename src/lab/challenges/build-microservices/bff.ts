/**
 * Build challenge "bff": the learner writes a mobile backend-for-frontend's `/home` handler,
 * which aggregates three services with a timeout per call and answers with what it has. The
 * checker hosts it on a simulated `bff` node and slows, crashes and breaks the services.
 */
import { ConfigError, Random, Simulation, response, type Response } from "sde-lab";
import { defineBuildChallenge, type CaseOutcome, type CheckCase, type FaultSpec } from "../build";
import { seededCases } from "../seeded-cases";

/** The three services the home screen needs. */
export type HomePart = "profile" | "orders" | "recs";

/** What the lab gives your handler, one per `/home` request. */
export interface BffKit {
  /** The user whose screen this is. */
  readonly userId: string;
  /** How long to wait for each service, in ms (100). */
  readonly timeoutMs: number;
  /** Calls a service: GET `/<part>?user=<userId>` is yours to build. Rejects (a `TimeoutError`) after `timeoutMs`. A 200's `body` is that part of the screen. */
  call(service: HomePart, path: string, options: { timeoutMs: number }): Promise<Response>;
  /** Virtual time, ms. */
  now(): number;
}

/** The answer: every part that came back 200 in time, and the names of those that did not. */
export interface HomeScreen {
  profile?: unknown;
  orders?: unknown;
  recs?: unknown;
  /** The parts left out, e.g. ["recs"]. */
  missing: HomePart[];
}

/** Your BFF: one function per `/home` request. */
export interface BffBuild {
  home(kit: BffKit): Promise<HomeScreen>;
}

const PARTS: readonly HomePart[] = ["profile", "orders", "recs"];
const TIMEOUT = 100;
/** Longest a /home may take: one timeout plus the hops, so the three calls must overlap. */
const BUDGET = TIMEOUT + 12;

interface CallLog {
  part: HomePart;
  path: string;
  outcome?: { status: number; body?: unknown };
}

/** One run of the scenario on one case (exported for tests and the bench; not in the index). */
export async function judgeBff(solution: BffBuild, c: CheckCase): Promise<CaseOutcome> {
  const sim = new Simulation({ seed: c.seed, traceLimit: 4_000 });
  sim.network.setDefaults({ latency: 1 });
  const failing = new Map<string, number>();
  for (const part of PARTS) {
    sim.service(part, async (req, ctx) => {
      await ctx.work({ kind: "uniform", min: 40, max: 70 });
      const user = /[?&]user=([^&]+)/.exec(req.path)?.[1];
      if (!user) return response(400, { error: "which user? (?user=<id>)" });
      if (sim.random.chance(failing.get(part) ?? 0)) return response(500, { error: `${part} failed` });
      return { part, user, items: part === "profile" ? [`name of ${user}`] : [`${part}-1 of ${user}`, `${part}-2 of ${user}`] };
    });
  }
  const logs = new Map<string, { calls: CallLog[]; screen?: HomeScreen; error?: string; took: number }>();
  const bff = sim.service("bff", async (req) => {
    const userId = req.path.split("user=")[1]!;
    const start = sim.now;
    const calls: CallLog[] = [];
    const kit: BffKit = {
      userId,
      timeoutMs: TIMEOUT,
      now: () => sim.now,
      call(service, path, options) {
        if (!PARTS.includes(service)) return Promise.reject(new ConfigError("kit.call", "service", service, `one of ${PARTS.join(", ")}`));
        const log: CallLog = { part: service, path };
        calls.push(log);
        return bff.call(service, path, options).then((r) => {
          log.outcome = { status: r.status, body: r.body };
          return r;
        });
      },
    };
    try {
      const screen = await solution.home(kit);
      logs.set(userId, { calls, screen, took: sim.now - start });
      return screen;
    } catch (error) {
      logs.set(userId, { calls, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error), took: sim.now - start });
      return response(500);
    }
  });
  for (const f of c.faults) {
    if (f.kind === "slow") sim.faults.slow(f.target!, 10, { at: f.at ?? 0 });
    if (f.kind === "crash") sim.faults.crash(f.target!, { at: f.at ?? 0 });
    if (f.kind === "errors") failing.set(f.target!, Number(f.params?.rate ?? 0.5));
  }
  const random = new Random(c.seed);
  const users = Array.from({ length: c.size }, (_, i) => ({ id: `u${i + 1}`, at: Math.round(random.uniform(0, 1_500)) }));
  await sim.run(async () => {
    await Promise.all(
      users.map(async (u) => {
        await sim.sleep(u.at);
        await sim.client(`phone-${u.id}`).call("bff", `GET /home?user=${u.id}`, { timeoutMs: 5_000 }).catch(() => undefined);
      }),
    );
  });
  for (const u of users) {
    const log = logs.get(u.id);
    const what = `/home for ${u.id} (sent at ${u.at} ms)`;
    if (!log) return fail(sim, `${what} got no answer from the BFF`, u.at);
    if (log.error) return fail(sim, `${what} threw ${log.error} instead of answering with the parts it had`, u.at + log.took);
    if (log.took > BUDGET) return fail(sim, `${what} took ${Math.round(log.took)} ms; with the three calls made at once and a ${TIMEOUT} ms timeout each it must answer within ${BUDGET} ms`, u.at + log.took);
    for (const part of PARTS) {
      const calls = log.calls.filter((x) => x.part === part);
      if (calls.length !== 1) return fail(sim, `${what} called ${part} ${calls.length} times; each service is called exactly once per screen`, u.at);
      if (!calls[0]!.path.includes(`user=${u.id}`)) return fail(sim, `${what} asked ${part} for "${calls[0]!.path}", not for user ${u.id}`, u.at);
    }
    const screen = log.screen ?? ({ missing: [] } as HomeScreen);
    const missing = Array.isArray(screen.missing) ? screen.missing : [];
    for (const part of PARTS) {
      const call = log.calls.find((x) => x.part === part)!;
      const answered = call.outcome?.status === 200;
      const shown = screen[part] !== undefined;
      if (answered && !shown) return fail(sim, `${what}: ${part} answered 200 in time but the screen left it out`, u.at + log.took);
      if (!answered && shown) return fail(sim, `${what}: ${part} ${call.outcome ? `answered ${call.outcome.status}` : "did not answer in time"}, yet the screen shows a ${part} part`, u.at + log.took);
      if (answered && JSON.stringify(screen[part]) !== JSON.stringify(call.outcome!.body)) return fail(sim, `${what}: the ${part} part is not the body ${part} answered with`, u.at + log.took);
      if (answered === missing.includes(part)) return fail(sim, `${what}: missing is [${missing.join(", ")}], but ${part} ${answered ? "is on the screen" : "is not"}`, u.at + log.took);
    }
  }
  return { ok: true, sim };
}

function fail(sim: Simulation, invariant: string, at: number): CaseOutcome {
  return { ok: false, invariant, sim, at };
}

const faultsFor = (i: number): FaultSpec[] => {
  const target = PARTS[i % 3]!;
  const other = PARTS[(i + 1) % 3]!;
  const all: FaultSpec[] = [
    { kind: "slow", label: `${target} 10× slower from ${100 * (i % 5)} ms`, at: 100 * (i % 5), target },
    { kind: "crash", label: `${other} crashes at ${300 + 60 * i} ms`, at: 300 + 60 * i, target: other },
    { kind: "errors", label: `${PARTS[(i + 2) % 3]} answers 500 to half its calls`, target: PARTS[(i + 2) % 3], params: { rate: 0.5 } },
  ];
  return all.filter((_, j) => j === i % 3 || (i >> 2) % 2 === 1);
};

export const bffBuild = defineBuildChallenge<BffBuild>({
  id: "bff",
  title: "Build the mobile BFF's /home: three calls at once, a timeout each, a partial answer",
  statement: [
    "The mobile app's home screen needs three services: `profile`, `orders` and `recs`. Write the BFF's handler: `home(kit)` runs once per `/home` request and returns the screen.",
    `- Call each service once, all three at once, with GET \`/<service>?user=<kit.userId>\` and a timeout of \`kit.timeoutMs\` (${TIMEOUT} ms). A healthy service takes 40–70 ms, so calling them one after another is too slow: the screen must be ready within ${BUDGET} ms.`,
    "- Put each 200 answer's `body` on the screen under the service's name. A service that fails (an error status, a timeout, a crashed node) is left out and named in `missing`. Never fail the whole screen for one part.",
    "```ts\ninterface BffBuild { home(kit: BffKit): Promise<HomeScreen> }\ninterface BffKit { userId: string; timeoutMs: number; call(service: \"profile\" | \"orders\" | \"recs\", path: string, options: { timeoutMs: number }): Promise<Response>; now(): number }\ninterface HomeScreen { profile?: unknown; orders?: unknown; recs?: unknown; missing: (\"profile\" | \"orders\" | \"recs\")[] }\n```",
    "The checker sends screens for many users at once, then slows one service 10×, crashes another and makes a third fail half its calls. It checks each screen against what each call really got.",
  ].join("\n\n"),
  validate(solution) {
    if (typeof solution?.home !== "function") throw new ConfigError(`challenges["bff"].check`, "home", solution?.home, "a function (kit) => Promise<HomeScreen>");
  },
  stages: [
    { name: "works", goal: `every part on the screen, for the right user, within ${BUDGET} ms`, cases: seededCases(6, 1, () => ({ faults: [], size: 8 })), minSize: 1, run: judgeBff },
    { name: "survives faults", goal: "a slow, crashed or failing service is left out and named in missing; the rest still arrives in time", cases: seededCases(20, 100, (i) => ({ faults: faultsFor(i), size: 6 })), minSize: 1, run: judgeBff },
    { name: "holds at scale", goal: "30 screens at once under every fault: no screen mixes users or waits", cases: seededCases(20, 300, (i) => ({ faults: faultsFor(i + 4), size: 30 })), minSize: 1, run: judgeBff },
  ],
  hints: {
    nudge: "Read the first failure: it says which screen, how long it took or which part was wrong, and what that service really answered. Start the three calls before waiting for any of them.",
    approach: "Start all three calls, then wait for all of them to settle, successes and failures alike. Walk over the three results: a 200 goes on the screen, anything else goes in missing.",
    keyIdea: "Waiting in a way that rejects as soon as one call rejects loses the other two answers: wait for every call to settle, and treat a rejection (the timeout) as just another missing part.",
  },
});
