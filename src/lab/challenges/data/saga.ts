/**
 * Build challenge "saga": the learner writes the orchestrator. The checker plays the services
 * (flight, hotel, car, payment as the pivot, email after it) on virtual time: a step fails for
 * good, compensations fail for a while, steps after the pivot fail transiently, and replies
 * get lost after the effect happened. Invariants: all or nothing at the end, compensations in
 * reverse order, never a compensation at or after the pivot, nothing left held.
 */
import { ConfigError, Random, Simulation } from "sde-lab";
import { defineBuildChallenge, type CheckCase, type FaultSpec } from "../build";
import { seededCases } from "../seeded-cases";
import { expectSolution } from "../challenge";

/** One step of the saga, as the orchestrator sees it. */
export interface SagaStepInfo {
  readonly name: string;
  /** The point of no return: once its action succeeded the saga must complete. */
  readonly pivot: boolean;
  /** Steps before the pivot have a compensation; the pivot and later steps have none. */
  readonly compensable: boolean;
}

/** What the orchestrator gets. */
export interface SagaEnv {
  /** The steps, in order. */
  readonly steps: readonly SagaStepInfo[];
  /**
   * Runs a step's action. `"failed"` before or at the pivot is a business refusal (final);
   * after the pivot it is transient (try again). Rejects with a TimeoutError when the reply is
   * lost: the action may have happened. Actions are idempotent per saga: repeating one is safe.
   */
  act(step: string): Promise<"ok" | "failed">;
  /**
   * Runs a step's compensation; rejects while the service is unavailable or the reply is lost.
   * Idempotent: compensating twice, or a step whose action never took effect, is harmless.
   */
  compensate(step: string): Promise<"ok">;
  /** Waits on the simulation's virtual clock. */
  sleep(ms: number): Promise<void>;
}

/** Solution of the saga build challenge. */
export interface SagaOrchestratorSolution {
  /** Runs one saga to its end: "completed" (every step done) or "compensated" (every effect undone). */
  run(env: SagaEnv): Promise<"completed" | "compensated">;
}

const STEPS: readonly SagaStepInfo[] = [
  { name: "flight", pivot: false, compensable: true },
  { name: "hotel", pivot: false, compensable: true },
  { name: "car", pivot: false, compensable: true },
  { name: "payment", pivot: true, compensable: false },
  { name: "email", pivot: false, compensable: false },
];
const PIVOT = 3;

async function runSaga(solution: SagaOrchestratorSolution, c: CheckCase) {
  const sim = new Simulation({ seed: c.seed });
  const random = new Random(c.seed * 31 + 7);
  const fault = (kind: string) => c.faults.find((f) => f.kind === kind);
  const failing = fault("step-fails")?.target;
  const compFails = Number(fault("compensation-unavailable")?.params?.times ?? 0);
  const lateFails = Number(fault("after-pivot-transient")?.params?.times ?? 0);
  const loss = Number(fault("lost-replies")?.params?.p ?? 0);
  const held = new Map<string, boolean>(STEPS.map((s) => [s.name, false]));
  const compLeft = new Map<string, number>(STEPS.map((s) => [s.name, compFails]));
  let lateLeft = lateFails;
  const acted = new Set<string>();
  let compensating = false;
  let pivotDone = false;
  const problems: { at: number; text: string }[] = [];
  const fail = (text: string) => problems.push({ at: sim.now, text });
  const index = (name: string) => {
    const i = STEPS.findIndex((s) => s.name === name);
    if (i < 0) throw new ConfigError("SagaEnv", "step", name, STEPS.map((s) => s.name).join(" | "));
    return i;
  };
  const reply = async <T>(from: string, value: T, what: string): Promise<T> => {
    await sim.sleep(random.int(1, 3));
    if (loss > 0 && random.chance(loss)) {
      sim.trace.record("drop", from, "orchestrator", `reply to ${what} lost`);
      await sim.sleep(50);
      const e = new Error(`no reply to ${what} within 50 ms`);
      e.name = "TimeoutError";
      throw e;
    }
    sim.trace.record("response", from, "orchestrator", `${what}: ${String(value)}`);
    return value;
  };
  const env: SagaEnv = {
    steps: STEPS.map((s) => ({ ...s })),
    async act(step) {
      const i = index(step);
      sim.trace.record("request", "orchestrator", step, `do ${step}`);
      if (compensating) fail(`the orchestrator ran ${step}'s action after it had started compensating.`);
      if (i > PIVOT && !pivotDone) fail(`the orchestrator ran ${step} before the pivot (payment) had succeeded.`);
      acted.add(step);
      await sim.sleep(random.int(1, 3));
      if (step === failing) return reply(step, "failed" as const, `do ${step}`);
      if (i > PIVOT && lateLeft > 0) {
        lateLeft--;
        return reply(step, "failed" as const, `do ${step}`);
      }
      held.set(step, true);
      if (i === PIVOT) pivotDone = true;
      return reply(step, "ok" as const, `do ${step}`);
    },
    async compensate(step) {
      const i = index(step);
      sim.trace.record("request", "orchestrator", step, `undo ${step}`);
      if (!STEPS[i]!.compensable) fail(`the orchestrator compensated ${step}, which ${i === PIVOT ? "is the pivot" : "comes after the pivot"} and has no compensation.`);
      if (pivotDone) fail(`the orchestrator compensated ${step} after the pivot (payment) had succeeded; from there the saga must complete.`);
      if (!compensating) compensating = true;
      const later = STEPS.slice(i + 1).find((s) => s.compensable && held.get(s.name));
      if (later) fail(`the orchestrator compensated ${step} while ${later.name}, a later step, was still held: compensations run in reverse order.`);
      await sim.sleep(random.int(1, 3));
      if (compLeft.get(step)! > 0) {
        compLeft.set(step, compLeft.get(step)! - 1);
        sim.trace.record("response", step, "orchestrator", `undo ${step}: 503`);
        throw new Error(`${step} is unavailable (503), try again`);
      }
      held.set(step, false);
      return reply(step, "ok" as const, `undo ${step}`);
    },
    sleep: (ms) => sim.sleep(ms),
  };
  const result = await sim.run(() => solution.run(env));
  await sim.runFor(500); // let stragglers land
  return { sim, result, held, problems, failing, acted };
}

function judge(r: Awaited<ReturnType<typeof runSaga>>) {
  const { sim, result, held, problems, failing } = r;
  if (problems.length > 0) return { ok: false, sim, at: problems[0]!.at, invariant: problems[0]!.text };
  const holding = STEPS.filter((s) => held.get(s.name)).map((s) => s.name);
  const expected = failing ? "compensated" : "completed";
  if (result !== expected) return { ok: false, sim, invariant: `run() returned ${JSON.stringify(result)}, but with ${failing ? `${failing} refusing` : "no step refusing"} the saga must end ${expected}.` };
  if (expected === "completed" && holding.length !== STEPS.length) return { ok: false, sim, invariant: holding.length === 0 ? `run() returned "completed", but none of the ${STEPS.length} steps took effect.` : `run() returned "completed", but only ${holding.join(", ")} of the ${STEPS.length} steps took effect.` };
  if (expected === "compensated" && holding.length > 0) return { ok: false, sim, invariant: `the saga ended compensated with ${holding.join(", ")} still held (a booking nobody will pay for).` };
  return { ok: true, sim };
}

/** One case, judged: the bench's "plain run" beside a full check. */
export async function runSagaCase(s: SagaOrchestratorSolution, c: CheckCase) {
  return judge(await runSaga(s, c));
}

const before = ["flight", "hotel", "car", "payment"];
/** 20 cases from `firstSeed`: each step up to the pivot refuses in turn (every fifth case none), then `extra(i)`. */
const cases = (firstSeed: number, extra: (i: number) => FaultSpec[]) =>
  seededCases(20, firstSeed, (i) => {
    const failing = i % 5 === 4 ? undefined : before[i % 5]!;
    return { faults: [...(failing ? [{ kind: "step-fails", label: `${failing} refuses (a business failure)`, target: failing }] : []), ...extra(i)], size: 1 };
  });

export const sagaBuild = defineBuildChallenge<SagaOrchestratorSolution>({
  id: "saga",
  title: "Write the saga orchestrator: reverse compensations, retries after the pivot",
  statement: [
    "A trip books `flight`, `hotel` and `car`, charges `payment` (the **pivot**: the point of no return) and sends an `email`. Write the orchestrator's `run(env)`: run the steps in order; if a step up to the pivot refuses, undo what was done, **in reverse order**, and return `\"compensated\"`; once the pivot succeeded, never undo anything: retry later steps until they succeed and return `\"completed\"`.",
    "",
    "```ts",
    "interface SagaStepInfo { name: string; pivot: boolean; compensable: boolean }",
    "interface SagaEnv {",
    "  steps: readonly SagaStepInfo[];",
    '  act(step: string): Promise<"ok" | "failed">;  // rejects (TimeoutError) when the reply is lost',
    '  compensate(step: string): Promise<"ok">;      // rejects while unavailable or when the reply is lost',
    "  sleep(ms: number): Promise<void>;",
    "}",
    'interface SagaOrchestratorSolution { run(env: SagaEnv): Promise<"completed" | "compensated"> }',
    "```",
    "",
    "Actions and compensations are idempotent per saga (the services dedupe by saga id), so repeating one is safe, and compensating a step whose action never took effect is harmless.",
    "",
    "**The checker attacks** with each step up to the pivot refusing in turn (and none), compensations that answer 503 for their first one or two calls, an email that fails transiently up to three times after the pivot, and replies lost after the effect happened (20 %). Invariants: at the end everything is held or nothing is; a compensation starts only when every later step is undone; the pivot and later steps are never compensated; no action after compensating began.",
  ].join("\n"),
  validate(s) {
    expectSolution("saga", s, ["run"]);
  },
  stages: [
    {
      name: "completes or compensates",
      goal: "with one step refusing (each in turn) or none, the saga ends all-done or all-undone, compensations in reverse order",
      cases: cases(1, () => []),
      run: async (s, c) => judge(await runSaga(s, c)),
    },
    {
      name: "retries",
      goal: "compensations that are briefly unavailable and steps after the pivot that fail transiently are retried, never skipped or undone",
      cases: cases(100, (i) => [
        { kind: "compensation-unavailable", label: `every compensation answers 503 ${1 + (i % 2)} time(s) first`, params: { times: 1 + (i % 2) } },
        { kind: "after-pivot-transient", label: `email fails ${1 + (i % 3)} time(s) after the pivot`, params: { times: 1 + (i % 3) } },
      ]),
      run: async (s, c) => judge(await runSaga(s, c)),
    },
    {
      name: "survives lost replies",
      goal: "with 20 % of replies lost after the effect happened, nothing is left held and nothing done twice matters",
      cases: cases(200, () => [{ kind: "lost-replies", label: "lose 20 % of the replies (the effect happened)", params: { p: 0.2 } }]),
      run: async (s, c) => judge(await runSaga(s, c)),
    },
  ],
  hints: {
    nudge: "Keep a list of the steps you have started, in order. When something refuses before the point of no return, that list is exactly what must be undone, and its order tells you the order of undoing.",
    approach: "Three behaviours by position: before the pivot a refusal means undo; at the pivot a refusal also means undo, a success means no way back; after it a failure only means try again later. Compensations that fail are tried again, with a pause, before moving to the one before.",
    keyIdea: "A lost reply leaves you not knowing whether the step happened. Because steps and their undos are idempotent, you never need to know: repeat the action until you get an answer, and when undoing, include every step you ever started, not only those that answered ok.",
  },
});
