/**
 * The synthetic multi-lag regression task (SCIENCE.md §1).
 *
 *   x_{b,t} ∈ R^D i.i.d. N(0, 1),
 *   y_{b,t} = Σ_k c_k (u · x_{b,t-ℓ_k}) + ε_{b,t},  ε ~ N(0, noise_std²),
 *   terms with t - ℓ_k < 0 omitted; u a seeded unit vector shared by every set.
 *
 * Bounded memory and bit-reproducibility: no data set is ever stored. Every
 * sequence is regenerated on demand from its own seed,
 *   deriveSeed(taskSeed, SET_CODE[set], set === 'val' ? epoch : 0, id),
 * so a sequence does not depend on the batch it is drawn in, nor on the order
 * of the calls. Within a sequence the draws are, in order: x_0[0..D), x_1[0..D),
 * …, x_{T-1}[0..D), then ε_0 … ε_{T-1} (ε is drawn even when noise_std is 0,
 * so x never depends on the noise level).
 *
 * The normals come from a ziggurat sampler (Marsaglia & Tsang 2000, 128 layers)
 * on the 32-bit output of xoshiro128** (the engine's generator, rng.ts): the
 * data are regenerated for every batch, and Box–Muller (log, sqrt, sin, cos
 * per pair) costs several times more.
 */
import type { FloatArray } from './kernels/types';
import { deriveSeed, Rng } from './rng';

export type DataSet = 'train' | 'diag' | 'val';

/** Stream codes of the task's seeds (stable: changing them changes every data set). */
const U_STREAM = 0x75; // the unit vector u
const SET_CODE: Record<DataSet, number> = { train: 1, diag: 2, val: 3 };

export interface TaskSpec {
  D: number;
  T: number;
  task_lags: number[];
  task_coeffs: number[];
  noise_std: number;
}

// ---------------------------------------------------------------------------
// Ziggurat normal sampler
// ---------------------------------------------------------------------------

const ZIG_N = 128;
const ZIG_R = 3.442619855899; // start of the tail
const ZIG_V = 9.91256303526217e-3; // area of each layer
const M1 = 2147483648; // 2^31
const KN = new Uint32Array(ZIG_N);
const WN = new Float64Array(ZIG_N);
const FN = new Float64Array(ZIG_N);
(function setupZiggurat(): void {
  let dn = ZIG_R;
  let tn = dn;
  const q = ZIG_V / Math.exp(-0.5 * dn * dn);
  KN[0] = Math.floor((dn / q) * M1);
  KN[1] = 0;
  WN[0] = q / M1;
  WN[ZIG_N - 1] = dn / M1;
  FN[0] = 1;
  FN[ZIG_N - 1] = Math.exp(-0.5 * dn * dn);
  for (let i = ZIG_N - 2; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(ZIG_V / dn + Math.exp(-0.5 * dn * dn)));
    KN[i + 1] = Math.floor((dn / tn) * M1);
    tn = dn;
    FN[i] = Math.exp(-0.5 * dn * dn);
    WN[i] = dn / M1;
  }
})();

/**
 * Standard normal draws by the ziggurat method on a private xoshiro128**
 * stream (the same generator as rng.ts, inlined so a block of draws keeps
 * its state in local variables). One 32-bit word per draw on the fast path
 * (about 99% of draws): its low 7 bits pick the layer, the whole word read as
 * a signed integer gives the abscissa; wedges and the tail (|x| > 3.4426) are
 * handled exactly by rejection.
 */
export class ZigguratNormal {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 1;

  constructor(seed?: number) {
    if (seed !== undefined) this.reseed(seed);
  }

  /** Restart the stream: state words from SplitMix32 via Rng (never all zero). */
  reseed(seed: number): void {
    SEEDER.reseed(seed);
    this.s0 = SEEDER.nextU32() | 0;
    this.s1 = SEEDER.nextU32() | 0;
    this.s2 = SEEDER.nextU32() | 0;
    this.s3 = SEEDER.nextU32() | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** One draw. */
  next(): number {
    const hz = this.u32() | 0;
    const iz = hz & (ZIG_N - 1);
    if (Math.abs(hz) < KN[iz]!) return hz * WN[iz]!;
    return this.slow(hz, iz);
  }

  /** out[off .. off+n) ← n draws (the same values as n calls of next()). */
  fill(out: Float64Array, off: number, n: number): void {
    let s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    const end = off + n;
    for (let i = off; i < end; i++) {
      // xoshiro128** step
      const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
      const hz = r | 0;
      const iz = hz & (ZIG_N - 1);
      if (Math.abs(hz) < KN[iz]!) {
        out[i] = hz * WN[iz]!;
      } else {
        this.s0 = s0; this.s1 = s1; this.s2 = s2; this.s3 = s3;
        out[i] = this.slow(hz, iz);
        s0 = this.s0; s1 = this.s1; s2 = this.s2; s3 = this.s3;
      }
    }
    this.s0 = s0; this.s1 = s1; this.s2 = s2; this.s3 = s3;
  }

  private u32(): number {
    const s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    let n2 = s2 ^ s0;
    let n3 = s3 ^ s1;
    this.s1 = s1 ^ n2;
    this.s0 = s0 ^ n3;
    n2 ^= t;
    n3 = rotl(n3, 11);
    this.s2 = n2;
    this.s3 = n3;
    return r >>> 0;
  }

  /** Uniform in (0, 1) with 53 random bits, never 0. */
  private uniformOpen(): number {
    for (;;) {
      const u = ((this.u32() >>> 5) * 67108864 + (this.u32() >>> 6)) / 9007199254740992;
      if (u > 0) return u;
    }
  }

  private slow(hz: number, iz: number): number {
    for (;;) {
      const x = hz * WN[iz]!;
      if (iz === 0) {
        // tail beyond ZIG_R (Marsaglia's exponential rejection)
        let xt: number;
        let yt: number;
        do {
          xt = -Math.log(this.uniformOpen()) / ZIG_R;
          yt = -Math.log(this.uniformOpen());
        } while (yt + yt < xt * xt);
        return hz > 0 ? ZIG_R + xt : -ZIG_R - xt;
      }
      // wedge
      if (FN[iz]! + this.uniformOpen() * (FN[iz - 1]! - FN[iz]!) < Math.exp(-0.5 * x * x)) return x;
      hz = this.u32() | 0;
      iz = hz & (ZIG_N - 1);
      if (Math.abs(hz) < KN[iz]!) return hz * WN[iz]!;
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Expands a seed into a state (SplitMix32 inside Rng.reseed). */
const SEEDER = new Rng(0);

// ---------------------------------------------------------------------------
// The task
// ---------------------------------------------------------------------------

export class SyntheticTask {
  readonly D: number;
  readonly T: number;
  readonly noiseStd: number;
  /** the unit vector u of the target (from the task seed) */
  readonly u: Float64Array;
  private readonly lags: Int32Array;
  private readonly coeffs: Float64Array;
  private readonly normal = new ZigguratNormal();
  /** the draws of one sequence: x (T·D values, time by time), then ε (T) */
  private readonly draws: Float64Array;
  /** u · x_t of the sequence being generated (float64) */
  private readonly proj: Float64Array;

  constructor(spec: TaskSpec, readonly seed: number) {
    const { D, T, task_lags, task_coeffs, noise_std } = spec;
    if (!(Number.isInteger(D) && D >= 1)) throw new RangeError(`task: D must be a positive integer (got ${D})`);
    if (!(Number.isInteger(T) && T >= 1)) throw new RangeError(`task: T must be a positive integer (got ${T})`);
    if (task_lags.length !== task_coeffs.length) {
      throw new RangeError(`task: task_lags (${task_lags.length}) and task_coeffs (${task_coeffs.length}) must have the same length`);
    }
    for (const l of task_lags) {
      if (!(Number.isInteger(l) && l >= 0)) throw new RangeError(`task: every task lag must be an integer >= 0 (got ${l})`);
    }
    if (!(noise_std >= 0)) throw new RangeError(`task: noise_std must be >= 0 (got ${noise_std})`);
    this.D = D;
    this.T = T;
    this.noiseStd = noise_std;
    this.lags = Int32Array.from(task_lags);
    this.coeffs = Float64Array.from(task_coeffs);
    this.proj = new Float64Array(T);
    this.draws = new Float64Array(T * (D + 1));

    // u: a Gaussian vector normalised to unit length (uniform on the sphere).
    const r = new Rng(deriveSeed(seed, U_STREAM));
    const u = new Float64Array(D);
    let n2 = 0;
    do {
      n2 = 0;
      for (let d = 0; d < D; d++) {
        u[d] = r.gaussian();
        n2 += u[d]! * u[d]!;
      }
    } while (n2 === 0);
    const inv = 1 / Math.sqrt(n2);
    for (let d = 0; d < D; d++) u[d]! *= inv;
    this.u = u;
  }

  /** The seed of one sequence (exposed for tests and diagnostics). */
  sequenceSeed(set: DataSet, epoch: number, id: number): number {
    return deriveSeed(this.seed, SET_CODE[set], set === 'val' ? epoch : 0, id);
  }

  /**
   * Fill x [T][B][D] and y [T][B] (time-major, from offset 0) with the
   * sequences ids[0..B) of `set`. `epoch` selects the fresh validation set of
   * that epoch; it is ignored for 'train' and 'diag'.
   */
  fill(set: DataSet, epoch: number, ids: ArrayLike<number>, B: number, x: FloatArray, y: FloatArray): void {
    const { D, T, u, proj, lags, coeffs, normal, draws } = this;
    if (ids.length < B) throw new RangeError(`task.fill: ${ids.length} ids for a batch of ${B}`);
    if (x.length < T * B * D || y.length < T * B) throw new RangeError('task.fill: x or y too small for the batch');
    const K = lags.length;
    const noise = this.noiseStd;
    const strideT = B * D;
    const TD = T * D;
    for (let b = 0; b < B; b++) {
      normal.reseed(this.sequenceSeed(set, epoch, ids[b]!));
      normal.fill(draws, 0, TD + T);
      // x_t, and u·x_t in float64 from the float64 draws
      let xo = b * D;
      let g = 0;
      for (let t = 0; t < T; t++, xo += strideT) {
        let p = 0;
        for (let d = 0; d < D; d++, g++) {
          const v = draws[g]!;
          x[xo + d] = v;
          p += u[d]! * v;
        }
        proj[t] = p;
      }
      // y_t = Σ_k c_k proj[t - ℓ_k] + noise·ε_t
      let yo = b;
      for (let t = 0; t < T; t++, yo += B) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const src = t - lags[k]!;
          if (src >= 0) s += coeffs[k]! * proj[src]!;
        }
        y[yo] = s + noise * draws[TD + t]!;
      }
    }
  }
}
