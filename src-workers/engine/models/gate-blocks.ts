/**
 * Helpers shared by the gate-block architectures, GRU and LSTM (SCIENCE.md §2).
 *
 * Both store their gates as blocks concatenated along the output axis of one
 * "in × out" matrix (models/types.ts): W [D × nG·H], b [1 × nG·H],
 * U [H × nG·H]; gate k of row i lives in columns k·H .. k·H + H - 1. The same
 * interleaving is used for the time-major gate caches, [T][B][nG·H], so one
 * gemm over all T·B rows computes (or, in backward, consumes) every gate.
 */
import type { FloatArray, Kernels } from '../kernels/types';
import { buildLayout } from './params';
import type { ParamLayout } from './types';

/**
 * Layout of a gate-block RNN with nG gates:
 *   W [D × nG·H]   uniform fanIn D, orthogonal per H-wide gate block
 *   b [1 × nG·H]   uniform fanIn D (the bias of the input map)
 *   U [H × nG·H]   uniform fanIn H, orthogonal per gate block
 *   ln_gain, ln_bias [1 × H]   only with layernorm (ones / zeros)
 *   W_out [H × 1]  uniform fanIn H, orthogonal
 *   b_out [1 × 1]  zero
 */
export function gateBlockLayout(D: number, H: number, nG: number, layernorm: boolean): ParamLayout {
  const G = nG * H;
  return buildLayout([
    { name: 'W', rows: D, cols: G, init: 'uniform', fanIn: D, orth: true, orthBlockCols: H },
    { name: 'b', rows: 1, cols: G, init: 'uniform', fanIn: D },
    { name: 'U', rows: H, cols: G, init: 'uniform', fanIn: H, orth: true, orthBlockCols: H },
    ...(layernorm
      ? [
          { name: 'ln_gain', rows: 1, cols: H, init: 'one' as const },
          { name: 'ln_bias', rows: 1, cols: H, init: 'zero' as const },
        ]
      : []),
    { name: 'W_out', rows: H, cols: 1, init: 'uniform', fanIn: H, orth: true },
    { name: 'b_out', rows: 1, cols: 1, init: 'zero' },
  ]);
}

/** Offsets of the tensors of gateBlockLayout (ln offsets are -1 without layernorm). */
export interface GateBlockOffsets {
  W: number;
  b: number;
  U: number;
  lnGain: number;
  lnBias: number;
  Wout: number;
  bout: number;
}

export function gateBlockOffsets(layout: ParamLayout): GateBlockOffsets {
  const o = (name: string): number => layout.byName[name]?.offset ?? -1;
  return { W: o('W'), b: o('b'), U: o('U'), lnGain: o('ln_gain'), lnBias: o('ln_bias'), Wout: o('W_out'), bout: o('b_out') };
}

/** Reject a batch or length outside the workspaces. */
export function checkBatch(B: number, T: number, maxBatch: number, maxT: number): void {
  if (!Number.isInteger(B) || B < 1 || B > maxBatch) {
    throw new RangeError(`batch size ${B} outside 1..${maxBatch} (maxBatch)`);
  }
  if (!Number.isInteger(T) || T < 1 || T > maxT) {
    throw new RangeError(`sequence length ${T} outside 1..${maxT} (maxT)`);
  }
}

/** dst[i] = src[i] for i < n (through plain loops: the arrays may be of different backends). */
export function copyN(src: FloatArray, dst: FloatArray, n: number): void {
  if (src.length < n || dst.length < n) throw new RangeError(`array shorter than ${n}`);
  for (let i = 0; i < n; i++) dst[i] = src[i]!;
}

/** out[r·ld + j] += bias[j] for r < rows, j < n. */
export function addRowBias(
  rows: number, n: number, out: FloatArray, outOff: number, ld: number, bias: FloatArray, biasOff: number,
): void {
  for (let r = 0; r < rows; r++) {
    const o = outOff + r * ld;
    for (let j = 0; j < n; j++) out[o + j] += bias[biasOff + j]!;
  }
}

/**
 * dst[j] = Σ_r src[off + r·ld + j] for j < n, summed in float64 through the
 * scratch `acc` (length ≥ n).
 */
export function sumRows64(
  rows: number, n: number, src: FloatArray, off: number, ld: number,
  acc: Float64Array, dst: FloatArray, dstOff: number,
): void {
  acc.fill(0, 0, n);
  for (let r = 0; r < rows; r++) {
    const o = off + r * ld;
    for (let j = 0; j < n; j++) acc[j] += src[o + j]!;
  }
  for (let j = 0; j < n; j++) dst[dstOff + j] = acc[j]!;
}

/** Σ_i a[i], i < n, in float64. */
export function sum64(a: FloatArray, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i]!;
  return s;
}

/** In-place σ over n columns of `rows` rows with stride ld (one kernel call when contiguous). */
export function sigmoidRows<A extends FloatArray>(k: Kernels<A>, rows: number, n: number, a: A, off: number, ld: number): void {
  if (ld === n) {
    k.sigmoid(a, off, a, off, rows * n);
    return;
  }
  for (let r = 0; r < rows; r++) k.sigmoid(a, off + r * ld, a, off + r * ld, n);
}

/** In-place tanh over n columns of `rows` rows with stride ld. */
export function tanhRows<A extends FloatArray>(k: Kernels<A>, rows: number, n: number, a: A, off: number, ld: number): void {
  if (ld === n) {
    k.tanh(a, off, a, off, rows * n);
    return;
  }
  for (let r = 0; r < rows; r++) k.tanh(a, off + r * ld, a, off + r * ld, n);
}

/**
 * out[q] = diag(U_k)[q] = U[uOff + q·ld + k·H + q]: the diagonal of gate
 * block k of a concatenated [H × ld] matrix (models/types.ts).
 */
export function blockDiag(U: FloatArray, uOff: number, ld: number, k: number, H: number, out: Float64Array): void {
  for (let q = 0; q < H; q++) out[q] = U[uOff + q * ld + k * H + q]!;
}

/** C[m×n] = Aᵀ·B over k rows, or zeros when k = 0 (T = 1 leaves no h_{t-1} ≠ 0). */
export function gemmTNOrZero<A extends FloatArray>(
  kn: Kernels<A>, m: number, n: number, k: number,
  a: A, aOff: number, lda: number, b: A, bOff: number, ldb: number, c: A, cOff: number, ldc: number,
): void {
  if (k > 0) {
    kn.gemmTN(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, 0);
    return;
  }
  for (let i = 0; i < m; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + n);
}

/** The named recorded arrays, or an error naming the missing one. */
export function recordArrays<A extends FloatArray>(record: Record<string, A>, names: readonly string[], n: number): A[] {
  return names.map((name) => {
    const a = record[name];
    if (!a) throw new Error(`record: missing array '${name}'`);
    if (a.length < n) throw new RangeError(`record: '${name}' has ${a.length} entries, needs ${n}`);
    return a;
  });
}
