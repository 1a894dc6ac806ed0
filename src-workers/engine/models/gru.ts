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
import type { FloatArray } from '../kernels/types';
import { blockDiag, copyN, gateBlockLayout, gemmTNOrZero, projectInputs, projectionSteps, recordArrays } from './gate-blocks';
import { GateBlockModel } from './recurrent-base';
import type { Model, ModelOptions, ModelShape, ParamLayout, RecordedTerms } from './types';
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

class GruModel<A extends FloatArray> extends GateBlockModel<A> {
  // caches and workspaces beyond those of GateBlockModel (gates: [T][B][3H] z, r, g)
  private readonly rh: A; // [T][B][H] r_t ⊙ h_{t-1}
  private readonly carry: A; // [maxB][H] ∂L/∂h_{t-1} accumulator
  private readonly work: A; // [maxB][H] ∂(r⊙h) (backward, tangent)
  // Ut = [U_z U_r]ᵀ then U_gᵀ; float64 scratch for the recorded diagonals
  private readonly dUz: Float64Array;
  private readonly dUr: Float64Array;
  private readonly dUg: Float64Array;

  constructor(shape: ModelShape, opts: ModelOptions<A>) {
    super(shape, opts, 3);
    const { kernels: k, maxBatch, H } = this;
    this.rh = k.alloc(this.rows * H);
    this.carry = k.alloc(maxBatch * H);
    this.work = k.alloc(maxBatch * H);
    this.dUz = new Float64Array(H);
    this.dUr = new Float64Array(H);
    this.dUg = new Float64Array(H);
  }

  /** The recurrence over T steps: fills gates, hs, rh (and the LN caches). */
  protected run(B: number, T: number): void {
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
  protected record(B: number, T: number, rec: RecordedTerms<A>): void {
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
    const { B, T } = this.beginBackward(dyhat);
    const { kernels: k, H, G, ln, off, params, grads, gates, hs, rh, xhat, invStd, zeros, carry, work, Y, lnParts } = this;
    const H2 = 2 * H;
    const n = T * B;
    const BH = B * H;
    carry.fill(0, 0, BH);

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
    this.inputAndLayerNormGrads(B, T);
    // dU_{z,r} = Σ_t h_{t-1}ᵀ ∂a_{z,r}(t) (t ≥ 1), dU_g = Σ_t (r⊙h_{t-1})ᵀ ∂a_g(t)
    gemmTNOrZero(k, H, H2, n - B, hs, 0, H, gates, B * G, G, grads, off.U, G);
    k.gemmTN(H, H, n, rh, 0, H, gates, H2, G, grads, off.U + H2, G, 0);
  }

  tangent(x: A, B: number, T: number, dir: A, v: A, hidden?: A): void {
    this.beginTangent(x, B, T, dir);
    const { kernels: k, H, G, ln, off, params, gates, hs, rh, xhat, invStd, zeros, work, tpre } = this;
    const H2 = 2 * H;
    const BH = B * H;
    const dp = this.dir;

    let vp: A = zeros;
    let vn: A = this.vA;
    for (let t = 0; t < T; t++) {
      const go = t * B * G;
      const ho = t * BH;
      const hpo = t > 0 ? ho - BH : 0;
      const hp = t > 0 ? hs : zeros;
      // ∂a = x_t ∂W + ∂b (+ v_{t-1} U_{z,r} + h_{t-1} ∂U_{z,r})
      this.tangentInputs(t, B);
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
