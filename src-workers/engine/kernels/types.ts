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
}
