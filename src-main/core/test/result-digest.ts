/** A SHA-256 of a stored run result, exact to the bit (NaN, ±Infinity, typed arrays included). */
import { createHash } from 'node:crypto';
import type { RunResult } from '../../../src-shared/results';

export function resultDigest(r: RunResult | null): string {
  const json = JSON.stringify(r, (_k, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) return `#${String(v)}`;
    if (v instanceof Float64Array) return Array.from(v, (x) => (Number.isFinite(x) ? x : `#${String(x)}`));
    return v;
  });
  return createHash('sha256').update(json).digest('hex');
}
