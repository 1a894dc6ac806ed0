/**
 * Run `fn` when the page is next idle (requestIdleCallback), at the latest
 * after `timeoutMs`; where idle callbacks are missing, on the next macrotask.
 * Returns a function that cancels it if it has not run yet.
 */
export function whenIdle(fn: () => void, timeoutMs = 1000): () => void {
  if (typeof requestIdleCallback === 'function') {
    const h = requestIdleCallback(() => fn(), { timeout: timeoutMs });
    return () => cancelIdleCallback(h);
  }
  const t = setTimeout(fn, 0);
  return () => clearTimeout(t);
}
