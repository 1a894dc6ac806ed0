// Exports of the f32x4 kernel module. Pointers are byte addresses in the
// (imported, fixed-size) linear memory; leading dimensions are in floats.
// The JS side (../wasm-kernels.ts) validates every argument before calling.
import { gemmCore, transpose, zero, KC_NN, KC_NT, KC_TN } from './gemm';
export { setPackScratch } from './gemm';
import { sigmoidN, tanhN } from './activations';
export { addRowBiasK as addRowBias, sumRowsK as sumRows } from './rows';
export { lnForwardK as layerNormForward, lnBackwardK as layerNormBackward, lnTangentK as layerNormTangent } from './layernorm';
export {
  gatedForwardK as gatedForward, gatedBackwardK as gatedBackward, gatedTangentK as gatedTangent,
  gruGatesK as gruGates, gruCellK as gruCell, gruCellBackwardK as gruCellBackward,
  gruResetBackwardK as gruResetBackward, gruTangentGatesK as gruTangentGates, gruTangentCellK as gruTangentCell,
  lstmForwardK as lstmForward, lstmBackwardK as lstmBackward, lstmTangentK as lstmTangent,
} from './cells';

/** First byte after the module's static data: the JS arena starts above it. */
export function heapBase(): usize {
  return __heap_base;
}

let scratch: usize = 0;
let scratchFloats: i32 = 0;

/** Scratch region for gemmNT's transposed B blocks (owned by the JS side). */
export function setScratch(ptr: usize, floats: i32): void {
  scratch = ptr;
  scratchFloats = floats;
}

/** C[m×n] = beta·C + A[m×k] · B[k×n] */
export function gemmNN(m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32,
  c: usize, ldc: i32, beta: i32): void {
  gemmCore(m, n, k, a, <usize>lda << 2, 4, b, <usize>ldb << 2, c, <usize>ldc << 2, beta, KC_NN);
}

/** C[m×n] = beta·C + A[k×m]ᵀ · B[k×n] */
export function gemmTN(m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32,
  c: usize, ldc: i32, beta: i32): void {
  gemmCore(m, n, k, a, 4, <usize>lda << 2, b, <usize>ldb << 2, c, <usize>ldc << 2, beta, KC_TN);
}

/**
 * C[m×n] = beta·C + A[m×k] · B[n×k]ᵀ: B is transposed block by block
 * (kc×nc ≤ scratch) into the scratch and fed to the NN core; the k-blocks
 * run in increasing order, so the summation order is the NN one.
 */
export function gemmNT(m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32,
  c: usize, ldc: i32, beta: i32): void {
  if (m <= 0 || n <= 0) return;
  const ldc4 = <usize>ldc << 2, lda4 = <usize>lda << 2, ldb4 = <usize>ldb << 2;
  if (k <= 0) {
    if (beta == 0) zero(m, n, c, ldc4);
    return;
  }
  const kcMax = min(k, KC_NT);
  // column block: a multiple of 8 that fits (rows padded to 4 floats)
  let ncMax = (scratchFloats / kcMax) & ~7;
  if (ncMax > n) ncMax = n;
  for (let p0 = 0; p0 < k; p0 += kcMax) {
    const kc = min(kcMax, k - p0);
    for (let j0 = 0; j0 < n; j0 += ncMax) {
      const nc = min(ncMax, n - j0);
      const lds = <usize>((nc + 3) & ~3) << 2;
      transpose(nc, kc, b + <usize>j0 * ldb4 + (<usize>p0 << 2), ldb4, scratch, lds);
      gemmCore(m, nc, kc, a + (<usize>p0 << 2), lda4, 4, scratch, lds, c + (<usize>j0 << 2), ldc4,
        beta != 0 || p0 > 0 ? 1 : 0, kcMax);
    }
  }
}

/** out[i] = σ(x[i]) */
export function sigmoid(x: usize, out: usize, n: i32): void {
  sigmoidN(x, out, n);
}

/** out[i] = tanh(x[i]) */
export function tanh(x: usize, out: usize, n: i32): void {
  tanhN(x, out, n);
}
