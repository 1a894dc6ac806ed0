/**
 * LSTM (SCIENCE.md §2): with h_{-1} = c_{-1} = 0,
 *   i_t, f_t, o_t = σ(x_t W_· + b_· + h_{t-1} U_·)
 *   g_t = tanh(LN(x_t W_g + b_g + h_{t-1} U_g))
 *   c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t,   h_t = o_t ⊙ tanh(c_t),   ŷ_t = h_t W_out + b_out.
 *
 * Parameters (gateBlockLayout with 4 gates): W [D×4H], b [1×4H], U [H×4H]
 * with the gate blocks in the order (i, f, o, g) along the output axis, so
 * U_i[a][j] = U[a·4H + j], U_f = +H, U_o = +2H, U_g = +3H; then ln_gain,
 * ln_bias [1×H] (layernorm only), W_out [H×1], b_out [1×1].
 *
 * Caches (time-major, sized once for maxBatch × maxT): gates [T][B][4H]
 * holds the activated i, f, o, g after forward and is overwritten in place
 * by ∂L/∂(pre-activations) during backward; dW = Xᵀ·dPre and
 * dU = Hprevᵀ·dPre are then one gemmTN each over all T·B rows.
 *
 * Per step, only kernels run (a gemm, LayerNorm, one fused cell kernel);
 * the §4.1 terms are a plain pass over the caches after the recurrence.
 */
import type { FloatArray } from '../kernels/types';
import { blockDiag, copyN, gateBlockLayout, gemmTNOrZero, projectInputs, projectionSteps, recordArrays } from './gate-blocks';
import { GateBlockModel } from './recurrent-base';
import type { Model, ModelOptions, ModelShape, ParamLayout, RecordedTerms } from './types';
import { RECORDED_TERMS } from './types';

/** Gate block indices along the output axis of W, b, U. */
export const LSTM_BLOCKS = { i: 0, f: 1, o: 2, g: 3 } as const;

export function lstmLayout(D: number, H: number, layernorm: boolean): ParamLayout {
  return gateBlockLayout(D, H, 4, layernorm);
}

export function createLstmModel<A extends FloatArray>(shape: ModelShape, opts: ModelOptions<A>): Model<A> {
  if (shape.arch !== 'lstm') throw new Error(`createLstmModel: arch '${shape.arch}' is not 'lstm'`);
  return new LstmModel(shape, opts);
}

class LstmModel<A extends FloatArray> extends GateBlockModel<A> {
  // caches and workspaces beyond those of GateBlockModel (gates: [T][B][4H] i, f, o, g; zeros: also c_{-1})
  private readonly cs: A; // [T][B][H] c_t
  private readonly tcs: A; // [T][B][H] tanh(c_t)
  private readonly dhC: A; // [maxB][H] ∂L/∂h_{t-1} carry (backward)
  private readonly dcC: A; // [maxB][H] ∂L/∂c_{t-1} carry (backward); ∂c_t (tangent)
  private readonly dUi: Float64Array;
  private readonly dUf: Float64Array;
  private readonly dUg: Float64Array;

  constructor(shape: ModelShape, opts: ModelOptions<A>) {
    super(shape, opts, 4);
    const { kernels: k, maxBatch, H } = this;
    this.cs = k.alloc(this.rows * H);
    this.tcs = k.alloc(this.rows * H);
    this.dhC = k.alloc(maxBatch * H);
    this.dcC = k.alloc(maxBatch * H);
    this.dUi = new Float64Array(H);
    this.dUf = new Float64Array(H);
    this.dUg = new Float64Array(H);
  }

  /** The recurrence over T steps: fills gates, cs, tcs, hs (and the LN caches). */
  protected run(B: number, T: number): void {
    const { kernels: k, D, H, G, ln, off, params, gates, cs, tcs, hs, xhat, invStd, zeros } = this;
    const H3 = 3 * H;
    // input projections gates = X W + b, a block of steps at a time (see PROJECTION_ROWS)
    const tc = projectionSteps(B);

    for (let t = 0; t < T; t++) {
      const go = t * B * G;
      const ho = t * B * H;
      if (t % tc === 0) projectInputs(k, Math.min(tc, T - t) * B, G, D, this.X, t * B * D, params, off.W, off.b, gates, go);
      if (t > 0) k.gemmNN(B, G, H, hs, ho - B * H, H, params, off.U, G, gates, go, G, 1);
      if (ln) k.layerNormForward(B, H, gates, go + H3, G, xhat, ho, invStd, t * B, params, off.lnGain, off.lnBias);
      // c_{t-1} is at ho − B·H in cs (zeros at t = 0)
      if (t > 0) k.lstmForward(B, H, gates, go, cs, ho - B * H, cs, tcs, hs, ho);
      else k.lstmForward(B, H, gates, go, zeros, 0, cs, tcs, hs, ho);
    }
  }

  /** §4.1 lstm terms from the caches of run(): forget f, expression o(1 − tanh² c), cdiag. */
  protected record(B: number, T: number, rec: RecordedTerms<A>): void {
    const { H, G, off, params, gates, cs, tcs } = this;
    const H2 = 2 * H;
    const H3 = 3 * H;
    const [recF, recE, recC] = recordArrays(rec, RECORDED_TERMS.lstm, T * B * H) as [A, A, A];
    const dUi = this.dUi, dUf = this.dUf, dUg = this.dUg;
    blockDiag(params, off.U, G, LSTM_BLOCKS.i, H, dUi);
    blockDiag(params, off.U, G, LSTM_BLOCKS.f, H, dUf);
    blockDiag(params, off.U, G, LSTM_BLOCKS.g, H, dUg);
    for (let row = 0; row < T * B; row++) {
      const gb = row * G;
      const hb = row * H;
      const pb = hb - B * H; // c_{t-1} (row ≥ B)
      for (let q = 0; q < H; q++) {
        const i = gates[gb + q]!;
        const f = gates[gb + H + q]!;
        const o = gates[gb + H2 + q]!;
        const g = gates[gb + H3 + q]!;
        const tc = tcs[hb + q]!;
        const cp = row >= B ? cs[pb + q]! : 0;
        const idx = hb + q;
        recF[idx] = f;
        recE[idx] = o * (1 - tc * tc);
        // §4.1 lstm: c_{t-1} f(1-f) U_f,qq + i (1-g²) U_g,qq + g i(1-i) U_i,qq
        recC[idx] = cp * f * (1 - f) * dUf[q]! + i * (1 - g * g) * dUg[q]! + g * i * (1 - i) * dUi[q]!;
      }
    }
  }

  backward(dyhat: A): void {
    const { B, T } = this.beginBackward(dyhat);
    const { kernels: k, H, G, ln, off, params, grads, gates, cs, tcs, hs, xhat, invStd, dhC, dcC, Y, lnParts, zeros } = this;
    const H2 = 2 * H;
    const H3 = 3 * H;
    const n = T * B;
    dhC.fill(0, 0, B * H);
    dcC.fill(0, 0, B * H);

    for (let t = T - 1; t >= 0; t--) {
      const go = t * B * G;
      const ho = t * B * H;
      if (t > 0) k.lstmBackward(B, H, gates, go, cs, ho - B * H, tcs, ho, Y, t * B, params, off.Wout, dhC, 0, dcC, 0);
      else k.lstmBackward(B, H, gates, go, zeros, 0, tcs, ho, Y, 0, params, off.Wout, dhC, 0, dcC, 0);
      if (ln) {
        k.layerNormBackward(B, H, gates, go + H3, G, xhat, ho, invStd, t * B, params, off.lnGain,
          lnParts, t * H2, t * H2 + H);
      }
      // ∂h_{t-1} = ∂a U ᵀ over all four gates
      if (t > 0) k.gemmNN(B, H, G, gates, go, G, this.Ut, 0, H, dhC, 0, H, 0);
    }
    this.inputAndLayerNormGrads(B, T);
    // dU = Σ_{t≥1} h_{t-1}ᵀ ∂a(t)
    gemmTNOrZero(k, H, G, n - B, hs, 0, H, gates, B * G, G, grads, off.U, G);
  }

  tangent(x: A, B: number, T: number, dir: A, v: A, hidden?: A): void {
    this.beginTangent(x, B, T, dir);
    const { kernels: k, H, G, ln, off, params, gates, cs, tcs, hs, xhat, invStd, zeros, tpre } = this;
    const H3 = 3 * H;
    const dp = this.dir;
    const dc = this.dcC; // ∂c_t, updated in place
    dc.fill(0, 0, B * H);

    let vp: A = zeros;
    let vn: A = this.vA;
    const BH = B * H;
    for (let t = 0; t < T; t++) {
      const go = t * B * G;
      const ho = t * BH;
      // ∂a = x_t ∂W + ∂b (+ v_{t-1} U + h_{t-1} ∂U)
      this.tangentInputs(t, B);
      if (t > 0) {
        k.gemmNN(B, G, H, vp, 0, H, params, off.U, G, tpre, 0, G, 1);
        k.gemmNN(B, G, H, hs, ho - BH, H, dp, off.U, G, tpre, 0, G, 1);
      }
      if (ln) k.layerNormTangent(B, H, tpre, H3, G, xhat, ho, invStd, t * B, params, off.lnGain, dp, off.lnGain, off.lnBias);
      // ∂c_t = ∂f c_{t-1} + f ∂c_{t-1} + ∂i g + i ∂g;  v_t = ∂o tanh c_t + o (1 - tanh² c_t) ∂c_t
      if (t > 0) k.lstmTangent(B, H, gates, go, cs, ho - BH, tcs, ho, tpre, 0, dc, 0, vn, 0);
      else k.lstmTangent(B, H, gates, go, zeros, 0, tcs, ho, tpre, 0, dc, 0, vn, 0);
      for (let i = 0; i < BH; i++) v[ho + i] = vn[i]!;
      vp = vn;
      vn = vn === this.vA ? this.vB : this.vA;
    }
    if (hidden) copyN(hs, hidden, T * B * H);
  }
}
