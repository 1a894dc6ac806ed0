/**
 * Effective learning rates μ_{b,t,q}(ℓ) by prefix sums over time (SCIENCE.md §4.2).
 *
 * For one sequence b of a recorded batch (terms time-major [T][B][H], §4.1) the
 * prefix sums over time are built ONCE, in float64, and every lag then reads
 * μ for any window j = t-ℓ+1 .. t in O(1) per (t, q): O(T) per (b, q) per lag,
 * never O(T·ℓ). Prefixes are kept per sequence ([T+1][H] rows) rather than
 * per batch so that their float64 memory is O(T·H), independent of the batch
 * size; each sequence's prefixes are still built once and shared by all lags.
 *
 * Log-products. Π_{j=a}^{t} c_j = P[t+1] / P[a] with P[k] = Π_{j<k} clamp(c_j).
 * P[k] is the exponential of the prefix sum of logs Λ[k] = Σ_{j<k} log clamp(c_j),
 * kept split into an exact integer part and a float64 mantissa:
 *     P[k] = m[k] · 2^(-512·e[k]),   m[k] ∈ (2^-512, 1],  e[k] ∈ ℕ,
 * (m is multiplied by 2^512, exactly, whenever it drops below 2^-512). Then
 *     Π_window = (m[t+1] / m[a]) · 2^(-512·(e[t+1] - e[a])),
 * with no exp() per element (an exp costs ~10× a division here) and no
 * underflow of the prefix, however long T is (windows below 2^-1024 read 0). The relative error of a window
 * is ≤ (t+1+a)·2^-53, i.e. ≤ ~2e-13 at T = 1024.
 *
 * Ratio sums. Σ_{j=a}^{t} n_j / d_j = S[t+1] - S[a], S[k] = Σ_{j<k} n_j / clamp(d_j).
 * |n/clamp(d)| reaches ~1e12 at a saturated gate, and a plain prefix sum would
 * then carry an absolute error ~1e-4 into every later window; S is therefore
 * compensated (Knuth's TwoSum: S = hi + lo, two arrays), and a window is
 * (hi[t+1] - hi[a]) + (lo[t+1] - lo[a]), accurate to rounding of its own terms.
 *
 * Clamping (`clampFactor`, [1e-12, 1]) applies to exactly the factors of a
 * product: leak (const/shared/diag: 1-s; gru: γ's 1-z), the gru reset r (ρ),
 * the gru product (1-z)·r (η, clamped as one factor), and the lstm forget f.
 * The denominators of the μ¹ ratio terms (leak_j, f_j) are clamped
 * IDENTICALLY to the product's factors, so that each term μ⁰·n_j/d_j equals
 * n_j·Π_{i≠j} clamp(d_i): the division cancels its own factor exactly and
 * never divides by 0 or inflates a term beyond its neighbours' product.
 * Numerators (rdiag, cdiag, e_{j-1}) and the lstm prefactor e_t are used as
 * recorded (not clamped): they are not product factors, their sign matters,
 * and lifting an exact 0 to 1e-12 would invent signal.
 */
import type { Arch } from '../models/types';

export const FACTOR_MIN = 1e-12;
export const FACTOR_MAX = 1;

/** clamp(c) to [1e-12, 1] (NaN becomes 1e-12, so a product stays finite). */
export function clampFactor(c: number): number {
  return c >= FACTOR_MAX ? FACTOR_MAX : c > FACTOR_MIN ? c : FACTOR_MIN;
}

const RENORM_BELOW = 2 ** -512;
const RENORM_BY = 2 ** 512;
/**
 * HALF_POW[d] = 2^(-256·d): a window spanning d renormalisations is
 * (m_hi/m_lo)·HALF_POW[d]², the two factors keeping intermediate values in
 * range. From d = 3 on the window is below 2^(512-1536) = 2^-1024 (subnormal)
 * and is flushed to 0.
 */
function halfPowTable(n: number): Float64Array {
  const a = new Float64Array(n);
  for (let d = 0; d < Math.min(n, 3); d++) a[d] = 2 ** (-256 * d);
  return a;
}

/** Recorded §4.1 terms of one batch, time-major [T][B][H] (names as models/types.ts). */
export type TermArrays = Record<string, ArrayLike<number>>;

/** Scaled prefix product P[k] = m[k]·2^(-512·e[k]) over [T+1][H]. */
export class PrefixProduct {
  readonly m: Float64Array;
  readonly e: Int32Array;
  constructor(n: number) {
    this.m = new Float64Array(n);
    this.e = new Int32Array(n);
  }
  reset(H: number): void {
    this.m.fill(1, 0, H);
    this.e.fill(0, 0, H);
  }
  /** P[cur] = P[prev] · c, c already clamped to [1e-12, 1]; returns e[cur]. */
  step(prev: number, cur: number, c: number): number {
    let m = this.m[prev]! * c;
    let e = this.e[prev]!;
    if (m < RENORM_BELOW) {
      m *= RENORM_BY;
      e++;
    }
    this.m[cur] = m;
    this.e[cur] = e;
    return e;
  }
}

/**
 * Prefix sums of one sequence and the μ rows they give.
 * Usage: `build(terms, B, T, b)`, then `row(t, ℓ, out)` for 1 ≤ ℓ ≤ t ≤ T-1.
 * The arrays are public (read-only by convention) for the fused per-lag
 * sweep (sweep.ts), which evaluates exactly the expressions of `row()`.
 */
export class MuPrefix {
  readonly arch: Arch;
  readonly H: number;
  readonly maxT: number;
  readonly includeFirstOrder: boolean;
  private T = 0;
  /**
   * Every exponent e[k] of every product is 0 for prefix indices k ≤ flatUntil:
   * a window ending at t+1 ≤ flatUntil then has 2^(-512·Δe) = 1 exactly.
   */
  flatUntil = 0;
  /** leak (γ) or forget f */
  readonly pA: PrefixProduct;
  /** gru only: ρ = Π r, η = Π (1-z) r */
  readonly pR: PrefixProduct;
  readonly pE: PrefixProduct;
  /** compensated ratio prefix (hi, lo), [T+1][H] */
  readonly sHi: Float64Array;
  readonly sLo: Float64Array;
  /** lstm only: e_t of this sequence, [T][H] */
  readonly expr: Float64Array;
  /** pow[d] = 2^(-256·d) (0 from d = 3 on): a window is (m_hi/m_lo)·pow[Δe]² */
  readonly pow: Float64Array;

  constructor(arch: Arch, H: number, maxT: number, includeFirstOrder: boolean) {
    this.arch = arch;
    this.H = H;
    this.maxT = maxT;
    this.includeFirstOrder = includeFirstOrder;
    const n = (maxT + 1) * H;
    const gru = arch === 'gru';
    this.pA = new PrefixProduct(n);
    this.pR = new PrefixProduct(gru ? n : 0);
    this.pE = new PrefixProduct(gru ? n : 0);
    this.sHi = new Float64Array(includeFirstOrder ? n : 0);
    this.sLo = new Float64Array(includeFirstOrder ? n : 0);
    this.expr = new Float64Array(arch === 'lstm' ? maxT * H : 0);
    this.pow = halfPowTable(maxT + 2);
  }

  /** Build the prefixes of sequence b of a batch of B sequences of length T. */
  build(terms: TermArrays, B: number, T: number, b: number): void {
    if (T > this.maxT) throw new RangeError(`MuPrefix: T=${T} exceeds maxT=${this.maxT}`);
    if (b < 0 || b >= B) throw new RangeError(`MuPrefix: sequence ${b} outside batch of ${B}`);
    this.T = T;
    const H = this.H;
    const first = this.includeFirstOrder;
    const { pA, pR, pE, sHi, sLo } = this;
    pA.reset(H);
    if (first) {
      sHi.fill(0, 0, H);
      sLo.fill(0, 0, H);
    }
    let flat = T; // last prefix index with every exponent still 0
    switch (this.arch) {
      case 'const':
      case 'shared':
      case 'diag':
      case 'gru': {
        const leak = need(terms, 'leak');
        const rdiag = first ? need(terms, 'rdiag') : undefined;
        const r = this.arch === 'gru' ? need(terms, 'r') : undefined;
        if (r) {
          pR.reset(H);
          pE.reset(H);
        }
        for (let t = 0; t < T; t++) {
          const src = (t * B + b) * H;
          const prev = t * H;
          const cur = prev + H;
          let eAny = 0;
          for (let q = 0; q < H; q++) {
            const lv = leak[src + q]!;
            const l = clampFactor(lv);
            eAny |= pA.step(prev + q, cur + q, l);
            if (r) {
              const rv = r[src + q]!;
              eAny |= pR.step(prev + q, cur + q, clampFactor(rv));
              eAny |= pE.step(prev + q, cur + q, clampFactor(lv * rv));
            }
            if (rdiag) twoSumStep(sHi, sLo, prev + q, cur + q, rdiag[src + q]! / l);
          }
          if (eAny !== 0 && flat === T) flat = t;
        }
        break;
      }
      case 'lstm': {
        const forget = need(terms, 'forget');
        const expr = need(terms, 'expr');
        const cdiag = first ? need(terms, 'cdiag') : undefined;
        const e = this.expr;
        for (let t = 0; t < T; t++) {
          const src = (t * B + b) * H;
          const prev = t * H;
          const cur = prev + H;
          let eAny = 0;
          for (let q = 0; q < H; q++) {
            const f = clampFactor(forget[src + q]!);
            eAny |= pA.step(prev + q, cur + q, f);
            e[prev + q] = expr[src + q]!;
            if (cdiag) {
              // term cdiag_t e_{t-1} / f_t, with e_{-1} = 0 (§4.2)
              const ePrev = t > 0 ? expr[src - B * H + q]! : 0;
              twoSumStep(sHi, sLo, prev + q, cur + q, (cdiag[src + q]! * ePrev) / f);
            }
          }
          if (eAny !== 0 && flat === T) flat = t;
        }
        break;
      }
    }
    this.flatUntil = flat;
  }

  /**
   * out[q] = μ_{b,t,q}(ℓ) for the window j = t-ℓ+1 .. t (needs 1 ≤ ℓ ≤ t < T).
   * μ = μ⁰ + μ¹ when include_first_order_diag is on, else μ⁰ (§4.2).
   */
  row(t: number, lag: number, out: Float64Array): void {
    const H = this.H;
    const hi = (t + 1) * H; // prefix index t+1
    const lo = (t + 1 - lag) * H; // prefix index t-ℓ+1
    const { sHi, sLo, pow } = this;
    const am = this.pA.m, ae = this.pA.e;
    const first = this.includeFirstOrder;
    switch (this.arch) {
      case 'const':
      case 'shared':
      case 'diag':
        for (let q = 0; q < H; q++) {
          const h = pow[ae[hi + q]! - ae[lo + q]!]!;
          const m0 = ((am[hi + q]! / am[lo + q]!) * h) * h;
          out[q] = first ? m0 + m0 * ((sHi[hi + q]! - sHi[lo + q]!) + (sLo[hi + q]! - sLo[lo + q]!)) : m0;
        }
        break;
      case 'gru': {
        const rm = this.pR.m, re = this.pR.e, em = this.pE.m, ee = this.pE.e;
        for (let q = 0; q < H; q++) {
          const hg = pow[ae[hi + q]! - ae[lo + q]!]!;
          const hr = pow[re[hi + q]! - re[lo + q]!]!;
          const he = pow[ee[hi + q]! - ee[lo + q]!]!;
          const gamma = ((am[hi + q]! / am[lo + q]!) * hg) * hg;
          const rho = ((rm[hi + q]! / rm[lo + q]!) * hr) * hr;
          const eta = ((em[hi + q]! / em[lo + q]!) * he) * he;
          const m0 = gamma + rho + eta;
          out[q] = first ? m0 + gamma * ((sHi[hi + q]! - sHi[lo + q]!) + (sLo[hi + q]! - sLo[lo + q]!)) : m0;
        }
        break;
      }
      case 'lstm': {
        const e = this.expr;
        const et = t * H;
        for (let q = 0; q < H; q++) {
          const h = pow[ae[hi + q]! - ae[lo + q]!]!;
          const m0 = e[et + q]! * (((am[hi + q]! / am[lo + q]!) * h) * h);
          out[q] = first ? m0 + m0 * ((sHi[hi + q]! - sHi[lo + q]!) + (sLo[hi + q]! - sLo[lo + q]!)) : m0;
        }
        break;
      }
    }
  }

  /** The sequence length of the last build. */
  get length(): number {
    return this.T;
  }
}

/** Compensated prefix step: (hi, lo)[cur] = (hi, lo)[prev] + x, by Knuth's TwoSum. */
function twoSumStep(hi: Float64Array, lo: Float64Array, prev: number, cur: number, x: number): void {
  const a = hi[prev]!;
  const s = a + x;
  const bv = s - a;
  const err = (a - (s - bv)) + (x - bv);
  hi[cur] = s;
  lo[cur] = lo[prev]! + err;
}

function need(terms: TermArrays, name: string): ArrayLike<number> {
  const a = terms[name];
  if (!a) throw new Error(`μ: recorded term '${name}' is missing`);
  return a;
}
