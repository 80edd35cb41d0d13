/**
 * A 100-cell notebook for the editor benchmark and its end-to-end timing: each cell builds on
 * names from earlier cells with sde-lab's API, like the shipped notebooks do.
 */

/** The cells, in order. Every tenth cell imports again, as learners' cells do. */
export function benchNotebookCells(count = 100): string[] {
  const cells: string[] = [];
  for (let i = 0; i < count; i++) {
    const prev = i === 0 ? "0" : `total${i - 1}`;
    const lines = [
      i % 10 === 0 ? 'import { Simulation, CircuitBreaker, RetryPolicy, dist, ok } from "sde-lab";' : "",
      `// Cell ${i}: a service, a client and a run on the simulation's virtual clock.`,
      `const sim${i} = new Simulation({ seed: ${i + 1} });`,
      `sim${i}.network.setDefaults({ latency: dist.exponential(${(i % 5) + 1}) });`,
      `sim${i}.service("svc${i}", async (_req, ctx) => {`,
      `  await ctx.work(dist.pareto(${(i % 7) + 2}, 2));`,
      `  return ok({ id: ${i}, name: "item-${i}" });`,
      `});`,
      `const client${i} = sim${i}.client("web${i}");`,
      `const breaker${i} = new CircuitBreaker(sim${i}, { failureRateThreshold: 50, slidingWindowSize: ${10 + i} });`,
      `const retry${i} = new RetryPolicy(sim${i}, { maxAttempts: 3 });`,
      `const result${i} = await sim${i}.run(async () => client${i}.call("svc${i}", "GET /items/${i}", { timeoutMs: 200 }).catch(() => undefined));`,
      `const total${i}: number = ${prev} + (result${i} ? 1 : 0);`,
      `function describe${i}(label: string): string {`,
      `  return \`\${label}: \${total${i}} after \${sim${i}.now} ms, breaker \${breaker${i}.state}\`;`,
      `}`,
      `void retry${i};`,
      `describe${i}("cell ${i}")`,
    ];
    cells.push(lines.filter((l) => l !== "").join("\n"));
  }
  return cells;
}

/** The same code as one `.ts` module: the imports once at the top, then every cell's body. */
export function benchAsOneFile(cells: readonly string[]): string {
  const imports = new Set<string>();
  const bodies = cells.map((c) =>
    c
      .split("\n")
      .filter((line) => (line.startsWith("import ") ? (imports.add(line), false) : true))
      .join("\n"),
  );
  return [...imports, "export {};", ...bodies.map((b) => `${b};`)].join("\n");
}
