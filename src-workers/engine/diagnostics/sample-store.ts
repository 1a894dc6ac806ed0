/**
 * Bounded per-lag store of matched-statistic samples ψ(ℓ) (SCIENCE.md §5,
 * "Bounded memory"). For a stream of n(ℓ) = Nseq_diag·(T-ℓ) samples it keeps:
 *  - the running sum (float64, Neumaier-compensated) and count, for the mean;
 *  - a seeded uniform reservoir of at most `reservoirSize` samples (Li's
 *    Algorithm L: after the reservoir fills, every stream prefix of length n
 *    has the reservoir distributed as a uniform k-subset, with O(k log(n/k))
 *    random draws instead of one per sample);
 *  - the first `firstCap` samples in stream order (for the detection error).
 * Memory is O(reservoirSize + firstCap) whatever the stream length.
 *
 * Orientation (§5) is applied once, at the end, over ALL samples: `orient()`
 * multiplies the mean, the reservoir and the first samples by the sign of the
 * mean (+1 when the mean is 0 or not finite). Pushing after it is an error.
 */
import { Rng } from '../rng';

export const DEFAULT_RESERVOIR_SIZE = 100_000;

export interface LagSampleStoreOptions {
  /** seed of the reservoir's random stream (derive it from (w_seed, lag)) */
  seed: number;
  /** the most samples the reservoir keeps (default 100 000) */
  reservoirSize?: number;
  /** how many leading samples to keep in stream order (max(N_grid)) */
  firstCap: number;
  /**
   * The number of samples expected, when known: arrays are then allocated at
   * min(bound, expected) and grow (once, to the bound) only if more arrive.
   */
  expectedCount?: number;
}

export class LagSampleStore {
  readonly reservoirSize: number;
  readonly firstCap: number;
  private readonly rng: Rng;
  private res: Float64Array;
  private first: Float64Array;
  private n = 0; // samples seen (exact up to 2^53)
  private nFirst = 0;
  private sum = 0;
  private comp = 0; // Neumaier compensation of `sum`
  // Algorithm L state: W and the 0-based stream index of the next replacement
  private w = 0;
  private nextIdx = Infinity;
  private sign = 1;
  private oriented = false;

  constructor(opts: LagSampleStoreOptions) {
    const k = opts.reservoirSize ?? DEFAULT_RESERVOIR_SIZE;
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`reservoirSize must be a positive integer, got ${k}`);
    if (!Number.isInteger(opts.firstCap) || opts.firstCap < 0) {
      throw new RangeError(`firstCap must be a non-negative integer, got ${opts.firstCap}`);
    }
    this.reservoirSize = k;
    this.firstCap = opts.firstCap;
    this.rng = new Rng(opts.seed);
    const expected = opts.expectedCount !== undefined ? Math.max(1, Math.ceil(opts.expectedCount)) : Infinity;
    this.res = new Float64Array(Math.min(k, expected));
    this.first = new Float64Array(Math.min(opts.firstCap, expected));
  }

  /** Add one sample (stream order matters: it defines the first samples and the reservoir). */
  push(x: number): void {
    if (this.oriented) throw new Error('LagSampleStore: push after orient()');
    const i = this.n;
    this.n = i + 1;
    // Neumaier's compensated summation
    const s = this.sum;
    const t = s + x;
    this.comp += Math.abs(s) >= Math.abs(x) ? (s - t) + x : (x - t) + s;
    this.sum = t;

    if (this.nFirst < this.firstCap) {
      if (this.nFirst === this.first.length) this.first = grow(this.first, this.firstCap);
      this.first[this.nFirst++] = x;
    }

    const k = this.reservoirSize;
    if (i < k) {
      if (i === this.res.length) this.res = grow(this.res, k);
      this.res[i] = x;
      if (i === k - 1) {
        this.w = Math.exp(Math.log(this.rng.uniformOpen()) / k);
        this.nextIdx = i + this.skip() + 1;
      }
    } else if (i === this.nextIdx) {
      this.res[this.rng.int(k)] = x;
      this.w *= Math.exp(Math.log(this.rng.uniformOpen()) / k);
      this.nextIdx = i + this.skip() + 1;
    }
  }

  /**
   * Add n samples from a[off .. off+n), in order: exactly n calls of push()
   * (the same sums, first samples, random draws and reservoir), done phase
   * by phase instead of sample by sample.
   */
  pushMany(a: ArrayLike<number>, off: number, n: number): void {
    if (this.oriented) throw new Error('LagSampleStore: push after orient()');
    if (n <= 0) return;
    const n0 = this.n;
    // Neumaier's compensated summation, in stream order
    let sum = this.sum;
    let comp = this.comp;
    for (let j = 0; j < n; j++) {
      const x = a[off + j]!;
      const t = sum + x;
      comp += Math.abs(sum) >= Math.abs(x) ? (sum - t) + x : (x - t) + sum;
      sum = t;
    }
    this.sum = sum;
    this.comp = comp;
    this.n = n0 + n;

    // the first samples
    const nf = Math.min(n, this.firstCap - this.nFirst);
    if (nf > 0) {
      if (this.nFirst + nf > this.first.length) this.first = grow(this.first, this.firstCap);
      copy(a, off, this.first, this.nFirst, nf);
      this.nFirst += nf;
    }

    // Algorithm L: fill, then replacements at the geometric skips
    const k = this.reservoirSize;
    if (n0 < k) {
      const nr = Math.min(n, k - n0);
      if (n0 + nr > this.res.length) this.res = grow(this.res, k);
      copy(a, off, this.res, n0, nr);
      if (n0 + nr === k) {
        this.w = Math.exp(Math.log(this.rng.uniformOpen()) / k);
        this.nextIdx = k - 1 + this.skip() + 1;
      }
    }
    const end = n0 + n;
    while (this.nextIdx < end) {
      const i = this.nextIdx;
      this.res[this.rng.int(k)] = a[off + i - n0]!;
      this.w *= Math.exp(Math.log(this.rng.uniformOpen()) / k);
      this.nextIdx = i + this.skip() + 1;
    }
  }

  /** Geometric skip of Algorithm L: floor(log U / log(1 - W)). */
  private skip(): number {
    const d = Math.log1p(-this.w);
    if (!(d < 0)) return 0; // W rounds to 1 (astronomically rare): take the next item
    return Math.floor(Math.log(this.rng.uniformOpen()) / d);
  }

  /** Number of samples pushed. */
  get count(): number {
    return this.n;
  }

  /** Mean of all samples (oriented after `orient()`); NaN when empty. */
  get mean(): number {
    return this.n === 0 ? NaN : (this.sign * (this.sum + this.comp)) / this.n;
  }

  /** The orientation sign applied (1 before `orient()`). */
  get orientation(): number {
    return this.sign;
  }

  get isOriented(): boolean {
    return this.oriented;
  }

  /**
   * Orient once over all samples (§5): sign of the mean, +1 when it is 0 or
   * not finite; with `enabled` false the sign is +1. Returns the sign.
   */
  orient(enabled = true): number {
    if (this.oriented) return this.sign;
    const m = this.n === 0 ? NaN : (this.sum + this.comp) / this.n;
    const sign = enabled && Number.isFinite(m) && m < 0 ? -1 : 1;
    if (sign === -1) {
      const r = this.res, nr = Math.min(this.n, this.reservoirSize);
      for (let i = 0; i < nr; i++) r[i] = -r[i]!;
      const f = this.first;
      for (let i = 0; i < this.nFirst; i++) f[i] = -f[i]!;
    }
    this.sign = sign;
    this.oriented = true;
    return sign;
  }

  /** The reservoir (min(count, reservoirSize) samples; a view, not a copy). */
  reservoir(): Float64Array {
    return this.res.subarray(0, Math.min(this.n, this.reservoirSize));
  }

  /** The first min(count, firstCap) samples in stream order (a view). */
  firstSamples(): Float64Array {
    return this.first.subarray(0, this.nFirst);
  }

  /** Bytes held by the sample arrays (for memory checks). */
  get bytes(): number {
    return this.res.byteLength + this.first.byteLength;
  }
}

/** dst[at .. at+n) = a[off .. off+n) (a native copy from a Float64Array). */
function copy(a: ArrayLike<number>, off: number, dst: Float64Array, at: number, n: number): void {
  if (a instanceof Float64Array) {
    dst.set(a.subarray(off, off + n), at);
  } else {
    for (let j = 0; j < n; j++) dst[at + j] = a[off + j]!;
  }
}

function grow(a: Float64Array, bound: number): Float64Array {
  const b = new Float64Array(bound);
  b.set(a);
  return b;
}
