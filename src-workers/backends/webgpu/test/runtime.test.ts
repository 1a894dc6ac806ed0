import { describe, expect, it } from 'vitest';
import { Rng } from '../../../engine/rng';
import { reductions } from '../reductions';
import { createStorage, Kernel, readRegions, writeFloats } from '../runtime';
import { testGpu } from './gpu-test-context';

const { ctx } = await testGpu();

function randn(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r.gaussian();
  return a;
}

/** ‖a − b‖ / ‖b‖ in float64 */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, n = 0;
  for (let i = 0; i < b.length; i++) { d += (a[i]! - b[i]!) ** 2; n += b[i]! ** 2; }
  return Math.sqrt(d / n);
}

describe.skipIf(!ctx)('webgpu runtime and reductions (software adapter in CI)', () => {
  const g = ctx!;

  it('round-trips floats and reads several regions in one map', async () => {
    const buf = createStorage(g, 10, 't');
    writeFloats(g, buf, new Float64Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    const a = new Float32Array(3), b = new Float64Array(4);
    await readRegions(g, [{ buf, off: 2, n: 3, into: a }, { buf, off: 7, n: 3, into: b, intoOff: 1 }]);
    expect([...a]).toEqual([3, 4, 5]);
    expect([...b]).toEqual([0, 8, 9, 10]);
    buf.destroy();
  });

  it('gemmTN, colSums and colDots agree with float64 sums over a strided block of rows', async () => {
    const rows = 700, lda = 9, ldb = 13, m = 5, n = 11, aOff = 2, bOff = 1;
    const A = randn(rows * lda + aOff, 1), Bm = randn(rows * ldb + bOff, 2);
    const ab = createStorage(g, A.length, 'A'), bb = createStorage(g, Bm.length, 'B');
    const cb = createStorage(g, 3 * n + m * n, 'C');
    writeFloats(g, ab, A); writeFloats(g, bb, Bm);
    const C0 = randn(m * n, 3);
    writeFloats(g, cb, C0, 0, m * n, 3 * n);
    const red = reductions(g);
    const enc = g.device.createCommandEncoder();
    red.gemmTN(enc, { rows, m, n, a: ab, aOff, lda, b: bb, bOff, ldb, c: cb, cOff: 3 * n, ldc: n, accumulate: true });
    red.colSums(enc, { rows, n, a: bb, aOff: bOff, lda: ldb, c: cb, cOff: 0 });
    red.colDots(enc, { rows, n: 5, a: ab, aOff, lda, b: bb, bOff, ldb, c: cb, cOff: n });
    const out = new Float32Array(3 * n + m * n);
    await readRegions(g, [{ buf: cb, n: out.length, into: out }], enc);
    const gemm = new Float64Array(m * n), sums = new Float64Array(n), dots = new Float64Array(5);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) gemm[i * n + j] += A[aOff + r * lda + i]! * Bm[bOff + r * ldb + j]!;
      for (let j = 0; j < n; j++) sums[j] += Bm[bOff + r * ldb + j]!;
      for (let j = 0; j < 5; j++) dots[j] += A[aOff + r * lda + j]! * Bm[bOff + r * ldb + j]!;
    }
    for (let k = 0; k < m * n; k++) gemm[k] += C0[k]!;
    expect(relErr(out.subarray(3 * n), gemm)).toBeLessThan(1e-6);
    expect(relErr(out.subarray(0, n), sums)).toBeLessThan(1e-6);
    expect(relErr(out.subarray(n, n + 5), dots)).toBeLessThan(1e-6);
    for (const b of [ab, bb, cb]) b.destroy();
  });

  it('reports a WGSL compilation error with its line at the next read-back', async () => {
    const bad = new Kernel(g, 'bad-kernel', '@compute @workgroup_size(1) fn main() {\n  let x: f32 = undefined_name;\n}', 0, { uniform: false });
    const enc = g.device.createCommandEncoder();
    bad.encode(enc, [1], []);
    const buf = createStorage(g, 4, 'x');
    await expect(readRegions(g, [{ buf, n: 1, into: new Float32Array(1) }], enc)).rejects.toThrow(/bad-kernel.*\n.*line 2/s);
    buf.destroy();
  });
});
