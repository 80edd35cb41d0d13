/**
 * Build challenge "timeout": the learner writes a handler that works to a deadline. It gets
 * the caller's deadline, gives each downstream call the budget that is left (minus a margin),
 * stops once the budget is spent and answers 504 in time, the way a gRPC server passes its
 * context's deadline on to the calls it makes. The checker hosts it on a simulated `checkout`
 * node in front of three services and slows, spikes and crashes them.
 */
import { ConfigError, Random, Simulation, TimeoutError, response, type Response } from "sde-lab";
import { defineBuildChallenge, type CaseOutcome, type CheckCase, type FaultSpec } from "../build";
import { seededCases } from "../seeded-cases";

/** The downstream services, in the order the handler calls them. */
export type Downstream = "inventory" | "pricing" | "shipping";

/** What the lab gives your handler, one per request. */
export interface DeadlineKit {
  /** The order this request is about. */
  readonly orderId: string;
  /** Virtual time (ms) by which the caller needs the answer. It may already be close, or past. */
  readonly deadline: number;
  /** Keep this much back from every downstream call's budget, ms: the hop back and your own work. */
  readonly marginMs: number;
  /** Virtual time, ms. */
  now(): number;
  /** Calls a service with GET `path`; rejects with a `TimeoutError` after `timeoutMs` without an answer. */
  call(service: Downstream, path: string, options: { timeoutMs: number }): Promise<Response>;
}

/** What you write: the `checkout` handler. */
export interface TimeoutBuild {
  /** 200 with `{ inventory, pricing, shipping }` (each service's body), or 504 once the budget is spent. */
  handle(kit: DeadlineKit): Promise<Response>;
}

const ORDER: readonly Downstream[] = ["inventory", "pricing", "shipping"];
const MARGIN = 5;

interface CallLog {
  readonly service: string;
  readonly at: number;
  readonly timeoutMs: unknown;
  end?: number;
  outcome?: "ok" | "timeout" | "error";
  body?: unknown;
}

interface RequestLog {
  readonly id: string;
  readonly arrived: number;
  readonly deadline: number;
  readonly calls: CallLog[];
  answer?: { status: number; body: unknown; at: number };
  error?: string;
  problem?: string;
}

/** Checks one request's calls and answer against the deadline rules; the sentence of the first broken one. */
function verdict(r: RequestLog): { sentence: string; at: number } | undefined {
  const ms = (n: number) => Math.round(n * 10) / 10;
  const who = `checkout for ${r.id} (arrived at ${r.arrived} ms, deadline ${r.deadline} ms)`;
  if (r.problem) return { sentence: `${who}: ${r.problem}`, at: r.arrived };
  if (r.error) return { sentence: `${who} threw ${r.error} instead of answering`, at: r.arrived };
  if (!r.answer) return { sentence: `${who} never answered`, at: r.deadline };
  let allOk = true;
  for (const [i, call] of r.calls.entries()) {
    const budget = r.deadline - call.at - MARGIN;
    if (call.service !== ORDER[i]) return { sentence: `${who}: call ${i + 1} went to ${call.service}, but the calls go ${ORDER.join(" → ")}, one after another, each once`, at: call.at };
    if (!allOk) return { sentence: `${who} called ${call.service} at ${ms(call.at)} ms after ${r.calls[i - 1]!.service} had timed out: once a call has used up the budget, answer 504`, at: call.at };
    if (budget <= 0) return { sentence: `${who} started ${call.service} at ${ms(call.at)} ms with ${ms(r.deadline - call.at)} ms left, no budget after the ${MARGIN} ms margin: work started now cannot finish in time, answer 504 instead`, at: call.at };
    const t = call.timeoutMs;
    if (typeof t !== "number" || !Number.isFinite(t) || t > budget) return { sentence: `${who} gave ${call.service} a timeout of ${String(t)} ms at ${ms(call.at)} ms, but only ${ms(budget)} ms of budget were left (deadline − now − ${MARGIN} ms margin): its work would outlive the caller's deadline`, at: call.at };
    if (t < budget - 1) return { sentence: `${who} gave ${call.service} a timeout of ${t} ms at ${ms(call.at)} ms though ${ms(budget)} ms of budget were left: pass the remaining budget on, or a slow but timely answer is thrown away`, at: call.at };
    allOk = call.outcome === "ok";
  }
  const a = r.answer;
  // A request that arrives past its deadline is answered at once (its budget was spent on the way).
  const latest = Math.max(r.deadline, r.arrived);
  if (a.at > latest) return { sentence: `${who} answered ${a.status} at ${ms(a.at)} ms, ${ms(a.at - latest)} ms after ${latest === r.deadline ? "the caller's deadline" : "it arrived, with its deadline already past"}`, at: a.at };
  const next = ORDER[r.calls.length];
  if (allOk && next && r.deadline - a.at - MARGIN > 0) {
    return { sentence: `${who} answered ${a.status} at ${ms(a.at)} ms without calling ${next}, though ${ms(r.deadline - a.at - MARGIN)} ms of budget were left after the margin`, at: a.at };
  }
  if (allOk && !next) {
    if (a.status !== 200) return { sentence: `${who}: all three services answered in time, yet it answered ${a.status}, not 200`, at: a.at };
    const body = (a.body ?? {}) as Record<string, unknown>;
    for (const call of r.calls) {
      if (JSON.stringify(body[call.service]) !== JSON.stringify(call.body)) return { sentence: `${who}: the 200's ${call.service} part is not the body ${call.service} answered with`, at: a.at };
    }
  } else if (a.status !== 504) {
    const why = allOk ? "the budget was spent before the next call" : `${r.calls.at(-1)!.service} did not answer within its budget`;
    return { sentence: `${who} answered ${a.status}, but ${why}: the answer is 504 (DEADLINE_EXCEEDED)`, at: a.at };
  }
  return undefined;
}

/** One run: `size` requests with deadlines reach `checkout`, which runs the learner's handler. */
export async function judgeTimeout(solution: TimeoutBuild, c: CheckCase, budgets: (r: Random) => number): Promise<CaseOutcome> {
  const sim = new Simulation({ seed: c.seed, traceLimit: 6_000 });
  sim.network.setDefaults({ latency: 1 });
  for (const name of ORDER) {
    sim.service(name, async (req, ctx) => {
      await ctx.work({ kind: "uniform", min: 10, max: 30 });
      return { [name]: `${name} for ${req.path.split("order=")[1] ?? "?"}` };
    });
  }
  for (const f of c.faults) {
    const until = Number(f.params?.untilMs ?? Infinity);
    if (f.kind === "slow") {
      sim.faults.slow(f.target!, Number(f.params?.factor ?? 20), { at: f.at ?? 0 });
      if (Number.isFinite(until)) sim.faults.slow(f.target!, 1, { at: until });
    }
    if (f.kind === "crash") {
      sim.faults.crash(f.target!, { at: f.at ?? 0 });
      sim.faults.restart(f.target!, { at: until });
    }
  }
  const logs = new Map<string, RequestLog>();
  const checkout = sim.service("checkout", async (req) => {
    const id = req.path.split("order=")[1]!;
    const budget = Number(req.headers["x-budget-ms"]);
    const log: RequestLog = { id, arrived: sim.now, deadline: sim.now + budget, calls: [] };
    logs.set(id, log);
    const kit: DeadlineKit = {
      orderId: id,
      deadline: log.deadline,
      marginMs: MARGIN,
      now: () => sim.now,
      call(service, path, options) {
        const call: CallLog = { service, at: sim.now, timeoutMs: options?.timeoutMs };
        log.calls.push(call);
        if (!ORDER.includes(service)) return Promise.reject(new ConfigError("kit.call", "service", service, ORDER.join(", ")));
        const t = options?.timeoutMs;
        if (typeof t !== "number" || !Number.isFinite(t) || t <= 0) {
          log.problem ??= `called ${service} with timeoutMs ${String(t)}; give every call a finite timeout > 0 (the budget left)`;
          return Promise.reject(new ConfigError("kit.call", "options.timeoutMs", t, "a finite number of ms > 0"));
        }
        return checkout.call(service, { method: "GET", path, headers: { "x-budget-ms": String(t) } }, { timeoutMs: t }).then(
          (r) => {
            [call.end, call.outcome, call.body] = [sim.now, r.status === 200 ? "ok" : "error", r.body];
            return r;
          },
          (error: unknown) => {
            [call.end, call.outcome] = [sim.now, error instanceof TimeoutError ? "timeout" : "error"];
            throw error;
          },
        );
      },
    };
    try {
      const answer = await solution.handle(kit);
      const status = typeof answer?.status === "number" ? answer.status : 200;
      log.answer = { status, body: answer?.body, at: sim.now };
      return answer ?? response(500);
    } catch (error) {
      log.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return response(500);
    }
  });
  const random = new Random(c.seed);
  const requests = Array.from({ length: c.size }, (_, i) => ({ id: `order-${i + 1}`, at: random.int(0, 600), budget: budgets(random) }));
  await sim.run(async () => {
    await Promise.all(
      requests.map(async (r) => {
        await sim.sleep(r.at);
        await sim
          .client(`caller-${r.id}`)
          .call("checkout", { method: "GET", path: `/checkout?order=${r.id}`, headers: { "x-budget-ms": String(r.budget) } }, { timeoutMs: Math.max(1, r.budget + 2) })
          .catch(() => undefined);
      }),
    );
    await sim.sleep(1_000); // calls still running finish, so the trace shows what they cost
  });
  const broken = [...logs.values()].map(verdict).filter((v) => v !== undefined).sort((a, b) => a.at - b.at)[0];
  const missing = requests.find((r) => !logs.has(r.id));
  if (broken) return { ok: false, invariant: broken.sentence, sim, at: broken.at };
  if (missing) return { ok: false, invariant: `${missing.id} never reached checkout`, sim, at: missing.at };
  return { ok: true, sim };
}

function faultsFor(i: number): FaultSpec[] {
  const target = ORDER[i % 3]!;
  const other = ORDER[(i + 1) % 3]!;
  const at = 100 + 40 * (i % 6);
  const all: FaultSpec[] = [
    { kind: "slow", label: `${target} 20× slower from ${at} to ${at + 250} ms (a latency spike)`, at, target, params: { untilMs: at + 250, factor: 20 } },
    { kind: "slow", label: `${other} 4× slower all along (a slow downstream)`, at: 0, target: other, params: { factor: 4 } },
    { kind: "crash", label: `${target} crashed from ${at} to ${at + 200} ms (no answer)`, at, target, params: { untilMs: at + 200 } },
  ];
  return all.filter((_, j) => j === i % 3 || (i >> 2) % 2 === 1);
}

export const timeoutBuild = defineBuildChallenge<TimeoutBuild>({
  id: "timeout",
  title: "Work to a deadline: pass the remaining budget on, stop when it is spent",
  statement: [
    "Write the `checkout` handler. Each request carries its caller's deadline (`kit.deadline`, virtual ms). The handler calls `inventory`, then `pricing`, then `shipping`, one after another (each needs the one before), and answers 200 with `{ inventory, pricing, shipping }`, each the body that service answered.",
    `- Give **each** call the budget that is left: \`timeoutMs = kit.deadline − kit.now() − kit.marginMs\` (the margin, ${MARGIN} ms, is kept back for the hop back and your own work). A timeout shorter than that throws away slow but timely answers; a longer one lets work run for a caller who has gone.`,
    "- When that budget is 0 or less, do not start the call: the work could not finish in time. Answer **504** (gRPC's DEADLINE_EXCEEDED) instead. A call that times out has spent the budget: answer 504 too, and call nothing more.",
    "- Always answer by the deadline. Healthy services take 10–30 ms, so with a budget to spare the answer is 200.",
    "```ts\ntype Downstream = \"inventory\" | \"pricing\" | \"shipping\";\ninterface DeadlineKit { orderId: string; deadline: number; marginMs: number; now(): number; call(service: Downstream, path: string, options: { timeoutMs: number }): Promise<Response> }\ninterface TimeoutBuild { handle(kit: DeadlineKit): Promise<Response> }\n```",
    "The checker sends requests with budgets from generous to nearly spent (and already past), then over many seeds makes a service 20× slower for a moment, another 4× slower all along, or crashes one. For every request it checks each call's start time and timeout against the budget left, that nothing starts once the budget is spent, that the answer comes by the deadline, and that it is 200 whenever the services answered in time.",
  ].join("\n\n"),
  validate(solution) {
    if (typeof solution?.handle !== "function") throw new ConfigError(`challenges["timeout"].check`, "handle", solution?.handle, "a function (kit) => Promise<Response>");
  },
  stages: [
    {
      name: "works",
      goal: "healthy services and budgets of 150–300 ms: every call gets the remaining budget, every answer is 200 in time",
      cases: seededCases(6, 1, () => ({ faults: [], size: 10 })),
      minSize: 1,
      run: (s, c) => judgeTimeout(s, c, (r) => r.int(150, 300)),
    },
    {
      name: "survives faults",
      goal: "latency spikes, a slow downstream, a crash: each call within the budget left, 504 by the deadline when it runs out",
      cases: seededCases(24, 100, (i) => ({ faults: faultsFor(i), size: 16 })),
      minSize: 1,
      run: (s, c) => judgeTimeout(s, c, (r) => r.int(60, 250)),
    },
    {
      name: "holds the edges",
      goal: "budgets already spent, exactly the margin, a millisecond over it; 40 requests at once",
      cases: seededCases(20, 300, (i) => ({ faults: i % 2 === 0 ? [] : faultsFor(i), size: 40 })),
      minSize: 1,
      run: (s, c) => judgeTimeout(s, c, (r) => [-20, 0, 1, MARGIN - 1, MARGIN, MARGIN + 1, MARGIN + 2, 20, 35, 50, 80, 200][r.int(0, 11)]!),
    },
  ],
  hints: {
    nudge: "Read the first failure: it names the order, its deadline, the call and the timeout you gave it, and the budget that was left at that moment. Work out on paper what that budget was.",
    approach: "Before each call, work out what is left of the budget from the deadline, the clock now and the margin. If nothing is left, stop and answer 504; otherwise hand exactly that to the call. A call that rejects means the budget is gone: answer 504.",
    keyIdea: "The budget is not fixed per call: it shrinks as the clock moves, so compute it afresh right before every call, from the deadline you were given, never from the budget you started with.",
  },
});
