/** Simulation core: clock, scheduler, random, network, nodes, faults, trace and metrics. */
export { Simulation, SimulationError, SIMULATION_DEFAULTS, type SimulationOptions, type Timer } from "./simulation";
export { Random, dist, sample, checkDistribution, type Distribution } from "./random";
export { Tracer, type TraceEvent, type TraceKind, type DiagramOptions } from "./trace";
export { Metrics, Counter, Histogram, TimeSeries, type HistogramSummary } from "./metrics";
export { Network, NETWORK_DEFAULTS, type LinkOptions } from "./network";
export { Faults, type When } from "./faults";
export { SimNode, NODE_DEFAULTS, type Handler, type NodeOptions, type CallOptions, type ServiceContext, type NodeStats } from "./node";
export { request, response, ok, toRequest, describeRequest, isSuccess, isResponse, type Request, type Response } from "./http";
export { CallError, TimeoutError, RejectedError, outcomeOf, type Outcome } from "./call-errors";
