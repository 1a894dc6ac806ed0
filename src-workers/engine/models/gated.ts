/**
 * The single-gate cells const / shared / diag (SCIENCE.md §2), with the
 * recorded diagonal Jacobian terms (§4.1), backpropagation through time and
 * the forward-mode tangent pass (§5).
 *
 *   a_t = x_t W_x + b_x + h_{t-1} W_h          (pre-activation, [B×H])
 *   h̃_t = tanh(LN(a_t))
 *   p_t = x_t W_s + b_s + h_{t-1} U_s,  s_t = σ(p_t)     ([B×G], G = 1 shared, H diag)
 *   s_t = const_s                                          (const, G = 0)
 *   h_t = (1 - s_t) h_{t-1} + s_t h̃_t = h_{t-1} + s_t (h̃_t - h_{t-1})
 *   ŷ_t = h_t W_out + b_out
 *
 * Memory (allocated once, all with kernels.alloc, for maxBatch × maxT):
 *  - training caches, time-major: x [T][B][D]; h [T+1][B][H] (block 0 is
 *    h_{-1} = 0, so blocks 0..T-1 are h_{t-1} and 1..T are h_t, each one
 *    contiguous [T·B × H] matrix); h̃ [T][B][H]; x̂ [T][B][H] and 1/std [T][B]
 *    (LayerNorm only); s [T][B][G]; ∂L/∂ŷ [T][B].
 *    backward() overwrites the h̃ cache with ∂L/∂a_t and the s cache with
 *    ∂L/∂p_t, so that the weight gradients are a handful of [T·B]-row gemmTN
 *    at the end and no extra [T][B][H] buffer is needed. The caches are
 *    therefore consumed: one backward() per forward(train: true).
 *  - per-step buffers [B][·] for evaluation (train: false) and tangent(),
 *    which never touch the training caches: an evaluation forward or a
 *    tangent pass between forward(train) and backward() is harmless.
 * Caller arrays (x, ŷ, ∂L/∂ŷ, dir, record, hidden, v) are only read or
 * written by plain loops and copied into kernel-owned buffers when a kernel
 * needs them, so they need not live in a WASM module's memory.
 */
import type { FloatArray } from '../kernels/types';
import { layerNormBackward, layerNormForward, layerNormTangent } from './layernorm';
import { buildLayout, type TensorDecl } from './params';
import type { ForwardOptions, Model, ModelOptions, ModelShape, ParamLayout } from './types';

type GatedArch = 'const' | 'shared' | 'diag';

function isGated(arch: string): arch is GatedArch {
  return arch === 'const' || arch === 'shared' || arch === 'diag';
}

/** Width of the gate: 0 (const, fixed s), 1 (shared scalar), H (diag). */
export function gateWidth(shape: ModelShape): number {
  return shape.arch === 'diag' ? shape.H : shape.arch === 'shared' ? 1 : 0;
}

/**
 * Parameter layout ("in × out", row-major):
 * W_x [D×H], b_x [1×H], W_h [H×H], (ln_gain, ln_bias [1×H] with LayerNorm),
 * shared: w_s [D×1], u_s [H×1], b_s [1×1]; diag: W_s [D×H], U_s [H×H], b_s [1×H];
 * W_out [H×1], b_out [1×1].
 */
export function gatedLayout(shape: ModelShape): ParamLayout {
  const { D, H } = shape;
  const decls: TensorDecl[] = [
    { name: 'W_x', rows: D, cols: H, init: 'uniform', fanIn: D, orth: true },
    { name: 'b_x', rows: 1, cols: H, init: 'zero' },
    { name: 'W_h', rows: H, cols: H, init: 'uniform', fanIn: H, orth: true },
  ];
  if (shape.layernorm) {
    decls.push({ name: 'ln_gain', rows: 1, cols: H, init: 'one' });
    decls.push({ name: 'ln_bias', rows: 1, cols: H, init: 'zero' });
  }
  if (shape.arch === 'shared') {
    decls.push({ name: 'w_s', rows: D, cols: 1, init: 'zero' });
    decls.push({ name: 'u_s', rows: H, cols: 1, init: 'zero' });
    decls.push({ name: 'b_s', rows: 1, cols: 1, init: 'logit' });
  } else if (shape.arch === 'diag') {
    decls.push({ name: 'W_s', rows: D, cols: H, init: 'zero' });
    decls.push({ name: 'U_s', rows: H, cols: H, init: 'zero' });
    decls.push({ name: 'b_s', rows: 1, cols: H, init: 'logit' });
  }
  decls.push({ name: 'W_out', rows: H, cols: 1, init: 'uniform', fanIn: H, orth: true });
  decls.push({ name: 'b_out', rows: 1, cols: 1, init: 'zero' });
  return buildLayout(decls);
}

function positiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`gated model: ${name} must be a positive integer, got ${v}`);
}

export function createGatedModel<A extends FloatArray>(shape: ModelShape, opts: ModelOptions<A>): Model<A> {
  const { arch, D, H, constS } = shape;
  if (!isGated(arch)) throw new Error(`createGatedModel: unsupported architecture '${arch}'`);
  positiveInt('D', D);
  positiveInt('H', H);
  positiveInt('maxBatch', opts.maxBatch);
  positiveInt('maxT', opts.maxT);
  if (!(constS >= 0 && constS <= 1)) throw new RangeError(`gated model: constS must lie in [0, 1], got ${constS}`);

  const ln = shape.layernorm;
  const G = gateWidth(shape);
  const Gb = Math.max(G, 1); // buffer width (const has no gate buffers worth the name)
  const k = opts.kernels;
  const { maxBatch, maxT } = opts;
  const layout = gatedLayout(shape);
  const params = k.alloc(layout.size);
  const grads = k.alloc(layout.size);

  const off = (name: string): number => layout.byName[name]?.offset ?? -1;
  const oWx = off('W_x'), oBx = off('b_x'), oWh = off('W_h');
  const oG = off('ln_gain'), oBeta = off('ln_bias');
  const oWs = off(arch === 'shared' ? 'w_s' : 'W_s');
  const oUs = off(arch === 'shared' ? 'u_s' : 'U_s');
  const oBs = off('b_s');
  const oWout = off('W_out'), oBout = off('b_out');

  // ---- training caches (time-major) ----
  const N = maxT * maxBatch;
  const xC = k.alloc(N * D);
  const hC = k.alloc((maxT + 1) * maxBatch * H);
  const aC = k.alloc(N * H); // h̃_t; ∂L/∂a_t after backward
  const xhatC = k.alloc(ln ? N * H : 1);
  const isC = k.alloc(ln ? N : 1);
  const sC = k.alloc(G > 0 ? N * G : 1); // s_t; ∂L/∂p_t after backward
  const dyC = k.alloc(N);

  // ---- per-step buffers ----
  const BH = maxBatch * H;
  const xS = k.alloc(maxBatch * D);
  const hS0 = k.alloc(BH), hS1 = k.alloc(BH);
  const aS = k.alloc(BH);
  const xhatS = k.alloc(ln ? BH : 1);
  const isS = k.alloc(ln ? maxBatch : 1);
  const sS = k.alloc(maxBatch * Gb);
  const yS = k.alloc(maxBatch);
  const carry = k.alloc(BH); // ∂L/∂h_{t-1} flowing back in time
  const vS0 = k.alloc(BH), vS1 = k.alloc(BH);
  const daS = k.alloc(BH); // tangent of a_t, then of LN(a_t)
  const dpS = k.alloc(maxBatch * Gb); // tangent of p_t
  const dirBuf = k.alloc(layout.size);
  const colSum = new Float64Array(Math.max(H, 1)); // float64 reduction scratch (never passed to a kernel)

  let lastB = 0;
  let lastT = 0;
  let cacheValid = false;

  function checkSizes(B: number, T: number): void {
    if (!Number.isInteger(B) || B < 1 || B > maxBatch) throw new RangeError(`gated model: batch ${B} outside 1..${maxBatch}`);
    if (!Number.isInteger(T) || T < 1 || T > maxT) throw new RangeError(`gated model: T ${T} outside 1..${maxT}`);
  }

  /**
   * h̃_t into a (in place over the pre-activation) and s_t into s, from x_t
   * and h_{t-1} (h_{t-1} = 0 when `first`, so its products are skipped).
   */
  function candidate(
    B: number, first: boolean,
    xA: A, xO: number, hpA: A, hpO: number,
    aA: A, aO: number, xhA: A, xhO: number, isA: A, isO: number,
    sA: A, sO: number,
  ): void {
    k.gemmNN(B, H, D, xA, xO, D, params, oWx, H, aA, aO, H, 0);
    if (!first) k.gemmNN(B, H, H, hpA, hpO, H, params, oWh, H, aA, aO, H, 1);
    for (let b = 0; b < B; b++) {
      const r = aO + b * H;
      for (let q = 0; q < H; q++) aA[r + q] += params[oBx + q]!;
    }
    if (ln) layerNormForward(B, H, aA, aO, params, oG, params, oBeta, aA, aO, xhA, xhO, isA, isO);
    k.tanh(aA, aO, aA, aO, B * H);
    if (G > 0) {
      k.gemmNN(B, G, D, xA, xO, D, params, oWs, G, sA, sO, G, 0);
      if (!first) k.gemmNN(B, G, H, hpA, hpO, H, params, oUs, G, sA, sO, G, 1);
      for (let b = 0; b < B; b++) {
        const r = sO + b * G;
        for (let g = 0; g < G; g++) sA[r + g] += params[oBs + g]!;
      }
      k.sigmoid(sA, sO, sA, sO, B * G);
    }
  }

  /** diag(W_h)[q] and ũ_s[q] of §4.1 (ũ_s = u_s for shared, diag(U_s) for diag, 0 for const). */
  function whDiag(q: number): number {
    return params[oWh + q * H + q]!;
  }
  function usDiag(q: number): number {
    if (G === 0) return 0;
    return G === 1 ? params[oUs + q]! : params[oUs + q * H + q]!;
  }

  function forward(x: A, B: number, T: number, yhat: A, fo: ForwardOptions<A>): void {
    checkSizes(B, T);
    const train = fo.train;
    const rec = fo.record;
    const leak = rec ? rec['leak'] : undefined;
    const rdiag = rec ? rec['rdiag'] : undefined;
    if (rec && (!leak || !rdiag)) throw new Error(`gated model: record needs 'leak' and 'rdiag' arrays`);
    const hidden = fo.hidden;
    const bOut = params[oBout]!;
    const xLen = B * D;
    const stepH = B * H;

    if (train) {
      cacheValid = false;
      for (let i = 0; i < T * xLen; i++) xC[i] = x[i]!;
      hC.fill(0, 0, stepH); // h_{-1} = 0
    }

    for (let t = 0; t < T; t++) {
      const first = t === 0;
      let xA: A, xO: number, hpA: A, hpO: number, hA: A, hO: number, aA: A, aO: number;
      let xhA: A, xhO: number, isA: A, isO: number, sA: A, sO: number;
      if (train) {
        xA = xC; xO = t * xLen;
        hpA = hC; hpO = t * stepH;
        hA = hC; hO = (t + 1) * stepH;
        aA = aC; aO = t * stepH;
        xhA = xhatC; xhO = ln ? t * stepH : 0;
        isA = isC; isO = ln ? t * B : 0;
        sA = sC; sO = G > 0 ? t * B * G : 0;
      } else {
        const xo = t * xLen;
        for (let i = 0; i < xLen; i++) xS[i] = x[xo + i]!;
        xA = xS; xO = 0;
        hpA = (t & 1) === 0 ? hS1 : hS0; hpO = 0;
        hA = (t & 1) === 0 ? hS0 : hS1; hO = 0;
        aA = aS; aO = 0;
        xhA = xhatS; xhO = 0;
        isA = isS; isO = 0;
        sA = sS; sO = 0;
      }
      candidate(B, first, xA, xO, hpA, hpO, aA, aO, xhA, xhO, isA, isO, sA, sO);

      // h_t = h_{t-1} + s (h̃ - h_{t-1}), with the §4.1 terms when asked.
      const outO = t * stepH;
      for (let b = 0; b < B; b++) {
        const sb = G === 1 ? sA[sO + b]! : constS;
        const r = b * H;
        for (let q = 0; q < H; q++) {
          const sv = G > 1 ? sA[sO + r + q]! : sb;
          const ht = aA[aO + r + q]!;
          const hp = first ? 0 : hpA[hpO + r + q]!;
          const h = hp + sv * (ht - hp);
          hA[hO + r + q] = h;
          if (hidden) hidden[outO + r + q] = h;
          if (leak) {
            leak[outO + r + q] = 1 - sv;
            rdiag![outO + r + q] = sv * (1 - ht * ht) * whDiag(q) + (ht - hp) * sv * (1 - sv) * usDiag(q);
          }
        }
      }

      k.gemmNN(B, 1, H, hA, hO, H, params, oWout, 1, yS, 0, 1, 0);
      const yo = t * B;
      for (let b = 0; b < B; b++) yhat[yo + b] = yS[b]! + bOut;
    }

    if (train) {
      lastB = B;
      lastT = T;
      cacheValid = true;
    }
  }

  /** grads[o + c] = Σ_rows m[r·cols + c], accumulated in float64. */
  function columnSums(m: A, rows: number, cols: number, o: number): void {
    colSum.fill(0, 0, cols);
    for (let r = 0; r < rows; r++) {
      const ro = r * cols;
      for (let c = 0; c < cols; c++) colSum[c] += m[ro + c]!;
    }
    for (let c = 0; c < cols; c++) grads[o + c] = colSum[c]!;
  }

  function backward(dyhat: A): void {
    if (!cacheValid) throw new Error('gated model: backward() needs a preceding forward(train: true) (the caches are consumed by backward)');
    cacheValid = false;
    const B = lastB, T = lastT;
    const TB = T * B;
    const stepH = B * H;
    grads.fill(0);
    for (let i = 0; i < TB; i++) dyC[i] = dyhat[i]!;
    carry.fill(0, 0, stepH);

    for (let t = T - 1; t >= 0; t--) {
      const hpO = t * stepH;
      const aO = t * stepH;
      const sO = t * B * G;
      const first = t === 0;
      // dh = carry + dŷ_t W_outᵀ; split into the candidate, gate and leak paths.
      for (let b = 0; b < B; b++) {
        const dy = dyC[t * B + b]!;
        const sb = G === 1 ? sC[sO + b]! : constS;
        const r = b * H;
        let dsAcc = 0;
        for (let q = 0; q < H; q++) {
          const i = r + q;
          const dh = carry[i]! + dy * params[oWout + q]!;
          const sv = G > 1 ? sC[sO + i]! : sb;
          const ht = aC[aO + i]!;
          const hp = first ? 0 : hC[hpO + i]!;
          aC[aO + i] = dh * sv * (1 - ht * ht); // ∂L/∂(LN(a_t)) (before LN backward)
          if (G > 1) sC[sO + i] = dh * (ht - hp) * sv * (1 - sv); // ∂L/∂p_t
          else if (G === 1) dsAcc += dh * (ht - hp);
          carry[i] = dh * (1 - sv);
        }
        if (G === 1) sC[sO + b] = dsAcc * sb * (1 - sb);
      }
      if (ln) {
        layerNormBackward(B, H, aC, aO, xhatC, aO, isC, t * B, params, oG, grads, oG, grads, oBeta, aC, aO);
      }
      if (!first) {
        k.gemmNT(B, H, H, aC, aO, H, params, oWh, H, carry, 0, H, 1);
        if (G > 0) k.gemmNT(B, H, G, sC, sO, G, params, oUs, G, carry, 0, H, 1);
      }
    }

    // Weight gradients over all T·B rows at once (rows of block 0 of hC are h_{-1} = 0).
    k.gemmTN(D, H, TB, xC, 0, D, aC, 0, H, grads, oWx, H, 0);
    k.gemmTN(H, H, TB, hC, 0, H, aC, 0, H, grads, oWh, H, 0);
    columnSums(aC, TB, H, oBx);
    if (G > 0) {
      k.gemmTN(D, G, TB, xC, 0, D, sC, 0, G, grads, oWs, G, 0);
      k.gemmTN(H, G, TB, hC, 0, H, sC, 0, G, grads, oUs, G, 0);
      columnSums(sC, TB, G, oBs);
    }
    k.gemmTN(H, 1, TB, hC, stepH, H, dyC, 0, 1, grads, oWout, 1, 0);
    columnSums(dyC, TB, 1, oBout);
  }

  function tangent(x: A, B: number, T: number, dir: A, v: A, hidden?: A): void {
    checkSizes(B, T);
    if (dir.length < layout.size) throw new RangeError(`gated model: dir has ${dir.length} entries, layout needs ${layout.size}`);
    for (let i = 0; i < layout.size; i++) dirBuf[i] = dir[i]!;
    const xLen = B * D;
    const stepH = B * H;

    for (let t = 0; t < T; t++) {
      const first = t === 0;
      const xo = t * xLen;
      for (let i = 0; i < xLen; i++) xS[i] = x[xo + i]!;
      const hp = (t & 1) === 0 ? hS1 : hS0;
      const hc = (t & 1) === 0 ? hS0 : hS1;
      const vp = (t & 1) === 0 ? vS1 : vS0;
      const vc = (t & 1) === 0 ? vS0 : vS1;
      candidate(B, first, xS, 0, hp, 0, aS, 0, xhatS, 0, isS, 0, sS, 0);

      // da = x dW_x + db_x + h_{t-1} dW_h + v_{t-1} W_h, then through LayerNorm.
      k.gemmNN(B, H, D, xS, 0, D, dirBuf, oWx, H, daS, 0, H, 0);
      if (!first) {
        k.gemmNN(B, H, H, hp, 0, H, dirBuf, oWh, H, daS, 0, H, 1);
        k.gemmNN(B, H, H, vp, 0, H, params, oWh, H, daS, 0, H, 1);
      }
      for (let b = 0; b < B; b++) {
        const r = b * H;
        for (let q = 0; q < H; q++) daS[r + q] += dirBuf[oBx + q]!;
      }
      if (ln) layerNormTangent(B, H, daS, 0, xhatS, 0, isS, 0, params, oG, dirBuf, oG, dirBuf, oBeta, daS, 0);
      // dp = x dW_s + db_s + h_{t-1} dU_s + v_{t-1} U_s
      if (G > 0) {
        k.gemmNN(B, G, D, xS, 0, D, dirBuf, oWs, G, dpS, 0, G, 0);
        if (!first) {
          k.gemmNN(B, G, H, hp, 0, H, dirBuf, oUs, G, dpS, 0, G, 1);
          k.gemmNN(B, G, H, vp, 0, H, params, oUs, G, dpS, 0, G, 1);
        }
        for (let b = 0; b < B; b++) {
          const r = b * G;
          for (let g = 0; g < G; g++) dpS[r + g] += dirBuf[oBs + g]!;
        }
      }

      // v_t = (1-s) v_{t-1} + s (1-h̃²) dLN + s(1-s) dp (h̃ - h_{t-1})   (§5)
      const outO = t * stepH;
      for (let b = 0; b < B; b++) {
        const sb = G === 1 ? sS[b]! : constS;
        const dsb = G === 1 ? sb * (1 - sb) * dpS[b]! : 0;
        const r = b * H;
        for (let q = 0; q < H; q++) {
          const i = r + q;
          const sv = G > 1 ? sS[i]! : sb;
          const ds = G > 1 ? sv * (1 - sv) * dpS[i]! : dsb;
          const ht = aS[i]!;
          const hprev = first ? 0 : hp[i]!;
          const vprev = first ? 0 : vp[i]!;
          const h = hprev + sv * (ht - hprev);
          const vn = vprev * (1 - sv) + sv * (1 - ht * ht) * daS[i]! + ds * (ht - hprev);
          hc[i] = h;
          vc[i] = vn;
          v[outO + i] = vn;
          if (hidden) hidden[outO + i] = h;
        }
      }
    }
  }

  return {
    shape,
    layout,
    kernels: k,
    maxBatch,
    maxT,
    params,
    grads,
    forward,
    backward,
    tangent,
  };
}
