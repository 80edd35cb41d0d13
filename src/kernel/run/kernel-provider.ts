/**
 * One {@link RunEngine} (one kernel) per open notebook, created on first use and ended when
 * the notebook closes: the "kernel provider" of vscode-jupyter's split.
 */
import type { RunCell, RunEngine } from "./engine";

/** Holds the engines of open notebooks `N`, by a key such as the notebook's URI. */
export class KernelProvider<C extends RunCell, N> {
  private readonly engines = new Map<string, RunEngine<C>>();

  /** @param create makes the engine of a notebook (reads settings, subscribes to its events). */
  constructor(private readonly create: (notebook: N, key: string) => RunEngine<C>) {}

  /** The engine of `notebook` (known by `key`), created if it has none. */
  get(key: string, notebook: N): RunEngine<C> {
    let engine = this.engines.get(key);
    if (!engine) this.engines.set(key, (engine = this.create(notebook, key)));
    return engine;
  }

  /** The notebook's engine if it has one. */
  peek(key: string): RunEngine<C> | undefined {
    return this.engines.get(key);
  }

  /** Ends a notebook's kernel; the next {@link get} starts a new one. */
  async dispose(key: string): Promise<void> {
    const engine = this.engines.get(key);
    if (!engine) return;
    this.engines.delete(key);
    await engine.dispose();
  }

  /** Ends every kernel. */
  async disposeAll(): Promise<void> {
    await Promise.all([...this.engines.keys()].map((key) => this.dispose(key)));
  }
}
