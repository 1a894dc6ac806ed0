/**
 * The envelope f̂(ℓ) and the per-unit μ_q(ℓ) (SCIENCE.md §4.3), accumulated
 * in float64 one μ row at a time, sequence by sequence.
 *
 *   m_b(ℓ)            = mean over (t, q) of |μ_{b,t,q}(ℓ)|, t ∈ [ℓ, T-1]
 *   mu_l1_mean        = f̂(ℓ) = mean_b m_b(ℓ)
 *   log_mu_l1_mean    = mean_b log(m_b(ℓ) + 1e-30)
 *   μ_q(ℓ)            = mean over (b, t) of |μ_{b,t,q}(ℓ)|
 *
 * Sums run in stream order (sequence-major, time-minor), so the results do
 * not depend on how sequences are grouped into batches.
 */

export const LOG_FLOOR = 1e-30;

export interface EnvelopeResult {
  /** f̂(ℓ) per lag */
  muL1Mean: Float64Array;
  /** mean_b log(m_b(ℓ) + 1e-30) per lag */
  logMuL1Mean: Float64Array;
  /** μ_q(ℓ): one Float64Array of H values per lag */
  muUnits: Float64Array[];
  /** number of sequences accumulated */
  nSeq: number;
}

export class EnvelopeAccumulator {
  readonly nLags: number;
  readonly H: number;
  /** [L][H] Σ_(b,t) |μ|; sweep.ts adds to it directly (see addSweep) */
  readonly unitSum: Float64Array;
  private readonly rows: Float64Array; // [L] number of (b,t) rows
  private readonly seqAbs: Float64Array; // [L] Σ_(t,q) |μ| of the current sequence
  private readonly seqRows: Float64Array; // [L] rows of the current sequence
  private readonly mSum: Float64Array; // [L] Σ_b m_b
  private readonly logSum: Float64Array; // [L] Σ_b log(m_b + 1e-30)
  private readonly seqCount: Float64Array; // [L] sequences with at least one row
  private nSeq = 0;

  /** `unitSum`: where to keep the per-unit sums (zeros, nLags·H), e.g. a WASM memory view */
  constructor(nLags: number, H: number, unitSum?: Float64Array) {
    this.nLags = nLags;
    this.H = H;
    if (unitSum && unitSum.length !== nLags * H) throw new RangeError(`EnvelopeAccumulator: unitSum must hold ${nLags * H} values`);
    this.unitSum = unitSum ?? new Float64Array(nLags * H);
    this.rows = new Float64Array(nLags);
    this.seqAbs = new Float64Array(nLags);
    this.seqRows = new Float64Array(nLags);
    this.mSum = new Float64Array(nLags);
    this.logSum = new Float64Array(nLags);
    this.seqCount = new Float64Array(nLags);
  }

  /** Add the μ row (H values) of one (b, t) for lag index i. */
  addRow(i: number, mu: ArrayLike<number>): void {
    const H = this.H;
    const u = this.unitSum;
    const o = i * H;
    let s = 0;
    for (let q = 0; q < H; q++) {
      const a = Math.abs(mu[q]!);
      s += a;
      u[o + q] += a;
    }
    this.seqAbs[i] += s;
    this.seqRows[i] += 1;
    this.rows[i] += 1;
  }

  /**
   * Record a whole lag sweep of the current sequence (sweep.ts): `rows` μ rows
   * whose Σ_(t,q)|μ| is `absSum`, summed row by row in t order, the per-unit
   * sums already added to unitSum[i·H ..]. Equivalent to `rows` calls of
   * addRow(i, ·) on a lag that has no rows yet in this sequence.
   */
  addSweep(i: number, rows: number, absSum: number): void {
    this.seqAbs[i] += absSum;
    this.seqRows[i] += rows;
    this.rows[i] += rows;
  }

  /** Close the current sequence: m_b(ℓ) for every lag that received rows. */
  endSequence(): void {
    const H = this.H;
    for (let i = 0; i < this.nLags; i++) {
      const r = this.seqRows[i]!;
      if (r > 0) {
        const m = this.seqAbs[i]! / (r * H);
        this.mSum[i] += m;
        this.logSum[i] += Math.log(m + LOG_FLOOR);
        this.seqCount[i] += 1;
      }
      this.seqAbs[i] = 0;
      this.seqRows[i] = 0;
    }
    this.nSeq++;
  }

  result(): EnvelopeResult {
    const L = this.nLags, H = this.H;
    const muL1Mean = new Float64Array(L);
    const logMuL1Mean = new Float64Array(L);
    const muUnits: Float64Array[] = [];
    for (let i = 0; i < L; i++) {
      const nb = this.seqCount[i]!;
      muL1Mean[i] = nb > 0 ? this.mSum[i]! / nb : NaN;
      logMuL1Mean[i] = nb > 0 ? this.logSum[i]! / nb : NaN;
      const u = new Float64Array(H);
      const r = this.rows[i]!;
      for (let q = 0; q < H; q++) u[q] = r > 0 ? this.unitSum[i * H + q]! / r : NaN;
      muUnits.push(u);
    }
    return { muL1Mean, logMuL1Mean, muUnits, nSeq: this.nSeq };
  }
}
