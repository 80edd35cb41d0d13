/**
 * Fault injection, one line each: partitions (one-way or two-way), crashes (state kept or
 * lost), restarts, latency, loss and slow nodes, now or at a virtual time (`{ at: 5_000 }`).
 * Every fault is traced, so it shows in the sequence diagram.
 */
import { fraction, positive } from "../errors";
import { DISPLAY, markdown, type MimeBundle } from "../display";
import { checkDistribution, type Distribution } from "./random";
import type { Simulation } from "./simulation";

/** When a fault happens: now (default) or at a virtual time in ms. */
export interface When {
  at?: number;
}

/** Injects faults into a {@link Simulation}. */
export class Faults {
  constructor(private readonly sim: Simulation) {}

  private when(options: When | undefined, apply: () => void): void {
    if (options?.at === undefined || options.at <= this.sim.now) apply();
    else this.sim.at(options.at, apply);
  }

  /** Cuts the link between `a` and `b` (only `a` → `b` with `oneWay`). */
  partition(a: string, b: string, options: When & { oneWay?: boolean } = {}): void {
    this.sim.node(a);
    this.sim.node(b);
    this.when(options, () => {
      this.sim.network.partition(a, b, options.oneWay);
      this.sim.trace.record("fault", a, b, options.oneWay ? `partition ${a} → ${b}` : `partition ${a} ⇹ ${b}`);
    });
  }

  /** Ends partitions: between `a` and `b`, all of `a`'s, or all (no arguments). */
  heal(a?: string, b?: string, options: When = {}): void {
    if (a !== undefined) this.sim.node(a);
    if (b !== undefined) this.sim.node(b);
    this.when(options, () => {
      this.sim.network.heal(a, b);
      const at = a ?? "network";
      this.sim.trace.record("fault", at, b ?? at, b ? `heal ${a} ⇹ ${b}` : a ? `heal all links of ${a}` : "heal every partition");
    });
  }

  /** Crashes a node: it stops answering; in-flight work is lost, and its state if `loseState`. */
  crash(node: string, options: When & { loseState?: boolean } = {}): void {
    const n = this.sim.node(node);
    this.when(options, () => {
      n.crash(options.loseState ?? false);
      this.sim.trace.record("fault", node, node, options.loseState ? "crash (state lost)" : "crash");
    });
  }

  /** Restarts a crashed node. */
  restart(node: string, options: When = {}): void {
    const n = this.sim.node(node);
    this.when(options, () => {
      n.restart();
      this.sim.trace.record("fault", node, node, "restart");
    });
  }

  /** Sets the one-way delay between `a` and `b` (both directions). */
  latency(a: string, b: string, latency: Distribution, options: When = {}): void {
    this.sim.node(a);
    this.sim.node(b);
    checkDistribution("Faults.latency", "latency", latency);
    this.when(options, () => {
      this.sim.network.setLink(a, b, { latency });
      this.sim.trace.record("fault", a, b, `latency ${typeof latency === "number" ? `${latency} ms` : latency.kind}`);
    });
  }

  /** Loses each message between `a` and `b` with probability `probability`. */
  loss(a: string, b: string, probability: number, options: When = {}): void {
    fraction("Faults.loss", "probability", probability);
    this.sim.node(a);
    this.sim.node(b);
    this.when(options, () => {
      this.sim.network.setLink(a, b, { loss: probability });
      this.sim.trace.record("fault", a, b, `loss ${Math.round(probability * 100)} %`);
    });
  }

  /** Makes a node's processing `factor` times slower (1 = normal speed). */
  slow(node: string, factor: number, options: When = {}): void {
    positive("Faults.slow", "factor", factor);
    const n = this.sim.node(node);
    this.when(options, () => {
      n.slowFactor = factor;
      this.sim.trace.record("fault", node, node, factor === 1 ? "normal speed" : `${factor}× slower`);
    });
  }

  /** What this object offers (the faults injected so far are in the trace). */
  [DISPLAY](): MimeBundle {
    return markdown("Faults: `partition`, `heal`, `crash`, `restart`, `latency`, `loss`, `slow`, now or `{ at: ms }`. Injected faults appear in `sim.trace` (⚡ notes).")[DISPLAY]();
  }
}
