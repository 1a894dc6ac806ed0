import { describe, expect, it } from 'vitest';
import { chunking, describePlan, MAX_SCRATCH_FLOATS, planGemmTN, type GemmShape, type PlanLimits } from '../reductions-plan';
import { skinnyGemmWgsl, tiledGemmWgsl, tiledThreads, tiledWorkgroupBytes } from '../reductions-wgsl';

// WebGPU's default limits (the spec's guaranteed minimums for compute).
const LIMITS: PlanLimits = { maxWorkgroupStorageBytes: 16384, maxInvocationsPerWorkgroup: 256, maxWorkgroupsPerDimension: 65535 };
/** the paper preset: B = 512, T = 1024, H = 128, D = 16 */
const B = 512, T = 1024, H = 128, D = 16, R = T * B;
/** SMs of an H100 SXM */
const SMS = 132;

function shape(s: Partial<GemmShape> & { m: number; n: number }): GemmShape {
  const lda = s.lda ?? s.m, ldb = s.ldb ?? s.n, rows = s.rows ?? 1000;
  return { rows, aOff: 0, bOff: 0, lda, ldb, aFloats: rows * lda + 64, bFloats: rows * ldb + 64, ...s };
}

describe('gemmTN kernel choice (host side)', () => {
  it('the paper LSTM dU = Hprevᵀ·dPre gets the 64×64 register tile with vec4 loads and fills a large GPU', () => {
    const s = shape({ rows: (T - 1) * B, m: H, n: 4 * H, lda: H, bOff: B * 4 * H, ldb: 4 * H, aFloats: R * H, bFloats: R * 4 * H });
    const p = planGemmTN(s, LIMITS);
    expect(p.kind).toBe('tiled');
    if (p.kind !== 'tiled') return;
    expect(p.cfg).toMatchObject({ tm: 64, tn: 64, rm: 4, rn: 4, kb: 16, sub: 2, vecA: true, vecB: true });
    expect(tiledThreads(p.cfg)).toBe(256);
    expect(p.groups).toEqual([8, 2]);
    const workgroups = p.groups[0] * p.groups[1] * p.nChunks;
    expect(workgroups).toBeGreaterThanOrEqual(4 * SMS);
    // the chunks cover the rows exactly once, in whole 32-row sub-sums, partials within 64 MiB
    expect(p.chunk % 32).toBe(0);
    expect(p.nChunks * p.chunk).toBeGreaterThanOrEqual(s.rows);
    expect((p.nChunks - 1) * p.chunk).toBeLessThan(s.rows);
    expect(p.nChunks * s.m * s.n).toBeLessThanOrEqual(MAX_SCRATCH_FLOATS);
    expect(describePlan(p)).toMatch(/^tiled 64×64\/4×4 k16×2 vec4 A,B/);
  });

  it('dW = Xᵀ·dPre with D = 16 uses a 16-row tile; a GRU column block keeps vec4 when its offset is aligned', () => {
    const dw = planGemmTN(shape({ rows: R, m: D, n: 4 * H }), LIMITS);
    expect(dw.kind === 'tiled' && [dw.cfg.tm, dw.cfg.tn, dw.cfg.vecA, dw.cfg.vecB]).toEqual([16, 64, true, true]);
    // GRU dU of the candidate gate: columns 2H … 3H−1 of rows of 3H
    const gru = planGemmTN(shape({ rows: R, m: H, n: H, bOff: 2 * H, ldb: 3 * H }), LIMITS);
    expect(gru.kind === 'tiled' && gru.cfg.vecB).toBe(true);
    const odd = planGemmTN(shape({ rows: 500, m: 7, n: 7, bOff: 14, ldb: 21 }), LIMITS);
    expect(odd.kind === 'tiled' && [odd.cfg.tm, odd.cfg.tn, odd.cfg.vecA, odd.cfg.vecB]).toEqual([16, 16, false, false]);
  });

  it('vec4 loads only with offset, leading dimension and buffer size all multiples of 4 floats', () => {
    const vec = (s: Partial<GemmShape>): boolean => {
      const p = planGemmTN(shape({ m: 40, n: 40, ...s }), LIMITS);
      return p.kind === 'tiled' && p.cfg.vecA;
    };
    expect(vec({ aOff: 8, lda: 44 })).toBe(true);
    expect(vec({ aOff: 2, lda: 44 })).toBe(false);
    expect(vec({ aOff: 8, lda: 42 })).toBe(false);
    expect(vec({ aOff: 8, lda: 44, aFloats: 1000 * 44 + 2 })).toBe(false);
    const tuned = planGemmTN(shape({ m: 40, n: 40 }), LIMITS, { vec4: false });
    expect(tuned.kind === 'tiled' && [tuned.cfg.vecA, tuned.cfg.vecB]).toEqual([false, false]);
  });

  it('a side of width ≤ 4 (column sums, dW_out, D = 3) gets the skinny kernel along the wide side', () => {
    const sums = planGemmTN(shape({ rows: R, m: 1, n: 4 * H, lda: 0 }), LIMITS);
    expect(sums).toMatchObject({ kind: 'skinny', narrowIsA: true, cfg: { wx: 64, k: 1 }, groups: 8 });
    const wout = planGemmTN(shape({ rows: R, m: H, n: 1 }), LIMITS);
    expect(wout).toMatchObject({ kind: 'skinny', narrowIsA: false, cfg: { wx: 64, k: 1 }, groups: 2 });
    const d3 = planGemmTN(shape({ rows: R, m: 3, n: H }), LIMITS);
    expect(d3).toMatchObject({ kind: 'skinny', narrowIsA: true, cfg: { wx: 64, k: 3 } });
    // one output: 64 row lanes, each lane ≥ 4 sub-sums of 8 rows per chunk
    const one = planGemmTN(shape({ rows: R, m: 1, n: 1 }), LIMITS);
    expect(one).toMatchObject({ kind: 'skinny', cfg: { wx: 1, k: 1 }, groups: 1 });
    expect(one.chunk).toBeGreaterThanOrEqual(64 * 8 * 4);
    expect(planGemmTN(shape({ m: 3, n: 2 }), LIMITS)).toMatchObject({ kind: 'skinny', narrowIsA: false, cfg: { wx: 4, k: 2 } });
    expect(planGemmTN(shape({ m: 5, n: 5 }), LIMITS).kind).toBe('tiled');
  });

  it('tuning: the plain kernel on request, and as the fallback when a tile exceeds the workgroup limits', () => {
    expect(planGemmTN(shape({ m: 64, n: 64 }), LIMITS, { kernel: 'simple' }).kind).toBe('simple');
    const big = { tm: 128, tn: 128, rm: 8, rn: 8, kb: 16, sub: 2 };
    expect(tiledWorkgroupBytes({ ...big, vecA: true, vecB: true })).toBe(16384);
    expect(planGemmTN(shape({ m: 128, n: 128 }), LIMITS, big).kind).toBe('tiled');
    expect(planGemmTN(shape({ m: 128, n: 128 }), { ...LIMITS, maxWorkgroupStorageBytes: 8192 }, big).kind).toBe('simple');
    expect(planGemmTN(shape({ m: 128, n: 128 }), LIMITS, { ...big, rm: 4 }).kind).toBe('simple'); // 512 threads
    expect(() => planGemmTN(shape({ m: 64, n: 64 }), LIMITS, { rm: 3 })).toThrow(RangeError);
    // sub-sums of at most 32 rows: the default number of blocks per sub-sum follows kb
    const k8 = planGemmTN(shape({ m: 64, n: 64 }), LIMITS, { kb: 8 });
    expect(k8.kind === 'tiled' && [k8.cfg.kb, k8.cfg.sub, k8.chunk % 32]).toEqual([8, 4, 0]);
    expect(() => planGemmTN(shape({ m: 64, n: 64 }), LIMITS, { kb: 32, sub: 2 })).toThrow(RangeError);
    expect(() => planGemmTN(shape({ m: 64, n: 64 }), LIMITS, { kb: 33 })).toThrow(RangeError);
  });

  it('chunking covers the rows, respects the minimum chunk, the scratch cap and the dispatch limit', () => {
    expect(chunking(100, 10, 1, LIMITS)).toEqual({ nChunks: 1, chunk: 100 });
    const capped = chunking(1 << 20, MAX_SCRATCH_FLOATS / 2, 1, LIMITS);
    expect(capped.nChunks).toBe(2);
    const dim = chunking(1 << 30, 1, 1, { ...LIMITS, maxWorkgroupsPerDimension: 1000 }, 1 << 20, 1);
    expect(dim.nChunks).toBeLessThanOrEqual(1000);
    for (const [rows, align] of [[1000, 16], [17, 16], [65_537, 12]] as const) {
      const c = chunking(rows, 64, 4, LIMITS, 2048, 16, align);
      expect(c.chunk % align).toBe(0);
      expect(c.nChunks * c.chunk).toBeGreaterThanOrEqual(rows);
      expect((c.nChunks - 1) * c.chunk).toBeLessThan(rows);
    }
  });

  it('generates one kernel text per variant (workgroup size, tiles, vec4 bindings)', () => {
    const w = tiledGemmWgsl({ tm: 64, tn: 64, rm: 4, rn: 4, kb: 16, sub: 2, vecA: true, vecB: false });
    expect(w).toContain('@workgroup_size(256)');
    expect(w).toContain('var<storage, read> A: array<vec4<f32>>');
    expect(w).toContain('var<storage, read> B: array<f32>');
    expect(w).toContain('var<workgroup> sA: array<vec4<f32>, 256>');
    // 2 blocks of 16 rows, each row 4 vec4 FMAs (the 4×4 micro-tile), unrolled; 2 barriers per block
    expect(w.match(/= fma\(/g)?.length).toBe(2 * 16 * 4);
    expect(w.match(/workgroupBarrier\(\)/g)?.length).toBe(2 * 2);
    const w8 = tiledGemmWgsl({ tm: 64, tn: 64, rm: 8, rn: 8, kb: 8, sub: 1, vecA: false, vecB: false });
    expect(w8).toContain('@workgroup_size(64)');
    expect(w8.match(/= fma\(/g)?.length).toBe(8 * 16);
    expect(skinnyGemmWgsl({ wx: 1, k: 1 })).toContain('var<workgroup> red: array<f32, 64>');
    expect(skinnyGemmWgsl({ wx: 64, k: 4 })).not.toContain('var<workgroup> red');
    expect(() => skinnyGemmWgsl({ wx: 3, k: 1 })).toThrow(RangeError);
    expect(() => skinnyGemmWgsl({ wx: 4, k: 5 })).toThrow(RangeError);
  });
});
