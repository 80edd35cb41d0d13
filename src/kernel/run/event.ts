/**
 * cockatiel's event shape: an `Event<T>` is a function that takes a listener and returns a
 * disposable. It is also the shape of `vscode.Event`, so the notebook controller hands the
 * run engine's events to VS Code code as they are, and the CLI and tests need no VS Code.
 */

/** Something that stops when disposed (a listener, a subscription). */
export interface Disposable {
  dispose(): void;
}

/** Subscribes a listener; dispose the result to unsubscribe. */
export type Event<T> = (listener: (value: T) => void) => Disposable;

/** The firing side of an {@link Event}. */
export class EventEmitter<T> {
  private listeners: ((value: T) => void)[] = [];

  /** The event to hand to subscribers. */
  readonly event: Event<T> = (listener) => {
    this.listeners = [...this.listeners, listener];
    return {
      dispose: () => {
        this.listeners = this.listeners.filter((l) => l !== listener);
      },
    };
  };

  /** Calls every listener with `value`, in the order they subscribed. */
  fire(value: T): void {
    for (const l of this.listeners) l(value);
  }

  /** Removes every listener. */
  dispose(): void {
    this.listeners = [];
  }
}
