/**
 * The fused per-lag sweep over one sequence (SCIENCE.md §4.2, §4.3, §5): for
 * a lag ℓ and every end time t ∈ [ℓ, T-1], in one pass over the units q,
 *
 *   μ_q     = the §4.2 window value, from the MuPrefix arrays,
 *   |μ_q|   → the row's L1 sum and the per-unit sums of the envelope,
 *   ψ_t(ℓ)  = e_t · Σ_q μ_q · W_out[q]·v_{t-ℓ,q}      (matched.ts),
 *
 * with no μ row written to memory and no call per (t, q).
 *
 * It evaluates exactly the floating-point expressions of MuPrefix.row(),
 * EnvelopeAccumulator.addRow() and MatchedSequence.psi(), in the same order,
 * so its results are bit-identical to that row-by-row path (tested), and so
 * are those of its WebAssembly SIMD twin (wasm/sweep-module.ts, the default
 * engine; this file is the fallback without WebAssembly SIMD):
 *  - μ⁰ = ((m[hi]/m[lo])·h)·h with h = 2^(-256·Δe); in the "flat" part of the
 *    sequence (no renormalisation yet, MuPrefix.flatUntil) h = 1 and the two
 *    multiplications by 1 are exact, so they are skipped;
 *  - the row's Σ_q|μ_q| and the dot product are summed in q order; the
 *    sequence's Σ_t of row sums in t order; every per-unit sum in t order.
 */
import type { MuPrefix } from './mu';

/** Where one sweep writes: the lag's per-unit sums and its ψ samples. */
export interface SweepOut {
  /** Σ |μ_q| per unit, H values from unitOff (added to) */
  unit: Float64Array;
  unitOff: number;
  /** ψ_t(ℓ) for t = ℓ..T-1, written to psi[0 .. T-ℓ) */
  psi: Float64Array;
}

/**
 * Sweep lag ℓ over the sequence held by `p` (built) and its matched terms
 * (err[t] = ŷ_t - y_t, wv[k·H + q] = W_out[q]·v_{k,q}). Returns Σ_t Σ_q |μ|,
 * summed row by row (the envelope's per-sequence L1 sum); T - ℓ rows.
 */
export function sweepLag(p: MuPrefix, err: Float64Array, wv: Float64Array, lag: number, out: SweepOut): number {
  const T = p.length;
  // rows t with t + 1 ≤ flatUntil need no exponent correction
  const tFlat = Math.max(lag, Math.min(T, p.flatUntil));
  switch (p.arch) {
    case 'const':
    case 'shared':
    case 'diag': {
      let abs = leakFlat(p, err, wv, lag, lag, tFlat, out, 0);
      abs = leakGeneral(p, err, wv, lag, tFlat, T, out, abs);
      return abs;
    }
    case 'gru': {
      let abs = gruFlat(p, err, wv, lag, lag, tFlat, out, 0);
      abs = gruGeneral(p, err, wv, lag, tFlat, T, out, abs);
      return abs;
    }
    case 'lstm': {
      let abs = lstmFlat(p, err, wv, lag, lag, tFlat, out, 0);
      abs = lstmGeneral(p, err, wv, lag, tFlat, T, out, abs);
      return abs;
    }
  }
}

// Each kernel covers t ∈ [t0, t1) and continues the running L1 sum `abs`.
// hi = prefix index t+1, lo = t+1-ℓ, the tangent row of t-ℓ is lo-1.

function leakFlat(p: MuPrefix, err: Float64Array, wv: Float64Array, lag: number, t0: number, t1: number, out: SweepOut, abs: number): number {
  const H = p.H;
  const am = p.pA.m, sHi = p.sHi, sLo = p.sLo;
  const unit = out.unit, uo = out.unitOff, psi = out.psi;
  const first = p.includeFirstOrder;
  for (let t = t0; t < t1; t++) {
    const hi = (t + 1) * H;
    const lo = hi - lag * H;
    const wo = lo - H;
    let s = 0;
    let d = 0;
    if (first) {
      for (let q = 0; q < H; q++) {
        const m0 = am[hi + q]! / am[lo + q]!;
        const mu = m0 + m0 * ((sHi[hi + q]! - sHi[lo + q]!) + (sLo[hi + q]! - sLo[lo + q]!));
        const a = Math.abs(mu);
        s += a;
        unit[uo + q] += a;
        d += mu * wv[wo + q]!;
      }
    } else {
      for (let q = 0; q < H; q++) {
        const mu = am[hi + q]! / am[lo + q]!;
        const a = Math.abs(mu);
        s += a;
        unit[uo + q] += a;
        d += mu * wv[wo + q]!;
      }
    }
    abs += s;
    psi[t - lag] = err[t]! * d;
  }
  return abs;
}

function leakGeneral(p: MuPrefix, err: Float64Array, wv: Float64Array, lag: number, t0: number, t1: number, out: SweepOut, abs: number): number {
  const H = p.H;
  const am = p.pA.m, ae = p.pA.e, sHi = p.sHi, sLo = p.sLo, pow = p.pow;
  const unit = out.unit, uo = out.unitOff, psi = out.psi;
  const first = p.includeFirstOrder;
  for (let t = t0; t < t1; t++) {
    const hi = (t + 1) * H;
    const lo = hi - lag * H;
    const wo = lo - H;
    let s = 0;
    let d = 0;
    for (let q = 0; q < H; q++) {
      const h = pow[ae[hi + q]! - ae[lo + q]!]!;
      const m0 = ((am[hi + q]! / am[lo + q]!) * h) * h;
      const mu = first ? m0 + m0 * ((sHi[hi + q]! - sHi[lo + q]!) + (sLo[hi + q]! - sLo[lo + q]!)) : m0;
      const a = Math.abs(mu);
      s += a;
      unit[uo + q] += a;
      d += mu * wv[wo + q]!;
    }
    abs += s;
    psi[t - lag] = err[t]! * d;
  }
  return abs;
}

function gruFlat(p: MuPrefix, err: Float64Array, wv: Float64Array, lag: number, t0: number, t1: number, out: SweepOut, abs: number): number {
  const H = p.H;
  const am = p.pA.m, rm = p.pR.m, em = p.pE.m, sHi = p.sHi, sLo = p.sLo;
  const unit = out.unit, uo = out.unitOff, psi = out.psi;
  const first = p.includeFirstOrder;
  for (let t = t0; t < t1; t++) {
    const hi = (t + 1) * H;
    const lo = hi - lag * H;
    const wo = lo - H;
    let s = 0;
    let d = 0;
    for (let q = 0; q < H; q++) {
      const gamma = am[hi + q]! / am[lo + q]!;
      const m0 = (gamma + rm[hi + q]! / rm[lo + q]!) + em[hi + q]! / em[lo + q]!;
      const mu = first ? m0 + gamma * ((sHi[hi + q]! - sHi[lo + q]!) + (sLo[hi + q]! - sLo[lo + q]!)) : m0;
      const a = Math.abs(mu);
      s += a;
      unit[uo + q] += a;
      d += mu * wv[wo + q]!;
    }
    abs += s;
    psi[t - lag] = err[t]! * d;
  }
  return abs;
}

function gruGeneral(p: MuPrefix, err: Float64Array, wv: Float64Array, lag: number, t0: number, t1: number, out: SweepOut, abs: number): number {
  const H = p.H;
  const am = p.pA.m, ae = p.pA.e, rm = p.pR.m, re = p.pR.e, em = p.pE.m, ee = p.pE.e;
  const sHi = p.sHi, sLo = p.sLo, pow = p.pow;
  const unit = out.unit, uo = out.unitOff, psi = out.psi;
  const first = p.includeFirstOrder;
  for (let t = t0; t < t1; t++) {
    const hi = (t + 1) * H;
    const lo = hi - lag * H;
    const wo = lo - H;
    let s = 0;
    let d = 0;
    for (let q = 0; q < H; q++) {
      const hg = pow[ae[hi + q]! - ae[lo + q]!]!;
      const hr = pow[re[hi + q]! - re[lo + q]!]!;
      const he = pow[ee[hi + q]! - ee[lo + q]!]!;
      const gamma = ((am[hi + q]! / am[lo + q]!) * hg) * hg;
      const rho = ((rm[hi + q]! / rm[lo + q]!) * hr) * hr;
      const eta = ((em[hi + q]! / em[lo + q]!) * he) * he;
      const m0 = gamma + rho + eta;
      const mu = first ? m0 + gamma * ((sHi[hi + q]! - sHi[lo + q]!) + (sLo[hi + q]! - sLo[lo + q]!)) : m0;
      const a = Math.abs(mu);
      s += a;
      unit[uo + q] += a;
      d += mu * wv[wo + q]!;
    }
    abs += s;
    psi[t - lag] = err[t]! * d;
  }
  return abs;
}

function lstmFlat(p: MuPrefix, err: Float64Array, wv: Float64Array, lag: number, t0: number, t1: number, out: SweepOut, abs: number): number {
  const H = p.H;
  const am = p.pA.m, e = p.expr, sHi = p.sHi, sLo = p.sLo;
  const unit = out.unit, uo = out.unitOff, psi = out.psi;
  const first = p.includeFirstOrder;
  for (let t = t0; t < t1; t++) {
    const hi = (t + 1) * H;
    const lo = hi - lag * H;
    const wo = lo - H;
    const et = hi - H;
    let s = 0;
    let d = 0;
    for (let q = 0; q < H; q++) {
      const m0 = e[et + q]! * (am[hi + q]! / am[lo + q]!);
      const mu = first ? m0 + m0 * ((sHi[hi + q]! - sHi[lo + q]!) + (sLo[hi + q]! - sLo[lo + q]!)) : m0;
      const a = Math.abs(mu);
      s += a;
      unit[uo + q] += a;
      d += mu * wv[wo + q]!;
    }
    abs += s;
    psi[t - lag] = err[t]! * d;
  }
  return abs;
}

function lstmGeneral(p: MuPrefix, err: Float64Array, wv: Float64Array, lag: number, t0: number, t1: number, out: SweepOut, abs: number): number {
  const H = p.H;
  const am = p.pA.m, ae = p.pA.e, e = p.expr, sHi = p.sHi, sLo = p.sLo, pow = p.pow;
  const unit = out.unit, uo = out.unitOff, psi = out.psi;
  const first = p.includeFirstOrder;
  for (let t = t0; t < t1; t++) {
    const hi = (t + 1) * H;
    const lo = hi - lag * H;
    const wo = lo - H;
    const et = hi - H;
    let s = 0;
    let d = 0;
    for (let q = 0; q < H; q++) {
      const h = pow[ae[hi + q]! - ae[lo + q]!]!;
      const m0 = e[et + q]! * (((am[hi + q]! / am[lo + q]!) * h) * h);
      const mu = first ? m0 + m0 * ((sHi[hi + q]! - sHi[lo + q]!) + (sLo[hi + q]! - sLo[lo + q]!)) : m0;
      const a = Math.abs(mu);
      s += a;
      unit[uo + q] += a;
      d += mu * wv[wo + q]!;
    }
    abs += s;
    psi[t - lag] = err[t]! * d;
  }
  return abs;
}
