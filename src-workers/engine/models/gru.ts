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
 */
import type { FloatArray, Kernels } from '../kernels/types';
import {
  addRowBias, blockDiag, checkBatch, copyN, gateBlockLayout, gateBlockOffsets, gemmTNOrZero,
  recordArrays, sigmoidRows, sum64, sumRows64, tanhRows, type GateBlockOffsets,
} from './gate-blocks';
import { layerNormBackward, layerNormForward, layerNormTangent } from './layernorm';
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
  private readonly Y: A; // [T][B] ŷ, then ∂L/∂ŷ
  // per-step workspaces
  private readonly zeros: A; // [maxB][H] h_{-1} = 0 (never written)
  private readonly carry: A; // [maxB][H] ∂L/∂h_{t-1} accumulator
  private readonly work: A; // [maxB][H] ∂(r⊙h) (backward, tangent)
  private readonly tpre: A; // [maxB][3H] tangent of the pre-activations
  private readonly vA: A; // [maxB][H] tangent ping-pong
  private readonly vB: A;
  private readonly dir: A; // [P] copy of the tangent direction
  // float64 scratch for reductions and recorded diagonals
  private readonly colAcc: Float64Array;
  private readonly lnAcc: Float64Array; // [dGain | dBias]
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
    this.Y = k.alloc(rows);
    this.zeros = k.alloc(maxBatch * H);
    this.carry = k.alloc(maxBatch * H);
    this.work = k.alloc(maxBatch * H);
    this.tpre = k.alloc(maxBatch * this.G);
    this.vA = k.alloc(maxBatch * H);
    this.vB = k.alloc(maxBatch * H);
    this.dir = k.alloc(this.layout.size);
    this.colAcc = new Float64Array(this.G);
    this.lnAcc = new Float64Array(2 * H);
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
    this.run(B, T, opts.record);
    // ŷ = h W_out + b_out over all T·B rows at once
    k.gemmNN(n, 1, H, this.hs, 0, H, this.params, off.Wout, 1, this.Y, 0, 1, 0);
    const bout = this.params[off.bout]!;
    for (let i = 0; i < n; i++) yhat[i] = this.Y[i]! + bout;
    if (opts.hidden) copyN(this.hs, opts.hidden, n * H);
    if (opts.train) this.trained = { B, T };
  }

  /** The recurrence over T steps: fills gates, hs, rh (and the LN caches). */
  private run(B: number, T: number, record: RecordedTerms<A> | undefined): void {
    const { kernels: k, D, H, G, ln, off, params, gates, hs, rh, xhat, invStd, zeros } = this;
    const H2 = 2 * H;
    let recLeak: A | null = null;
    let recR: A | null = null;
    let recRdiag: A | null = null;
    const dUz = this.dUz, dUr = this.dUr, dUg = this.dUg;
    if (record) {
      [recLeak, recR, recRdiag] = recordArrays(record, RECORDED_TERMS.gru, T * B * H);
      blockDiag(params, off.U, G, GRU_BLOCKS.z, H, dUz);
      blockDiag(params, off.U, G, GRU_BLOCKS.r, H, dUr);
      blockDiag(params, off.U, G, GRU_BLOCKS.g, H, dUg);
    }
    // input projections of every step: gates = X W + b
    k.gemmNN(T * B, G, D, this.X, 0, D, params, off.W, G, gates, 0, G, 0);
    addRowBias(T * B, G, gates, 0, G, params, off.b);

    for (let t = 0; t < T; t++) {
      const go = t * B * G;
      const ho = t * B * H;
      const hp = t > 0 ? hs : zeros;
      const hpo = t > 0 ? ho - B * H : 0;
      // z, r
      if (t > 0) k.gemmNN(B, H2, H, hs, hpo, H, params, off.U, G, gates, go, G, 1);
      sigmoidRows(k, B, H2, gates, go, G);
      // r ⊙ h_{t-1}, then the candidate pre-activation
      for (let b = 0; b < B; b++) {
        const gr = go + b * G + H;
        const hb = b * H;
        for (let q = 0; q < H; q++) rh[ho + hb + q] = gates[gr + q]! * hp[hpo + hb + q]!;
      }
      if (t > 0) k.gemmNN(B, H, H, rh, ho, H, params, off.U + H2, G, gates, go + H2, G, 1);
      if (ln) {
        for (let b = 0; b < B; b++) {
          const gg = go + b * G + H2;
          layerNormForward(1, H, gates, gg, params, off.lnGain, params, off.lnBias, gates, gg,
            xhat, ho + b * H, invStd, t * B + b);
        }
      }
      tanhRows(k, B, H, gates, go + H2, G);
      // h_t and the §4.1 terms
      for (let b = 0; b < B; b++) {
        const gb = go + b * G;
        const hb = b * H;
        for (let q = 0; q < H; q++) {
          const z = gates[gb + q]!;
          const g = gates[gb + H2 + q]!;
          const hpv = hp[hpo + hb + q]!;
          hs[ho + hb + q] = hpv + z * (g - hpv);
          if (recRdiag) {
            const r = gates[gb + H + q]!;
            const i = ho + hb + q;
            recLeak![i] = 1 - z;
            recR![i] = r;
            // §4.1 gru: (g - h_{t-1}) z(1-z) U_z,qq + z (1-g²) U_g,qq (r + h_{t-1} r(1-r) U_r,qq)
            recRdiag[i] = (g - hpv) * z * (1 - z) * dUz[q]!
              + z * (1 - g * g) * dUg[q]! * (r + hpv * r * (1 - r) * dUr[q]!);
          }
        }
      }
    }
  }

  backward(dyhat: A): void {
    const tr = this.trained;
    if (!tr) throw new Error('backward: no cached forward(train: true) to differentiate (caches are used once)');
    this.trained = null;
    const { B, T } = tr;
    const { kernels: k, D, H, G, ln, off, params, grads, gates, hs, rh, xhat, invStd, zeros, carry, work, Y, lnAcc } = this;
    const H2 = 2 * H;
    const n = T * B;
    copyN(dyhat, Y, n);
    // output layer: dW_out = Hᵀ dŷ, db_out = Σ dŷ
    k.gemmTN(H, 1, n, hs, 0, H, Y, 0, 1, grads, off.Wout, 1, 0);
    grads[off.bout] = sum64(Y, n);
    lnAcc.fill(0);
    carry.fill(0, 0, B * H);

    for (let t = T - 1; t >= 0; t--) {
      const go = t * B * G;
      const ho = t * B * H;
      const hp = t > 0 ? hs : zeros;
      const hpo = t > 0 ? ho - B * H : 0;
      // dh = carry + dŷ W_outᵀ; ∂a_z, ∂tanh-input of g; carry ← dh (1 - z)
      for (let b = 0; b < B; b++) {
        const gb = go + b * G;
        const hb = b * H;
        const dy = Y[t * B + b]!;
        for (let q = 0; q < H; q++) {
          const dh = carry[hb + q]! + dy * params[off.Wout + q]!;
          const z = gates[gb + q]!;
          const g = gates[gb + H2 + q]!;
          const hpv = hp[hpo + hb + q]!;
          gates[gb + q] = dh * (g - hpv) * z * (1 - z);
          gates[gb + H2 + q] = dh * z * (1 - g * g);
          carry[hb + q] = dh * (1 - z);
        }
      }
      if (ln) {
        for (let b = 0; b < B; b++) {
          const gg = go + b * G + H2;
          layerNormBackward(1, H, gates, gg, xhat, ho + b * H, invStd, t * B + b, params, off.lnGain,
            lnAcc, 0, lnAcc, H, gates, gg);
        }
      }
      if (t > 0) {
        // ∂(r ⊙ h_{t-1}) = ∂a_g U_gᵀ
        k.gemmNT(B, H, H, gates, go + H2, G, params, off.U + H2, G, work, 0, H, 0);
        for (let b = 0; b < B; b++) {
          const gr = go + b * G + H;
          const hb = b * H;
          for (let q = 0; q < H; q++) {
            const r = gates[gr + q]!;
            const d = work[hb + q]!;
            gates[gr + q] = d * hp[hpo + hb + q]! * r * (1 - r);
            carry[hb + q] += d * r;
          }
        }
        // carry += [∂a_z, ∂a_r] [U_z, U_r]ᵀ
        k.gemmNT(B, H, H2, gates, go, G, params, off.U, G, carry, 0, H, 1);
      } else {
        // h_{-1} = 0: r does not reach the loss at t = 0
        for (let b = 0; b < B; b++) gates.fill(0, go + b * G + H, go + b * G + H2);
      }
    }
    // weight gradients over all T·B rows at once
    k.gemmTN(D, G, n, this.X, 0, D, gates, 0, G, grads, off.W, G, 0);
    sumRows64(n, G, gates, 0, G, this.colAcc, grads, off.b);
    // dU_{z,r} = Σ_t h_{t-1}ᵀ ∂a_{z,r}(t) (t ≥ 1), dU_g = Σ_t (r⊙h_{t-1})ᵀ ∂a_g(t)
    gemmTNOrZero(k, H, H2, n - B, hs, 0, H, gates, B * G, G, grads, off.U, G);
    k.gemmTN(H, H, n, rh, 0, H, gates, H2, G, grads, off.U + H2, G, 0);
    if (ln) {
      for (let q = 0; q < H; q++) {
        grads[off.lnGain + q] = lnAcc[q]!;
        grads[off.lnBias + q] = lnAcc[H + q]!;
      }
    }
  }

  tangent(x: A, B: number, T: number, dir: A, v: A, hidden?: A): void {
    checkBatch(B, T, this.maxBatch, this.maxT);
    const { kernels: k, D, H, G, ln, off, params, gates, hs, rh, xhat, invStd, zeros, work, tpre } = this;
    const H2 = 2 * H;
    this.trained = null;
    copyN(x, this.X, T * B * D);
    copyN(dir, this.dir, this.layout.size);
    const dp = this.dir;
    this.run(B, T, undefined);

    let vp: A = zeros;
    let vn: A = this.vA;
    for (let t = 0; t < T; t++) {
      const go = t * B * G;
      const ho = t * B * H;
      const hpo = t > 0 ? ho - B * H : 0;
      const hp = t > 0 ? hs : zeros;
      // ∂a = x_t ∂W + ∂b (+ v_{t-1} U_{z,r} + h_{t-1} ∂U_{z,r})
      k.gemmNN(B, G, D, this.X, t * B * D, D, dp, off.W, G, tpre, 0, G, 0);
      addRowBias(B, G, tpre, 0, G, dp, off.b);
      if (t > 0) {
        k.gemmNN(B, H2, H, vp, 0, H, params, off.U, G, tpre, 0, G, 1);
        k.gemmNN(B, H2, H, hs, hpo, H, dp, off.U, G, tpre, 0, G, 1);
      }
      // ∂z, ∂r, ∂(r ⊙ h_{t-1}) = ∂r h_{t-1} + r v_{t-1}
      for (let b = 0; b < B; b++) {
        const gb = go + b * G;
        const tb = b * G;
        const hb = b * H;
        for (let q = 0; q < H; q++) {
          const z = gates[gb + q]!;
          const r = gates[gb + H + q]!;
          tpre[tb + q] = z * (1 - z) * tpre[tb + q]!;
          const dr = r * (1 - r) * tpre[tb + H + q]!;
          work[hb + q] = dr * hp[hpo + hb + q]! + r * vp[hb + q]!;
        }
      }
      if (t > 0) {
        k.gemmNN(B, H, H, work, 0, H, params, off.U + H2, G, tpre, H2, G, 1);
        k.gemmNN(B, H, H, rh, ho, H, dp, off.U + H2, G, tpre, H2, G, 1);
      }
      if (ln) {
        for (let b = 0; b < B; b++) {
          const tg = b * G + H2;
          layerNormTangent(1, H, tpre, tg, xhat, ho + b * H, invStd, t * B + b, params, off.lnGain,
            dp, off.lnGain, dp, off.lnBias, tpre, tg);
        }
      }
      // v_t = (1-z) v_{t-1} + ∂z (g - h_{t-1}) + z (1-g²) ∂(LN output)
      for (let b = 0; b < B; b++) {
        const gb = go + b * G;
        const tb = b * G;
        const hb = b * H;
        for (let q = 0; q < H; q++) {
          const z = gates[gb + q]!;
          const g = gates[gb + H2 + q]!;
          const val = (1 - z) * vp[hb + q]! + tpre[tb + q]! * (g - hp[hpo + hb + q]!)
            + z * (1 - g * g) * tpre[tb + H2 + q]!;
          vn[hb + q] = val;
          v[ho + hb + q] = val;
        }
      }
      vp = vn;
      vn = vn === this.vA ? this.vB : this.vA;
    }
    if (hidden) copyN(hs, hidden, T * B * H);
  }
}
