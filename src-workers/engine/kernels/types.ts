/**
 * The dense kernels every model is written against (DESIGN.md §3: backends
 * implement the same small set of named kernels).
 *
 * Matrices are row-major and addressed as (array, offset, leading dimension),
 * so a kernel can work on a block of a larger buffer (for instance the rows of
 * one time step in a time-major [T][B][H] cache) without copying.
 *
 * Two implementations:
 *  - `ts`   plain TypeScript, generic over Float32Array/Float64Array: the
 *           reference path, used in float64 for the finite-difference tests;
 *  - `wasm` WebAssembly SIMD (f32x4) built from AssemblyScript: the fast path
 *           for float32 training. Its arrays must come from its own `alloc`,
 *           because they have to live in the module's linear memory.
 */
export type FloatArray = Float32Array | Float64Array;
export type Precision = 'f32' | 'f64';

export interface Kernels<A extends FloatArray = FloatArray> {
  readonly name: string;
  readonly precision: Precision;

  /** A zero-filled array of n floats that this backend's kernels can address. */
  alloc(n: number): A;

  /** C[m×n] = beta·C + A[m×k] · B[k×n]   (beta is 0 or 1) */
  gemmNN(m: number, n: number, k: number,
    a: A, aOff: number, lda: number,
    b: A, bOff: number, ldb: number,
    c: A, cOff: number, ldc: number, beta: 0 | 1): void;

  /** C[m×n] = beta·C + A[m×k] · B[n×k]ᵀ */
  gemmNT(m: number, n: number, k: number,
    a: A, aOff: number, lda: number,
    b: A, bOff: number, ldb: number,
    c: A, cOff: number, ldc: number, beta: 0 | 1): void;

  /** C[m×n] = beta·C + A[k×m]ᵀ · B[k×n] */
  gemmTN(m: number, n: number, k: number,
    a: A, aOff: number, lda: number,
    b: A, bOff: number, ldb: number,
    c: A, cOff: number, ldc: number, beta: 0 | 1): void;

  /** out[i] = σ(x[i]) for i < n (in place allowed: same array and offset). */
  sigmoid(x: A, xOff: number, out: A, outOff: number, n: number): void;

  /** out[i] = tanh(x[i]) for i < n (in place allowed). */
  tanh(x: A, xOff: number, out: A, outOff: number, n: number): void;

  // ---- fused element-wise kernels (reference loops: ./ts-cells.ts) ----
  //
  // Conventions: a "row" is one sequence of the batch at one time step. Rows
  // of a [·][H] array are H apart; rows of a gate array [·][nG·H] are nG·H
  // apart, with the gate blocks side by side (models/types.ts). Each (array,
  // offset) pair addresses row 0. Outputs never overlap inputs unless a kernel
  // says it works in place. Reductions accumulate in float64.

  /** out[outOff + r·ld + j] += bias[biasOff + j]   (r < rows, j < n) */
  addRowBias(rows: number, n: number, out: A, outOff: number, ld: number, bias: A, biasOff: number): void;

  /** dst[dstOff + j] = Σ_r src[srcOff + r·ld + j]   (j < n), summed in float64 over r in order */
  sumRows(rows: number, n: number, src: A, srcOff: number, ld: number, dst: A, dstOff: number): void;

  /**
   * LayerNorm in place over `rows` rows of H (row r at x[xOff + r·ldx]),
   * SCIENCE.md §2: x ← gain ⊙ x̂ + bias, x̂ = (x − mean)/sqrt(var + 1e-5)
   * (biased variance); keeps x̂ ([rows][H] at xhatOff) and 1/std ([rows] at
   * invStdOff) for backward and tangent. gain and bias are p[gainOff..],
   * p[biasOff..].
   */
  layerNormForward(rows: number, H: number, x: A, xOff: number, ldx: number,
    xhat: A, xhatOff: number, invStd: A, invStdOff: number, p: A, gainOff: number, biasOff: number): void;

  /**
   * LayerNorm backward in place: given d = ∂L/∂y (rows as in forward), writes
   * d ← ∂L/∂x = (1/std)(d̃ − mean(d̃) − x̂·mean(d̃ ⊙ x̂)), d̃ = gain ⊙ d, and the
   * parameter gradients of THESE rows (overwritten, not accumulated):
   * dp[dGainOff + q] = Σ_r d_rq x̂_rq, dp[dBiasOff + q] = Σ_r d_rq.
   */
  layerNormBackward(rows: number, H: number, d: A, dOff: number, ldd: number,
    xhat: A, xhatOff: number, invStd: A, invStdOff: number, p: A, gainOff: number,
    dp: A, dGainOff: number, dBiasOff: number): void;

  /**
   * LayerNorm tangent in place: given d = the tangent of x, writes
   * d ← gain ⊙ dx̂ + dGain ⊙ x̂ + dBias, dx̂ = (1/std)(d − mean(d) − x̂·mean(d ⊙ x̂)),
   * with the parameter tangents dir[dGainOff..], dir[dBiasOff..].
   */
  layerNormTangent(rows: number, H: number, d: A, dOff: number, ldd: number,
    xhat: A, xhatOff: number, invStd: A, invStdOff: number, p: A, gainOff: number,
    dir: A, dGainOff: number, dBiasOff: number): void;

  // const / shared / diag cell (models/gated.ts). a: [B][H] candidate
  // pre-activations (LayerNormed when on), s: [B][G] gate pre-activations
  // (bias included), G = 0 (const: s = constS), 1 (shared) or H (diag).

  /**
   * a ← h̃ = tanh(a), s ← σ(s) in place; h = hp + s ⊙ (h̃ − hp);
   * y[yOff + b] = Σ_q h_bq wOut[wOff + q] + bOut.
   */
  gatedForward(B: number, H: number, G: number, constS: number, a: A, aOff: number, s: A, sOff: number,
    hp: A, hpOff: number, h: A, hOff: number, wOut: A, wOff: number, bOut: number, y: A, yOff: number): void;

  /**
   * Backward of gatedForward (a, s hold h̃, s): dh = carry + dy_b·wOut;
   * a ← dh ⊙ s ⊙ (1 − h̃²) (∂ of the tanh input); s ← ∂p: dh ⊙ (h̃ − hp) ⊙ s(1 − s)
   * (diag) or s(1 − s)·Σ_q dh_q (h̃_q − hp_q) (shared); carry ← dh ⊙ (1 − s).
   */
  gatedBackward(B: number, H: number, G: number, constS: number, a: A, aOff: number, s: A, sOff: number,
    hp: A, hpOff: number, dy: A, dyOff: number, wOut: A, wOff: number, carry: A, carryOff: number): void;

  /**
   * Tangent (a, s hold h̃, s; da the tangent of the tanh input, dp of the gate
   * pre-activation): v = (1 − s) vp + s(1 − h̃²) da + s(1 − s) dp (h̃ − hp)   (§5).
   */
  gatedTangent(B: number, H: number, G: number, constS: number, a: A, aOff: number, s: A, sOff: number,
    hp: A, hpOff: number, vp: A, vpOff: number, da: A, daOff: number, dp: A, dpOff: number, v: A, vOff: number): void;

  // GRU (models/gru.ts): gate rows [B][3H], blocks z, r, g.

  /** z, r ← σ(·) in place; rh = r ⊙ hp. */
  gruGates(B: number, H: number, gates: A, gOff: number, hp: A, hpOff: number, rh: A, rhOff: number): void;

  /** g ← tanh(·) in place (after LayerNorm); h = hp + z ⊙ (g − hp). */
  gruCell(B: number, H: number, gates: A, gOff: number, hp: A, hpOff: number, h: A, hOff: number): void;

  /**
   * Backward of gruCell: dh = carry + dy_b·wOut; z ← dh ⊙ (g − hp) ⊙ z(1 − z),
   * g ← dh ⊙ z ⊙ (1 − g²) (∂ of the tanh input); carry ← dh ⊙ (1 − z).
   */
  gruCellBackward(B: number, H: number, gates: A, gOff: number, hp: A, hpOff: number,
    dy: A, dyOff: number, wOut: A, wOff: number, carry: A, carryOff: number): void;

  /** Backward of rh = r ⊙ hp given w = ∂L/∂rh: r ← w ⊙ hp ⊙ r(1 − r); carry += w ⊙ r. */
  gruResetBackward(B: number, H: number, gates: A, gOff: number, hp: A, hpOff: number,
    w: A, wOff: number, carry: A, carryOff: number): void;

  /**
   * Tangent of the gates (tp: [B][3H] pre-activation tangents):
   * tp_z ← z(1 − z) tp_z; w = r(1 − r) tp_r ⊙ hp + r ⊙ vp (the tangent of rh).
   */
  gruTangentGates(B: number, H: number, gates: A, gOff: number, hp: A, hpOff: number, vp: A, vpOff: number,
    tp: A, tpOff: number, w: A, wOff: number): void;

  /** v = (1 − z) vp + tp_z ⊙ (g − hp) + z (1 − g²) tp_g (tp_z as left by gruTangentGates). */
  gruTangentCell(B: number, H: number, gates: A, gOff: number, hp: A, hpOff: number, vp: A, vpOff: number,
    tp: A, tpOff: number, v: A, vOff: number): void;

  // LSTM (models/lstm.ts): gate rows [B][4H], blocks i, f, o, g.

  /**
   * i, f, o ← σ(·), g ← tanh(·) in place (g after LayerNorm); c = f ⊙ cp + i ⊙ g,
   * tc = tanh(c), h = o ⊙ tc; c, tc, h are [B][H] at the same offset hOff.
   */
  lstmForward(B: number, H: number, gates: A, gOff: number, cp: A, cpOff: number,
    c: A, tc: A, h: A, hOff: number): void;

  /**
   * Backward of lstmForward: dh = dhc + dy_b·wOut, dc = dcc + dh ⊙ o(1 − tc²);
   * gates ← (dc g i(1−i), dc cp f(1−f), dh tc o(1−o), dc i (1−g²)) (the last: ∂ of
   * the tanh input of g); dcc ← dc ⊙ f. dhc is read only.
   */
  lstmBackward(B: number, H: number, gates: A, gOff: number, cp: A, cpOff: number, tc: A, tcOff: number,
    dy: A, dyOff: number, wOut: A, wOff: number, dhc: A, dhcOff: number, dcc: A, dccOff: number): void;

  /**
   * Tangent (tp: [B][4H] pre-activation tangents, g block after the LayerNorm
   * tangent): dc ← f'tp_f cp + f dc + i'tp_i g + i (1−g²) tp_g (in place, the
   * tangent of c), v = o'tp_o tc + o (1 − tc²) dc, with σ' = σ(1−σ).
   */
  lstmTangent(B: number, H: number, gates: A, gOff: number, cp: A, cpOff: number, tc: A, tcOff: number,
    tp: A, tpOff: number, dc: A, dcOff: number, v: A, vOff: number): void;
}
