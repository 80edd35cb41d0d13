/** The recorded outcomes (expected.json): the real broker's for every scenario, and the simulation's for known differences. */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Outcome } from "./harness";

/** One scenario's recorded outcomes. */
export interface Recorded {
  /** RabbitMQ 3.10.8 with amqplib 2.3.1. */
  broker: Outcome;
  /** Only for a known difference: what the simulation does instead. */
  sim?: Outcome;
}

const FILE = fileURLToPath(new URL("./expected.json", import.meta.url));

export function loadExpected(): Record<string, Recorded> {
  try {
    return JSON.parse(readFileSync(FILE, "utf8")) as Record<string, Recorded>;
  } catch {
    return {};
  }
}

export function saveExpected(all: Record<string, Recorded>): void {
  writeFileSync(FILE, `${JSON.stringify(all, null, 1)}\n`);
}
