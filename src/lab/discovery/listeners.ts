/**
 * A tiny listener list, so components can report events without a dependency on any event
 * library: `onEvent(listener)` returns the function that unsubscribes.
 */
export class Listeners<E> {
  private readonly list: ((event: E) => void)[] = [];

  /** Adds a listener; the returned function removes it. */
  add(listener: (event: E) => void): () => void {
    this.list.push(listener);
    return () => {
      const i = this.list.indexOf(listener);
      if (i >= 0) this.list.splice(i, 1);
    };
  }

  /** Calls every listener with `event`, in the order they were added. */
  emit(event: E): void {
    for (const listener of [...this.list]) listener(event);
  }
}
