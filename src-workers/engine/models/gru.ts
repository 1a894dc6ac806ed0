/**
 * GRU (SCIENCE.md §2): with h_{-1} = 0,
 *   z_t = σ(x_t W_z + b_z + h_{t-1} U_z)
 *   r_t = σ(x_t W_r + b_r + h_{t-1} U_r)
 *   g_t = tanh(LN(x_t W_g + b_g + (r_t ⊙ h_{t-1}) U_g))
 *   h_t = (1 - z_t) ⊙ h_{t-1} + z_t ⊙ g_t,     ŷ_t = h_t W_out + b_out.
 *
 * Parameters (gateBlockLayout with 3 gates): W [D×3H], b [1×3H], U [H×3H]
 * with the gate blocks in the order (z, r, g) along the output axis, so
 * U_z[i][j] = U[i·3H + j], U_r[i][j] = U[i·3H + H + j], U_g[i][j] = U[i·3H + 2H + j];
 * then ln_gain, ln_bias [1×H] (layernorm only), W_out [H×1], b_out [1×1].
 *
 * Caches (time-major, sized once for maxBatch × maxT; calls use the first
 * T·B rows): gates [T][B][3H] holds the activated z, r, g after forward and
 * is overwritten in place by ∂L/∂(pre-activations) during backward, which
 * then gives dW, dU with one gemmTN each over all T·B rows.
 *
 * Per step, only kernels run (gemms, LayerNorm, the fused GRU kernels); the
 * §4.1 terms are a plain pass over the caches after the recurrence.
 */
import type { FloatArray, Kernels } from '../kernels/types';
import {
  blockDiag, checkBatch, copyN, gateBlockLayout, gateBlockOffsets, gemmTNOrZero, projectInputs, projectionSteps, recordArrays, transposeInto,
  type GateBlockOffsets,
} from './gate-blocks';
import type { ForwardOptions, Model, ModelOptions, ModelShape, ParamLayout, RecordedTerms } from './types';
import { RECORDED_TERMS } from './types';

/** Gate block indices along the output axis of W, b, U. */
export const GRU_BLOCKS = { z: 0, r: 1, g: 2 } as const;

export function gruLayout(D: number, H: number, layernorm: boolean): ParamLayout {
  return gateBlockLayout(D, H, 3, layernorm);
}

export function createGruModel<A extends FloatArray>(shape: ModelShape, opts: ModelOptions<A>): Model<A> {
  if (shape.arch !== 'gru') throw new Error(`createGruModel: arch '${shape.arch}' is not 'gru'`);
  return new GruModel(shape, opts);
}

class GruModel<A extends FloatArray> implements Model<A> {
  readonly layout: ParamLayout;
  readonly kernels: Kernels<A>;
  readonly maxBatch: number;
  readonly maxT: number;
  readonly params: A;
  readonly grads: A;

  private readonly D: number;
  private readonly H: number;
  private readonly G: number; // 3H
  private readonly ln: boolean;
  private readonly off: GateBlockOffsets;

  // time-major caches
  private readonly X: A; // [T][B][D] copy of the inputs
  private readonly gates: A; // [T][B][3H] z, r, g (then dPre in backward)
  private readonly hs: A; // [T][B][H] h_t
  private readonly rh: A; // [T][B][H] r_t ⊙ h_{t-1}
  private readonly xhat: A; // [T][B][H] LayerNorm x̂ of the candidate
  private readonly invStd: A; // [T][B]
  private readonly lnParts: A; // [T][2H] per-step LayerNorm parameter gradients (backward)
  private readonly Y: A; // [T][B] ŷ, then ∂L/∂ŷ
  // per-step workspaces
  private readonly zeros: A; // [maxB][H] h_{-1} = 0 (never written)
  private readonly carry: A; // [maxB][H] ∂L/∂h_{t-1} accumulator
  private readonly work: A; // [maxB][H] ∂(r⊙h) (backward, tangent)
  private readonly tpre: A; // [maxB][3H] tangent of the pre-activations
  private readonly vA: A; // [maxB][H] tangent ping-pong
  private readonly vB: A;
  private readonly dir: A; // [P] copy of the tangent direction
  private readonly Ut: A; // [3H][H] Uᵀ (backward): [U_z U_r]ᵀ then U_gᵀ
  // float64 scratch for the recorded diagonals
  private readonly dUz: Float64Array;
  private readonly dUr: Float64Array;
  private readonly dUg: Float64Array;

  /** batch and length of the last forward(train: true) whose caches backward may consume */
  private trained: { B: number; T: number } | null = null;

  constructor(readonly shape: ModelShape, opts: ModelOptions<A>) {
    const { D, H, layernorm } = shape;
    const { kernels: k, maxBatch, maxT } = opts;
    checkBatch(maxBatch, maxT, Infinity, Infinity);
    this.kernels = k;
    this.maxBatch = maxBatch;
    this.maxT = maxT;
    this.D = D;
    this.H = H;
    this.G = 3 * H;
    this.ln = layernorm;
    this.layout = gruLayout(D, H, layernorm);
    this.off = gateBlockOffsets(this.layout);
    this.params = k.alloc(this.layout.size);
    this.grads = k.alloc(this.layout.size);
    const rows = maxBatch * maxT;
    this.X = k.alloc(rows * D);
    this.gates = k.alloc(rows * this.G);
    this.hs = k.alloc(rows * H);
    this.rh = k.alloc(rows * H);
    this.xhat = k.alloc(layernorm ? rows * H : 1);
    this.invStd = k.alloc(layernorm ? rows : 1);
    this.lnParts = k.alloc(layernorm ? maxT * 2 * H : 1);
    this.Y = k.alloc(rows);
    this.zeros = k.alloc(maxBatch * H);
    this.carry = k.alloc(maxBatch * H);
    this.work = k.alloc(maxBatch * H);
    this.tpre = k.alloc(maxBatch * this.G);
    this.vA = k.alloc(maxBatch * H);
    this.vB = k.alloc(maxBatch * H);
    this.dir = k.alloc(this.layout.size);
    this.Ut = k.alloc(this.G * H);
    this.dUz = new Float64Array(H);
    this.dUr = new Float64Array(H);
    this.dUg = new Float64Array(H);
  }

  forward(x: A, B: number, T: number, yhat: A, opts: ForwardOptions<A>): void {
    checkBatch(B, T, this.maxBatch, this.maxT);
    const { kernels: k, H, off } = this;
    const n = T * B;
    this.trained = null;
    copyN(x, this.X, n * this.D);
    this.run(B, T);
    if (opts.record) this.record(B, T, opts.record);
    // ŷ = h W_out + b_out over all T·B rows at once
    k.gemmNN(n, 1, H, this.hs, 0, H, this.params, off.Wout, 1, this.Y, 0, 1, 0);
    const bout = this.params[off.bout]!;
    const Y = this.Y;
    for (let i = 0; i < n; i++) yhat[i] = Y[i]! + bout;
    if (opts.hidden) copyN(this.hs, opts.hidden, n * H);
    if (opts.train) this.trained = { B, T };
  }

  /** The recurrence over T steps: fills gates, hs, rh (and the LN caches). */
  private run(B: number, T: number): void {
    const { kernels: k, D, H, G, ln, off, params, gates, hs, rh, xhat, invStd, zeros } = this;
    const H2 = 2 * H;
    const BH = B * H;
    // input projections gates = X W + b, a block of steps at a time (see PROJECTION_ROWS)
    const tc = projectionSteps(B);

    for (let t = 0; t < T; t++) {
      const go = t * B * G;
      const ho = t * BH;
      const hp = t > 0 ? hs : zeros;
      const hpo = t > 0 ? ho - BH : 0;
      if (t % tc === 0) projectInputs(k, Math.min(tc, T - t) * B, G, D, this.X, t * B * D, params, off.W, off.b, gates, go);
      // z, r, then r ⊙ h_{t-1} and the candidate pre-activation
      if (t > 0) k.gemmNN(B, H2, H, hs, hpo, H, params, off.U, G, gates, go, G, 1);
      k.gruGates(B, H, gates, go, hp, hpo, rh, ho);
      if (t > 0) k.gemmNN(B, H, H, rh, ho, H, params, off.U + H2, G, gates, go + H2, G, 1);
      if (ln) k.layerNormForward(B, H, gates, go + H2, G, xhat, ho, invStd, t * B, params, off.lnGain, off.lnBias);
      k.gruCell(B, H, gates, go, hp, hpo, hs, ho);
    }
  }

  /** §4.1 gru terms from the caches of run(): leak 1 − z, r, rdiag. */
  private record(B: number, T: number, rec: RecordedTerms<A>): void {
    const { H, G, off, params, gates, hs } = this;
    const H2 = 2 * H;
    const [recLeak, recR, recRdiag] = recordArrays(rec, RECORDED_TERMS.gru, T * B * H) as [A, A, A];
    const dUz = this.dUz, dUr = this.dUr, dUg = this.dUg;
    blockDiag(params, off.U, G, GRU_BLOCKS.z, H, dUz);
    blockDiag(params, off.U, G, GRU_BLOCKS.r, H, dUr);
    blockDiag(params, off.U, G, GRU_BLOCKS.g, H, dUg);
    for (let row = 0; row < T * B; row++) {
      const gb = row * G;
      const hb = row * H;
      const pb = hb - B * H; // h_{t-1} (row ≥ B)
      for (let q = 0; q < H; q++) {
        const z = gates[gb + q]!;
        const r = gates[gb + H + q]!;
        const g = gates[gb + H2 + q]!;
        const hpv = row >= B ? hs[pb + q]! : 0;
        const i = hb + q;
        recLeak[i] = 1 - z;
        recR[i] = r;
        // §4.1 gru: (g - h_{t-1}) z(1-z) U_z,qq + z (1-g²) U_g,qq (r + h_{t-1} r(1-r) U_r,qq)
        recRdiag[i] = (g - hpv) * z * (1 - z) * dUz[q]!
          + z * (1 - g * g) * dUg[q]! * (r + hpv * r * (1 - r) * dUr[q]!);
      }
    }
  }

  backward(dyhat: A): void {
    const tr = this.trained;
    if (!tr) throw new Error('backward: no cached forward(train: true) to differentiate (caches are used once)');
    this.trained = null;
    const { B, T } = tr;
    const { kernels: k, D, H, G, ln, off, params, grads, gates, hs, rh, xhat, invStd, zeros, carry, work, Y, lnParts } = this;
    const H2 = 2 * H;
    const n = T * B;
    const BH = B * H;
    copyN(dyhat, Y, n);
    // output layer: dW_out = Hᵀ dŷ, db_out = Σ dŷ
    k.gemmTN(H, 1, n, hs, 0, H, Y, 0, 1, grads, off.Wout, 1, 0);
    k.sumRows(n, 1, Y, 0, 1, grads, off.bout);
    carry.fill(0, 0, BH);
    transposeInto(H, G, params, off.U, G, this.Ut, 0);

    for (let t = T - 1; t >= 0; t--) {
      const go = t * B * G;
      const ho = t * BH;
      const hp = t > 0 ? hs : zeros;
      const hpo = t > 0 ? ho - BH : 0;
      // dh = carry + dŷ W_outᵀ; ∂a_z, ∂tanh-input of g; carry ← dh (1 - z)
      k.gruCellBackward(B, H, gates, go, hp, hpo, Y, t * B, params, off.Wout, carry, 0);
      if (ln) {
        k.layerNormBackward(B, H, gates, go + H2, G, xhat, ho, invStd, t * B, params, off.lnGain,
          lnParts, t * H2, t * H2 + H);
      }
      if (t > 0) {
        // ∂(r ⊙ h_{t-1}) = ∂a_g U_gᵀ, then ∂a_r and the carry through r ⊙ h_{t-1}
        k.gemmNN(B, H, H, gates, go + H2, G, this.Ut, H2 * H, H, work, 0, H, 0);
        k.gruResetBackward(B, H, gates, go, hs, hpo, work, 0, carry, 0);
        // carry += [∂a_z, ∂a_r] [U_z, U_r]ᵀ
        k.gemmNN(B, H, H2, gates, go, G, this.Ut, 0, H, carry, 0, H, 1);
      } else {
        // h_{-1} = 0: r does not reach the loss at t = 0 (∂a_r = 0·h_{-1}·r(1−r) = 0)
        k.gruResetBackward(B, H, gates, go, zeros, 0, zeros, 0, carry, 0);
      }
    }
    // weight gradients over all T·B rows at once
    k.gemmTN(D, G, n, this.X, 0, D, gates, 0, G, grads, off.W, G, 0);
    k.sumRows(n, G, gates, 0, G, grads, off.b);
    // dU_{z,r} = Σ_t h_{t-1}ᵀ ∂a_{z,r}(t) (t ≥ 1), dU_g = Σ_t (r⊙h_{t-1})ᵀ ∂a_g(t)
    gemmTNOrZero(k, H, H2, n - B, hs, 0, H, gates, B * G, G, grads, off.U, G);
    k.gemmTN(H, H, n, rh, 0, H, gates, H2, G, grads, off.U + H2, G, 0);
    if (ln) {
      k.sumRows(T, H, lnParts, 0, H2, grads, off.lnGain);
      k.sumRows(T, H, lnParts, H, H2, grads, off.lnBias);
    }
  }

  tangent(x: A, B: number, T: number, dir: A, v: A, hidden?: A): void {
    checkBatch(B, T, this.maxBatch, this.maxT);
    const { kernels: k, D, H, G, ln, off, params, gates, hs, rh, xhat, invStd, zeros, work, tpre } = this;
    const H2 = 2 * H;
    const BH = B * H;
    this.trained = null;
    copyN(x, this.X, T * B * D);
    copyN(dir, this.dir, this.layout.size);
    const dp = this.dir;
    this.run(B, T);

    let vp: A = zeros;
    let vn: A = this.vA;
    for (let t = 0; t < T; t++) {
      const go = t * B * G;
      const ho = t * BH;
      const hpo = t > 0 ? ho - BH : 0;
      const hp = t > 0 ? hs : zeros;
      // ∂a = x_t ∂W + ∂b (+ v_{t-1} U_{z,r} + h_{t-1} ∂U_{z,r})
      k.gemmNN(B, G, D, this.X, t * B * D, D, dp, off.W, G, tpre, 0, G, 0);
      k.addRowBias(B, G, tpre, 0, G, dp, off.b);
      if (t > 0) {
        k.gemmNN(B, H2, H, vp, 0, H, params, off.U, G, tpre, 0, G, 1);
        k.gemmNN(B, H2, H, hs, hpo, H, dp, off.U, G, tpre, 0, G, 1);
      }
      // ∂z, and ∂(r ⊙ h_{t-1}) = ∂r h_{t-1} + r v_{t-1}
      k.gruTangentGates(B, H, gates, go, hp, hpo, vp, 0, tpre, 0, work, 0);
      if (t > 0) {
        k.gemmNN(B, H, H, work, 0, H, params, off.U + H2, G, tpre, H2, G, 1);
        k.gemmNN(B, H, H, rh, ho, H, dp, off.U + H2, G, tpre, H2, G, 1);
      }
      if (ln) k.layerNormTangent(B, H, tpre, H2, G, xhat, ho, invStd, t * B, params, off.lnGain, dp, off.lnGain, off.lnBias);
      // v_t = (1-z) v_{t-1} + ∂z (g - h_{t-1}) + z (1-g²) ∂(LN output)
      k.gruTangentCell(B, H, gates, go, hp, hpo, vp, 0, tpre, 0, vn, 0);
      for (let i = 0; i < BH; i++) v[ho + i] = vn[i]!;
      vp = vn;
      vn = vn === this.vA ? this.vB : this.vA;
    }
    if (hidden) copyN(hs, hidden, T * B * H);
  }
}
