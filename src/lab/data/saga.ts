/**
 * Sagas (Garcia-Molina & Salem 1987) run by an orchestrator on the simulated network: a
 * sequence of local transactions T1…Tn on different services; when Ti fails, the
 * compensations C(i−1)…C1 of the completed steps run in reverse order. Steps before the
 * pivot are compensatable; the pivot is the point of no return; steps after it are
 * retriable and must eventually succeed. Compensations are retried until they succeed (up
 * to a limit), so they must be idempotent; the request carries `saga-id` and `step` headers
 * for the service to deduplicate by.
 *
 * A step answered 2xx succeeded; 4xx/5xx certainly did not happen (outcome `fail`); a
 * timeout is outcome `info` — the step may have happened — so it is compensated too, to be
 * safe. A saga has no isolation: other readers see the completed steps' effects before the
 * saga ends (see {@link sagaIsolationDemo}).
 */
import { DISPLAY, markdown, table, type Displayable, type MimeBundle } from "../display";
import { ConfigError, nonNegative, wholeNumber } from "../errors";
import type { Simulation } from "../sim/simulation";
import { toRequest, type Request } from "../sim/http";
import { CallError } from "../sim/call-errors";

/** How a step behaves on failure (microservices.io's terms). */
export type StepKind = "compensatable" | "pivot" | "retriable";

/** One step of a saga. */
export interface SagaStep {
  /** Step name, unique within the saga. */
  name: string;
  /** Node that runs the step's local transaction. */
  service: string;
  /** Request that runs it. Default `POST /<name>`. */
  action?: Request | string;
  /** Request that semantically undoes it. Required for compensatable steps. */
  compensation?: Request | string;
  /** Default `compensatable` when a compensation is given, else `retriable`. */
  kind?: StepKind;
}

/** A saga's definition. */
export interface SagaDefinition {
  name: string;
  steps: readonly SagaStep[];
}

/** Options of a {@link SagaOrchestrator}. Defaults are in {@link SAGA_DEFAULTS}. */
export interface SagaOptions {
  /** Orchestrator node name. Default `"orchestrator"`. */
  orchestrator?: string;
  /** How long to wait for a step or compensation, ms. Default 1000. */
  stepTimeoutMs?: number;
  /** Attempts per compensation before the saga is marked FAILED (needs a human). Default 10. */
  compensationAttempts?: number;
  /** Attempts per retriable step (after the pivot) before the saga is marked FAILED. Default 10. */
  retriableAttempts?: number;
  /** Pause between attempts, ms. Default 100. */
  retryDelayMs?: number;
}

/** Defaults of {@link SagaOptions}. */
export const SAGA_DEFAULTS = { orchestrator: "orchestrator", stepTimeoutMs: 1000, compensationAttempts: 10, retriableAttempts: 10, retryDelayMs: 100 } as const;

/** Where a saga is. */
export type SagaStatus = "RUNNING" | "COMPENSATING" | "COMPLETED" | "COMPENSATED" | "FAILED";

/** One entry of a saga's history. */
export interface SagaHistoryEntry {
  time: number;
  step: string;
  action: "execute" | "compensate";
  attempt: number;
  /** `ok` done, `fail` certainly not done, `info` unknown (timeout). */
  outcome: "ok" | "fail" | "info";
  detail: string;
}

/** One run of a saga: its state and history. */
export class SagaRun implements Displayable {
  status: SagaStatus = "RUNNING";
  /** Steps that succeeded (or may have: timed out), in order. */
  readonly completed: string[] = [];
  /** Steps compensated, in the order the compensations ran. */
  readonly compensated: string[] = [];
  readonly history: SagaHistoryEntry[] = [];
  /** Step that failed, if any. */
  failedStep: string | undefined;
  end: number | undefined;

  constructor(
    readonly id: string,
    readonly saga: string,
    readonly start: number,
    private readonly traceStart: number,
    private readonly sim: Simulation,
    private readonly nodes: readonly string[],
  ) {}

  /** True when the saga ended consistently: every step done, or every completed step undone. */
  get consistent(): boolean {
    if (this.status === "COMPLETED") return true;
    if (this.status !== "COMPENSATED") return false;
    return [...this.completed].reverse().join() === this.compensated.join();
  }

  /** Virtual time from start to end (or to now), ms. */
  get durationMs(): number {
    return (this.end ?? this.sim.now) - this.start;
  }

  /** The run as a sequence diagram (from the simulation's trace). */
  sequence(limit = 40): Displayable {
    const mine = new Set(this.sim.trace.events.slice(this.traceStart));
    return this.sim.trace.sequence({ filter: (e) => mine.has(e) && (this.end === undefined || e.time <= this.end), participants: this.nodes, limit, title: `saga ${this.saga} ${this.id}` });
  }

  [DISPLAY](): MimeBundle {
    const head = `**saga ${this.saga} ${this.id}**: ${this.status}${this.failedStep ? ` (${this.failedStep} failed)` : ""} in ${round(this.durationMs)} ms; completed ${this.completed.join(" → ") || "none"}${this.compensated.length ? `; compensated ${this.compensated.join(" → ")}` : ""}`;
    const t = table(this.history.slice(0, 30).map((h) => ({ "t ms": round(h.time), step: h.step, action: h.action, attempt: h.attempt, outcome: h.outcome, detail: h.detail })))[DISPLAY]();
    return { "text/markdown": `${head}\n\n${t["text/markdown"]}`, "text/plain": `${head.replace(/\*\*/g, "")}\n${t["text/plain"]}` };
  }
}

/** Runs sagas of one definition. */
export class SagaOrchestrator {
  readonly options: Readonly<Required<SagaOptions>>;
  readonly steps: readonly (SagaStep & { kind: StepKind })[];
  private seq = 0;
  /** Every run so far. */
  readonly runs: SagaRun[] = [];

  constructor(
    readonly sim: Simulation,
    readonly definition: SagaDefinition,
    options: SagaOptions = {},
  ) {
    const d = SAGA_DEFAULTS;
    const c = "SagaOrchestrator";
    this.options = {
      orchestrator: options.orchestrator ?? d.orchestrator,
      stepTimeoutMs: nonNegative(c, "stepTimeoutMs", options.stepTimeoutMs ?? d.stepTimeoutMs, 1),
      compensationAttempts: wholeNumber(c, "compensationAttempts", options.compensationAttempts ?? d.compensationAttempts),
      retriableAttempts: wholeNumber(c, "retriableAttempts", options.retriableAttempts ?? d.retriableAttempts),
      retryDelayMs: nonNegative(c, "retryDelayMs", options.retryDelayMs ?? d.retryDelayMs),
    };
    if (!definition || !Array.isArray(definition.steps) || definition.steps.length === 0) throw new ConfigError(c, "steps", definition?.steps, "a non-empty array of { name, service, action?, compensation? }");
    const names = new Set<string>();
    let pivotSeen = false;
    this.steps = definition.steps.map((s, i) => {
      if (!s || typeof s.name !== "string" || s.name === "") throw new ConfigError(c, `steps[${i}].name`, s?.name, "a non-empty string");
      if (names.has(s.name)) throw new ConfigError(c, `steps[${i}].name`, s.name, "a name not used by another step");
      names.add(s.name);
      if (typeof s.service !== "string" || s.service === "") throw new ConfigError(c, `steps[${i}].service`, s.service, "a node name");
      const kind: StepKind = s.kind ?? (s.compensation !== undefined ? "compensatable" : "retriable");
      if (kind === "compensatable" && s.compensation === undefined) throw new ConfigError(c, `steps[${i}].compensation`, undefined, `a request that undoes ${s.name} (or kind "pivot" / "retriable")`);
      if (kind === "compensatable" && pivotSeen) throw new ConfigError(c, `steps[${i}].kind`, kind, "pivot or retriable: a step after the pivot (or after a retriable step) cannot be compensated");
      if (kind === "pivot" && pivotSeen) throw new ConfigError(c, `steps[${i}].kind`, kind, "retriable: a saga has at most one pivot, and it comes before every retriable step");
      if (kind !== "compensatable") pivotSeen = true;
      return { ...s, kind };
    });
    if (!sim.hasNode(this.options.orchestrator)) sim.client(this.options.orchestrator);
  }

  /** Nodes a diagram of this saga shows. */
  private get nodes(): string[] {
    return [this.options.orchestrator, ...new Set(this.steps.map((s) => s.service))];
  }

  /** Runs one saga to its end: COMPLETED, COMPENSATED, or FAILED (a compensation or retriable step kept failing). */
  async run(input: { id?: string; data?: unknown } = {}): Promise<SagaRun> {
    const id = input.id ?? `${this.definition.name}-${++this.seq}`;
    const run = new SagaRun(id, this.definition.name, this.sim.now, this.sim.trace.events.length, this.sim, this.nodes);
    this.runs.push(run);
    const orch = this.options.orchestrator;
    this.sim.trace.state(orch, `${id}: started`);
    let pivotPassed = false;
    for (const step of this.steps) {
      const attempts = step.kind === "retriable" && pivotPassed ? this.options.retriableAttempts : 1;
      let outcome: "ok" | "fail" | "info" = "fail";
      for (let attempt = 1; attempt <= attempts; attempt++) {
        if (attempt > 1) await this.sim.sleep(this.options.retryDelayMs);
        outcome = await this.invoke(run, step, "execute", attempt, input.data);
        if (outcome === "ok") break;
      }
      if (outcome === "ok") {
        run.completed.push(step.name);
        // The first step that cannot be undone is the point of no return (the pivot, declared or not).
        if (step.kind !== "compensatable") pivotPassed = true;
        continue;
      }
      run.failedStep = step.name;
      if (pivotPassed) {
        run.status = "FAILED";
        this.sim.trace.state(orch, `${id}: FAILED — ${step.name} did not succeed after the pivot (needs a human)`);
        run.end = this.sim.now;
        return run;
      }
      // A timed-out step may have happened: undo it too (its compensation must cope with "nothing to undo").
      if (outcome === "info" && step.compensation !== undefined) run.completed.push(step.name);
      await this.compensate(run, input.data);
      return run;
    }
    run.status = "COMPLETED";
    run.end = this.sim.now;
    this.sim.trace.state(orch, `${id}: COMPLETED`);
    return run;
  }

  private async compensate(run: SagaRun, data: unknown): Promise<void> {
    run.status = "COMPENSATING";
    this.sim.trace.state(this.options.orchestrator, `${run.id}: COMPENSATING (${run.failedStep} failed)`);
    for (const name of [...run.completed].reverse()) {
      const step = this.steps.find((s) => s.name === name)!;
      if (step.compensation === undefined) continue;
      let done = false;
      for (let attempt = 1; attempt <= this.options.compensationAttempts && !done; attempt++) {
        if (attempt > 1) await this.sim.sleep(this.options.retryDelayMs);
        done = (await this.invoke(run, step, "compensate", attempt, data)) === "ok";
      }
      if (!done) {
        run.status = "FAILED";
        run.end = this.sim.now;
        this.sim.trace.state(this.options.orchestrator, `${run.id}: FAILED — compensation of ${name} kept failing (needs a human)`);
        return;
      }
      run.compensated.push(name);
    }
    run.status = "COMPENSATED";
    run.end = this.sim.now;
    this.sim.trace.state(this.options.orchestrator, `${run.id}: COMPENSATED`);
  }

  private async invoke(run: SagaRun, step: SagaStep, action: "execute" | "compensate", attempt: number, data: unknown): Promise<"ok" | "fail" | "info"> {
    const base = toRequest((action === "execute" ? step.action : step.compensation) ?? `POST /${step.name}`);
    const req: Request = { ...base, headers: { ...base.headers, "saga-id": run.id, step: step.name, "saga-action": action }, body: base.body ?? { sagaId: run.id, data } };
    try {
      const res = await this.sim.node(this.options.orchestrator).call(step.service, req, { timeoutMs: this.options.stepTimeoutMs });
      const outcome = res.status < 300 ? "ok" : "fail";
      run.history.push({ time: this.sim.now, step: step.name, action, attempt, outcome, detail: `${res.status}${typeof (res.body as { error?: unknown })?.error === "string" ? ` ${(res.body as { error: string }).error}` : ""}` });
      return outcome;
    } catch (error) {
      const outcome = error instanceof CallError ? error.outcome : "info";
      run.history.push({ time: this.sim.now, step: step.name, action, attempt, outcome, detail: error instanceof Error ? error.message : String(error) });
      return outcome;
    }
  }

  /** Every run as one row each. */
  summary(): Displayable {
    if (!this.runs.length) return markdown("_No saga runs yet._");
    return table(this.runs.map((r) => ({ saga: r.id, status: r.status, "failed step": r.failedStep ?? "", completed: r.completed.join(" → "), compensated: r.compensated.join(" → "), "ms": round(r.durationMs), consistent: r.consistent ? "yes" : "NO" })));
  }
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
