/**
 * `sde-lab/scenarios`: prepared topologies that notebooks use when building them in the cell
 * would hide the lesson (many services, many clients). Built only on the public `sde-lab` API.
 */
export {};
