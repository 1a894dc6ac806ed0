/**
 * Listeners of live events (ApiEvent). A listener that throws is reported to
 * `onError` and never stops the others nor the emitter (the scheduler).
 */
export class EventBus<E> {
  private readonly listeners = new Set<(e: E) => void>();

  constructor(private readonly onError: (err: unknown) => void = () => {}) {}

  subscribe(fn: (e: E) => void): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  get size(): number {
    return this.listeners.size;
  }

  emit(e: E): void {
    for (const fn of this.listeners) {
      try {
        fn(e);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
