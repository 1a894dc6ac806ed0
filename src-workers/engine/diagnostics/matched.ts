/**
 * The matched statistic ψ_{b,t}(ℓ) (SCIENCE.md §5):
 *
 *   δ_{b,t,q} = (ŷ_{b,t} - y_{b,t}) · W_out[q]
 *   ψ_{b,t}(ℓ) = Σ_q μ_{b,t,q}(ℓ) · δ_{b,t,q} · v_{b,t-ℓ,q},   t ∈ [ℓ, T-1]
 *
 * Per sequence, `set()` precomputes in float64 the residual e_t = ŷ_t - y_t
 * and w_{k,q} = W_out[q]·v_{k,q}, so ψ_{b,t}(ℓ) = e_t · Σ_q μ_q w_{t-ℓ,q}:
 * one dot product of length H per (t, ℓ).
 */

export class MatchedSequence {
  readonly H: number;
  readonly maxT: number;
  /** e_t = ŷ_t - y_t of the loaded sequence, [T] (read by sweep.ts) */
  readonly err: Float64Array;
  /** W_out[q]·v_{t,q} of the loaded sequence, [T][H] (read by sweep.ts) */
  readonly wv: Float64Array;
  private T = 0;

  constructor(H: number, maxT: number) {
    this.H = H;
    this.maxT = maxT;
    this.err = new Float64Array(maxT);
    this.wv = new Float64Array(maxT * H);
  }

  /**
   * Load sequence b of a batch of B: v [T][B][H] (tangent), yhat and y [T][B]
   * (time-major), the readout W_out[q] = wOut[wOff + q] (an H×1 tensor).
   */
  set(v: ArrayLike<number>, yhat: ArrayLike<number>, y: ArrayLike<number>,
    B: number, T: number, b: number, wOut: ArrayLike<number>, wOff: number): void {
    if (T > this.maxT) throw new RangeError(`MatchedSequence: T=${T} exceeds maxT=${this.maxT}`);
    this.T = T;
    const H = this.H;
    const err = this.err, wv = this.wv;
    for (let t = 0; t < T; t++) {
      err[t] = yhat[t * B + b]! - y[t * B + b]!;
      const src = (t * B + b) * H;
      const dst = t * H;
      for (let q = 0; q < H; q++) wv[dst + q] = wOut[wOff + q]! * v[src + q]!;
    }
  }

  /** ψ_{b,t}(ℓ) from the μ row of (t, ℓ) (H values); needs 1 ≤ ℓ ≤ t < T. */
  psi(t: number, lag: number, mu: ArrayLike<number>): number {
    const H = this.H;
    const wv = this.wv;
    const o = (t - lag) * H;
    let s = 0;
    for (let q = 0; q < H; q++) s += mu[q]! * wv[o + q]!;
    return this.err[t]! * s;
  }

  get length(): number {
    return this.T;
  }
}
