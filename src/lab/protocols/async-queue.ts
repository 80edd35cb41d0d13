/**
 * A queue consumed with `for await`: the producer pushes values (from simulation events),
 * the consumer awaits them; `close()` ends the iteration, `fail(error)` makes it throw.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private readonly waiting: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }[] = [];
  private closed = false;
  private error: unknown;

  /** Adds a value; ignored after close. */
  push(value: T): void {
    if (this.closed) return;
    const next = this.waiting.shift();
    if (next) next.resolve({ value, done: false });
    else this.items.push(value);
  }

  /** Ends the iteration once the queued values are read. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.resolve({ value: undefined, done: true });
  }

  /** Ends the iteration with an error (after the queued values). */
  fail(error: unknown): void {
    if (this.closed) return;
    this.error = error;
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.reject(error);
  }

  /** True once closed or failed. */
  get done(): boolean {
    return this.closed;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
        if (this.closed) return this.error === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(this.error);
        return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
      },
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
