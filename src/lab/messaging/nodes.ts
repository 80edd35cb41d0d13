/** Client nodes of the brokers' simulations: one per producer, consumer, connection. */
import type { Simulation } from "../sim/simulation";
import type { SimNode } from "../sim/node";

/** The node with this name, created as a client node if it does not exist yet. */
export function clientNode(sim: Simulation, name: string): SimNode {
  return sim.hasNode(name) ? sim.node(name) : (sim.client(name) as unknown as SimNode);
}

/** True while the simulation's trace still keeps events (building a summary string costs time). */
export function tracing(sim: Simulation): boolean {
  return sim.trace.events.length < sim.options.traceLimit;
}
