/**
 * Weight-gradient reductions over all T·B rows at once (DESIGN.md §3: "weight
 * gradients as one large reduction at the end rather than per step").
 *
 *   gemmTN:  C[cOff + i·ldc + j] (+)= Σ_{r<rows} A[aOff + r·lda + i] · B[bOff + r·ldb + j]
 *            (i < m, j < n): dW = Xᵀ·dPre, dU = Hprevᵀ·dPre; with lda = 0 and
 *            A a buffer holding 1.0 at aOff, m = 1, it is the column sums (db).
 *   colDots: C[cOff + j] (+)= Σ_r A[aOff + r·lda + j] · B[bOff + r·ldb + j]
 *            (the LayerNorm gain gradient Σ d ⊙ x̂).
 *
 * Two passes: the rows are split into chunks; the first pass writes one m×n
 * partial per chunk, the second (FINISH) adds the partials in chunk order,
 * one thread per output. The first pass of gemmTN is one of (chosen on the
 * host from the shape and the operands' alignment, reductions-plan.ts):
 *  - the register-tiled kernel (64×64 output tile per 256-thread workgroup,
 *    4×4 outputs per thread in registers, 16-row blocks of A and B staged in
 *    workgroup memory, vec4 loads where aligned): the large products dU, dW;
 *  - the skinny kernel for a side of width ≤ 4 (column sums, dW_out, D ≤ 4);
 *  - the plain 16×16 kernel (fallback, or asked for by setGemmTuning).
 * Kernels are generated per variant (reductions-wgsl.ts) and compiled on
 * first use.
 *
 * Accuracy (WGSL has no float64): every thread sums at most K = 32 products
 * in plain float32 (two 16-row blocks; 8 rows in the skinny kernel), adds
 * these sub-sums into its running total with Neumaier compensation, and the
 * chunk partials are added the same way. The error is that of the K-term
 * sub-sums plus a few final roundings, independent of the number of rows:
 * under the usual model of independent roundings, about 2.6·2⁻²⁴ relative
 * (rms) for N(0,1) data (test/reductions.test.ts derives the bounds it
 * checks).
 */
/// <reference types="@webgpu/types" />
import { createStorage, flatGrid, Kernel } from './runtime';
import { chunking, planGemmTN, type GemmPlan, type GemmShape, type GemmTuning, type PlanLimits } from './reductions-plan';
import { COL_DOTS_PARTIAL, FINISH, SIMPLE_GEMM_WGSL, skinnyGemmWgsl, tiledGemmWgsl, type SkinnyConfig, type TiledConfig } from './reductions-wgsl';
import type { GpuContext } from './types';

export type { GemmPlan, GemmTuning } from './reductions-plan';
export { describePlan } from './reductions-plan';

export interface GemmTNArgs {
  rows: number;
  m: number;
  n: number;
  a: GPUBuffer; aOff: number; lda: number;
  b: GPUBuffer; bOff: number; ldb: number;
  c: GPUBuffer; cOff: number; ldc: number;
  /** add into C instead of overwriting it */
  accumulate?: boolean;
}

export interface ColDotsArgs {
  rows: number;
  n: number;
  a: GPUBuffer; aOff: number; lda: number;
  b: GPUBuffer; bOff: number; ldb: number;
  c: GPUBuffer; cOff: number;
  accumulate?: boolean;
}

/** colDots: workgroups of 64 threads along the columns */
const COL_DOTS_WG = 64;

/** The reduction kernels of one device, with their scratch (one per context: reductions(ctx)). */
export class Reductions {
  /** compiled gemmTN variants by key */
  private readonly kernels = new Map<string, Kernel>();
  private readonly dotsPartial: Kernel;
  private readonly finish: Kernel;
  private readonly limits: PlanLimits;
  private tuning: GemmTuning = {};
  private scratch: GPUBuffer;
  private scratchFloats: number;
  /** outgrown scratch buffers: still referenced by encoders not yet submitted, destroyed with the rest */
  private readonly retired: GPUBuffer[] = [];
  /** a buffer holding 1.0 at float 0 (gemmTN with lda 0 → column sums) */
  readonly ones: GPUBuffer;

  constructor(private readonly ctx: GpuContext) {
    this.dotsPartial = new Kernel(ctx, 'reduce-coldots-partial', COL_DOTS_PARTIAL, 3, { readOnly: [0, 1] });
    this.finish = new Kernel(ctx, 'reduce-finish', FINISH, 2, { readOnly: [0] });
    this.limits = {
      maxWorkgroupStorageBytes: ctx.limits.maxWorkgroupStorageBytes,
      maxInvocationsPerWorkgroup: ctx.limits.maxInvocationsPerWorkgroup,
      maxWorkgroupsPerDimension: ctx.limits.maxWorkgroupsPerDimension,
    };
    this.scratchFloats = 1024;
    this.scratch = createStorage(ctx, this.scratchFloats, 'reduction partials');
    this.ones = createStorage(ctx, 4, 'ones');
    ctx.device.queue.writeBuffer(this.ones, 0, new Float32Array([1, 1, 1, 1]));
  }

  /**
   * Override the gemmTN kernel choice (benchmarks on a real GPU:
   * scripts/bench-gpu-reductions.ts); null restores the defaults.
   */
  setGemmTuning(t: GemmTuning | null): void {
    this.tuning = { ...(t ?? {}) };
  }

  /** The kernel and chunks gemmTN uses for these arguments (rows ≥ 1). */
  planGemmTN(g: GemmTNArgs): GemmPlan {
    const shape: GemmShape = {
      rows: g.rows, m: g.m, n: g.n, aOff: g.aOff, lda: g.lda, bOff: g.bOff, ldb: g.ldb,
      aFloats: Math.floor(g.a.size / 4), bFloats: Math.floor(g.b.size / 4),
    };
    return planGemmTN(shape, this.limits, this.tuning);
  }

  private kernel(key: string, make: () => string): Kernel {
    let k = this.kernels.get(key);
    if (!k) {
      k = new Kernel(this.ctx, `reduce-gemmTN-${key}`, make(), 3, { readOnly: [0, 1] });
      this.kernels.set(key, k);
    }
    return k;
  }

  private tiledKernel(c: TiledConfig): Kernel {
    return this.kernel(`tiled-${c.tm}x${c.tn}-${c.rm}x${c.rn}-k${c.kb}x${c.sub}${c.vecA ? '-va' : ''}${c.vecB ? '-vb' : ''}`, () => tiledGemmWgsl(c));
  }

  private skinnyKernel(c: SkinnyConfig): Kernel {
    return this.kernel(`skinny-${c.wx}-${c.k}`, () => skinnyGemmWgsl(c));
  }

  private scratchFor(floats: number): GPUBuffer {
    if (floats > this.scratchFloats) {
      this.retired.push(this.scratch);
      this.scratchFloats = Math.max(floats, this.scratchFloats * 2);
      this.scratch = createStorage(this.ctx, this.scratchFloats, 'reduction partials');
    }
    return this.scratch;
  }

  private encodeFinish(enc: GPUCommandEncoder, m: number, n: number, nChunks: number, c: GPUBuffer, cOff: number, ldc: number, acc: boolean): void {
    this.finish.encode(enc, flatGrid(this.ctx, m * n, 64), [this.scratch, c], [m, n, nChunks, cOff, ldc, acc ? 1 : 0, 0, 0]);
  }

  /** C (+)= Aᵀ·B over `rows` rows (see the file comment). rows = 0 writes zeros (or leaves C when accumulating). */
  gemmTN(enc: GPUCommandEncoder, g: GemmTNArgs): void {
    const { rows, m, n } = g;
    if (m < 1 || n < 1) return;
    const plan = rows > 0 ? this.planGemmTN(g) : null;
    const nChunks = plan?.nChunks ?? 0;
    const scratch = this.scratchFor(Math.max(1, nChunks) * m * n);
    if (plan) {
      const ab = [rows, m, n, g.aOff, g.lda, g.bOff, g.ldb, plan.chunk];
      switch (plan.kind) {
        case 'tiled':
          this.tiledKernel(plan.cfg).encode(enc, [...plan.groups, nChunks], [g.a, g.b, scratch], ab);
          break;
        case 'simple':
          this.kernel('simple', () => SIMPLE_GEMM_WGSL).encode(enc, [...plan.groups, nChunks], [g.a, g.b, scratch], ab);
          break;
        case 'skinny': {
          // narrow side N (width k ≤ 4) against wide side W; partial P[chunk·m·n + i·n + j]
          const [nb, nOff, ldn, wb, wOff, ldw, w, pk, pw] = plan.narrowIsA
            ? [g.a, g.aOff, g.lda, g.b, g.bOff, g.ldb, n, n, 1] as const
            : [g.b, g.bOff, g.ldb, g.a, g.aOff, g.lda, m, 1, n] as const;
          this.skinnyKernel(plan.cfg).encode(enc, [plan.groups, nChunks], [nb, wb, scratch],
            [rows, w, wOff, ldw, nOff, ldn, plan.chunk, m * n, pk, pw]);
          break;
        }
      }
    }
    this.encodeFinish(enc, m, n, nChunks, g.c, g.cOff, g.ldc, g.accumulate ?? false);
  }

  /** C[j] (+)= Σ_r A[r][j]·B[r][j] (see the file comment). */
  colDots(enc: GPUCommandEncoder, g: ColDotsArgs): void {
    const { rows, n } = g;
    if (n < 1) return;
    const { nChunks, chunk } = rows > 0 ? chunking(rows, n, Math.ceil(n / COL_DOTS_WG), this.limits) : { nChunks: 0, chunk: 1 };
    const scratch = this.scratchFor(Math.max(1, nChunks) * n);
    if (nChunks > 0) {
      this.dotsPartial.encode(enc, [Math.ceil(n / COL_DOTS_WG), nChunks], [g.a, g.b, scratch], [rows, n, g.aOff, g.lda, g.bOff, g.ldb, chunk, 0]);
    }
    this.encodeFinish(enc, 1, n, nChunks, g.c, g.cOff, n, g.accumulate ?? false);
  }

  /** C[cOff + j] (+)= Σ_r A[aOff + r·lda + j] (column sums: the bias gradients). */
  colSums(enc: GPUCommandEncoder, g: { rows: number; n: number; a: GPUBuffer; aOff: number; lda: number; c: GPUBuffer; cOff: number; accumulate?: boolean }): void {
    this.gemmTN(enc, {
      rows: g.rows, m: 1, n: g.n, a: this.ones, aOff: 0, lda: 0, b: g.a, bOff: g.aOff, ldb: g.lda,
      c: g.c, cOff: g.cOff, ldc: g.n, ...(g.accumulate !== undefined ? { accumulate: g.accumulate } : {}),
    });
  }

  dispose(): void {
    for (const b of this.retired.splice(0)) b.destroy();
    this.scratch.destroy();
    this.ones.destroy();
    if (perDevice.get(this.ctx.device) === this) perDevice.delete(this.ctx.device);
  }
}

const perDevice = new WeakMap<GPUDevice, Reductions>();

/** The context's Reductions (created on first use). */
export function reductions(ctx: GpuContext): Reductions {
  let r = perDevice.get(ctx.device);
  if (!r) {
    r = new Reductions(ctx);
    perDevice.set(ctx.device, r);
  }
  return r;
}
