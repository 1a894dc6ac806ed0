/**
 * Per-key rate limit with a trailing call: `run(key, fn)` calls `fn` at once
 * when the key's previous call is at least `intervalMs` ago, otherwise once
 * at the end of the interval (the latest `fn` given wins). So a burst of
 * progress messages costs one store write and one event per interval and
 * per run, and the last state is never lost.
 *
 * The immediate path needs no timer, so it also works while the event loop
 * is blocked (units run in-process with `workers: 0`).
 */
export class KeyedThrottle<K> {
  private readonly last = new Map<K, number>();
  private readonly pending = new Map<K, () => void>();
  private readonly timers = new Map<K, ReturnType<typeof setTimeout>>();

  constructor(
    readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  run(key: K, fn: () => void): void {
    const t = this.now();
    const last = this.last.get(key);
    if (last === undefined || t - last >= this.intervalMs) {
      this.drop(key);
      this.last.set(key, t);
      fn();
      return;
    }
    this.pending.set(key, fn);
    if (!this.timers.has(key)) {
      const timer = setTimeout(() => this.flush(key), Math.max(0, this.intervalMs - (t - last)));
      timer.unref?.();
      this.timers.set(key, timer);
    }
  }

  /** Call the key's pending function now, if any. */
  flush(key: K): void {
    const fn = this.pending.get(key);
    this.drop(key);
    if (fn) {
      this.last.set(key, this.now());
      fn();
    }
  }

  /** Drop the key's pending call, keeping its last-call time. */
  drop(key: K): void {
    const timer = this.timers.get(key);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(key);
    this.pending.delete(key);
  }

  /** Drop the key's pending call and forget it. */
  forget(key: K): void {
    this.drop(key);
    this.last.delete(key);
  }

  /** Drop every pending call. */
  clear(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.pending.clear();
    this.last.clear();
  }
}
