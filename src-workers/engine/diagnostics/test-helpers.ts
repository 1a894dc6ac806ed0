/**
 * Test helpers (not used by the engine): random recorded terms and the
 * brute-force evaluation of μ straight from its definition (SCIENCE.md §4.2),
 * an O(ℓ) product and sum over the window for every (b, t, q).
 */
import type { Arch } from '../models/types';
import { RECORDED_TERMS } from '../models/types';
import { Rng } from '../rng';
import { EnvelopeAccumulator, type EnvelopeResult } from './envelope';
import { MatchedSequence } from './matched';
import { MuPrefix } from './mu';
import type { LagSampleStore } from './sample-store';

const clamp = (c: number): number => Math.min(1, Math.max(1e-12, c));

/**
 * Random §4.1 terms [T][B][H] for `arch`: factors mostly in (0, 1) with some
 * exact 0, tiny (< 1e-12), exact 1 and slightly-above-1 values so that every
 * clamp is exercised; numerators of both signs.
 */
export function randomTerms(arch: Arch, T: number, B: number, H: number, seed: number): Record<string, Float64Array> {
  const rng = new Rng(seed);
  const factor = (): number => {
    const u = rng.uniform();
    if (u < 0.03) return 0;
    if (u < 0.06) return 1e-14;
    if (u < 0.09) return 1;
    if (u < 0.11) return 1 + 1e-3;
    return 0.05 + 0.95 * rng.uniform();
  };
  const out: Record<string, Float64Array> = {};
  for (const name of RECORDED_TERMS[arch]) {
    const a = new Float64Array(T * B * H);
    const isNumerator = name === 'rdiag' || name === 'cdiag';
    for (let i = 0; i < a.length; i++) a[i] = isNumerator ? rng.range(-2, 2) : name === 'expr' ? rng.uniform() : factor();
    out[name] = a;
  }
  return out;
}

export interface BruteMu {
  mu: number;
  /** a scale for tolerances: |μ⁰ parts| + |μ¹ prefactor|·Σ|ratio terms| */
  scale: number;
}

/** μ_{b,t,q}(ℓ) by the definition (window j = t-ℓ+1..t), clamped factors. */
export function bruteMu(arch: Arch, terms: Record<string, ArrayLike<number>>, B: number, H: number,
  b: number, t: number, q: number, lag: number, includeFirst: boolean): BruteMu {
  const at = (name: string, j: number): number => terms[name]![(j * B + b) * H + q]!;
  const j0 = t - lag + 1;
  if (arch === 'lstm') {
    let p = 1;
    let s = 0, sa = 0;
    for (let j = j0; j <= t; j++) p *= clamp(at('forget', j));
    const m0 = at('expr', t) * p;
    for (let j = j0; j <= t; j++) {
      const ePrev = j > 0 ? at('expr', j - 1) : 0;
      const term = (at('cdiag', j) * ePrev) / clamp(at('forget', j));
      s += term;
      sa += Math.abs(term);
    }
    return includeFirst ? { mu: m0 + m0 * s, scale: Math.abs(m0) * (1 + sa) } : { mu: m0, scale: Math.abs(m0) };
  }
  let gamma = 1, rho = 1, eta = 1, s = 0, sa = 0;
  for (let j = j0; j <= t; j++) {
    const l = at('leak', j);
    gamma *= clamp(l);
    if (arch === 'gru') {
      const r = at('r', j);
      rho *= clamp(r);
      eta *= clamp(l * r);
    }
    const term = at('rdiag', j) / clamp(l);
    s += term;
    sa += Math.abs(term);
  }
  const m0 = arch === 'gru' ? gamma + rho + eta : gamma;
  return includeFirst ? { mu: m0 + gamma * s, scale: m0 + gamma * sa } : { mu: m0, scale: m0 };
}

/** Pack per-sequence arrays ([nSeq][T][W]) of sequences ids into a time-major batch [T][B][W]. */
export function packBatch(perSeq: Float64Array, T: number, W: number, start: number, B: number): Float64Array {
  const out = new Float64Array(T * B * W);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let w = 0; w < W; w++) out[(t * B + b) * W + w] = perSeq[((start + b) * T + t) * W + w]!;
    }
  }
  return out;
}

/**
 * The row-by-row definition path of the accumulator (the code the fused
 * sweeps replace): per sequence MuPrefix.build + MatchedSequence.set, then per
 * lag and t one MuPrefix.row → EnvelopeAccumulator.addRow →
 * MatchedSequence.psi → LagSampleStore.push.
 */
export function accumulateRowByRow(
  arch: Arch, H: number, T: number, lags: readonly number[], includeFirst: boolean,
  batches: { B: number; record: Record<string, ArrayLike<number>>; v: ArrayLike<number>; yhat: ArrayLike<number>; y: ArrayLike<number> }[],
  wOut: ArrayLike<number>, wOff: number, stores: LagSampleStore[],
): EnvelopeResult {
  const env = new EnvelopeAccumulator(lags.length, H);
  const prefix = new MuPrefix(arch, H, T, includeFirst);
  const matched = new MatchedSequence(H, T);
  const row = new Float64Array(H);
  for (const { B, record, v, yhat, y } of batches) {
    for (let b = 0; b < B; b++) {
      prefix.build(record, B, T, b);
      matched.set(v, yhat, y, B, T, b, wOut, wOff);
      lags.forEach((lag, i) => {
        for (let t = lag; t < T; t++) {
          prefix.row(t, lag, row);
          env.addRow(i, row);
          stores[i]!.push(matched.psi(t, lag, row));
        }
      });
      env.endSequence();
    }
  }
  for (const s of stores) s.orient(true);
  return env.result();
}
