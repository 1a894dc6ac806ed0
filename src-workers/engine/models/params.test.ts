import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { buildLayout, initParams, logit, randomOrthogonal } from './params';

/** max |(MᵀM or MMᵀ) - I| over the smaller Gram matrix of an r×c row-major matrix. */
function gramError(m: Float64Array, r: number, c: number): number {
  const n = Math.min(r, c);
  let worst = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      if (r >= c) for (let k = 0; k < r; k++) s += m[k * c + i]! * m[k * c + j]!; // columns
      else for (let k = 0; k < c; k++) s += m[i * c + k]! * m[j * c + k]!; // rows
      worst = Math.max(worst, Math.abs(s - (i === j ? 1 : 0)));
    }
  }
  return worst;
}

describe('randomOrthogonal', () => {
  for (const [r, c] of [[32, 32], [128, 128], [40, 8], [8, 40], [1, 16], [16, 1]] as const) {
    it(`${r}×${c}: QᵀQ = I (or QQᵀ for wide) to 1e-5 in float64 and after float32 rounding`, () => {
      const q = new Float64Array(r * c);
      randomOrthogonal(r, c, new Rng(7 + r * 31 + c), q);
      expect(gramError(q, r, c)).toBeLessThan(1e-12);
      const q32 = Float64Array.from(Float32Array.from(q));
      expect(gramError(q32, r, c)).toBeLessThan(1e-5);
    });
  }

  it('is the Q factor with a positive diagonal of R: the first column is the normalised first Gaussian column', () => {
    const r = 6, c = 4;
    const q = new Float64Array(r * c);
    randomOrthogonal(r, c, new Rng(99), q);
    const g = new Rng(99);
    const first = Array.from({ length: r }, () => g.gaussian()); // vector 0 is drawn first
    const norm = Math.hypot(...first);
    for (let i = 0; i < r; i++) expect(q[i * c]!).toBeCloseTo(first[i]! / norm, 12);
  });
});

describe('initParams', () => {
  const layout = buildLayout([
    { name: 'W', rows: 8, cols: 96, init: 'uniform', fanIn: 8, orth: true, orthBlockCols: 32 },
    { name: 'b', rows: 1, cols: 96, init: 'uniform', fanIn: 8 },
    { name: 'g', rows: 1, cols: 5, init: 'one' },
    { name: 'z', rows: 1, cols: 5, init: 'zero' },
    { name: 's', rows: 1, cols: 3, init: 'logit' },
  ]);

  it('uniform entries lie in ±1/sqrt(fanIn); ones, zeros and logit(const_s) exactly', () => {
    const p = new Float64Array(layout.size);
    initParams(layout, p, { seed: 3, orthInit: false, constS: 0.05 });
    const b = layout.byName.b!;
    for (let i = 0; i < b.size; i++) expect(Math.abs(p[b.offset + i]!)).toBeLessThanOrEqual(1 / Math.sqrt(8));
    expect(Array.from(p.subarray(layout.byName.g!.offset, layout.byName.g!.offset + 5))).toEqual([1, 1, 1, 1, 1]);
    expect(Array.from(p.subarray(layout.byName.z!.offset, layout.byName.z!.offset + 5))).toEqual([0, 0, 0, 0, 0]);
    const s = p[layout.byName.s!.offset]!;
    expect(1 / (1 + Math.exp(-s))).toBeCloseTo(0.05, 14);
    expect(s).toBe(logit(0.05));
  });

  it('orth_init makes every 8×32 gate block of W have orthonormal rows, and leaves biases uniform', () => {
    const p = new Float64Array(layout.size);
    initParams(layout, p, { seed: 3, orthInit: true, constS: 0.05 });
    const W = layout.byName.W!;
    for (let blk = 0; blk < 3; blk++) {
      const m = new Float64Array(8 * 32);
      for (let i = 0; i < 8; i++) for (let j = 0; j < 32; j++) m[i * 32 + j] = p[W.offset + i * 96 + blk * 32 + j]!;
      expect(gramError(m, 8, 32)).toBeLessThan(1e-12);
    }
  });
});
